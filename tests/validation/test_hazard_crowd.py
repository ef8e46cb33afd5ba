"""Validation of the crowd model (scenarios/hazards/crowd.py) against published values and what-ifs."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.hazards.crowd import (
    J_MAX,
    RHO_AT_JMAX,
    CrowdModel,
    fruin_los,
    weidmann_flow,
    weidmann_speed,
)
from scenarios.hazards.params import RHO_MAX, CrowdParams, InflowStep


def test_weidmann_maximum_specific_flow_and_its_density() -> None:
    """Weidmann (1993), references.md: γ = 1.913, ρmax = 5.4, v₀ = 1.34 give J_max = 1.2249 P/(m·s)
    at ρ = 1.7507 P/m²."""
    assert J_MAX == pytest.approx(1.2249, abs=5e-5)
    assert RHO_AT_JMAX == pytest.approx(1.7507, abs=5e-4)
    grid = np.linspace(0.01, RHO_MAX, 20001)
    assert weidmann_flow(grid).max() <= J_MAX + 1e-9


def test_weidmann_speed_limits() -> None:
    """Weidmann (1993): free speed v₀ = 1.34 m/s as ρ → 0, standstill at ρmax = 5.4 P/m²."""
    assert float(weidmann_speed(1e-6)) == pytest.approx(1.34)
    assert float(weidmann_speed(RHO_MAX)) == 0.0
    assert float(weidmann_flow(RHO_MAX)) == 0.0
    # hand value at ρ = 2: 1.34·(1 − exp(−1.913·(1/2 − 1/5.4)))
    assert float(weidmann_speed(2.0)) == pytest.approx(1.34 * (1 - np.exp(-1.913 * (0.5 - 1 / 5.4))))


@pytest.mark.parametrize(
    ("rho", "los"),
    [(0.2, "A"), (0.31, "A"), (0.35, "B"), (0.5, "C"), (0.9, "D"), (1.5, "E"), (2.15, "E"), (2.2, "F"), (5.0, "F")],
)
def test_fruin_level_of_service_boundaries(rho: float, los: str) -> None:
    """Fruin (1971) walkway LOS, boundaries 0.31/0.43/0.72/1.08/2.15 P/m² (references.md)."""
    assert fruin_los(rho) == los


def _event(**kw: object) -> CrowdParams:
    """A riverside stair landing on a New-Year night: walk-ins plus metro trains (cf. the 2014 Bund case)."""
    base: dict[str, object] = dict(area_m2=400.0, inflow=(InflowStep(t=0.0, rate_p_s=1.5),), metro_headway_s=180.0,
                                   metro_passengers=600, exit_width_m=4.0)
    base.update(kw)
    return CrowdParams(**base)


def test_skipping_the_metro_stop_lowers_peak_density() -> None:
    """What-if (domain.md, Bund lesson: metro stops not skipped): trains stop discharging at 600 s."""
    def peak(skip_at: float | None) -> float:
        m = CrowdModel(_event())
        if skip_at is not None:
            m.intervene("skip_metro_stop", skip_at)
        return m.outcomes(7200.0)["peak_density"]

    no_skip, skip = peak(None), peak(600.0)
    assert skip < no_skip
    assert no_skip > 4.0 > skip  # the skip keeps the zone below Still's critical density


def test_density_never_exceeds_physical_maximum_under_overload() -> None:
    """Weidmann's ρmax = 5.4 P/m² (references.md) bounds the density even at 50 P/s of demand."""
    m = CrowdModel(_event(inflow=(InflowStep(t=0.0, rate_p_s=50.0),)))
    out = m.outcomes(3600.0)
    _, rho = m.trajectory(3600.0)
    assert rho.max() <= RHO_MAX and out["peak_density"] <= RHO_MAX
    assert out["minutes_above_critical"] > 0


def test_stalled_crowd_recovers_only_when_inflow_is_cut() -> None:
    """Capacity drop (documented assumption in crowd.py; the Bund lesson in domain.md — flows not made
    one-way, inflow not cut): once stalled, the zone clears only if demand falls below the stalled discharge."""
    def minutes(factor: float | None) -> float:
        m = CrowdModel(_event())
        m.intervene("skip_metro_stop", 1200.0)
        if factor is not None:
            m.intervene("restrict_inflow", 1800.0, factor=factor)
        return m.outcomes(7200.0)["minutes_above_critical"]

    assert minutes(0.3) < minutes(None)


def test_marshals_and_extra_exit_lower_peak_density() -> None:
    """More effective exit width (marshals: documented usage assumption; an opened exit) drains faster."""
    base = CrowdModel(_event()).outcomes(3600.0)["peak_density"]
    marshals = CrowdModel(_event())
    marshals.intervene("marshals", 0.0, n=15)
    exit_ = CrowdModel(_event())
    exit_.intervene("open_exit", 0.0, width_m=3.0)
    assert marshals.outcomes(3600.0)["peak_density"] < base
    assert exit_.outcomes(3600.0)["peak_density"] < base


def test_casualty_rate_calibration_to_the_bund_stampede() -> None:
    """Screening calibration documented in crowd.py: 2014-12-31 Bund (joint investigation report; references.md):
    36 dead + 49 injured = 85 casualties, ~12 min of stalled surges (23:23–23:35) on a landing under 20 m².
    Taken at the model's ceiling density 5.4 P/m², the default rate gives ≈ 85 (order of magnitude only)."""
    p = CrowdParams(area_m2=20.0, initial_density=RHO_MAX, crush_onset_s=0.0, exit_width_m=0.001, exit_usage=1.0)
    out = CrowdModel(p).outcomes(12 * 60.0)
    assert out["casualties"] == pytest.approx(85, rel=0.1)
    assert out["minutes_above_critical"] == pytest.approx(12.0, abs=0.1)


def test_detection_by_cctv_precedes_critical_density() -> None:
    """CCTV alert at Fruin's LOS E/F boundary (2.15 P/m²) comes before Still's critical 4 P/m²."""
    m = CrowdModel(_event())
    cctv, call = m.detection_time("cctv_density"), m.detection_time("citizen_call")
    assert cctv is not None and call is not None and cctv < call
    assert m.detection_time("smoke_detector") is None
