"""Channel and desk failures (issue 4, item 6): which arrangement degrades gracefully.

Every failure is a scenario option that already exists in the schema — ``channels[].down`` (a channel
out of service for a period) and ``agencies[].desk.night_staff`` (0 = nobody on duty 22:00–06:00) —
applied to one arm of a comparison with ``--set`` (a :class:`Variant`). With common random numbers an
element that an arrangement's routes never touch gives *identical* results pair by pair, so
"unaffected" is an exact statement, not a statistical one.

Two mechanisms of the engine decide who degrades gracefully, and the tests pin both:

* **the intake centre alerts its own service itself** (``intake_direct``: 119 → fire brigade over the
  radio, in parallel with the relay, once the case is verified — the same verification every notice
  waits for, so it is no head start — and likewise when a case only passes through 119, as a property
  alarm does on its way to the bureau) — and calls the site's operator (the building's fire-control room)
  itself, so the evacuation order never waits for a relay's desk. A relay with its own channel to the fire
  brigade — the platform, the bureau — bounds the cost of a dead radio; a relay that itself reaches the fire
  brigade through 119 and the same radio (the street office) does not. Conversely, an empty desk at a relay
  the case reaches *through* 119 no longer delays the fire brigade;
* **fan-out**: a serial phone list stalls at an unanswered desk, so every agency phoned after it waits;
  parallel copy-notify (抄告) only delays the tasks the empty desk owns.

The structural indicators predict the outcome: the failed desk is the relay (a single point of failure
by rule) in the arrangements that suffer most.
"""

from __future__ import annotations

import pytest

from scenarios.loader import load_scenario
from simulation.experiments.compare import ComparisonResult, Variant, compare
from simulation.model.world import build_world

FIRE = "scenarios/library/high_rise_fire.yaml"
RADIO_DOWN = "channels.0.down=[[0,1800]]"            # the 119 → fire brigade radio, first 30 minutes
NIGHT = "clock_start=14400"                             # 04:00: night shift until 06:00, 2 h after onset
BUREAU_EMPTY = "agencies.emergency_bureau.desk.night_staff=0"
STREET_EMPTY = "agencies.street_S3.desk.night_staff=0"  # the fire is in street S3
HOUR = 3600.0


def platform_down(seconds: int = 3600) -> tuple[str, ...]:
    """Every channel of the city operations platform (medium ``platform``) out for the first ``seconds``."""
    chans = load_scenario(FIRE).channels
    return tuple(f"channels.{i}.down=[[0,{seconds}]]" for i, c in enumerate(chans) if c.medium == "platform")


def run_pair(arrangement: str, failure: tuple[str, ...], common: tuple[str, ...] = (), n: int = 12) -> ComparisonResult:
    return compare(FIRE, [Variant("ok", arrangement), Variant("failed", arrangement, failure)], n, seed=9, sets=common)


def rows(res: ComparisonResult) -> dict[str, dict]:
    return {r["metric"]: r for r in res.comparison.to_pylist()}


def notified(res: ComparisonResult, arm: str, task: str) -> dict[int, float]:
    """When the task's owner heard of the incident, per replication (primary incident)."""
    return {r["replication"]: r["notified"] for r in res.runs[arm].tasks.to_pylist()
            if r["incident"] == "fire1" and r["task"] == task}


def delay(res: ComparisonResult, task: str) -> dict[int, float]:
    """Failed − ok notification time of ``task``, per replication."""
    ok, bad = notified(res, "ok", task), notified(res, "failed", task)
    return {k: bad[k] - ok[k] for k in ok}


def receivers(res: ComparisonResult) -> dict[int, str]:
    """Who took the first report, per replication (the same in both arms: detection draws are common)."""
    got = {
        arm: {r["replication"]: r["receiver"] for r in res.runs[arm].incidents.to_pylist() if r["incident"] == "fire1"}
        for arm in ("ok", "failed")
    }
    assert got["ok"] == got["failed"]
    return got["ok"]


def per_rep(res: ComparisonResult, arm: str, metric: str) -> dict[int, float]:
    return {r["replication"]: r[metric] for r in res.runs[arm].replications.to_pylist()}


def test_channel_zero_is_the_119_fire_radio():
    c = load_scenario(FIRE).channels[0]
    assert (c.from_, c.to, c.medium, c.both_ways, c.down) == ("centre_119", "fire_brigade", "radio", True, [])


# -- the 119 → fire brigade radio down for 30 minutes ----------------------------------------------------


