"""Unit tests of the defect-discovery loop (scenarios/defect_loop.py, simulation/model/defect_loop.py)."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from pydantic import ValidationError

from agencies.base import RefError
from scenarios.defect_loop import (
    CATEGORIES,
    DAY,
    PUTUO_FOUND,
    DefectLoopSpec,
    PatrolSpec,
)
from scenarios.distributions import LogNormal
from simulation.model.defect_loop import Tally, _serve, simulate

SMALL = DefectLoopSpec(grids=300, grids_per_district=150, days=60)


@pytest.mark.parametrize("grid_model", ["integrated", "parallel"])
def test_conservation_found_equals_closed_plus_dropped_plus_open(grid_model: str) -> None:
    """Every hazard found is closed, dropped or still open — the open ones counted directly from the
    pipeline (not acknowledged yet, or with an inspector and not closed), not as a difference."""
    r = simulate(SMALL.model_copy(update={"grid_model": grid_model}), seed=3)
    c = r.counts
    assert c["found"] > 1000 and c["closed"] > 0 and c["dropped"] > 0
    assert c["found"] == c["closed"] + c["dropped"] + r.open_direct
    assert c["arisen"] == c["found"] + c["undetected"]
    assert r.found_daily.sum() == c["found"]
    assert r.closed_daily.sum() == c["closed"] == sum(r.closed_by_department.values())
    assert r.dropped_daily.sum() == c["dropped"]
    assert sum(r.found_by_category.values()) == sum(r.found_by_department.values()) == c["found"]
    # the department backlog at the horizon is the open cases that reached a department
    assert r.backlog_daily()[:, -1].sum() <= r.open_direct
    assert r.backlog_daily().min() >= 0
    assert c["relapsed"] <= c["closed"]
    assert r.tallies["time_to_close"].n == c["closed"]


def test_same_seed_same_result_and_other_seed_differs() -> None:
    a, b, other = simulate(SMALL, seed=11), simulate(SMALL, seed=11), simulate(SMALL, seed=12)
    assert a.counts == b.counts
    for name in ("found_daily", "dropped_daily", "entered_daily", "closed_daily"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for k in a.tallies:
        np.testing.assert_array_equal(a.tallies[k].hist, b.tallies[k].hist)
        assert a.tallies[k].s == b.tallies[k].s
    assert a.counts != other.counts


def test_grid_models_see_the_same_hazards_with_one_seed() -> None:
    """Common random numbers: arrivals and detection of new hazards have their own streams, so parallel and
    integrated grids differ only after the report (relapses aside)."""
    spec = SMALL.model_copy(update={"categories": {c: v.model_copy(update={"relapse_probability": 0.0})
                                                   for c, v in SMALL.categories.items()}})
    a = simulate(spec.model_copy(update={"grid_model": "integrated"}), seed=5)
    b = simulate(spec.model_copy(update={"grid_model": "parallel"}), seed=5)
    assert a.counts["arisen"] == b.counts["arisen"] and a.counts["found"] == b.counts["found"]
    np.testing.assert_array_equal(a.found_daily, b.found_daily)
    # the parallel lines lose and delay more cases
    assert b.counts["dropped"] > a.counts["dropped"]
    assert b.tallies["time_to_department"].mean() > 5 * a.tallies["time_to_department"].mean()
    assert b.rectification_rate < a.rectification_rate


def test_grids_without_workers_are_never_patrolled() -> None:
    spec = SMALL.model_copy(update={"patrol": PatrolSpec(workers_per_grid=0)})
    r = simulate(spec, seed=1)
    assert r.counts["arisen"] > 0 and r.counts["found"] == 0 and r.counts["undetected"] == r.counts["arisen"]
    # an explicit per-grid worker array: only the staffed half finds anything
    w = np.r_[np.zeros(150), np.ones(150)]
    r2 = simulate(SMALL, seed=1, workers=w)
    assert 0 < r2.counts["found"] < 0.6 * r2.counts["arisen"]
    with pytest.raises(ValueError, match="every grid"):
        simulate(SMALL, seed=1, workers=np.ones(10))


def test_default_rates_follow_putuo_category_mix() -> None:
    """Category shares of new hazards are Putuo's (domain.md, Jan–Oct 2020): fire 36,140 of 58,851 …"""
    spec = DefectLoopSpec(grids=200)
    rates = np.array([spec.categories[c].rate_per_grid_day for c in CATEGORIES])
    putuo = np.array([PUTUO_FOUND[c] for c in CATEGORIES], dtype=float)
    np.testing.assert_allclose(rates / rates.sum(), putuo / putuo.sum(), rtol=1e-12)


