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
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

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
    _normalise,
    _parts_done,
    _points_table,
    _record_failure,
    new_folder,
    part_path,
    read_manifest,
    reopen_folder,
    write_table,
)

__all__ = ["MANIFEST", "SweepResult", "SweepStatus", "Task", "evaluate", "read_manifest", "sweep", "validate"]


@dataclass(frozen=True)
class Task:
    point: int
    first: int
    count: int
    run_seed: int
    arrangement: str | None
    sets: tuple[str, ...]


@dataclass
class Outcome:
    task: Task
    tables: dict[str, pa.Table] | None
    error: str | None
    wall: float


# -- worker side ------------------------------------------------------------------------------------------


def validate(
    doc: dict, scenario_path: str | Path, arrangement: str | None = None, sets: Sequence[str] = ()
) -> Scenario:
    """The scenario of a merged document plus ``--set`` expressions, without reading YAML again."""
    try:
        return validate_document(doc, str(scenario_path), sets)
    except InputError:
        if Path(scenario_path).is_file():
            # Slow path, only for invalid input: the loader turns the error into FILE:LINE: path lines.
            load_scenario(scenario_path, arrangement, sets)
        raise


def evaluate(task: Task, doc: dict, scenario_path: str) -> Outcome:
    """Run one task (in a worker). Bad input of the point → an Outcome with its error; bugs raise."""
    from simulation.experiments.api import prepare
    from simulation.experiments.runner import run

    t0 = time.perf_counter()
    try:
        sc, world = prepare(validate(doc, scenario_path, task.arrangement, task.sets), source=scenario_path)
        res = run(sc, task.count, task.run_seed, world=world, first_replication=task.first)
    except InputError as e:
        return Outcome(task, None, str(e), time.perf_counter() - t0)
    tables = {"replications": res.replications, "incidents": res.incidents, "handoffs": res.handoffs}
    return Outcome(task, tables, None, time.perf_counter() - t0)


def watch_parent(pid: int, every: float = 1.0) -> None:
    """Worker initializer: exit when the sweep's parent is gone, so a killed sweep leaves no orphans.

    (A pool worker blocks on its task queue forever once its parent dies: it holds the queue's write end.)
    """

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="linkage-parent-watch", daemon=True).start()


# -- executors --------------------------------------------------------------------------------------------


@contextmanager
def _executor(workers: int, scheduler: str | None,
              executor: cf.Executor | None) -> Iterator[tuple[cf.Executor, Callable[[dict], Any]]]:
    """(executor, share): ``share(doc)`` is what tasks receive for a scenario document — the document
    itself, or on Dask a future of it scattered once to every worker (not re-sent with each task; in a
    list, because scatter would take a dict's items as separate keys)."""
    if executor is not None:
        yield executor, lambda doc: doc
        return
    if scheduler:
        from dask.distributed import Client

        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError.one(
                "--scheduler", None, "", f"cannot reach the Dask scheduler at '{scheduler}': {e}"
            ) from None
        try:
            yield client.get_executor(pure=False), lambda doc: client.scatter([doc], broadcast=True, hash=False)[0]
        finally:
            client.close()
        return
    # forkserver: workers are forked from a clean server that has imported this module once, so they
    # start fast and never inherit the parent's threads (rich, dask) or locks.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["simulation.experiments.sweep", "simulation.experiments.runner"])
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=watch_parent, initargs=(os.getpid(),)
    ) as ex:
        yield ex, lambda doc: doc


def _progress_bar(enabled: bool | None):  # noqa: ANN202
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    show = console.is_terminal if enabled is None else bool(enabled)
    return Progress(
        TextColumn("sweep · replications"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not show,
    )


# -- the sweep --------------------------------------------------------------------------------------------


def _documents(scenario: ScenarioLike, design: Design) -> dict[str | None, dict]:
    """The merged scenario document once per arrangement value (YAML is read only here, in the parent)."""
    arr = next((f for f in design.factors if f.is_arrangement), None)
    names: Sequence[str | None] = list(arr.values) if arr is not None else [None]
    docs = {}
    for a in names:
        try:
            docs[a] = document(scenario, a)
        except InputError as e:  # an unknown arrangement value is a --vary mistake
            raise InputError([Problem("--vary", p.line, p.path, p.message) if p.file == "--arrangement" else p
                              for p in e.problems]) from None
    return docs


def _check_paths(scenario_path: str, factors: list[Factor], docs: dict[str | None, dict]) -> None:
    """Refuse a --vary path the scenario does not have (the loader's --set message), before anything runs."""
    arrangement, doc = next(iter(docs.items()))
    for f in factors:
        if f.is_arrangement:
            continue
        expr = f"{f.path}={json.dumps(f.values[0] if not f.is_range else f.low)}"
        try:
            validate(doc, scenario_path, arrangement, [expr])
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
          common_seeds: bool = False) -> SweepResult:
    """Run every point of a design ``replications`` times and write the results under ``out``.

    ``scenario`` is a file path or a loaded scenario. ``progress``: None shows a rich bar when stderr is a
    terminal, True/False force it, a callable gets a :class:`SweepStatus` after each task. ``common_seeds``:
    every point runs with the sweep seed itself (common random numbers: replication r of every point sees
    the same draws where behaviour agrees, so differences between points are the factors', not noise); by
    default point k runs with ``point_seed(seed, k)``, independent across points. Bad input raises
    :class:`InputError` (naming the parameter) before anything is written.
    """
    from simulation.experiments.outputs import check_out, package_version

    t0 = time.perf_counter()
    out = Path(out)
    at_least("sweep", "replications", replications, 1)
    non_negative_seed("sweep", seed)
    at_least("sweep", "workers", workers, 1)
    at_least("sweep", "batch", batch, 1)
    if out.exists() and not out.is_dir():
        raise bad_parameter("sweep", "out", f"'{out}' exists and is not a folder")
    old = read_manifest(out) if resume else None
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
    docs = _documents(scenario, des)
    source = source_name(scenario)
    if None in docs:
        base = validate(docs[None], source)
    else:
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _check_paths(source, facs, docs)
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
                "created": datetime.now(UTC).isoformat(timespec="seconds")}
    if old is not None:
        _check_resume(old, manifest, out)
    n_workers = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    with _executor(n_workers, scheduler, executor) as pool:  # an unreachable scheduler fails before any write
        points = _points_table(des, seeds)
        if old is None:
            new_folder(out, manifest, points)
        else:
            reopen_folder(out, sweep_id, points)
        result = _resume_and_run(out, sweep_id, des, seeds, replications, batch, docs, source, pool, progress)
    result.wall_seconds = time.perf_counter() - t0
    return result


