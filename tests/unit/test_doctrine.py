"""The one doctrine module: the engine and the structural indicators ask it, so they cannot disagree.

Checked on every bundled arrangement × flagship: the task owners and the incident lead the structural
indicators predict (without running) are the ones the engine's automatic play records, and every agency the
engine tells of the incident is one the doctrine names (receiver, its intake service, relay, notification
targets, escalation superiors and owners), a centre the case passes through, or a member of the shared
platform when the arrangement uses one.
"""

from __future__ import annotations

import pytest

from scenarios.loader import bundled_arrangements, load_scenario
from simulation.experiments.structure import indicators
from simulation.model.engine import Replication
from simulation.model.world import build_world

FLAGSHIPS = ("high_rise_fire", "chemical_leak", "crowd_crush")
ARRANGEMENTS = sorted(p.stem for p in bundled_arrangements())


@pytest.mark.parametrize("flagship", FLAGSHIPS)
@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
def test_structure_predicts_the_engines_owners_and_lead(flagship, arrangement):
    sc = load_scenario(f"scenarios/library/{flagship}.yaml", arrangement)
    world = build_world(sc)
    ind = indicators(world)
    predicted = {p["task"]: p["to_agency"] for p in ind["handoff_pairs"]}
    predicted.update({e["task"]: e["candidates"][0] for e in ind["escalations"] if e["candidates"]})
    rep = Replication(world, seed=5, replication=0).run()
    primary = sc.primary_incident().id
    owners = {t.task: t.owner for t in rep.tasks if t.incident == primary and t.owner is not None}
    for task, owner in predicted.items():
        if task in owners:
            assert owners[task] == owner, f"{arrangement}/{flagship}: task {task}"
    assert next(i for i in rep.incidents if i.incident == primary).lead == ind["lead"]


@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
def test_engine_tells_only_whom_the_doctrine_names(arrangement):
    sc = load_scenario("scenarios/library/high_rise_fire.yaml", arrangement)
    world = build_world(sc)
    doctrine = world.doctrine
    rep = Replication(world, seed=2, replication=0).run()
    st = rep.incident_states[0]
    plan = doctrine.plan(st.spec.type, st.spec.grid)
    itype = sc.incident_types[st.spec.type]
    named = {st.rec.receiver, plan.relay, *plan.targets}
    named.update(doctrine.intake_alerts(st.rec.receiver, st.spec.type, st.spec.grid))
    named.add(doctrine.city_command(st.spec.grid))  # at a level the city commands, the district reports up
    for t in itype.tasks:
        leads = plan.task_leads[t.id]
        if len(leads) != 1:
            esc = doctrine.escalation(t, leads, plan.lead, st.spec.grid)
            named.update({esc.superior, *esc.candidates})
    centres = {a for a, is_centre in world.dispatch_centres.items() if is_centre}
    passing = {doctrine.intake_service(c) for c in centres}
    platform = set(world.graph.platform_links)  # members see the case on the shared platform (一网统管)
    told = {a for a in st.notified if st.knows(a)}
    assert told <= named | passing | platform, sorted(told - named - passing - platform)
    assert plan.lead in told


def test_doctrine_answers_are_shared_per_type_and_street():
    sc = load_scenario("scenarios/library/high_rise_fire.yaml")
    world = build_world(sc)
    inc = sc.primary_incident()
    assert world.doctrine is world.doctrine  # one per world, shared by every replication
    assert world.doctrine.plan(inc.type, inc.grid) is world.doctrine.plan(inc.type, inc.grid)
