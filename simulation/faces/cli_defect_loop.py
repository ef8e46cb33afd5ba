"""``linkage defect-loop`` (alias ``hazard-loop``) — the hidden-hazard loop (隐患排查闭环) under arrangements.

Mount with ``cli_defect_loop.register(app)``. ``-a ARRANGEMENT`` (repeatable; bundled name or YAML file) runs
every arrangement with common random numbers, the first as the baseline. Bad options print one line
(``linkage defect-loop: --grids: Input should be greater than or equal to 1``) and exit 1 — no traceback,
nothing written. ``--out DIR`` writes the output contract's loop tables (``outputs.LOOP_TABLES``) and
``summary.json``, all or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from scenarios.defect_loop import PUTUO_GRIDS, PUTUO_RECTIFICATION_RATE, DefectLoopSpec, PatrolSpec
from scenarios.errors import InputError, Problem

CMD = "linkage defect-loop"
_OPTION = {"grids": "--grids", "days": "--days", "workers_per_grid": "--workers-per-grid",
           "follow_up": "--no-follow-up"}
DEFAULT_ARMS = ["integrated_grid", "parallel_grids"]
_ROWS = [
    ("found", "发现 found", "{:,.0f}"), ("closed", "整改销号 closed", "{:,.0f}"),
    ("rectified_share", f"整改率 rectified share (Putuo {PUTUO_RECTIFICATION_RATE:.2%})", "{:.2%}"),
    ("found_to_closed_mean", "发现→销号 found→closed, mean (days)", "{:.1f}"),
    ("found_to_closed_p50", "  p50 (days)", "{:.1f}"), ("found_to_closed_p90", "  p90 (days)", "{:.1f}"),
    ("duplicate_visits", "重复上门 duplicate visits", "{:,.0f}"), ("bounced_orders", "退单 bounced orders", "{:,.0f}"),
    ("dropped_orders", "漏转 dropped orders", "{:,.0f}"), ("inspector_days", "执法人员工日 inspector-days", "{:,.0f}"),
    ("wasted_inspector_days", "  on duplicates and returns 重复与退单", "{:,.0f}"),
    ("legal_documents", "法律文书 legal documents", "{:,.0f}"), ("notices", "  整改指令 notices", "{:,.0f}"),
    ("penalties", "  处罚 penalties", "{:,.0f}"), ("suspensions", "  三停 suspensions", "{:,.0f}"),
    ("relapses", "回潮 relapses", "{:,.0f}"), ("reworks", "复查不合格返工 reworks", "{:,.0f}"),
]


def _spec(grids: int, workers: float | None, days: float, follow_up: bool) -> DefectLoopSpec:
    try:
        patrol = PatrolSpec() if workers is None else PatrolSpec(workers_per_grid=workers)
        return DefectLoopSpec(grids=grids, days=days, patrol=patrol, follow_up=follow_up)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field = str(err["loc"][-1]) if err["loc"] else ""
            problems.append(Problem(CMD, None, _OPTION.get(field, field), err["msg"].removeprefix("Value error, ")))
        raise InputError(problems) from None


def _arms(refs: list[str], spec: DefectLoopSpec) -> list:
    """Load every arrangement and check its hazard list against the loop's departments, before any work; a
    problem names the file (or bundled name) and the field."""
    from scenarios.loader import load_arrangement
    from simulation.model.defect_loop import routing_for

    arms = []
    for ref in refs:
        try:
            arr = load_arrangement(ref)
        except InputError as e:
            raise InputError([Problem(CMD, None, "-a", p.message) for p in e.problems]) from None
        try:
            routing_for(spec, arr)
        except ValueError as e:
            raise InputError.one(ref, None, "hazard_categories", str(e)) from None
        arms.append((Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref, arr))
    return arms


def outcomes_table(cmp) -> Table:  # noqa: ANN001 (LoopComparison, imported lazily)
    """Means over the replications side by side, one column per arrangement; the leak per stage below."""
    from simulation.experiments.loop import LEAK_STAGES

    spec, first = cmp.spec, cmp.runs[cmp.arrangements[0]][0]
    n = len(cmp.runs[cmp.arrangements[0]])
    follow = "on" if spec.follow_up else "off"
    t = Table(title=f"隐患闭环 hidden-hazard loop · {first.grids:,} grids · {first.grid_workers:,} grid workers · "
              f"{spec.days:g} days · {n} replication(s) · seed {cmp.seed} · follow-up {follow}",
              caption="means over the replications, common random numbers; hazards at the horizon: where each "
                      "hazard that arose is (they sum to the hazards arisen)")
    t.add_column("指标 outcome")
    for arm in cmp.arrangements:
        t.add_column(arm, justify="right")
    for key, label, fmt in _ROWS:
        t.add_row(label, *("—" if (v := cmp.mean(a, key)) is None else fmt.format(v) for a in cmp.arrangements))
    t.add_section()
    from scenarios.defect_loop import CATEGORY_NAMES, CHANNEL_NAMES

    def found(arm: str, by: str, key: str) -> str:
        runs = cmp.runs[arm]
        return f"{sum(getattr(r, by)()[key] for r in runs) / len(runs):,.0f}"

    for ch, name in CHANNEL_NAMES.items():
        t.add_row(f"发现 found · {name.zh} {name.en}", *(found(a, "found_by_channel", ch) for a in cmp.arrangements))
    for cat in first.categories:
        name = CATEGORY_NAMES[cat]
        t.add_row(f"发现 found · {name.zh} {name.en}", *(found(a, "found_by_category", cat) for a in cmp.arrangements))
    t.add_section()
    t.add_row("新生隐患 hazards arisen", *(f"{cmp.mean(a, 'arisen'):,.0f}" for a in cmp.arrangements))
    for stage, label in LEAK_STAGES:
        t.add_row(f"  {label}", *(f"{cmp.mean(a, f'hazards_{stage}'):,.0f}" for a in cmp.arrangements))
    return t


def write_outputs(cmp, out: Path) -> list[str]:  # noqa: ANN001
    """The loop tables and ``summary.json`` as one output folder (all or nothing); returns the file names."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.experiments.loop import loop_tables
    from simulation.experiments.outputs import output_folder

    names = []
    with output_folder(out, "defect-loop") as tmp:
        for name, cols in loop_tables(cmp).items():
            pq.write_table(pa.table(cols), tmp / f"{name}.parquet")
            names.append(f"{name}.parquet")
        summary = {a: [r.summary() for r in cmp.runs[a]] for a in cmp.arrangements}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        names.append("summary.json")
    return names


