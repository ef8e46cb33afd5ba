"""Validation of the engine's dispatch queue (simulation/model/engine.py) against exact queueing results.

With zero travel, zero desk/latency/decision/setup times and exponential task durations, a routine
incident stream (Poisson) competing for identical units is an M/M/c system:

* FCFS queue when all units are busy → Erlang C (Larson & Odoni, *Urban Operations Research* 1981
  §5.4.4; references.md: c = 3, λ/μ = 1.5 → P(wait) = 0.23684, Wq = P(wait)/(cμ − λ)).
* Fixed preference lists per grid and calls handed to mutual aid when every unit is busy → Larson's
  hypercube model with zero line capacity (Larson 1974; Larson & Odoni §5.4–5.5), solved exactly by
  tests/oracles/queueing.py; atoms and lists are those of Larson & Odoni's three-unit example (§5.4.3,
  rates per preference list derived in tests/validation/test_queueing_oracles.py). With equal μ the
  mutual-aid fraction is Erlang B(3, 1.5) = 0.13433 (references.md).

Each check runs R independent replications and asserts the exact value lies inside the 99 % t-interval
of the replication means, and that the interval is narrow enough for the check to bite.
Roads have length 1 mm at 130 km/h (2.8e-5 s): the schema needs positive road lengths; that is zero
travel to within 1e-7 of a service time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.loader import load_scenario
from simulation.experiments.runner import run
from tests.oracles.intervals import assert_in_ci
from tests.oracles.queueing import erlang_b, erlang_c, erlang_c_wq, hypercube

MEAN_SERVICE = 600.0  # s; μ = 1/600 s⁻¹
LAMBDA_PER_HOUR = 1.5 / MEAN_SERVICE * 3600  # offered load a = λ/μ = 1.5 → 9 calls per hour
DAYS = 15
R = 8

HEADER = f"""
description: {{zh: 排队检验, en: queueing check}}
horizon: {DAYS * 86400}
city:
  explicit:
    district: q
    grids:
      - {{id: g1, street: s1, x: 0, y: 0}}
      - {{id: g2, street: s1, x: 0, y: 0}}
      - {{id: g3, street: s1, x: 0, y: 0}}
      - {{id: g4, street: s1, x: 0, y: 0}}
    roads:
      - {{from: g1, to: g2, length_m: 0.001, speed_kmh: 130}}
      - {{from: g1, to: g3, length_m: 0.001, speed_kmh: 130}}
      - {{from: g1, to: g4, length_m: 0.001, speed_kmh: 130}}
agencies:
  - {{id: fire_brigade, role: fire, desk: {{staff: 50, handling: 0}}, decision: 0}}
arrangement:
  name: direct
  incident_types:
    call:
      lead: fire
      tasks: {{respond: {{lead: [fire]}}}}
incident_types:
  call:
    detection: [{{kind: citizen_call, delay: 0, report_to: fire_brigade}}]
    verify: 0
    tasks: [{{id: respond, capability: fire_attack, unit: engine, setup: 0,
             duration: {{dist: exponential, mean: {MEAN_SERVICE}}}}}]
"""


def _load(tmp_path: Path, name: str, body: str):
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"name: {name}\n{HEADER}{body}", encoding="utf-8")
    return load_scenario(f)


@pytest.mark.slow
def test_fcfs_queue_matches_erlang_c(tmp_path: Path) -> None:
    sc = _load(tmp_path, "erlang_c", f"""
stations:
  - {{id: fs1, agency: fire_brigade, grid: g1}}
units:
  - {{station: fs1, kind: engine, count: 3, turnout: 0}}
dispatch: {{order: nearest, when_all_busy: queue}}
streams:
  - {{id: calls, type: call, rate_per_hour: {LAMBDA_PER_HOUR}, grids: [g1]}}
