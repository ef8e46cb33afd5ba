"""``linkage year`` — a routine year split across workers (特大城市全年日常警情的分布式运行).

Registered on the main typer app by ``register(app)``. The library side is
:func:`simulation.experiments.api.year` (:mod:`simulation.experiments.megacity`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulation.faces.cli_district import DistrictOpt, on_district
from simulation.faces.flags import AllowLargeOpt, cli_flags

_out = Console(soft_wrap=True)
_err = Console(stderr=True)

def _num(v: object, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def print_months(months, title: str, names: dict[str, str] | None = None) -> None:  # noqa: ANN001 - pyarrow.Table
    """One row per (type, month) of the first replication: incidents, mutual aid, first arrival (``names``: the
    incident types' names, else their ids)."""
    t = Table(title=title)
    for col in ("type 类型", "month 月", "incidents 事件", "mutual aid 增援 %", "other district 跨区 %",
                "first arrival mean 首车均值 min", "p90 min"):
        t.add_column(col, justify="left" if col.startswith("type") else "right")
    for r in months.to_pylist():
        if r["replication"] != 0:
            continue
        dispatched = r["own_area"] + r["neighbour_area"] + r["other_district"] + r["external"]
        other = 100.0 * r["other_district"] / dispatched if dispatched else None
        share = None if r["mutual_aid_share"] is None else 100.0 * r["mutual_aid_share"]
        t.add_row((names or {}).get(r["type"], r["type"]), str(r["month"]), f"{r['incidents']:,}", _num(share, ".1f"),
                  _num(other, ".2f"), _num(r["first_arrival_mean_min"], ".1f"), _num(r["first_arrival_p90_min"], ".0f"))
    _out.print(t)


def register(app: typer.Typer) -> None:
    """Add ``year`` to ``app``."""

    @app.command("year")
    def year_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML with routine streams (e.g. megacity_year.yaml).",
                                                 show_default=False)],
        by: Annotated[str, typer.Option("--by", help="Split by replication or by district (cuts cross-district "
                                                     "mutual aid; see docs/megacity.md).")] = "replication",
        n: Annotated[int, typer.Option("-n", "--replications", help="Years (replications).")] = 1,
        seed: Annotated[int, typer.Option("--seed", help="Run seed.")] = 0,
        workers: Annotated[int | None, typer.Option("--workers", help="Local worker processes (default: this "
                                                                      "process only).")] = None,
        scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786) "
                                                                          "instead of local processes.")] = None,
        out: Annotated[Path | None,
                       typer.Option("--out", help="Output folder (months.parquet, calls.parquet).")] = None,
        district: DistrictOpt = None,
        allow_large: AllowLargeOpt = False,
    ) -> None:
        """A routine year (or several) of 110/119/120/12345 load split across workers: incidents, mutual aid and
        first arrival per type and month; the same tables for the same seed on any executor."""
        from simulation.experiments import api
        from simulation.experiments.outputs import YEAR_TABLES, check_out

        with cli_flags():
            if out is not None:
                check_out(out, "year")  # before any work
            target = on_district(scenario, district)
            with Progress(TextColumn("parts 分块"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=_err, transient=True, disable=not _err.is_terminal) as prog:
                task = prog.add_task("year", total=None)
                result = api.year(target, n, seed, by=by, workers=workers, scheduler=scheduler,
                                  progress=lambda done, total: prog.update(task, completed=done, total=total),
                                  allow_large=allow_large)
            if out is not None:
                result.write(out)
        for r in result.calls.to_pylist():
            if r["replication"] == 0:
                _out.print(f"{r['stream']}: {r['calls']:,} calls 来电 → {r['incidents']:,} incidents 事件",
                           markup=False)
        print_months(result.months, f"Replication 0 by month (seed {seed}, split by {by}) 第0次重复逐月",
                     result.type_names)
        if out is not None:
            _out.print(f"wrote {out}/" + ", ".join(f"{t}.parquet" for t in YEAR_TABLES), markup=False)
