"""Validation of the Gaussian plume (scenarios/hazards/plume.py) against published values and what-ifs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from scenarios.hazards.base import Site
from scenarios.hazards.params import CHEMICALS, PlumeParams
from scenarios.hazards.plume import (
    PlumeModel,
    centreline_distance,
    gaussian_plume,
    mg_m3_to_ppm,
    plume_field,
    sigmas,
)

# Source: Stern, Boubel, Turner & Fox, *Fundamentals of Air Pollution* 3rd ed., §19.III.D worked
# example (references.md): Q = 0.37 g/s, H = 40 m, u = 2 m/s, class B, ground-level centreline
# C = 1.53e-5, 1.56e-5, 1.55e-5 g/m³ at x = 0.26, 0.28, 0.30 km, with Pasquill–Gifford σ.
BOOK_X_M = np.array([260.0, 280.0, 300.0])
BOOK_C_G_M3 = np.array([1.53e-5, 1.56e-5, 1.55e-5])


def test_worked_example_fundamentals_of_air_pollution_with_pasquill_gifford() -> None:
    """The ISC3 digitisation of the P–G curves (EPA-454/B-95-003b Tables 1-1/1-2) reproduces the
    book's three values within 2 % (in fact within 0.5 %). Which fit: Briggs (1973) rural σ overshoots
    by 20–32 % and Martin's (1976) power-law P–G fit (checked by hand, not implemented) undershoots by
    up to 3.3 % at 0.26 km — only the ISC3 tables pass the 2 % bar."""
    c = gaussian_plume(0.37, 2.0, 40.0, BOOK_X_M, 0.0, 0.0, "B", "pasquill_gifford")
    np.testing.assert_allclose(c, BOOK_C_G_M3, rtol=0.02)
    np.testing.assert_allclose(c, BOOK_C_G_M3, rtol=0.005)
    briggs = gaussian_plume(0.37, 2.0, 40.0, BOOK_X_M, 0.0, 0.0, "B", "briggs_rural")
    assert np.all(np.abs(briggs / BOOK_C_G_M3 - 1.0) > 0.02)


def test_briggs_coefficients_as_published() -> None:
    """Briggs (1973), references.md: rural D σy = 0.08x(1+0.0001x)^−½, σz = 0.06x(1+0.0015x)^−½;
    urban D σy = 0.16x(1+0.0004x)^−½, σz = 0.14x(1+0.0003x)^−½; urban merges A–B and E–F."""
    x = 1000.0
    sy, sz = sigmas(np.array([x]), "D", "briggs_rural")
    assert sy[0] == pytest.approx(0.08 * x / math.sqrt(1.1)) and sz[0] == pytest.approx(0.06 * x / math.sqrt(2.5))
    sy, sz = sigmas(np.array([x]), "D", "briggs_urban")
    assert sy[0] == pytest.approx(0.16 * x / math.sqrt(1.4)) and sz[0] == pytest.approx(0.14 * x / math.sqrt(1.3))
    sy_a, sz_a = sigmas(np.array([x]), "A", "briggs_urban")
    assert sz_a[0] == pytest.approx(0.24 * x * math.sqrt(2.0))
    for a, b in (("A", "B"), ("E", "F")):
        np.testing.assert_allclose(sigmas(np.array([x]), a, "briggs_urban"), sigmas(np.array([x]), b, "briggs_urban"))
    sy_f, sz_f = sigmas(np.array([x]), "F", "briggs_rural")
    assert sz_f[0] == pytest.approx(0.016 * x / 1.3)


def test_ppm_conversion_and_levels_of_concern() -> None:
    """ppm = mg/m³ · 24.465/MW (25 °C, 1 atm), Cl₂ MW 70.906; chlorine 60-min AEGL 0.5/2.0/20 ppm (NRC AEGL
    vol. 4); ammonia 30/160/1100 ppm flagged uncertain (references.md)."""
    assert float(mg_m3_to_ppm(70.906, 70.906)) == pytest.approx(24.465)
    cl, nh3 = CHEMICALS["chlorine"], CHEMICALS["ammonia"]
    assert (cl.aegl1, cl.aegl2, cl.aegl3, cl.mw) == (0.5, 2.0, 20.0, 70.906)
    assert (nh3.aegl1, nh3.aegl2, nh3.aegl3, nh3.mw) == (30.0, 160.0, 1100.0, 17.031)
    assert nh3.uncertain and not cl.uncertain
    # ten Berge n = 2 for chlorine is consistent with its 10- and 60-min AEGL-3 (50 and 20 ppm):
    assert (50.0 / 20.0) ** cl.ten_berge_n * 10 == pytest.approx(60, rel=0.05)


def test_ground_reflection_conserves_mass_flux() -> None:
    """Gaussian plume with ground reflection: ∫∫_{z≥0} u·C dy dz = Q at any downwind x (textbook identity)."""
    q, u, h, x = 1000.0, 3.0, 25.0, 800.0
    sy, sz = sigmas(np.array([x]), "C", "briggs_rural")
    # crosswind integral is analytic (√(2π) σy · centreline); integrate the vertical profile numerically
    def vertical(z: float) -> float:
        return float(gaussian_plume(q, u, h, x, 0.0, z, "C")[()]) * math.sqrt(2 * math.pi) * sy[0]
    flux = u * quad(vertical, 0.0, 20 * sz[0] + h, limit=200)[0]
    assert flux == pytest.approx(q, rel=1e-4)


def test_ground_source_centreline_is_q_over_pi_u_sy_sz() -> None:
    """H = z = 0: the reflection doubles the free-space value, C = Q/(π u σy σz)."""
    sy, sz = sigmas(np.array([500.0]), "D", "briggs_urban")
    c = gaussian_plume(1.0, 2.0, 0.0, 500.0, 0.0, 0.0, "D", "briggs_urban")
    assert float(c) == pytest.approx(1.0 / (math.pi * 2.0 * sy[0] * sz[0]))


def test_field_matches_pointwise_formula_and_wind_direction() -> None:
    """plume_field rotates by the meteorological wind direction (from 270° = westerly → plume to +x)."""
    p = PlumeParams(release_rate_kg_s=1.0, wind_from_deg=270.0, stability="D")
    xs = np.linspace(-1000, 3000, 41)
    ys = np.linspace(-500, 500, 21)
    f = plume_field(p, xs, ys)
    X, Y = np.meshgrid(xs, ys)
    direct = gaussian_plume(1e6, 3.0, 2.0, X, Y, 1.5, "D", "briggs_rural", p.min_distance_m)
    np.testing.assert_allclose(f, direct, rtol=1e-12, atol=1e-100)  # cell at x=0: rounding of cos(270°)
    assert np.all(f[:, xs < 0] == 0.0)
    east = plume_field(p, [1000.0], [0.0])[0, 0]
    north = plume_field(p.model_copy(update={"wind_from_deg": 180.0}), [0.0], [1000.0])[0, 0]
    assert east > 0 and north == pytest.approx(east, rel=1e-12)


def test_centreline_distances_ordered_and_exact() -> None:
    """Threat-zone distances: AEGL-1 > AEGL-2 > AEGL-3, and the concentration there equals the level."""
    p = PlumeParams(chemical="chlorine", release_rate_kg_s=1.0, wind_speed_m_s=3.0, stability="D")
    d = [centreline_distance(p, lv) for lv in (0.5, 2.0, 20.0)]
    assert all(v is not None for v in d) and d[0] > d[1] > d[2]
    for lv, x in zip((0.5, 2.0, 20.0), d):
        c = mg_m3_to_ppm(gaussian_plume(1e6, 3.0, 2.0, x, 0.0, 1.5, "D"), 70.906)
        assert float(c) == pytest.approx(lv, rel=0.01)


def _line_site(n: int = 12, spacing: float = 400.0, pop: float = 1000.0) -> Site:
    xs = spacing * np.arange(1, n + 1)
    return Site(0.0, 0.0, xs, np.zeros(n), np.full(n, pop), [f"g{i}" for i in range(n)])


def test_earlier_plugging_lowers_people_exposed_above_aegl2() -> None:
    """What-if: plugging the leak earlier shortens everyone's toxic load, so fewer exceed AEGL-2."""
    params = PlumeParams(chemical="chlorine", release_rate_kg_s=2.0, stability="D", wind_speed_m_s=3.0)

    def exposed(t_plug: float) -> float:
        m = PlumeModel(params, _line_site())
        m.intervene("plug", t_plug)
        return m.outcomes(3 * 3600.0)["people_exposed"]

    assert exposed(300.0) < exposed(900.0) < exposed(1800.0)


