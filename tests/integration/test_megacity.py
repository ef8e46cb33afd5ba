"""The megacity year (issue 17, items 3–4): contacts are not incidents, the year split by replication or by
district gives the same tables on any executor and number of workers, and the bundled Chongqing-size
scenario runs.

The small city is the bundled year's generator on 841 grids in 3 districts with the same calls per grid
(:func:`scenarios.megacity.small_city`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scenarios.loader import load_scenario
from scenarios.megacity import BUNDLED, MegacityConfig, megacity_yaml, small_city
from simulation.experiments.megacity import district_scenario, districts, run_year
from simulation.experiments.sweep_pool import Pool
from simulation.model.arrivals import draw_stream
from simulation.model.citymap import build_citymap
from simulation.model.rng import Streams


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> object:
    f = tmp_path_factory.mktemp("megacity") / "small.yaml"
    f.write_text(megacity_yaml(small_city(days=7)), encoding="utf-8")
    return load_scenario(f)


def test_a_call_is_not_an_incident(small):
    """Only the share of contacts someone must go to becomes an incident, per service: 110 ≈ 37 % (Chongqing
    110, 2016: 8.24 million calls, 4.72 million valid of which 0.95 million enquiries and 0.72 million
    car-moving requests — China News 2017-01-10), 120 ≈ 28.6 % (Chongqing 120, Spring Festival 2022: 8,221
    ambulance runs for 28,740 calls), 12345 5 % (an assumption), 119 all. Each share within 4 binomial
    standard errors of the run's own calls; the calls themselves within 4 Poisson standard errors of
    rate × grids × hours (the profiles have mean 1)."""
    res = run_year(small, 5)
    shares = {s.id: s.unit_share for s in small.streams}
    assert shares == {"s110": 0.37, "s119": 1.0, "s120": 0.286, "s12345": 0.05}
    hours = small.horizon / 3600.0
    grids = small.city.generated.n_grids
    for row in res.calls.to_pylist():
        stream = next(s for s in small.streams if s.id == row["stream"])
        n, k, p = row["calls"], row["incidents"], stream.unit_share
        expected = stream.rate_per_hour * grids * hours * sum(stream.weekly or [1] * 7) / 7
        assert abs(n - expected) <= 4 * math.sqrt(expected), row
        if p == 1.0:
            assert k == n
        else:
            assert abs(k / n - p) <= 4 * math.sqrt(p * (1 - p) / n), row
            assert k < n


def test_monthly_and_weekly_profiles_shape_the_days():
    """The fire stream's summer (June–August 28 % of the year's incidents, National Fire and Rescue
    Administration, 2025) and the 12345 weekday/weekend profile: a day's draws follow the multipliers."""
    cfg = small_city(days=365)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "s.yaml"
        f.write_text(megacity_yaml(cfg), encoding="utf-8")
        sc = load_scenario(f, sets=["streams.s119.rate_per_hour=0.05", "streams.s12345.unit_share=1.0"])
    cm = build_citymap(sc.city)
    streams = Streams(3, 0)
    fire = next(s for s in sc.streams if s.id == "s119")
    per_day = np.array([len(draw_stream(fire, sc, cm, streams, day)) for day in range(365)])
    month = (np.arange(365) // (365 / 12)).astype(int)
    summer = per_day[(month >= 5) & (month <= 7)].sum() / per_day.sum()
    assert abs(summer - 0.28) < 0.01  # 3 summer months carry 28 % (±1 point at ≈1.5 million draws)
    hotline = next(s for s in sc.streams if s.id == "s12345")
    calls: dict[str, int] = {}
    for day in range(28):
        draw_stream(hotline, sc, cm, streams, day, calls if day % 7 < 5 else None)
    weekday = calls["s12345"] / 20
    weekend_calls: dict[str, int] = {}
    for day in range(28):
        if day % 7 >= 5:
            draw_stream(hotline, sc, cm, Streams(4, 0), day, weekend_calls)
    assert weekend_calls["s12345"] / 8 / weekday == pytest.approx(0.85 / 1.06, rel=0.05)


def test_district_parts_cut_one_district_each(small):
    """A district part keeps its own stations and its grids' share of every stream (renamed, so districts draw
    independent numbers), and nothing of the others'."""
    ds = districts(small)
    assert len(ds) == 3 and sorted(s for streets in ds.values() for s in streets) == sorted(small.city.street_ids())
    for name, streets in ds.items():
        part = district_scenario(small, name, streets)
        keep = set(streets)
        agency = {a.id: a for a in small.agencies}
        assert part.stations and all(set(agency[s.agency].jurisdiction) == keep for s in part.stations)
        for s in part.streams:
            assert s.id.endswith(f"_{name}") and s.grids
            assert {small.city.street_of(g) for g in s.grids} == keep


@pytest.mark.slow
@pytest.mark.parametrize("by", ["replication", "district"])
def test_same_seed_same_tables_on_any_executor(small, by):
    """In this process, a local pool of 1 and 2 workers, and a Dask LocalCluster of 2 single-threaded worker
    processes: the same month and call tables, bit for bit (parts are summed in part order)."""
    from dask.distributed import Client, LocalCluster

    reps = 2 if by == "replication" else 1
    ref = run_year(small, 9, by=by, replications=reps)
    assert ref.months.num_rows > 0
    if by == "district":  # cut apart, no unit crosses a district line
        assert set(ref.months.column("other_district").to_pylist()) == {0}
    for workers in (1, 2):
        with Pool(workers, None, None) as pool:
            got = run_year(small, 9, by=by, replications=reps, executor=pool.executor)
        assert got.months.equals(ref.months) and got.calls.equals(ref.calls), workers
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        got = run_year(small, 9, by=by, replications=reps, executor=client.get_executor(pure=False))
    assert got.months.equals(ref.months) and got.calls.equals(ref.calls)
    other = run_year(small, 10, by=by, replications=reps)
    assert not other.months.equals(ref.months)  # the seed matters: the comparison can fail


def test_bundled_file_is_what_the_generator_writes():
    """``scenarios/library/megacity_year.yaml`` is generated: edit the generator, and regenerate."""
    assert BUNDLED.read_text(encoding="utf-8") == megacity_yaml(MegacityConfig())


@pytest.mark.slow
def test_bundled_megacity_year_runs_a_small_horizon():
    """The bundled Chongqing-size year (68,034 grids, 38 districts, four services) on a two-hour horizon: every
    service's contacts arrive, incidents are dispatched from their own station area first."""
    sc = load_scenario(BUNDLED, sets=["horizon=7200"])
    assert sc.description.zh and sc.description.en and sc.city.generated.n_grids == 68_034
    res = run_year(sc, 1)
    calls = {r["stream"]: r for r in res.calls.to_pylist()}
    assert set(calls) == {"s110", "s119", "s120", "s12345"}
    assert all(0 < r["incidents"] <= r["calls"] for k, r in calls.items() if k != "s119")
    police = next(r for r in res.months.to_pylist() if r["type"] == "police_call")
    assert police["own_area"] > police["neighbour_area"] + police["other_district"] + police["external"]


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("megacity_cli") / "small.yaml"
    f.write_text(megacity_yaml(small_city(days=7)), encoding="utf-8")
    return f


@pytest.mark.slow
def test_linkage_year_writes_the_split_tables(cli, small, small_file, tmp_path):
    """``linkage year --by district --workers 2 --out``: the month and call tables are those of ``run_year`` in this
    process (bit for bit), the printout names the services, and progress does not reach stdout."""
    import pyarrow.parquet as pq

    r = cli("year", small_file, "--by", "district", "--workers", "2", "--seed", "4", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    ref = run_year(small, 4, by="district")
    assert pq.read_table(tmp_path / "o" / "months.parquet").equals(ref.months)
    assert pq.read_table(tmp_path / "o" / "calls.parquet").equals(ref.calls)
    assert "s110:" in r.stdout and "s12345:" in r.stdout and "parts" not in r.stdout  # (the table wraps at any width)
    assert ref.type_names["police_call"] == "110警情 / 110 police call"  # what the table names the rows


@pytest.mark.parametrize(("args", "line"), [
    (["--by", "county"], "--by: by: must be one of replication, district (got 'county')"),
    (["-n", "0"], "-n: replications: must be at least 1 (got 0)"),
    (["--workers", "0"], "--workers: workers: must be at least 1 (got 0)"),
])
def test_linkage_year_refuses_bad_parameters(cli, small_file, tmp_path, args, line):
    r = cli("year", small_file, *args, "--out", tmp_path / "o")
    assert (r.returncode, r.stderr.strip()) == (1, line)
    assert not (tmp_path / "o").exists()


def test_linkage_year_refuses_a_scenario_without_streams(cli, tmp_path):
    from tests.helpers import FLAGSHIP

    r = cli("year", FLAGSHIP, "--out", tmp_path / "o")
    assert r.returncode == 1
    assert r.stderr.strip() == (f"{FLAGSHIP}: streams: no routine streams, so a year of this scenario has nothing to "
                                "tally; give one with streams (e.g. megacity_year.yaml)")
    assert not (tmp_path / "o").exists()
