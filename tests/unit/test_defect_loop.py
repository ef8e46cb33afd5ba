"""Unit tests of the hidden-hazard loop (scenarios/defect_loop.py, simulation/model/defect_loop.py,
simulation/model/doctrine.py's HazardRouting): the mechanism behind duplicates, returns, drops and relapses."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from pydantic import ValidationError

from agencies.base import RefError
from scenarios.defect_loop import DAY, DefectLoopSpec, HazardDepartment, PatrolSpec
from scenarios.distributions import LogNormal
from scenarios.loader import load_arrangement
from simulation.model.defect_loop import STATUSES, Tally, routing_for, simulate
from simulation.model.defect_queue import serve_fcfs
from simulation.model.doctrine import BOUNCE, DROP, FORWARD, VISIT

SMALL = DefectLoopSpec(grids=300, grids_per_district=150, days=60)
ARR = {n: load_arrangement(n) for n in ("integrated_grid", "parallel_grids", "ambiguous", "territorial_lead",
                                        "street_whistle")}


def _run(spec: DefectLoopSpec, arm: str, seed: int = 3):
    return simulate(spec, seed, arrangement=ARR[arm])


def test_no_misrouting_or_relapse_constant_is_left() -> None:
    """Issue 14: misrouting, drops and relapse are no longer inputs — no field of the spec sets them."""
    fields: set[str] = set()
    for model in (DefectLoopSpec, PatrolSpec, HazardDepartment, type(SMALL.enforcement),
                  type(SMALL.categories["fire"])):
        fields |= set(model.model_fields)
    assert not {f for f in fields if "misroute" in f or "drop" in f or "relapse_probability" in f}


def test_parallel_grids_duplicate_and_bounce_while_one_integrated_grid_does_neither() -> None:
    """The same hazards, seen by the same channels (common random numbers): separate systems give second orders
    and returns; one grid on one platform gives none."""
    par, integ = _run(SMALL, "parallel_grids"), _run(SMALL, "integrated_grid")
    assert par.counts["arisen"] == integ.counts["arisen"]
    assert par.counts["duplicate_visits"] > 0 and par.counts["bounced"] > 100 and par.counts["dropped_orders"] > 100
    assert integ.counts["duplicate_visits"] == integ.counts["bounced"] == integ.counts["dropped_orders"] == 0
    assert integ.status["dropped"] == integ.status["bounced"] == 0 and par.status["dropped"] > 0
    assert par.busy_seconds["duplicate"] > 0 and integ.busy_seconds["duplicate"] == 0
    assert par.inspector_days > 0 and par.metrics()["wasted_inspector_days"] > 0


def test_returns_come_from_grid_workers_reporting_other_departments_hazards() -> None:
    """Knock-out: when a department's grid worker sees only its own categories, nothing reaches a department
    outside its remit, so nothing is returned — duplicates remain (12345 and the own grid do not share a list)."""
    spec = SMALL.model_copy(update={"patrol": SMALL.patrol.model_copy(update={"cross_sensitivity": 0.0})})
    r = _run(spec, "parallel_grids")
    assert r.counts["bounced"] == r.counts["dropped_orders"] == 0
    assert r.counts["duplicate_visits"] > 0


def test_a_shared_platform_merges_duplicates_even_with_parallel_grids() -> None:
    """Duplicates come from separate case lists: the same parallel grids on a shared platform have none."""
    shared = ARR["parallel_grids"].model_copy(update={"platform": True})
    r = simulate(SMALL, 3, arrangement=shared)
    assert r.counts["duplicate_visits"] == 0 and r.counts["dropped_orders"] == 0 and r.counts["bounced"] > 0


def test_relapse_falls_when_follow_up_verification_is_on() -> None:
    """固化成效: re-checking every reported rectification catches superficial ones, so fewer come back; with no
    superficial rectification nothing comes back at all (relapse is a mechanism, not a rate)."""
    on = [_run(SMALL, "integrated_grid", s) for s in range(3)]
    off = [_run(SMALL.model_copy(update={"follow_up": False}), "integrated_grid", s) for s in range(3)]
    for a, b in zip(on, off, strict=True):
        assert a.counts["relapsed"] < 0.5 * b.counts["relapsed"]
        assert a.counts["reworks"] > 0 and b.counts["reworks"] == 0
        assert a.busy_seconds["verify"] > 0 and b.busy_seconds["verify"] == 0
    cats = {c: v.model_copy(update={"superficial": 0.0}) for c, v in SMALL.categories.items()}
    r = _run(SMALL.model_copy(update={"categories": cats, "follow_up": False}), "integrated_grid")
    assert r.counts["relapsed"] == 0 and r.status["relapsed_open"] == 0


def test_routing_tables_follow_the_listing_rule() -> None:
    """职能不符 at a department's own line: returned and lost without anyone to copy it (parallel grids), passed on
    with a relay (territorial lead); 权属不清 and 职能交叉 at the platform go to arbitration."""
    par = routing_for(SMALL, ARR["parallel_grids"])
    fire, prod = SMALL.department_index()["fire"], 0
    assert par.kind[fire, prod] == BOUNCE and par.fate[fire, prod] == DROP
    assert par.kind[fire, 1] == VISIT and par.returns[fire, 1] == 0
    ter = routing_for(SMALL, ARR["territorial_lead"])
    street = SMALL.department_index()["street_office"]
    assert ter.kind[fire, prod] == BOUNCE and ter.fate[fire, prod] == FORWARD and ter.target[fire, prod] == street
    assert ter.lacks_powers[street, prod] and not ter.whistle and routing_for(SMALL, ARR["street_whistle"]).whistle
    amb = routing_for(SMALL, ARR["ambiguous"])
    assert amb.leads["other"] == () and amb.returns[amb.hotline, 4] == 1
    assert amb.returns[amb.hotline, 3] == 2  # occupational health claimed by two: both return it
    with pytest.raises(ValueError, match="not a hazard category"):
        routing_for(SMALL, ARR["parallel_grids"].model_copy(update={"hazard_categories": {"fires": {}}}))
    with pytest.raises(ValueError, match="no inspectors"):
        routing_for(SMALL, ARR["parallel_grids"].model_copy(
            update={"hazard_categories": {"fire": ARR["parallel_grids"].incident_types["high_rise_fire"].tasks[
                "cordon"]}}))


def test_street_without_powers_waits_for_the_district_unless_it_whistles() -> None:
    """吹哨报到: under the territorial lead the street owns production hazards but lacks 执法权; its penalties wait
    for the district; with the whistle the department comes at once, so no escalation is needed."""
    ter, wh = _run(SMALL, "territorial_lead"), _run(SMALL, "street_whistle")
    assert ter.counts["escalations"] > 0 and wh.counts["escalations"] == 0


def test_every_hazard_is_in_exactly_one_place() -> None:
    for arm in ("parallel_grids", "ambiguous", "integrated_grid"):
        r = _run(SMALL, arm)
        assert sum(r.status.values()) == r.counts["arisen"] and set(r.status) == set(STATUSES)
        assert r.closed_by.sum() == r.counts["closed"] == r.closed_daily.sum()
        assert r.found_by.sum() == r.counts["found"] == r.found_daily.sum() == r.time_to_find.n


def test_same_seed_same_result_and_other_seed_differs() -> None:
    a, b, other = (_run(SMALL, "parallel_grids", s) for s in (11, 11, 12))
    assert a.counts == b.counts and a.status == b.status
    np.testing.assert_array_equal(a.found_to_closed.hist, b.found_to_closed.hist)
    assert a.found_to_closed.s == b.found_to_closed.s
    assert a.counts != other.counts


def test_grids_without_workers_are_never_patrolled() -> None:
    spec = SMALL.model_copy(update={"patrol": PatrolSpec(workers_per_grid=0), "channels": {}})
    r = _run(spec, "integrated_grid", 1)
    assert r.counts["arisen"] > 0 and r.counts["found"] == 0 and r.status["undiscovered"] == r.counts["arisen"]
    with pytest.raises(ValueError, match="every grid"):
        simulate(SMALL, 1, workers=np.ones(10))


def test_spec_rejects_unknown_and_duplicate_departments() -> None:
    cats = {k: v.model_dump() for k, v in SMALL.categories.items()}
    cats["fire"]["department"] = "fire_brigade"
    with pytest.raises(ValidationError) as e:
        DefectLoopSpec(categories=cats)
    err = e.value.errors()[0]
    assert isinstance(err["ctx"]["error"], RefError)
    assert err["ctx"]["error"].path == ("categories", "fire", "department")
    deps = [d.model_dump() for d in SMALL.departments]
    with pytest.raises(ValidationError, match="defined twice"):
        DefectLoopSpec(departments=deps + deps[:1])
    with pytest.raises(ValidationError, match="under 'patrol'"):
        DefectLoopSpec(channels={"grid_patrol": {"rate_per_day": 1, "coverage": 1, "sensitivity": {}}})
    with pytest.raises(ValueError, match="grid count"):
        simulate(DefectLoopSpec(), seed=0)


def test_serve_is_fcfs_on_the_first_free_server() -> None:
    free = [0.0, 0.0]
    heapq.heapify(free)
    starts = serve_fcfs(free, [0.0, 1.0, 2.0, 3.0], [10.0, 10.0, 1.0, 1.0])
    assert starts == [0.0, 1.0, 10.0, 11.0]
    assert sorted(free) == [11.0, 12.0]


def test_tally_percentiles_match_exact_ones() -> None:
    x = LogNormal(dist="lognormal", median=5 * DAY, p90=20 * DAY).sample(np.random.default_rng(0), 200_000)
    t = Tally()
    for chunk in np.array_split(x, 7):
        t.add(chunk)
    assert t.n == x.size and t.mean() == pytest.approx(x.mean(), rel=1e-12)
    assert t.std() == pytest.approx(x.std(ddof=1), rel=1e-9)
    for q in (0.1, 0.5, 0.9, 0.99):
        assert t.quantile(q) == pytest.approx(np.quantile(x, q), rel=0.01)
    assert Tally().mean() is None and Tally().quantile(0.5) is None


def test_cli_hazard_loop_compares_arrangements_and_writes_the_contract(cli, tmp_path) -> None:
    import json

    import pyarrow.parquet as pq

    from simulation.experiments.outputs import LOOP_METRICS, LOOP_TABLES

    out = tmp_path / "loop"
    res = cli("hazard-loop", "-a", "integrated_grid", "-a", "parallel_grids", "--grids", "150", "--days", "20",
              "-n", "2", "--seed", "4", "--out", out, "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert list(summary) == ["integrated_grid", "parallel_grids"] and len(summary["parallel_grids"]) == 2
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    loop = pq.read_table(out / "loop.parquet").to_pydict()
    assert list(loop) == ["arrangement", "replication", "seed", *LOOP_METRICS] and len(loop["found"]) == 4
    stages = pq.read_table(out / "loop_stages.parquet").to_pydict()
    for arm in summary:
        for r in range(2):
            rows = [h for a, rr, h in zip(stages["arrangement"], stages["replication"], stages["hazards"],
                                          strict=True) if a == arm and rr == r]
            assert sum(rows) == summary[arm][r]["counts"]["arisen"]
    comp = pq.read_table(out / "loop_comparison.parquet").to_pydict()
    assert set(comp["arrangement"]) == {"parallel_grids"} and set(comp["metric"]) == set(LOOP_METRICS)
    assert {p.name for p in out.iterdir()} >= {f"{t}.parquet" for t in LOOP_TABLES} | {"summary.json"}
    table = cli("defect-loop", "--grids", "150", "--days", "10", "-a", "ambiguous")
    assert table.returncode == 0 and "rectified share" in table.stdout and "ambiguous" in table.stdout
    bad = cli("defect-loop", "-a", "no_such_arrangement", "--out", tmp_path / "bad")
    assert bad.returncode == 1 and "unknown arrangement" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()
    arr = tmp_path / "police_owns_fire.yaml"
    arr.write_text("name: police_owns_fire\nhazard_categories:\n  fire: {lead: [police]}\n", encoding="utf-8")
    bad = cli("defect-loop", "-a", arr, "--out", tmp_path / "bad")
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 1 and len(lines) == 1 and str(arr) in lines[0] and "hazard_categories" in lines[0]
    assert "'police'" in lines[0] and not (tmp_path / "bad").exists()
