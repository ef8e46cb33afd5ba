"""Batch parameter sweeps (参数扫描): a design's points × replications, run on any executor, written as
resumable, hive-partitioned Parquet (the folder's layout: :mod:`simulation.experiments.sweep_archive`).

One code path: the parent cuts the work into tasks — (point, first replication, count) — and submits
them to a ``concurrent.futures``-style executor: a local process pool by default, a Dask cluster's
``client.get_executor()`` when a scheduler address is given, or any executor passed in. Each task's
result comes back to the parent, which writes it at once as its own Parquet part. Point ``k`` runs with
seed ``point_seed(seed, k)`` and replication ``r`` of a point draws from streams keyed by (that seed, r):
results do not depend on the executor, the number of workers or the batch size.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from scenarios import limits
from scenarios.errors import InputError, Problem
from scenarios.loader import load_scenario, scenario_hash
from scenarios.schema import Scenario
from simulation.experiments.api import (
    ScenarioLike,
    at_least,
    bad_parameter,
    document,
    non_negative_seed,
    source_name,
    validate_document,
)
from simulation.experiments.designs import (
    Design,
    Factor,
    make_design,
    parse_factors,
    path_problems,
    point_seed,
    point_sets,
)
from simulation.experiments.sweep_archive import (
    DEFAULT_BATCH,
    FORMAT,
    MANIFEST,
    TABLES,
    SweepResult,
    SweepStatus,
    _check_resume,
    _drop_point,
    _points_table,
    _record_failure,
    new_folder,
    read_manifest,
    reopen_folder,
    repair_list,
    write_task,
)
from simulation.experiments.sweep_disk import DiskBudget
from simulation.experiments.sweep_disk import reserve as disk_reserve
from simulation.experiments.sweep_integrity import drop_task, input_files, lock_folder, provenance, scan_parts
from simulation.experiments.sweep_pool import Pool, Progress, watch_parent

LOSSES_IN_A_ROW = 3
"""Worker losses with no task finished in between after which a sweep stops (a task that kills its worker
each time — out of memory — would otherwise be retried for ever)."""

__all__ = ["MANIFEST", "SweepResult", "SweepStatus", "Task", "evaluate", "read_manifest", "sweep", "validate",
           "watch_parent"]


@dataclass(frozen=True)
class Task:
    point: int
    first: int
    count: int
    run_seed: int
    arrangement: str | None
    sets: tuple[str, ...]
    allow_large: bool = False
    """The sweep's ``allow_large``: a point's scenario is validated in the worker under the same limits."""


@dataclass
class Outcome:
    task: Task
    tables: dict[str, pa.Table] | None
    error: str | None
    wall: float


# -- worker side ------------------------------------------------------------------------------------------


def validate(
    doc: dict, scenario_path: str | Path, arrangement: str | None = None, sets: Sequence[str] = (),
    allow_large: bool = False,
) -> Scenario:
    """The scenario of a merged document plus ``--set`` expressions, without reading YAML again."""
    try:
        return validate_document(doc, str(scenario_path), sets, allow_large)
    except InputError:
        if Path(scenario_path).is_file():
            # Slow path, only for invalid input: the loader turns the error into FILE:LINE: path lines.
            load_scenario(scenario_path, arrangement, sets, allow_large=allow_large)
        raise


def evaluate(task: Task, doc: dict, scenario_path: str) -> Outcome:
    """Run one task (in a worker). Bad input of the point → an Outcome with its error; bugs raise."""
    from simulation.experiments.api import prepare
    from simulation.experiments.runner import run

    t0 = time.perf_counter()
    try:
        sc, world = prepare(validate(doc, scenario_path, task.arrangement, task.sets, task.allow_large),
                            source=scenario_path)
        res = run(sc, task.count, task.run_seed, world=world, first_replication=task.first)
    except InputError as e:
        return Outcome(task, None, str(e), time.perf_counter() - t0)
    tables = {name: getattr(res, name) for name in TABLES}
    return Outcome(task, tables, None, time.perf_counter() - t0)


# -- the sweep --------------------------------------------------------------------------------------------


def _documents(scenario: ScenarioLike, design: Design) -> tuple[dict[str | None, dict], list[str]]:
    """The merged scenario document once per arrangement value (YAML is read only here, in the parent),
    and every file they were read from (scenario, ``extends`` chain, arrangement files)."""
    from scenarios.loader import find_arrangement, read_document
    from scenarios.yamlsrc import to_plain

    arr = next((f for f in design.factors if f.is_arrangement), None)
    names: Sequence[str | None] = list(arr.values) if arr is not None else [None]
    docs, files = {}, set()
    for a in names:
        try:
            if isinstance(scenario, Scenario):
                docs[a] = document(scenario, a)
                found = find_arrangement(a) if a is not None else None
                files |= {str(found.resolve())} if found is not None else set()
            else:
                raw = read_document(scenario, a)
                files |= set(input_files(raw))
                docs[a] = to_plain(raw)
        except InputError as e:  # an unknown arrangement value is a --vary mistake
            raise InputError([Problem("--vary", p.line, p.path, p.message) if p.file == "--arrangement" else p
                              for p in e.problems]) from None
    return docs, sorted(files)


def _check_paths(scenario_path: str, factors: list[Factor], docs: dict[str | None, dict],
                 allow_large: bool = False) -> None:
    """Refuse a --vary path the scenario does not have (the loader's --set message), before anything runs."""
    arrangement, doc = next(iter(docs.items()))
    for f in factors:
        if f.is_arrangement:
            continue
        expr = f"{f.path}={json.dumps(f.values[0] if not f.is_range else f.low)}"
        try:
            validate(doc, scenario_path, arrangement, [expr], allow_large)
            continue
        except InputError as e:
            problems = e.problems
        bad = path_problems(problems, f)
        if bad:
            raise InputError(bad) from None


def sweep(scenario: ScenarioLike, factors: Sequence[str | Factor], design: str = "grid",
          samples: int | None = None, replications: int = 10, seed: int = 0, out: str | Path = "sweep",
          workers: int | None = None, scheduler: str | None = None, resume: bool = False, batch: int | None = None,
          progress: bool | Callable[[SweepStatus], None] | None = None, executor: cf.Executor | None = None,
          common_seeds: bool = False, allow_large: bool = False) -> SweepResult:
    """Run every point of a design ``replications`` times and write the results under ``out``.

    ``scenario`` is a file path or a loaded scenario. ``progress``: None shows a rich bar when stderr is a
    terminal, True/False force it, a callable gets a :class:`SweepStatus` after each task. ``common_seeds``:
    every point runs with the sweep seed itself (common random numbers: replication r of every point sees
    the same draws where behaviour agrees, so differences between points are the factors', not noise); by
    default point k runs with ``point_seed(seed, k)``, independent across points. Bad input raises
    :class:`InputError` (naming the parameter) before anything is written — a sweep too large to run
    (points × replications × incidents, :func:`scenarios.limits.sweep_size`) too, unless ``allow_large``.
    """
    from simulation.experiments.outputs import check_out, package_version, probe_write

    t0 = time.perf_counter()
    out = Path(out)
    at_least("sweep", "replications", replications, 1)
    non_negative_seed("sweep", seed)
    at_least("sweep", "workers", workers, 1)
    at_least("sweep", "batch", batch, 1)
    keep_free = disk_reserve()  # a bad LINKAGE_DISK_RESERVE is refused before anything is written
    if out.exists() and not out.is_dir():
        raise bad_parameter("sweep", "out", f"'{out}' exists and is not a folder")
    old = read_manifest(out) if resume else None
    if old is not None:
        probe_write(out / MANIFEST, "sweep", "out")  # a sweep folder made read-only since: before the work
    if not resume:
        if (out / MANIFEST).exists():
            raise bad_parameter("sweep", "out", f"'{out}' already holds a sweep; resume it or choose another folder")
        check_out(out, "sweep")
    if batch is None:
        batch = (
            old["batch"] if old is not None and isinstance(old.get("batch"), int) else min(replications, DEFAULT_BATCH)
        )

    facs = parse_factors(factors)
    des = make_design(facs, design, samples, seed)
    docs, files = _documents(scenario, des)
    source = source_name(scenario)
    if None in docs:
        base = validate(docs[None], source, allow_large=allow_large)
    else:
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, allow_large=allow_large)
    _check_paths(source, facs, docs, allow_large)
    too_big = None if limits.allow_large(allow_large) else limits.sweep_size(base, len(des.points), replications,
                                                                             batch)
    if too_big is not None:
        raise bad_parameter("sweep", *too_big)
    seeds = [seed if common_seeds else point_seed(seed, k) for k in range(len(des.points))]
    identity = {
        "scenario_hash": scenario_hash(base),
        "factors": [f.expr for f in facs],
        "design": des.kind,
        "samples": des.samples,
        "seed": seed,
        "common_seeds": common_seeds,
        "replications": replications,
        "batch": batch,
        "version": package_version(),
    }
    sweep_id = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    manifest = {"format": FORMAT, "sweep": sweep_id, "scenario": source, **identity,
                "factor_specs": [f.describe() for f in facs], "calc_second_order": des.calc_second_order,
                "points": [{"point": k, "run_seed": s, "values": p} for k, (s, p) in enumerate(zip(seeds, des.points))],
                "provenance": provenance(docs, files), "created": datetime.now(UTC).isoformat(timespec="seconds")}
    if old is not None:
        _check_resume(old, manifest, out)
    n_workers = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    with Pool(n_workers, scheduler, executor) as pool:  # an unreachable scheduler fails before any write
        points = _points_table(des, seeds)
        if old is None:
            new_folder(out, manifest, points)
        lock = lock_folder(out)
        if lock is None:
            raise bad_parameter("sweep", "out", f"another sweep is writing in '{out}' (wait for it, or stop it)")
        try:
            if old is not None:
                reopen_folder(out, sweep_id, points)
            result = _resume_and_run(out, sweep_id, des, seeds, replications, batch, docs, source, pool, progress,
                                     allow_large, DiskBudget(out, keep_free))
        finally:
            os.close(lock)
    result.wall_seconds = time.perf_counter() - t0
    return result


