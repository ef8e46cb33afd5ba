"""12345 work orders fitted from the hotline's export (12345工单标定): the scenario's ``work_orders`` parameters.

What the export shows, and the engine parameter it is (:mod:`simulation.model.workorder`):

* dispatched → signed or rejected (派单 → 签收/退单) → ``work_orders.decide``: the engine sends the order over the
  coordination graph to the agency's duty desk (per hop the channel's outages, latency and re-sending, then the
  desk's queue and handling) and the agency then decides; so the log's interval is that way plus ``decide``. The
  way's distribution is the engine's own, per dispatcher → agency pair, from runs at the export's load
  (:mod:`~simulation.experiments.calibration_way`: dispatch → ``t_received``, the desk's queues included; the
  scenario's channels and desks without queues only where no such run can be made, and the report says which),
  and ``decide`` is the log-normal whose sum with it fits best
  (:func:`~simulation.experiments.calibration_fit.lognormal_after`), its interval widened by the spread between
  the runs; an order withdrawn by supervision (督办, 撤回) or still open when the export ends is censored there;
* signed or rejected, by how the responsibility list gives the task to the agency (:meth:`Doctrine.listing`) →
  ``work_orders.reject_shared`` (listed with others, 职能交叉) and ``work_orders.reject_unlisted`` (listed for
  someone else or nobody, 职能不符 / 权属不清): binomial shares with Wilson intervals; an order listed for the
  agency alone is always signed in the engine;
* rejected → re-dispatched (退单 → 改派) → ``work_orders.redispatch`` (fixed, log-normal or exponential by AIC).

Orders issued on a ruling (审定) bind and are left out of all three. Not identifiable from such an export, and
left as the scenario has them: ``arbitration_after`` and ``sign_deadline`` (rules, not times), ``arbitration``
(the export does not say when the case reached the superior), ``verify`` and ``verify_fail`` (no report-back
反馈 time; 办结 follows the handling and the check together).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from scenarios.errors import InputError
from scenarios.schema import Scenario
from simulation.experiments.calibration_fit import duration, lognormal_after, share
from simulation.model.doctrine import Doctrine
from simulation.model.world import World

DAY = 86400.0
SHARED, UNLISTED = ("overlapping_duties",), ("not_our_function", "ownership_unclear")
TRANSMISSION_DRAWS, QUANTILES = 4000, 100
NOT_FITTED = ("arbitration_after", "sign_deadline", "arbitration", "verify", "verify_fail")


@dataclass
class Order:
    """One dispatch of the export, linked to the scenario: seconds from the window's start (NaN where blank)."""

    line: int
    case: str
    no: int
    type: str
    task: str
    agency: str
    status: str
    ruling: bool
    listing: str | None  # Doctrine.listing: None (the agency's alone), overlapping_duties, …
    dispatcher: str
    dispatch: float
    answer: float  # signed or rejected
    rejected: bool
    redispatch: float
    withdraw: float


def _err(source: str, line: int, column: str, message: str) -> InputError:
    return InputError.one(source, line, f"workorder_log.{column}", message)


def _by_order(sc: Scenario) -> dict[str, list[str]]:
    """Incident type → its tasks that go by work order."""
    return {k: [t.id for t in it.tasks if t.by == "work_order"] for k, it in sc.incident_types.items()}


def link(records: list[dict], sc: Scenario, world: World, source: str, start: datetime) -> list[Order]:
    """Export records → :class:`Order`; an unknown type, task, grid or agency is one error line."""
    tasks = _by_order(sc)
    typed = sorted(k for k, v in tasks.items() if v)
    agencies = {a.id for a in sc.agencies}
    out = []
    for rec in records:
        line = rec["line"]
        itype = rec["type"] or (typed[0] if len(typed) == 1 else None)
        if itype is None or itype not in sc.incident_types or not tasks[itype]:
            why = "blank" if rec["type"] is None else f"'{rec['type']}' is not an incident type with a work-order task"
            raise _err(source, line, "type", f"{why} (the scenario's: {', '.join(typed) or 'none'})")
        task = rec["task"] or (tasks[itype][0] if len(tasks[itype]) == 1 else None)
        if task not in tasks[itype]:
            raise _err(source, line, "task", f"'{rec['task'] or ''}' is not a work-order task of {itype} "
                       f"({', '.join(tasks[itype])})")
        if rec["grid"] not in world.citymap.index:
            raise _err(source, line, "grid", f"unknown grid '{rec['grid']}' (not in the scenario's city)")
        if rec["agency"] not in agencies:
            raise _err(source, line, "agency", f"unknown agency '{rec['agency']}' (not in the scenario)")
        plan = world.doctrine.plan(itype, rec["grid"])

        def sec(t: datetime | None) -> float:
            return math.nan if t is None else (t - start).total_seconds()

        answer = rec["sign"] if rec["sign"] is not None else rec["reject"]
        out.append(Order(line, rec["order"], rec["no"], itype, task, rec["agency"], rec["status"], rec["ruling"],
                         Doctrine.listing(plan, task, rec["agency"]),
                         world.doctrine.work_order_dispatcher(plan, rec["grid"]), sec(rec["dispatch"]), sec(answer),
                         rec["reject"] is not None, sec(rec["redispatch"]), sec(rec["withdraw"])))
    return out


