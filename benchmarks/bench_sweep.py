"""Benchmark: sweep throughput — replications/s per worker, scaling from 1 to all local cores, and the
overhead of the Dask path against the local process pool.

Run: ``python benchmarks/bench_sweep.py [--reps 50] [--points 4] [--batch 10]`` from the repository root.
The same sweep (flagship scenario, a grid over ``units.0.count``) runs:

1. in-process, no pool: ``experiment.run`` point by point (the engine's own rate, the reference);
2. local process pool with 1 worker, then with every core;
3. a Dask ``LocalCluster`` with as many single-threaded worker processes (cluster start-up timed apart).

Each sweep writes its Parquet parts (the parent's work, YAML reading included); each figure is the
best of ``--repeats`` runs. Scaling efficiency = rate(k workers)
/ (k × rate(1 worker)); Dask overhead = wall(Dask) / wall(local pool, same workers) − 1. Prints a
Markdown table for benchmarks/README.md; no assertion on time. The load average is printed too: on a
shared machine other jobs take cores and the figures say so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.loader import read_document  # noqa: E402
from scenarios.yamlsrc import to_plain  # noqa: E402
from simulation.experiments.designs import point_seed  # noqa: E402
from simulation.experiments.runner import run  # noqa: E402
from simulation.experiments.sweep import sweep, validate  # noqa: E402

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "library" / "high_rise_fire.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200, help="replications per point")
    ap.add_argument("--points", type=int, default=4, help="grid points (units.0.count = 1..points)")
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=3, help="best (least disturbed) of this many runs")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    factors = [f"units.0.count=1..{args.points}"]
    total = args.points * args.reps
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    rows: list[tuple[str, int, float]] = []
    try:
        doc = to_plain(read_document(FLAGSHIP))  # YAML read once, as the sweep's parent does

        def serial() -> float:
            t = time.perf_counter()
            for k in range(args.points):
                sc = validate(doc, FLAGSHIP, None, [f"units.0.count={k + 1}"])
                run(sc, args.reps, point_seed(0, k))
            return time.perf_counter() - t

        rows.append(("in-process, no pool", 1, min(serial() for _ in range(args.repeats))))

        t0 = time.perf_counter()
        sweep(FLAGSHIP, factors, replications=1, out=tmp / "warm", workers=1, progress=False)
        forkserver_start = time.perf_counter() - t0

        def timed(out: str, **kw: object) -> float:
            walls = []
            for i in range(args.repeats):
                t = time.perf_counter()
                sweep(FLAGSHIP, factors, replications=args.reps, batch=args.batch, out=tmp / f"{out}{i}",
                      progress=False, **kw)
                walls.append(time.perf_counter() - t)
            return min(walls)

        rows.append(("local pool", 1, timed("local1-", workers=1)))
        if cores > 1:
            rows.append(("local pool", cores, timed("localN-", workers=cores)))

        from dask.distributed import LocalCluster

        t0 = time.perf_counter()
        with LocalCluster(n_workers=cores, processes=True, threads_per_worker=1, dashboard_address=None,
                          silence_logs=40) as cluster:
            cluster_start = time.perf_counter() - t0
            rows.append(("Dask LocalCluster", cores, timed("dask-", scheduler=cluster.scheduler_address)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rate1 = total / next(w for name, k, w in rows if name == "local pool" and k == 1)
    print(
        f"sweep: {args.points} points × {args.reps} replications = {total}, batch {args.batch}; "
        f"best of {args.repeats}; "
        f"{cores} cores; load average {os.getloadavg()[0]:.1f} (1 min)"
    )
    print(f"first sweep in a process (forkserver start + imports, 1 tiny task): {forkserver_start:.2f} s; "
          f"Dask LocalCluster start-up: {cluster_start:.2f} s (not in the table)")
    print()
    print("| executor | workers | wall (s) | replications/s | per worker | scaling efficiency |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, k, wall in rows:
        rate = total / wall
        eff = f"{rate / (k * rate1):.0%}" if name != "in-process, no pool" else "—"
        print(f"| {name} | {k} | {wall:.2f} | {rate:.1f} | {rate / k:.1f} | {eff} |")
    local_all = next((w for name, k, w in rows if name == "local pool" and k == cores), None)
    dask_wall = next(w for name, _, w in rows if name.startswith("Dask"))
    if local_all is not None:
        print()
        print(f"Dask overhead vs local pool ({cores} workers): {dask_wall / local_all - 1:+.0%} wall time")


if __name__ == "__main__":
    main()
