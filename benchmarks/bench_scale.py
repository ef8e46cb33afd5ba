"""Benchmark: megacity scale (issue 5) — a year of the defect-discovery loop at 1,000 / 10,000 / 68,000 grids,
routine emergency streams in the engine, and the ratio to raw SimPy on the same event count.

Run: ``python benchmarks/bench_scale.py [--quick]`` from the repository root. Each size runs in a fresh
subprocess so that peak memory (``ru_maxrss``) belongs to that size alone; ``--quick`` stops at 10,000
grids. Prints a Markdown table; no assertion on time — the figures go to benchmarks/README.md.

Comparators, each on the *same event count* as the defect loop at that size:
* **raw SimPy**: 1,000 SimPy processes that do nothing but ``yield env.timeout(d)`` until the count is
  reached — the SimPy kernel's floor, no model at all;
The loop under each arrangement (issue 14) has its own harness: ``benchmarks/bench_hazard_loop.py``. (The
per-hazard SimPy comparator encoded the issue-5 loop's fixed misrouting; it went with that loop.)
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
WORKERS_PER_GRID = 128_000 / 68_000  # Chongqing: 128,000 grid workers in 68,000 grids (domain.md)


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_defect_loop(grids: int, days: float, trace: bool) -> dict:
    """One size, in this (fresh) process: wall time, events, peak RSS; or tracemalloc's peak if ``trace``."""
    from scenarios.defect_loop import DefectLoopSpec, PatrolSpec
    from simulation.model.defect_loop import simulate

    spec = DefectLoopSpec(grids=grids, days=days, patrol=PatrolSpec(workers_per_grid=WORKERS_PER_GRID))
    rss0 = _rss_mb()
    if trace:
        import tracemalloc

        tracemalloc.start()
        simulate(spec, seed=1)
        return {"traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}
    t0, c0 = time.perf_counter(), time.process_time()
    r = simulate(spec, seed=1)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "grids": grids,
        "days": days,
        "wall_s": wall,
        "cpu_s": cpu,
        "events": r.events_processed,
        "hazards": r.counts["arisen"],
        "rectification_rate": r.rectification_rate,
        "rss_before_mb": rss0,
        "rss_peak_mb": _rss_mb(),
        "peak_pending": r.peak_pending,
    }


def raw_simpy(n_events: int) -> float:
    """Wall seconds for SimPy to process ``n_events`` bare timeouts spread over 1,000 processes."""
    import numpy as np
    import simpy

    env = simpy.Environment()
    delays = np.random.default_rng(0).exponential(1.0, 4096).tolist()
    left = [n_events]

    def proc(k: int):
        i = k
        while left[0] > 0:
            left[0] -= 1
            i = (i + 1) & 4095
            yield env.timeout(delays[i])

    for k in range(1000):
        env.process(proc(k))
    c0 = time.process_time()
    env.run()
    return time.process_time() - c0


ROUTINE_RATE = 0.002
"""Routine fire calls per grid per hour (an assumption: ≈17.5 a grid-year; 1.19 million a year at 68,000 grids)."""


