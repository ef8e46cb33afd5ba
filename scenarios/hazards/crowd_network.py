"""Crowd as a network (人群网络): zones joined by links, counterflow, build-up over hours, crush risk.

Physics and sources
-------------------
- **Zones and links.** Each zone (plaza, stair, landing, platform, street segment) holds people at density
  ρ = N/A; each link has a clear width W and a direction rule. People belong to *streams* walking fixed paths
  (arrivals from an approach, metro passengers, people leaving a platform), so two streams crossing one link
  in opposite directions are a counterflow (对冲).
- **Weidmann (1993)** per zone (:mod:`scenarios.hazards.crowd`): a zone sends W·S(ρ) through a link, S the
  specific flow J(ρ) up to the density of maximum flow ρ_c and, on the congested branch, J(ρ) but not below
  ``stalled_exit_fraction``·J_max; it receives W·R(ρ), R = J_max below ρ_c and J(ρ) above (zero at ρmax),
  the cell-transmission scheme of Daganzo (1994) as in the single-zone model.
- **Counterflow.** A link's capacity with demands D₁ ≥ D₂ in the two directions is
  W·J_max·(1 − κ·4r(1 − r)), r = D₂/(D₁ + D₂), shared between the directions in proportion to demand.
  Published basis: the capacity loss is largest when the two flows are balanced and vanishes as the minor
  flow does (Alhajyaseen & Nakamura 2011, Procedia Soc. Behav. Sci. 16; Feliciani, Murakami & Nishinari 2018,
  PLOS ONE 13(12) e0208496); below capacity uni- and bidirectional flows carry the same flow at the same
  density, and the maximum specific flow of bidirectional streams is significantly below the unidirectional
  one (Zhang, Klingsch, Schadschneider & Seyfried 2012, J. Stat. Mech. P02002). κ (``counterflow_loss``) is
  an assumption: stable lanes (Kretz et al. 2006, J. Stat. Mech. P10001, 2 m corridor) can even carry more;
  marshals keeping lanes apart remove ``marshal_order_gain`` of the loss each.
- **One-way rules** block one direction; the crowd facing the rule starts pushing through once its density
  reaches ``cordon_breach_density`` + ``cordon_police_density``·officers, and passes a share of its demand that
  grows by 1/``cordon_yield_density`` per P/m² beyond (assumptions; the rule yields progressively)
  (the Bund's one-way zone at the stair was breached at 22:37). People whose way is blocked leave through
  their zone's exit (they give up); a rule holds only where people have another way to go — those already on
  a stair or landing with no exit of its own are let off in their direction.
- **Balance.** Explicit flux steps of ``step_s``: everything leaving one zone enters another or the
  outside, outflows never exceed what a zone holds, so people in zones + people who left = people who
  arrived at every step. Arrivals a full zone cannot take are turned away (not counted as arrived).
- **Crush risk** on stairs and landings: ρ ≥ ``critical_density`` (G. K. Still ~4 P/m²) while the push
  into the zone — demand held back at its links, per metre of width, from either side — is at least
  ``crush_pressure`` (screening proxy for the surges, 浪涌). Casualties as in the single-zone model:
  P·(1 − exp(−r·E/P)) over the excess person-minutes E once crush conditions last ``crush_onset_s``.
- **Monitoring.** ``cctv_density``: a watched zone reaches the alert density; ``cctv_trend``: its density
  projected ``trend_lead_s`` ahead by the slope over ``trend_window_s`` reaches it (a trend, 研判预警);
  ``police_observation``: the crowd on a stair or landing stalls (speed below ``observe_speed_m_s``);
  ``citizen_call``: a stair or landing reaches critical density.
- **Measures** act from the time they are ordered, on a link or a list of links (a whole stair):
  ``one_way`` (link, direction, n officers holding it at each link), ``close_link``,
  ``open_link``, ``marshals`` (n on a link: lane order, and officers for its one-way rule),
  ``restrict_inflow`` (factor on arrivals, one stream or all), ``skip_metro_stop``.

The trajectory is computed lazily and kept: an intervention at t keeps everything before t and recomputes
only what follows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scenarios.hazards.base import InterventionLog, check_nonneg, register
from scenarios.hazards.crowd import max_flow, weidmann_flow, weidmann_speed
from scenarios.hazards.network_layout import Layout
from scenarios.hazards.network_params import CrowdNetworkParams
from scenarios.hazards.params import RHO_MAX

DIRECTIONS = ("a_to_b", "b_to_a")


@register("crowd_network")
class CrowdNetworkModel(InterventionLog):
    """People on a network of zones over time, behind the HazardModel protocol."""

    kind = "crowd"
    measures = frozenset({"density", "max_density", "persons", "pressure", "counterflow", "speed_m_s"})
    actions = ("one_way", "close_link", "open_link", "marshals", "restrict_inflow", "skip_metro_stop")
    detectors = frozenset({"cctv", "cctv_density", "sensor", "smart_sensor", "cctv_trend", "police_observation",
                           "citizen_call"})
    arguments = {"one_way": {"link": "links!", "direction": f"choice:{','.join(DIRECTIONS)}!", "n": "nonneg"},
                 "close_link": {"link": "links!"}, "open_link": {"link": "links!"},
                 "marshals": {"link": "links!", "n": "nonneg"},
                 "restrict_inflow": {"factor": "fraction", "stream": "stream"}, "skip_metro_stop": {}}

    @classmethod
    def argument_names(cls, params: Any) -> dict[str, set[str]]:
        return {"links": {li.id for li in params.links}, "streams": {s.id for s in params.streams}}

    def __init__(self, params: CrowdNetworkParams) -> None:
        super().__init__()
        self.p = params
        self.net = Layout(params)
        self._traj: Any = None  # this model's own Trajectory once a measure is ordered (before: the shared one)

    # ---- interventions -------------------------------------------------------------------------
    def intervene(self, action: str, t: float, **kw: Any) -> float | None:
        """Record a measure at ``t`` (s since onset); it acts from then on. Unknown link/stream → ValueError."""
        kw = self._checked(action, dict(kw))
        if self._traj is None:  # branch off the shared history: everything before t is the same
            self._traj = _baseline(self.p, self.net, t).copy()
        self._record(action, t, kw)
        self._traj.truncate(t)
        return 0.0

    def _checked(self, action: str, kw: dict[str, Any]) -> dict[str, Any]:
        net = self.net
        if action in ("one_way", "close_link", "open_link", "marshals"):
            links = kw.get("link")
            links = [links] if isinstance(links, str) else list(links or [])
            for link in links or [None]:
                if link not in net.link_index:
                    raise ValueError(f"{action}: unknown link {link!r} (known: {', '.join(net.link_index)})")
            kw["link"] = links
        if action == "one_way":
            if kw.get("direction") not in DIRECTIONS:
                raise ValueError(f"one_way: direction must be one of {DIRECTIONS}, got {kw.get('direction')!r}")
            kw["n"] = check_nonneg("n", kw.get("n", 0))
        elif action == "marshals":
            kw["n"] = check_nonneg("n", kw.get("n", 10))
        elif action == "restrict_inflow":
            f = check_nonneg("factor", kw.get("factor", 0.5))
            if f > 1:
                raise ValueError(f"factor must be within [0, 1], got {f}")
            kw["factor"] = f
            if kw.get("stream") is not None and kw["stream"] not in net.stream_index:
                raise ValueError(f"restrict_inflow: unknown stream {kw['stream']!r}")
        return kw

    # ---- trajectory ------------------------------------------------------------------------------
    def trajectory(self, t_end: float) -> Any:
        """The network's history on [0, t_end] given the measures so far (a :class:`Trajectory`)."""
        if self._traj is None:
            return _baseline(self.p, self.net, t_end)
        self._traj.extend(t_end, self.log)
        return self._traj

    def _at(self, t: float) -> int:
        tr = self.trajectory(max(t, self.p.step_s))
        return min(int(round(t / self.p.step_s)), tr.n_steps)

    # ---- protocol ---------------------------------------------------------------------------------
    def measure(self, name: str, t: float, until: float | None = None) -> float | None:
        if until is not None:
            self.trajectory(until)
        return self.state(t).get(name)

    def state(self, t: float) -> dict[str, float]:
        k = self._at(t)
        tr, net = self.trajectory(t), self.net
        rho = tr.rho[k]
        crush = rho[net.crush_zones] if net.crush_zones.size else rho
        worst = int(net.crush_zones[int(np.argmax(crush))]) if net.crush_zones.size else int(np.argmax(rho))
        return {
            "density": float(crush.max()),
            "max_density": float(rho.max()),
            "persons": float(tr.persons[k]),
            "pressure": float(tr.pressure[k].max()) if tr.pressure.shape[1] else 0.0,
            "counterflow": float(tr.counterflow[k]),
            "speed_m_s": float(weidmann_speed(rho[worst])),
            "arrived": float(tr.arrived[k]),
            "left": float(tr.left[k]),
        }

    def detection_time(self, detector: str) -> float | None:
        """cctv/cctv_density/sensor: watched zone at the alert density; cctv_trend: projected to reach it;
        police_observation: a stair or landing stalls; citizen_call: a stair or landing at critical density."""
        tr = self.trajectory(self.p.detection_horizon_s)
        p, net = self.p, self.net
        watched = tr.rho[: tr.n_steps + 1][:, net.watch]
        crush = tr.rho[: tr.n_steps + 1][:, net.crush_zones]
        if detector in ("cctv", "cctv_density", "sensor", "smart_sensor"):
            hit = (watched >= p.cctv_alert_density).any(axis=1)
        elif detector == "cctv_trend":
            lag = max(1, int(round(p.trend_window_s / p.step_s)))
            back = np.maximum(np.arange(len(watched)) - lag, 0)  # the window, or all there is of it so far
            span = np.maximum((np.arange(len(watched)) - back) * p.step_s, p.step_s)
            slope = (watched - watched[back]) / span[:, None]
            projected = watched + np.maximum(slope, 0.0) * p.trend_lead_s
            hit = ((projected >= p.cctv_alert_density) & (watched >= p.trend_floor_density)).any(axis=1)
            hit |= (watched >= p.cctv_alert_density).any(axis=1)  # a trend warning never comes after the threshold
        elif detector == "police_observation":
            rho_stall = stall_density(p.observe_speed_m_s)
            hit = (crush >= rho_stall).any(axis=1) if crush.shape[1] else np.zeros(len(watched), bool)
        elif detector == "citizen_call":
            hit = (crush >= p.critical_density).any(axis=1) if crush.shape[1] else np.zeros(len(watched), bool)
        else:
            return None
        idx = np.nonzero(hit)[0]
        return float(idx[0] * p.step_s) if idx.size else None

    def outcomes(self, t_end: float) -> dict[str, float | None]:
        tr = self.trajectory(t_end)
        p, net = self.p, self.net
        k_end = min(int(round(t_end / p.step_s)), tr.n_steps)
        rho = tr.rho[: k_end + 1][:, net.crush_zones]
        crush = tr.crush[: k_end + 1]
        excess = np.where(crush, (rho - p.critical_density) * net.area[net.crush_zones], 0.0)
        onset_steps = int(math.ceil(p.crush_onset_s / p.step_s))
        person_min = 0.0
        for j in range(crush.shape[1]):  # only after crush conditions have lasted crush_onset_s
            run = _run_lengths(crush[:, j])
            person_min += float(excess[:, j][run > onset_steps].sum()) * p.step_s / 60.0
        peak_persons = float((rho * net.area[net.crush_zones]).max()) if rho.size else 0.0
        casualties = peak_persons * -math.expm1(-p.casualty_rate * person_min / peak_persons) if person_min else 0.0
        first = np.nonzero(crush.any(axis=1))[0] if crush.size else np.zeros(0, int)
        breach = tr.breach_step[tr.breach_step >= 0]
        return {
            "peak_density": float(rho.max()) if rho.size else 0.0,
            "max_zone_density": float(tr.rho[: k_end + 1].max()),
            "minutes_above_critical": float((rho > p.critical_density).any(axis=1).sum() * p.step_s / 60.0),
            "crush_minutes": float(crush.any(axis=1).sum() * p.step_s / 60.0) if crush.size else 0.0,
            "t_crush_conditions": float(first[0] * p.step_s) if first.size else None,
            "t_cordon_breached": float(breach.min() * p.step_s) if breach.size else None,
            "casualties": casualties,
            "arrived": float(tr.arrived[k_end]),
            "left": float(tr.left[k_end]),
            "turned_away": float(tr.turned_away[k_end]),
        }