def _resume_and_run(out: Path, sweep_id: str, des: Design, seeds: list[int], replications: int, batch: int,
                    docs: dict, scenario_path: str, pool: Pool,
                    progress: bool | Callable[[SweepStatus], None] | None, allow_large: bool,
                    budget: DiskBudget) -> SweepResult:
    """List what is done (verified parts, recorded failures), then run only the missing tasks — and again
    any task whose parts are damaged, truncated or missing, or were never recorded as complete."""
    for tmp in out.rglob(".*.tmp"):  # left by a killed run (this process holds the folder's lock)
        tmp.unlink(missing_ok=True)

    failed = {int(p.stem.split("=", 1)[1]): json.loads(p.read_text(encoding="utf-8"))["error"]
              for p in (out / "errors").glob("point=*.json")}
    for k in failed:
        _drop_point(out, sweep_id, k)
    state = scan_parts(out, sweep_id)
    repair = repair_list(state)
    for k, first in repair:
        drop_task(out, sweep_id, k, first)
    tasks_all = [(k, first) for k in range(len(des.points)) for first in range(0, replications, batch)]
    todo = [Task(k, first, min(batch, replications - first), seeds[k], *point_sets(des.points[k]), allow_large)
            for k, first in tasks_all if (k, first) not in state.done and k not in failed]
    result = SweepResult(out, sweep_id, len(des.points), replications, len(tasks_all), 0,
                         len(tasks_all) - len(todo), dict(failed), repaired=repair)
    left = {k: 0 for k in range(len(des.points))}
    for t in todo:
        left[t.point] += 1
    status = SweepStatus(replications * len(des.points) - sum(t.count for t in todo), replications * len(des.points),
                         sum(1 for k, n in left.items() if n == 0 and k not in failed), len(failed), len(des.points))
    with Progress(progress, status) as shown:
        for (k, first), why in sorted(repair.items()):
            shown.note(f"point {k}, replications from {first}: run again — {why}")
        _run_tasks(todo, docs, scenario_path, out, sweep_id, des, pool, shown, left, result, budget)
    return result