def routine_scenario_yaml(grids: int, days: float) -> str:
    """A generated city of ``grids`` grids (80 per street), one fire station with 4 engines per 1,000 grids,
    119 intake → fire brigade, one routine stream, nearest dispatch, mutual aid when all are busy."""
    streets = max(1, grids // 80)
    n_st = max(1, grids // 1000)
    stations = "".join(
        f"  - {{id: fs{k}, agency: fire_brigade, grid: S{1 + (k * streets) // n_st}-C5-G4}}\n" for k in range(n_st)
    )
    units = "".join(f"  - {{station: fs{k}, kind: engine, count: 4, turnout: 60}}\n" for k in range(n_st))
    return f"""name: routine_bench
description: {{zh: 日常警情基准, en: routine incidents benchmark}}
horizon: {days * 86400}
city:
  generated: {{district: big, streets: {streets}, communities_per_street: 10, grids_per_community: 8, grid_size_m: 400}}
agencies:
  - {{id: fire_brigade, role: fire, decision: 15,
      desk: {{staff: 20, handling: {{dist: lognormal, median: 20, p90: 45}}}}}}
  - {{id: centre_119, role: centre_119, parent: fire_brigade,
      desk: {{staff: 10, handling: {{dist: lognormal, median: 45, p90: 64}}}}}}
channels:
  - {{from: centre_119, to: fire_brigade, kind: command, latency: {{dist: lognormal, median: 20, p90: 60}}}}
stations:
{stations}units:
{units}arrangement:
  name: direct
  incident_types:
    routine_fire: {{lead: fire, tasks: {{attack: {{lead: [fire]}}}}}}
incident_types:
  routine_fire:
    detection: [{{kind: citizen_call, delay: {{dist: lognormal, median: 120, p90: 600}}, report_to: centre_119}}]
    verify: 30
    tasks: [{{id: attack, capability: fire_attack, unit: engine, setup: 60,
             duration: {{dist: lognormal, median: 1200, p90: 3600}}}}]
dispatch: {{order: nearest, when_all_busy: mutual_aid}}
streams:
  - {{id: routine, type: routine_fire, rate_per_hour: {ROUTINE_RATE}}}
"""


def child_streams(grids: int, days: float) -> dict:
    """Routine emergencies through the SimPy engine: one replication, timed without output tables."""
    import tempfile

    from scenarios.loader import load_scenario
    from simulation.model.engine import Replication
    from simulation.model.world import build_world

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "routine.yaml"
        f.write_text(routine_scenario_yaml(grids, days), encoding="utf-8")
        c0 = time.process_time()
        sc = load_scenario(f)
        world = build_world(sc, str(f))
        build = time.process_time() - c0
    rss0 = _rss_mb()
    c0 = time.process_time()
    # Routine incidents folded into tallies as they close: memory bounded by the incidents open at once.
    rep = Replication(world, 1, 0, keep_routine=False).run()
    cpu = time.process_time() - c0
    return {"grids": grids, "days": days, "build_cpu_s": build, "cpu_s": cpu, "events": rep.env.events_processed,
            "incidents": rep.routine.incidents, "mutual_aid": rep.routine.mutual_aid,
            "rss_before_mb": rss0, "rss_peak_mb": _rss_mb()}


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="stop at 10,000 grids")
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--child", nargs="*")
    a = ap.parse_args()
    if a.child is not None:
        kind, *rest = a.child
        if kind == "loop":
            print(json.dumps(child_defect_loop(int(rest[0]), float(rest[1]), rest[2] == "trace")))
        elif kind == "raw":
            print(json.dumps({"wall_s": raw_simpy(int(rest[0]))}))
        elif kind == "streams":
            print(json.dumps(child_streams(int(rest[0]), float(rest[1]))))
        return
    import numpy
    import simpy

    print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}, simpy {simpy.__version__}; one core; "
          f"times are CPU seconds of the run (the machine is shared; wall time in brackets)")
    print(
        f"\nHazard-discovery loop, {a.days:g} days, {WORKERS_PER_GRID:.2f} grid workers per grid, "
        "default Putuo-scaled rates\n"
    )
    print(
        "| grids | hazards | events | CPU s (wall) | events/s | peak RSS MB (before run) | traced peak MB "
        "| raw SimPy CPU s, same events | loop ÷ raw SimPy |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sizes = SIZES[:2] if a.quick else SIZES
    for g in sizes:
        r = _child(["loop", str(g), str(a.days), "time"])
        tr = _child(["loop", str(g), str(a.days), "trace"])
        raw = _child(["raw", str(r["events"])])["wall_s"]
        print(f"| {g:,} | {r['hazards']:,} | {r['events']:,} | {r['cpu_s']:.2f} ({r['wall_s']:.2f}) | "
              f"{r['events'] / r['cpu_s']:,.0f} | {r['rss_peak_mb']:.0f} ({r['rss_before_mb']:.0f}) | "
              f"{tr['traced_peak_mb']:.1f} | {raw:.2f} | {r['cpu_s'] / raw:.3f} |", flush=True)
    print(f"\nRoutine emergencies in the SimPy engine ({ROUTINE_RATE} calls per grid-hour, 4 engines per 1,000 grids, "
          f"nearest dispatch, mutual aid when all busy)\n")
    print(
        "| grids | days | incidents | events | build CPU s | run CPU s | events/s | incidents/s "
        "| year CPU s (extrapolated) | peak RSS MB (before run) | raw SimPy CPU s, same events | engine ÷ raw SimPy |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g, days in zip(list(sizes) + [SIZES[-1]] * (not a.quick), (7.0, 7.0, 7.0, 30.0)):
        r = _child(["streams", str(g), str(days)])
        raw = _child(["raw", str(r["events"])])["wall_s"]
        print(
            f"| {g:,} | {days:g} | {r['incidents']:,} | {r['events']:,} | {r['build_cpu_s']:.2f} | {r['cpu_s']:.2f} | "
            f"{r['events'] / r['cpu_s']:,.0f} | {r['incidents'] / r['cpu_s']:,.0f} | {r['cpu_s'] * 365 / days:,.0f} | "
            f"{r['rss_peak_mb']:.0f} ({r['rss_before_mb']:.0f}) | {raw:.2f} | {r['cpu_s'] / raw:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