def window(records: list[dict]) -> tuple[datetime, float]:
    """(midnight of the first dispatch, the export's last time in seconds from it: where open orders are censored)."""
    first = min(r["dispatch"] for r in records)
    start = datetime(first.year, first.month, first.day)
    times = [v for r in records for k in ("dispatch", "sign", "reject", "redispatch", "withdraw", "close")
             if (v := r[k]) is not None]
    return start, (max(times) - start).total_seconds()


def split(orders: list[Order], cut: float) -> tuple[list[Order], list[Order]]:
    """(fitted, held out): a case is held out whole when its first dispatch is at or after ``cut``."""
    first: dict[str, float] = {}
    for o in orders:
        first[o.case] = min(first.get(o.case, math.inf), o.dispatch)
    return [o for o in orders if first[o.case] < cut], [o for o in orders if first[o.case] >= cut]


def transmission(world: World, src: str, dst: str) -> np.ndarray:
    """Quantiles of the time an order takes from ``src`` to ``dst``'s desk under the scenario (per hop: the
    channel's latency, re-sent after ``retry_after`` when lost, and the receiving desk's handling — no queue, no
    outage), from a sample of a seeded stream of its own — the same every time. The fallback of the engine's way
    (:mod:`~simulation.experiments.calibration_way`)."""
    from simulation.model.rng import Streams

    rng = Streams(0, 0).generator("work_order", f"calibration.transmission.{src}->{dst}")
    total = np.zeros(TRANSMISSION_DRAWS)
    for hop in world.graph.path(src, dst) or ():
        spec = hop.spec
        tries = rng.geometric(spec.reliability, TRANSMISSION_DRAWS) if spec.reliability < 1 else \
            np.ones(TRANSMISSION_DRAWS, dtype=int)
        for k in range(1, int(tries.max()) + 1):
            total += np.where(tries >= k, spec.latency.sample(rng, TRANSMISSION_DRAWS), 0.0)
        total += (tries - 1) * spec.retry_after
        total += world.agency_by_id[hop.dst].desk.handling.sample(rng, TRANSMISSION_DRAWS)
    return np.quantile(total, (np.arange(QUANTILES) + 0.5) / QUANTILES)


def fit_orders(fit, sc: Scenario, world: World, end: float, way: str = "engine") -> None:
    """The ``work_orders`` estimates, overlay and notes of ``fit.orders_fitted`` (orders open at ``end`` censored).

    ``way``: how the order's way to the desk is sampled for the decision time — ``engine`` (the engine at the
    export's load, :mod:`~simulation.experiments.calibration_way`; the static way only where that cannot be run)
    or ``static`` (the scenario's channels and desks without their queues: kept to show what the queues do)."""
    mine = [o for o in fit.orders_fitted if not o.ruling]
    if rulings := len(fit.orders_fitted) - len(mine):
        fit.notes.append((f"{rulings} 张工单为审定派单（不可退回），不计入签收时间与退单率",
                          f"{rulings} orders were issued on a ruling (审定, binding): left out of the decision time "
                          "and the rejection rates"))
    overlay: dict = {}
    _rejections(fit, mine, overlay)
    gaps = np.array([o.redispatch - o.answer for o in mine if o.rejected and not math.isnan(o.redispatch)])
    if gaps.size >= 2:
        tf = duration("work_orders.redispatch", "退单→改派 / rejection → re-dispatch", gaps)
        fit.estimates += tf.estimates
        overlay["redispatch"] = tf.dist
    # the decision last: the engine that samples the way runs with the rejections and re-dispatches just fitted
    _decide(fit, mine, sc, world, end, overlay, way)
    fit.notes.append(("12345 导出无法识别、沿用情景值的工单参数：" + "、".join(NOT_FITTED) +
                      "（审定次数与督办时限是规则；审定用时、核查用时与核查不合格率需要导出中没有的时间）",
                      "work-order parameters such an export cannot identify, kept as the scenario has them: " +
                      ", ".join(NOT_FITTED) + " (the rejections before a ruling and the supervision deadline are "
                      "rules; the ruling's and the check's times and the failed checks need times the export lacks)"))
    if overlay:
        fit.overlay["work_orders"] = overlay


