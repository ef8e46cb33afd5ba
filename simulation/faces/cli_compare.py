"""``linkage compare`` and ``linkage arrangements list|show|diff`` (typer + rich).

Registered on the main app by ``simulation.faces.cli`` (``register(app)``); this module does not import
``simulation.faces.cli`` so it can be registered from anywhere in that file. Bad input raises
:class:`~scenarios.errors.InputError`, which the main entry point prints as one line, exit 1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agencies.arrangement import Arrangement
from agencies.diff import ALL, CELL_NAMES, diff_rows, responsibility_matrix
from scenarios.errors import InputError
from scenarios.loader import bundled_arrangements, load_arrangement
from simulation.faces.cli_district import DistrictOpt, on_district
from simulation.faces.console import make_console
from simulation.faces.flags import AllowLargeOpt, cli_flags

out_console = make_console()
err_console = make_console(stderr=True)

SHARE_METRICS = ("controlled",)
"""Shares of replications (0–1), shown in percent; their differences in percentage points."""
VERDICT_WORDS = {
    "better": "better · 更好",
    "worse": "worse · 更差",
    "no clear difference": "no clear difference · 无明显差异",
    "not comparable": "not comparable · 无法比较",
}
VERDICT_STYLE = {"better": "green", "worse": "red", "no clear difference": "dim", "not comparable": "yellow"}


def is_time(metric: str) -> bool:
    from simulation.experiments.outputs import is_duration  # pyarrow: not for `linkage --help`

    return is_duration(metric)


def fmt(metric: str, v: float | None, signed: bool = False) -> str:
    """Times in minutes (one decimal), other metrics as plain numbers; ``—`` for null."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if metric in SHARE_METRICS:
        return f"{100 * v:+.0f} pp" if signed else f"{100 * v:.0f} %"
    x = v / 60 if is_time(metric) else v
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def parse_arm(spec: str) -> tuple[str, str]:
    """``NAME`` or ``LABEL=NAME`` (a label lets one arrangement appear twice with different ``--set-for``)."""
    if "=" in spec:
        label, name = (s.strip() for s in spec.split("=", 1))
        if not label or not name:
            raise InputError.one("-a", None, spec, "expected NAME or LABEL=NAME")
        return label, name
    return spec.strip(), spec.strip()