def test_shelter_in_place_beats_late_evacuation_for_a_short_release() -> None:
    """Literature direction (e.g. Sorensen, Shumpert & Vogt 2004, *J. Hazardous Materials* 109; US EPA/FEMA
    protective-action guidance): for a short release, prompt shelter-in-place protects better than an
    evacuation that is still under way when the plume arrives. Release of 15 min (inventory 1,800 kg at
    2 kg/s), grids 0.4–4.8 km downwind."""
    params = PlumeParams(chemical="chlorine", release_rate_kg_s=2.0, inventory_kg=1800.0, stability="D",
                         wind_speed_m_s=3.0)

    def run(action: str, t: float, **kw: object) -> float:
        m = PlumeModel(params, _line_site())
        m.intervene(action, t, **kw)
        return m.outcomes(3 * 3600.0)["people_exposed"]

    shelter_early = run("shelter", 120.0)
    evacuate_late = run("evacuate", 600.0, rate_per_hour=20.0, workers=20)
    shelter_late = run("shelter", 900.0)
    base = PlumeModel(params, _line_site()).outcomes(3 * 3600.0)["people_exposed"]
    assert shelter_early < evacuate_late <= base
    assert shelter_early < shelter_late <= base


def test_casualties_follow_aegl3_assumption_and_max_concentration() -> None:
    """AEGL definitions (NRC): AEGL-3 ⊂ AEGL-2 ⊂ AEGL-1 exposure sets; casualties = fraction × AEGL-3
    exposed, the screening assumption documented in plume.py."""
    params = PlumeParams(chemical="chlorine", release_rate_kg_s=5.0, stability="F", casualty_fraction_aegl3=0.5)
    m = PlumeModel(params, _line_site())
    out = m.outcomes(7200.0)
    assert out["casualties"] == pytest.approx(0.5 * out["people_exposed_aegl3"])
    assert out["people_exposed_aegl1"] >= out["people_exposed"] >= out["people_exposed_aegl3"] > 0
    assert out["max_concentration_ppm"] == pytest.approx(float(m.grid_ppm.max()))