def _run_tasks(todo: list[Task], docs: dict, scenario_path: str, out: Path, sweep_id: str, des: Design, pool: Pool,
               shown: Progress, left: dict[int, int], result: SweepResult, budget: DiskBudget) -> None:
    """Submit the tasks; write each result as it comes; on a lost local worker, run the unfinished tasks
    again on a new pool (at most :data:`LOSSES_IN_A_ROW` losses with nothing finished in between)."""
    path_s = str(Path(scenario_path).resolve()) if Path(scenario_path).is_file() else scenario_path
    shared = {k: pool.share(doc) for k, doc in docs.items()}
    in_a_row = 0
    while todo:
        lost = _one_round(todo, shared, path_s, out, sweep_id, des, pool, shown, left, result, budget)
        in_a_row = in_a_row + 1 if len(lost) == len(todo) else 1 if lost else 0
        todo = lost
        if not lost:
            break
        result.workers_lost += 1
        if not pool.renewable or in_a_row >= LOSSES_IN_A_ROW:
            why = "the executor cannot be renewed" if not pool.renewable else f"{in_a_row} times in a row"
            raise bad_parameter("sweep", "workers", f"a worker process was lost ({why}; killed, or out of memory?); "
                                f"{len(lost)} tasks left — the finished ones are kept: resume with fewer --workers "
                                "or a smaller --batch")
        shown.note(f"a worker process was lost (killed, or out of memory?); running its {len(lost)} unfinished "
                   "tasks again on new workers")
        pool.renew()
        shared = {k: pool.share(doc) for k, doc in docs.items()}