def test_spec_rejects_unknown_and_duplicate_departments() -> None:
    cats = {k: v.model_dump() for k, v in SMALL.categories.items()}
    cats["fire"]["department"] = "fire_brigade"
    with pytest.raises(ValidationError) as e:
        DefectLoopSpec(categories=cats)
    err = e.value.errors()[0]
    assert isinstance(err["ctx"]["error"], RefError) and err["ctx"]["error"].path == (
        "categories",
        "fire",
        "department",
    )
    assert "unknown department 'fire_brigade'" in str(e.value)
    deps = [d.model_dump() for d in SMALL.departments]
    with pytest.raises(ValidationError, match="defined twice"):
        DefectLoopSpec(departments=deps + deps[:1])
    with pytest.raises(ValidationError):
        DefectLoopSpec(days=0)
    with pytest.raises(ValueError, match="grid count"):
        simulate(DefectLoopSpec(), seed=0)


def test_serve_is_fcfs_on_the_first_free_server() -> None:
    free = [0.0, 0.0]
    heapq.heapify(free)
    starts = _serve(free, [0.0, 1.0, 2.0, 3.0], [10.0, 10.0, 1.0, 1.0])
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


def test_cli_defect_loop_writes_outputs_and_prints_json(cli, tmp_path) -> None:
    import json

    import pyarrow.parquet as pq

    out = tmp_path / "loop"
    res = cli("defect-loop", "--grids", "150", "--days", "20", "--workers-per-grid", "1.5", "--seed", "4",
              "--out", out, "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert set(summary) == {"integrated", "parallel"}
    assert summary["integrated"]["grids"] == 150 and summary["integrated"]["days"] == 20
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    daily = pq.read_table(out / "daily.parquet").to_pydict()
    assert len(daily["day"]) == 2 * 20 and sum(daily["found"]) == sum(s["counts"]["found"] for s in summary.values())
    backlog = pq.read_table(out / "backlog.parquet").to_pydict()
    assert set(backlog["department"]) == {d.id for d in SMALL.departments}
    table = cli("defect-loop", "--grids", "150", "--days", "10", "--grid-model", "parallel")
    assert table.returncode == 0 and "rectification rate" in table.stdout and "integrated" not in table.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--grids", "0"], "linkage defect-loop: --grids: Input should be greater than or equal to 1"),
        (["--days", "0.5"], "linkage defect-loop: --days: Input should be greater than or equal to 1"),
        (
            ["--workers-per-grid", "-1"],
            "linkage defect-loop: --workers-per-grid: Input should be greater than or equal to 0",
        ),
        (
            ["--grid-model", "mixed"],
            "linkage defect-loop: --grid-model: must be parallel, integrated or both (got 'mixed')",
        ),
    ],
)
def test_cli_defect_loop_bad_options_name_the_option(cli, tmp_path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    res = cli("defect-loop", *args, "--out", out)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.splitlines() == [message]
    assert not out.exists()


def test_simulate_city_uses_the_scenario_grids_and_workers() -> None:
    from scenarios.city import City, GeneratedCity
    from simulation.model.citymap import build_citymap
    from simulation.model.defect_loop import simulate_city

    cm = build_citymap(City(generated=GeneratedCity(streets=2, communities_per_street=3, grids_per_community=5,
                                                    grid_workers_per_grid=0.0)))
    spec = DefectLoopSpec(days=20)
    r = simulate_city(spec, cm, seed=2)
    assert r.grids == 30 and r.grid_workers == 0 and r.counts["found"] == 0 < r.counts["arisen"]
    assert simulate_city(spec.model_copy(update={"grids": 40}), cm, seed=2).grids == 40