def _check_out(out: Path) -> None:
    from simulation.experiments.outputs import check_out

    try:
        check_out(out, CMD)
    except InputError as e:
        raise InputError([Problem(CMD, None, "--out", p.message) for p in e.problems]) from None


def register(app: typer.Typer) -> None:
    """Add ``defect-loop`` and its alias ``hazard-loop`` to the ``linkage`` app."""

    def defect_loop(
        arrangement: Annotated[list[str] | None, typer.Option(
            "-a", "--arrangement", help="Arrangement (bundled name or YAML file); repeat to compare, the first "
                                        "is the baseline. Default: integrated_grid and parallel_grids.")] = None,
        grids: Annotated[int, typer.Option("--grids", help="Number of grids (Putuo ≈ 1,240; Chongqing 68,000).")
                         ] = PUTUO_GRIDS,
        workers_per_grid: Annotated[float | None, typer.Option(
            "--workers-per-grid", help="Grid workers per grid (default 128,000/68,000 ≈ 1.88).")] = None,
        days: Annotated[float, typer.Option("--days", help="Days to simulate.")] = 365.0,
        replications: Annotated[int, typer.Option("-n", "--replications", help="Replications per arrangement.")] = 1,
        seed: Annotated[int, typer.Option("--seed", help="Run seed (same seed, same results).")] = 0,
        no_follow_up: Annotated[bool, typer.Option(
            "--no-follow-up", help="No re-check before closing (固化成效 off): superficial fixes come back.")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="Folder for the loop tables and summary.json.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summaries as JSON, not a table.")] = False,
    ) -> None:
        """The hidden-hazard loop (排查发现 → 抄告联勤 → 联动整治 → 固化成效) under arrangements; times in days."""
        from scenarios.limits import MAX_SEED
        from simulation.experiments.loop import compare_loop

        if seed < 0:
            raise InputError.one(CMD, None, "--seed", f"must be non-negative (got {seed})")
        if seed > MAX_SEED:  # the tables store it as int64: a larger seed ran the whole loop, then failed writing
            raise InputError.one(CMD, None, "--seed", f"must be at most 2**63 - 1 = {MAX_SEED} (got {seed})")
        if not 1 <= replications <= 1000:
            raise InputError.one(CMD, None, "--replications", f"must be between 1 and 1000 (got {replications})")
        spec = _spec(grids, workers_per_grid, days, not no_follow_up)
        arms = _arms(arrangement or DEFAULT_ARMS, spec)
        if out is not None:
            _check_out(out)
        try:
            cmp = compare_loop(spec, arms, replications, seed)
        except InputError as e:
            raise InputError([Problem(CMD, None, "-a", p.message) for p in e.problems]) from None
        names = write_outputs(cmp, out) if out is not None else []
        console = Console()
        if as_json:
            console.print_json(json.dumps({a: [r.summary() for r in cmp.runs[a]] for a in cmp.arrangements},
                                          ensure_ascii=False))
        else:
            console.print(outcomes_table(cmp))
            if names:
                console.print(f"wrote {out}/: {', '.join(names)}")

    app.command("defect-loop")(defect_loop)
    app.command("hazard-loop", help="Alias of defect-loop (the issue's name).")(defect_loop)