def _one_round(todo: list[Task], shared: dict, path_s: str, out: Path, sweep_id: str, des: Design, pool: Pool,
               shown: Progress, left: dict[int, int], result: SweepResult, budget: DiskBudget) -> list[Task]:
    """Run ``todo`` on the current pool; the tasks lost with a broken pool are returned."""
    status = shown.status
    futures: dict[cf.Future, Task] = {pool.executor.submit(evaluate, t, shared[t.arrangement], path_s): t
                                      for t in todo}
    by_point: dict[int, list[cf.Future]] = {}
    for fut, t in futures.items():
        by_point.setdefault(t.point, []).append(fut)
    lost = []
    try:
        for fut in cf.as_completed(futures):
            t = futures[fut]
            if not fut.cancelled():
                try:
                    outcome: Outcome | None = fut.result()  # a genuine bug in a worker is raised here
                except BrokenProcessPool:
                    if t.point not in result.failed:  # a failed point's other tasks are not needed
                        lost.append(t)
                        continue
                    outcome = None
                if outcome is not None:
                    # a cluster's futures are cancelled; a local pool's are left to finish (see _one_round's except)
                    siblings = by_point if not pool.renewable else {}
                    _take(outcome, out, sweep_id, des, siblings, result, status, budget)
            left[t.point] -= 1
            if left[t.point] == 0 and t.point not in result.failed:
                status.points_done += 1
            status.replications_done += t.count
            shown.update()
    except BaseException:
        if not pool.renewable:  # a cluster's tasks are stopped by cancelling them; a local pool is killed whole
            for f in futures:  # (Pool._shutdown) — a future cancelled as the killed pool fails them would kill
                f.cancel()  # its manager thread on InvalidStateError (CPython 3.11) and hang the exit
        raise
    return sorted(lost, key=lambda t: (t.point, t.first))


def _take(outcome: Outcome, out: Path, sweep_id: str, des: Design, by_point: dict[int, list[cf.Future]],
          result: SweepResult, status: SweepStatus, budget: DiskBudget) -> None:
    """One finished task: its parts written (then its checksum record), or its point's failure recorded."""
    t = outcome.task
    result.tasks_run += 1
    if outcome.error is not None:
        if t.point not in result.failed:
            _record_failure(out, sweep_id, des, t, outcome.error)
            result.failed[t.point] = outcome.error
            status.points_failed += 1
            for other in by_point.get(t.point, ()):  # the point's other tasks are not needed (cluster only)
                other.cancel()
    elif t.point not in result.failed:
        budget.wrote(write_task(out, sweep_id, t.point, t.first, outcome.tables), t.count)
        budget.check(status.replications_total - status.replications_done - t.count)
