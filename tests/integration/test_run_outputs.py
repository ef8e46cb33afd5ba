"""The must-show run: ``linkage run scenarios/library/high_rise_fire.yaml -n 200 --seed 7 --out DIR``.

It writes the output contract of DESIGN.md (replications / incidents / handoffs / tasks Parquet files and
summary.json with the contract's columns and keys), the same seed gives the same replications table bit
for bit, another seed does not, and through the Python API a replication's results do not depend on
which other replications ran in the same call (what makes split and parallel runs reproducible).
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scenarios.loader import scenario_hash
from simulation import load_scenario, run
from simulation.model.records import TASK_STAGES
from tests.helpers import FLAGSHIP, linkage

N = 200

REPLICATION_COLUMNS = ("replication", "seed", "arrangement", "t_detect", "t_report", "t_notify_lead", "t_dispatch",
                       "t_first_arrival", "t_control", "t_close", "handoff_gap_total", "handoff_gap_max",
                       "handoff_count", "ownerless_time", "casualties", "people_exposed", "peak_density")
NOT_METRICS = ("replication", "seed", "arrangement", "events_processed")
INCIDENT_COLUMNS = ("replication", "incident", "type", "grid", "t_start", "t_detect", "t_dispatch", "t_first_arrival",
                    "t_close", "queue_wait", "first_unit", "mutual_aid")
HANDOFF_COLUMNS = ("replication", "incident", "task", "from_agency", "to_agency", *TASK_STAGES, "gap")
FILES = ("replications.parquet", "incidents.parquet", "handoffs.parquet", "tasks.parquet", "workorders.parquet",
         "summary.json",
         ".linkage-output")  # the marker of a Linkage output folder (simulation.experiments.outputs.MARKER)


def linkage_run(out: Path, seed: int, n: int = N) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it (a subprocess)."""
    r = linkage("run", FLAGSHIP, "-n", str(n), "--seed", str(seed), "--out", out, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r


@pytest.fixture(scope="module")
def seed7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    linkage_run(out, 7)
    return out


@pytest.mark.slow
def test_run_writes_the_contract_files(seed7: Path) -> None:
    assert sorted(p.name for p in seed7.iterdir()) == sorted(FILES)  # nothing else (no temporary leftovers)
    reps = pq.read_table(seed7 / "replications.parquet")
    assert set(REPLICATION_COLUMNS) <= set(reps.column_names), set(REPLICATION_COLUMNS) - set(reps.column_names)
    assert reps.num_rows == N
    assert reps.column("replication").to_pylist() == list(range(N))
    assert reps.schema.field("replication").type == pa.int64() and reps.schema.field("seed").type == pa.int64()
    assert set(reps.column("arrangement").to_pylist()) == {"sectoral_lead"}
    assert len(set(reps.column("seed").to_pylist())) == N  # one randomness label per replication
    for m in reps.column_names:
        if m not in NOT_METRICS:
            assert pa.types.is_floating(reps.schema.field(m).type), m
    # The flagship is always detected, reported and reached; a fire has no crowd density: null, not 0.
    for m in ("t_detect", "t_report", "t_dispatch", "t_first_arrival", "casualties"):
        assert reps.column(m).null_count == 0, m
    assert reps.column("peak_density").null_count == N

    incs = pq.read_table(seed7 / "incidents.parquet")
    assert set(INCIDENT_COLUMNS) <= set(incs.column_names), set(INCIDENT_COLUMNS) - set(incs.column_names)
    assert incs.num_rows == N  # one incident per replication
    assert set(incs.column("type").to_pylist()) == {"high_rise_fire"}
    assert incs.schema.field("mutual_aid").type == pa.bool_()

    hand = pq.read_table(seed7 / "handoffs.parquet")
    assert set(HANDOFF_COLUMNS) <= set(hand.column_names), set(HANDOFF_COLUMNS) - set(hand.column_names)
    assert hand.num_rows > 0
    gaps = np.array(hand.column("gap").to_pylist(), dtype=float)
    assert np.all(gaps >= 0)
    assert pq.read_table(seed7 / "tasks.parquet").num_rows == N * 9  # nine tasks in the flagship's DAG


@pytest.mark.slow
def test_summary_json_describes_the_run(seed7: Path) -> None:
    summary = json.loads((seed7 / "summary.json").read_text(encoding="utf-8"))
    reps = pq.read_table(seed7 / "replications.parquet")
    assert summary["seed"] == 7 and summary["replications"] == N
    assert summary["scenario_hash"] == scenario_hash(load_scenario(FLAGSHIP))
    assert isinstance(summary["version"], str) and summary["version"]
    assert summary["events_processed"] == sum(reps.column("events_processed").to_pylist()) > 0
    assert summary["wall_seconds"] > 0
    metrics = [m for m in reps.column_names if m not in NOT_METRICS]
    assert sorted(summary["metrics"]) == sorted(metrics)
    for m in metrics:
        s = summary["metrics"][m]
        assert {"mean", "p50", "p90", "ci95"} <= set(s), m
        x = np.array([v for v in reps.column(m).to_pylist() if v is not None], dtype=float)
        if x.size == 0:
            assert s["mean"] is s["p50"] is s["p90"] is s["ci95"] is None, m
            continue
        assert math.isclose(s["mean"], x.mean(), rel_tol=1e-9, abs_tol=1e-9), m
        assert math.isclose(s["p50"], float(np.percentile(x, 50)), rel_tol=1e-9, abs_tol=1e-9), m
        assert math.isclose(s["p90"], float(np.percentile(x, 90)), rel_tol=1e-9, abs_tol=1e-9), m
        lo, hi = s["ci95"]
        assert lo <= s["mean"] <= hi, m


@pytest.mark.slow
def test_same_seed_same_tables_other_seed_differs(seed7: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    linkage_run(again, 7)
    for name in ("replications", "incidents", "handoffs", "tasks"):
        a, b = pq.read_table(seed7 / f"{name}.parquet"), pq.read_table(again / f"{name}.parquet")
        assert a.equals(b), name  # exact: same schema, same values bit for bit
    linkage_run(other, 8)
    a, c = pq.read_table(seed7 / "replications.parquet"), pq.read_table(other / "replications.parquet")
    assert a.schema == c.schema and a.num_rows == c.num_rows
    assert not a.equals(c)
    assert a.column("seed").to_pylist() != c.column("seed").to_pylist()
    assert a.column("t_detect").to_pylist() != c.column("t_detect").to_pylist()


def test_a_replication_does_not_depend_on_the_others_in_its_run() -> None:
    sc = load_scenario(FLAGSHIP)
    full = run(sc, 12, seed=7)
    parts = [run(sc, 5, seed=7, first_replication=7), run(sc, 2, seed=7, first_replication=5),
             run(sc, 5, seed=7, first_replication=0)]  # out of order on purpose
    single = run(sc, 1, seed=7, first_replication=9)
    for name in ("replications", "incidents", "handoffs", "tasks"):
        want = getattr(full, name).to_pylist()
        got = sorted((row for p in parts for row in getattr(p, name).to_pylist()), key=lambda r: r["replication"])
        # Rows of one replication keep their order; sorting is stable.
        assert got == want, name
        assert getattr(single, name).to_pylist() == [r for r in want if r["replication"] == 9], name
    reps = pa.concat_tables(
        [p.replications for p in sorted(parts, key=lambda p: p.replications["replication"][0].as_py())]
    )
    assert reps.equals(full.replications)
    assert sum(p.summary["events_processed"] for p in parts) == full.summary["events_processed"]


def test_run_output_folder_is_all_or_nothing(cli, tmp_path: Path) -> None:
    """A bad run writes nothing: the output folder does not appear."""
    out = tmp_path / "never"
    r = cli("run", FLAGSHIP, "-n", "0", "--out", out)
    assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.strip()
    assert not out.exists()
