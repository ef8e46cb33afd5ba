"""An incident log written by the engine itself (引擎生成的接处警记录), in the template's format.

It is what ``linkage calibrate`` is checked on: a log the engine generated from known parameters must
be fitted back to them (tests/validation/test_calibration_recovery.py), and it is the shipped example
log (``simulation/district/examples/routine_log/``). One replication's routine incidents become one row
each: the service from the intake centre that took the call (its role), the call received (the engine's
``t_detect``: the call reaching the centre), dispatched (``t_dispatch``), left the station (the first unit's
turnout ended: its arrival less its road time at the dispatch hour's factor — the engine's travel is
deterministic, so this is the turnout it drew), arrived (``t_first_arrival``),
first action (the dispatching task's ``started``), closed (``t_close``) and the first unit's station.
Times are clock times from ``day_one`` at midnight plus the scenario's ``clock_start``, cut to whole
seconds as a real log keeps them.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta
from pathlib import Path

from scenarios.schema import Scenario
from simulation.experiments.calibration_turnout import engine_left
from simulation.model.world import World

HEADERS_EN = ("incident_id", "service", "type", "grid", "street", "station", "call_time", "dispatch_time",
              "left_time", "arrival_time", "action_time", "close_time")
HEADERS_ZH = ("事件编号", "接警台", "事件类型", "网格", "街道", "出动站点", "接警时间", "调派时间", "出动时间",
              "到场时间", "开始处置时间", "结束时间")
ROLE_SERVICE = {"centre_119": "119", "centre_110": "110", "centre_120": "120", "hotline_12345": "12345"}


def engine_log(sc: Scenario, world: World, seed: int, day_one: datetime = datetime(2026, 3, 2),
               replication: int = 0) -> list[list[str]]:
    """Rows (without header) of the log of one replication of ``sc``: one per incident an intake centre took."""
    from simulation.experiments.runner import run

    res = run(sc, 1, seed, world=world, first_replication=replication)
    inc = res.incidents.to_pylist()
    started = {(t["incident"], t["task"]): t["started"] for t in res.tasks.to_pylist()}
    role = {a.id: a.role for a in sc.agencies}
    station = {u.name: u.station for u in world.units}
    first_task = {k: next((t.id for t in it.tasks if t.unit is not None and not t.after), None)
                  for k, it in sc.incident_types.items()}
    left = engine_left(sc, world)
    origin = day_one + timedelta(seconds=sc.clock_start)

    def stamp(t: float | None) -> str:
        if t is None or not math.isfinite(t):
            return ""
        return (origin + timedelta(seconds=math.floor(t))).strftime("%Y-%m-%d %H:%M:%S")

    rows = []
    for r in sorted(inc, key=lambda r: (r["t_detect"] is None, r["t_detect"] or 0.0, r["incident"])):
        service = ROLE_SERVICE.get(role.get(r["receiver"] or "", ""))
        if service is None or r["t_detect"] is None:
            continue
        grid = r["grid"]
        rows.append([r["incident"], service, r["type"], grid, world.citymap.street_of(grid),
                     station.get(r["first_unit"] or "", ""), stamp(r["t_detect"]), stamp(r["t_dispatch"]),
                     stamp(left(r)), stamp(r["t_first_arrival"]),
                     stamp(started.get((r["incident"], first_task[r["type"]]))),
                     stamp(r["t_close"])])
    return rows


def write_log(rows: list[list[str]], path: str | Path, zh: bool = False) -> Path:
    """The rows as a template CSV (UTF-8 with BOM, as a spreadsheet saves it), English or Chinese headers."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS_ZH if zh else HEADERS_EN)
        w.writerows(rows)
    return path


EXAMPLE = Path(__file__).resolve().parents[1] / "district" / "examples" / "routine_log" / "incident_log.csv"
"""The shipped example log: the bundled ``routine_load`` scenario, replication 0 of seed :data:`EXAMPLE_SEED`."""
EXAMPLE_SEED = 2026


def main() -> None:
    """Rewrite the shipped example log: ``python -m simulation.experiments.calibration_log``."""
    from simulation.experiments.api import prepare

    sc, world = prepare(Path(__file__).resolve().parents[2] / "scenarios" / "library" / "routine_load.yaml")
    print(f"wrote {write_log(engine_log(sc, world, EXAMPLE_SEED), EXAMPLE)}")


if __name__ == "__main__":
    main()
