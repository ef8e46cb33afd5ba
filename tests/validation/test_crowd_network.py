"""Validation of the crowd network (scenarios/hazards/crowd_network.py) against published pedestrian-flow results.

The counterflow checks run the model itself (two large zones joined by a 2 m corridor, steady state), not the
capacity formula alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.hazards import build_hazard
from scenarios.hazards.crowd import J_MAX
from scenarios.hazards.network_params import CrowdNetworkParams

WIDTH = 2.0
HOUR = 3600.0


def corridor(rate_ab: float, rate_ba: float, **kw: object) -> CrowdNetworkParams:
    """Two large halls joined by a corridor link; two streams walk it in opposite directions and leave at the far
    side. Demands above the corridor's capacity queue in front of it (the halls themselves stay uncongested)."""
    base: dict[str, object] = dict(
        zones=[{"id": "west", "kind": "plaza", "area_m2": 40000, "exit_width_m": 40},
               {"id": "east", "kind": "plaza", "area_m2": 40000, "exit_width_m": 40}],
        links=[{"id": "corridor", "a": "west", "b": "east", "width_m": WIDTH}],
        streams=[{"id": "eastbound", "path": ["west", "east"], "arrivals": [{"t": 0, "rate_p_s": rate_ab}]},
                 {"id": "westbound", "path": ["east", "west"], "arrivals": [{"t": 0, "rate_p_s": rate_ba}]}],
        step_s=1.0,
    )
    base.update(kw)
    return CrowdNetworkParams(**base)


def steady_flows(params: CrowdNetworkParams, t0: float = 1800.0, t1: float = 3600.0,
                 marshals: float = 0.0) -> tuple[float, float]:
    """Mean persons/s through the corridor each way over [t0, t1] (the link flows the model moved)."""
    m = build_hazard(params)
    if marshals:
        m.intervene("marshals", 0.0, link="corridor", n=marshals)
    tr = m.trajectory(t1)
    k0, k1 = int(t0 / params.step_s), int(t1 / params.step_s)
    return float(tr.flow_ab[k0:k1, 0].mean()), float(tr.flow_ba[k0:k1, 0].mean())


def test_unidirectional_saturated_corridor_carries_weidmann_maximum():
    """Weidmann (1993), references.md: J_max = 1.2249 P/(m·s), so a 2 m corridor saturated from one side carries
    2 × 1.2249 ≈ 2.45 persons/s (the Weidmann code of the single-zone model, reused per zone)."""
    east, west = steady_flows(corridor(3.0, 0.0))
    assert east == pytest.approx(WIDTH * J_MAX, rel=0.02)
    assert west == 0.0


def test_bidirectional_free_flow_equals_unidirectional():
    """Zhang, Klingsch, Schadschneider & Seyfried (2012), J. Stat. Mech. P02002: below capacity the fundamental
    diagrams of uni- and bidirectional streams agree (differences only for ρ > 1 m⁻²) — light counterflow carries
    what is asked of it."""
    east, west = steady_flows(corridor(0.5, 0.5))
    assert east == pytest.approx(0.5, rel=0.01) and west == pytest.approx(0.5, rel=0.01)
    alone, _ = steady_flows(corridor(0.5, 0.0))
    assert alone == pytest.approx(east, rel=0.01)


def test_saturated_counterflow_carries_less_than_one_direction():
    """Zhang et al. (2012), J. Stat. Mech. P02002: the maximum specific flow of unidirectional streams is
    significantly larger than that of all bidirectional streams examined."""
    uni = sum(steady_flows(corridor(3.0, 0.0)))
    for minor in (1.0, 2.0, 3.0):
        bi = sum(steady_flows(corridor(3.0, minor)))
        assert bi < 0.95 * uni, (minor, bi, uni)


def test_counterflow_loss_is_largest_when_balanced():
    """Alhajyaseen & Nakamura (2011), Procedia Soc. Behav. Sci. 16, 526–535: the maximum reduction in capacity
    occurs at roughly equal flows from both sides; Feliciani, Murakami & Nishinari (2018), PLOS ONE 13(12)
    e0208496: the balanced case is the most congested. With the major direction queued at the corridor, the
    total carried falls as a free-flowing minor flow grows towards balance, and is lowest with both queued."""
    totals = [sum(steady_flows(corridor(3.0, minor))) for minor in (0.0, 0.25, 0.5, 0.75)]
    balanced = sum(steady_flows(corridor(3.0, 3.0)))
    totals.append(balanced)
    assert all(a > b for a, b in zip(totals, totals[1:])), totals
    # the loss vanishes with the minor flow: a ~10 % minor share loses less than half the balanced loss
    assert totals[0] - totals[1] < (totals[0] - balanced) / 2


def test_marshals_keeping_lanes_apart_restore_counterflow_capacity():
    """Lane formation lifts bidirectional capacity (Kretz et al. 2006, J. Stat. Mech. P10001: with stable lanes
    in a 2 m corridor flow plus counterflow even exceeded one-way flow); marshals keeping lanes apart remove part
    of the loss (``marshal_order_gain``, an assumption)."""
    unmanned = sum(steady_flows(corridor(3.0, 3.0)))
    managed = sum(steady_flows(corridor(3.0, 3.0), marshals=10))
    assert managed > unmanned + 0.1