""")
    inc = run(sc, R, 20240501).incidents.to_pandas()
    inc = inc[inc["queue_wait"].notna()]  # the few calls still waiting at the horizon are censored
    per_rep = inc.groupby("replication")["queue_wait"]
    assert per_rep.size().min() > 0.95 * LAMBDA_PER_HOUR * 24 * DAYS
    assert_in_ci(per_rep.apply(lambda w: float((w > 1e-6).mean())).tolist(), erlang_c(3, 1.5), "P(wait)", 0.15)
    assert_in_ci(per_rep.mean().tolist(), erlang_c_wq(3, 1.5 / MEAN_SERVICE, 1 / MEAN_SERVICE), "Wq (s)", 0.25)
    assert not inc["mutual_aid"].any()


# Larson & Odoni §5.4.3: units 1, 2, 3 = stations fs1, fs2, fs3; atoms by preference list and rate
# (per mean service time): (1,2,3) 0.50 · (1,3,2) 0.25 · (2,1,3) 0.35 · (3,1,2) 0.40.
ATOMS = {"g1": (["fs1", "fs2", "fs3"], 0.50), "g2": (["fs1", "fs3", "fs2"], 0.25),
         "g3": (["fs2", "fs1", "fs3"], 0.35), "g4": (["fs3", "fs1", "fs2"], 0.40)}
STATIONS = ["fs1", "fs2", "fs3"]


@pytest.mark.slow
def test_preference_lists_with_mutual_aid_match_the_hypercube_model(tmp_path: Path) -> None:
    grid_of = {"fs1": "g1", "fs2": "g2", "fs3": "g3"}
    stations = "".join(f"  - {{id: {s}, agency: fire_brigade, grid: {grid_of[s]}}}\n" for s in STATIONS)
    units = "".join(f"  - {{station: {s}, kind: engine, count: 1, turnout: 0}}\n" for s in STATIONS)
    prefs = ", ".join(f"{g}: [{', '.join(p)}]" for g, (p, _) in ATOMS.items())
    streams = "".join(f"  - {{id: calls_{g}, type: call, rate_per_hour: {rate / MEAN_SERVICE * 3600}, grids: [{g}]}}\n"
                      for g, (_, rate) in ATOMS.items())
    sc = _load(
        tmp_path,
        "hypercube",
        f"stations:\n{stations}units:\n{units}"
        f"dispatch: {{order: preference, preferences: {{{prefs}}}, when_all_busy: mutual_aid}}\n"
        f"streams:\n{streams}",
    )
    exact = hypercube(3, [r for _, r in ATOMS.values()],
                      [[STATIONS.index(s) for s in p] for p, _ in ATOMS.values()], 1.0, queue=False)
    assert exact.loss_fraction == pytest.approx(erlang_b(3, 1.5), abs=1e-12)  # equal μ: Erlang B, 0.13433

    res = run(sc, R, 20240502)
    inc = res.incidents.to_pandas()
    tasks = res.tasks.to_pandas()
    horizon = DAYS * 86400.0
    assert_in_ci(
        inc.groupby("replication")["mutual_aid"].mean().tolist(), exact.loss_fraction, "mutual-aid fraction", 0.15
    )
    # per-unit workload: fraction of the horizon each engine is busy (assigned → done, travel is zero)
    tasks = tasks[tasks["units"].notna() & (tasks["units"] != "mutual_aid") & tasks["unit_assigned"].notna()]
    busy = (tasks["done"].fillna(horizon).clip(upper=horizon) - tasks["unit_assigned"])
    for n, s in enumerate(STATIONS):
        mine = tasks["units"].str.contains(f".{s}.engine", regex=False)
        per_rep = busy[mine].groupby(tasks.loc[mine, "replication"]).sum() / horizon
        assert len(per_rep) == R
        assert_in_ci(per_rep.tolist(), float(exact.workloads[n]), f"workload of {s}", 0.06)
    # per-atom dispatch fractions: who answers g1's calls (first on the list when free, backups, mutual aid)
    g1 = inc[inc["grid"] == "g1"]
    first_fs1 = g1.groupby("replication")["first_unit"].apply(
        lambda u: float(u.str.contains(".fs1.", regex=False).mean())
    )
    assert_in_ci(first_fs1.tolist(), float(exact.dispatch[0, 0]), "share of g1's calls answered by fs1", 0.06)
