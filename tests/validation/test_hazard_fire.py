"""Validation of the high-rise fire model (scenarios/hazards/fire.py) against published values."""

from __future__ import annotations

import math

import pytest

from scenarios.hazards.fire import (
    FireModel,
    alpert_delta_t,
    alpert_velocity,
    growth_alpha,
    link_activation_time,
    required_flow_lpm,
    time_to_hrr,
)
from scenarios.hazards.params import FireParams

# Source: NFPA 204 t² growth classes as tabulated in references.md ("Fire"):
# α = 1055/t_g², t_g = 600/300/150/75 s -> α = 0.002931/0.011722/0.046889/0.187556 kW/s².
NFPA_204 = {"slow": (600, 0.002931), "medium": (300, 0.011722), "fast": (150, 0.046889),
            "ultra_fast": (75, 0.187556)}


@pytest.mark.parametrize("growth", list(NFPA_204))
def test_growth_class_alpha_and_time_to_1055_kw(growth: str) -> None:
    """NFPA 204: α per class to the 4 significant figures published; Q reaches 1,055 kW at t_g."""
    t_g, alpha = NFPA_204[growth]
    assert growth_alpha(growth) == pytest.approx(alpha, rel=2e-4)
    assert time_to_hrr(1055.0, growth_alpha(growth)) == pytest.approx(t_g, rel=1e-12)
    m = FireModel(FireParams(growth=growth, hrr_max_kw=None))
    assert m.hrr(t_g) == pytest.approx(1055.0)


def test_alpert_correlations_switch_regions_continuously_enough() -> None:
    """Alpert (1972), references.md: ΔT = 16.9 Q^{2/3}/H^{5/3} near the axis (r/H ≤ 0.18),
    5.38 (Q/r)^{2/3}/H beyond; u = 0.96 (Q/H)^{1/3} (r/H ≤ 0.15), 0.195 Q^{1/3} H^{1/2}/r^{5/6} beyond.
    Hand values for Q = 1000 kW, H = 3 m."""
    assert float(alpert_delta_t(1000.0, 3.0, 0.3)) == pytest.approx(16.9 * 1000 ** (2 / 3) / 3 ** (5 / 3))
    assert float(alpert_delta_t(1000.0, 3.0, 3.0)) == pytest.approx(5.38 * (1000 / 3) ** (2 / 3) / 3)
    assert float(alpert_velocity(1000.0, 3.0, 0.3)) == pytest.approx(0.96 * (1000 / 3) ** (1 / 3))
    assert float(alpert_velocity(1000.0, 3.0, 3.0)) == pytest.approx(0.195 * 1000 ** (1 / 3) * 3 ** 0.5 / 3 ** (5 / 6))
    # Alpert's two ΔT branches meet within ~10 % at r/H = 0.18 (the published fit's own continuity)
    h = 3.0
    near, far = float(alpert_delta_t(500.0, h, 0.18 * h)), float(alpert_delta_t(500.0, h, 0.1801 * h))
    assert far == pytest.approx(near, rel=0.1)


def test_rti_link_equation_matches_analytic_solution_for_steady_gas() -> None:
    """RTI link equation dT/dt = √u/RTI (T_g − T) (Heskestad & Smith; references.md): for a steady
    ceiling jet the activation time is RTI/√u · ln((T_g − T_0)/(T_g − T_act)). A fire that reaches its
    cap within ~1 s is steady to that accuracy."""
    cap, h, r, rti, t_act, t0 = 1000.0, 3.0, 2.0, 50.0, 68.0, 20.0
    tg = t0 + float(alpert_delta_t(cap, h, r))
    u = float(alpert_velocity(cap, h, r))
    analytic = rti / math.sqrt(u) * math.log((tg - t0) / (tg - t_act))
    t = link_activation_time(1e4, cap, h, r, rti, t_act, t0)
    assert t is not None and t == pytest.approx(analytic, abs=0.5)
    # A fire capped below what the link needs never activates it.
    assert link_activation_time(0.05, 20.0, h, r, rti, t_act, t0) is None


