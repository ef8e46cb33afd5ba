"""The Bund 2014 replay (scenarios/library/bund_2014.yaml) through the whole engine, against the public record.

Window checked and where it comes from: the Shanghai joint investigation report (published 21 Jan 2015) found that
the police's one-way zone at the stair was breached at 22:37 — before that the stair carried no counterflow —,
that up- and down-flows met and stalled on the stair from 23:23 to 23:33, and that someone fell at its foot at
23:35. Crush conditions must therefore arise on the stair between 22:37 and 23:45 (the fall plus ten minutes for
the model's resolution) and not earlier, in every replication. Counterfactuals use the same seed (common random
numbers): the CCTV density-trend warning the report found missing is switched on (probability 1), and one
measure at a time is ordered through the scenario's own tasks.
"""

from __future__ import annotations

import pytest

from scenarios.loader import bundled_scenarios, load_scenario
from simulation.experiments.runner import run

BUND = next(p for p in bundled_scenarios() if p.stem == "bund_2014")
CLOCK = 18 * 3600  # the scenario (and the hazard's onset) starts at 18:00
BREACH = 22 * 3600 + 37 * 60 - CLOCK   # 22:37, report
FALL = 23 * 3600 + 35 * 60 - CLOCK     # 23:35, report
WINDOW = (BREACH, FALL + 10 * 60)
N, SEED = 4, 2014
T = "incident_types.crowd_crush"
TREND_WARNING = [f"{T}.detection.2.probability=1"]
NO_MEASURE = [f"{T}.tasks.crowd_control.intervention=null"]
STAIR = "[stair_foot, landing_low, landing_high, stair_head]"


def outcomes(sets: list[str]) -> list[dict]:
    res = run(load_scenario(BUND, sets=sets), N, SEED)
    return res.replications.to_pylist()


@pytest.mark.slow
def test_as_happened_crush_conditions_arise_on_the_stair_in_the_late_evening():
    """With the night's decisions (no trend warning, metro not skipped, approach open, police forcing their way
    in after the stall is seen): the cordon gives way near 22:37, crush conditions arise on the stair inside the
    report's window and never before it, casualties are of the Bund's order (36 dead, 49 injured)."""
    for row in outcomes([]):
        assert row["t_cordon_breached"] == pytest.approx(BREACH, abs=15 * 60)
        assert WINDOW[0] <= row["t_crush_conditions"] <= WINDOW[1]
        assert row["t_detect"] >= row["t_crush_conditions"] - 5 * 60   # seen only when the stair stalls (23:30)
        assert row["peak_density"] >= 5.0
        assert 40 <= row["casualties"] <= 150


@pytest.mark.slow
def test_an_early_warning_alone_changes_nothing():
    """The trend warning comes hours before the fall, but without a measure on the stair or its approaches the
    crush still comes in the same window: it is the decisions that matter, not the alarm."""
    for row in outcomes(TREND_WARNING + NO_MEASURE):
        assert row["t_detect"] < BREACH
        assert WINDOW[0] <= row["t_crush_conditions"] <= WINDOW[1]


@pytest.mark.slow
def test_one_way_flow_on_the_stair_ordered_early_prevents_crush_conditions():
    """Ordered after the early warning: the stair up-only along its whole length, held by 20 officers at each
    passage, people leaving the platform by its other stairs (the queue-to-the-platform one-way system the Bund
    police use today) — no crush conditions on the stair, same seed."""
    sets = TREND_WARNING + [f"{T}.tasks.crowd_control.intervention=one_way",
                            f"{T}.tasks.crowd_control.intervention_args.direction=a_to_b",
                            f"{T}.tasks.crowd_control.intervention_args.link={STAIR}"]
    for row in outcomes(sets):
        assert row["t_crush_conditions"] is None and row["casualties"] == 0.0
        assert row["peak_density"] < 4.0


@pytest.mark.slow
def test_closing_the_nanjing_road_approach_early_prevents_crush_conditions():
    """Traffic police close the approach from East Nanjing Road after the early warning (and nothing else is
    done at the stair): no crush conditions on the stair, same seed."""
    sets = TREND_WARNING + NO_MEASURE + [f"{T}.tasks.traffic_control.intervention=close_link"]
    for row in outcomes(sets):
        assert row["t_crush_conditions"] is None and row["casualties"] == 0.0


@pytest.mark.slow
def test_more_police_at_the_stair_early_hold_the_one_way_rule():
    """The night's own measure — officers at the stair — ordered after the early warning instead of at 23:30:
    with them the down-only rule at the stair's foot is not breached and no crush conditions arise."""
    for row in outcomes(TREND_WARNING):
        assert row["t_cordon_breached"] is None
        assert row["t_crush_conditions"] is None and row["casualties"] == 0.0
