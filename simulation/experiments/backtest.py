"""The back-test of a calibration (回测): the engine rerun with the fitted parameters against the held-out log.

The calibrated scenario (the scenario with the overlay) runs ``replications`` times; each interval the log
shows — call → dispatch, dispatch → left the station (the turnout, when the log has it), dispatch → arrival,
arrival → close — is compared, per service, between the
simulated incidents and the days of the log the fit never saw: both medians and 90th percentiles, the
two-sample Kolmogorov–Smirnov statistic with its p-value, and each side's n. Calls per day and, for 119,
the share of arrivals within 5 minutes of the dispatch (the 5-minute turnout-and-travel norm of
城市消防站建设标准 建标152-2017) are compared as well, and per service the share of turnouts within 60 s and
within 80 s (NFPA 1710 (2020) §4.1.2.1: 60 s for EMS, 80 s for fire and special operations). With a 12345
export, the held-out cases' dispatch → sign (派单→签收) and rejection shares (退单率) by how the list gives the
task are compared with the engine's work orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenarios.schema import Scenario
from simulation.experiments.calibration import SERVICE_ROLE, Call, Fit
from simulation.experiments.calibration_orders import engine_orders, order_summary
from simulation.experiments.calibration_turnout import engine_left
from simulation.model.world import World

INTERVALS = (
    ("call_dispatch", "接警→调派", "call → dispatch"),
    ("dispatch_left", "调派→出动", "dispatch → left"),
    ("dispatch_arrival", "调派→到场", "dispatch → arrival"),
    ("arrival_close", "到场→结束", "arrival → close"),
    ("dispatch_sign", "派单→签收", "dispatch → sign"),
)
"""The intervals compared: key, Chinese and English label."""
FIVE_MINUTES = 300.0
TURNOUT_NORMS = (60.0, 80.0)
"""Turnout targets of NFPA 1710 (2020) §4.1.2.1: 60 s (EMS), 80 s (fire and special operations)."""


@dataclass
class Row:
    """One service × interval: the logged (held-out) and simulated samples and their comparison."""

    service: str
    interval: str
    log: np.ndarray
    sim: np.ndarray
    ks: float = math.nan
    p_value: float = math.nan

    def quantile(self, side: str, q: float) -> float | None:
        x = self.log if side == "log" else self.sim
        return float(np.quantile(x, q)) if x.size else None


@dataclass
class BackTest:
    rows: list[Row]
    calls_per_day: dict[str, tuple[float, float]]  # service → (log, simulated)
    within_5min: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    rejections: dict[str, tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=dict)
    """12345 work orders: listing class (shared, unlisted, all) → ((rejected, answered) in the held-out export,
    the same in the engine), orders on a ruling left out."""
    turnout_within: dict[tuple[str, float], tuple[float, float]] = field(default_factory=dict)
    """(service, seconds) → (held-out log's share, engine's share) of turnouts within that many seconds."""
    replications: int = 0
    seed: int = 0
    held_out_days: int = 0
    in_sample: bool = False  # nothing was held out (--holdout 0): compared with the fitted days themselves


def _logged(calls: list[Call]) -> dict[tuple[str, str], np.ndarray]:
    out: dict[tuple[str, str], list[float]] = {}
    for c in calls:
        for key, a, b in (("call_dispatch", c.call, c.dispatch), ("dispatch_left", c.dispatch, c.left),
                          ("dispatch_arrival", c.dispatch, c.arrival), ("arrival_close", c.arrival, c.close)):
            if not math.isnan(a) and not math.isnan(b):
                out.setdefault((c.service, key), []).append(b - a)
    return {k: np.asarray(v) for k, v in out.items()}


def _simulated(sc: Scenario, world: World, replications: int, seed: int) -> tuple[dict, dict[str, int], object]:
    from simulation.experiments.runner import run

    res = run(sc, replications, seed, world=world)
    left = engine_left(sc, world)
    role = {a.id: a.role for a in sc.agencies}
    service_of = {r: s for s, r in SERVICE_ROLE.items()}
    out: dict[tuple[str, str], list[float]] = {}
    counts: dict[str, int] = {}
    for r in res.incidents.to_pylist():
        service = service_of.get(role.get(r["receiver"] or "", ""))
        if service is None or r["t_detect"] is None:
            continue
        counts[service] = counts.get(service, 0) + 1
        r = {**r, "t_left": left(r)}
        for key, a, b in (("call_dispatch", "t_detect", "t_dispatch"), ("dispatch_left", "t_dispatch", "t_left"),
                          ("dispatch_arrival", "t_dispatch", "t_first_arrival"),
                          ("arrival_close", "t_first_arrival", "t_close")):
            if r[a] is not None and r[b] is not None:  # to the millisecond: float noise is not a spread
                out.setdefault((service, key), []).append(round(r[b] - r[a], 3))
    return {k: np.asarray(v) for k, v in out.items()}, counts, res


def backtest(fit: Fit, sc: Scenario, world: World, replications: int = 3, seed: int = 0) -> BackTest:
    """Rerun the calibrated scenario ``sc`` and compare it with the calls ``fit`` kept aside."""
    from scipy import stats

    # With --holdout 0 nothing is held out: the engine is compared with the days it was fitted to (in-sample).
    calls = fit.held_out or fit.fitted
    logged = _logged(calls)
    simulated, counts, res = _simulated(sc, world, replications, seed)
    held_days = (fit.days - fit.fit_days) or fit.fit_days
    rows = []
    for service in sorted({c.service for c in calls}):
        for key, _zh, _en in INTERVALS:
            if key in ("dispatch_left", "dispatch_sign") and (service, key) not in logged:
                continue  # no left times (出动时间) in the log; sign times are the 12345 export's
            row = Row(service, key, logged.get((service, key), np.empty(0)), simulated.get((service, key), np.empty(0)))
            if row.log.size and row.sim.size:
                ks = stats.ks_2samp(row.log, row.sim)
                row.ks, row.p_value = float(ks.statistic), float(ks.pvalue)
            rows.append(row)
    sim_days = replications * sc.horizon / 86400.0
    per_day = {s: (sum(c.service == s for c in calls) / held_days, counts.get(s, 0) / sim_days)
               for s in sorted({c.service for c in calls})}
    bt = BackTest(rows, per_day, replications=replications, seed=seed, held_out_days=held_days,
                  in_sample=fit.days == fit.fit_days)
    if fit.orders_fitted or fit.orders_held_out:
        _orders(bt, fit, sc, world, res)
    for row in rows:
        if row.interval == "dispatch_left" and row.log.size and row.sim.size:
            for norm in TURNOUT_NORMS:
                bt.turnout_within[(row.service, norm)] = (float(np.mean(row.log <= norm)),
                                                          float(np.mean(row.sim <= norm)))
        if row.service == "119" and row.interval == "dispatch_arrival":
            bt.within_5min["119"] = tuple(  # type: ignore[assignment]
                float(np.mean(x <= FIVE_MINUTES)) if x.size else None for x in (row.log, row.sim))
    return bt


def _orders(bt: BackTest, fit: Fit, sc: Scenario, world: World, res) -> None:
    """The held-out 12345 export against the engine's work orders: dispatch → sign, and rejection shares."""
    from scipy import stats

    log_signs, log_rej = order_summary(fit.orders_held_out or fit.orders_fitted)
    sim_signs, sim_rej = order_summary(engine_orders(sc, world, res.workorders.to_pylist(), res.incidents.to_pylist()))
    row = Row("12345", "dispatch_sign", log_signs, sim_signs)
    if row.log.size and row.sim.size:
        ks = stats.ks_2samp(row.log, row.sim)
        row.ks, row.p_value = float(ks.statistic), float(ks.pvalue)
    bt.rows.append(row)
    bt.rejections = {k: (log_rej[k], sim_rej[k]) for k in log_rej if log_rej[k][1] or sim_rej[k][1]}
