"""Response levels act: a level-I fire gets a command post, a heavier first response and reinforcement that a
level-IV one does not (same seed), and a growing hazard raises the level during the run."""

from __future__ import annotations

import math

import pytest

from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world

FLAGSHIP = "scenarios/library/high_rise_fire.yaml"
RESPONSE = (
    "incident_types.high_rise_fire.response={command_post_at: 2, command_post_setup: 900, decision_factor: 0.5, "
    "weight: {1: 3, 2: 2, 3: 1, 4: 1}, raise_when: [{metric: floors_involved, at_least: 3}]}"
)


def run_at(severity: int, seed: int = 7, extra: tuple[str, ...] = ()):
    sc = load_scenario(FLAGSHIP, sets=[RESPONSE, f"incidents.0.severity={severity}", *extra])
    rep = Replication(build_world(sc), seed=seed, replication=0).run()
    inc = rep.incidents[0]
    tasks = {t.task: t for t in rep.tasks}
    return inc, tasks


def test_level_one_gets_a_command_post_a_heavier_response_and_reinforcement():
    hi, hi_tasks = run_at(1)
    lo, lo_tasks = run_at(4)
    assert hi.level == 1 and lo.level == 4
    assert not math.isnan(hi.t_command_post) and hi.command_post is not None
    assert math.isnan(lo.t_command_post) and lo.command_post is None
    # first alarm: the fire attack (2 engines in the plan) goes with 3 × 2 at level I, 2 at level IV
    assert len(hi_tasks["fire_attack"].units) > len(lo_tasks["fire_attack"].units)
    assert hi.level_max == 1 and lo.level_max <= 4


def test_a_growing_fire_raises_the_level_and_sends_a_second_alarm():
    """Declared at level III, the fire keeps spreading floor by floor (combustible façade): once three floors
    burn the commander raises the level to II, whose weight (2 against 1) sends a second alarm, and II opens
    a command post. (Seed 1: reported after 3.5 min, three floors burn before control. With seed 7 a smart
    sensor reports it within a minute and it is held at two floors — no raise, below.)"""
    inc, tasks = run_at(3, seed=1)
    assert inc.level == 3 and inc.outcomes["fire_floors"] >= 3
    assert inc.level_max is not None and inc.level_max < 3, "three floors burning must raise the level"
    assert inc.reinforcements > 0
    assert len(tasks["fire_attack"].units) > 2  # the second alarm's engines are on the task
    assert not math.isnan(inc.t_command_post)


def test_the_level_is_raised_when_three_floors_burn_and_only_then():
    """Over seeds 1–11: a run that reached level II had three floors burning, and a fire held at one or two floors
    never raised the level (the trigger is ``floors_involved ≥ 3``); both kinds occur."""
    kinds = set()
    for seed in range(1, 12):
        inc, _ = run_at(3, seed=seed)
        raised, floors = inc.level_max < 3, inc.outcomes["fire_floors"]
        assert not raised or floors >= 3, (seed, floors)
        assert raised or floors < 3 or inc.t_control - inc.t_start < 60, (seed, floors)  # (a look every minute)
        kinds.add(raised)
    assert kinds == {True, False}


@pytest.mark.parametrize("severity", [1, 4])
def test_levels_are_reproducible(severity):
    a, _ = run_at(severity, seed=3)
    b, _ = run_at(severity, seed=3)
    assert (a.t_command_post == b.t_command_post or (math.isnan(a.t_command_post) and math.isnan(b.t_command_post)))
    assert (a.level_max, a.reinforcements) == (b.level_max, b.reinforcements)


def test_a_trigger_on_a_measure_the_model_lacks_is_refused_up_front():
    from scenarios.errors import InputError

    typo = "incident_types.high_rise_fire.response.raise_when=[{metric: floor_involved, at_least: 3}]"
    with pytest.raises(InputError, match=r"raise_when\[0\]\.metric: .*no measure 'floor_involved'"):
        load_scenario(FLAGSHIP, sets=[typo])


def test_a_second_alarm_is_not_sent_to_finished_work_nor_kept_waiting_past_it():
    """Seed 3, both micro engines asked for: street S3's one micro engine goes, the level rises while it works and
    the second alarm's request waits for a micro engine to come back — until the first attack ends, when it is stood
    down (it used to take the returning engine only to turn it back, listing it twice and counting it as a
    reinforcement). And over seeds 1–11 no task lists a unit twice, and no unit is booked twice at once."""
    sc = load_scenario(FLAGSHIP, "integrated_grid", ["incident_types.high_rise_fire.tasks.first_attack.count=2"])
    rep = Replication(build_world(sc), seed=3, replication=0).run()
    attack = next(t for t in rep.tasks if t.task == "first_attack")
    assert rep.incidents[0].level_max < rep.incidents[0].level  # the level rose
    assert attack.units == ["demo.street_S3.ms_S3.micro_engine1"]
    assert [u.task for u in rep.unit_uses if u.unit == attack.units[0]] == ["first_attack"]
    for seed in range(1, 12):
        _, tasks = run_at(3, seed=seed)
        for t in tasks.values():
            real = [u for u in t.units if u != "mutual_aid"]
            assert len(real) == len(set(real)), (seed, t.task, t.units)


