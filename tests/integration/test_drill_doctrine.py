"""A drill player takes the doctrine model's decisions through the Policy: signs or returns a work order
(签收/退单), blows the whistle (吹哨报到) or not, and answers when the hazard calls for a higher level."""

from __future__ import annotations

from pathlib import Path

from scenarios.loader import load_scenario
from simulation.drill.session import DrillSession
from simulation.drill.spec import DrillSpec, load_drill


def make(tmp_path: Path, seats: list[dict], arrangement: str | None = None, sets: tuple[str, ...] = ()) -> DrillSession:
    spec, sc, msel = load_drill("crowd_crush_drill")
    doc = {**spec.model_dump(mode="json", by_alias=True), "seats": [{"id": "facilitator", "role": "facilitator"},
                                                                      *seats]}
    if arrangement is not None:
        doc["arrangement"] = arrangement
    if sets:  # the exercise world with a scenario option changed (the facilitator's --set)
        sc = load_scenario("scenarios/library/crowd_crush.yaml", doc.get("arrangement"), sets)
    return DrillSession.create(DrillSpec.model_validate(doc), sc, msel, tmp_path)[0]


def step_until(s: DrillSession, kind: str, limit: int = 400):
    for _ in range(limit):
        p = next((p for p in s.policy.pending.values() if p.kind == kind and not p.resolved), None)
        if p is not None:
            return p
        if s.ended:
            break
        s.clock("facilitator", "step")
    raise AssertionError(f"no '{kind}' decision was asked")


def test_a_player_returns_a_work_order_and_signs_the_next(tmp_path):
    s = make(tmp_path, [{"id": "street", "role": "player", "agencies": ["street_S1"]}])
    first = step_until(s, "work_order")
    assert first.agency == "street_S1" and first.task.startswith("guidance#1")
    s.decide("street", ["street_S1"], first.key, {"reply": "reject"})
    second = step_until(s, "work_order")
    assert second.task.startswith("guidance#2")  # 改派: the order came back and went out again
    s.decide("street", ["street_S1"], second.key, {"reply": "sign"})
    s.clock("facilitator", "end")
    orders = [o for o in s.rep.work_order_records if o.task == "guidance"]
    assert [o.outcome for o in orders] == ["rejected", "signed"] and orders[0].reject_reason is None


def test_the_commander_answers_when_the_crowd_calls_for_a_higher_level(tmp_path):
    # a lower trigger so that the density alarm asks the question early in the exercise
    s = make(tmp_path, [{"id": "police", "role": "player", "agencies": ["police", "centre_110"]}],
             sets=("incident_types.crowd_crush.response.raise_when=[{metric: density, at_least: 2.0}]",))
    p = step_until(s, "raise_level")
    assert p.options["current"] == 2 and p.plan == {"level": 1}
    s.decide("police", ["police"], p.key, {"level": 2})  # the player keeps level II
    s.clock("facilitator", "end")
    assert s.rep.incidents[0].level_max == 2 and s.rep.incidents[0].reinforcements == 0


def test_a_street_player_decides_whether_to_whistle(tmp_path):
    """Guidance forced on a crowd needs 执法权 here; the street office leads it under 属地 with 吹哨报到."""
    powers = ("incident_types.crowd_crush.tasks.guidance.powers=[enforcement]",)
    calls = {}
    for call in (True, False):
        s = make(tmp_path / str(call), [{"id": "street", "role": "player", "agencies": ["street_S1"]}],
                 arrangement="street_whistle", sets=powers)
        while True:  # sign the work order, then answer the whistle question
            p = next((p for p in s.policy.pending.values() if not p.resolved and p.kind in ("work_order", "whistle")),
                     None)
            if p is not None and p.kind == "work_order":
                s.decide("street", ["street_S1"], p.key, {"reply": "sign"})
            elif p is not None:
                assert p.agency == "street_S1" and p.options["holder"]
                s.decide("street", ["street_S1"], p.key, {"call": call})
                break
            else:
                s.clock("facilitator", "step")
        s.clock("facilitator", "end")
        t = next(t for t in s.rep.tasks if t.task == "guidance")
        calls[call] = t
        assert t.whistled is call and t.enforcer is not None
    # the whistle saves the way up through the district
    assert (calls[True].powers_present - calls[True].powers_requested
            < calls[False].powers_present - calls[False].powers_requested)
