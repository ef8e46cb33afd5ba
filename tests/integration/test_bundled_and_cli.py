"""Every bundled scenario validates and runs; the basic CLI commands do what the README says."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from scenarios.loader import bundled_scenarios, load_scenario
from simulation.experiments.runner import run


def test_three_flagships_are_bundled():
    assert {p.stem for p in bundled_scenarios()} >= {"high_rise_fire", "chemical_leak", "crowd_crush"}


STREAM_ONLY = {
    "megacity_year": "tests/integration/test_megacity.py::test_bundled_megacity_year_runs_a_small_horizon",
    "routine_load":
        "tests/validation/test_calibration_recovery.py::test_every_known_parameter_lies_inside_its_interval",
}
"""Bundled scenarios of routine streams only (a city's year, no flagship incident): each is run, on a short
horizon, by the test named here — three full replications of a year would take an hour."""


def test_every_stream_only_scenario_has_its_own_run_test():
    assert {p.stem for p in bundled_scenarios() if not load_scenario(p).incidents} == set(STREAM_ONLY)


@pytest.mark.parametrize("path", [p for p in bundled_scenarios() if p.stem not in STREAM_ONLY], ids=lambda p: p.stem)
def test_bundled_scenario_runs(path):
    sc = load_scenario(path)
    assert sc.description.zh and sc.description.en
    res = run(sc, 3, seed=1)
    reps = res.replications
    assert reps.num_rows == 3
    # Every flagship is detected, reported and reached in every replication.
    for m in ("t_detect", "t_report", "t_first_arrival"):
        assert None not in reps.column(m).to_pylist(), m
    # Its hazard model produced outcomes (a routine-load scenario, routine_load, has streams and no hazard).
    if any(i.hazard is not None for i in sc.incidents):
        assert None not in reps.column("casualties").to_pylist()


def test_validate_ok_and_schema(cli):
    r = cli("validate", *[str(p) for p in bundled_scenarios()])
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ok ") == len(bundled_scenarios())
    r = cli("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert {"city", "agencies", "arrangement", "incidents", "extends"} <= set(schema["properties"])


def test_graph_export(cli, flagship, tmp_path):
    out = tmp_path / "g.graphml"
    r = cli("graph", flagship, "--out", out)
    assert r.returncode == 0, r.stderr
    g = nx.read_graphml(out)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == {"agency", "centre", "station", "grid"}
    edge_kinds = {d["kind"] for *_, d in g.edges(data=True)}
    assert {"report", "notify", "command", "request_support", "handoff"} <= edge_kinds
    assert g.nodes["centre_119"]["name_zh"] == "119指挥中心"


def test_graph_rejects_wrong_suffix(cli, flagship, tmp_path):
    r = cli("graph", flagship, "--out", tmp_path / "g.txt")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and ".graphml" in r.stderr


def test_arrangement_option_swaps_arrangement(cli, flagship, out_dir):
    r = cli("run", flagship, "-n", "2", "-a", "sectoral_lead", "--out", out_dir)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["arrangement"] == "sectoral_lead"