def test_a_second_alarms_units_are_booked_from_their_own_dispatch():
    """The units a raised level adds are booked (``unit_uses``) from when their own request was met and on scene
    when they arrived — not from the first alarm's dispatch and arrival (seed 1: three floors burn, a second alarm)."""
    sc = load_scenario(FLAGSHIP, sets=[RESPONSE, "incidents.0.severity=3"])
    rep = Replication(build_world(sc), seed=1, replication=0).run()
    attack = next(t for t in rep.tasks if t.task == "fire_attack")
    uses = [u for u in rep.unit_uses if u.task == "fire_attack"]
    first = [u for u in uses if u.assigned == attack.unit_assigned]
    later = [u for u in uses if u.assigned > attack.unit_assigned]
    assert rep.incidents[0].reinforcements > 0 and first and later
    assert all(u.arrived == attack.arrived for u in first)
    assert all(u.arrived > attack.arrived and u.assigned < u.arrived < u.free for u in later)


def test_units_are_listed_on_their_task_when_sent_not_when_on_scene():
    """A level-IV task sends one engine with a 10-minute turnout; a minute after the level decision the clock raises
    the level to III (weight 2), and a second engine goes while the first is still at its station. Both are listed on
    the task — the first-alarm list used to be written on arrival, over the second alarm's engine (booked on the
    task but missing from it) — and with the horizon cut while both are on their way, both are the task's still
    (it used to list only the second). Found by tests/property/test_mechanism_properties.py."""
    from tests.property.strategies import tiny

    def edit(doc: dict) -> None:
        doc["units"] = [{"station": "fs", "kind": "engine", "count": 2, "turnout": 600}]
        doc["incident_types"]["it"]["tasks"][0]["unit"] = "engine"
        doc["incident_types"]["it"]["response"] = {"weight": {3: 2, 4: 1}, "raise_after": 60, "check_every": 30}
        doc["incidents"][0]["severity"] = 4

    both = ["district.fire.fs.engine1", "district.fire.fs.engine2"]
    for horizon in (3600.0, 700.0):
        rep = Replication(build_world(tiny(edit, horizon=horizon)), seed=1, replication=0).run()
        (task,) = rep.tasks
        assert rep.incidents[0].level_max == 3 and rep.incidents[0].reinforcements == 1
        assert task.units == both, (horizon, task.units)
        if horizon == 3600.0:
            assert task.status == "done" and sorted(u.unit for u in rep.unit_uses) == both
        else:
            assert task.status == "abandoned" and math.isnan(task.arrived) and not rep.unit_uses


def test_a_second_alarm_is_stood_down_before_a_unit_back_at_that_instant_is_offered_to_it():
    """The only engine stands in the incident's grid (no travel back). The level rises while it works and the second
    alarm waits for an engine; the work ends and the engine is free at that same instant. The second alarm is stood
    down first: it used to be offered the engine in between (the stand-down waited for its process to resume), which
    was sent to the finished task only to turn back — listed twice, booked twice. Found by
    tests/property/test_mechanism_properties.py."""
    from tests.property.strategies import tiny

    def edit(doc: dict) -> None:
        doc["incidents"][0].update(grid="g0", severity=4)
        doc["incident_types"]["it"]["tasks"][0]["unit"] = "engine"
        doc["incident_types"]["it"]["response"] = {"weight": {3: 2, 4: 1}, "raise_after": 60, "check_every": 30}

    rep = Replication(build_world(tiny(edit)), seed=1, replication=0).run()
    (task,) = rep.tasks
    assert task.status == "done" and rep.incidents[0].level_max == 3
    assert task.units == ["district.fire.fs.engine1"] and rep.incidents[0].reinforcements == 0
    assert [(u.assigned, u.free) for u in rep.unit_uses] == [(task.unit_assigned, task.done)]


