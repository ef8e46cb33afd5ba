"""The one output-folder writer (simulation.experiments.outputs.output_folder), through real commands.

- A failure half-way through writing leaves the previous folder as it was (same files, same bytes) — or
  no folder when there was none — never a mix of old and new files, never a stray ``.<name>.tmp-`` folder.
  The failures are real: a table Parquet cannot store, a summary JSON cannot encode.
- An earlier command's output folder (a ``compare`` folder with comparison.parquet) is replaced whole by
  ``linkage run --out``: no stale file remains.
- A non-empty folder Linkage did not write is refused in one line naming ``--out``, exit 1, untouched.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from scenarios.errors import InputError
from simulation.experiments import MARKER, RUN_TABLES, folder_swap
from simulation.experiments.api import run, sweep
from tests.helpers import FLAGSHIP, cli

RUN_FILES = {*(f"{name}.parquet" for name in RUN_TABLES), "summary.json", MARKER}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def strays(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def unwritable_table(result) -> None:  # noqa: ANN001 - RunResult
    """A tasks table Parquet cannot store (an interval type has no Parquet equivalent): written third of four."""
    result.tasks = pa.table({"x": pa.array([None], pa.month_day_nano_interval())})


def unencodable_summary(result) -> None:  # noqa: ANN001
    """A summary JSON cannot encode: every Parquet file is already written when it fails."""
    result.summary["oops"] = object()


@pytest.mark.parametrize("break_it", [unwritable_table, unencodable_summary], ids=["table", "summary"])
def test_a_failure_half_way_leaves_the_previous_folder_intact(tmp_path: Path, break_it) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    first = cli("run", FLAGSHIP, "-n", "2", "--seed", "1", "--out", out)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert set(before) == RUN_FILES

    result = run(FLAGSHIP, 3, seed=2)  # other results: any file of them in `out` would show
    break_it(result)
    with pytest.raises((pa.ArrowException, TypeError)):
        result.write(out)
    assert snapshot(out) == before  # same files, same bytes: nothing of the failed write
    assert strays(tmp_path) == []


@pytest.mark.parametrize("break_it", [unwritable_table, unencodable_summary], ids=["table", "summary"])
def test_a_failure_with_no_previous_folder_leaves_no_folder(tmp_path: Path, break_it) -> None:  # noqa: ANN001
    result = run(FLAGSHIP, 2, seed=3)
    break_it(result)
    with pytest.raises((pa.ArrowException, TypeError)):
        result.write(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "rename-aside"])
def test_run_replaces_a_compare_folder_whole(tmp_path: Path, exchange: bool, monkeypatch) -> None:  # noqa: ANN001
    if not exchange:  # the fallback where the OS offers no atomic exchange
        monkeypatch.setattr(folder_swap, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    r = cli("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "-n", "2", "--out", out)
    assert r.returncode == 0, r.stderr
    assert {"comparison.parquet", "attribution.parquet", MARKER} <= set(snapshot(out))
    r = cli("run", FLAGSHIP, "-n", "2", "--seed", "4", "--out", out)
    assert r.returncode == 0, r.stderr
    assert set(snapshot(out)) == RUN_FILES  # no stale comparison/attribution of the earlier command
    assert '"command": "run"' in (out / MARKER).read_text(encoding="utf-8")
    assert strays(tmp_path) == []


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    r = cli("run", FLAGSHIP, "-n", "2", "--out", out)
    assert r.returncode == 0, r.stderr
    assert set(snapshot(out)) == RUN_FILES


def test_a_folder_linkage_did_not_write_is_refused_untouched(tmp_path: Path) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("years of work\n", encoding="utf-8")
    (out / "data").mkdir()
    (out / "data" / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    before = snapshot(out)
    for args in (("run", FLAGSHIP, "-n", "2"),
                 ("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "-n", "2"),
                 ("defect-loop", "--grids", "10", "--days", "2"),
                 ("sweep", FLAGSHIP, "--vary", "units.0.count=1,2", "-n", "1", "--workers", "1")):
        r = cli(*args, "--out", out)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "--out" in lines[0] and "Linkage did not write" in lines[0], (args, r.stderr)
        assert "Traceback" not in r.stdout + r.stderr
        assert snapshot(out) == before
        assert strays(tmp_path) == []
    with pytest.raises(InputError) as e:  # the library: the parameter, not the flag
        sweep(FLAGSHIP, ["units.0.count=1,2"], replications=1, out=out, workers=1, progress=False)
    assert e.value.problems[0].path == "out" and "--out" not in str(e.value)
    assert snapshot(out) == before
