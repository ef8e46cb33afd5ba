"""Street powers and 吹哨报到: a task that needs enforcement powers waits for a holder on scene; the street
office, which holds none, whistles the department straight there when the arrangement has 吹哨报到, and must
go up through the district otherwise — slower by the district's desk and its decision."""

from __future__ import annotations

import math
import statistics

import pytest

from scenarios.errors import InputError
from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world

FLAGSHIP = "scenarios/library/chemical_leak.yaml"
TERRITORIAL = "territorial_lead"
# Evacuation of the plume's path, forced if need be: the street office leads it under 属地 but has no 执法权.
FORCED = "incident_types.chemical_leak.tasks.evacuation_notice.powers=[enforcement]"


def evacuation(sets: tuple[str, ...], seed: int = 9, r: int = 0):
    sc = load_scenario(FLAGSHIP, TERRITORIAL, (FORCED, *sets))
    rep = Replication(build_world(sc), seed=seed, replication=r).run()
    return next(t for t in rep.tasks if t.task == "evacuation_notice"), rep


def test_without_powers_the_street_waits_for_a_holder_on_scene():
    t, rep = evacuation(())
    assert t.owner.startswith("street_")
    assert t.enforcer is not None and not t.whistled
    assert rep.world.graph.agency[t.enforcer].role in ("police", "emergency_bureau", "district_government")
    assert t.powers_requested <= t.powers_present <= t.started


def test_whistling_brings_the_department_sooner_than_going_up_through_the_district():
    """The whistle skips the district's desk and its decision (``escalation_decision``, 300 s). The whistle
    still queues at the department's own duty desk, which may be busy with the incident it leads (the
    emergency bureau, at 2 staff), so the saving is a law of the mean, not of every replication: a t-interval
    on the paired gain lies above zero and most pairs gain."""
    gains = []
    for r in range(16):
        up, _ = evacuation((), r=r)
        whistle, _ = evacuation(("arrangement.whistle=true",), r=r)
        assert whistle.whistled and whistle.enforcer == up.enforcer
        gains.append((up.powers_present - up.powers_requested) - (whistle.powers_present - whistle.powers_requested))
    mean, sd = statistics.fmean(gains), statistics.stdev(gains)
    assert mean - 2.131 * sd / math.sqrt(len(gains)) > 0, gains  # t(0.975, 15) = 2.131
    assert sum(g > 0 for g in gains) >= 12, gains


def test_an_owner_with_the_powers_needs_nobody():
    t, _ = evacuation(("arrangement.incident_types.chemical_leak.tasks.evacuation_notice.lead=[police]",))
    assert t.owner == "police" and t.enforcer is None and math.isnan(t.powers_requested)


NOBODY_HOLDS = """
name: no_powers
description: {zh: 无执法权, en: nobody holds the power}
horizon: 3600
city: {generated: {streets: 1, communities_per_street: 1, grids_per_community: 1}}
agencies:
  - {id: so, role: street_office, desk: {staff: 1, handling: 10}}
  - {id: rc, role: residents_committee, parent: so, desk: {staff: 1, handling: 10}}
channels: [{from: so, to: rc, latency: 10}]
arrangement:
  name: street_only
  incident_types: {nuisance: {lead: so, tasks: {guide: {lead: [so]}}}}
incident_types:
  nuisance:
    detection: [{kind: citizen_call, delay: 60, report_to: street_office}]
    tasks: [{id: guide, capability: guidance, duration: 60, powers: [enforcement]}]
incidents: [{id: n1, type: nuisance, grid: S1-C1-G1}]
"""


def test_a_power_nobody_holds_is_refused_up_front(tmp_path):
    path = tmp_path / "no_powers.yaml"
    path.write_text(NOBODY_HOLDS, encoding="utf-8")
    with pytest.raises(InputError, match="needs powers \\['enforcement'\\], which no agency of the scenario holds"):
        load_scenario(path)
