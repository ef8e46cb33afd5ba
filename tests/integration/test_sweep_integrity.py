"""A sweep's archive never mixes, loses or silently miscounts results (issue 16, sweep archive).

- An arrangement file edited between a kill and ``--resume`` is refused (the manifest holds the SHA-256 of
  every input file), and nothing more is written.
- A truncated, zero-byte or missing part — a missing incidents part included — and parts a killed writer
  left without their checksum record are found: ``results`` and ``analyze`` refuse a damaged part in one
  line, ``--resume`` runs exactly those tasks again, and the sweep then equals the undamaged one.
- The same sweep twice under one ``--root`` is reported (its rows would count twice).
- A local worker process killed with SIGKILL: its tasks run again on new workers, the sweep exits 0 with no
  ``BrokenProcessPool`` traceback, and every table equals an uninterrupted sweep's.
- Ctrl-C (SIGINT to the process group, as a terminal sends it): exit 130, a resume hint (the command to
  type), no traceback, no orphan workers; the hint completes the sweep. Off a terminal, progress comes as
  plain lines.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from scenarios.errors import InputError
from simulation.experiments.outputs import SWEEP_TABLES
from simulation.experiments.results import find_sweeps, load_sweep, query
from simulation.experiments.sweep import sweep
from tests.helpers import FLAGSHIP, ROOT, cli, linkage, linkage_exe

ENGINES = "units.0.count=1,3"
STAFF = "agencies.street_S3.desk.staff=1..3"


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: load_sweep(out, t) for t in SWEEP_TABLES}


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        assert len(a[name]) > 0, name
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def records(out: Path) -> list[Path]:
    """Finished tasks: a task is done when its checksum record is written (after its parts)."""
    return sorted(out.glob("checksums/sweep=*/point=*/part-*.json"))


def one_line(p: subprocess.CompletedProcess) -> str:
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 1 and len(lines) == 1, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stdout + p.stderr
    return lines[0]


def small_sweep(out: Path, **kw: object) -> object:
    """2 points × 2 replications in tasks of 1 (4 tasks), on threads (quick; results do not depend on the executor)."""
    with cf.ThreadPoolExecutor(1) as ex:
        return sweep(FLAGSHIP, [ENGINES], replications=2, batch=1, seed=7, out=out, executor=ex, progress=False,
                     **kw)


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([str(linkage_exe()), *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def wait_for_records(proc: subprocess.Popen, out: Path, n: int = 1, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while len(records(out)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no task finished in time"
        time.sleep(0.01)


def processes() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, process group, state) of every process, from /proc."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[int(stat.parent.name)] = (int(fields[1]), int(fields[2]), fields[0])
    return out


def alive_in_group(pgid: int) -> list[int]:
    return [pid for pid, (_, group, state) in processes().items() if group == pgid and state != "Z"]


def stop_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


# -- an input edited between kill and resume --------------------------------------------------------------


@pytest.mark.slow
def test_an_arrangement_edited_between_kill_and_resume_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "our_grid.yaml"
    shutil.copy(ROOT / "agencies" / "arrangements" / "integrated_grid.yaml", mine)
    out = tmp_path / "s"
    args = ["sweep", str(FLAGSHIP), "--vary", f"arrangement=sectoral_lead,{mine}", "--vary", ENGINES, "-n", "8",
            "--batch", "2", "--workers", "1", "--out", str(out)]
    proc = start(args)
    try:
        wait_for_records(proc, out)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        stop_group(proc)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert str(mine.resolve()) in manifest["provenance"]["inputs"]  # the arrangement file's hash is on record
    done = len(records(out))
    assert 1 <= done < 4 * 4

    text = mine.read_text(encoding="utf-8")
    assert "escalation_decision: 300" in text
    mine.write_text(text.replace("escalation_decision: 300", "escalation_decision: 30"), encoding="utf-8")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    line = one_line(linkage(*args, "--resume"))
    assert "--resume refused" in line and str(mine.resolve()) in line and "changed" in line
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # nothing run, nothing written

    mine.write_text(text, encoding="utf-8")  # the file as it was: the sweep completes
    again = linkage(*args, "--resume")
    assert again.returncode == 0, again.stderr
    assert len(records(out)) == 4 * 4


# -- damaged parts ----------------------------------------------------------------------------------------


def truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def zero_bytes(p: Path) -> None:
    p.write_bytes(b"")


def remove(p: Path) -> None:
    p.unlink()


def flip_a_byte(p: Path) -> None:
    """Same size, other content (a disk or a copy that went wrong): only the checksum can tell."""
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


DAMAGE = {
    "truncated-replications": ("replications", truncate),
    "zero-byte-handoffs": ("handoffs", zero_bytes),
    "missing-incidents": ("incidents", remove),
    "missing-workorders": ("workorders", remove),
    "flipped-byte-incidents": ("incidents", flip_a_byte),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_part_is_refused_by_results_and_run_again_on_resume(tmp_path: Path, case: str) -> None:
    table, damage = DAMAGE[case]
    whole, out = tmp_path / "whole", tmp_path / "runs" / "s"
    small_sweep(whole)
    shutil.copytree(whole, out)
    reference = tables(whole)
    part = next(out.glob(f"{table}/sweep=*/point=1/part-1.parquet"))
    damage(part)

    for args in (("results", "SELECT count(*) AS n FROM replications", "--root", out.parent),
                 ("analyze", out, "--metric", "t_first_arrival")):
        line = one_line(cli(*args))
        assert str(part) in line and "--resume" in line, line
    assert not (out / "analysis").exists()

    res = small_sweep(out, resume=True)
    assert res.tasks_run == 1 and res.tasks_skipped == 3
    assert list(res.repaired) == [(1, 1)]
    assert_same(tables(out), reference)
    ok = cli("results", "SELECT count(*) AS n FROM incidents", "--root", out.parent)
    assert ok.returncode == 0, ok.stderr


def test_parts_without_their_record_are_not_counted_and_are_run_again(tmp_path: Path) -> None:
    """A writer killed after a task's parts but before its record: the task is not done (its parts are not
    read) — found on resume and run again."""
    out = tmp_path / "s"
    small_sweep(out)
    reference = tables(out)
    record = next(out.glob("checksums/sweep=*/point=0/part-0.json"))
    record.unlink()
    reps = load_sweep(out)
    assert len(reps) == 3 and not ((reps["point"] == 0) & (reps["replication"] == 0)).any()
    shown = cli("results", "SELECT count(*) AS n FROM replications", "--root", tmp_path)
    assert shown.returncode == 0 and "incomplete — 3 of 4 tasks finished" in " ".join(shown.stderr.split())

    res = small_sweep(out, resume=True)
    assert res.tasks_run == 1 and list(res.repaired) == [(0, 0)]
    assert_same(tables(out), reference)


def test_a_duplicated_sweep_folder_is_reported(tmp_path: Path) -> None:
    a = tmp_path / "root" / "a"
    small_sweep(a)
    shutil.copytree(a, tmp_path / "root" / "backup" / "a")
    line = one_line(cli("results", "SELECT count(*) AS n FROM replications", "--root", tmp_path / "root"))
    assert "there twice" in line and str(a) in line and str(tmp_path / "root" / "backup" / "a") in line
    with pytest.raises(InputError, match="count twice"):
        query("SELECT 1", tmp_path / "root")
    single = cli("results", "SELECT count(*) AS n FROM replications", "--root", a)
    assert single.returncode == 0 and "4" in single.stdout  # 2 points × 2 replications, once
    assert [s.sweep_id for s in find_sweeps(tmp_path / "root" / "backup")] == [s.sweep_id for s in find_sweeps(a)]


def test_results_refuse_a_sweep_of_the_earlier_format(tmp_path: Path) -> None:
    """Format 1 had no checksums: its parts cannot be checked, so they are not read as if they were."""
    out = tmp_path / "s"
    small_sweep(out)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    m["format"] = 1
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    line = one_line(cli("results", "SELECT 1", "--root", tmp_path))
    assert "format" in line and "run the sweep again" in line


def test_workorders_are_a_part_of_every_task(tmp_path: Path) -> None:
    """The doctrine model's work orders (派单/退单) are kept per task like the other tables and are queryable."""
    out = tmp_path / "s"
    small_sweep(out)
    assert len(list(out.glob("workorders/sweep=*/point=*/part-*.parquet"))) == 4
    orders = load_sweep(out, "workorders")
    assert len(orders) > 0 and {"order_no", "dispatcher", "to_agency", "outcome"} <= set(orders.columns)
    n = query("SELECT count(*) AS n FROM workorders", tmp_path)["n"][0]
    assert n == len(orders)


