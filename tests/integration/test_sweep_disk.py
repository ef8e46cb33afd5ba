"""A sweep stops before it fills its disk (磁盘空间), keeps what it finished, and resumes once there is room."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from scenarios.errors import InputError
from simulation.experiments.results import load_sweep
from simulation.experiments.sweep import sweep
from simulation.experiments.sweep_disk import DEFAULT_RESERVE, RESERVE_ENV, DiskBudget, reserve
from tests.helpers import FLAGSHIP, cli

ENGINES = "units.0.count=1,3"


def test_the_rest_is_projected_at_the_rate_written_so_far(tmp_path: Path) -> None:
    budget = DiskBudget(tmp_path, reserve=900_000)
    assert budget.shortfall(100, free=10) is None  # nothing written yet: no rate to project
    budget.wrote(10_000, 5)  # 2,000 bytes per replication
    assert budget.shortfall(50, free=1_000_000) is None  # 100,000 needed, 100,000 above the reserve
    why = budget.shortfall(51, free=1_000_000)  # 102,000 needed
    assert why is not None and "51 replications left" in why and "99.6 KB" in why and "2.0 KB per replication" in why
    assert budget.shortfall(10**6, free=10**10) is None
    assert budget.shortfall(0, free=0) is None  # nothing left to write
    assert DiskBudget(tmp_path, reserve=0, written=10**9, replications=1).shortfall(10**6, free=0) is None  # off


@pytest.mark.parametrize(("raw", "bytes_"), [("", DEFAULT_RESERVE), ("0", 0), ("1024", 1024), ("500M", 500 * 2**20),
                                              ("2g", 2 * 2**30), ("1.5 GiB", int(1.5 * 2**30)), ("3KB", 3 * 2**10)])
def test_the_reserve_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, bytes_: int) -> None:
    monkeypatch.setenv(RESERVE_ENV, raw)
    assert reserve() == bytes_


def test_a_bad_reserve_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    res = cli("sweep", FLAGSHIP, "--vary", ENGINES, "-n", "2", "--out", tmp_path / "s", env={RESERVE_ENV: "lots"})
    assert res.returncode == 1 and len(res.stderr.splitlines()) == 1, res.stderr
    assert RESERVE_ENV in res.stderr and "not a size" in res.stderr
    assert not (tmp_path / "s").exists()


def test_a_sweep_that_would_fill_its_disk_stops_keeps_its_parts_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "s"
    beyond = str(shutil.disk_usage(tmp_path).free + 2**40)  # a reserve no disk here can keep: the rest never fits
    res = cli("sweep", FLAGSHIP, "--vary", ENGINES, "-n", "4", "--batch", "2", "--workers", "1", "--seed", "3",
              "--out", out, env={RESERVE_ENV: beyond})
    lines = res.stderr.strip().splitlines()  # the progress line(s), then the one line that says why it stopped
    assert res.returncode == 1 and lines[-1].startswith("--out: out: the sweep stopped before its disk fills"), lines
    assert "replications left" in lines[-1] and "--resume" in lines[-1] and "Traceback" not in res.stderr
    kept = sorted(out.glob("checksums/sweep=*/point=*/part-*.json"))
    assert 1 <= len(kept) < 4  # the first finished task is kept, the sweep did not run to its end
    res = cli("sweep", FLAGSHIP, "--vary", ENGINES, "-n", "4", "--batch", "2", "--workers", "1", "--seed", "3",
              "--out", out, "--resume", env={RESERVE_ENV: "0"})
    assert res.returncode == 0, res.stderr
    whole = tmp_path / "whole"
    sweep(FLAGSHIP, [ENGINES], replications=4, batch=2, workers=1, seed=3, out=whole, progress=False)
    for table in ("replications", "incidents", "handoffs"):
        pd.testing.assert_frame_equal(load_sweep(out, table), load_sweep(whole, table), check_exact=True, obj=table)


def test_the_api_raises_the_same_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RESERVE_ENV, str(shutil.disk_usage(tmp_path).free + 2**40))
    with pytest.raises(InputError, match="the sweep stopped before its disk fills"):
        sweep(FLAGSHIP, [ENGINES], replications=2, workers=1, out=tmp_path / "s", progress=False)