def _rising_plaza(**kw: object) -> CrowdNetworkParams:
    """A square filling over the evening (visitors stay an hour), a 3 m stair kept down-only by an unmanned
    one-way rule, people coming down it from a platform and others wanting to go up."""
    base: dict[str, object] = dict(
        zones=[{"id": "square", "kind": "plaza", "area_m2": 2000, "exit_width_m": 4},
               {"id": "stair", "kind": "stair", "area_m2": 12},
               {"id": "platform", "kind": "platform", "area_m2": 3000, "exit_width_m": 10}],
        links=[{"id": "foot", "a": "square", "b": "stair", "width_m": 3, "direction": "b_to_a"},
               {"id": "head", "a": "stair", "b": "platform", "width_m": 3}],
        streams=[{"id": "up", "path": ["square", "stair", "platform"],
                  "arrivals": [{"t": 0, "rate_p_s": 0.3}, {"t": HOUR, "rate_p_s": 2.0}]},
                 {"id": "visit", "path": ["square"], "then": "leave", "dwell_s": HOUR,
                  "arrivals": [{"t": 0, "rate_p_s": 0.5}, {"t": HOUR, "rate_p_s": 1.5}]},
                 {"id": "leave", "path": ["square"]},
                 {"id": "down", "path": ["platform", "stair", "square"], "arrivals": [{"t": 0, "rate_p_s": 2.5}]}],
        step_s=2.0, detection_horizon_s=4 * HOUR,
    )
    base.update(kw)
    return CrowdNetworkParams(**base)


def test_trend_analysis_warns_before_the_density_threshold():
    """The investigation of the 2014 Bund stampede named the missing analysis and warning of the crowd's rise
    (对监测人员流量变化未及时研判、预警): a trend projected ``trend_lead_s`` ahead reaches the alert density before
    the density does, and never later than the threshold alarm."""
    m = build_hazard(_rising_plaza())
    trend, level = m.detection_time("cctv_trend"), m.detection_time("cctv_density")
    assert trend is not None and level is not None
    assert trend < level - 600
    flat = build_hazard(_rising_plaza(trend_lead_s=0.0))
    assert flat.detection_time("cctv_trend") == pytest.approx(level, abs=2 * 2.0)


def test_police_see_a_stall_after_the_stair_fills():
    """Weidmann speed on the stair falls below ``observe_speed_m_s`` only at high density: the officers' stall
    observation comes after the CCTV alert on the square and no later than the critical density is reached."""
    m = build_hazard(_rising_plaza())
    stall, cctv = m.detection_time("police_observation"), m.detection_time("cctv_density")
    call = m.detection_time("citizen_call")
    assert stall is not None and cctv is not None and call is not None
    assert cctv < stall <= call
    assert stall > build_hazard(_rising_plaza()).outcomes(4 * HOUR)["t_cordon_breached"]  # after the counterflow began
    assert m.detection_time("smoke_detector") is None


def test_counterflow_on_a_stair_gives_crush_conditions_and_one_way_prevents_them():
    """The Bund mechanism (investigation report, 21 Jan 2015): up- and down-flows meeting on a stair stall into
    surges; with the stair made one-way (down only, held by officers) no crush conditions arise there."""
    both = build_hazard(_rising_plaza()).outcomes(4 * HOUR)
    assert both["t_crush_conditions"] is not None and both["casualties"] > 0
    held = build_hazard(_rising_plaza())
    held.intervene("one_way", 0.0, link=["foot", "head"], direction="b_to_a", n=20)
    out = held.outcomes(4 * HOUR)
    assert out["t_crush_conditions"] is None and out["casualties"] == 0.0
    assert out["peak_density"] < 4.0


def test_measures_act_from_the_time_they_are_ordered():
    """A measure ordered at t leaves everything before t as it was (the history is kept and only what follows is
    recomputed) and changes what follows."""
    free = build_hazard(_rising_plaza())
    closed = build_hazard(_rising_plaza())
    closed.intervene("close_link", 1800.0, link="foot")
    a, b = free.trajectory(4 * HOUR), closed.trajectory(4 * HOUR)
    k = int(1800 / 2.0)
    assert np.array_equal(a.rho[: k + 1], b.rho[: k + 1])
    assert not np.allclose(a.rho[k + 10:], b.rho[k + 10:])
    with pytest.raises(ValueError, match="unknown link 'nowhere'"):
        closed.intervene("one_way", 2000.0, link="nowhere", direction="a_to_b")
    with pytest.raises(ValueError, match="direction must be"):
        closed.intervene("one_way", 2000.0, link="foot", direction="up")


def test_skipping_the_metro_stop_and_restricting_inflow_cut_arrivals():
    """Fewer arrivals after the order: metro trains that would discharge later do not, and a restriction factor
    scales the walk-ins (the measures the single-zone model has, on the network)."""
    params = _rising_plaza(metro={"stream": "up", "headway_s": 300, "passengers": 40})
    base = build_hazard(params).outcomes(2 * HOUR)["arrived"]
    skip = build_hazard(params)
    skip.intervene("skip_metro_stop", HOUR)
    restrict = build_hazard(params)
    restrict.intervene("restrict_inflow", HOUR, factor=0.5, stream="up")
    assert skip.outcomes(2 * HOUR)["arrived"] == pytest.approx(base - 12 * 40, abs=1e-6)
    assert restrict.outcomes(2 * HOUR)["arrived"] == pytest.approx(base - 0.5 * 2.0 * HOUR, abs=1e-6)