@pytest.mark.parametrize("arrangement", ["sectoral_lead", "nearest_first"])
def test_radio_down_hurts_arrangements_where_the_fire_brigade_relays(arrangement):
    res = run_pair(arrangement, (RADIO_DOWN,))
    r = rows(res)
    lead = r["t_notify_lead"]
    # The lead (fire) is reached only over the dead radio: the notice waits for the channel, ~ the outage.
    assert lead["verdict"] == "worse" and lead["ci_low"] > 10 * 60
    assert lead["diff_mean"] < 30 * 60  # never more than the 30-minute outage
    # The first unit on scene is delayed only where it is the fire brigade's: the building's own staff (rung by 119
    # or by their own sensor) and the micro station on the alarm itself (一键调度) are not reached over the radio.
    first = {arm: {x["replication"]: (x["first_unit"], x["t_first_arrival"]) for x in
                   res.runs[arm].incidents.to_pylist() if x["incident"] == "fire1"} for arm in ("ok", "failed")}
    for k, (unit, t_ok) in first["ok"].items():
        t_failed = first["failed"][k][1]
        assert (t_failed > t_ok) if ".fire_brigade." in unit else (t_failed == t_ok), (k, unit, t_ok, t_failed)
    if arrangement == "nearest_first":
        assert r["t_first_arrival"]["diff_mean"] == 0
    assert res.structure["ok"]["relay"] == "fire_brigade"
    d = delay(res, "fire_attack")
    assert min(d.values()) > 0 and max(d.values()) <= 30 * 60


def fire_route(res: ComparisonResult) -> dict[str, dict]:
    """The structural indicators' quickest route to the fire brigade, per receiver of the first report."""
    return {r["receiver"]: r for r in res.structure["ok"]["notification"] if r["target"] == "fire_brigade"}


@pytest.mark.parametrize("arrangement", ["integrated_grid", "unified_command"])
def test_radio_down_is_cheap_where_the_relay_is_a_second_route_to_the_fire_brigade(arrangement):
    """119 alerts the fire brigade over the radio — when it takes the call, and when a property alarm passes
    through it on the way to the bureau — *and* the case reaches the platform / the bureau, which notifies
    the fire brigade over its own channel: with the radio dead the second route delivers, a few minutes
    later. Only where the case never touches 119 (the fire-control room reports straight onto the
    platform) is the radio irrelevant."""
    res = run_pair(arrangement, (RADIO_DOWN,))
    d = delay(res, "fire_attack")
    rcv = receivers(res)
    route = fire_route(res)
    on_radio = {k for k, v in rcv.items() if route[v]["route"] == "direct" or route[v]["via"] == "centre_119"}
    assert {k for k, v in rcv.items() if v == "centre_119"} <= on_radio
    # The bureau's case passes 119 (property → 119 → bureau); the platform's does not (property → platform).
    assert (route["property"]["route"], route["property"]["via"]) == (
        {"unified_command": ("passing", "centre_119"), "integrated_grid": ("relay", None)}[arrangement])
    for k, v in d.items():
        if k in on_radio:  # the radio was the quick route; the relay's takes a few minutes more
            assert 0 <= v < 10 * 60, (k, rcv[k], v)
        else:              # the case never needed the radio
            assert v == 0, (k, rcv[k], v)
    assert sum(d[k] for k in on_radio) > 0
    assert max(d.values()) < 10 * 60  # vs ~24 min on average under sectoral_lead, up to the 30-minute outage
    by_property = {k for k, v in rcv.items() if v == "property"}
    assert by_property
    if arrangement == "integrated_grid":  # the radio matters only after a 119 call: under 2 min on average
        assert on_radio.isdisjoint(by_property) and sum(d.values()) / len(d) < 2 * 60
    else:  # every property alarm passes 119: its quick alert is lost too, and the bureau's route takes over
        assert by_property <= on_radio and all(d[k] > 0 for k in by_property)
    r = rows(res)
    # Not free — the second route is a few minutes slower than the radio — but bounded by it.
    assert r["t_notify_lead"]["diff_mean"] < 2 * 60 and r["t_notify_lead"]["ci_high"] < 5 * 60


def test_radio_down_still_hurts_territorial_lead_whose_relay_reaches_fire_through_119():
    """The street office reaches the fire brigade via 119 and the same radio: no second route. Its own
    lead time is untouched, which is why t_notify_lead alone would call this arrangement robust."""
    world = build_world(load_scenario(FIRE, "territorial_lead"))
    assert [(h.src, h.dst) for h in world.graph.path("street_S3", "fire_brigade")] == [
        ("street_S3", "centre_119"), ("centre_119", "fire_brigade")]
    res = run_pair("territorial_lead", (RADIO_DOWN,))
    r = rows(res)
    assert r["t_notify_lead"]["diff_mean"] == 0  # the lead is the street office
    d = delay(res, "fire_attack")
    assert sum(d.values()) / len(d) > 10 * 60 and max(d.values()) <= 30 * 60, d
    # and the street office's serial phone list, which starts with the fire brigade, waits with it
    c = delay(res, "cordon")
    assert sum(c.values()) / len(c) > 10 * 60, c