def test_a_unit_turned_back_on_its_way_is_booked_from_its_next_dispatch():
    """The clock raises the level 10 minutes after the decision (t = 670 s); the second alarm's engine is on its way
    when the first task ends (700 s), so it turns back. The next task takes it and the first engine once both are
    back (800 s), and its booking starts then: the second alarm used to note the engine's times on reaching, at 730 s,
    a scene it had already left, and the next task's booking took them up (670 s) — the engine booked on two tasks
    at once. Found by tests/property/test_mechanism_properties.py."""
    from tests.property.strategies import tiny

    def edit(doc: dict) -> None:
        doc["units"] = [{"station": "fs", "kind": "engine", "count": 2}]
        doc["incidents"][0]["severity"] = 4
        doc["agencies"][0]["decision"] = 100  # the next task asks for engines once both are back
        t0 = doc["incident_types"]["it"]["tasks"][0]
        t0.update(unit="engine", duration=470, controls=False)
        doc["incident_types"]["it"]["tasks"].append(
            {"id": "t1", "capability": "fire_attack", "after": ["t0"], "unit": "engine", "duration": 600})
        doc["arrangement"]["incident_types"]["it"]["tasks"]["t1"] = {"lead": ["fire"]}
        doc["incident_types"]["it"]["response"] = {"weight": {3: 2, 4: 1}, "raise_after": 600, "check_every": 30}

    rep = Replication(build_world(tiny(edit)), seed=1, replication=0).run()
    t0, t1 = rep.tasks
    assert rep.incidents[0].reinforcements == 1 and t0.status == t1.status == "done" and len(t1.units) == 2
    uses = sorted(rep.unit_uses, key=lambda u: (u.unit, u.assigned))
    turned_back = [u for u in uses if u.task == "t0" and math.isnan(u.arrived)]
    assert turned_back, "the second alarm's engine turned back"
    for a, b in zip(uses, uses[1:]):
        assert a.unit != b.unit or a.free <= b.assigned, (a.unit, a.task, a.free, b.task, b.assigned)
    assert all(u.assigned == t1.unit_assigned for u in uses if u.task == "t1")


@pytest.mark.xfail(strict=True, reason="known defect: a second alarm that overtakes the first alarm waits for it")
def test_the_work_starts_when_the_first_unit_of_anyone_is_on_scene():
    """The first alarm's engine stands in the incident's grid but takes 1000 s to turn out; the level rises a minute
    after the decision and the second alarm's engine, from the next grid, is on scene at 190 s. The task is reached
    when its first unit is (as an assisted task's is, assist.py) — but the engine waits for the first alarm and the
    task is reached at 1070 s, the work starting then (found by tests/property/test_mechanism_properties.py; left:
    the fix changes when work starts, a change of results to decide deliberately)."""
    from tests.property.strategies import tiny

    def edit(doc: dict) -> None:
        doc["stations"] = [{"id": "fa", "agency": "fire", "grid": "g1"}, {"id": "fb", "agency": "fire", "grid": "g0"}]
        doc["units"] = [{"station": "fa", "kind": "engine", "turnout": 1000}, {"station": "fb", "kind": "engine"}]
        doc["incidents"][0]["severity"] = 4
        doc["incident_types"]["it"]["tasks"][0]["unit"] = "engine"
        doc["incident_types"]["it"]["response"] = {"weight": {3: 2, 4: 1}, "raise_after": 60, "check_every": 30}

    rep = Replication(build_world(tiny(edit)), seed=1, replication=0).run()
    (task,) = rep.tasks
    second = next(u for u in rep.unit_uses if u.unit == "district.fire.fb.engine1")
    assert second.arrived < 1070.0 and rep.incidents[0].reinforcements == 1
    assert task.arrived <= second.arrived


def test_a_rise_reaches_a_task_whose_request_waits_for_a_unit():
    """Two fires, two engines: the first (level III) takes both; the second, declared at level IV, asks for one and
    waits in line. Its level rises to III while it waits (weight 2): the second alarm goes for it too, and it gets
    both engines when they are back. The rise used to reach only tasks whose units had been assigned, so a task still
    waiting kept the old weight for good (found by tests/property/test_mechanism_properties.py)."""
    from tests.property.strategies import tiny

    def edit(doc: dict) -> None:
        doc["units"] = [{"station": "fs", "kind": "engine", "count": 2}]
        doc["incident_types"]["it"]["tasks"][0].update(unit="engine", duration=1200)
        doc["incident_types"]["it"]["response"] = {"weight": {3: 2, 4: 1}, "raise_after": 300, "check_every": 30}
        doc["incidents"] = [{"id": "inc0", "type": "it", "grid": "g1", "severity": 3},
                            {"id": "inc1", "type": "it", "grid": "g1", "severity": 4, "onset": 10}]

    rep = Replication(build_world(tiny(edit)), seed=1, replication=0).run()
    first, second = rep.tasks
    assert len(first.units) == 2 and second.decided < first.done < second.unit_assigned
    inc1 = rep.incidents[1]
    assert (inc1.level, inc1.level_max, inc1.reinforcements) == (4, 3, 1)
    assert sorted(second.units) == ["district.fire.fs.engine1", "district.fire.fs.engine2"]
