"""Calibration from an incident log (事件日志标定): the scenario's own parameters, fitted by maximum likelihood.

What a 119/110/120/12345 log shows, and the engine parameter each interval is (the engine's names):

* calls per hour of day, per service and incident type → the type's routine stream: ``streams[ID].rate_per_hour``
  (per grid) and its 24-hour ``profile`` (mean 1), a non-homogeneous Poisson process with one rate per hour;
* call received → dispatched → the intake centre's desk: ``agencies[CENTRE].desk.handling`` (one-button dispatch,
  一键调度: the centre that takes the call sends the unit once it has handled it and the type's ``verify`` —
  whose mean is subtracted; a scenario whose task waits for the owner's notice and decision is warned about);
* dispatched → left the station (出动) → the first unit's ``units[…].turnout``, one distribution per unit kind
  (:mod:`simulation.experiments.calibration_turnout`; not fitted when the log has no ``left_time``);
* left → arrived (dispatched → arrived less the scenario's turnout where the log has no ``left_time``) → the
  road travel time from the first unit's station (出动站点; the nearest station with a unit of the task's
  kind when the log does not say) × the hour's congestion factor: ``dispatch.travel_factor_by_hour``, whose hourly
  shape is the scenario's (flat if it has none) and whose level the log fixes;
* arrived → first action → closed → the dispatching task's ``setup`` and ``duration`` (log-normal or exponential,
  the better by AIC; fixed when every interval is the same).

Every interval comes with its confidence interval (:mod:`simulation.experiments.calibration_fit`); the fit uses the
log's first whole days and keeps the last ``holdout`` share of them for the back-test
(:mod:`simulation.experiments.backtest`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from scenarios.errors import InputError
from scenarios.schema import Scenario, TaskSpec
from simulation.experiments.calibration_fit import Estimate, duration, lognormal, poisson_rate, road_level
from simulation.experiments.calibration_orders import Order, fit_orders, link, split
from simulation.experiments.calibration_turnout import fit_turnout, nearest_station
from simulation.model.world import World

SERVICE_ROLE = {"119": "centre_119", "110": "centre_110", "120": "centre_120", "12345": "hotline_12345"}
"""The role of the intake centre that takes each service's calls."""
DAY = 86400.0


@dataclass
class Call:
    """One logged incident linked to the scenario: seconds from the window's start (NaN where blank)."""

    line: int
    service: str
    centre: str
    type: str
    task: TaskSpec
    grid: int
    station: str | None
    call: float
    dispatch: float
    left: float
    arrival: float
    action: float
    close: float
    hour: int  # hour of day of the call
    dispatch_hour: int


@dataclass
class Fit:
    """The fitted parameters, the overlay's fields, and the calls kept aside for the back-test."""

    start: datetime
    days: int
    fit_days: int
    estimates: list[Estimate]
    overlay: dict
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    fitted: list[Call] = field(default_factory=list)
    held_out: list[Call] = field(default_factory=list)
    level: float = 1.0
    orders_fitted: list[Order] = field(default_factory=list)  # the 12345 export's (calibration_orders)
    orders_held_out: list[Order] = field(default_factory=list)


def _err(source: str, line: int, column: str, message: str) -> InputError:
    return InputError.one(source, line, f"incident_log.{column}", message)


def dispatching_task(sc: Scenario, itype: str) -> TaskSpec | None:
    """The task that sends the first unit on a command: the first task with a unit and nothing before it that
    does not go by work order (a work order's times are the 12345 export's)."""
    return next((t for t in sc.incident_types[itype].tasks if t.unit is not None and not t.after and t.by == "command"),
                None)


