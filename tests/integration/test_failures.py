"""Channel and desk failures (issue 4, item 6): which arrangement degrades gracefully.

Both failures are scenario options that already exist in the schema — ``channels[].down`` (a channel out
of service for a period) and ``agencies[].desk.night_staff`` (0 = nobody on duty 22:00–06:00) — applied
to one arm of a comparison with ``--set`` (a :class:`Variant`). With common random numbers an
arrangement whose routes do not touch the failed element gives *identical* results pair by pair, so
"unaffected" is an exact statement, not a statistical one.

The structural indicators predict the outcome: the failed desk is the relay (a single point of failure
by rule) in exactly the arrangements that suffer.
"""

from __future__ import annotations

import pytest

from scenarios.loader import load_scenario
from simulation.compare import Variant, compare

FIRE = "scenarios/library/high_rise_fire.yaml"
RADIO_DOWN = "channels.0.down=[[0,1800]]"            # the 119 → fire brigade radio, first 30 minutes
NIGHT = "clock_start=14400"                             # 04:00: night shift until 06:00
BUREAU_EMPTY = "agencies.emergency_bureau.desk.night_staff=0"


def effect(arrangement: str, failure: str, common: tuple[str, ...] = (), n: int = 12) -> dict[str, dict]:
    res = compare(FIRE, [Variant("ok", arrangement), Variant("failed", arrangement, (failure,))], n, seed=9, sets=common)
    rows = {r["metric"]: r for r in res.comparison.to_pylist()}
    rows["_structure"] = res.structure["ok"]
    return rows


def test_channel_zero_is_the_119_fire_radio():
    c = load_scenario(FIRE).channels[0]
    assert (c.from_, c.to, c.medium, c.both_ways, c.down) == ("centre_119", "fire_brigade", "radio", True, [])


@pytest.mark.parametrize("arrangement", ["sectoral_lead", "nearest_first"])
def test_radio_down_hurts_arrangements_where_the_fire_brigade_relays(arrangement):
    r = effect(arrangement, RADIO_DOWN)
    lead = r["t_notify_lead"]
    # The lead (fire) is reached over the dead radio: the notice waits for the channel, ~ the outage.
    assert lead["verdict"] == "worse" and lead["ci_low"] > 10 * 60
    assert lead["diff_mean"] < 30 * 60  # never more than the 30-minute outage
    assert r["t_first_arrival"]["diff_mean"] > 0
    assert r["_structure"]["relay"] == "fire_brigade"


@pytest.mark.parametrize("arrangement", ["integrated_grid", "unified_command"])
def test_radio_down_leaves_platform_and_bureau_routes_untouched(arrangement):
    r = effect(arrangement, RADIO_DOWN)
    for m in ("t_notify_lead", "t_first_arrival", "t_dispatch", "handoff_gap_total"):
        assert r[m]["diff_mean"] == 0 and r[m]["ci_low"] == r[m]["ci_high"] == 0, (arrangement, m)


def test_bureau_desk_empty_at_night_cripples_unified_command():
    r = effect("unified_command", BUREAU_EMPTY, (NIGHT,))
    # Every notice waits at the bureau's empty desk until the 06:00 shift (≤ 2 h after onset).
    assert r["t_notify_lead"]["verdict"] == "worse" and r["t_notify_lead"]["ci_low"] > 60 * 60
    assert r["t_notify_lead"]["diff_mean"] < 2 * 3600
    assert r["t_first_arrival"]["diff_mean"] > 5 * 60
    spof = {s["desk"]: s for s in r["_structure"]["single_points_of_failure"]}
    assert "relay" in spof["emergency_bureau"]["reasons"] and "fire_brigade" in spof["emergency_bureau"]["cuts"]


@pytest.mark.parametrize("arrangement", ["integrated_grid", "sectoral_lead"])
def test_bureau_desk_empty_does_not_touch_arrangements_that_only_inform_it(arrangement):
    r = effect(arrangement, BUREAU_EMPTY, (NIGHT,))
    for m in ("t_notify_lead", "t_first_arrival", "t_dispatch", "t_close", "handoff_gap_total"):
        assert r[m]["diff_mean"] == 0 and r[m]["ci_low"] == r[m]["ci_high"] == 0, (arrangement, m)
    assert "emergency_bureau" not in {s["desk"] for s in r["_structure"]["single_points_of_failure"]
                                      if "relay" in s["reasons"]}