# -- the emergency bureau's desk empty at night ----------------------------------------------------------


def test_bureau_desk_empty_at_night_cripples_unified_command_except_119s_own_calls():
    """Every notice the bureau sends waits at its empty desk — except those 119 makes itself: it alerts the
    fire brigade whether it took the call or the property's alarm passed through it on the way to the bureau
    (property → 119 → bureau), and after a call it rings the building's fire-control room (the site's
    operator) directly. So the fire attack and the evacuation never move and nobody dies of the empty desk;
    what it costs is the incident lead's notice and the police."""
    res = run_pair("unified_command", (BUREAU_EMPTY,), (NIGHT,))
    r = rows(res)
    # Every notice through the bureau waits at its empty desk until the 06:00 shift (≤ 2 h after onset).
    assert r["t_notify_lead"]["verdict"] == "worse" and r["t_notify_lead"]["ci_low"] > HOUR
    assert r["t_notify_lead"]["diff_mean"] < 2 * HOUR
    assert r["handoff_gap_total"]["verdict"] == "worse"
    assert r["fire_floors"]["diff_mean"] == 0 and r["fire_floors"]["ci_low"] == r["fire_floors"]["ci_high"] == 0
    rcv = receivers(res)
    route = fire_route(res)
    assert route["centre_119"]["route"] == "direct"
    assert (route["property"]["route"], route["property"]["via"]) == ("passing", "centre_119")
    fire, prop, cordon = delay(res, "fire_attack"), delay(res, "first_response"), delay(res, "cordon")
    cas_ok, cas_bad = per_rep(res, "ok", "casualties"), per_rep(res, "failed", "casualties")
    by_119 = [k for k, v in rcv.items() if v == "centre_119"]
    by_property = [k for k, v in rcv.items() if v == "property"]
    assert by_119 and by_property and set(by_119) | set(by_property) == set(rcv)
    assert all(v == 0 for v in fire.values())  # 119 alerts the fire brigade either way: the attack is not delayed
    # 119 rings the fire-control room itself, and an alarm the room took needs nobody: the evacuation never waits.
    assert all(v == 0 for v in prop.values()), prop
    assert cas_bad == cas_ok
    assert min(cordon.values()) > HOUR  # police hear only through the bureau, whoever took the report
    spof = {s["desk"]: s for s in res.structure["ok"]["single_points_of_failure"]}
    assert "relay" in spof["emergency_bureau"]["reasons"] and "police" in spof["emergency_bureau"]["cuts"]


@pytest.mark.parametrize("arrangement", ["integrated_grid", "sectoral_lead", "nearest_first"])
def test_bureau_desk_empty_does_not_touch_arrangements_that_only_inform_it(arrangement):
    res = run_pair(arrangement, (BUREAU_EMPTY,), (NIGHT,))
    r = rows(res)
    for m in ("t_notify_lead", "t_first_arrival", "t_dispatch", "t_close", "handoff_gap_total", "casualties"):
        if m in r:
            assert r[m]["diff_mean"] == 0 and r[m]["ci_low"] == r[m]["ci_high"] == 0, (arrangement, m)
    assert "emergency_bureau" not in {s["desk"] for s in res.structure["ok"]["single_points_of_failure"]
                                      if "relay" in s["reasons"]}


# -- the street office's desk empty at night -------------------------------------------------------------


def test_street_office_empty_at_night_cripples_territorial_lead():
    res = run_pair("territorial_lead", (STREET_EMPTY,), (NIGHT,))
    r = rows(res)
    assert r["t_notify_lead"]["verdict"] == "worse" and HOUR < r["t_notify_lead"]["diff_mean"] < 2 * HOUR
    rcv = receivers(res)
    by_119 = [k for k, v in rcv.items() if v == "centre_119"]
    assert by_119
    fire, prop = delay(res, "fire_attack"), delay(res, "first_response")
    cas_ok, cas_bad = per_rep(res, "ok", "casualties"), per_rep(res, "failed", "casualties")
    for k in by_119:
        # 119's own dispatch survives, and so does the evacuation: 119 rings the fire-control room itself
        # (a route through the street's desk would have cost lives — no city uses it)
        assert fire[k] == 0 and prop[k] == 0 and cas_bad[k] == cas_ok[k]
    assert min(delay(res, "cordon").values()) > HOUR
    assert res.structure["ok"]["relay"] == "street_S3"


