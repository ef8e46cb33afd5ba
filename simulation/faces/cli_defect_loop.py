"""``linkage defect-loop`` — run the defect-discovery loop (隐患排查闭环) and print its outcomes.

Mount with ``cli_defect_loop.register(app)``. Bad options print one line
(``linkage defect-loop: --grids: Input should be greater than or equal to 1``) and exit 1 — no
traceback, nothing written. ``--out DIR`` writes ``summary.json``, ``daily.parquet`` (city per day) and
``backlog.parquet`` (department per day), all or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from scenarios.defect_loop import PUTUO_GRIDS, PUTUO_RECTIFICATION_RATE, DefectLoopSpec, PatrolSpec
from scenarios.errors import InputError, Problem
from simulation.model.defect_loop import DefectLoopResult, simulate

CMD = "linkage defect-loop"
_OPTION = {"grids": "--grids", "days": "--days", "grid_model": "--grid-model", "workers_per_grid": "--workers-per-grid"}
_TIMES = [("time_to_find", "发现用时 time to find"), ("time_to_department", "送达部门 time to department"),
          ("acknowledge", "签收 acknowledge"), ("queue_wait", "等待处置 wait for inspector"),
          ("time_to_close", "整改闭环 time to rectify and close")]


def _spec(grids: int, workers: float | None, days: float, grid_model: str) -> DefectLoopSpec:
    try:
        patrol = PatrolSpec() if workers is None else PatrolSpec(workers_per_grid=workers)
        return DefectLoopSpec(grids=grids, days=days, grid_model=grid_model, patrol=patrol)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field = str(err["loc"][-1]) if err["loc"] else ""
            problems.append(Problem(CMD, None, _OPTION.get(field, field), err["msg"].removeprefix("Value error, ")))
        raise InputError(problems) from None


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.2f} %"


def _d(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def outcomes_table(results: list[DefectLoopResult]) -> Table:
    """The outcomes side by side (one column per grid model); times in days."""
    first = results[0]
    t = Table(
        title=f"隐患排查闭环 defect-discovery loop · {first.grids:,} grids · {first.grid_workers:,} grid workers · "
        f"{first.days:g} days · seed {first.seed}",
        caption="times in days: mean / p50 / p90 · backlog: open cases at the end / mean per day",
    )
    t.add_column("指标 outcome")
    for r in results:
        t.add_column(
            f"{'多网合一 integrated' if r.grid_model == 'integrated' else '多网并行 parallel'}", justify="right"
        )
    sums = [r.summary() for r in results]

    def row(label: str, values: list[str]) -> None:
        t.add_row(label, *values)

    for key, label in (
        ("arisen", "新生隐患 hazards arisen"),
        ("found", "发现 found"),
        ("closed", "整改销号 closed"),
        ("dropped", "漏转丢失 dropped"),
        ("misrouted", "错转 misrouted"),
        ("overdue", "超期整改 overdue"),
        ("relapsed", "回潮 relapsed"),
        ("undetected", "未发现 not yet found"),
    ):
        row(label, [f"{s['counts'][key]:,}" for s in sums])
    row("在办 open at end", [f"{r.open_direct:,}" for r in results])
    row(
        f"整改率 rectification rate (Putuo: {100 * PUTUO_RECTIFICATION_RATE:.2f} %)",
        [_pct(s["rectification_rate"]) for s in sums],
    )
    for key, label in _TIMES:
        row(label, [
            " / ".join(_d(s["times_days"][key][m]) for m in ("mean", "p50", "p90")) for s in sums])
    for dep in first.departments:
        row(f"积压 backlog · {dep}", [f"{s['backlog_end'][dep]:,} / {s['backlog_mean'][dep]:,.0f}" for s in sums])
    row(
        "事件 events (per s)",
        [f"{r.events_processed:,} ({r.events_processed / max(r.wall_seconds, 1e-9):,.0f}/s)" for r in results],
    )
    return t


def write_outputs(results: list[DefectLoopResult], out: Path) -> None:
    """The files as one output folder, all or nothing; an earlier Linkage output folder at ``out`` is
    replaced whole (:func:`simulation.experiments.outputs.output_folder`)."""
    from simulation.experiments.outputs import output_folder

    with output_folder(out, "defect-loop") as tmp:
        daily: dict[str, list] = {k: [] for k in ("grid_model", "day", "found", "dropped", "closed", "backlog")}
        dept: dict[str, list] = {k: [] for k in ("grid_model", "day", "department", "entered", "closed", "backlog")}
        for r in results:
            backlog = r.backlog_daily()
            n = r.found_daily.size
            daily["grid_model"] += [r.grid_model] * n
            daily["day"] += list(range(n))
            daily["found"] += r.found_daily.tolist()
            daily["dropped"] += r.dropped_daily.tolist()
            daily["closed"] += r.closed_daily.sum(axis=0).tolist()
            daily["backlog"] += backlog.sum(axis=0).tolist()
            for i, d in enumerate(r.departments):
                dept["grid_model"] += [r.grid_model] * n
                dept["day"] += list(range(n))
                dept["department"] += [d] * n
                dept["entered"] += r.entered_daily[i].tolist()
                dept["closed"] += r.closed_daily[i].tolist()
                dept["backlog"] += backlog[i].tolist()
        pq.write_table(pa.table(daily), tmp / "daily.parquet")
        pq.write_table(pa.table(dept), tmp / "backlog.parquet")
        summary = {r.grid_model: r.summary() for r in results}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


def _check_out(out: Path) -> None:
    """Refuse ``--out`` before any work (a file; a folder Linkage did not write), in this command's words."""
    from simulation.experiments.outputs import check_out

    try:
        check_out(out, CMD)
    except InputError as e:
        raise InputError([Problem(CMD, None, "--out", p.message) for p in e.problems]) from None


