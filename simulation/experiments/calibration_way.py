"""A 12345 work order's way to the agency's duty desk, sampled from the engine at the export's load (工单送达时间).

The export's dispatch → signed or rejected (派单 → 签收/退单) is the order's way to the agency's desk plus the
agency's decision (``work_orders.decide``). The way is the channels (latency, loss and re-sending, outages) and,
hop by hop, the receiving duty desk — its queue as well as its handling. The queue depends on how busy the desks
are: the work orders themselves, their re-dispatches and every other notice the desk takes (the platform's,
一网统管). So the way is sampled from the engine itself, run on the scenario (on its district) at the export's own
load, and read off the engine's records: dispatch → ``t_received`` (the order taken up at the desk, the moment
``decide`` starts) per dispatcher → agency pair.

The load: each incident type with a work-order task comes at the export's rate — its cases per day over the
fitted days, divided among the type's streams in their proportion (a type the export does not show gets none);
the other streams as the incident log's fit has them when there is one, else as the scenario has them; the
rejection and re-dispatch parameters as fitted from the same export (so the re-dispatches load the desks as the
export shows). The engine runs replications of seed :data:`SEED`, each the fitted days long and one more day for
the last orders' ways (only orders dispatched before that last day count): at least :data:`MIN_RUNS` of them and
:data:`TOTAL_DAYS` days in all. The ways of all runs together give each pair's distribution; each run's alone
(:func:`widen`) gives the spread an export's own busy spells put on the fitted decision.

Where it cannot be run — the scenario has no stream of any of the export's types, so no load can be set — or a
pair has fewer than :data:`MIN_WAYS` orders in all runs, the way falls back to the scenario's channels and
desks without their queues (:func:`~simulation.experiments.calibration_orders.transmission`), and the report says
for how many orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenarios.schema import Scenario, StreamSpec
from simulation.model.world import World

DAY = 86400.0
SEED = 0
"""The engine's seed for the ways (the same every time)."""
MIN_WAYS = 30
"""A pair with fewer orders in the runs takes the static way."""
TOTAL_DAYS = 40
MIN_RUNS = 4
QUANTILES = 100


@dataclass
class Way:
    """The engine's ways per (dispatcher, agency) and how they were obtained."""

    ways: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # all runs together
    runs: list[dict[tuple[str, str], np.ndarray]] = field(default_factory=list)  # each replication's
    days: int = 0
    replications: int = 0
    per_day: dict[str, tuple[float, float]] = field(default_factory=dict)  # type → (export, scenario) cases a day
    why_not: str | None = None  # the reason the engine could not be run (the static way is used)

    def quantiles(self, key: tuple[str, str], run: int | None = None) -> np.ndarray | None:
        """Quantiles of the pair's way over all runs (or in ``run`` alone, where it has :data:`MIN_WAYS` of them
        — else over all), or None where all runs together have fewer than :data:`MIN_WAYS`."""
        x = self.ways.get(key)
        if x is None or x.size < MIN_WAYS:
            return None
        if run is not None and (mine := self.runs[run].get(key)) is not None and mine.size >= MIN_WAYS:
            x = mine
        return np.quantile(x, (np.arange(QUANTILES) + 0.5) / QUANTILES)


def _cases_per_task(sc: Scenario) -> dict[str, int]:
    """Incident type → its tasks that go by work order (each is a case of the export)."""
    return {k: n for k, it in sc.incident_types.items() if (n := sum(t.by == "work_order" for t in it.tasks))}


def expected_per_day(stream: StreamSpec, sc: Scenario, n_grids: int) -> float:
    """The stream's incidents per day on average over the day, the week and the year."""
    profile = float(np.mean(stream.profile)) if stream.profile is not None else 1.0
    weekly = float(np.mean(stream.weekly)) if stream.weekly is not None else 1.0
    monthly = float(np.mean(stream.monthly)) if stream.monthly is not None else 1.0
    grids = len(stream.grids) if stream.grids else n_grids
    return stream.rate_per_hour * 24.0 * grids * profile * weekly * monthly * stream.unit_share


def loaded(sc: Scenario, world: World, orders: list, fit_days: int, overlay: dict, days: int) -> tuple[Scenario, Way]:
    """The scenario at the export's load for ``days`` days and one more (see the module); the :class:`Way` to
    fill (its ``why_not`` set where no load can be set)."""
    per_task = _cases_per_task(sc)
    cases: dict[str, set[str]] = {}
    for o in orders:
        cases.setdefault(o.type, set()).add(o.case)
    way = Way(days=days)
    streams = []
    fitted = {s["id"]: s for s in overlay.get("streams", ())}
    for s in sc.streams:
        if s.type in per_task:
            continue
        if s.id in fitted:
            s = s.model_copy(update={k: fitted[s.id][k] for k in ("rate_per_hour", "profile")})
        streams.append(s)
    streams += [StreamSpec(**item) for sid, item in fitted.items() if sid not in {s.id for s in sc.streams}]
    for itype, n in sorted(per_task.items()):
        mine = [s for s in sc.streams if s.type == itype]
        want = len(cases.get(itype, ())) / max(fit_days, 1) / n
        have = sum(expected_per_day(s, sc, world.citymap.n) for s in mine)
        if cases.get(itype):
            way.per_day[itype] = (want * n, have * n)
        if have > 0:
            streams += [s.model_copy(update={"rate_per_hour": s.rate_per_hour * want / have}) for s in mine]
    if not any(have > 0 for itype, (_w, have) in way.per_day.items()):
        way.why_not = "no_stream"
    fitted_wo = {k: v for k, v in overlay.get("work_orders", {}).items()
                 if k in ("reject_shared", "reject_unlisted", "redispatch")}
    wo = type(sc.work_orders).model_validate({**sc.work_orders.model_dump(), **fitted_wo})
    return sc.model_copy(update={"streams": streams, "work_orders": wo, "horizon": (days + 1) * DAY}), way