def test_street_office_empty_stalls_the_serial_phone_list_of_sectoral_lead():
    """The fire brigade phones the property, then the street office, then the police …: nobody answers at
    the street office, so the police, 120 and housing wait for the 06:00 shift — a serial relay is only
    as fast as the slowest desk on its list. The lead itself (fire) is unaffected."""
    res = run_pair("sectoral_lead", (STREET_EMPTY,), (NIGHT,))
    r = rows(res)
    assert r["t_notify_lead"]["diff_mean"] == 0 and r["t_notify_lead"]["ci_low"] == r["t_notify_lead"]["ci_high"] == 0
    for task in ("cordon", "first_attack"):
        assert min(delay(res, task).values()) > HOUR, task
    assert all(v == 0 for v in delay(res, "fire_attack").values())
    # 120 is on the list after the street office: the triage hand-off waits with it until the street's desk is
    # staffed again at 06:00 (2 h after the start) — however close to 06:00 the task became available (the later
    # work orders go out after 06:00, so they lose little)
    ok, bad = notified(res, "ok", "triage_transport"), notified(res, "failed", "triage_transport")
    assert all(ok[k] < 2 * HOUR < bad[k] for k in ok), (ok, bad)
    held = {(h["blocked_by"], h["block_reason"]) for h in res.runs["failed"].handoffs.to_pylist()
            if h["task"] == "triage_transport"}
    assert held == {("street_S3", "desk_night_empty")}
    assert r["handoff_gap_total"]["verdict"] == "worse" and r["handoff_gap_total"]["ci_low"] > 15 * 60


@pytest.mark.parametrize("arrangement", ["integrated_grid", "nearest_first", "unified_command"])
def test_street_office_empty_only_delays_its_own_tasks_under_parallel_copy_notify(arrangement):
    res = run_pair(arrangement, (STREET_EMPTY,), (NIGHT,))
    for task in ("fire_attack", "first_response", "cordon", "search_rescue", "traffic_control", "triage_transport",
                 "structural_assessment"):
        assert all(v == 0 for v in delay(res, task).values()), (arrangement, task)
    r = rows(res)
    assert r["t_notify_lead"]["diff_mean"] == 0
    assert r["casualties"]["diff_mean"] == 0 and r["casualties"]["ci_low"] == r["casualties"]["ci_high"] == 0
    # only the street office's own tasks can wait for the shift (its resettlement order, when it arrives
    # before 06:00): a loss far below sectoral_lead's, where the whole serial list stalls at its desk
    assert 0 <= r["handoff_gap_total"]["diff_mean"] < HOUR


# -- the city operations platform down for an hour ---------------------------------------------------------


def test_platform_down_hurts_integrated_grid_only():
    """One platform, one single point of failure: with every platform channel down for an hour the
    integrated grid's relay is unreachable; arrangements without the platform do not even see it."""
    res = run_pair("integrated_grid", platform_down())
    r = rows(res)
    assert r["t_notify_lead"]["verdict"] == "worse" and r["t_notify_lead"]["diff_mean"] > 10 * 60
    assert r["handoff_gap_total"]["verdict"] == "worse"
    assert min(delay(res, "cordon").values()) > 30 * 60  # police hear only through the platform
    rcv = receivers(res)
    fire, prop = delay(res, "fire_attack"), delay(res, "first_response")
    cas_ok, cas_bad = per_rep(res, "ok", "casualties"), per_rep(res, "failed", "casualties")
    assert {"centre_119", "property"} <= set(rcv.values())
    for k, v in rcv.items():
        if v == "centre_119":  # 119's radio still reaches the fire brigade and its phone the fire-control
            # room — each at most a little later than the platform post it races (15 s + the desk)
            assert 0 <= fire[k] < 2 * 60 and 0 <= prop[k] < 2 * 60, k
        elif v == "property":  # the fire-control room's report goes onto the dead platform: the fire brigade waits
            assert prop[k] == 0 and fire[k] > 30 * 60 and cas_bad[k] == cas_ok[k], k
    spof = {s["desk"]: s for s in res.structure["ok"]["single_points_of_failure"]}
    assert "relay" in spof["city_ops"]["reasons"]
    for other in ("sectoral_lead", "unified_command", "territorial_lead"):
        o = rows(run_pair(other, platform_down(), n=6))
        for m in ("t_notify_lead", "t_first_arrival", "handoff_gap_total", "casualties"):
            assert o[m]["diff_mean"] == 0 and o[m]["ci_low"] == o[m]["ci_high"] == 0, (other, m)
