"""Invariants of response levels, second alarms, assisting agencies and work orders on generated scenarios.

Each test draws a scenario with the mechanisms on (:mod:`mechanisms`), runs one replication watched from outside
(:mod:`observed`: the unit pool's own moves, the requests made and withdrawn, the levels the policy gave) and
checks one thing that must hold whatever the scenario:

* a unit is in one place at a time, and the records (``unit_uses``) say where it was as the pool saw it;
* every unit sent is back or still out at the horizon — never both, never neither — and listed once on its task;
* no unit is sent to work already finished, a second alarm still waiting when the work ends is stood down, and
  a stood-down request never brings a unit;
* a task's stages and each unit's own times are in time order;
* a work order ends signed, rejected, cancelled, reopened or open, in that grammar, and the counts add up;
* the level rises only when its rule's condition held (and does when it held), reinforcement follows a rise;
* same seed → identical records.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from mechanisms import mechanism_scenarios
from observed import Observed, observe
from strategies import seeds

from scenarios.schema import Scenario
from simulation.model.records import TASK_STAGES
from simulation.model.response import weighted_count

EXAMPLES = int(os.environ.get("LINKAGE_PROPERTY_EXAMPLES", "60")) * 2  # a run takes milliseconds
MECH = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-6


def present(x: float) -> bool:
    return not math.isnan(x)


def _tasks(obs: Observed) -> dict[tuple[str, str], object]:
    return {(t.incident, t.task): t for t in obs.rep.tasks}


def _row(x: object) -> dict:
    """A record's fields (records are ``__slots__`` objects), for assertion messages."""
    return {k: getattr(x, k) for k in type(x).__slots__}


def _spec(sc: Scenario, task: str):
    return next(t for t in sc.incident_types["it"].tasks if t.id == task)


# -- units: one place at a time, and the records agree with the pool ----------------------------------


@MECH
@given(mechanism_scenarios(), seeds)
def test_a_unit_is_in_one_place_at_a_time_and_booked_as_it_moved(sc: Scenario, seed: int) -> None:
    obs = observe(sc, seed)
    for name, moves in obs.moves.items():
        for a, b in zip(moves, moves[1:]):  # the pool's own account: out again only once back
            assert a.back is not None and a.back <= b.assigned, (name, a, b)
    uses: dict[str, list] = {}
    for u in obs.rep.unit_uses:
        uses.setdefault(u.unit, []).append(u)
    for name, booked in uses.items():
        booked.sort(key=lambda u: u.assigned)
        for a, b in zip(booked, booked[1:]):
            assert a.free <= b.assigned, f"{name} booked on {a.incident}.{a.task} and {b.incident}.{b.task} at once"
        released = [m for m in obs.moves[name] if m.released is not None]
        assert len(booked) == len(released), (name, [(u.task, u.assigned) for u in booked], released)
        for u, m in zip(booked, released):  # each use is one move: same task, same dispatch, same return
            assert (u.incident, u.task, u.assigned) == (m.incident, m.task, m.assigned), (name, _row(u), m)
            if m.back is not None:
                assert math.isclose(u.free, m.back, abs_tol=EPS), (name, u.free, m)
            else:
                assert u.free >= sc.horizon - EPS, (name, u.free, m)


@MECH
@given(mechanism_scenarios(), seeds)
def test_every_unit_sent_is_back_or_still_out_never_both(sc: Scenario, seed: int) -> None:
    obs = observe(sc, seed)
    tasks = _tasks(obs)
    booked = Counter((u.incident, u.task, u.unit) for u in obs.rep.unit_uses)
    assert max(booked.values(), default=1) == 1, booked.most_common(1)
    for (inc, task), t in tasks.items():
        real = [n for n in t.units if n != "mutual_aid"]
        assert len(real) == len(set(real)), (inc, task, t.units)  # listed once
        for name in real:
            out = [m for m in obs.moves[name] if (m.incident, m.task) == (inc, task)]
            assert len(out) == 1, (inc, task, name, out)
            if t.status == "done":  # back (or on its way back): booked
                assert out[0].released is not None and booked[(inc, task, name)] == 1, (inc, task, name)
            else:  # still at the work at the horizon: not booked as back
                assert out[0].released is None and booked[(inc, task, name)] == 0, (inc, task, name)
    for name, moves in obs.moves.items():  # and every unit the pool handed out is listed on its task
        for m in moves:
            assert name in tasks[(m.incident, m.task)].units, (name, m)
    free_at_end = obs.rep.units.free
    for u in obs.rep.world.units:
        last = obs.moves[u.name][-1] if obs.moves.get(u.name) else None
        assert free_at_end[u.index] == (last is None or last.back is not None), (u.name, last)


