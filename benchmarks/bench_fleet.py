"""Benchmark: cost per event against fleet size and under sustained overload (issue 17, 规模无关的单事件成本).

Run from the repository root (each case in a fresh subprocess, CPU seconds of the run only)::

    .venv/bin/python benchmarks/bench_fleet.py fleet     [--units 40 160 640 2560] [--days 3]
    .venv/bin/python benchmarks/bench_fleet.py overload  [--queue 3000 5000 10000 15000 20000]

* **fleet** — a 10,000-grid generated city, one routine fire stream (0.002 calls per grid-hour: 20 an
  hour), nearest dispatch, mutual aid when every engine is busy; 4 engines per station and 10 → 640
  stations (40 → 2,560 engines). Timed: ``Replication.run(keep_routine=False)`` after the world is built.
  A cost that grows with the fleet (sorting every engine on each request) shows as µs/event rising.
* **overload** — the same city with 40 engines, 500 calls an hour and ``when_all_busy: queue``: the
  waiting line grows without bound. The run is stepped an hour of simulated time at a time and the CPU
  per event is reported between the moments the line passes each mark. A cost that grows with the line
  (scanning it on every unit return) shows as µs/event rising with the line.

No assertion on time: record the figures in ``benchmarks/README.md``. ``PYTHONPATH`` chooses the code
measured (e.g. an export of an older commit, to compare).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRIDS = 10_000


def city_yaml(stations: int, days: float, rate: float, when_all_busy: str) -> str:
    streets = GRIDS // 80
    def grid(k: int) -> str:  # stations spread over the streets, then over communities and grids
        return f"S{1 + k % streets}-C{1 + (k // streets) % 10}-G{1 + (k // 1250) % 8}"

    st = "".join(f"  - {{id: fs{k}, agency: fire_brigade, grid: {grid(k)}}}\n" for k in range(stations))
    units = "".join(f"  - {{station: fs{k}, kind: engine, count: 4, turnout: 60}}\n" for k in range(stations))
    return f"""name: fleet_bench
description: {{zh: 车队规模基准, en: fleet-size benchmark}}
horizon: {days * 86400}
city:
  generated: {{district: big, streets: {streets}, communities_per_street: 10, grids_per_community: 8, grid_size_m: 400}}
agencies:
  - {{id: fire_brigade, role: fire, decision: 15,
      desk: {{staff: 200, handling: {{dist: lognormal, median: 20, p90: 45}}}}}}
  - {{id: centre_119, role: centre_119, parent: fire_brigade,
      desk: {{staff: 100, handling: {{dist: lognormal, median: 45, p90: 64}}}}}}
channels:
  - {{from: centre_119, to: fire_brigade, kind: command, latency: {{dist: lognormal, median: 20, p90: 60}}}}
stations:
{st}units:
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
dispatch: {{order: nearest, when_all_busy: {when_all_busy}}}
streams:
  - {{id: routine, type: routine_fire, rate_per_hour: {rate}}}
"""


def _world(yaml: str):
    from scenarios.loader import load_scenario
    from simulation.model.world import build_world

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "fleet.yaml"
        f.write_text(yaml, encoding="utf-8")
        sc = load_scenario(f)
        return build_world(sc, str(f))


def child_fleet(units: int, days: float) -> dict:
    from simulation.model.engine import Replication

    world = _world(city_yaml(units // 4, days, 0.002, "mutual_aid"))
    c0 = time.process_time()
    rep = Replication(world, 1, 0, keep_routine=False).run()
    cpu = time.process_time() - c0
    ev = rep.env.events_processed
    # The same replication again on the same world: the same incidents at the same grids, so every grid's
    # ranking is already built (it is built once per world) — the cost per event without the first calls.
    c0 = time.process_time()
    again = Replication(world, 1, 0, keep_routine=False).run()
    warm = time.process_time() - c0
    assert again.env.events_processed == ev
    return {"units": units, "days": days, "incidents": rep.routine.incidents, "events": ev, "cpu_s": cpu,
            "us_per_event": cpu / ev * 1e6, "us_per_event_warm": warm / ev * 1e6,
            "mutual_aid": rep.routine.mutual_aid / max(rep.routine.incidents, 1)}


def _queue_len(pool) -> int:
    q = pool.waiting
    return sum(len(v) for v in q.values()) if isinstance(q, dict) else len(q)


def child_overload(marks: list[int]) -> dict:
    from simulation.model.engine import Replication

    rate = 500 / GRIDS
    world = _world(city_yaml(10, 3.0, rate, "queue"))
    rep = Replication(world, 1, 0, keep_routine=False)
    rep.start()
    env, rows = rep.env, []
    t, k = 0.0, 0
    c_last, e_last, q_last = time.process_time(), 0, 0
    while k < len(marks) and t < rep.sc.horizon:
        t += 3600.0
        env.run(until=t)
        q = _queue_len(rep.units)
        if q >= marks[k]:
            c, e = time.process_time(), env.events_processed
            rows.append({"queue_from": q_last, "queue_to": q, "sim_hours": t / 3600, "events": e - e_last,
                         "cpu_s": c - c_last, "us_per_event": (c - c_last) / max(e - e_last, 1) * 1e6})
            c_last, e_last, q_last = c, e, q
            while k < len(marks) and q >= marks[k]:
                k += 1
    return {"rows": rows}


def _spawn(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True,
                         env={**os.environ})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        what = argv[1]
        if what == "fleet":
            print(json.dumps(child_fleet(int(argv[2]), float(argv[3]))))
        else:
            print(json.dumps(child_overload([int(x) for x in argv[2:]])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["fleet", "overload"])
    ap.add_argument("--units", type=int, nargs="+", default=[40, 160, 640, 2560])
    ap.add_argument("--days", type=float, default=3.0)
    ap.add_argument("--queue", type=int, nargs="+", default=[3000, 5000, 10000, 15000, 20000])
    a = ap.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    if a.what == "fleet":
        print(f"{'units':>6} {'incidents':>9} {'events':>8} {'CPU s':>7} {'µs/event':>9} {'warm µs/event':>13} "
              f"{'mutual aid':>10}")
        for u in a.units:
            r = _spawn(["fleet", str(u), str(a.days)])
            print(f"{r['units']:>6} {r['incidents']:>9,} {r['events']:>8,} {r['cpu_s']:>7.2f} "
                  f"{r['us_per_event']:>9.1f} {r['us_per_event_warm']:>13.1f} {r['mutual_aid']:>10.1%}")
    else:
        r = _spawn(["overload", *map(str, a.queue)])
        print(f"{'queue':>15} {'sim h':>6} {'events':>8} {'CPU s':>7} {'µs/event':>9}")
        for row in r["rows"]:
            print(f"{row['queue_from']:>6,} → {row['queue_to']:>6,} {row['sim_hours']:>6.0f} {row['events']:>8,} "
                  f"{row['cpu_s']:>7.2f} {row['us_per_event']:>9.1f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