class _Linker:
    """Log rows → :class:`Call` on the scenario's world; an unknown grid, type or station is one error line."""

    def __init__(self, sc: Scenario, world: World, source: str, start: datetime) -> None:
        self.sc, self.world, self.source, self.start = sc, world, source, start
        self.stations = {s.id for s in sc.stations}
        self.kinds = {(u.station, u.kind) for u in world.units}

    def _type(self, rec: dict, centre: str, grid: str) -> str:
        sc, line = self.sc, rec["line"]
        if rec["type"] is not None:
            if rec["type"] not in sc.incident_types:
                raise _err(self.source, line, "type", f"unknown incident type '{rec['type']}' "
                           f"(the scenario's: {', '.join(sorted(sc.incident_types))})")
            return rec["type"]
        mine = sorted(t for t, it in sc.incident_types.items()
                      if any(self.world.resolve(d.report_to, grid) == centre for d in it.detection))
        if len(mine) != 1:
            why = "none" if not mine else ", ".join(mine)
            raise _err(self.source, line, "type", f"blank, and the scenario's types reported to {centre} are "
                       f"{why}: name the incident type")
        return mine[0]

    def _station(self, rec: dict, task: TaskSpec) -> str | None:
        """The station of the first unit: a station id, or a unit's name (``fs1.engine2``) naming one."""
        text = rec["station"]
        if text is None:
            return None
        named = [p for p in text.split(".")[:-1] if p in self.stations]
        station = text if text in self.stations else (named[-1] if named else None)
        if station is None:
            raise _err(self.source, rec["line"], "station", f"unknown station '{text}'")
        if (station, task.unit) not in self.kinds:
            raise _err(self.source, rec["line"], "station", f"station '{station}' has no {task.unit} "
                       "(the unit the incident type's first task needs)")
        return station

    def link(self, rec: dict) -> Call:
        line, w = rec["line"], self.world
        if rec["grid"] not in w.citymap.index:
            raise _err(self.source, line, "grid", f"unknown grid '{rec['grid']}' (not in the scenario's city)")
        role = SERVICE_ROLE[rec["service"]]
        centre = w.resolve(role, rec["grid"])
        if centre is None:
            raise _err(self.source, line, "service", f"the scenario has no {rec['service']} centre (role {role})")
        itype = self._type(rec, centre, rec["grid"])
        task = dispatching_task(self.sc, itype)
        if task is None:
            orders = any(t.by == "work_order" for t in self.sc.incident_types[itype].tasks)
            raise _err(self.source, line, "type", f"incident type '{itype}' has no task that sends a unit on a "
                       "command" + (" (its work orders are fitted from the 12345 export: --orders)" if orders else ""))
        grid = w.citymap.index[rec["grid"]]

        def sec(t: datetime | None) -> float:
            return math.nan if t is None else (t - self.start).total_seconds()

        def hour(t: datetime | None) -> int:
            return -1 if t is None else t.hour

        return Call(line, rec["service"], centre, itype, task, grid, self._station(rec, task),
                    sec(rec["call"]), sec(rec["dispatch"]), sec(rec.get("left")), sec(rec["arrival"]),
                    sec(rec["action"]), sec(rec["close"]),
                    rec["call"].hour, hour(rec["dispatch"]))


def window(records: list[dict], holdout: float, source: str, key: str = "call") -> tuple[datetime, int, int]:
    """(first midnight, whole days the log spans, days used for the fit), by each record's ``key`` time."""
    first = min(r[key] for r in records)
    last = max(r[key] for r in records)
    start = datetime(first.year, first.month, first.day)
    days = (last.date() - first.date()).days + 1
    if holdout <= 0:
        return start, days, days
    if days < 2:
        raise InputError.one("--holdout", None, "holdout", f"{source} spans one day: a back-test needs at least two "
                             "(or --holdout 0)")
    fit_days = min(days - 1, max(1, round(days * (1 - holdout))))
    return start, days, fit_days


def calibrate(records: list[dict], sc: Scenario, world: World, source: str, holdout: float = 0.3) -> Fit:
    """Fit the scenario's parameters to the log ``records`` (from :func:`read_incident_log`); intervals are set
    by the caller (:func:`~simulation.experiments.calibration_fit.set_intervals`) at one family-wise level."""
    first = min(r["call"] for r in records)
    linker = _Linker(sc, world, source, datetime(first.year, first.month, first.day))
    calls = [linker.link(r) for r in records]  # every row checked against the scenario before anything else
    start, days, fit_days = window(records, holdout, source)
    cut = fit_days * DAY
    fit = Fit(start, days, fit_days, [], {}, fitted=[c for c in calls if c.call < cut],
              held_out=[c for c in calls if c.call >= cut])
    _rates(fit, sc, world)
    _desks(fit, sc, _waited(calls, sc, world))
    fit_turnout(fit, sc, world)
    _roads(fit, sc, world)
    _on_scene(fit)
    return fit