# -- lost workers, Ctrl-C, progress -----------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_the_result_equals_an_uninterrupted_sweep(tmp_path: Path) -> None:
    out, whole = tmp_path / "killed", tmp_path / "whole"
    args = ["sweep", str(FLAGSHIP), "--vary", STAFF, "--vary", ENGINES, "-n", "8", "--batch", "2", "--seed", "11",
            "--workers", "2"]
    proc = start([*args, "--out", str(out)])
    try:
        wait_for_records(proc, out)
        procs = processes()
        children = {pid for pid, (ppid, _, _) in procs.items() if ppid == proc.pid}
        workers = sorted(pid for pid, (ppid, _, state) in procs.items() if ppid in children and state != "Z")
        assert workers, "no worker process found under the sweep"  # the forkserver's children: the pool's workers
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        stop_group(proc)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenProcessPool" not in stderr
    assert "a worker process was lost" in stderr and "worker processes lost 1 time(s)" in stderr
    assert len(records(out)) == 6 * 4

    sweep(FLAGSHIP, [STAFF, ENGINES], replications=8, batch=2, seed=11, out=whole, workers=1, progress=False)
    result = tables(out)
    reps = result["replications"]
    assert len(reps) == 6 * 8 and not reps.duplicated(["point", "replication"]).any()
    assert_same(result, tables(whole))


