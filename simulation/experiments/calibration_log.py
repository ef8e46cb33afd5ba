"""An incident log and a 12345 export written by the engine itself (引擎生成的接处警记录与12345工单), in the
templates' formats.

It is what ``linkage calibrate`` is checked on: a log the engine generated from known parameters must
be fitted back to them (tests/validation/test_calibration_recovery.py), and it is the shipped example
log (``simulation/district/examples/routine_log/``). One replication's routine incidents become one row
each: the service from the intake centre that took the call (its role), the call received (the engine's
``t_detect``: the call reaching the centre), dispatched (``t_dispatch``), left the station (the first unit's
turnout ended: its arrival less its road time at the dispatch hour's factor — the engine's travel is
deterministic, so this is the turnout it drew), arrived (``t_first_arrival``),
first action (the dispatching task's ``started``), closed (``t_close``) and the first unit's station.
Times are clock times from ``day_one`` at midnight plus the scenario's ``clock_start``, cut to whole
seconds as a real log keeps them. The 12345 export is the same replication's work orders (:func:`order_rows`).
"""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta
from pathlib import Path

from scenarios.schema import Scenario
from simulation.experiments.calibration_turnout import engine_left
from simulation.model.records import REJECT_REASONS
from simulation.model.world import World

HEADERS = {
    "incident_log": (("incident_id", "service", "type", "grid", "street", "station", "call_time", "dispatch_time",
                      "left_time", "arrival_time", "action_time", "close_time"),
                     ("事件编号", "接警台", "事件类型", "网格", "街道", "出动站点", "接警时间", "调派时间", "出动时间",
                      "到场时间", "开始处置时间", "结束时间")),
    "workorder_log": (("order_id", "dispatch_no", "type", "task", "grid", "agency", "status", "ruling", "dispatch_time",
                       "sign_time", "reject_time", "reject_reason", "redispatch_time", "withdraw_time", "close_time"),
                      ("工单编号", "派单序号", "事件类型", "任务", "网格", "承办单位", "状态", "审定", "派单时间",
                       "签收时间", "退单时间", "退单理由", "改派时间", "撤回时间", "办结时间")),
}
"""The template's (English, Chinese) headers of each table (the district's tables; experiments may not import
them: a test checks they agree)."""
ROLE_SERVICE = {"centre_119": "119", "centre_110": "110", "centre_120": "120", "hotline_12345": "12345"}


class _Clock:
    """Engine seconds → the log's clock times, cut to whole seconds as a real log keeps them."""

    def __init__(self, sc: Scenario, day_one: datetime) -> None:
        self.origin = day_one + timedelta(seconds=sc.clock_start)

    def __call__(self, t: float | None) -> str:
        if t is None or not math.isfinite(t):
            return ""
        return (self.origin + timedelta(seconds=math.floor(t))).strftime("%Y-%m-%d %H:%M:%S")