def calibrate_orders(fit: Fit | None, records: list[dict], sc: Scenario, world: World, source: str,
                     holdout: float = 0.3, way: str = "engine") -> Fit:
    """Add the 12345 export ``records`` (from :func:`read_workorder_log`) to ``fit`` — on the incident log's window
    and cut when there is one, else on the export's own — and fit the ``work_orders`` parameters
    (:mod:`simulation.experiments.calibration_orders`; ``way``: how the order's way to the desk is sampled,
    :func:`~simulation.experiments.calibration_orders.fit_orders`)."""
    from simulation.experiments.calibration_orders import window as export_window

    first, end = export_window(records)
    if fit is None:
        start, days, fit_days = window(records, holdout, source, key="dispatch")
        fit = Fit(start, days, fit_days, [], {})
    orders = link(records, sc, world, source, fit.start)
    fit.orders_fitted, fit.orders_held_out = split(orders, fit.fit_days * DAY)
    fit_orders(fit, sc, world, end + (first - fit.start).total_seconds(), way)
    return fit


def _rates(fit: Fit, sc: Scenario, world: World) -> None:
    streams = []
    for service, itype in sorted({(c.service, c.type) for c in fit.fitted}):
        mine = [c for c in fit.fitted if c.type == itype]
        spec = next((s for s in sc.streams if s.type == itype), None)
        sid = spec.id if spec is not None else f"calibrated_{itype}"[:64]
        n_grids = len(spec.grids) if spec is not None and spec.grids else world.citymap.n
        counts = np.bincount([c.hour for c in mine], minlength=24)
        exposure = fit.fit_days * n_grids  # grid-hours of each hour of day in the window
        path = f"streams[{sid}]"
        rate = poisson_rate(f"{path}.rate_per_hour", f"{service} {itype} 每网格每小时呼叫 / calls per grid per hour",
                            int(counts.sum()), 24.0 * exposure)
        fit.estimates.append(rate)
        hourly = [poisson_rate(f"{path}.rate_per_hour×profile[{h}]",
                               f"{itype} {h:02d}:00–{h + 1:02d}:00 每网格呼叫 / calls per grid", int(counts[h]),
                               float(exposure)) for h in range(24)]
        fit.estimates += hourly
        profile = [round(float(e.value / rate.value), 4) if rate.value > 0 else 1.0 for e in hourly]
        item = {"id": sid, "type": itype, "rate_per_hour": round(rate.value, 8), "profile": profile}
        streams.append(item)
        if spec is None:
            fit.notes.append((f"情景没有 {itype} 的日常警情流：新增流 {sid}（全部网格）",
                              f"the scenario has no stream of {itype}: stream {sid} added (every grid)"))
    fit.overlay["streams"] = streams


def _mean(d) -> float:
    return float(d.mean())