_BASELINES: dict[str, Any] = {}
"""Histories without measures, shared by every model of the same parameters (replications branch off them
when their first measure is ordered); a few parameter sets are kept."""
KEEP_BASELINES = 8


def _baseline(p: CrowdNetworkParams, net: Layout, t_end: float) -> Any:
    from scenarios.hazards.network_flow import Trajectory

    key = p.model_dump_json()
    tr = _BASELINES.get(key)
    if tr is None:
        while len(_BASELINES) >= KEEP_BASELINES:
            _BASELINES.pop(next(iter(_BASELINES)))
        tr = _BASELINES[key] = Trajectory(p, net)
    tr.extend(t_end, [])
    return tr


def stall_density(speed: float) -> float:
    """The Weidmann density at which walking speed falls to ``speed`` (m/s)."""
    from scipy.optimize import brentq

    return float(brentq(lambda r: float(weidmann_speed(r)) - speed, 1e-3, RHO_MAX))


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """For each step, how many consecutive steps (itself included) the flag has held."""
    idx = np.arange(flags.size)
    last_off = np.maximum.accumulate(np.where(flags, -1, idx))
    return np.where(flags, idx - last_off, 0)


__all__ = ["CrowdNetworkModel", "max_flow", "stall_density", "weidmann_flow"]