def _decide(fit, mine: list[Order], sc: Scenario, world: World, end: float, overlay: dict, how: str) -> None:
    from simulation.experiments.calibration_way import Way, engine_way, way_note, widen

    groups: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for o in mine:
        seen, censored = groups.setdefault((o.dispatcher, o.agency), ([], []))
        if not math.isnan(o.answer):
            seen.append(o.answer - o.dispatch)
        elif not math.isnan(o.withdraw):
            censored.append(o.withdraw - o.dispatch)
        elif o.status == "dispatched":
            censored.append(end - o.dispatch)
    if sum(len(a) for a, _ in groups.values()) < 2:
        return
    way = engine_way(sc, world, fit.orders_fitted, fit.fit_days, {"streams": fit.overlay.get("streams", ()),
                                                                   "work_orders": overlay}) \
        if how == "engine" else Way(why_not="static")
    what = "工单签收/退单决定（派单送达后）/ work-order decision (after the order reaches the desk)"
    data, static = _way_data(groups, way, world)
    tf = lognormal_after("work_orders.decide", what, data)
    spread = widen(tf.estimates, [lognormal_after("work_orders.decide", what, _way_data(groups, way, world, r)[0])
                                  .estimates for r in range(len(way.runs))]) if len(way.runs) >= 2 else None
    fit.estimates += tf.estimates
    overlay["decide"] = tf.dist
    fit.notes.append(way_note(way, static, sum(len(a) + len(c) for a, c in groups.values()), spread))
    if censored := sum(len(c) for _, c in groups.values()):
        fit.notes.append((f"{censored} 张工单在答复前被督办撤回或至导出结束仍未签收：按删失数据计入签收时间拟合",
                          f"{censored} orders were withdrawn by supervision or still open when the export ends "
                          "before an answer: censored in the decision-time fit"))


def _way_data(groups: dict, way, world: World, run: int | None = None) -> tuple[list, int]:
    """(per pair: observed, censored, the way's quantiles — the engine's, of ``run`` alone if given, else the
    scenario's channels and desks without queues; how many orders took the latter)."""
    data, static = [], 0
    for key, (a, c) in sorted(groups.items()):
        q = way.quantiles(key, run)
        if q is None:
            q, static = transmission(world, *key), static + len(a) + len(c)
        data.append((np.asarray(a, float), np.asarray(c, float), q))
    return data, static


def _rejections(fit, mine: list[Order], overlay: dict) -> None:
    answered = [o for o in mine if not math.isnan(o.answer)]
    for key, reasons, what in (("reject_shared", SHARED, "职能交叉工单退单率 / rejected, shared duties"),
                               ("reject_unlisted", UNLISTED, "职能不符或权属不清工单退单率 / rejected, not listed")):
        these = [o for o in answered if o.listing in reasons]
        if not these:
            continue
        e = share(f"work_orders.{key}", what, sum(o.rejected for o in these), len(these))
        fit.estimates.append(e)
        overlay[key] = round(min(e.value, 0.999), 4)  # 1 would bounce for ever without arbitration
    if odd := sum(o.rejected for o in answered if o.listing is None):
        fit.notes.append((f"{odd} 张工单按权责清单只属于承办单位，却被退回（引擎中此类工单一律签收）："
                          "清单可能与实际不符",
                          f"{odd} orders the list gives to their agency alone were rejected (the engine always signs "
                          "those): the list may not be the one in force"))


def engine_orders(sc: Scenario, world: World, orders: list[dict], incidents: list[dict]) -> list[Order]:
    """The engine's work-order records (a run's ``workorders`` table) as :class:`Order` (seconds of the run)."""
    kind = {r["incident"]: (r["type"], r["grid"]) for r in incidents}
    out, previous = [], {}
    for o in sorted(orders, key=lambda o: (o["incident"], o["task"], o["order_no"])):
        itype, grid = kind[o["incident"]]
        plan = world.doctrine.plan(itype, grid)
        ruling = o["t_arbitrated"] is not None or previous.get((o["incident"], o["task"])) == "reopened"
        previous[(o["incident"], o["task"])] = o["outcome"]

        def f(v: float | None) -> float:
            return math.nan if v is None else v

        answer = o["t_signed"] if o["t_signed"] is not None else o["t_rejected"]
        out.append(Order(0, f"{o['incident']}.{o['task']}", o["order_no"], itype, o["task"], o["to_agency"],
                         o["outcome"], ruling, Doctrine.listing(plan, o["task"], o["to_agency"]), o["dispatcher"],
                         o["t_dispatched"], f(answer), o["t_rejected"] is not None, math.nan, f(o["t_supervised"])))
    return out


def order_summary(orders: list[Order]) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """(dispatch → sign seconds of the signed orders, {listing class: (rejected, answered)}), rulings left out."""
    mine = [o for o in orders if not o.ruling and not math.isnan(o.answer)]
    signs = np.array([o.answer - o.dispatch for o in mine if not o.rejected])
    classes = {"shared": SHARED, "unlisted": UNLISTED, "all": (None, *SHARED, *UNLISTED)}
    return signs, {k: (sum(o.rejected for o in mine if o.listing in v), sum(o.listing in v for o in mine))
                   for k, v in classes.items()}
