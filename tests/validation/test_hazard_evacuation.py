"""Validation of stair evacuation (scenarios/hazards/evacuation.py): Pauls and SFPE hydraulic model."""

from __future__ import annotations

import pytest

from scenarios.hazards.evacuation import (
    SFPE_D_OPT,
    SFPE_K,
    building_evacuation,
    effective_width,
    pauls_evacuation_time_s,
    pauls_time_minutes,
    sfpe_max_specific_flow,
    sfpe_speed,
)

# Source: SFPE Handbook, "Emergency Movement" (Nelson & Mowrer; Gwynne & Rosenbaum), table of maximum
# specific flow F_max (persons/s per metre of effective width): corridor/doorway 1.3; stairs by
# riser/tread (in) 7.5/10 -> 0.94, 7/11 -> 1.01, 6.5/12 -> 1.09, 6.5/13 -> 1.16.
SFPE_FMAX = {"corridor": 1.3, "7.5/10": 0.94, "7/11": 1.01, "6.5/12": 1.09, "6.5/13": 1.16}


@pytest.mark.parametrize("element", list(SFPE_FMAX))
def test_sfpe_maximum_specific_flow_table(element: str) -> None:
    """F = k(1 − 0.266 D)·D maximised at D ≈ 1.88 reproduces the SFPE F_max table to the digits
    published (two decimals for stairs, one for corridors)."""
    tol = 0.05 if element == "corridor" else 0.006
    assert sfpe_max_specific_flow(SFPE_K[element]) == pytest.approx(SFPE_FMAX[element], abs=tol)


def test_sfpe_density_of_maximum_flow_is_1_88() -> None:
    """references.md (SFPE hydraulic model): maximum specific flow at D ≈ 1.88 P/m²."""
    assert SFPE_D_OPT == pytest.approx(1.88, abs=0.005)


def test_sfpe_stair_speed_agrees_with_measured_descent_speed() -> None:
    """NIST TN 1839 (references.md): measured mean stair descent speed 0.47 ± 0.17 m/s. The SFPE speed
    on 7/11 stairs at the maximum-flow density lies within one standard deviation."""
    assert abs(sfpe_speed(SFPE_D_OPT, SFPE_K["7/11"]) - 0.47) < 0.17
    assert sfpe_speed(0.3, 1.08) == pytest.approx(0.85 * 1.08)  # SFPE: free speed 0.85 k below 0.54 P/m²


def test_pauls_formula_hand_values() -> None:
    """Pauls, SFPE Handbook "Movement of People" (references.md): T = 0.68 + 0.081 p^0.73 min.
    Hand calculation: p = 100 P/m -> 0.68 + 0.081·28.840 = 3.016 min; p = 800 -> 0.68 + 0.081·131.60 = 11.34 min."""
    assert pauls_time_minutes(100.0) == pytest.approx(3.016, abs=0.001)
    assert pauls_time_minutes(800.0) == pytest.approx(11.34, abs=0.005)
    assert pauls_evacuation_time_s(180.0, 1.8) == pytest.approx(60 * pauls_time_minutes(100.0))


def test_pauls_rejects_p_above_800() -> None:
    """Pauls' formula is published for p ≤ 800 evacuees per metre of effective width."""
    with pytest.raises(ValueError, match="800"):
        pauls_time_minutes(801.0)
    with pytest.raises(ValueError):
        pauls_time_minutes(-1.0)


def test_building_evacuation_flow_time_and_effective_width() -> None:
    """SFPE hydraulic estimate: flow time = evacuees / (F_max · W_e), W_e = clear width − 2 × 0.15 m."""
    r = building_evacuation(storeys=11, per_floor=50, stair_width_m=1.2, stairs=2)
    assert effective_width(1.2) == pytest.approx(0.9)
    assert r.evacuees == 500
    assert r.flow_time_s == pytest.approx(500 / (sfpe_max_specific_flow(1.08) * 1.8))
    assert r.sfpe_total_s == pytest.approx(r.flow_time_s + r.travel_time_s)
    assert r.pauls_total_s == pytest.approx(60 * pauls_time_minutes(500 / 1.8))
    big = building_evacuation(storeys=30, per_floor=60, stair_width_m=1.2)
    assert big.pauls_total_s is None and big.pauls_p > 800