@MECH
@given(mechanism_scenarios(), seeds)
def test_no_unit_is_sent_to_finished_work_and_stood_down_requests_bring_none(sc: Scenario, seed: int) -> None:
    obs = observe(sc, seed)
    tasks = _tasks(obs)
    for moves in obs.moves.values():
        for m in moves:
            t = tasks[(m.incident, m.task)]
            assert not (present(t.done) and m.assigned > t.done), f"{m.unit} sent to {m.task} after it was done: {m}"
    for r in obs.requests:
        t = tasks[(r.incident, r.task)]
        if r.withdrawn_at is not None:  # stood down: never met, and only because the work was over or met elsewhere
            assert not r.event.triggered, (r.incident, r.task)
        if not r.event.triggered:  # still waiting at the horizon: for work that is not finished
            assert r.withdrawn_at is not None or not present(t.done), (
                f"a request for {r.incident}.{r.task} made at {r.at} still waits though the work ended at {t.done}")


# -- times ----------------------------------------------------------------------------------------------


@MECH
@given(mechanism_scenarios(), seeds)
def test_stages_and_unit_times_are_in_time_order(sc: Scenario, seed: int) -> None:
    obs = observe(sc, seed)
    tasks = _tasks(obs)
    for t in obs.rep.tasks:
        times = [getattr(t, s) for s in TASK_STAGES]
        n = sum(present(v) for v in times)
        assert all(present(v) for v in times[:n]), (t.incident, t.task, dict(zip(TASK_STAGES, times)))
        reached = times[:n]
        assert all(a <= b for a, b in zip(reached, reached[1:])), (t.incident, t.task, dict(zip(TASK_STAGES, times)))
        assert all(0.0 <= v <= sc.horizon for v in reached)
        if present(t.dispatch_request):
            assert t.decided <= t.dispatch_request and not (t.unit_assigned < t.dispatch_request)
    for u in obs.rep.unit_uses:
        t = tasks[(u.incident, u.task)]
        assert t.unit_assigned <= u.assigned <= u.free, (u.unit, u.task, u.assigned, u.free, t.unit_assigned)
        if present(u.arrived):  # on scene while the work went on (one that arrives after it turns back)
            # (t.arrived ≤ u.arrived — the task is reached when its first unit is — does not hold yet: a second alarm
            # that overtakes the first alarm waits for it; tests/integration/test_response_levels.py, strict xfail)
            assert u.assigned <= u.arrived <= u.free and u.arrived <= t.done, (_row(u), t.done)
        else:  # turned back: the work ended before it got there
            assert present(t.done) and u.assigned <= t.done, (_row(u), t.done)


# -- work orders ------------------------------------------------------------------------------------------

# rejected…, cancelled (supervision), then reopened… and signed, or open; an order rejected or cancelled last: the
# horizon came while it was back with the dispatcher (re-dispatch) or with the superior (arbitration)
_GRAMMAR = re.compile(r"R*C?(E*[SO])?")
_LETTER = {"rejected": "R", "cancelled": "C", "reopened": "E", "signed": "S", "open": "O"}


@MECH
@given(mechanism_scenarios(levels=False, assist=False, scarce=False), seeds)
def test_work_orders_are_signed_rejected_reopened_or_open_and_counts_add_up(sc: Scenario, seed: int) -> None:
    obs = observe(sc, seed)
    wo, tasks = sc.work_orders, _tasks(obs)
    by_task: dict[tuple[str, str], list] = {}
    for o in obs.rep.work_order_records:
        by_task.setdefault((o.incident, o.task), []).append(o)
    for (inc, task), t in tasks.items():
        orders = by_task.get((inc, task), [])
        if _spec(sc, task).by != "work_order":
            assert not orders, (inc, task)
            continue
        if present(t.owner_known):
            assert orders, (inc, task)
        if not orders:
            continue
        outcomes = [o.outcome for o in orders]
        word = "".join(_LETTER[x] for x in outcomes)
        assert _GRAMMAR.fullmatch(word), (inc, task, outcomes)
        n = Counter(outcomes)
        between = word[-1] in "RC"  # no order out at the horizon: nobody owns the task yet
        assert sum(n.values()) == len(orders), (inc, task, outcomes)
        assert n["signed"] + n["open"] == (0 if between else 1), (inc, task, outcomes)
        if between:
            assert not present(t.owner_known) and t.owner is None, (inc, task, outcomes)
        assert [o.order_no for o in orders] == list(range(1, len(orders) + 1))
        if wo.arbitration_after is not None:
            assert n["rejected"] <= wo.arbitration_after, (inc, task, outcomes)
        if n["cancelled"]:
            assert wo.sign_deadline is not None
        if n["reopened"]:
            assert wo.verify_fail > 0
        for a, b in zip(orders, orders[1:]):
            assert a.t_dispatched <= b.t_dispatched
            if present(a.t_rejected):
                assert a.t_rejected <= b.t_dispatched
        for o in orders:
            assert present(o.t_rejected) == (o.outcome == "rejected"), _row(o)
            assert present(o.t_signed) == (o.outcome in ("signed", "reopened")), _row(o)
            for x, y in (("t_dispatched", "t_received"), ("t_received", "t_signed"), ("t_received", "t_rejected"),
                         ("t_signed", "t_handled"), ("t_handled", "t_reported"), ("t_reported", "t_verified")):
                a, b = getattr(o, x), getattr(o, y)
                assert not (present(a) and present(b) and a > b + EPS), (x, y, _row(o))
        stuck = [o for o in orders if o.outcome in ("signed", "reopened", "open")]
        if not stuck:
            continue
        dispatched = stuck[0]  # the order that stuck (reopened ones follow it)
        if present(t.owner_known):  # the task's owner is whoever signed, from the moment it signed
            assert dispatched.outcome != "open" and t.owner == dispatched.to_agency, (inc, task, outcomes)
            assert t.owner_known == dispatched.t_signed
        else:
            assert outcomes[-1] == "open" and not present(t.done)
        if t.status == "done":
            assert present(dispatched.t_handled) and dispatched.t_handled == t.done