def register(app: typer.Typer) -> None:
    """Add ``defect-loop`` to the ``linkage`` app."""

    @app.command("defect-loop")
    def defect_loop(
        grids: Annotated[
            int, typer.Option("--grids", help="Number of grids (Putuo ≈ 1,240; Chongqing 68,000).")
        ] = PUTUO_GRIDS,
        workers_per_grid: Annotated[
            float | None,
            typer.Option("--workers-per-grid", help="Grid workers per grid (default 128,000/68,000 ≈ 1.88)."),
        ] = None,
        days: Annotated[float, typer.Option("--days", help="Days to simulate.")] = 365.0,
        grid_model: Annotated[str, typer.Option("--grid-model", help="parallel | integrated | both.")] = "both",
        seed: Annotated[int, typer.Option("--seed", help="Run seed (same seed, same results).")] = 0,
        out: Annotated[
            Path | None, typer.Option("--out", help="Folder for summary.json, daily.parquet, backlog.parquet.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of a table.")] = False,
    ) -> None:
        """Simulate the defect-discovery loop (排查发现 → 抄告联勤 → 联动整治 → 固化成效); times in days."""
        if grid_model not in ("parallel", "integrated", "both"):
            raise InputError.one(
                CMD, None, "--grid-model", f"must be parallel, integrated or both (got '{grid_model}')"
            )
        if seed < 0:
            raise InputError.one(CMD, None, "--seed", f"must be non-negative (got {seed})")
        if out is not None:
            _check_out(out)
        models: list[Literal["integrated", "parallel"]] = (
            ["integrated", "parallel"] if grid_model == "both" else [grid_model]
        )  # type: ignore[list-item]
        specs = [_spec(grids, workers_per_grid, days, m) for m in models]
        results = [simulate(s, seed) for s in specs]
        if out is not None:
            write_outputs(results, out)
        console = Console()
        if as_json:
            console.print_json(json.dumps({r.grid_model: r.summary() for r in results}, ensure_ascii=False))
        else:
            console.print(outcomes_table(results))
            if out is not None:
                console.print(f"wrote {out}/summary.json, daily.parquet, backlog.parquet")
