"""Errors of the file system and of flags that would fail late: one line, exit ≠ 0, nothing written
(issue 16, outputs and errors) — through the installed console script.

The read-only file system and the full disk are real: a tmpfs mounted read-only, or of a few kilobytes, in
a private mount namespace (``unshare -m``; the test is skipped where the kernel refuses one). A read-only
place is refused by the write probe *before* the work (its message names the probe's ``cannot be
written``); a disk that fills up during the write leaves neither the output nor a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import FLAGSHIP, ROOT, linkage, linkage_exe

ONE_SWEEP = ("--vary", "units.0.count=1,2", "-n", "1", "--workers", "1")


def one_line(p: subprocess.CompletedProcess | dict) -> str:
    code, out, err = (p["rc"], p["stdout"], p["stderr"]) if isinstance(p, dict) else (p.returncode, p.stdout, p.stderr)
    lines = err.strip().splitlines()
    assert code not in (0, None) and len(lines) == 1, (code, out, err)
    assert "Traceback" not in out + err
    return lines[0]


# -- a real read-only or full file system -----------------------------------------------------------------

NAMESPACE = """
import json, os, subprocess, sys
where, options, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
if options.startswith("bind-ro:"):  # the folder itself, made read-only in this namespace
    subprocess.run(["mount", "--bind", options[8:], where], check=True)
    subprocess.run(["mount", "-o", "remount,ro,bind", where], check=True)
else:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", where], check=True)
p = subprocess.run(argv, capture_output=True, text=True)
left = sorted(os.path.relpath(os.path.join(d, f), where) for d, ds, fs in os.walk(where) for f in ds + fs)
print(json.dumps({"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr, "left": left}))
"""


def on_tmpfs(where: Path, options: str, *args: str | Path) -> dict:
    """Run ``linkage ARGS`` with a tmpfs mounted at ``where`` (in a private mount namespace); its result
    and what the command left on that tmpfs."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed")
    where.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode().strip()}")
    cmd = ["unshare", "-m", "--propagation", "private", sys.executable, "-c", NAMESPACE, str(where), options,
           str(linkage_exe()), *(str(a) for a in args)]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


READ_ONLY_COMMANDS = {
    "run": ("run", FLAGSHIP, "-n", "1", "--out", "{}/out"),
    "compare": ("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "-n", "2", "--out", "{}/out"),
    "sweep": ("sweep", FLAGSHIP, *ONE_SWEEP, "--out", "{}/out"),
    "defect-loop": ("defect-loop", "--grids", "4", "--days", "2", "--out", "{}/out"),
    "graph": ("graph", FLAGSHIP, "--out", "{}/g.graphml"),
    "results --csv": ("results", "SELECT 1 AS one", "--root", ROOT / "tests", "--csv", "{}/q.csv"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(READ_ONLY_COMMANDS))
def test_a_read_only_file_system_is_refused_before_the_work(tmp_path: Path, name: str) -> None:
    where = tmp_path / "ro"
    args = [str(a).format(where) for a in READ_ONLY_COMMANDS[name]]
    res = on_tmpfs(where, "ro,size=1m", *args)
    line = one_line(res)
    assert "cannot be written: Read-only file system" in line, line  # the probe's words: before the work
    assert res["left"] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["run", "compare", "results --csv"])
def test_a_disk_that_fills_up_leaves_nothing(tmp_path: Path, name: str) -> None:
    """16 KiB: room for the probe and a folder, not for the Parquet files (a run's are ~60 KB)."""
    where = tmp_path / "full"
    args = [str(a).format(where) for a in READ_ONLY_COMMANDS[name]]
    if name == "results --csv":  # a CSV larger than the disk
        args = ["results", "SELECT range AS i, repeat('x', 100) AS pad FROM range(2000)", "--root",
                str(ROOT / "tests"), "--csv", f"{where}/q.csv"]
    res = on_tmpfs(where, "size=16k", *args)
    line = one_line(res)
    assert "No space left on device" in line, line
    assert res["left"] == []  # neither the output nor a temporary folder or file


# -- paths that cannot be written -------------------------------------------------------------------------


PATH_COMMANDS = {
    "run": ("run", FLAGSHIP, "-n", "1", "--out"),
    "compare": ("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "-n", "2", "--out"),
    "sweep": ("sweep", FLAGSHIP, *ONE_SWEEP, "--out"),
    "defect-loop": ("defect-loop", "--grids", "4", "--days", "2", "--out"),
    "graph": ("graph", FLAGSHIP, "--out"),
    "results --csv": ("results", "SELECT 1 AS one", "--root", ROOT / "tests", "--csv"),
}


@pytest.mark.parametrize("name", sorted(PATH_COMMANDS))
def test_an_output_under_a_file_is_one_line(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    target = tmp_path / "notes.txt" / ("g.graphml" if name == "graph" else "q.csv" if "csv" in name else "out")
    line = one_line(linkage(*PATH_COMMANDS[name], target, timeout=120))
    assert "is a file, not a folder" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_results_csv_to_a_folder_writes_no_stray_file(tmp_path: Path) -> None:
    """``--csv /tmp`` once moved a temporary file into ``/``: a folder given as the CSV is refused, and
    nothing appears beside it or in it."""
    folder = tmp_path / "exports"
    folder.mkdir()
    line = one_line(linkage("results", "SELECT 1 AS one", "--root", ROOT / "tests", "--csv", folder))
    assert "--csv" in line and "is a folder" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"] and list(folder.iterdir()) == []


def test_graph_to_an_existing_folder_is_refused_and_the_folder_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "city.graphml"
    folder.mkdir()
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    line = one_line(linkage("graph", FLAGSHIP, "--out", folder))
    assert "is a folder" in line and "wrote" not in line
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    ok = linkage("graph", FLAGSHIP, "--out", tmp_path / "city2.graphml")
    assert ok.returncode == 0 and f"wrote {tmp_path / 'city2.graphml'}" in ok.stdout
    assert (tmp_path / "city2.graphml").read_text(encoding="utf-8").startswith("<?xml")


def test_compare_refuses_an_unknown_metric_before_the_comparison(tmp_path: Path) -> None:
    """A million replications per arm would take hours: the refusal comes from the one-replication probe,
    before any of them (the subprocess's timeout fails the test otherwise); --allow-large, since the size check
    would refuse the million first."""
    line = one_line(linkage("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "-n", "1000000",
                            "-m", "t_close", "-m", "t_clsoe", "--allow-large", "--out", tmp_path / "out",
                            timeout=120))
    assert line.startswith("-m: unknown metric(s): t_clsoe (have: ") and "t_close" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_a_seed_beyond_64_bits_is_one_line(tmp_path: Path, command: str) -> None:
    args = (("sweep", FLAGSHIP, *ONE_SWEEP, "--common-seeds") if command == "sweep" else ("run", FLAGSHIP, "-n", "1"))
    line = one_line(linkage(*args, "--seed", str(2**70), "--out", tmp_path / "out"))
    assert line == f"--seed: seed: must be at most 2**63 - 1 = {2**63 - 1} (got {2**70})"
    assert list(tmp_path.iterdir()) == []
    ok = linkage(*args, "--seed", str(2**63 - 1), "--out", tmp_path / "out")  # the largest is fine
    assert ok.returncode == 0, ok.stderr


# -- what a killed writer leaves --------------------------------------------------------------------------

WRITER = """
import sys, time
from simulation.experiments.outputs import output_folder
with output_folder(sys.argv[1], "run") as tmp:
    (tmp / "half.parquet").write_bytes(b"PAR1")
    print(tmp, flush=True)
    time.sleep(600)
"""


def writer(out: Path) -> tuple[subprocess.Popen, Path]:
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return p, Path(p.stdout.readline().strip())


def test_a_killed_writers_temporary_folder_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    killed, killed_tmp = writer(out)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed_tmp.is_dir()  # SIGKILL: no cleanup ran
    live, live_tmp = writer(out)
    try:
        time.sleep(0.1)
        done = linkage("run", FLAGSHIP, "-n", "1", "--out", out)
        assert done.returncode == 0, done.stderr
        assert not killed_tmp.exists()  # its lock was free: its writer is gone
        assert live_tmp.is_dir() and (live_tmp / "half.parquet").is_file()  # held by a live writer: kept
    finally:
        live.kill()
        live.wait(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != live_tmp.name) == ["out"]


@pytest.mark.slow
def test_resuming_a_sweep_in_a_folder_made_read_only_is_refused_before_the_work(tmp_path: Path) -> None:
    out = tmp_path / "s"
    made = linkage("sweep", FLAGSHIP, *ONE_SWEEP, "--out", out)
    assert made.returncode == 0, made.stderr
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    res = on_tmpfs(out, f"bind-ro:{out}", "sweep", FLAGSHIP, *ONE_SWEEP, "--out", out, "--resume")
    line = one_line(res)
    assert "cannot be written: Read-only file system" in line, line
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