# -- levels and the second alarm ------------------------------------------------------------------------------


@MECH
@given(mechanism_scenarios(work_orders=False), seeds)
def test_the_level_rises_only_when_its_rule_held_and_reinforcement_follows_a_rise(sc: Scenario, seed: int) -> None:
    obs = observe(sc, seed)
    resp = sc.incident_types["it"].response
    tasks = _tasks(obs)
    for rec in obs.rep.incidents:
        decisions = [d for d in obs.policy.levels if d.incident == rec.incident]
        if rec.level is None:
            assert not decisions and rec.level_max is None and rec.reinforcements == 0
            continue
        first, raises = decisions[0], decisions[1:]
        assert first.reason is None and first.answer == rec.level
        level = rec.level
        for d in raises:  # no hazard model: the clock is the only rule
            assert d.reason == "no_control" and resp.raise_after is not None, d
            assert d.time >= first.time + resp.raise_after - EPS, (d, first.time, resp.raise_after)
            assert not (rec.t_control <= d.time), (d, rec.t_control)  # not under control when asked
            assert d.level == level and level > 1, (d, level)
            level = d.answer
        assert len(raises) <= 1 and rec.level_max == level, (raises, rec.level_max)
        # … and it does rise when the rule held: a whole look-interval past the deadline, still not under control
        due = first.time + (resp.raise_after if resp.raise_after is not None else math.inf) + resp.check_every
        if rec.level > 1 and due <= sc.horizon - 1.0 and not (rec.t_control <= due + 1.0):
            assert raises, (rec.incident, first.time, due, rec.t_control)
        if not raises:
            assert rec.reinforcements == 0, rec.incident
        for d in raises:  # the new weight reaches every command task dispatched before the rise and still at work
            for task in sc.incident_types["it"].tasks:
                t = tasks[(rec.incident, task.id)]
                if task.by != "command" or task.unit is None or not (t.decided < d.time) or t.done <= d.time:
                    continue
                w = resp.weight
                more = weighted_count(task.count, w, d.answer) - weighted_count(task.count, w, d.level)
                asked = sum(r.count for r in obs.requests if (r.incident, r.task) == (rec.incident, task.id)
                            and r.at >= d.time)
                assert asked >= more, f"{rec.incident}.{task.id}: the rise at {d.time} asked for {asked}, not {more}"
        levels = range(rec.level_max, rec.level + 1)
        extra = 0
        for task in sc.incident_types["it"].tasks:
            t = tasks[(rec.incident, task.id)]
            real = [n for n in t.units if n != "mutual_aid"]
            if task.by == "command" and task.unit is not None:
                most = max(weighted_count(task.count, resp.weight, lv) for lv in levels)
                extra += max(0, most - weighted_count(task.count, resp.weight, rec.level))
                assert len(real) <= most, (rec.incident, task.id, t.units, most)
            else:
                assert len(real) <= task.count, (rec.incident, task.id, t.units)
        assert rec.reinforcements <= extra, (rec.incident, rec.reinforcements, extra)


# -- determinism ------------------------------------------------------------------------------------------------


def _dump(obs: Observed) -> tuple:
    rep = obs.rep

    def row(x: object, slots: tuple[str, ...]) -> tuple:
        return tuple(None if isinstance(v, float) and math.isnan(v) else (tuple(v) if isinstance(v, list) else v)
                     for v in (getattr(x, s) for s in slots if s != "outcomes"))

    return (rep.env.events_processed,
            [row(t, type(t).__slots__) for t in rep.tasks],
            [row(r, type(r).__slots__) for r in rep.incidents],
            [row(u, type(u).__slots__) for u in rep.unit_uses],
            [row(o, type(o).__slots__) for o in rep.work_order_records],
            [(d.incident, d.time, d.level, d.answer, d.reason) for d in obs.policy.levels],
            {k: [(m.incident, m.task, m.assigned, m.released, m.back) for m in v] for k, v in obs.moves.items()})


@MECH
@given(mechanism_scenarios(), seeds)
def test_same_seed_gives_identical_records_with_every_mechanism(sc: Scenario, seed: int) -> None:
    assert _dump(observe(sc, seed)) == _dump(observe(sc, seed))