def _waited(calls: list[Call], sc: Scenario, world: World) -> set[int]:
    """Rows whose dispatch came while every unit of its kind was out — by the log's own dispatch and close
    times plus the road time back to the station (the engine frees a unit when it is home): their call →
    dispatch interval holds a wait for a unit, not the desk's handling (排队等车), so the desk fit leaves them
    out. One second of slack for the log's whole seconds."""
    by_hour = sc.dispatch.travel_factor_by_hour
    rows = {u.station: u.station_row for u in world.units}
    capacity: dict[str, int] = {}
    for u in world.units:
        capacity[u.kind] = capacity.get(u.kind, 0) + 1
    busy: dict[str, list[tuple[float, float]]] = {}
    for c in calls:
        if math.isnan(c.dispatch):
            continue
        station = c.station or nearest_station(world, c.task.unit, c.grid)
        if math.isnan(c.close):
            end = math.inf  # still out when the log ends
        else:
            factor = 1.0 if by_hour is None else by_hour[int(c.close // 3600) % 24]
            end = c.close + float(world.travel[rows[station], c.grid]) * factor
        busy.setdefault(c.task.unit, []).append((c.dispatch, end))
    spans = {k: (np.array([a for a, _ in v]), np.array([b for _, b in v])) for k, v in busy.items()}
    waited = set()
    for c in calls:
        if math.isnan(c.dispatch):
            continue
        start, end = spans[c.task.unit]
        t = c.dispatch - 1.0
        if int(((start <= t) & (end > t)).sum()) >= capacity[c.task.unit]:
            waited.add(c.line)
    return waited


def _desks(fit: Fit, sc: Scenario, waited: set[int]) -> None:
    agencies = []
    on_alarm = {t: a.tasks for t, a in sc.arrangement.incident_types.items()}
    if dropped := sum(c.line in waited for c in fit.fitted):
        fit.notes.append((f"{dropped} 起事件调派时同类力量全部在外（按日志的调派、结束时间与返回路程）：其接警→调派"
                          "含等车时间，不计入接警台处理时间",
                          f"{dropped} incidents were dispatched while every unit of their kind was out (by the log's "
                          "dispatch and close times and the drive back): their call → dispatch holds a wait for a "
                          "unit, so the desk fit leaves them out"))
    for centre in sorted({c.centre for c in fit.fitted}):
        mine = [c for c in fit.fitted if c.centre == centre and not math.isnan(c.dispatch) and c.line not in waited]
        if len(mine) < 2:
            continue
        x = np.array([c.dispatch - c.call - _mean(sc.incident_types[c.type].verify) for c in mine])
        tf = lognormal(f"agencies[{centre}].desk.handling", f"{centre} 接警处理（接警→调派）/ desk handling "
                       "(call → dispatch)", x)
        fit.estimates += tf.estimates
        agencies.append({"id": centre, "desk": {"handling": tf.dist}})
        waits = sorted({c.type for c in mine
                        if not (c.task.id in on_alarm.get(c.type, {}) and on_alarm[c.type][c.task.id].on_alarm)})
        if waits:
            fit.notes.append((f"{', '.join(waits)} 的首个任务不是一键调度：调派前还有通知与决策，接警台处理时间偏长",
                              f"the first task of {', '.join(waits)} is not dispatched on the alarm: notice and "
                              f"decision precede the dispatch, so {centre}'s desk handling comes out too long"))
    if agencies:
        fit.overlay["agencies"] = agencies


def _roads(fit: Fit, sc: Scenario, world: World) -> None:
    by_hour = sc.dispatch.travel_factor_by_hour
    base = np.ones(24) if by_hour is None else np.asarray(by_hour, dtype=float)
    shape = base / base.mean()
    turnout = {(u.station, u.kind): _mean(u.turnout) for u in world.units}
    rows = {u.station: u.station_row for u in world.units}
    y, tau, group = [], [], []
    for c in fit.fitted:
        if math.isnan(c.dispatch) or math.isnan(c.arrival):
            continue
        station = c.station or nearest_station(world, c.task.unit, c.grid)
        free = float(world.travel[rows[station], c.grid])
        if not math.isfinite(free):
            continue
        # the road time itself where the log says when the unit left; else less the scenario's mean turnout
        y.append(c.arrival - c.left if not math.isnan(c.left) else
                 c.arrival - c.dispatch - turnout[(station, c.task.unit)])
        tau.append(free * shape[c.dispatch_hour])
        group.append(c.service)
    if len(y) < 2 or not any(tau):
        return
    s, se, _ = road_level(np.array(y), np.array(tau), np.array(group))
    fit.level = s
    fit.estimates.append(Estimate("dispatch.travel_factor_by_hour", "道路拥堵水平（系数均值）/ road congestion level "
                                  "(mean factor)", s,
                                  len(y), "normal", s, se))
    factors = [round(float(min(max(s * f, 0.5), 5.0)), 4) for f in shape]
    if any(not 0.5 <= s * f <= 5.0 for f in shape):
        fit.notes.append(("拟合的道路系数超出 0.5–5 的范围，已截断",
                          "a fitted road factor fell outside 0.5–5 and was clipped"))
    fit.overlay["dispatch"] = {"travel_factor_by_hour": factors}
    if c_station_missing := sum(c.station is None for c in fit.fitted):
        fit.notes.append((f"{c_station_missing} 起事件未填出动站点：按最近站点计算行驶时间",
                          f"{c_station_missing} incidents name no station: their travel is from the nearest one"))


def _on_scene(fit: Fit) -> None:
    types: dict[str, dict] = {}
    for itype in sorted({c.type for c in fit.fitted}):
        mine = [c for c in fit.fitted if c.type == itype]
        task = mine[0].task
        item: dict = {"id": task.id}
        setup = np.array([c.action - c.arrival for c in mine if not math.isnan(c.action + c.arrival)])
        work = np.array([c.close - c.action for c in mine if not math.isnan(c.close + c.action)])
        path = f"incident_types[{itype}].tasks[{task.id}]"
        for key, x, what in (("setup", setup, "展开（到场→开始处置）/ set-up (arrival → first action)"),
                             ("duration", work, "处置（开始处置→结束）/ on-scene work (first action → close)")):
            if x.size < 2:
                continue
            tf = duration(f"{path}.{key}", f"{itype}.{task.id} {what}", x)
            fit.estimates += tf.estimates
            item[key] = tf.dist
        if len(item) > 1:
            types[itype] = {"tasks": [item]}
    if types:
        fit.overlay["incident_types"] = types


def clock(fit: Fit, seconds: float) -> datetime:
    """The log's local time of ``seconds`` after the window's start."""
    return fit.start + timedelta(seconds=seconds)
