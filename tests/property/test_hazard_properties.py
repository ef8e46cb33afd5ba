"""Hypothesis invariants of the hazard models (physical bounds and monotonicity in intervention delay)."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scenarios.hazards.base import Site
from scenarios.hazards.crowd import J_MAX, CrowdModel, weidmann_flow, weidmann_speed
from scenarios.hazards.evacuation import pauls_time_minutes
from scenarios.hazards.fire import FireModel
from scenarios.hazards.params import RHO_MAX, CrowdParams, FireParams, InflowStep, PlumeParams
from scenarios.hazards.plume import PlumeModel, gaussian_plume

classes = st.sampled_from("ABCDEF")
schemes = st.sampled_from(["briggs_rural", "briggs_urban", "pasquill_gifford"])
SLOW = settings(max_examples=25, deadline=None)
TOL = 1e-6


@given(x=st.floats(1.0, 50_000.0), y1=st.floats(0.0, 5_000.0), dy=st.floats(0.0, 5_000.0),
       h=st.floats(0.0, 200.0), z=st.floats(0.0, 50.0), cls=classes, scheme=schemes)
def test_concentration_nonnegative_and_decreasing_crosswind(x, y1, dy, h, z, cls, scheme) -> None:
    c1, c2, c_neg = (float(gaussian_plume(1e6, 3.0, h, x, y, z, cls, scheme)) for y in (y1, y1 + dy, -y1))
    assert c1 >= 0.0 and c2 >= 0.0
    assert c2 <= c1 * (1 + 1e-12)
    assert c_neg == c1  # symmetric about the centreline


@given(x=st.floats(-50_000.0, 0.0), y=st.floats(-1e4, 1e4), cls=classes, scheme=schemes)
def test_no_concentration_upwind(x, y, cls, scheme) -> None:
    assert float(gaussian_plume(1e6, 3.0, 10.0, x, y, 1.5, cls, scheme)) == 0.0


def _grid_site(seed: int) -> Site:
    rng = np.random.default_rng(seed)
    n = 30
    gx, gy = rng.uniform(-2000, 8000, n), rng.uniform(-3000, 3000, n)
    return Site(0.0, 0.0, gx, gy, rng.integers(0, 3000, n).astype(float), [f"g{i}" for i in range(n)])


@SLOW
@given(seed=st.integers(0, 10_000), t1=st.floats(0.0, 3600.0), dt=st.floats(0.0, 3600.0), cls=classes,
       rate=st.floats(0.05, 20.0))
def test_people_exposed_monotone_in_plug_time(seed, t1, dt, cls, rate) -> None:
    p = PlumeParams(release_rate_kg_s=rate, stability=cls)
    site = _grid_site(seed)
    outs = []
    for t in (t1, t1 + dt):
        m = PlumeModel(p, site)
        m.intervene("plug", t)
        outs.append(m.exposed_by_level(4 * 3600.0).sum(axis=1))
    assert np.all(outs[0] <= outs[1] + TOL)
    assert np.all(outs[0] >= 0) and outs[0][0] >= outs[0][1] >= outs[0][2]  # AEGL-1 ⊇ AEGL-2 ⊇ AEGL-3


@SLOW
@given(seed=st.integers(0, 10_000), t1=st.floats(0.0, 3000.0), dt=st.floats(0.0, 3000.0),
       action=st.sampled_from(["shelter", "evacuate", "warn"]), workers=st.integers(1, 200))
def test_people_exposed_monotone_in_protective_action_delay(seed, t1, dt, action, workers) -> None:
    """Later protective action never lowers exposure — for shelter, while the release is still going: with the
    indoor box model (dC_in/dt = λ(C_out − C_in)) people who go indoors after the cloud has passed step into
    the residual indoor air, so a later shelter order is then *less* harmful (why shelter-in-place must end
    when the plume has passed, Chan et al. 2007)."""
    p = PlumeParams(release_rate_kg_s=3.0, inventory_kg=3000.0, stability="D")
    if action == "shelter":
        assume(t1 <= p.inventory_kg / p.release_rate_kg_s)
    site = _grid_site(seed)
    outs = []
    for t in (t1, t1 + dt):
        m = PlumeModel(p, site)
        m.intervene(action, t, **({"workers": workers} if action == "evacuate" else {}))
        outs.append(m.exposed_by_level(4 * 3600.0).sum(axis=1))
    assert np.all(outs[0] <= outs[1] + TOL)
    assert np.all(outs[1] <= site.grid_population.sum() + TOL)


crowd_params = st.builds(
    CrowdParams,
    area_m2=st.floats(20.0, 2000.0),
    initial_density=st.floats(0.0, RHO_MAX),
    inflow=st.tuples(st.builds(InflowStep, t=st.just(0.0), rate_p_s=st.floats(0.0, 30.0))),
    metro_headway_s=st.floats(60.0, 600.0),
    metro_passengers=st.integers(0, 2000),
    exit_width_m=st.floats(0.5, 20.0),
    entry_width_m=st.floats(0.5, 30.0),
)


@SLOW
@given(p=crowd_params)
def test_density_stays_within_physical_bounds(p) -> None:
    m = CrowdModel(p)
    _, rho = m.trajectory(1800.0)
    assert rho.min() >= 0.0 and rho.max() <= RHO_MAX
    out = m.outcomes(1800.0)
    assert 0.0 <= out["peak_density"] <= RHO_MAX
    assert out["casualties"] >= 0.0


@SLOW
@given(p=crowd_params, t1=st.floats(0.0, 1500.0), dt=st.floats(0.0, 1500.0),
       action=st.sampled_from(["skip_metro_stop", "restrict_inflow", "open_exit", "marshals"]))
def test_crowd_outcomes_monotone_in_intervention_delay(p, t1, dt, action) -> None:
    kw = {"restrict_inflow": {"factor": 0.2}, "open_exit": {"width_m": 2.0}, "marshals": {"n": 10}}.get(action, {})
    outs = []
    for t in (t1, t1 + dt):
        m = CrowdModel(p)
        m.intervene(action, t, **kw)
        outs.append(m.outcomes(3000.0))
    for key in ("peak_density", "minutes_above_critical", "casualties"):
        assert outs[0][key] <= outs[1][key] + 1e-3 * max(1.0, outs[1][key])


fire_params = st.builds(
    FireParams,
    growth=st.sampled_from(["slow", "medium", "fast", "ultra_fast"]),
    storeys=st.just(20),
    floor_of_origin=st.integers(1, 20),
    occupants_per_floor=st.integers(0, 80),
    vertical_spread_floors_per_min=st.floats(0.0, 2.0),
    sprinklers=st.booleans(),
)


@SLOW
@given(p=fire_params, t1=st.floats(0.0, 2400.0), dt=st.floats(0.0, 2400.0))
def test_fire_casualties_monotone_in_evacuation_delay(p, t1, dt) -> None:
    outs = []
    for t in (t1, t1 + dt):
        m = FireModel(p)
        m.intervene("evacuate", t)
        outs.append(m.outcomes(7200.0))
    assert outs[0]["casualties"] <= outs[1]["casualties"] + TOL
    assert outs[0]["people_exposed"] <= outs[1]["people_exposed"]
    assert 0 <= outs[1]["casualties"] <= outs[1]["people_exposed"] <= p.storeys * p.occupants_per_floor


@SLOW
@given(p=fire_params, t1=st.floats(0.0, 2400.0), dt=st.floats(0.0, 2400.0), flow=st.floats(0.0, 5000.0))
def test_fire_casualties_monotone_in_suppression_delay(p, t1, dt, flow) -> None:
    outs = []
    for t in (t1, t1 + dt):
        m = FireModel(p)
        m.intervene("suppress", t, flow_lpm=flow)
        outs.append(m.outcomes(7200.0))
    assert outs[0]["casualties"] <= outs[1]["casualties"] + TOL
    assert outs[0]["fire_floors"] <= outs[1]["fire_floors"]
    c0, c1 = outs[0]["t_control_hazard"], outs[1]["t_control_hazard"]
    assert c1 is None or (c0 is not None and c0 <= c1)


@given(p=fire_params, t1=st.floats(0.0, 3600.0), dt=st.floats(0.0, 3600.0))
def test_unsuppressed_hrr_never_decreases(p, t1, dt) -> None:
    m = FireModel(p)
    assert 0.0 <= m.hrr(t1) <= m.hrr(t1 + dt)
    assert m.floors_involved(t1) <= m.floors_involved(t1 + dt) <= p.storeys - p.floor_of_origin + 1


@given(rho1=st.floats(0.0, RHO_MAX), rho2=st.floats(0.0, RHO_MAX))
def test_weidmann_speed_decreasing_and_flow_bounded(rho1, rho2) -> None:
    lo, hi = sorted((rho1, rho2))
    assert float(weidmann_speed(hi)) <= float(weidmann_speed(lo)) + 1e-12
    assert 0.0 <= float(weidmann_flow(rho1)) <= J_MAX + 1e-9


@given(p1=st.floats(0.0, 800.0), p2=st.floats(0.0, 800.0))
def test_pauls_time_increasing(p1, p2) -> None:
    lo, hi = sorted((p1, p2))
    assert 0.68 <= pauls_time_minutes(lo) <= pauls_time_minutes(hi)
