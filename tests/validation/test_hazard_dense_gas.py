"""Validation of the dense-gas model (scenarios/hazards/dense_gas.py) and the shelter box model against
published worked examples and first principles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.hazards import DenseGasModel, PlumeModel, PlumeParams, Site, build_hazard
from scenarios.hazards.dense_gas import (
    BritterMcQuaidPlume,
    BritterMcQuaidPuff,
    actual_ratio,
    correlation_ratio,
    gas_density,
)
from scenarios.hazards.exposure import indoor_ppm
from scenarios.loader import bundled_scenarios
from simulation.experiments.api import prepare
from simulation.model.engine import Replication

# CCPS, *Guidelines for Consequence Analysis of Chemical Releases* (AIChE 1999), §2.3.2 worked example of the
# Britter–McQuaid workbook model (p. 122), built on the Burro LNG trials: liquid spill 0.23 m³/s of LNG
# (425.6 kg/m³) evaporating to vapour of 1.76 kg/m³ at −162 °C, wind 10.9 m/s at 10 m, ambient 298 K,
# air 1.22 kg/m³, g = 9.8 m/s². Worked answer: q_0 = 55.6 m³/s, g_0' = 4.34 m/s², D = 2.26 m, dense criterion
# 0.43 ≥ 0.15, α = −0.43, corrected LFL ratio C* = 0.0192, β ≈ 2.21 read between the 0.02 and 0.01 curves,
# distance to the 5 % LFL x = D·10^β = 367 m.
BURRO = {"mass_rate_kg_s": 0.23 * 425.6, "rho_release": 1.76, "rho_air": 1.22, "wind_m_s": 10.9,
         "t_release": 273.15 - 162.0, "t_ambient": 298.0}
BOOK_LFL_DISTANCE_M = 367.0


def test_britter_mcquaid_plume_reproduces_the_ccps_burro_worked_example():
    """CCPS (1999) p. 122 (above): every intermediate the book prints, and the distance to the LFL.

    Tolerance: the book reads β off the log–log workbook curves to two decimals (β = 2.21, i.e. ±0.005 in β
    → ±1.2 % in x) and interpolates between the 0.02 and 0.01 curves by eye; we interpolate in log C. The
    two readings differ by under 2 %, so the distance must agree within 3 %."""
    bm = BritterMcQuaidPlume(**BURRO, g=9.8)  # the book's g
    assert bm.q0 == pytest.approx(55.6, abs=0.05)
    assert bm.g0 == pytest.approx(4.34, abs=0.005)
    assert bm.dc == pytest.approx(2.26, abs=0.005)
    assert bm.criterion == pytest.approx(0.43, abs=0.01) and bm.is_dense
    assert bm.alpha == pytest.approx(-0.43, abs=0.005)
    assert correlation_ratio(0.05, 298.0, 273.15 - 162.0) == pytest.approx(0.0192, abs=1e-4)
    x = bm.distance_to(0.05)
    assert x == pytest.approx(BOOK_LFL_DISTANCE_M, rel=0.03)
    # and the field says 5 % there (the inverse of the distance read-out)
    assert float(bm.centreline(x)) == pytest.approx(0.05, rel=1e-6)


def test_published_curve_fits_at_their_breakpoints():
    """The CCPS (1999) / Crowl & Louvar (Tables 5-6, 5-7) piecewise fits at values one can read off them:
    plume, C_m/C_0 = 0.1 → β = 1.75 for α ≤ −0.55 and 0.24α + 1.88 on (−0.55, −0.14]; 0.002 → β = 2.77 on
    (−0.25, −0.13] and 0.39α + 2.87 on (−0.69, −0.25]; puff, 0.01 → β = 0.34α + 1.39 on (−0.71, 0.37];
    0.001 → β = 2.075 for α ≤ −0.10."""
    from scenarios.hazards.dense_gas import PLUME_CURVES, PUFF_CURVES, beta_at
    r, b = beta_at(PLUME_CURVES, -0.8)
    assert (r[0], b[0]) == (0.1, pytest.approx(1.75))
    r, b = beta_at(PLUME_CURVES, -0.2)
    assert b[0] == pytest.approx(0.24 * -0.2 + 1.88) and b[-1] == pytest.approx(2.77)
    assert beta_at(PLUME_CURVES, -0.3)[1][-1] == pytest.approx(0.39 * -0.3 + 2.87)
    r, b = beta_at(PUFF_CURVES, 0.0)
    assert dict(zip(r, b))[0.01] == pytest.approx(1.39) and dict(zip(r, b))[0.001] == pytest.approx(2.05)
    r, b = beta_at(PUFF_CURVES, -0.5)
    assert dict(zip(r, b))[0.001] == pytest.approx(2.075)
    # every curve's β grows as the concentration falls (the curves never cross) over the fitted α range
    for curves in (PLUME_CURVES, PUFF_CURVES):
        for a in np.linspace(-1.0, 1.0, 41):
            assert np.all(np.diff(beta_at(curves, float(a))[1]) > 0)


def test_britter_mcquaid_puff_criterion_and_scaling():
    """Workbook, instantaneous release: dense when (g_0' V_0)^½/(u V_0^⅓) ≥ 0.20; the distance to a ratio is
    V_0^⅓·10^β, so at fixed α it scales with V_0^⅓ (first principles of the correlation's similarity form)."""
    rho_cl, rho_air = gas_density(70.906, 239.11), gas_density(28.964, 293.15)
    small = BritterMcQuaidPuff(1000.0, rho_cl, rho_air, 2.0, 239.11, 293.15)
    assert small.criterion > 0.2
    beta_01 = dict(zip(small.ratios, small.betas))[0.01]
    actual = float(actual_ratio(0.01, 293.15, 239.11))  # the volume fraction whose corrected ratio C* is 0.01
    assert small.distance_to(actual) == pytest.approx(10.0 * 10**beta_01, rel=1e-9)  # V_0^⅓ = 10 m
    big = BritterMcQuaidPuff(8000.0, rho_cl, rho_air, 2.0 * 2**0.5, 239.11, 293.15)  # same α: g_0'V_0^⅓/u² kept
    assert big.alpha == pytest.approx(small.alpha)
    assert big.distance_to(actual) == pytest.approx(2.0 * small.distance_to(actual), rel=1e-9)
    # a neutral gas has no density effect to speak of
    assert BritterMcQuaidPuff(1000.0, rho_air * 1.0001, rho_air, 2.0, 293.15, 293.15).criterion < 0.2


def test_chlorine_is_denser_than_air_and_ammonia_is_not():
    """Ideal gas at 1 atm: chlorine vapour at its boiling point (239 K) 3.61 kg/m³, air at 20 °C 1.20 kg/m³
    (so ~3 × as dense); ammonia vapour at its boiling point 0.87 kg/m³ (lighter than air)."""
    assert gas_density(70.906, 239.11) == pytest.approx(3.61, abs=0.01)
    assert gas_density(28.964, 293.15) == pytest.approx(1.204, abs=0.002)
    assert gas_density(17.031, 239.82) == pytest.approx(0.865, abs=0.005)
    site = Site.point()
    assert type(build_hazard(PlumeParams(chemical="chlorine"), site)) is DenseGasModel
    assert type(build_hazard(PlumeParams(chemical="ammonia"), site)) is PlumeModel
    assert type(build_hazard(PlumeParams(chemical="chlorine", gas_model="gaussian"), site)) is PlumeModel
    warm = PlumeParams(chemical="ammonia", gas_model="dense_gas")
    assert type(build_hazard(warm, site)) is DenseGasModel


def test_dense_field_is_continuous_at_the_handover_and_reaches_farther_near_the_source():
    """The passive far field starts from a virtual source chosen so the two fields agree at the hand-over
    (C*/C_0 = 0.002); a dense release stays more concentrated near the ground than the Gaussian plume of the
    same release (the reason ALOHA warns the Gaussian model off dense gases), so its AEGL-3 zone is longer."""
    p = PlumeParams(chemical="chlorine", release_rate_kg_s=0.5, wind_speed_m_s=2.5, stability="D",
                    dispersion="briggs_urban", source_height_m=3.0)
    m = build_hazard(p, Site.point())
    assert isinstance(m, DenseGasModel) and m.bm.is_dense
    x_t = m.handover_m
    below, above = m.concentration_ppm_plume(np.array([x_t * (1 - 1e-9), x_t * (1 + 1e-9)]), 0.0, 0.0)
    assert above == pytest.approx(below, rel=1e-3)
    g = PlumeModel(p, Site.point())
    assert m.threat_distances()["aegl3_m"] > 1.2 * g.threat_distances()["aegl3_m"]
    xs = np.geomspace(30, 5000, 200)
    c = m.concentration_ppm_plume(xs, 0.0, 0.0)
    assert np.all(np.diff(c) < 0)  # decays monotonically downwind


def test_override_switches_between_dense_and_gaussian():
    """A drill may change the release mid-run: the model is rebuilt as what the new release calls for."""
    m = build_hazard(PlumeParams(chemical="chlorine"), Site.point())
    m.override(gas_model="gaussian")
    assert type(m) is PlumeModel
    m.override(gas_model="auto")
    assert type(m) is DenseGasModel


def test_indoor_box_model_closed_form():
    """Box model dC_in/dt = λ(C_out − C_in), C_in(a) = 0 (Chan et al. 2007): C_in = C_out(1 − e^{−λ(t−a)})
    while the plume is there, then decays as e^{−λ(t−e)}; checked against a fine explicit Euler integration."""
    lam, c_out, a, e = 0.5 / 3600.0, 10.0, 300.0, 3900.0
    t = np.linspace(0.0, 8000.0, 80_001)
    ci = indoor_ppm(np.array([c_out]), np.array([a]), np.array([e]), lam, t)[0]
    euler = np.zeros_like(t)
    for i in range(1, t.size):
        outside = c_out if a <= t[i - 1] < e else 0.0
        euler[i] = euler[i - 1] + (t[i] - t[i - 1]) * lam * (outside - euler[i - 1])
    np.testing.assert_allclose(ci, euler, atol=2e-4)
    assert ci[t.searchsorted(e)] == pytest.approx(c_out * (1 - math.exp(-0.5)), rel=1e-3)


def _line_site(n: int = 8, spacing: float = 500.0, pop: float = 1000.0) -> Site:
    xs = spacing * np.arange(1, n + 1)
    return Site(0.0, 0.0, xs, np.zeros(n), np.full(n, pop), [f"g{i}" for i in range(n)])


def test_shelter_protects_less_the_longer_the_plume_stays_and_the_leakier_the_building():
    """First principles of the box model: indoors the toxic load tends to the outdoor one as exposure time grows
    and as the air exchange rises (Chan et al. 2007: shelter-in-place suits short releases, tight buildings)."""
    def exposed(inventory: float, ach: float) -> float:
        p = PlumeParams(chemical="chlorine", release_rate_kg_s=2.0, inventory_kg=inventory, stability="D",
                        wind_speed_m_s=3.0, air_changes_per_hour=ach, gas_model="gaussian")
        m = PlumeModel(p, _line_site())
        m.intervene("shelter", 0.0)
        return m.outcomes(4 * 3600.0)["people_exposed"]

    assert exposed(1800.0, 0.5) < exposed(14_400.0, 0.5)
    assert exposed(3600.0, 0.2) < exposed(3600.0, 0.5) < exposed(3600.0, 3.0)


def test_public_warning_shelters_the_reached_share_sooner():
    """A warning at t reaches ``warning_reach`` of everyone; they shelter ``warning_response_s`` later. Earlier
    warning → fewer people above AEGL-2; nobody reached (reach 0) → no effect. A 30-min release (3,600 kg at
    2 kg/s) over grids 0.5–4 km downwind; door-to-door shelter reaches everyone at 50 min."""
    p = PlumeParams(chemical="chlorine", release_rate_kg_s=2.0, inventory_kg=3600.0, stability="D",
                    wind_speed_m_s=3.0, gas_model="gaussian", warning_reach=0.6)

    def exposed(t_warn: float | None, params: PlumeParams = p) -> float:
        m = PlumeModel(params, _line_site())
        if t_warn is not None:
            m.intervene("warn", t_warn)
        m.intervene("shelter", 3000.0)
        return m.outcomes(4 * 3600.0)["people_exposed"]

    assert exposed(0.0) < exposed(900.0) < exposed(None)
    assert exposed(0.0, p.model_copy(update={"warning_reach": 0.0})) == exposed(None)


def test_bundled_chemical_leak_picks_the_dense_gas_model_for_chlorine():
    """The flagship releases chlorine (denser than air) with ``model: plume`` and no ``gas_model``: the engine
    builds the dense-gas model; the installation holds ≥ 5 t, the GB 18218-2018 critical quantity of chlorine."""
    path = next(p for p in bundled_scenarios() if p.stem == "chemical_leak")
    sc, world = prepare(path)
    inc = sc.incidents[0]
    assert inc.hazard.chemical == "chlorine" and inc.hazard.gas_model == "auto"
    assert inc.hazard.inventory_kg >= 5000.0
    rep = Replication(world, 2024, 0)
    rep.run()
    model = rep.incident_state(inc.id).hazard
    assert isinstance(model, DenseGasModel) and model.bm.is_dense
    detectors = sc.incident_types["chemical_leak"].detection
    assert {d.report_to for d in detectors if d.kind == "sensor"} == {"enterprise", "city_ops"}


def test_warning_to_leave_sends_the_reached_share_away_and_bad_messages_are_refused():
    """``message: evacuate``: the reached share sets off ``warning_response_s`` after the warning and is gone
    ``evacuation_departure_s`` later; gone before the load crossed a level means not counted above it."""
    p = PlumeParams(chemical="chlorine", release_rate_kg_s=2.0, inventory_kg=3600.0, stability="D",
                    wind_speed_m_s=3.0, gas_model="gaussian", warning_reach=0.6, warning_response_s=120.0,
                    evacuation_departure_s=300.0)

    def exposed(message: str | None) -> float:
        m = PlumeModel(p, _line_site())
        if message is not None:
            assert m.intervene("warn", 0.0, message=message) == pytest.approx(120.0)
        return m.outcomes(4 * 3600.0)["people_exposed"]

    nothing = exposed(None)
    assert exposed("evacuate") < nothing
    # at most the reached share can be saved by the warning
    assert exposed("evacuate") >= (1 - p.warning_reach) * nothing - 1e-9
    with pytest.raises(ValueError, match="warning message"):
        PlumeModel(p, _line_site()).intervene("warn", 0.0, message="panic")
