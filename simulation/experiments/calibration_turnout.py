"""The units' turnout (出动时间) fitted from a log's dispatched → left-the-station times (标定).

The engine draws each dispatched unit's turnout from its ``units[…].turnout`` (time from the dispatch order to
leaving the station) and adds the road time; the log's ``left_time`` (出动时间) is when the first unit on scene
rolled out, so left − dispatched is one turnout draw of that unit's kind. One distribution is fitted per unit
kind (engine, patrol, ambulance …) — fixed, log-normal, exponential or uniform, whichever has the lowest AIC
(:func:`~simulation.experiments.calibration_fit.duration`) — and written to every ``units`` entry of that kind.

Left out: a task that sends more than one unit (the first to arrive is the fastest of several draws, not one
draw), and a row without a left time. A log without the column fits everything else and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from scenarios.schema import Scenario
from simulation.experiments.calibration_fit import duration
from simulation.model.world import World

if TYPE_CHECKING:
    from simulation.experiments.calibration import Fit


def nearest_station(world: World, kind: str, grid: int) -> str:
    """The station with a unit of ``kind`` nearest to ``grid`` by road (ties by id)."""
    rows = {u.station: u.station_row for u in world.units if u.kind == kind}
    return min(rows, key=lambda s: (float(world.travel[rows[s], grid]), s))


def engine_left(sc: Scenario, world: World) -> Callable[[dict], float | None]:
    """When the first unit of an engine's incident record left its station: its arrival less the road time it
    drove at the dispatch hour's factor (the engine's travel is deterministic, so this is the turnout it drew);
    None under mutual aid or without a dispatch."""
    units = {u.name: u for u in world.units}
    by_hour = sc.dispatch.travel_factor_by_hour

    def left(r: dict) -> float | None:
        u = units.get(r["first_unit"] or "")
        if u is None or r["t_dispatch"] is None or r["t_first_arrival"] is None:
            return None
        factor = 1.0 if by_hour is None else by_hour[int((sc.clock_start + r["t_dispatch"]) % 86400 // 3600)]
        road = world.travel.item(u.station_row, world.citymap.index[r["grid"]]) * factor
        # to the microsecond: the subtraction's float noise would put a fixed 60 s turnout at 60.0000001 s
        return round(r["t_first_arrival"] - road, 6)

    return left


def turnout_samples(fit: Fit) -> tuple[dict[str, np.ndarray], int]:
    """Per unit kind, the fitted days' left − dispatched seconds; and how many rows sent several units."""
    out: dict[str, list[float]] = {}
    several = 0
    for c in fit.fitted:
        if math.isnan(c.dispatch) or math.isnan(c.left):
            continue
        if c.task.count > 1:
            several += 1
            continue
        out.setdefault(c.task.unit, []).append(c.left - c.dispatch)
    return {k: np.asarray(v) for k, v in out.items()}, several


def fit_turnout(fit: Fit, sc: Scenario, world: World) -> None:
    """Estimates, the overlay's ``units`` list (every entry restated: the list has no ids to merge by) and notes."""
    if all(math.isnan(c.left) for c in fit.fitted):
        fit.notes.append(("日志没有出动时间（left_time / 出动时间）：出动时间未标定，沿用情景的值；"
                          "道路水平按调派→到场减去情景出动时间的均值拟合",
                          "the log gives no time the unit left the station (left_time / 出动时间): the turnout is "
                          "not fitted and stays the scenario's; the road level is fitted on dispatch → arrival less "
                          "the scenario's mean turnout"))
        return
    samples, several = turnout_samples(fit)
    fitted: dict[str, dict] = {}
    for kind, x in sorted(samples.items()):
        if x.size < 2:
            continue
        tf = duration(f"units[{kind}].turnout", f"{kind} 出动（调派→出动）/ turnout (dispatch → left)", x,
                      with_uniform=True)
        fit.estimates += tf.estimates
        fitted[kind] = tf.dist
        own = {str(u.turnout.model_dump(mode="json")) for u in sc.units if u.kind == kind}
        if len(own) > 1:
            fit.notes.append((f"情景中各站 {kind} 的出动时间不同：日志拟合出一个分布，写入全部 {kind}",
                              f"the scenario's {kind} turnouts differ by station: the log gives one distribution, "
                              f"written to every {kind}"))
    if several:
        fit.notes.append((f"{several} 起事件的首个任务出动多个单位：先到者是多次抽样中最快的，不计入出动时间拟合",
                          f"{several} incidents' first task sends several units: the first on scene is the fastest "
                          "of several draws, so they are left out of the turnout fit"))
    if fitted:
        units = []
        for u in sc.units:
            units.append({"station": u.station, "kind": u.kind, "count": u.count,
                          "turnout": fitted.get(u.kind) or u.turnout.model_dump(mode="json")})
        fit.overlay["units"] = units