def _resume_and_run(out: Path, sweep_id: str, des: Design, seeds: list[int], replications: int, batch: int,
                    docs: dict, scenario_path: str, pool: tuple[cf.Executor, Callable[[dict], Any]],
                    progress: bool | Callable[[SweepStatus], None] | None) -> SweepResult:
    """List what is done (parts, recorded failures), then run only the missing tasks."""
    for tmp in out.rglob(".*.tmp"):  # left by a killed run
        tmp.unlink(missing_ok=True)

    failed = {int(p.stem.split("=", 1)[1]): json.loads(p.read_text(encoding="utf-8"))["error"]
              for p in (out / "errors").glob("point=*.json")}
    for k in failed:
        _drop_point(out, sweep_id, k)
    done = _parts_done(out, sweep_id)
    tasks_all = [(k, first) for k in range(len(des.points)) for first in range(0, replications, batch)]
    todo = [Task(k, first, min(batch, replications - first), seeds[k], *point_sets(des.points[k]))
            for k, first in tasks_all if (k, first) not in done and k not in failed]
    result = SweepResult(out, sweep_id, len(des.points), replications, len(tasks_all), 0,
                         len(tasks_all) - len(todo), dict(failed))
    left = {k: 0 for k in range(len(des.points))}
    for t in todo:
        left[t.point] += 1
    status = SweepStatus(replications * len(des.points) - sum(t.count for t in todo), replications * len(des.points),
                         sum(1 for k, n in left.items() if n == 0 and k not in failed), len(failed), len(des.points))
    _run_tasks(todo, docs, scenario_path, out, sweep_id, des, pool, progress, status, left, result)
    return result


def _run_tasks(todo: list[Task], docs: dict, scenario_path: str, out: Path, sweep_id: str, des: Design,
               pool: tuple[cf.Executor, Callable[[dict], Any]], progress: bool | Callable[[SweepStatus], None] | None,
               status: SweepStatus, left: dict[int, int], result: SweepResult) -> None:
    ex, share = pool
    callback = progress if callable(progress) else None
    bar = _progress_bar(None if callable(progress) else progress)
    path_s = str(Path(scenario_path).resolve()) if Path(scenario_path).is_file() else scenario_path

    def status_text() -> str:
        return f"points {status.points_done}/{status.points_total} done · {status.points_failed} failed"

    with bar:
        shared = {k: share(doc) for k, doc in docs.items()}
        bar_task = bar.add_task(
            "sweep", total=status.replications_total, completed=status.replications_done, status=status_text()
        )
        futures: dict[cf.Future, Task] = {ex.submit(evaluate, t, shared[t.arrangement], path_s): t for t in todo}
        by_point: dict[int, list[cf.Future]] = {}
        for fut, t in futures.items():
            by_point.setdefault(t.point, []).append(fut)
        try:
            for fut in cf.as_completed(futures):
                t = futures[fut]
                if not fut.cancelled():
                    outcome: Outcome = fut.result()  # a genuine bug in a worker is raised here
                    result.tasks_run += 1
                    if outcome.error is not None:
                        if t.point not in result.failed:
                            _record_failure(out, sweep_id, des, t, outcome.error)
                            result.failed[t.point] = outcome.error
                            status.points_failed += 1
                            for other in by_point[t.point]:
                                other.cancel()
                    elif t.point not in result.failed:
                        for name in TABLES:
                            write_table(
                                part_path(out, name, sweep_id, t.point, t.first), _normalise(outcome.tables[name])
                            )
                left[t.point] -= 1
                if left[t.point] == 0 and t.point not in result.failed:
                    status.points_done += 1
                status.replications_done += t.count
                bar.update(bar_task, completed=status.replications_done, status=status_text())
                if callback is not None:
                    callback(replace(status))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
