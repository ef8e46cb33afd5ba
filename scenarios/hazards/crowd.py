"""Crowd crush (拥挤踩踏): a bottleneck zone filled by inflow and metro trains, drained through exits.

Physics and sources
-------------------
- **Weidmann (1993)** fundamental diagram (references.md): v(ρ) = v₀[1 − exp(−γ(1/ρ − 1/ρmax))],
  γ = 1.913 m⁻², ρmax = 5.4 P/m², v₀ = 1.34 m/s; specific flow J = ρ v, maximum J_max ≈ 1.2249 P/(m·s)
  at ρ ≈ 1.7507 P/m². Past that density the flow *falls* — a congested crowd drains more slowly the
  denser it gets, which is what makes it stall.
- **Balance** for the zone's N persons (area A, density ρ = N/A), a cell-transmission-style scheme
  (Daganzo 1994): dN/dt = min(q(t), W_in·S(ρ)) − W_exit(t)·G(ρ), where q(t) is the demand (walk-in
  schedule × restriction factor + train discharges), S(ρ) = J_max for ρ ≤ ρ_c, J(ρ) above (arrivals
  the zone cannot take are turned away; ρ_c = density of J_max), and W_exit(t) = exit width × usage.
  The exit flow G(ρ) = J(ρ) follows the fundamental diagram — past ρ_c it *drops*, so an overloaded
  zone stalls — but never below ``stalled_exit_fraction``·J_max on the congested branch (assumption:
  a stalled crowd still trickles out; this capacity drop makes a stall persist until demand falls
  below the stalled discharge, as in traffic). As ρ → ρmax admission vanishes, so ρ never exceeds ρmax.
- **Integration** — event driven: the RHS is piecewise smooth between breakpoints (schedule steps,
  train arrivals/ends, interventions); each piece is solved with scipy's ``solve_ivp`` (RK45) and its
  dense output sampled on a 1-s grid with numpy (no per-second Python loop; coarser beyond
  ``MAX_SAMPLES`` s of horizon). Trains run every headway until ``metro_last_s`` or t_end — give
  ``metro_last_s`` for long horizons (each train adds two breakpoints).
- **Fruin (1971)** walkway level of service A–F, boundaries 0.31/0.43/0.72/1.08/2.15 P/m².
- **Crush risk** (screening estimate, not a prediction): above the critical density ρ_crit (G. K.
  Still: ~4 P/m² for a moving crowd), once the zone has stayed above it for ``crush_onset_s``, the
  excess A·(ρ − ρ_crit) accumulates person-minutes E; expected casualties = P·(1 − exp(−r·E/P)) with
  P the peak number of persons in the zone and r = ``casualty_rate`` (≈ r·E while small, never more
  than P). Default r = 0.5 is an order-of-magnitude calibration to the 2014 Bund stampede (85
  casualties; ~12 min of stalled surges on a landing < 20 m², taken at the model's ceiling 5.4 P/m²:
  E ≈ 340 person-minutes, P ≈ 108 → 85).
- **Interventions**: ``skip_metro_stop`` (trains arriving later do not discharge), ``restrict_inflow``
  (``factor`` on the walk-in demand: barriers, one-way), ``marshals`` (``n`` more marshals, each raising
  exit usage by ``marshal_usage_gain`` up to 1 — assumption), ``open_exit`` (``width_m`` more exit).

Extension points: other speed–density relations replace :func:`weidmann_speed`; a queue outside the
zone (instead of turning arrivals away) would add a second state to :meth:`CrowdModel._rhs`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from scenarios.hazards.base import InterventionLog, check_nonneg, register
from scenarios.hazards.params import RHO_MAX, CrowdParams

V0 = 1.34
GAMMA = 1.913
FRUIN_BOUNDS = (0.31, 0.43, 0.72, 1.08, 2.15)
SAMPLE_S = 1.0
MAX_SAMPLES = 200_000
"""Trajectories are sampled every second, coarser only beyond MAX_SAMPLES seconds of horizon."""


def weidmann_speed(rho: Any, v0: float = V0, gamma: float = GAMMA, rho_max: float = RHO_MAX) -> np.ndarray:
    """Weidmann walking speed (m/s) at density ``rho`` (P/m²); v₀ at 0, 0 at and above ρmax."""
    r = np.asarray(rho, dtype=float)
    with np.errstate(divide="ignore"):
        v = v0 * (1.0 - np.exp(-gamma * (1.0 / np.maximum(r, 1e-12) - 1.0 / rho_max)))
    return np.clip(v, 0.0, v0)


def weidmann_flow(rho: Any, v0: float = V0, gamma: float = GAMMA, rho_max: float = RHO_MAX) -> np.ndarray:
    """Specific flow J = ρ·v(ρ) (persons per metre per second)."""
    r = np.clip(np.asarray(rho, dtype=float), 0.0, rho_max)
    return r * weidmann_speed(r, v0, gamma, rho_max)


def _flow_scalar(rho: float) -> float:
    """Scalar :func:`weidmann_flow` with ``math`` (the ODE right-hand side is called thousands of times)."""
    if rho <= 0.0 or rho >= RHO_MAX:
        return 0.0
    if rho < 1e-3:  # exp(−γ/ρ) underflows: free flow
        return float(rho) * V0
    return rho * V0 * (1.0 - math.exp(-GAMMA * (1.0 / rho - 1.0 / RHO_MAX)))


@functools.cache
def max_flow() -> tuple[float, float]:
    """Density of maximum specific flow and the maximum (≈ 1.7507 P/m², 1.2249 P/(m·s)).

    Computed on first use (scipy is imported then, not when the scenario schema is loaded); the module
    attributes ``RHO_AT_JMAX`` and ``J_MAX`` are these two numbers.
    """
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda r: -float(weidmann_flow(r)), bounds=(0.1, RHO_MAX), method="bounded",
                          options={"xatol": 1e-10})
    return float(res.x), float(-res.fun)


def __getattr__(name: str) -> float:
    """``RHO_AT_JMAX`` and ``J_MAX``, computed on first access (PEP 562)."""
    if name == "RHO_AT_JMAX":
        return max_flow()[0]
    if name == "J_MAX":
        return max_flow()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fruin_los(rho: float) -> str:
    """Fruin (1971) walkway level of service A–F (a boundary value belongs to the better level)."""
    return "ABCDEF"[int(np.searchsorted(FRUIN_BOUNDS, rho, side="left"))]


def sending(rho: Any, stalled_fraction: float = 0.3) -> np.ndarray:
    """Specific flow a zone at density ``rho`` pushes through an exit: J(ρ), but on the congested branch
    never below ``stalled_fraction``·J_max (a stalled crowd still trickles out)."""
    rho_c, j_max = max_flow()
    r = np.asarray(rho, dtype=float)
    j = weidmann_flow(r)
    return np.where(r <= rho_c, j, np.maximum(j, stalled_fraction * j_max))


@register("crowd")
class CrowdModel(InterventionLog):
    """Crowd density in a zone over time, behind the HazardModel protocol."""

    kind = "crowd"
    measures = frozenset({"density", "persons", "speed_m_s", "specific_flow", "outflow_p_s", "demand_p_s", "fruin_los"})
    actions = ("skip_metro_stop", "restrict_inflow", "marshals", "open_exit")
    detectors = frozenset({"cctv", "cctv_density", "sensor", "smart_sensor", "citizen_call"})
    arguments = {"skip_metro_stop": {}, "restrict_inflow": {"factor": "fraction"}, "marshals": {"n": "nonneg"},
                 "open_exit": {"width_m": "nonneg"}}

    def __init__(self, params: CrowdParams) -> None:
        super().__init__()
        self.p = params
        self._cache: dict[tuple[int, float], tuple[np.ndarray, np.ndarray]] = {}

    # ---- inputs as piecewise-constant functions ---------------------------------------------
    def trains(self, until: float) -> np.ndarray:
        """Train arrival times up to ``until`` (s)."""
        p = self.p
        if p.metro_headway_s is None or p.metro_passengers == 0:
            return np.zeros(0)
        last = until if p.metro_last_s is None else min(p.metro_last_s, until)
        return np.arange(p.metro_first_s, last + 1e-9, p.metro_headway_s)

    def _t_skip(self) -> float:
        return min((i.t for i in self.all("skip_metro_stop")), default=math.inf)

    def demand(self, t: float) -> float:
        """Arrival demand at ``t`` (persons/s): walk-in × restriction + discharging trains."""
        p = self.p
        walk = 0.0
        for step in p.inflow:
            if step.t <= t:
                walk = step.rate_p_s
        factor = 1.0
        for i in self.all("restrict_inflow"):
            if i.t <= t:
                factor = i.kw["factor"]
        tr = self.trains(t)
        active = (tr <= t) & (t < tr + p.metro_discharge_s) & (tr < self._t_skip())
        return walk * factor + int(active.sum()) * p.metro_passengers / p.metro_discharge_s

    def exit_width(self, t: float) -> float:
        """Effective exit width at ``t`` (m): nominal + opened, times usage (raised by marshals)."""
        w = self.p.exit_width_m + sum(i.kw["width_m"] for i in self.all("open_exit") if i.t <= t)
        n = sum(i.kw["n"] for i in self.all("marshals") if i.t <= t)
        return w * min(1.0, self.p.exit_usage + self.p.marshal_usage_gain * n)

    def breakpoints(self, t_end: float) -> np.ndarray:
        p = self.p
        tr = self.trains(t_end)
        pts = [0.0, t_end, *(s.t for s in p.inflow), *(i.t for i in self.log), *tr, *(tr + p.metro_discharge_s)]
        b = np.unique(np.clip(np.asarray(pts, dtype=float), 0.0, t_end))
        return b

    def _rhs(self, q: float, w_exit: float) -> Callable[[float, np.ndarray], list[float]]:
        a, w_in, stall = self.p.area_m2, self.p.entry_width_m, self.p.stalled_exit_fraction
        rho_c, j_max = max_flow()

        def f(_t: float, y: np.ndarray) -> list[float]:
            rho = min(max(y[0] / a, 0.0), RHO_MAX)
            j = _flow_scalar(rho)
            congested = rho > rho_c
            send = max(j, stall * j_max) if congested else j
            admit = w_in * (j if congested else j_max)
            return [min(q, admit) - w_exit * send]

        return f

    # ---- trajectory ----------------------------------------------------------------------------
    def measure(self, name: str, t: float, until: float | None = None) -> float | None:
        if name == "density" and until is not None:  # one solved trajectory serves every look at the crowd
            ts, rho = self.trajectory(until)
            return float(np.interp(t, ts, rho))
        return super().measure(name, t, until)

    def trajectory(self, t_end: float) -> tuple[np.ndarray, np.ndarray]:
        """Density sampled every second on [0, t_end] (times, densities), given interventions so far."""
        from scipy.integrate import solve_ivp

        step = max(SAMPLE_S, t_end / MAX_SAMPLES)
        for (n_log, horizon), (ts, rho) in self._cache.items():  # reuse a longer run with the same step
            if n_log == len(self.log) and horizon >= t_end and ts.size > 1 and ts[1] - ts[0] == step:
                k = int(np.searchsorted(ts, t_end, side="right"))
                return ts[:k], rho[:k]
        key = (len(self.log), float(t_end))
        bps = self.breakpoints(t_end)
        ts = np.arange(0.0, t_end + step / 2, step)
        rho = np.empty_like(ts)
        n = self.p.initial_density * self.p.area_m2
        rho[0] = self.p.initial_density
        for t0, t1 in zip(bps[:-1], bps[1:]):
            mid = 0.5 * (t0 + t1)
            sol = solve_ivp(self._rhs(self.demand(mid), self.exit_width(mid)), (t0, t1), [n], rtol=1e-7, atol=1e-6,
                            dense_output=True)
            lo, hi = np.searchsorted(ts, [t0, t1], side="right")
            if hi > lo:
                rho[lo:hi] = sol.sol(ts[lo:hi])[0] / self.p.area_m2
            n = float(sol.y[0, -1])
        rho = np.clip(rho, 0.0, RHO_MAX)
        self._cache[key] = (ts, rho)
        return ts, rho

    # ---- protocol -----------------------------------------------------------------------------
    def detection_time(self, detector: str) -> float | None:
        """cctv/cctv_density/sensor/smart_sensor: density alert; citizen_call: critical density reached."""
        if detector in ("cctv", "cctv_density", "sensor", "smart_sensor"):
            level = self.p.cctv_alert_density
        elif detector == "citizen_call":
            level = self.p.critical_density
        else:
            return None
        ts, rho = self.trajectory(self.p.detection_horizon_s)
        hit = np.nonzero(rho >= level)[0]
        return float(ts[hit[0]]) if hit.size else None

    def intervene(self, action: str, t: float, **kw: Any) -> float | None:
        """skip_metro_stop; restrict_inflow(factor ∈ [0, 1]); marshals(n); open_exit(width_m). Immediate effect."""
        if action == "restrict_inflow":
            f = check_nonneg("factor", kw.get("factor", 0.5))
            if f > 1:
                raise ValueError(f"factor must be within [0, 1], got {f}")
            kw = {"factor": f}
        elif action == "marshals":
            kw = {"n": check_nonneg("n", kw.get("n", 10))}
        elif action == "open_exit":
            kw = {"width_m": check_nonneg("width_m", kw.get("width_m", 2.0))}
        self._record(action, t, kw)
        self._cache.clear()
        return 0.0

    def state(self, t: float) -> dict[str, float]:
        ts, rho = self.trajectory(max(t, SAMPLE_S))
        r = float(np.interp(t, ts, rho))
        return {
            "density": r,
            "persons": r * self.p.area_m2,
            "speed_m_s": float(weidmann_speed(r)),
            "specific_flow": float(weidmann_flow(r)),
            "outflow_p_s": self.exit_width(t) * float(sending(r, self.p.stalled_exit_fraction)),
            "demand_p_s": self.demand(t),
            "fruin_los": float("ABCDEF".index(fruin_los(r))),  # 0 = A … 5 = F
        }

    def outcomes(self, t_end: float) -> dict[str, float | None]:
        ts, rho = self.trajectory(t_end)
        step = float(ts[1] - ts[0]) if ts.size > 1 else SAMPLE_S
        crit = self.p.critical_density
        above = rho > crit
        idx = np.arange(rho.size)
        last_below = np.maximum.accumulate(np.where(above, -1, idx))
        run_s = (idx - last_below) * step
        excess = np.where(above & (run_s > self.p.crush_onset_s), (rho - crit) * self.p.area_m2, 0.0)
        person_min = float(excess.sum() * step / 60.0)
        peak_persons = float(rho.max()) * self.p.area_m2
        casualties = (
            peak_persons * -math.expm1(-self.p.casualty_rate * person_min / peak_persons) if person_min else 0.0
        )
        return {
            "peak_density": float(rho.max()),
            "minutes_above_critical": float(above.sum() * step / 60.0),
            "casualties": casualties,
        }
