"""``linkage sweep`` · ``linkage results`` · ``linkage analyze`` (batch sweeps for researchers, 批量参数扫描).

Registered on the main typer app by ``register(app)``; ``python -m simulation.faces.cli_sweep …`` runs the
same commands on their own (used by the kill-and-resume test).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from scenarios.errors import InputError
from simulation.faces.cli_district import DistrictOpt, on_district
from simulation.faces.flags import AllowLargeOpt, cli_flags, os_error_line

_out = Console(soft_wrap=True)
_err = Console(stderr=True)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "—" if v != v else f"{v:.4g}"
    return "—" if v is None else str(v)


def _print_frame(df, title: str, limit: int = 50) -> None:  # noqa: ANN001 - pandas.DataFrame
    t = Table(title=title)
    for c in df.columns:
        t.add_column(str(c), justify="right" if df[c].dtype.kind in "iuf" else "left")
    for row in df.head(limit).itertuples(index=False):
        t.add_row(*(_fmt(v) for v in row))
    _out.print(t)
    if len(df) > limit:
        _out.print(f"… {len(df) - limit} more rows (use --csv FILE for all)")


def register(app: typer.Typer) -> None:
    """Add the sweep, results and analyze commands to ``app``."""

    @app.command("sweep")
    def sweep_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
        vary: Annotated[
            list[str],
            typer.Option("--vary", help="Factor PATH=SPEC: values a,b,c or [..], range lo..hi[:k]; arrangement=A,B."),
        ],
        out: Annotated[
            Path, typer.Option("--out", help="Output folder (manifest.json, hive-partitioned Parquet parts).")
        ],
        design: Annotated[str, typer.Option("--design", help="grid | lhs | sobol.")] = "grid",
        samples: Annotated[
            int | None,
            typer.Option("--samples", help="lhs: points; sobol: base samples N (power of 2; N·(D+2) points)."),
        ] = None,
        n: Annotated[int, typer.Option("-n", "--replications", help="Replications per point.")] = 10,
        workers: Annotated[
            int | None, typer.Option("--workers", help="Local worker processes (default: all cores).")
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786) instead of local processes."),
        ] = None,
        resume: Annotated[
            bool, typer.Option("--resume", help="Complete a killed sweep in --out: run only the missing parts.")
        ] = False,
        seed: Annotated[int, typer.Option("--seed", help="Sweep seed (points' seeds derive from it).")] = 0,
        batch: Annotated[
            int | None, typer.Option("--batch", help="Replications per task (default min(n, 25); kept on --resume).")
        ] = None,
        common_seeds: Annotated[
            bool, typer.Option("--common-seeds", help="Same run seed at every point (common random numbers).")
        ] = False,
        district: DistrictOpt = None,
        allow_large: AllowLargeOpt = False,
    ) -> None:
        """Run a design's points × replications on local cores or a Dask cluster; results as Parquet parts."""
        from simulation.experiments.api import sweep
        from simulation.experiments.outputs import SWEEP_TABLES

        again = ["sweep", str(scenario), *(x for v in vary for x in ("--vary", v)), "--out", str(out),
                 "--design", design, *(["--samples", str(samples)] if samples is not None else []), "-n", str(n),
                 "--seed", str(seed), *(["--batch", str(batch)] if batch is not None else []),
                 *(["--workers", str(workers)] if workers is not None else []),
                 *(["--scheduler", scheduler] if scheduler else []), *(["--common-seeds"] if common_seeds else []),
                 *(["--district", str(district)] if district is not None else []),
                 *(["--allow-large"] if allow_large else [])]
        try:
            with cli_flags():
                res = sweep(on_district(scenario, district), vary, design=design, samples=samples, replications=n,
                            seed=seed, out=out, workers=workers, scheduler=scheduler, resume=resume, batch=batch,
                            common_seeds=common_seeds, allow_large=allow_large)
        except KeyboardInterrupt:
            _err.print(resume_hint(out, again), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
        done = res.points - len(res.failed)
        _out.print(f"sweep {res.sweep_id}: {res.points} points × {res.replications} replications; "
                   f"{res.tasks_run} tasks run, {res.tasks_skipped} already done; {done} points done, "
                   f"{len(res.failed)} failed; {res.wall_seconds:.1f} s")
        for k, msg in sorted(res.failed.items())[:10]:
            _err.print(f"point {k} failed: {msg.splitlines()[0]}", markup=False, highlight=False, soft_wrap=True)
        if res.failed:
            _err.print(f"errors recorded in {out}/errors/", markup=False)
        if res.repaired:
            _err.print(f"{len(res.repaired)} tasks with damaged, missing or unrecorded parts were run again",
                       markup=False)
        if res.workers_lost:
            _err.print(f"worker processes lost {res.workers_lost} time(s); their tasks were run again", markup=False)
        tables = ", ".join(f"{t}/" for t in SWEEP_TABLES)
        _out.print(f"wrote {out}/manifest.json, {out}/{tables}, points/, checksums/", markup=False)
        if res.points and len(res.failed) == res.points:  # nothing to analyse: a script must not read it as success
            _err.print(f"every point failed (所有设计点均失败): no results; the errors are in {out}/errors/",
                       markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)

    @app.command("results")
    def results_cmd(
        query: Annotated[
            str,
            typer.Argument(help="One SELECT over the views replications, incidents, handoffs, workorders, points.",
                           show_default=False),
        ],
        root: Annotated[Path, typer.Option("--root", help="Folder holding one or more sweep folders.")],
        csv: Annotated[Path | None, typer.Option("--csv", help="Write all rows to this CSV file.")] = None,
        allow_read: Annotated[
            list[Path] | None,
            typer.Option("--allow-read", help="Also let the SQL read this folder or file (else only the sweeps)."),
        ] = None,
    ) -> None:
        """Query sweep results with DuckDB (across every sweep under --root; read-only, no network)."""
        from simulation.experiments.outputs import check_file_out, write_file
        from simulation.experiments.results import find_sweeps, query_sweeps

        if csv is not None:
            check_file_out(csv, "--csv", "")  # before the query: a folder, or a read-only place, is refused
        sweeps = find_sweeps(root)
        for s in sweeps:
            if s.note():
                _err.print(f"note: {s.note()}", markup=False, highlight=False, soft_wrap=True)
        df = query_sweeps(query, sweeps, tuple(allow_read or ()))
        if csv is not None:
            write_file(csv, df.to_csv(index=False))
            _out.print(f"wrote {csv}: {len(df)} rows", markup=False)
        else:
            _print_frame(df, f"{len(df)} rows")

    @app.command("analyze")
    def analyze_cmd(
        out: Annotated[Path, typer.Argument(help="Sweep folder.", show_default=False)],
        metric: Annotated[str, typer.Option("--metric", help="Metric column, e.g. t_first_arrival.")],
        target: Annotated[
            str | None,
            typer.Option(
                "--target", help="Requirement, e.g. '<=600' (plain number = at most); PRIM finds where it is missed."
            ),
        ] = None,
    ) -> None:
        """Sobol indices (sobol), tornado (grid), Spearman (lhs); PRIM scenario discovery with --target."""
        from simulation.experiments.analysis import analyze

        with cli_flags():
            res = analyze(out, metric, target)
        for name, df in res.tables.items():
            if name != "prim_trajectory":
                _print_frame(df, f"{name} · {metric}")
        for note in res.notes:
            _out.print(note, markup=False)
        _out.print("wrote " + ", ".join(str(f) for f in res.files), markup=False, soft_wrap=True)


def resume_hint(out: Path, args: list[str]) -> str:
    """What to type to finish an interrupted sweep: the same command with ``--resume`` (zh and en)."""
    import shlex

    again = shlex.join(["linkage", *args, "--resume"])
    return (f"interrupted — the finished tasks are kept in {out}; to complete the sweep run: {again}\n"
            f"已中断：已完成的任务保存在 {out}；继续运行：{again}")


def _main(argv: list[str] | None = None) -> None:
    """Stand-alone entry (same error handling as ``linkage``): bad input → one line per problem, exit 1."""
    app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    try:
        app(args=argv, standalone_mode=False, prog_name="linkage")
    except InputError as e:
        for p in e.problems:
            _err.print(str(p), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except OSError as e:
        _err.print(os_error_line(e), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.TyperException as e:  # click usage errors
        _err.print(e.format_message(), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    _main()
