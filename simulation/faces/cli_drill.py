"""``linkage drill new|list|show|export|branch|serve|pin|room`` — tabletop drill sessions (桌面推演)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scenarios.errors import InputError
from simulation.faces.console import make_console

if TYPE_CHECKING:
    from simulation.drill.session import DrillSession

out = make_console()
DirOpt = Annotated[
    Path | None, typer.Option("--dir", help="Folder of drill sessions (default: $LINKAGE_DRILL_DIR or ./drills).")
]


def _dir(d: Path | None) -> Path:
    return d or Path(os.environ.get("LINKAGE_DRILL_DIR", "drills"))


def _open(code: str, d: Path | None) -> DrillSession:
    from simulation.drill.policy import DrillError
    from simulation.faces.drill_service import AccessDenied, DrillService

    try:
        return DrillService(_dir(d), exclusive=False).session(code.strip().upper())
    except AccessDenied:
        raise InputError.one(str(_dir(d)), None, "code", f"no drill session '{code}' in this folder") from None
    except DrillError as e:
        raise InputError.one(str(_dir(d) / f"{code}.sqlite"), None, "", str(e)) from None


def _print_pins(session: DrillSession, pins: dict[str, str]) -> None:
    t = Table(title=f"session {session.code} · {session.spec.title.zh} / {session.spec.title.en}")
    for c in ("seat", "role", "agencies", "PIN"):
        t.add_column(c)
    for seat, pin in pins.items():
        s = session.seats[seat]
        t.add_row(seat, s["role"], ", ".join(s["agencies"]) or "—", pin)
    out.print(t)
    out.print("PINs are shown once: hand each to the person taking the seat (join with code, seat and PIN).")


def register(app: typer.Typer) -> None:
    drill = typer.Typer(no_args_is_help=True, help="Tabletop drills: sessions, players, after-action reports.")
    app.add_typer(drill, name="drill")

    @drill.command("new")
    def new(definition: Annotated[str, typer.Argument(help="Drill YAML file or bundled drill name.")],
            directory: DirOpt = None,
            seed: Annotated[int | None, typer.Option("--seed", help="Override the drill's seed.")] = None) -> None:
        """Create a session from a drill definition; prints the session code and each seat's PIN."""
        from simulation.drill.session import DrillSession
        from simulation.drill.spec import load_drill
        from simulation.experiments.api import non_negative_seed
        from simulation.faces.flags import cli_flags

        spec, sc, msel = load_drill(definition)
        if seed is not None:
            with cli_flags():  # the run seed's own bounds: non-negative, at most 2**63 - 1 (stored as int64)
                non_negative_seed("run", seed)
            spec = spec.model_copy(update={"seed": seed})
        session, pins = DrillSession.create(spec, sc, msel, _dir(directory))
        out.print(f"created {_dir(directory) / (session.code + '.sqlite')}")
        _print_pins(session, pins)

    @drill.command("list")
    def list_(directory: DirOpt = None) -> None:
        """List the sessions of a folder (code, title, clock, state)."""
        from simulation.drill.store import DrillStore

        d = _dir(directory)
        t = Table(title=f"drill sessions in {d}")
        for c in ("code", "title", "scenario", "created", "clock (s)", "state", "branched from"):
            t.add_column(c)
        for p in sorted(d.glob("*.sqlite")) if d.is_dir() else []:
            st = DrillStore(p)
            try:
                meta = st.meta()
                inputs = st.events(inputs_only=True)
            finally:
                st.close()
            clock = max((r["payload"].get("until", r["sim_time"]) for r in inputs if r["kind"] == "clock"), default=0.0)
            ended = any(r["kind"] == "end" for r in inputs)
            parent = f"{meta['parent']} @ {meta['branched_at']:.0f} s" if meta.get("parent") else ""
            t.add_row(
                meta["code"],
                meta["spec"]["title"]["en"],
                meta["spec"]["scenario"],
                meta["created"],
                f"{meta['scenario'].get('horizon') if ended else clock:.0f}",
                "ended" if ended else "open",
                parent,
            )
        out.print(t)

    @drill.command("show")
    def show(code: str, directory: DirOpt = None) -> None:
        """Replay a session and show its clock, seats, injects and pending decisions."""
        from simulation.drill.msel import format_time

        s = _open(code, directory)
        out.print(f"[bold]{s.code}[/bold] {s.spec.title.zh} / {s.spec.title.en}")
        out.print(f"scenario {s.scenario.name} · arrangement {s.scenario.arrangement.name} · seed {s.spec.seed} · "
                  f"clock {format_time(s.now)} of {format_time(s.horizon)} · {'ended' if s.ended else 'open'}")
        for seat in s.seats.values():
            out.print(f"  seat {seat['seat']:<12} {seat['role']:<12} {', '.join(seat['agencies'])}")
        events = s.store.events()
        kinds: dict[str, int] = {}
        for r in events:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        out.print("log: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        for inj in s.msel.injects:
            at = s.policy.delivered.get(inj.id)
            out.print(
                f"  inject {inj.id:<5} → {inj.to:<12} "
                + (f"delivered {format_time(at)}" if at is not None else "pending")
            )
        for p in s.policy.pending.values():
            if not p.resolved:
                out.print(f"  waiting: {p.key} ({p.agency}, deadline {format_time(p.deadline_at)})")

    @drill.command("export")
    def export(
        code: str,
        to: Annotated[
            Path, typer.Option("--out", help="File to write: .html/.docx (report), .csv/.xlsx (MSEL), .jsonl (log).")
        ],
        directory: DirOpt = None,
        lang: Annotated[str, typer.Option("--lang", help="Report language: zh or en.")] = "zh",
        n: Annotated[int | None, typer.Option("-n", "--replications", help="Counterfactual replications.")] = None,
    ) -> None:
        """Export the after-action report (HTML/Word), the MSEL (CSV/XLSX) or the raw log (JSON lines)."""
        suffix = to.suffix.lower()
        if suffix not in (".html", ".docx", ".csv", ".xlsx", ".jsonl"):
            raise InputError.one(
                "--out", None, "", f"unknown format '{suffix or to.name}' (html, docx, csv, xlsx, jsonl)"
            )
        if lang not in ("zh", "en"):
            raise InputError.one("--lang", None, "", f"language must be zh or en (got '{lang}')")
        if n is not None and n < 2:
            raise InputError.one("-n", None, "replications", f"must be at least 2 (got {n})")
        s = _open(code, directory)
        to.parent.mkdir(parents=True, exist_ok=True)
        if suffix in (".csv", ".xlsx"):
            from simulation.drill.msel_io import write_msel

            write_msel(s.msel, to)
        elif suffix == ".jsonl":
            tmp = to.with_name(f".{to.name}.tmp")
            tmp.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in s.store.events()), encoding="utf-8"
            )
            tmp.replace(to)
        else:
            from simulation.faces.aar import build_report, write_docx, write_html

            data = build_report(s, lang, replications=n)
            (write_html if suffix == ".html" else write_docx)(data, to)
        out.print(f"wrote {to}")

    @drill.command("branch")
    def branch(
        code: str,
        at: Annotated[str, typer.Option("--at", help="Scenario time to branch at (T+H:MM:SS or seconds).")],
        directory: DirOpt = None,
    ) -> None:
        """Start a new session from a past point of a session ('what if we had evacuated at …?')."""
        from simulation.drill.msel import parse_time
        from simulation.drill.policy import DrillError

        try:
            t = parse_time(at)
        except ValueError as e:
            raise InputError.one("--at", None, "", str(e)) from None
        s = _open(code, directory)
        try:
            child, pins = s.branch(t, _dir(directory))
        except DrillError as e:
            raise InputError.one("--at", None, "", str(e)) from None
        out.print(f"branched {s.code} at {at} → {child.code}")
        _print_pins(child, pins)

    @drill.command("serve")
    def serve(directory: DirOpt = None, host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
              port: Annotated[int, typer.Option("--port")] = 8765,
              tls: Annotated[bool, typer.Option("--tls", help="HTTPS, self-signed certificate in DIR/.tls.")] = False,
              tls_name: Annotated[list[str] | None, typer.Option(
                  "--tls-name", help="Another name or LAN address the certificate must cover.")] = None,
              request_timeout: Annotated[float, typer.Option(
                  "--request-timeout", help="Seconds a connection has to send its request.")] = 10.0) -> None:
        """Serve the folder's sessions over HTTP(S) (JSON API for players' and the facilitator's pages).
        One process per folder: a second one refuses to start."""
        from simulation.faces.drill_server import main as serve_main

        d = _dir(directory)
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        args = ["--dir", str(d), "--host", host, "--port", str(port), "--request-timeout", str(request_timeout)]
        args += ["--tls"] if tls else []
        for n in tls_name or []:
            args += ["--tls-name", n]
        serve_main(args)

    @drill.command("pin")
    def pin(code: str, seat: str, directory: DirOpt = None) -> None:
        """Reissue a seat's PIN (the old one stops working, the seat's tokens are revoked); prints it once.
        Works while the server runs: joins read the PIN hash from the session file."""
        from simulation.drill.policy import DrillError
        from simulation.faces.drill_service import reissue_pin

        s = _open(code, directory)
        try:
            new = reissue_pin(s, "operator", seat)
        except DrillError as e:
            raise InputError.one(str(_dir(directory) / f"{s.code}.sqlite"), None, "seat", str(e)) from None
        out.print(f"session {s.code} · seat {seat} · new PIN [bold]{new}[/bold] (shown once)")

    @drill.command("room")
    def room(
        directory: DirOpt = None,
        address: Annotated[str, typer.Option("--address", help="Address to bind: the LAN address, or 0.0.0.0.")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option("--port")] = 8443,
        tls: Annotated[bool, typer.Option("--tls/--no-tls", help="HTTPS with a self-signed certificate.")] = True,
        tls_name: Annotated[list[str] | None, typer.Option(
            "--tls-name", help="Another name or LAN address the certificate must cover.")] = None,
        server: Annotated[str | None, typer.Option(
            "--server", help="URL of a running `linkage drill serve` (default: serve the folder in-process).")] = None,
    ) -> None:
        """The drill pages only (facilitator and player), for the training room's LAN — never the planner
        pages — over HTTPS with a self-signed certificate (its fingerprint is printed to read aloud)."""
        from simulation.faces.cli_dashboard import command, serve
        from simulation.faces.drill_tls import ensure_certificate, fingerprint, names_for

        if not 1 <= port <= 65535:
            raise InputError.one("--port", None, "port", f"must be between 1 and 65535 (got {port})")
        d = _dir(directory)
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        extra: list[str] = []
        if tls:
            cert, key = ensure_certificate(d, names_for(address, tuple(tls_name or [])))
            extra = ["--server.sslCertFile", str(cert), "--server.sslKeyFile", str(key)]
            out.print(f"certificate {cert} · SHA-256 {fingerprint(cert)}")
        elif address not in ("127.0.0.1", "localhost", "::1"):
            out.print("[yellow]without --tls, PINs and tokens cross the LAN in clear text[/yellow]")
        extra += ["--client.toolbarMode", "viewer"]  # no "Deploy" or developer menu for players
        env = {**os.environ, "LINKAGE_DASHBOARD_PAGES": "drill", "LINKAGE_DRILL_DIR": str(d)}
        if server:
            env["LINKAGE_DRILL_SERVER"] = server
        else:
            env.pop("LINKAGE_DRILL_SERVER", None)
        out.print(f"drill pages on {'https' if tls else 'http'}://{address}:{port}/ (facilitator, player)")
        serve([*command(port, address, True), *extra], env)
