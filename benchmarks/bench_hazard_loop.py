"""Benchmark: the hidden-hazard loop (issue 14) per arrangement at 1,000 / 10,000 / 68,000 grids for a year.

Run: ``python benchmarks/bench_hazard_loop.py [--quick] [-a ARR ...]`` from the repository root. Each (size,
arrangement) runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own, and once more under
tracemalloc for the run's own allocations. Prints a Markdown table; no assertion on time — the figures go to
benchmarks/README.md ("Hidden-hazard loop per arrangement").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (1_000, 10_000, 68_000)
ARMS = ("integrated_grid", "parallel_grids", "ambiguous")


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(grids: int, arm: str, trace: bool) -> dict:
    from scenarios.defect_loop import DefectLoopSpec
    from scenarios.loader import load_arrangement
    from simulation.model.defect_loop import simulate

    spec, arr = DefectLoopSpec(grids=grids, days=365), load_arrangement(arm)
    rss0 = _rss_mb()
    if trace:
        import tracemalloc

        tracemalloc.start()
        simulate(spec, 1, arrangement=arr)
        return {"traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}
    t0, c0 = time.perf_counter(), time.process_time()
    r = simulate(spec, 1, arrangement=arr)
    return {"grids": grids, "arm": arm, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "events": r.events_processed, "hazards": r.counts["arisen"], "peak_pending": r.peak_pending,
            "rss_before_mb": rss0, "rss_peak_mb": _rss_mb()}


def _run(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="stop at 10,000 grids")
    ap.add_argument("-a", "--arrangement", action="append")
    ap.add_argument("--child", nargs="*")
    a = ap.parse_args()
    if a.child is not None:
        print(json.dumps(child(int(a.child[0]), a.child[1], a.child[2] == "trace")))
        return
    import numpy

    print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}; one core; CPU seconds of the run "
          "(wall in brackets: the machine is shared)\n")
    print("| grids | arrangement | hazards | events | CPU s (wall) | events/s | peak RSS MB (before run) "
          "| traced peak MB | jobs pending at peak |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for grids in SIZES[:2] if a.quick else SIZES:
        for arm in a.arrangement or ARMS:
            r = _run([str(grids), arm, "run"])
            tr = _run([str(grids), arm, "trace"])
            print(f"| {grids:,} | `{arm}` | {r['hazards']:,} | {r['events']:,} | {r['cpu_s']:.2f} ({r['wall_s']:.1f}) "
                  f"| {r['events'] / r['cpu_s']:,.0f} | {r['rss_peak_mb']:.0f} ({r['rss_before_mb']:.0f}) "
                  f"| {tr['traced_peak_mb']:.1f} | {r['peak_pending']:,} |", flush=True)


if __name__ == "__main__":
    main()