def engine_exports(sc: Scenario, world: World, seed: int, day_one: datetime = datetime(2026, 3, 2),
                   replication: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """One replication of ``sc`` as (the incident log's rows, the 12345 export's rows), without headers."""
    from simulation.experiments.runner import run

    res = run(sc, 1, seed, world=world, first_replication=replication)
    stamp = _Clock(sc, day_one)
    return _log_rows(sc, world, res, stamp), order_rows(res.workorders.to_pylist(), res.incidents.to_pylist(), stamp)


def engine_log(sc: Scenario, world: World, seed: int, day_one: datetime = datetime(2026, 3, 2),
               replication: int = 0) -> list[list[str]]:
    """Rows (without header) of the log of one replication of ``sc``: one per incident an intake centre took and
    sent a unit to on its own order (a case that goes by work order is in the 12345 export instead)."""
    return engine_exports(sc, world, seed, day_one, replication)[0]


def _log_rows(sc: Scenario, world: World, res, stamp: _Clock) -> list[list[str]]:
    inc = res.incidents.to_pylist()
    started = {(t["incident"], t["task"]): t["started"] for t in res.tasks.to_pylist()}
    role = {a.id: a.role for a in sc.agencies}
    station = {u.name: u.station for u in world.units}
    first_task = {k: next((t.id for t in it.tasks if t.unit is not None and not t.after and t.by == "command"), None)
                  for k, it in sc.incident_types.items()}
    left = engine_left(sc, world)
    rows = []
    for r in sorted(inc, key=lambda r: (r["t_detect"] is None, r["t_detect"] or 0.0, r["incident"])):
        service = ROLE_SERVICE.get(role.get(r["receiver"] or "", ""))
        if service is None or r["t_detect"] is None or first_task[r["type"]] is None:
            continue
        grid = r["grid"]
        rows.append([r["incident"], service, r["type"], grid, world.citymap.street_of(grid),
                     station.get(r["first_unit"] or "", ""), stamp(r["t_detect"]), stamp(r["t_dispatch"]),
                     stamp(left(r)), stamp(r["t_first_arrival"]),
                     stamp(started.get((r["incident"], first_task[r["type"]]))),
                     stamp(r["t_close"])])
    return rows


def order_rows(orders: list[dict], incidents: list[dict], stamp) -> list[list[str]]:
    """The engine's work orders as the 12345 export's rows: one per dispatch, in the order of the first dispatch.

    A case is the incident's task (``INCIDENT.TASK``); an order issued on a ruling (审定) or reopened after a
    failed check (核查) binds; a rejected order whose case was sent on to a plain re-dispatch is ``redispatched``
    with that dispatch's time; a withdrawn order is one supervision (督办) took up; ``closed`` once verified."""
    kind = {r["incident"]: (r["type"], r["grid"]) for r in incidents}
    cases: dict[tuple[str, str], list[dict]] = {}
    for o in orders:
        cases.setdefault((o["incident"], o["task"]), []).append(o)
    rows = []
    for (incident, task), mine in sorted(cases.items(), key=lambda kv: (min(o["t_dispatched"] for o in kv[1]), kv[0])):
        mine.sort(key=lambda o: o["order_no"])
        binding = [o["t_arbitrated"] is not None or (k > 0 and mine[k - 1]["outcome"] == "reopened")
                   for k, o in enumerate(mine)]
        for k, o in enumerate(mine):
            status = {"signed": "closed" if o["t_verified"] is not None else "signed", "reopened": "signed",
                      "cancelled": "withdrawn", "open": "dispatched", "rejected": "rejected"}[o["outcome"]]
            onward = mine[k + 1]["t_dispatched"] if status == "rejected" and k + 1 < len(mine) and not binding[k + 1] \
                else None
            if onward is not None:
                status = "redispatched"
            itype, grid = kind[incident]
            rows.append([f"{incident}.{task}", o["order_no"], itype, task, grid, o["to_agency"], status,
                         "是" if binding[k] else "否", stamp(o["t_dispatched"]), stamp(o["t_signed"]),
                         stamp(o["t_rejected"]), REJECT_REASONS.get(o["reject_reason"] or "", ""), stamp(onward),
                         stamp(o["t_supervised"] if status == "withdrawn" else None),
                         stamp(o["t_verified"] if status == "closed" else None)])
    return rows


def write_log(rows: list[list[str]], path: str | Path, zh: bool = False, table: str = "incident_log") -> Path:
    """The rows as a template CSV (UTF-8 with BOM, as a spreadsheet saves it), English or Chinese headers; the
    ``incident_log`` or the ``workorder_log`` table (its headers: :data:`HEADERS`)."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS[table][1 if zh else 0])
        w.writerows(rows)
    return path


EXAMPLE = Path(__file__).resolve().parents[1] / "district" / "examples" / "routine_log" / "incident_log.csv"
"""The shipped example log: the bundled ``routine_load`` scenario, replication 0 of seed :data:`EXAMPLE_SEED`."""
EXAMPLE_ORDERS = EXAMPLE.with_name("workorder_log.csv")
"""The shipped example 12345 export, from the same replication."""
EXAMPLE_SEED = 2026


def main() -> None:
    """Rewrite the shipped example log and export: ``python -m simulation.experiments.calibration_log``."""
    from simulation.experiments.api import prepare

    sc, world = prepare(Path(__file__).resolve().parents[2] / "scenarios" / "library" / "routine_load.yaml")
    log, orders = engine_exports(sc, world, EXAMPLE_SEED)
    print(f"wrote {write_log(log, EXAMPLE)} and {write_log(orders, EXAMPLE_ORDERS, table='workorder_log')}")


if __name__ == "__main__":
    main()