@pytest.mark.slow
def test_ctrl_c_gives_a_resume_hint_that_completes_the_sweep(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = ["sweep", str(FLAGSHIP), "--vary", STAFF, "-n", "8", "--batch", "2", "--workers", "2", "--out", str(out)]
    proc = start(args)
    try:
        wait_for_records(proc, out)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground group on Ctrl-C
        stdout, stderr = proc.communicate(timeout=60)
        deadline = time.monotonic() + 30
        while alive_in_group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive_in_group(proc.pid), "workers left running after Ctrl-C"
    finally:
        stop_group(proc)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "sweep: 0/24 replications (0 %)" in stderr  # progress as lines: stderr is not a terminal
    hint = next(line for line in stderr.splitlines() if line.startswith("interrupted"))
    assert "已中断" in stderr
    command = shlex.split(hint.split("to complete the sweep run: ", 1)[1])
    assert command[0] == "linkage" and command[-1] == "--resume" and str(out) in command
    done = len(records(out))
    assert done < 3 * 4

    again = linkage(*command[1:])
    assert again.returncode == 0, again.stderr
    assert f"{3 * 4 - done} tasks run, {done} already done" in " ".join(again.stdout.split())
    assert "sweep: 24/24 replications (100 %)" in again.stderr


def test_a_second_writer_on_one_sweep_folder_is_refused(tmp_path: Path) -> None:
    """Two resumes of one folder at once would write the same parts twice: the second is refused."""
    import fcntl

    out = tmp_path / "s"
    small_sweep(out)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running sweep holds it
        with pytest.raises(InputError, match="another sweep is writing"):
            small_sweep(out, resume=True)
    finally:
        os.close(fd)
    assert small_sweep(out, resume=True).tasks_run == 0


def test_a_manifest_json_that_is_not_a_sweeps_is_ignored(tmp_path: Path) -> None:
    """Only Linkage's output folders count as sweeps: another program's manifest.json under --root neither
    stops the query nor adds rows."""
    small_sweep(tmp_path / "root" / "s")
    web = tmp_path / "root" / "webapp"
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "my pwa", "start_url": "/"}', encoding="utf-8")
    r = cli("results", "SELECT count(*) AS n FROM replications", "--root", tmp_path / "root")
    assert r.returncode == 0, r.stderr
    assert query("SELECT count(*) AS n FROM replications", tmp_path / "root")["n"][0] == 4
