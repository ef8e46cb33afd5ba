"""Benchmark: what the sweep archive's checks cost — the checksum record of each task (SHA-256 of its four
parts, written by the parent) and the verification of every part before ``linkage results`` queries.

Run: ``python benchmarks/bench_sweep_integrity.py [--reps 200] [--points 4] [--batch 25] [--repeats 3]``
from the repository root. One flagship sweep (``units.0.count=1..points``) is made on one local worker; then,
each the best of ``--repeats``:

1. per task, the parent's writing of its four Parquet parts against the checksum record that follows them;
2. ``find_sweeps`` (every part hashed and compared with its record) against a query over the sweep
   (``avg(t_first_arrival)`` per point, with the points joined), the two halves of ``linkage results``.

Prints the figures and their ratios for benchmarks/README.md; no assertion on time.
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

from simulation.experiments.results import find_sweeps, query_sweeps  # noqa: E402
from simulation.experiments.sweep import sweep  # noqa: E402
from simulation.experiments.sweep_archive import TABLES, _normalise, part_path, write_table  # noqa: E402
from simulation.experiments.sweep_integrity import write_record  # noqa: E402

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "library" / "high_rise_fire.yaml"
QUERY = ('SELECT p."units.0.count" AS engines, avg(r.t_first_arrival) AS t FROM replications r '
         "JOIN points p USING (sweep, point) GROUP BY 1 ORDER BY 1")


def best(fn, repeats: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--points", type=int, default=4)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_integrity_"))
    try:
        out = tmp / "s"
        res = sweep(FLAGSHIP, [f"units.0.count=1..{args.points}"], replications=args.reps, batch=args.batch,
                    out=out, workers=1, progress=False)
        parts = sorted(p for t in TABLES for p in out.glob(f"{t}/sweep=*/point=*/part-*.parquet"))
        size = sum(p.stat().st_size for p in parts)
        tasks = len(parts) // len(TABLES)

        import pyarrow.parquet as pq

        tables = {t: pq.read_table(part_path(out, t, res.sweep_id, 0, 0)) for t in TABLES}
        scratch = tmp / "scratch"

        def write_parts() -> dict[str, Path]:
            paths = {t: part_path(scratch, t, "x", 0, 0) for t in TABLES}
            for t, table in tables.items():
                write_table(paths[t], _normalise(table))
            return paths

        paths = write_parts()
        t_parts = best(write_parts, args.repeats * 5)
        t_record = best(lambda: write_record(scratch, "x", 0, 0, paths), args.repeats * 5)
        t_verify = best(lambda: find_sweeps(tmp), args.repeats)
        sweeps = find_sweeps(tmp)
        t_query = best(lambda: query_sweeps(QUERY, sweeps), args.repeats)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"sweep: {args.points} points × {args.reps} replications, batch {args.batch}: {tasks} tasks, "
              f"{len(parts)} parts, {size / 1e6:.1f} MB; load average {load:.1f}")
        print(f"per task: parts {1e3 * t_parts:.2f} ms, checksum record {1e3 * t_record:.2f} ms "
              f"({100 * t_record / t_parts:.0f} % of writing the parts)")
        print(f"results: verify every part {1e3 * t_verify:.1f} ms ({size / 1e6 / t_verify:.0f} MB/s), "
              f"query {1e3 * t_query:.1f} ms; verification = {100 * t_verify / (t_verify + t_query):.0f} % "
              "of the command's data work")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
