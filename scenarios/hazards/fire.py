"""High-rise fire (高层建筑火灾): t² growth, façade spread, detection, water, occupants.

Physics and sources
-------------------
- **Growth**: Q(t) = α t², α = 1055/t_g² kW/s², NFPA 204 classes t_g = 600/300/150/75 s
  (slow/medium/fast/ultra-fast), capped at ``hrr_max_kw`` (fuel/ventilation limit).
- **Detection** (Alpert 1972 ceiling-jet correlations, references.md): excess gas temperature
  ΔT = 16.9 Q^{2/3}/H^{5/3} (r/H ≤ 0.18), 5.38 (Q/r)^{2/3}/H otherwise; velocity
  u = 0.96 (Q/H)^{1/3} (r/H ≤ 0.15), 0.195 Q^{1/3} H^{1/2}/r^{5/6} otherwise. Sprinkler link:
  dT_l/dt = √u/RTI · (T_gas − T_l), integrated with scipy's ``solve_ivp`` and an activation event
  (not the hot path). The smoke detector is a 13 °C temperature-rise surrogate (assumption).
- **Sprinkler effect** (assumption): an activated sprinkler holds the HRR at its activation value
  (the usual "fire control" design assumption; measured fires decay, so holding is conservative) and
  counts as control in the NFPA 13 sense for ``t_control_hazard``.
- **Required water flow** (assumption, stated): water fully heated and evaporated absorbs
  ≈ 2.6 MJ/kg (0.38 MJ/kg to heat 10→100 °C + 2.26 MJ/kg to evaporate; cf. Särdqvist, *Water and
  other extinguishing agents*, 2002); only a fraction η (``water_efficiency``, default 0.3) does so in
  practice, so required flow [L/min] = 60 · Q[MW] / (2.6 η) ≈ 77 L/min per MW at η = 0.3.
  Suppression takes hold when the *available* flow ≥ required flow for the current total HRR; the
  available flow above ``water_deficient_above_floor`` is the nominal flow × ``upper_floor_water_fraction``
  (Chongqing: 6,816 high-rises with fire-water problems). Control follows after
  ``knockdown_s · required/available``.
- **Vertical spread** (外墙保温 combustible insulation): after the origin floor reaches
  ``flashover_kw``, one more floor every 60/rate s until growth is stopped.
- **Occupants**: stair evacuation (SFPE hydraulic, :mod:`.evacuation`) — floor 1 walks out; the
  others enter the stairs at the SFPE maximum flow in the order fire floor, floors above it, then
  floors below (phased evacuation). Search-and-rescue clears floors in the same order.
- **Casualties** (screening, monotone): floor f becomes untenable ``untenable_after_s`` after the
  floor ``smoke_floors_above`` below it (or the origin) is involved, unless the fire is controlled
  first. Each occupant still on an untenable floor is exposed until they leave, ``smoke_clear_s``
  after control, or t_end; exposure/``casualty_exposure_s`` (capped at 1) is their casualty
  probability (a linear fractional-effective-dose idea after Purser). Later evacuation or later
  control never lowers casualties.

Extension points: other detectors in :meth:`FireModel.detection_time`; a different water rule in
:func:`required_flow_lpm`; per-floor occupants in the occupant tables of
:class:`~scenarios.hazards.fire_tables.FireConstants` (once per parameter set) and :meth:`FireModel._occupants`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from functools import lru_cache
from typing import Any

import numpy as np

from scenarios.hazards.base import InterventionLog, check_nonneg, register
from scenarios.hazards.evacuation import StairEvacuation, building_evacuation
from scenarios.hazards.fire_tables import FireConstants, constants_for
from scenarios.hazards.params import FireParams

GROWTH_TG: dict[str, float] = {"slow": 600.0, "medium": 300.0, "fast": 150.0, "ultra_fast": 75.0}
Q_REF_KW = 1055.0
WATER_MJ_PER_KG = 2.6


def growth_alpha(growth: str) -> float:
    """NFPA 204 fire-growth coefficient α = 1055/t_g² (kW/s²)."""
    return Q_REF_KW / GROWTH_TG[growth] ** 2


def hrr_t2(t: np.ndarray | float, alpha: float, cap_kw: float | None = None) -> np.ndarray:
    """t² heat-release rate (kW), optionally capped."""
    q = alpha * np.square(np.maximum(np.asarray(t, dtype=float), 0.0))
    return q if cap_kw is None else np.minimum(q, cap_kw)


def time_to_hrr(q_kw: float, alpha: float, cap_kw: float | None = None) -> float | None:
    """Seconds for a t² fire to reach ``q_kw``; ``None`` if the cap keeps it below."""
    if cap_kw is not None and q_kw > cap_kw:
        return None
    return math.sqrt(q_kw / alpha)


def alpert_delta_t(q_kw: Any, h: float, r: float) -> np.ndarray:
    """Alpert (1972) ceiling-jet excess temperature (K) at height ``h`` and radius ``r``."""
    q = np.asarray(q_kw, dtype=float)
    if r / h <= 0.18:
        return 16.9 * np.cbrt(q) ** 2 / h ** (5.0 / 3.0)
    return 5.38 * np.cbrt(q / r) ** 2 / h


def alpert_velocity(q_kw: Any, h: float, r: float) -> np.ndarray:
    """Alpert (1972) ceiling-jet velocity (m/s)."""
    q = np.asarray(q_kw, dtype=float)
    if r / h <= 0.15:
        return 0.96 * np.cbrt(q / h)
    return 0.195 * np.cbrt(q) * math.sqrt(h) / r ** (5.0 / 6.0)


def hrr_for_delta_t(delta_c: float, h: float, r: float) -> float:
    """Inverse of :func:`alpert_delta_t`: HRR (kW) giving a ceiling-jet rise of ``delta_c``."""
    if r / h <= 0.18:
        return (delta_c * h ** (5.0 / 3.0) / 16.9) ** 1.5
    return r * (delta_c * h / 5.38) ** 1.5


def link_activation_time(
    alpha: float, cap_kw: float | None, h: float, r: float, rti: float, t_act_c: float,
    ambient_c: float = 20.0, t_max: float = 7200.0,
) -> float | None:
    """Sprinkler/heat-detector link activation time (s) for a t² fire via the RTI equation; ``None`` if never."""
    from scipy.integrate import solve_ivp

    if cap_kw is not None and ambient_c + float(alpert_delta_t(cap_kw, h, r)) <= t_act_c:
        return None

    def rhs(t: float, y: np.ndarray) -> list[float]:
        q = float(hrr_t2(t, alpha, cap_kw))
        return [math.sqrt(float(alpert_velocity(q, h, r))) / rti * (ambient_c + float(alpert_delta_t(q, h, r)) - y[0])]

    def hit(t: float, y: np.ndarray) -> float:
        return y[0] - t_act_c

    hit.terminal = True  # type: ignore[attr-defined]
    hit.direction = 1  # type: ignore[attr-defined]
    sol = solve_ivp(rhs, (0.0, t_max), [ambient_c], events=hit, rtol=1e-8, atol=1e-8, max_step=2.0)
    return float(sol.t_events[0][0]) if sol.t_events[0].size else None


def required_flow_lpm(q_kw: float, efficiency: float = 0.3) -> float:
    """Water flow (L/min) whose effective cooling (2.6 MJ/kg × η) matches the HRR."""
    return 60.0 * (q_kw / 1000.0) / (WATER_MJ_PER_KG * efficiency)


def fire_constants(p: FireParams) -> FireConstants:
    """``p``'s :class:`~scenarios.hazards.fire_tables.FireConstants` (computed once per parameters object)."""
    return constants_for(p, _derive)