def parse_set_for(specs: list[str], labels: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in specs:
        label, sep, expr = s.partition(":")
        if not sep or not expr:
            raise InputError.one("--set-for", None, s, "expected LABEL:PATH=VALUE")
        if label not in labels:
            raise InputError.one("--set-for", None, s, f"no arrangement labelled '{label}' (have: {', '.join(labels)})")
        out.setdefault(label, []).append(expr)
    return out


def _progress() -> Progress:
    return Progress(TextColumn("replications"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err_console, transient=True, disable=not err_console.is_terminal)


# -- printing -----------------------------------------------------------------------------------------


CONDITION_WORDS = {
    "t_control": "held the hazard; read it with `controlled` (share held) — 仅在双方均控制住的重复中比较，请结合控制率",
    "t_close": "closed the incident — 仅在双方均结案的重复中比较",
}
"""What each conditional metric (``outputs.CONDITIONS``) is averaged over, as the CLI's note says it."""


def print_verdicts(result, metrics: list[str] | None = None, console: Console = out_console) -> None:  # noqa: ANN001
    from simulation.experiments.compare import CONDITIONAL_METRICS  # deferred: keeps `linkage --help` quick

    c = result.comparison.to_pylist()
    t = Table(title=f"{result.scenario} · baseline {result.baseline} · n={result.replications} · seed={result.seed} "
                    "(times in minutes; difference = arrangement − baseline, 95 % paired CI; p Holm-adjusted)")
    for col in ("metric", "arrangement", "baseline", "mean", "difference [95 % CI]", "p (adj.)", "verdict 结论"):
        t.add_column(col, justify="left" if col in ("metric", "arrangement", "verdict 结论") else "right")
    last = None
    notes = []
    for r in c:
        m = r["metric"]
        if metrics and m not in metrics:
            continue
        label = (f"{m} (min)" if is_time(m) else m) if m != last else ""
        last = m
        ci = f"{fmt(m, r['diff_mean'], True)} [{fmt(m, r['ci_low'], True)}, {fmt(m, r['ci_high'], True)}]"
        p = "—" if r["p_adjusted"] is None else ("<0.001" if r["p_adjusted"] < 1e-3 else f"{r['p_adjusted']:.3f}")
        v = r["verdict"]
        t.add_row(label, r["arrangement"], fmt(m, r["mean_baseline"]), fmt(m, r["mean_arrangement"]), ci, p,
                  f"[{VERDICT_STYLE[v]}]{VERDICT_WORDS[v]}[/]")
        for side in ("baseline", "arrangement"):
            k = r[f"missing_{side}"]
            if k:
                notes.append(f"{m}: null in {k}/{result.replications} replications of {r[side]} "
                             "(not reached by the horizon, or does not apply) — 未在时限内发生或不适用")
        if m in CONDITIONAL_METRICS and (r["missing_baseline"] or r["missing_arrangement"]):
            notes.append(f"{m}: the difference is over the {r['n']} replications where both arms {CONDITION_WORDS[m]}")
    console.print(t)
    for note in dict.fromkeys(notes):
        console.print(f"  note: {note}", markup=False, highlight=False)


def print_attribution(result, top: int = 4, console: Console = out_console) -> None:  # noqa: ANN001
    t = Table(title="Hand-off attribution 交接损耗归因 (primary incident; seconds per replication → minutes)")
    for col in ("arrangement", "task", "from → to", "stage", "min / replication", "share of gap"):
        t.add_column(col, justify="right" if col in ("min / replication", "share of gap") else "left")
    rows = result.attribution.to_pylist()
    for label in result.runs:
        for r in [r for r in rows if r["arrangement"] == label][:top]:
            t.add_row(label, r["task"], f"{r['from_agency']} → {r['to_agency']}", r["stage"],
                      f"{r['seconds_mean'] / 60:.1f}", f"{100 * r['share']:.0f} %")
    console.print(t)


def print_structure(result, console: Console = out_console) -> None:  # noqa: ANN001
    t = Table(title="Structural indicators 结构指标 (coordination graph, expected values)")
    for col in ("arrangement", "relay", "max hops", "max notify (min)", "hier. hops", "escalations",
                "single points of failure", "most central centre"):
        t.add_column(
            col, justify="right" if col in ("max hops", "max notify (min)", "hier. hops", "escalations") else "left"
        )
    for label, s in result.structure.items():
        sm = s["summary"]
        spof = ", ".join(f"{x['desk']}({'/'.join(x['reasons'])})" for x in s["single_points_of_failure"]) or "—"
        top = next(iter(s["betweenness_centres"].items()), None)
        lat = sm["max_notify_latency"]
        t.add_row(label, s["relay"], str(sm["max_notify_hops"]), "—" if lat is None else f"{lat / 60:.1f}",
                  "—" if sm["mean_hierarchy_hops"] is None else f"{sm['mean_hierarchy_hops']:.1f}",
                  str(sm["escalations"]), spof, "—" if top is None else f"{top[0]} ({top[1]:.2f})")
    console.print(t)


def print_arrangement(arr: Arrangement, incident_type: str | None = None, console: Console = out_console) -> None:
    title = f"{arr.name}" + (f" — {arr.title.zh} / {arr.title.en}" if arr.title else "")
    console.print(f"[bold]{title}[/]")
    if arr.doctrine:
        console.print(arr.doctrine.zh, markup=False)
        console.print(arr.doctrine.en, markup=False)
    console.print(
        f"relay {arr.relay or '(incident lead)'} · "
        f"intake alerts own service {'yes' if arr.intake_direct else 'no'} · fan-out {arr.fan_out} · "
        f"grid model {arr.grid_model} · platform {'yes' if arr.platform else 'no'} · dispatch {arr.dispatch} · "
        f"escalation decision {arr.escalation_decision:g} s",
        markup=False,
    )
    types = [incident_type] if incident_type else list(arr.incident_types)
    for it in types:
        if it not in arr.incident_types:
            raise InputError.one("--type", None, "", f"arrangement '{arr.name}' has no incident type '{it}' "
                                 f"(has: {', '.join(arr.incident_types)})")
        roles, rows = responsibility_matrix(arr, it)
        legend = " · ".join(f"{k} = {en} {zh}" for k, (zh, en) in CELL_NAMES.items())
        t = Table(title=f"{it}: {legend}")
        t.add_column("task")
        for r in roles:
            t.add_column(r, justify="center")
        for task, cells in rows:
            name = "(incident)" if task == ALL else task
            n_lead = sum(1 for v in cells.values() if v == "L")
            if task != ALL and n_lead != 1:
                name += " ⚠ no lead" if n_lead == 0 else f" ⚠ {n_lead} leads"
            t.add_row(name, *[cells.get(r, "") for r in roles])
        console.print(t)


def check_metrics(metric: list[str], scenario, baseline, sets: list[str], seed: int,  # noqa: ANN001
                  allow_large: bool = False) -> None:
    """Refuse a ``-m`` name no run of this scenario produces — before the comparison, not after it.

    The names a run produces (the contract's metrics, the scenario's hazard outcomes, ``controlled`` where
    control applies) are read from one replication of the baseline, as the comparison will make them."""
    from simulation.experiments import api
    from simulation.experiments.compare import add_controlled
    from simulation.experiments.outputs import NOT_METRICS

    sc, world = api.prepare(scenario, baseline.arrangement, (*sets, *baseline.sets), allow_large=allow_large)
    probe = api.run(sc, 1, seed, world=world)
    add_controlled(probe, sc)
    known = [c for c in probe.replications.column_names if c not in NOT_METRICS]
    unknown = [m for m in dict.fromkeys(metric) if m not in known]
    if unknown:
        raise InputError.one("-m", None, "", f"unknown metric(s): {', '.join(unknown)} (have: {', '.join(known)})")


# -- commands -------------------------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    """Add ``compare`` and the ``arrangements`` group to ``app``."""
    arr_app = typer.Typer(no_args_is_help=True, help="Responsibility arrangements (职责安排): list, show, diff.")

    @app.command("compare")
    def compare_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
        arrangement: Annotated[
            list[str],
            typer.Option(
                "-a",
                "--arrangement",
                help="Arrangement (NAME or LABEL=NAME); the first is the baseline. Give at least two.",
            ),
        ],
        n: Annotated[
            int, typer.Option("-n", "--replications", help="Replications per arrangement (same seeds for all).")
        ] = 30,
        seed: Annotated[int, typer.Option("--seed", help="Run seed (common random numbers across arrangements).")] = 0,
        set_: Annotated[
            list[str] | None, typer.Option("--set", help="Override for every arrangement: PATH=VALUE.")
        ] = None,
        set_for: Annotated[
            list[str] | None, typer.Option("--set-for", help="Override for one arrangement: LABEL:PATH=VALUE.")
        ] = None,
        metric: Annotated[list[str] | None, typer.Option("-m", "--metric", help="Only show these metrics.")] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Output folder (DESIGN.md files + comparison.parquet, attribution.parquet)."),
        ] = None,
        district: DistrictOpt = None,
        allow_large: AllowLargeOpt = False,
    ) -> None:
        """Compare arrangements on one scenario: paired differences with 95 % CIs, hand-off attribution, structure."""
        from simulation.experiments import api
        from simulation.experiments.compare import Variant
        from simulation.experiments.outputs import check_out

        arms = [parse_arm(a) for a in arrangement]
        extra = parse_set_for(set_for or [], [label for label, _ in arms])
        with cli_flags():
            api.at_least("compare", "replications", n, 2, "a paired comparison needs", "replications")
            if out is not None:
                check_out(out, "compare")  # before any work
            variants = [Variant(label, name, tuple(extra.get(label, ()))) for label, name in arms]
            target = on_district(scenario, district)
            if metric:
                from simulation.experiments.compare import load_arms

                load_arms(target, variants, n, set_ or (), allow_large)  # the size, before the probe run
                check_metrics(metric, target, variants[0], set_ or (), seed, allow_large)  # before the comparison
            with _progress() as prog:
                task = prog.add_task("compare", total=n * len(variants))
                result = api.compare(target, variants, n, seed, set_ or (),
                                     progress=lambda k: prog.advance(task, k), allow_large=allow_large)
            if metric:
                unknown = sorted(set(metric) - set(result.comparison.column("metric").to_pylist()))
                if unknown:
                    raise InputError.one("-m", None, "", f"unknown or empty metric(s): {', '.join(unknown)}")
            if out is not None:
                result.write(out)
        print_verdicts(result, metric)
        print_attribution(result)
        print_structure(result)
        if out is not None:
            from simulation.experiments.outputs import RUN_TABLES

            names = [*(f"{t}.parquet" for t in RUN_TABLES), "comparison.parquet", "attribution.parquet", "summary.json"]
            out_console.print(f"wrote {out}/" + ", ".join(names))

    @arr_app.command("list")
    def list_cmd() -> None:
        """The bundled arrangements with their doctrine settings."""
        t = Table(title="Bundled arrangements 内置职责安排")
        for col in (
            "name",
            "title 名称",
            "relay",
            "intake direct",
            "fan-out",
            "grid",
            "platform",
            "dispatch",
        ):
            t.add_column(col)
        for p in bundled_arrangements():
            a = load_arrangement(p.stem)
            t.add_row(
                a.name,
                f"{a.title.zh}\n{a.title.en}" if a.title else "",
                a.relay or "(incident lead)",
                "yes" if a.intake_direct else "no",
                a.fan_out,
                a.grid_model,
                "yes" if a.platform else "no",
                a.dispatch,
            )
        out_console.print(t)

    @arr_app.command("show")
    def show_cmd(
        name: Annotated[str, typer.Argument(help="Bundled arrangement name or YAML file.")],
        incident_type: Annotated[str | None, typer.Option("--type", help="Only this incident type.")] = None,
    ) -> None:
        """Doctrine, settings and the responsibility matrix (tasks × roles: lead / assist / informed)."""
        print_arrangement(load_arrangement(name), incident_type)

    @arr_app.command("diff")
    def diff_cmd(
        a: Annotated[str, typer.Argument(help="First arrangement.")],
        b: Annotated[str, typer.Argument(help="Second arrangement.")],
        all_rows: Annotated[bool, typer.Option("--all", help="Show unchanged rows too.")] = False,
    ) -> None:
        """Per incident type and task: lead, assist, informed, lead rule, fan-out, grid model, platform, dispatch."""
        arr_a, arr_b = load_arrangement(a), load_arrangement(b)
        rows = diff_rows(arr_a, arr_b, changed_only=not all_rows)
        t = Table(title=f"{arr_a.name} ↔ {arr_b.name}" + ("" if all_rows else " (changed rows; --all for every row)"))
        for col in ("incident type", "task", "field", arr_a.name, arr_b.name):
            t.add_column(col)
        for r in rows:
            style = "bold" if r.changed else "dim"
            t.add_row(r.incident_type, r.task, r.field, r.a, r.b, style=style)
        out_console.print(t)
        if not rows:
            out_console.print("no differences 无差异")

    app.add_typer(arr_app, name="arrangements")