def test_sprinkler_activation_caps_hrr_and_prevents_flashover() -> None:
    """Assumption documented in fire.py: an activated sprinkler holds the HRR at its activation value."""
    m = FireModel(FireParams(sprinklers=True, vertical_spread_floors_per_min=1.0))
    ts = m.detection_time("sprinkler")
    assert ts is not None and 30 < ts < 300
    assert m.hrr(ts + 600) == pytest.approx(m.hrr(ts))
    assert m.hrr(ts) < FireParams().flashover_kw
    out = m.outcomes(3600)
    assert out["fire_floors"] == 1 and out["casualties"] == 0 and out["t_control_hazard"] == pytest.approx(ts)


def test_required_flow_from_heat_absorption() -> None:
    """Water absorbs ≈ 2.6 MJ/kg heated and evaporated (Särdqvist 2002); at η = 0.3 a 1 MW fire needs
    60/(2.6·0.3) ≈ 76.9 L/min — the documented assumption."""
    assert required_flow_lpm(1000.0, 0.3) == pytest.approx(60 / 0.78)


def test_working_upper_floor_water_supply_shortens_time_to_control() -> None:
    """What-if (domain.md: Chongqing's 6,816 high-rises with fire-water problems): fire on floor 25,
    fire water deficient above floor 10. Same crew, same 900 L/min nominal, same attack time."""
    def control(fraction: float) -> float | None:
        m = FireModel(FireParams(floor_of_origin=25, water_deficient_above_floor=10,
                                 upper_floor_water_fraction=fraction))
        m.intervene("suppress", 600.0, flow_lpm=900.0)
        return m.outcomes(7200.0)["t_control_hazard"]

    working, weak, failed = control(1.0), control(0.6), control(0.3)
    assert working is not None and weak is not None
    assert working < weak
    assert failed is None  # 270 L/min < required flow for 6 MW: never takes hold


def test_micro_station_first_attack_stops_small_fire_not_big_one() -> None:
    """A micro fire station (微型消防站) hose reel (~60 L/min) holds a fire under ~0.8 MW only."""
    early = FireModel(FireParams())
    assert early.intervene("first_attack", 90.0, flow_lpm=60.0) is not None
    late = FireModel(FireParams())
    assert late.intervene("first_attack", 400.0, flow_lpm=60.0) is None
    assert late.outcomes(3600)["t_control_hazard"] is None


def test_facade_spread_involves_more_floors_the_later_control() -> None:
    """Combustible external insulation (domain.md, high-rise fire): floors involved grow at the set rate
    after flashover until suppression takes hold — behaviour of the documented spread rule in fire.py."""
    def floors(t_sup: float) -> float:
        m = FireModel(FireParams(vertical_spread_floors_per_min=1.0, hrr_max_kw=6000.0))
        m.intervene("suppress", t_sup, flow_lpm=1e5)
        return m.outcomes(7200)["fire_floors"]

    assert floors(150.0) == 1 < floors(400.0) < floors(900.0)


def test_earlier_evacuation_lowers_casualties() -> None:
    """Monotone casualty rule documented in fire.py (linear exposure dose after Purser's FED idea):
    occupants who start the SFPE stair evacuation earlier are exposed less."""
    def casualties(t_evac: float) -> float:
        m = FireModel(FireParams(vertical_spread_floors_per_min=0.5))
        m.intervene("evacuate", t_evac)
        return m.outcomes(3600)["casualties"]

    assert casualties(200.0) < casualties(600.0) < casualties(1200.0)


def test_rescue_floor_by_floor_reduces_casualties() -> None:
    """Search-and-rescue floor by floor (documented rule in fire.py) removes occupants from exposure."""
    base = FireModel(FireParams())
    rescued = FireModel(FireParams())
    rescued.intervene("rescue", 300.0, s_per_floor=120.0)
    assert rescued.outcomes(3600)["casualties"] < base.outcomes(3600)["casualties"]