def _derive(p: FireParams) -> FireConstants:
    alpha = p.alpha_kw_s2 or growth_alpha(p.growth)
    t_sprinkler = (
        link_activation_time(alpha, p.hrr_max_kw, p.ceiling_height_m, p.radial_distance_m, p.sprinkler_rti,
                             p.sprinkler_activation_c, p.ambient_c)
        if p.sprinklers else None
    )
    return FireConstants(p, alpha, t_sprinkler, time_to_hrr(p.flashover_kw, alpha, p.hrr_max_kw))


_building_evacuation = lru_cache(maxsize=64, typed=True)(building_evacuation)
"""The building's stair evacuation by its parameters (a frozen result: one per building, not per replication)."""


@register("fire")
class FireModel(InterventionLog):
    """High-rise fire behind the :class:`~scenarios.hazards.base.HazardModel` protocol."""

    kind = "fire"
    measures = frozenset({"hrr_kw", "hrr_total_kw", "floors_involved", "required_flow_lpm", "occupants_on_floors",
                          "untenable_floors", "sprinkler_active", "controlled"})
    actions = ("suppress", "first_attack", "evacuate", "rescue")
    per_unit_args = (("suppress", "flow_lpm"), ("first_attack", "flow_lpm"))
    detectors = frozenset({"smoke_detector", "smart_sensor", "sensor", "sprinkler", "citizen_call"})
    arguments = {"suppress": {"flow_lpm": "nonneg"}, "first_attack": {"flow_lpm": "nonneg"}, "evacuate": {},
                 "rescue": {"s_per_floor": "positive"}}

    def __init__(self, params: FireParams) -> None:
        super().__init__()
        self.p = params
        self.c = c = fire_constants(params)  # what the parameters alone decide: shared by the replications
        self.alpha = c.alpha
        self.t_sprinkler = c.t_sprinkler
        self.stair_flow = c.stair_flow
        self.t_hold: float = math.inf if self.t_sprinkler is None else self.t_sprinkler
        self.t_control_manual: float = math.inf
        self.t_evacuate: float | None = None
        self.rescues: list[tuple[float, float]] = []

    # ---- fire size --------------------------------------------------------------------------
    def hrr(self, t: float) -> float:
        """Floor-of-origin HRR (kW): t², capped, held from ``t_hold`` (sprinkler or water), zero after manual
        control."""
        if t >= self.t_control_manual:
            return 0.0
        te = max(min(t, self.t_hold), 0.0)  # hrr_t2 on one float, in plain floats (the same operations)
        q = self.alpha * (te * te)
        cap = self.p.hrr_max_kw
        return q if cap is None else min(q, cap)

    @property
    def t_control(self) -> float:
        return min(self.t_control_manual, self.t_sprinkler if self.t_sprinkler is not None else math.inf)

    @property
    def t_flashover(self) -> float | None:
        t = self.c.tfo_free
        return t if t is not None and t < self.t_hold else None

    def floors_involved(self, t: float) -> int:
        """Floors on fire at ``t`` (the origin counts from ignition): one more every 60/rate s after flashover
        until the fire is held. The commander looks every minute, hence the precomputed constants."""
        c, t_hold = self.c, self.t_hold
        t0 = c.spread_from  # flashover if façade spread follows it, else inf
        if t <= t0 or t_hold <= t0:  # not yet, never, or held before flashover
            return 1
        te = t if t <= t_hold else t_hold
        n = 1 + int((te - t0) * c.rate / 60.0 + 1e-9)  # te > t0: positive, so int() is the floor
        return n if n < c.max_floors else c.max_floors

    def total_hrr(self, t: float, floors: int | None = None) -> float:
        """Origin plus each further involved floor (``floors``: :meth:`floors_involved` at ``t`` if known)."""
        if t >= self.t_control_manual:
            return 0.0
        return self.hrr(t) + ((floors or self.floors_involved(t)) - 1) * self.p.floor_hrr_kw

    def available_flow(self, flow_lpm: float, t: float, floors: int | None = None) -> float:
        """Nominal flow reduced above the fire-water-deficient floor (at the highest involved floor)."""
        top = self.p.floor_of_origin + (floors or self.floors_involved(t)) - 1
        lim = self.p.water_deficient_above_floor
        return flow_lpm * (self.p.upper_floor_water_fraction if lim is not None and top > lim else 1.0)

    # ---- protocol ---------------------------------------------------------------------------
    def detection_time(self, detector: str) -> float | None:
        """Free-burning detection times: smoke_detector, smart_sensor/sensor, sprinkler, citizen_call (flashover)."""
        p = self.p
        if detector == "smoke_detector":
            q = hrr_for_delta_t(p.smoke_detector_delta_c, p.ceiling_height_m, p.radial_distance_m)
            return time_to_hrr(q, self.alpha, p.hrr_max_kw)
        if detector in ("smart_sensor", "sensor"):
            return time_to_hrr(p.smart_sensor_kw, self.alpha, p.hrr_max_kw)
        if detector == "sprinkler":
            return self.t_sprinkler
        if detector == "citizen_call":
            return time_to_hrr(p.flashover_kw, self.alpha, p.hrr_max_kw)
        return None

    def intervene(self, action: str, t: float, **kw: Any) -> float | None:
        """suppress / first_attack (``flow_lpm``), evacuate, rescue (``s_per_floor``)."""
        self._record(action, t, kw)
        if action in ("suppress", "first_attack"):
            default = 60.0 if action == "first_attack" else 900.0
            flow = check_nonneg("flow_lpm", kw.get("flow_lpm", default))
            return self._suppress(t, flow)
        if action == "evacuate":
            if self.t_evacuate is None:
                self.t_evacuate = t
            ev = self._evacuation()
            return max(0.0, self.t_evacuate + ev.sfpe_total_s - t)
        s = check_nonneg("s_per_floor", kw.get("s_per_floor", self.p.rescue_s_per_floor))
        if s <= 0:
            raise ValueError("s_per_floor must be > 0")
        self.rescues.append((t, s))
        return s * self.p.storeys

    def _suppress(self, t: float, flow_lpm: float) -> float | None:
        if t >= self.t_control_manual:
            return 0.0
        n = self.floors_involved(t)  # once, for the fire's size and the water reaching its top floor
        need = required_flow_lpm(self.total_hrr(t, n), self.p.water_efficiency)
        have = self.available_flow(flow_lpm, t, n)
        if have <= 0 or have < need:
            return None
        duration = self.p.knockdown_s * need / have
        self.t_hold = min(self.t_hold, t)
        self.t_control_manual = min(self.t_control_manual, t + duration)
        return self.t_control_manual - t

    def _evacuation(self) -> StairEvacuation:
        """The building's stair evacuation (depends on the parameters only: computed once per model)."""
        ev = self.__dict__.get("_evac")
        if ev is None:
            p = self.p
            ev = self._evac = _building_evacuation(p.storeys, p.occupants_per_floor, p.stair_width_m, p.stairs,
                                                   p.riser_tread, p.floor_height_m, p.premovement_s)
        return ev

    def _occupants(self) -> tuple[np.ndarray, np.ndarray]:
        """(floor, departure time) per occupant, in evacuation order, from evacuation and rescue so far."""
        c = self.c
        dep = c.never  # read-only: each step below makes a new array
        if self.t_evacuate is not None:  # the stair queue from the start; floor 1 walks out (offset 0, start + 0.0)
            dep = (self.t_evacuate + self.p.premovement_s) + c.stair_offset
        for t_r, s in self.rescues:
            dep = np.minimum(dep, t_r + c.rescue_times(s))
        return c.floors, dep

    def untenable_time(self, floor: np.ndarray) -> np.ndarray:
        """When each floor becomes untenable (inf if it never does before control)."""
        floor = np.asarray(floor, dtype=int)
        o = self.p.floor_of_origin
        k = np.maximum(floor - self.p.smoke_floors_above, o) - o
        # per k floors above the origin: involved at the free-burning time unless the fire is held first (they
        # increase with k, flashover first, so a held fire spreads no further); trailing inf beyond the roof
        t_free = self.c.t_free
        t_inv = np.where(t_free < self.t_hold, t_free, math.inf)
        u = np.where(floor >= o, t_inv[np.minimum(k, t_inv.size - 1)] + self.p.untenable_after_s, math.inf)
        return np.where(u < self.t_control, u, math.inf)

    def _untenable_prefix(self) -> int:
        """How many occupants, in evacuation order, are on floors that become untenable before control. They
        are a prefix: per floor, involvement time < hold and untenable time < control are thresholds on values
        that never decrease along the order (:class:`FireConstants`); bisect_left counts the values below."""
        c = self.c
        return min(bisect_left(c.f_rank, self.t_hold), bisect_left(c.uf_rank, self.t_control)) * c.per_floor

    def _exposure(self, t_end: float) -> tuple[float, float]:
        floors, dep = self._occupants()
        if floors.size == 0:
            return 0.0, 0.0
        # per occupant max(min(dep, end) − u, 0), u = untenable_time(floor): the same values as element by element
        # on untenable_time's array. ``end`` is finite (t_end is), so an occupant whose floor never becomes
        # untenable (u = inf) gets exactly 0; the others are the first n, and their u is c.uf_occ.
        dur = np.minimum(dep, min(t_end, self.t_control + self.p.smoke_clear_s))
        n = self._untenable_prefix()
        head = dur[:n]
        np.subtract(head, self.c.uf_occ[:n], out=head)
        np.maximum(head, 0.0, out=head)
        dur[n:] = 0.0
        exposed = np.count_nonzero(head)  # dur ≥ 0: the occupants exposed at all
        np.divide(dur, self.p.casualty_exposure_s, out=dur)  # then summed whole, in the same order as ever
        return float(exposed), float(np.minimum(dur, 1.0, out=dur).sum())

    def measure(self, name: str, t: float, until: float | None = None) -> float | None:
        if name == "floors_involved":  # the escalation trigger: no need for the occupants' whole state
            return float(self.floors_involved(t))
        return super().measure(name, t, until)

    def state(self, t: float) -> dict[str, float]:
        _floors, dep = self._occupants()
        u = self.untenable_time(np.arange(1, self.p.storeys + 1))
        return {
            "hrr_kw": self.hrr(t),
            "hrr_total_kw": self.total_hrr(t),
            "floors_involved": float(self.floors_involved(t)),
            "required_flow_lpm": required_flow_lpm(self.total_hrr(t), self.p.water_efficiency),
            "occupants_on_floors": float((dep > t).sum()),
            "untenable_floors": float((u <= t).sum()),
            "sprinkler_active": float(self.t_sprinkler is not None and t >= self.t_sprinkler),
            "controlled": float(t >= self.t_control),
        }

    def outcomes(self, t_end: float) -> dict[str, float | None]:
        exposed, casualties = self._exposure(t_end)
        tc = self.t_control
        return {
            "casualties": casualties,
            "people_exposed": exposed,
            "fire_floors": float(self.floors_involved(min(t_end, tc))),
            "t_control_hazard": tc if tc <= t_end else None,
        }