def engine_way(sc: Scenario, world: World, orders: list, fit_days: int, overlay: dict) -> Way:
    """The ways of the engine's work orders at the export's load (see the module)."""
    from simulation.experiments.runner import run
    from simulation.model.world import build_world

    days = max(fit_days, 1)
    at_load, way = loaded(sc, world, orders, fit_days, overlay, days)
    if way.why_not is not None:
        return way
    way.replications = max(math.ceil(TOTAL_DAYS / days), MIN_RUNS)
    res = run(at_load, way.replications, SEED, world=build_world(at_load, f"{sc.name} at the export's load"))
    cols = res.workorders.select(["replication", "dispatcher", "to_agency", "t_dispatched", "t_received",
                                  "t_arbitrated"])
    got: list[dict[tuple[str, str], list[float]]] = [{} for _ in range(way.replications)]
    for r, d, a, t0, t1, ruled in zip(*(c.to_pylist() for c in cols.columns)):
        if ruled is None and t1 is not None and t0 < days * DAY:
            got[r].setdefault((d, a), []).append(t1 - t0)
    way.runs = [{k: np.asarray(v, dtype=float) for k, v in g.items()} for g in got]
    way.ways = {k: np.concatenate([g[k] for g in way.runs if k in g]) for k in set().union(*way.runs)}
    return way


def way_note(way: Way, static: int, n: int, spread: float | None = None) -> tuple[str, str]:
    """How the ``n`` orders' way to the desk was sampled for the decision time, ``static`` of them without the
    engine; ``spread``: the standard deviation of the log median between the engine's runs (zh, en)."""
    if way.why_not is not None:
        zh, en = ("情景没有导出中工单类型的日常警情流，无法按导出负荷运行引擎", "the scenario has no stream of the "
                  "export's work-order types, so the engine cannot be run at the export's load") \
            if way.why_not == "no_stream" else ("按调用要求", "as asked")
        return (f"签收决定时间已扣除工单送达承办单位值班台的时间；送达时间按情景的渠道与值班台分布估计，不计值班台排队"
                f"（{zh}）：值班台繁忙时送达更慢，拟合的决定时间偏长",
                f"the decision time nets out the order's way to the agency's desk, taken from the scenario's channels "
                f"and desks without their queues ({en}): where the desks are busy the way is slower and the "
                "fitted decision comes out too long")
    loads = sorted(way.per_day.items())
    load_zh = "；".join(f"{k} 导出 {a:.1f}、情景 {b:.1f}" for k, (a, b) in loads)
    load_en = "; ".join(f"{k} {a:.1f} in the export, {b:.1f} in the scenario" for k, (a, b) in loads)
    rest_zh = (f"；其余 {static} 张工单的派单→承办单位组合在引擎运行中少于 {MIN_WAYS} 张，送达时间按情景的渠道与值班台"
               "估计（不计排队）") if static else ""
    rest_en = (f"; the other {static}, whose dispatcher → agency pair had fewer than {MIN_WAYS} orders in those runs, "
               "take the scenario's channels and desks without queues") if static else ""
    pct = None if spread is None else 100 * (math.exp(spread) - 1)
    spread_zh = "" if pct is None else f"；各次运行的送达时间使拟合的决定时间中位数相差约 ±{pct:.0f}%，已计入置信区间"
    spread_en = "" if pct is None else (f"; the runs' ways move the fitted median by about ±{pct:.0f}% from one run "
                                        "to another, and its interval includes that spread")
    return (f"签收决定时间已扣除工单送达承办单位值班台并被受理的时间（渠道、值班台排队与办理）：送达时间取自引擎按导出"
            f"负荷运行 {way.replications} 次、每次 {way.days} 天（种子 {SEED}）的工单记录（每日案件数：{load_zh}）；"
            f"{n - static} 张工单按其派单→承办单位组合的引擎送达时间计{rest_zh}{spread_zh}",
            f"the decision time nets out the order's way to the agency's desk until it is taken up there (channels, "
            f"the desk's queue and handling): the way is the engine's own, from its work orders in {way.replications} "
            f"runs of {way.days} days (seed {SEED}) at the export's load (cases a day: {load_en}); {n - static} "
            f"orders take their dispatcher → agency pair's way from those runs{rest_en}{spread_en}")


def widen(estimates: list, runs: list[list]) -> float:
    """Add to each log-scale estimate's variance the spread of its value between the engine's runs (each run's
    way alone): one export is one realisation of the desks' busy spells, and a way from another realisation
    nets out a different queue. Returns that spread of the log median (its standard deviation)."""
    sd = 0.0
    for i, e in enumerate(estimates):
        values = [r[i].a for r in runs]
        var = float(np.var(values, ddof=1)) if len(values) >= 2 else 0.0
        e.b = math.sqrt(e.b**2 + var)
        sd = math.sqrt(var) if i == 0 else sd
    return sd
