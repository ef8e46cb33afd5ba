"""Sweeps end to end on the flagship scenario: kill and resume, executor independence, point errors,
DuckDB queries, the CLI and the analysis files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from scenarios.errors import InputError
from simulation.experiments.results import load_sweep, query
from simulation.experiments.sweep import Task, evaluate, sweep
from tests.helpers import FLAGSHIP, ROOT, cli, linkage, linkage_exe

STAFF = "agencies.street_S3.desk.staff=1..3"
ENGINES = "units.0.count=1,3"


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: load_sweep(out, t) for t in ("replications", "incidents", "handoffs")}


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], ignore: tuple[str, ...] = ()) -> None:
    for name in a:
        x, y = a[name].drop(columns=list(ignore)), b[name].drop(columns=list(ignore))
        assert len(x) > 0
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)


def _alive_in_group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _parts(out: Path) -> list[Path]:
    """The finished tasks: a task is done when its checksum record is written (after its parts)."""
    return sorted(out.glob("checksums/sweep=*/point=*/part-*.json"))


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_sweep(tmp_path: Path) -> None:
    args = ["sweep", str(FLAGSHIP), "--vary", STAFF, "--vary", ENGINES, "-n", "8", "--batch", "2", "--seed", "11"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    total = 6 * 4  # 6 points × 4 batches
    cmd = [str(linkage_exe()), *args, "--workers", "1", "--out", str(killed)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_parts(killed)) < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no part written in time"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # the pool's workers notice their parent is gone and exit: a killed sweep leaves no orphans
        deadline = time.monotonic() + 30
        while _alive_in_group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive_in_group(proc.pid)
    finally:
        try:  # whatever is left of the group we started (only if the assertion above failed)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    written = len(_parts(killed))
    assert 1 <= written < total, f"kill came too late to test resume: {written} of {total} parts"
    assert (killed / "manifest.json").exists()

    done = linkage(*args, "--workers", "2", "--out", killed, "--resume")
    assert done.returncode == 0, done.stderr
    assert f"{total - written} tasks run, {written} already done" in " ".join(done.stdout.split())
    assert len(_parts(killed)) == total
    assert not list(killed.rglob("*.tmp"))

    sweep(FLAGSHIP, [STAFF, ENGINES], replications=8, batch=2, seed=11, out=whole, workers=2, progress=False)
    resumed, reference = _tables(killed), _tables(whole)
    reps = resumed["replications"]
    assert len(reps) == 6 * 8 and not reps.duplicated(["point", "replication"]).any()
    _assert_same(resumed, reference)

    again = linkage(*args, "--out", killed, "--resume")
    assert again.returncode == 0 and "0 tasks run" in again.stdout


@pytest.mark.slow
def test_one_worker_two_workers_and_dask_give_identical_results(tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    factors = [STAFF, "arrangement=sectoral_lead,integrated_grid"]
    common = dict(replications=4, seed=5, progress=False)
    r1 = sweep(FLAGSHIP, factors, out=tmp_path / "w1", workers=1, batch=2, **common)
    r2 = sweep(FLAGSHIP, factors, out=tmp_path / "w2", workers=2, batch=2, **common)
    r3 = sweep(FLAGSHIP, factors, out=tmp_path / "b1", workers=2, batch=1, **common)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        rd = sweep(FLAGSHIP, factors, out=tmp_path / "dask", scheduler=cluster.scheduler_address, batch=2, **common)
    assert r1.sweep_id == r2.sweep_id == rd.sweep_id != r3.sweep_id  # batch size is part of a sweep's identity
    assert all(r.tasks_run == r.tasks_total and not r.failed for r in (r1, r2, r3, rd))
    one = _tables(tmp_path / "w1")
    assert len(one["replications"]) == 6 * 4
    assert set(one["replications"]["arrangement"]) == {"sectoral_lead", "integrated_grid"}
    assert one["replications"].groupby("point")["t_first_arrival"].mean().nunique() > 1  # factors change results
    _assert_same(one, _tables(tmp_path / "w2"))
    _assert_same(one, _tables(tmp_path / "dask"))
    _assert_same(one, _tables(tmp_path / "b1"), ignore=("sweep",))


def test_experiment_error_in_one_point_is_recorded_and_the_sweep_completes(tmp_path: Path) -> None:
    out = tmp_path / "s"
    res = cli("sweep", FLAGSHIP, "--vary", "horizon=-5,14400", "-n", "2", "--workers", "1", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "1 points done, 1 failed" in " ".join(res.stdout.split())
    err = json.loads((out / "errors" / "point=0.json").read_text())
    assert err["values"] == {"horizon": -5} and "horizon" in err["error"] and "greater than 0" in err["error"]
    reps = load_sweep(out)
    assert reps["point"].unique().tolist() == [1] and len(reps) == 2
    assert not list((out / "replications").glob("*/point=0"))
    # resuming does not retry the failed point (its error is a property of the point, not of the run)
    again = sweep(FLAGSHIP, ["horizon=-5,14400"], replications=2, workers=1, out=out, resume=True, progress=False)
    assert again.tasks_run == 0 and set(again.failed) == {0}


def test_a_sweep_whose_every_point_failed_exits_non_zero(tmp_path: Path) -> None:
    """Failed points are recorded and the sweep goes on; but when none is left there is nothing to analyse, and a
    batch script must not read the run as a success (it exited 0)."""
    out = tmp_path / "s"
    res = cli("sweep", FLAGSHIP, "--vary", "horizon=-5,-3", "-n", "2", "--workers", "1", "--out", out)
    assert res.returncode == 1, res.stdout
    assert "every point failed" in res.stderr and "Traceback" not in res.stderr
    assert {p.name for p in (out / "errors").iterdir()} == {"point=0.json", "point=1.json"}


def test_a_genuine_bug_in_a_worker_is_not_swallowed() -> None:
    from scenarios.loader import read_document
    from scenarios.yamlsrc import to_plain

    doc = to_plain(read_document(FLAGSHIP))
    # a task no parent would cut (replication -1): the engine's seed derivation fails — a bug, not bad input
    bad = Task(point=0, first=-1, count=1, run_seed=1, arrangement=None, sets=())
    with pytest.raises(ValueError):
        evaluate(bad, doc, str(FLAGSHIP))
    invalid = Task(point=0, first=0, count=1, run_seed=1, arrangement=None, sets=("horizon=-1",))
    assert "horizon" in evaluate(invalid, doc, str(FLAGSHIP)).error


@pytest.mark.slow
def test_results_query_across_sweeps_with_duckdb(tmp_path: Path) -> None:
    a = sweep(FLAGSHIP, [ENGINES], replications=2, seed=1, out=tmp_path / "a", workers=2, progress=False)
    b = sweep(FLAGSHIP, ["horizon=7200,14400,10800"], replications=3, seed=2, out=tmp_path / "nested" / "b",
              workers=2, progress=False)
    counts = query(
        "SELECT sweep, count(*) AS n, count(DISTINCT point) AS points FROM replications GROUP BY sweep", tmp_path
    )
    assert dict(zip(counts["sweep"], counts["n"])) == {a.sweep_id: 2 * 2, b.sweep_id: 3 * 3}
    by_level = query('SELECT p."units.0.count" AS engines, count(*) AS n FROM replications r JOIN points p '
                     "USING (sweep, point) WHERE p.\"units.0.count\" IS NOT NULL GROUP BY 1 ORDER BY 1", tmp_path)
    assert by_level.to_dict("list") == {"engines": [1, 3], "n": [2, 2]}
    direct = load_sweep(tmp_path / "a")
    mean = query(f"SELECT avg(t_first_arrival) AS m FROM replications WHERE sweep = '{a.sweep_id}'", tmp_path / "a")
    assert mean["m"][0] == pytest.approx(direct["t_first_arrival"].mean())
    assert query("SELECT count(*) AS n FROM handoffs", tmp_path)["n"][0] > 0
    with pytest.raises(InputError, match="QUERY: .*views here: handoffs, incidents, points, replications"):
        query("SELECT nope FROM nowhere", tmp_path)

    csv = tmp_path / "q.csv"
    res = cli("results", "SELECT point, replication, t_close FROM replications ORDER BY sweep, point, replication",
              "--root", tmp_path, "--csv", csv)
    assert res.returncode == 0, res.stderr
    assert len(pd.read_csv(csv)) == 4 + 9
    shown = cli("results", "SELECT count(*) AS n FROM replications", "--root", tmp_path)
    assert shown.returncode == 0 and "13" in shown.stdout


@pytest.mark.slow
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bad"
    cases = {
        "foo.bar=1,2": "--vary: foo: no such field",
        "units.99.count=1,2": "--vary: units.99: no item '99'",
        "horizon=5..1": "--vary: horizon=5..1: range must have lo < hi",
        "arrangement=nowhere_lead": "unknown arrangement 'nowhere_lead'",
    }
    # through the installed console script: one line on stderr, exit 1, no traceback
    p = linkage("sweep", FLAGSHIP, "--vary", "foo.bar=1,2", "--out", out, timeout=120)
    assert p.returncode == 1 and p.stderr.strip().splitlines() == [
        cases["foo.bar=1,2"] + " (have: name, description, "
        "horizon, clock_start, city, agencies, stations, units, "
        "channels, arrangement, dispatch, work_orders, incident_types, incidents)"
    ], p.stderr
    for vary, message in cases.items():
        res = cli("sweep", FLAGSHIP, "--vary", vary, "--out", out)
        assert res.returncode == 1, res.stdout
        assert len(res.stderr.splitlines()) == 1 and message in res.stderr
        assert not out.exists()
    for spec in ("horizon=7200.0..14400", "horizon=7200..14400"):  # continuous; too many integers
        res = cli("sweep", FLAGSHIP, "--vary", spec, "--out", out)
        assert res.returncode == 1 and "lo..hi:k" in res.stderr and not out.exists()
    res = cli("sweep", FLAGSHIP, "--vary", STAFF, "--design", "sobol", "--samples", "100", "--out", out)
    assert res.returncode == 1 and "power of two" in res.stderr and not out.exists()


def test_resume_refuses_another_command(tmp_path: Path) -> None:
    out = tmp_path / "s"
    seen = []
    sweep(FLAGSHIP, [ENGINES], replications=2, seed=3, out=out, workers=1, progress=seen.append)
    assert (seen[-1].replications_done, seen[-1].points_done, seen[-1].points_failed) == (4, 2, 0)
    with pytest.raises(
        InputError, match=r"manifest.json: seed: --resume: the sweep in this folder has 3, the command gives 4"
    ):
        sweep(FLAGSHIP, [ENGINES], replications=2, seed=4, out=out, workers=1, resume=True, progress=False)
    with pytest.raises(InputError, match="already holds a sweep"):
        sweep(FLAGSHIP, [ENGINES], replications=2, seed=3, out=out, workers=1, progress=False)
    with pytest.raises(InputError, match="not a sweep folder"):
        sweep(FLAGSHIP, [ENGINES], replications=2, out=tmp_path / "empty", resume=True, progress=False)


@pytest.mark.slow
def test_analyze_a_grid_sweep(tmp_path: Path) -> None:
    out = tmp_path / "g"
    sweep(FLAGSHIP, [ENGINES, "agencies.property.decision=10,600"], replications=3, seed=2, out=out, workers=2,
          progress=False)
    res = cli("analyze", out, "--metric", "t_first_arrival", "--target", "<=400")
    assert res.returncode == 0, res.stderr
    folder = out / "analysis" / "t_first_arrival"
    tornado = pd.read_csv(folder / "tornado.csv")
    assert set(tornado["factor"]) == {"units.0.count", "agencies.property.decision"}
    reps = load_sweep(out)
    means = reps.groupby("point")["t_first_arrival"].mean()
    # points: (engines 1|3) × (decision 10|600), last factor fastest; baseline = first levels (point 0)
    row = tornado.set_index("factor").loc["units.0.count"]
    assert row["at_low"] == pytest.approx(means[0]) and row["at_high"] == pytest.approx(means[2])
    charts = list(folder.glob("tornado.*"))
    assert charts, list(folder.iterdir())
    text = charts[0].read_text()
    assert "cdn." not in text and "<script src" not in text
    bad = cli("analyze", out, "--metric", "nope")
    assert bad.returncode == 1 and "unknown metric 'nope'" in bad.stderr


def test_common_seeds_give_points_the_same_draws(tmp_path: Path) -> None:
    """The enterprise's decision delay plays no part in a residential fire: with common random numbers its
    two levels give identical replications; with independent point seeds they differ (only by noise)."""
    factor = ["agencies.enterprise.decision=60,120"]
    crn = sweep(FLAGSHIP, factor, replications=2, seed=4, out=tmp_path / "crn", workers=1, progress=False,
                common_seeds=True)
    ind = sweep(FLAGSHIP, factor, replications=2, seed=4, out=tmp_path / "ind", workers=1, progress=False)
    assert crn.sweep_id != ind.sweep_id

    def by_point(out: Path) -> list[pd.DataFrame]:
        df = load_sweep(out).drop(columns=["sweep", "agencies.enterprise.decision"])
        return [g.drop(columns="point").reset_index(drop=True) for _, g in df.groupby("point")]

    a, b = by_point(tmp_path / "crn")
    pd.testing.assert_frame_equal(a, b)
    a, b = by_point(tmp_path / "ind")
    assert (a["seed"] != b["seed"]).all() and not a["t_close"].equals(b["t_close"])
