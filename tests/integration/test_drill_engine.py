"""Drill sessions through the engine API: the drill policy does not perturb the engine, stepping the clock
does not change results, fallbacks apply the facilitator's default at the deadline, replay restores the
same state, injects' triggers and effects work, and a branch continues from a past point."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from simulation.drill.msel import Msel
from simulation.drill.session import DrillSession
from simulation.drill.spec import DrillSpec, load_drill
from simulation.drill.store import DrillStore
from simulation.experiments.metrics import replication_metrics
from simulation.model.engine import Replication

SEATS = [
    {"id": "facilitator", "role": "facilitator"},
    {"id": "police", "role": "player", "agencies": ["police", "centre_110"]},
    {"id": "metro", "role": "player", "agencies": ["transport"]},
]


def make(tmp_path: Path, seats=SEATS, msel: Msel | None = None, **kw) -> DrillSession:
    spec, sc, m = load_drill("crowd_crush_drill")
    spec = DrillSpec.model_validate({**spec.model_dump(mode="json", by_alias=True), "seats": seats, **kw})
    return DrillSession.create(spec, sc, m if msel is None else msel, tmp_path)[0]


def stages(session: DrillSession) -> list:
    return [
        (
            t.task,
            t.owner,
            tuple(getattr(t, s) for s in ("available", "notified", "unit_assigned", "started", "done")),
            tuple(t.units),
        )
        for t in session.rep.tasks
    ]


def test_drill_without_players_is_the_plans_automatic_play(tmp_path: Path) -> None:
    s = make(tmp_path, seats=[{"id": "facilitator", "role": "facilitator"}], msel=Msel())
    for t in range(600, 14400, 600):  # a stepped clock must not change anything
        s.clock("facilitator", "until", t)
    s.clock("facilitator", "end")
    auto = Replication(s.world, s.spec.seed, 0).run()
    assert replication_metrics(s.rep) == replication_metrics(auto)
    assert [(t.task, t.started, t.done, t.units) for t in s.rep.tasks] == [
        (t.task, t.started, t.done, t.units) for t in auto.tasks
    ]


def test_fallback_takes_the_facilitators_default_at_the_deadline(tmp_path: Path) -> None:
    s = make(tmp_path)
    s.set_default("facilitator", "task_order", {"units": 2})
    while not any(p.key.endswith("crowd_control") and p.kind == "task_order" for p in s.policy.pending.values()):
        s.clock("facilitator", "step")
    p = s.policy.pending["task_order:crowd1:crowd_control"]
    s.clock("facilitator", "until", p.deadline_at + 1)  # nobody answers
    rec = next(r for r in s.store.events() if r["key"] == "decision:task_order:crowd1:crowd_control")
    assert rec["fallback"] and rec["actor"] == "fallback" and rec["payload"]["value"] == {"units": 2}
    assert rec["sim_time"] == pytest.approx(p.deadline_at)
    with pytest.raises(ValueError, match="taken already"):
        s.decide("police", ["police"], p.key, {"units": 4})
    s.clock("facilitator", "forward", 1200)
    crowd = next(t for t in s.rep.tasks if t.task == "crowd_control")
    assert len(crowd.units) == 2


def test_replay_restores_the_same_state_and_injects_fire(tmp_path: Path) -> None:
    s = make(tmp_path)
    for _ in range(40):
        s.clock("facilitator", "step")
        for p in list(s.policy.pending.values()):
            if not p.resolved:
                value = (
                    {"action": None, "args": {}} if p.kind == "intervention" and p.task == "station_closure" else p.plan
                )
                s.decide(p.seat, [p.agency], p.key, value)
        if s.now > 9000:
            break
    # The timed inject I01 came at T+40:00, the triggered I02 when CCTV density reached 2.0 P/m².
    assert s.policy.delivered["I01"] == 2400
    st = s.rep.incident_states[0]
    t02 = s.policy.delivered["I02"]
    assert st.hazard.trajectory(14400)[1][int(t02)] >= 2.0 > st.hazard.trajectory(14400)[1][int(t02) - 30]
    assert "I04" not in s.policy.delivered  # crowd control had started by T+1:30: the conditional inject stays silent
    # I03's surge (1,500 passengers over 120 s) is in the crowd's inflow from T+1:20 on.
    assert any(step.t == 4800 and step.rate_p_s >= 1500 / 120 for step in st.hazard.p.inflow)
    again = DrillSession(DrillStore(s.store.path))
    assert again.now == s.now and stages(again) == stages(s)
    assert again.rep.units.free == s.rep.units.free and again.policy.delivered == s.policy.delivered
    assert {k: p.resolved for k, p in again.policy.pending.items()} == {
        k: p.resolved for k, p in s.policy.pending.items()
    }
    assert len(again.store.events()) == len(s.store.events())  # the replay wrote nothing twice
    # The metro's choice of no measure is visible in the hazard's log: no skip_metro_stop.
    assert all(i.action != "skip_metro_stop" for i in st.hazard.log)


def test_branch_continues_from_a_past_point(tmp_path: Path) -> None:
    s = make(tmp_path)
    while not any(p.kind == "intervention" and p.task == "crowd_control" for p in s.policy.pending.values()):
        s.clock("facilitator", "step")
        for p in list(s.policy.pending.values()):
            if not p.resolved and p.kind != "intervention":
                s.decide(p.seat, [p.agency], p.key, p.plan)
    p = s.policy.pending["intervention:crowd1:crowd_control"]
    at = s.now
    s.decide("police", ["police"], p.key, {"action": None, "args": {}})  # no crowd measure: the crowd builds up
    s.clock("facilitator", "end")
    b, pins = s.branch(at, tmp_path)
    assert b.now == at and b.code != s.code and set(pins) == {"facilitator", "police", "metro"}
    assert b.meta["parent"] == s.code
    assert not b.policy.pending[p.key].resolved  # the branch is back before that decision
    b.decide("police", ["police"], p.key, {"action": "restrict_inflow", "args": {"factor": 0.1}})
    b.clock("facilitator", "end")
    orig, alt = replication_metrics(s.rep), replication_metrics(b.rep)
    assert math.isnan(s.rep.incidents[0].t_control)  # nothing controlled it in the original
    assert alt["t_control"] is not None and alt["peak_density"] < orig["peak_density"]
    assert alt["casualties"] <= orig["casualties"]


def test_the_plans_own_unit_count_is_an_answer_where_the_district_has_fewer_units(tmp_path: Path) -> None:
    """A task may ask for more units of a kind than the district has (a raised response level doubles the first
    alarm): the plan's own count must be accepted from the player (it was refused as above the fleet), and the
    engine then sends the free units, as it does without players."""
    spec, sc, m = load_drill("crowd_crush_drill")
    crowd = sc.incident_types["crowd_crush"]
    tasks = [t.model_copy(update={"count": 3}) if t.id == "station_closure" else t for t in crowd.tasks]
    sc = sc.model_copy(update={"incident_types": {**sc.incident_types,
                                                  "crowd_crush": crowd.model_copy(update={"tasks": tasks})}})
    spec = DrillSpec.model_validate({**spec.model_dump(mode="json", by_alias=True), "seats": SEATS})
    s = DrillSession.create(spec, sc, m, tmp_path)[0]
    assert len(s.world.units_by_kind["metro_staff"]) == 2
    key = "task_order:crowd1:station_closure"
    while key not in s.policy.pending:
        s.clock("facilitator", "step")
    p = s.policy.pending[key]
    assert p.plan == {"units": 3} and p.options["max"] == 2
    with pytest.raises(ValueError, match="between 1 and 3"):
        s.decide("metro", ["transport"], key, {"units": 4})
    s.decide("metro", ["transport"], key, p.plan)
    s.clock("facilitator", "forward", 1800)
    closure = next(t for t in s.rep.tasks if t.task == "station_closure")
    assert len(closure.units) == 2
