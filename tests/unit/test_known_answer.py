"""Known-answer test: a tiny scenario with fixed latencies, staffing and travel, computed by hand.

The timeline (seconds) worked out in the comments is what the engine must reproduce exactly.
"""

from __future__ import annotations

import textwrap

import pytest

from scenarios.loader import load_scenario
from simulation.experiments.metrics import replication_metrics
from simulation.model.engine import run_replication
from simulation.model.world import build_world

SCENARIO = textwrap.dedent("""
    name: known_answer
    description: {zh: 手算验证, en: hand-computed check}
    horizon: 5000
    clock_start: 36000
    city:
      explicit:
        grids:
          - {id: G1, street: A, x: 0, y: 0}
          - {id: G2, street: A, x: 1000, y: 0}
        roads:
          - {from: G1, to: G2, length_m: 1000, speed_kmh: 36}   # 100 s
    agencies:
      - {id: so, role: street_office, parent: gov, jurisdiction: [A], desk: {staff: 1, handling: 30}}
      - {id: gov, role: district_government, desk: {staff: 1, handling: 20}}
      - {id: c119, role: centre_119, parent: fire, desk: {staff: 1, handling: 10}}
      - {id: fire, role: fire, parent: gov, desk: {staff: 1, handling: 5}, decision: 10}
      - {id: police, role: police, parent: gov, desk: {staff: 1, handling: 5}}
    stations:
      - {id: fs, agency: fire, grid: G1}
      - {id: ps, agency: police, grid: G1}
    units:
      - {station: fs, kind: engine, turnout: 60}
      - {station: ps, kind: patrol}
    channels:
      - {from: c119, to: fire, latency: 20}
      - {from: fire, to: police, latency: 40}
      - {from: fire, to: gov, latency: 30}
      - {from: police, to: gov, latency: 30}
      - {from: so, to: gov, latency: 30}
    arrangement:
      name: hand
      fan_out: serial
      escalation_decision: 100
      incident_types:
        fire:
          lead: fire
          tasks:
            attack: {lead: [fire]}
            cordon: {lead: [police]}
            cleanup: {lead: []}          # nobody owns it: escalated to the lowest common superior
    incident_types:
      fire:
        detection: [{kind: citizen_call, delay: 100, report_to: centre_119}]
        verify: 10
        tasks:
          - {id: attack, capability: fire_attack, unit: engine, setup: 30, duration: 600, controls: true}
          - {id: cordon, capability: cordon, unit: patrol, after: [attack], duration: 100}
          - {id: cleanup, capability: resettlement, after: [cordon], duration: 200}
    incidents:
      - {id: f1, type: fire, grid: G2}
""")


@pytest.fixture(scope="module")
def replication(tmp_path_factory):
    path = tmp_path_factory.mktemp("ka") / "known.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    sc = load_scenario(path)
    return run_replication(build_world(sc), seed=1, replication=0)


def test_incident_timeline(replication):
    inc = replication.incidents[0]
    assert inc.t_detect == 100          # citizen call after 100 s
    assert inc.t_report == 110          # + 119 desk 10 s
    assert inc.t_notify_lead == 145     # + verify 10, 119→fire 20, fire desk 5
    assert inc.t_dispatch == 155        # + fire decision 10
    assert inc.t_first_arrival == 315   # + turnout 60 + road 1000 m at 10 m/s
    assert inc.t_control == 945         # + setup 30 + attack 600
    assert inc.t_close == 1555          # cleanup done (see below)


def test_tasks_and_handoffs(replication):
    t = {r.task: r for r in replication.tasks}
    a = t["attack"]  # root task: no hand-off, but its stages are recorded (fire decides in 10 s)
    assert (a.available, a.notified, a.decided, a.unit_assigned, a.arrived, a.started, a.done) == (
        120,
        145,
        155,
        155,
        315,
        345,
        945,
    )
    assert not a.is_handoff
    # cordon: police were notified at 190 (fire→police 40 + desk 5 after fire's own notice at 145)
    c = t["cordon"]
    assert (c.available, c.owner_known, c.notified, c.unit_assigned, c.arrived, c.started, c.done) == (
        945,
        945,
        945,
        945,
        1045,
        1045,
        1145,
    )
    assert c.from_agency == "fire" and c.owner == "police" and c.gap == 100
    # parts: ownership, bounce, arbitration, signing, notification, decision, unit_wait, travel, enforcement, setup
    assert c.decided == 945 and c.gap_parts() == (0, 0, 0, 0, 0, 0, 0, 100, 0, 0)
    # cleanup: ownerless → fire takes it to gov (30 + desk 20), gov decides (100): owner known at 1295;
    # gov → so (30) + so desk (30): notified 1355; desk work 200 → done 1555.
    k = t["cleanup"]
    assert k.escalated and k.owner == "so" and k.from_agency == "police"
    assert (k.available, k.owner_known, k.notified, k.started, k.done) == (1145, 1295, 1355, 1355, 1555)
    assert k.gap == 210 and k.ownerless_time == 150
    assert k.gap_parts() == (150, 0, 0, 0, 60, 0, 0, 0, 0, 0)


def test_replication_metrics(replication):
    m = replication_metrics(replication)
    assert m["t_first_arrival"] == 315
    assert m["handoff_count"] == 2
    assert m["handoff_gap_total"] == 310
    assert m["handoff_gap_max"] == 210
    assert m["ownerless_time"] == 150
    assert m["casualties"] is None  # no hazard model: not applicable, not 0
