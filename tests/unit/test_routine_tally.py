"""Routine incidents folded into tallies: same metrics as full records, memory that does not grow."""

from __future__ import annotations

import pytest

from scenarios.loader import load_scenario
from simulation.experiments.metrics import replication_metrics
from simulation.model.engine import Replication
from simulation.model.world import build_world

ROUTINE = """
name: routine
description: {zh: 日常警情, en: routine calls}
horizon: HORIZON
city:
  generated: {streets: 2, communities_per_street: 2, grids_per_community: 4}
agencies:
  - {id: c119, role: centre_119, parent: fire, desk: {staff: 3, handling: {dist: lognormal, median: 40, p90: 80}}}
  - {id: fire, role: fire, desk: {staff: 2, handling: 10}, decision: 20}
stations: [{id: fs, agency: fire, grid: S1-C1-G1}]
units: [{station: fs, kind: engine, count: 2, turnout: 60}]
channels: [{from: c119, to: fire, latency: 10}]
arrangement:
  name: a
  incident_types:
    call: {lead: fire, tasks: {attack: {lead: [fire]}}}
incident_types:
  call:
    detection: [{kind: citizen_call, delay: {dist: exponential, mean: 120}, report_to: centre_119}]
    tasks: [{id: attack, capability: fire_attack, unit: engine, duration: {dist: exponential, mean: 1800}}]
streams: [{id: calls, type: call, rate_per_hour: 0.05}]
dispatch: {when_all_busy: mutual_aid}
"""


def world(tmp_path, days: int):
    f = tmp_path / f"routine_{days}.yaml"
    f.write_text(ROUTINE.replace("HORIZON", str(days * 86400)), encoding="utf-8")
    return build_world(load_scenario(f))


def test_tally_gives_the_metrics_of_full_records(tmp_path):
    w = world(tmp_path, 8)
    full = replication_metrics(Replication(w, 5, 0).run())
    rep = Replication(w, 5, 0, keep_routine=False).run()
    summary = replication_metrics(rep)
    assert full["incidents"] == summary["incidents"] > 100
    for k, v in full.items():
        if k == "waited_fraction":
            continue
        if v is None:
            assert summary[k] is None, k
        else:
            assert summary[k] == pytest.approx(v, rel=1e-9, abs=1e-9), k
    assert not rep.incidents and not rep.tasks and not rep.unit_uses  # nothing kept per incident


def test_memory_does_not_grow_with_the_number_of_incidents(tmp_path):
    short = Replication(world(tmp_path, 2), 5, 0, keep_routine=False).run()
    long = Replication(world(tmp_path, 12), 5, 0, keep_routine=False).run()
    assert long.routine.incidents > 5 * short.routine.incidents
    # Random streams are keyed per stream and task, not per incident; arrivals are drawn day by day.
    assert len(long.streams._draws) == len(short.streams._draws)
    assert not long.ledger.open_routine and not long.incident_states
