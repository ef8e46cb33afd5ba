"""Engine invariants over generated valid scenarios (hypothesis 性质测试).

Each test draws a small valid scenario (``strategies.py``), runs one traced replication of the SimPy
engine and checks one invariant of the model: task statuses and stage order, hand-off gap arithmetic,
one place at a time for units, the order of an incident's times, duty-desk capacity by day and at
night, determinism, the horizon only cutting a run short, and null (not 0) metrics.

Engine bugs found here were kept as strict-xfail tests until fixed; they now run as plain regressions.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from strategies import scenarios, seeds, tiny

from scenarios.schema import Scenario
from simulation.experiments.metrics import HAZARD_METRICS, METRICS, TIME_METRICS, replication_metrics
from simulation.experiments.runner import Collector
from simulation.model.desk import NIGHT_END, NIGHT_START
from simulation.model.engine import Replication
from simulation.model.records import GAP_PARTS, TASK_STAGES, IncidentRecord, TaskRecord
from simulation.model.world import World, build_world

EXAMPLES = int(os.environ.get("LINKAGE_PROPERTY_EXAMPLES", "60"))  # raise it for a deep search
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Regression tests for engine bugs these properties found: derandomized so the search is reproducible;
# shrinking a scenario takes minutes and the minimal examples are written out below, so it is skipped.
REGRESSION = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, report_multiple_bugs=False,
                     phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-6  # seconds; float slack at shift changes and in sums


def simulate(sc: Scenario, seed: int, replication: int = 0) -> tuple[World, Replication]:
    world = build_world(sc)
    return world, Replication(world, seed, replication, trace=True).run()


def _undetected(doc: dict) -> None:
    doc["incident_types"]["it"]["detection"][0]["probability"] = 0.0


def _long_control_task(doc: dict) -> None:
    doc["incident_types"]["it"]["tasks"][0]["duration"] = 7200.0  # twice the horizon


def _report_to_other_street(doc: dict) -> None:
    # The only street office covers S1; the incident is in S2 and the detector reports to 'street_office'.
    doc["agencies"].append({"id": "so1", "role": "street_office", "parent": "fire", "jurisdiction": ["S1"]})
    doc["incident_types"]["it"]["detection"][0]["report_to"] = "street_office"
    doc["channels"] = [{"from": "so1", "to": "fire"}]  # the report can reach the lead (else it is refused at load)


def _ownerless_nobody_on_street(doc: dict) -> None:
    # Ownerless task (lead: []) needing 'resettlement', which only the S1 street office can do; incident in S2.
    doc["agencies"].append({"id": "so1", "role": "street_office", "parent": "fire", "jurisdiction": ["S1"]})
    doc["incident_types"]["it"]["tasks"][0]["capability"] = "resettlement"
    doc["arrangement"]["incident_types"]["it"]["tasks"]["t0"]["lead"] = []


def _routine_stream(doc: dict) -> None:
    doc["streams"] = [{"id": "routine", "type": "it", "rate_per_hour": 0.5}]


def present(x: float) -> bool:
    return not math.isnan(x)


def task_row(t: TaskRecord) -> tuple:
    return (
        t.incident,
        t.task,
        t.owner,
        t.from_agency,
        t.escalated,
        t.status,
        tuple(t.units),
        *(
            None if math.isnan(v) else v
            for v in (t.queue_wait, t.dispatch_request, *(getattr(t, s) for s in TASK_STAGES))
        ),
    )


def incident_row(r: IncidentRecord) -> tuple:
    return tuple(
        None if isinstance(v, float) and math.isnan(v) else v for v in (getattr(r, s) for s in IncidentRecord.__slots__)
    )


# -- tasks -------------------------------------------------------------------------------------------


@PROPERTY
@given(scenarios(), seeds)
def test_every_task_ends_done_or_abandoned(sc: Scenario, seed: int) -> None:
    """Statuses are only ``done`` (finished within the horizon) or ``abandoned`` (not finished)."""
    _, rep = simulate(sc, seed)
    for t in rep.tasks:
        assert t.status in ("done", "abandoned"), (t.incident, t.task, t.status)
        if t.status == "done":
            assert present(t.done) and t.done <= sc.horizon, (t.incident, t.task, t.done)
        else:
            assert not present(t.done), (t.incident, t.task, t.done)


@REGRESSION
@given(scenarios(), seeds)
@example(tiny(_undetected), 1)
def test_every_task_of_every_incident_has_a_record(sc: Scenario, seed: int) -> None:
    _, rep = simulate(sc, seed)
    want = sorted((inc.incident, t.id) for inc in rep.incidents for t in sc.incident_types[inc.type].tasks)
    assert sorted((t.incident, t.task) for t in rep.tasks) == want


@PROPERTY
@given(scenarios(), seeds)
def test_stage_times_are_ordered_and_never_skip(sc: Scenario, seed: int) -> None:
    """available ≤ owner known ≤ notified ≤ unit assigned ≤ arrived ≤ started ≤ done; no later stage
    without the earlier ones."""
    _, rep = simulate(sc, seed)
    for t in rep.tasks:
        times = [getattr(t, s) for s in TASK_STAGES]
        have = [present(v) for v in times]
        n = sum(have)
        assert have == [True] * n + [False] * (len(have) - n), (t.incident, t.task, dict(zip(TASK_STAGES, times)))
        reached = times[:n]
        assert all(a <= b for a, b in zip(reached, reached[1:])), (t.incident, t.task, dict(zip(TASK_STAGES, times)))
        assert all(0.0 <= v <= sc.horizon for v in reached)
        if t.status == "done":
            assert n == len(TASK_STAGES)


@PROPERTY
@given(scenarios(), seeds)
def test_handoff_gaps_are_nonnegative_and_parts_sum_to_the_gap(sc: Scenario, seed: int) -> None:
    _, rep = simulate(sc, seed)
    for t in rep.tasks:
        if present(t.started):
            parts = t.gap_parts()
            assert all(p >= 0 for p in parts), (t.task, parts)
            assert t.gap >= 0
            assert math.isclose(sum(parts), t.gap, rel_tol=1e-9, abs_tol=EPS)
    col = Collector(sc.arrangement.name)
    col.add(0, seed, rep)
    hand = col.hand
    want = sum(1 for t in rep.tasks if (t.is_handoff or t.escalated) and present(t.available))
    assert len(hand["gap"]) == want
    for i, gap in enumerate(hand["gap"]):
        parts = [hand[p][i] for p in GAP_PARTS]
        given_parts = [p for p in parts if p is not None]
        assert gap >= 0, (hand["task"][i], gap)
        assert all(p >= 0 for p in given_parts), (hand["task"][i], parts)
        if hand["censored"][i]:
            # A gap still open at the horizon counts up to it; the stages reached so far fit inside it.
            assert hand["started"][i] is None
            assert math.isclose(gap, sc.horizon - hand["available"][i], abs_tol=EPS)
            assert sum(given_parts) <= gap + EPS
        else:
            assert None not in parts
            assert math.isclose(sum(parts), gap, rel_tol=1e-9, abs_tol=EPS)


# -- units -------------------------------------------------------------------------------------------


@PROPERTY
@given(scenarios(), seeds)
def test_no_unit_is_in_two_places_at_once(sc: Scenario, seed: int) -> None:
    world, rep = simulate(sc, seed)
    busy: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for u in rep.unit_uses:
        # arrived is NaN for a unit that turned back (assigned after its task's work ended)
        assert u.assigned <= u.free and (math.isnan(u.arrived) or u.assigned <= u.arrived <= u.free), (
            u.unit, u.assigned, u.arrived, u.free)
        busy[u.unit].append((u.assigned, u.free, f"{u.incident}.{u.task}"))
    # Units still out at the horizon (their task unfinished) are busy from assignment on; a
    # neighbouring district's unit (跨区支援, "mutual_aid") is not one of ours.
    for t in rep.tasks:
        if t.units and t.status != "done" and t.units != ["mutual_aid"]:
            for name in t.units:
                busy[name].append((t.unit_assigned, math.inf, f"{t.incident}.{t.task}"))
    for name, spans in busy.items():
        spans.sort()
        for (a0, f0, w0), (a1, f1, w1) in zip(spans, spans[1:]):
            assert f0 <= a1, f"{name} busy on {w0} [{a0}, {f0}) and on {w1} [{a1}, {f1})"
    # Units sent are of the kind asked for, no more than asked, and the owner's own under own_agency
    # (a neighbouring district's unit, 跨区支援, is recorded as "mutual_aid").
    by_name = {u.name: u for u in world.units}
    types = {r.incident: r.type for r in rep.incidents}
    for t in rep.tasks:
        spec = next(x for x in sc.incident_types[types[t.incident]].tasks if x.id == t.task)
        assert len(t.units) <= spec.count
        rule = sc.arrangement.incident_types[types[t.incident]].tasks[t.task].dispatch or sc.arrangement.dispatch
        if t.units == ["mutual_aid"]:
            assert sc.dispatch.when_all_busy == "mutual_aid"
            continue
        for name in t.units:
            assert by_name[name].kind == spec.unit
            if rule == "own_agency":
                assert by_name[name].agency == t.owner, (t.task, name, t.owner)


# -- incidents ---------------------------------------------------------------------------------------


@PROPERTY
@given(scenarios(), seeds)
def test_incident_times_are_ordered(sc: Scenario, seed: int) -> None:
    """t_start ≤ t_detect ≤ t_report ≤ t_dispatch ≤ t_first_arrival (present ones) and ≤ t_close."""
    _, rep = simulate(sc, seed)
    assert {i.id for i in sc.incidents} <= {r.incident for r in rep.incidents}
    for r in rep.incidents:
        chain = [v for v in (r.t_start, r.t_detect, r.t_report, r.t_dispatch, r.t_first_arrival) if present(v)]
        assert all(a <= b for a, b in zip(chain, chain[1:])), incident_row(r)
        # A later stage of the chain never appears without the earlier ones (dispatch may be absent).
        assert not (present(r.t_report) and not present(r.t_detect))
        assert not (present(r.t_first_arrival) and not present(r.t_dispatch))
        assert not (present(r.t_dispatch) and not present(r.t_report))
        assert present(r.t_first_arrival) == (r.first_unit is not None)
        assert present(r.t_dispatch) == present(r.queue_wait)
        if present(r.t_close):
            assert all(v <= r.t_close for v in chain) and present(r.t_report)
            if present(r.t_control):
                assert r.t_control <= r.t_close
        if present(r.t_notify_lead):
            assert present(r.t_report) and r.t_report <= r.t_notify_lead <= sc.horizon
        if present(r.t_control):
            assert present(r.t_report) and r.t_report <= r.t_control


@REGRESSION
@given(scenarios(), seeds)
@example(tiny(_long_control_task), 1)
def test_control_is_never_recorded_after_the_horizon(sc: Scenario, seed: int) -> None:
    _, rep = simulate(sc, seed)
    for r in rep.incidents:
        if present(r.t_control):
            assert r.t_control <= sc.horizon, (r.incident, r.t_control, sc.horizon)


# -- duty desks --------------------------------------------------------------------------------------


def _is_night(t: float, clock_start: float) -> bool:
    """Strictly inside 22:00–06:00 (the shift change itself is a tie the engine may break either way)."""
    tod = (clock_start + t) % 86400
    return tod > NIGHT_START + EPS or tod < NIGHT_END - EPS


def _concurrency_at_starts(uses: list) -> list[tuple[float, int]]:
    """For each message, how many messages (itself included) were being served when it was taken up."""
    spans = [(u.start, u.end) for u in uses if u.end > u.start]  # zero-length uses hold nobody
    out = []
    for s, _ in spans:
        out.append((s, sum(1 for a, b in spans if a <= s < b)))
    return out


@PROPERTY
@given(scenarios(), seeds)
def test_desk_never_serves_more_messages_than_staff_on_duty(sc: Scenario, seed: int) -> None:
    """Day: at most ``staff`` messages at once. Night (22:00–06:00) with ``night_staff``: a message is
    only taken up while fewer than ``night_staff`` are being served (0: nobody takes one up at night).

    Night staffing is not pre-emptive in the model: a day-shift officer finishes the call in hand at
    22:00, so the night bound is checked at each moment a message is taken up at night.
    """
    _, rep = simulate(sc, seed)
    specs = {a.id: a for a in sc.agencies}
    for agency, desk in rep.desks.items():
        uses = desk.uses
        assert uses is not None
        spec = specs[agency].desk
        for u in uses:
            assert u.start <= u.end <= sc.horizon and u.staff == spec.staff
        for start, busy in _concurrency_at_starts(uses):
            assert busy <= spec.staff, f"{agency}: {busy} messages at {start} with {spec.staff} staff"
            if spec.night_staff is not None and _is_night(start, sc.clock_start):
                assert busy <= spec.night_staff, (
                    f"{agency}: {busy} messages at night (t={start}, clock {(sc.clock_start + start) % 86400:.0f} s) "
                    f"with night_staff={spec.night_staff}")


# -- determinism and the horizon ----------------------------------------------------------------------


def _dump(rep: Replication) -> tuple:
    return (rep.env.events_processed,
            [task_row(t) for t in rep.tasks],
            [incident_row(r) for r in rep.incidents],
            [(u.unit, u.incident, u.task, u.assigned, u.arrived, u.free) for u in rep.unit_uses],
            {k: [(u.start, u.end) for u in d.uses or ()] for k, d in rep.desks.items()})


@PROPERTY
@given(scenarios(), seeds, st.integers(0, 1000))
def test_same_seed_gives_identical_records(sc: Scenario, seed: int, r: int) -> None:
    world, a = simulate(sc, seed, r)
    b = Replication(world, seed, r, trace=True).run()
    c = Replication(build_world(sc), seed, r, trace=True).run()
    assert _dump(a) == _dump(b) == _dump(c)


@PROPERTY
@given(scenarios(streams=False), seeds)
def test_horizon_only_cuts_the_run_short(sc: Scenario, seed: int) -> None:
    """Running longer changes nothing before the old horizon; so a task abandoned at the horizon had
    really not finished by then (in the longer run it finishes later or never)."""
    check_horizon_only_cuts(sc, seed)


def check_horizon_only_cuts(sc: Scenario, seed: int) -> None:
    h = sc.horizon
    _, short = simulate(sc, seed)
    _, long = simulate(sc.model_copy(update={"horizon": h + 86400.0}), seed)
    later = {(t.incident, t.task): t for t in long.tasks}
    for t in short.tasks:
        lt = later[(t.incident, t.task)]
        for s in TASK_STAGES:
            v, lv = getattr(t, s), getattr(lt, s)
            if present(v):
                assert v == lv, (t.incident, t.task, s, v, lv)
            else:
                assert not (present(lv) and lv < h), (t.incident, t.task, s, lv)
        if t.status == "abandoned":
            assert not (present(lt.done) and lt.done < h)
    # Tasks the long run has but the short one lacks became available only after the horizon.
    have = {(t.incident, t.task) for t in short.tasks}
    for key, lt in later.items():
        if key not in have:
            assert not (present(lt.available) and lt.available < h), key
    inc_long = {r.incident: r for r in long.incidents}
    for r in short.incidents:
        lr = inc_long[r.incident]
        assert (r.type, r.grid, r.t_start) == (lr.type, lr.grid, lr.t_start)
        for s in ("t_detect", "t_report", "t_notify_lead", "t_close"):
            v, lv = getattr(r, s), getattr(lr, s)
            assert (v == lv) if present(v) else not (present(lv) and lv < h), (r.incident, s, v, lv)
    assert not any(r.t_start < h for r in long.incidents if r.incident not in {x.incident for x in short.incidents})


@REGRESSION
@given(scenarios(streams=True), seeds)
@example(tiny(_routine_stream, horizon=3 * 3600.0), 1)
def test_horizon_only_cuts_the_run_short_with_routine_streams(sc: Scenario, seed: int) -> None:
    check_horizon_only_cuts(sc, seed)


# -- metrics -----------------------------------------------------------------------------------------


@PROPERTY
@given(scenarios(), seeds)
def test_metrics_are_null_not_zero_where_they_do_not_apply(sc: Scenario, seed: int) -> None:
    _, rep = simulate(sc, seed)
    m = replication_metrics(rep)
    assert set(METRICS) <= set(m)
    for k, v in m.items():
        assert v is None or (isinstance(v, float) and math.isfinite(v)), (k, v)
    primary = sc.primary_incident()
    rec = next(r for r in rep.incidents if r.incident == primary.id)
    for k in TIME_METRICS:
        raw = getattr(rec, k)
        if present(raw):
            assert m[k] == raw - primary.onset and m[k] >= 0, (k, m[k])
        else:
            assert m[k] is None, (k, m[k])
    tasks = sc.incident_types[primary.type].tasks
    if all(t.unit is None for t in tasks):
        assert m["t_dispatch"] is None and m["t_first_arrival"] is None
    if not any(t.controls for t in tasks):
        assert m["t_control"] is None
    assert (m["handoff_gap_max"] is None) == (m["handoff_count"] == 0)
    assert m["handoff_gap_total"] >= 0 and m["ownerless_time"] >= 0
    for k in HAZARD_METRICS:  # no hazard model in generated scenarios
        assert m[k] is None, (k, m[k])


# -- known engine crashes (属地 jurisdictions) ----------------------------------------------------------


@REGRESSION
@given(scenarios(jurisdictions=True), seeds)
@example(tiny(_report_to_other_street), 1)
@example(tiny(_ownerless_nobody_on_street), 1)
def test_engine_runs_every_valid_scenario_with_jurisdictions(sc: Scenario, seed: int) -> None:
    _, rep = simulate(sc, seed)
    assert all(t.status in ("done", "abandoned") for t in rep.tasks)


def test_report_to_a_role_absent_on_the_incidents_street() -> None:
    _, rep = simulate(tiny(_report_to_other_street), 1)
    assert rep.incidents[0].receiver is not None


def test_ownerless_task_nobody_on_the_street_can_do() -> None:
    _, rep = simulate(tiny(_ownerless_nobody_on_street), 1)
    assert [t.status in ("done", "abandoned") for t in rep.tasks] == [True]
