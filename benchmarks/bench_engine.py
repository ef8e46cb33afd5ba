"""Benchmark: the engine's event rate on the flagship against raw SimPy on the same event count (一次运行内对比).

Run from the repository root::

    .venv/bin/python benchmarks/bench_engine.py [-n 200] [--repeats 3] [--json] [--profile]

In one run it measures

* **engine** — ``Replication(world, seed, r).run()`` for ``r`` in ``0..n-1`` on
  ``scenarios/library/high_rise_fire.yaml`` (world built once, as ``linkage run`` does); events are the
  sum of ``env.events_processed``;
* **engine, hazard off** — the same with the incidents' hazard models removed, to separate the event
  machinery from the fire model's numpy work;
* **raw SimPy** — one plain ``simpy.Environment`` per replication with exactly the engine's event count
  for that replication and a similar event mix (timeouts with pre-drawn exponential delays, priority
  resource requests and releases, process starts and ends, plain events), no model logic;

and prints events/s for each (best of ``--repeats``, the variants interleaved so that load from other
processes hits them alike) and the ratio engine/raw. Times come from
``time.perf_counter``. There is no assertion on time: record the figures in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import datetime as dt
import io
import json
import math
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.loader import load_scenario  # noqa: E402
from scenarios.schema import Scenario  # noqa: E402
from simulation.model.engine import Replication, settled_world  # noqa: E402
from simulation.model.world import World, build_world  # noqa: E402

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "library" / "high_rise_fire.yaml"
SEED = 7

# -- the engine ----------------------------------------------------------------------------------------


SETTLED = True
"""Run the replications inside :func:`settled_world`, as ``linkage run`` does (``False``: without it)."""


def engine_pass(world: World, n: int) -> tuple[float, list[int]]:
    """Seconds for ``n`` replications and the events each processed (as the runner runs them: each closed once
    read, :meth:`Replication.close`)."""
    t0 = time.perf_counter()
    events = []
    with settled_world() if SETTLED else contextlib.nullcontext():
        for r in range(n):
            rep = Replication(world, SEED, r).run()
            events.append(rep.env.events_processed)
            rep.close()
    return time.perf_counter() - t0, events


def event_mix(world: World, n: int) -> dict[str, int]:
    """Counts of processed events by SimPy class over ``n`` replications (an untimed, instrumented pass)."""
    mix: collections.Counter[str] = collections.Counter()
    for r in range(n):
        rep = Replication(world, SEED, r)
        env, step = rep.env, rep.env.step

        def counted(env: simpy.Environment = env, step: Callable[[], None] = step) -> None:  # bound per replication
            if env._queue:
                mix[simpy_class(env._queue[0][3])] += 1
            step()

        env.step = counted  # type: ignore[method-assign]
        env.run = lambda until=None, env=env: simpy.Environment.run(env, until)  # SimPy's loop: calls step
        rep.run()
    return dict(mix.most_common())


def simpy_class(event: object) -> str:
    """The SimPy class an event is (the engine's kernel subclasses some: ``EngineProcess`` is a ``Process``)."""
    return next(c.__name__ for c in type(event).__mro__ if c.__module__.startswith("simpy."))


def without_hazards(sc: Scenario) -> Scenario:
    return sc.model_copy(update={"incidents": [i.model_copy(update={"hazard": None}) for i in sc.incidents]})


# -- raw SimPy on the same event count -------------------------------------------------------------------

CHILD_EVENTS = 11  # Initialize + 5 Timeout + Request + Release + 2 Event + Process end (see `_child`)


def _child(env: simpy.Environment, desk: simpy.PriorityResource, d: list[float], i: int) -> Generator:
    """A task-like process: travel, a desk message, work, two notifications — the engine's event mix
    per process start is about 5 timeouts, 1–2 plain events, 1 request, 1 release."""
    yield env.timeout(d[i])
    with desk.request(priority=0) as req:
        yield req
        yield env.timeout(d[i + 1])
    for k in (2, 3):
        yield env.timeout(d[i + k])
        ev = env.event()
        ev.succeed(k)
        yield ev
    yield env.timeout(d[i + 4])


def _driver(env: simpy.Environment, n_children: int, filler: int, d: list[float]) -> Generator:
    """Starts ``n_children`` at exponential intervals (one timeout each), then ``filler`` timeouts to
    land on the exact event count."""
    desk = simpy.PriorityResource(env, capacity=2)
    for c in range(n_children):
        env.process(_child(env, desk, d, 5 * c))
        yield env.timeout(d[5 * c + 5])
    for k in range(filler):
        yield env.timeout(d[k])


def raw_plan(events: int) -> tuple[int, int]:
    """(children, filler timeouts) so that one environment processes exactly ``events`` events:
    driver Initialize + end (2) + one spawn timeout per child + CHILD_EVENTS per child + filler."""
    body = events - 2
    n = max(body // (CHILD_EVENTS + 1), 0)
    return n, body - n * (CHILD_EVENTS + 1)


def raw_pass(
    per_rep_events: list[int], delays: list[float], env_factory: Callable[[], simpy.Environment] = simpy.Environment
) -> float:
    t0 = time.perf_counter()
    for e in per_rep_events:
        env = env_factory()
        n, filler = raw_plan(e)
        env.process(_driver(env, n, filler, delays))
        env.run()
    return time.perf_counter() - t0


class _Counting(simpy.Environment):
    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0

    def step(self) -> None:
        super().step()  # counted after it returns: the last call only finds the schedule empty
        self.events_processed += 1


def check_raw_count(per_rep_events: list[int], delays: list[float]) -> None:
    """The raw loop really processes the engine's event count (verified once, untimed)."""
    for e in per_rep_events[:20]:
        env = _Counting()
        n, filler = raw_plan(e)
        env.process(_driver(env, n, filler, delays))
        env.run()
        if env.events_processed != e:
            raise SystemExit(f"raw loop processed {env.events_processed} events, wanted {e}")


# -- main ------------------------------------------------------------------------------------------------


def measure(n: int, repeats: int) -> dict:
    sc = load_scenario(FLAGSHIP)
    world = build_world(sc, str(FLAGSHIP))
    world_off = build_world(without_hazards(sc), str(FLAGSHIP))

    engine_pass(world, min(n, 10))  # warm-up: imports, caches, lazy paths
    _, events = engine_pass(world, n)
    _, events_off = engine_pass(world_off, n)
    rng = np.random.default_rng(SEED)
    longest = max(max(events), max(events_off))
    delays = rng.exponential(60.0, size=5 * longest + 16).tolist()  # pre-drawn: no numpy in the loop
    check_raw_count(events, delays)
    raw_pass(events[: min(n, 10)], delays)  # warm-up

    # Interleaved repeats: a machine shared with others slows every variant alike; keep each one's best.
    t_engine = t_off = t_raw = t_raw_off = math.inf
    for _ in range(repeats):
        t_engine = min(t_engine, engine_pass(world, n)[0])
        t_raw = min(t_raw, raw_pass(events, delays))
        t_off = min(t_off, engine_pass(world_off, n)[0])
        t_raw_off = min(t_raw_off, raw_pass(events_off, delays))

    total, total_off = sum(events), sum(events_off)
    rows = [
        {
            "what": "engine, flagship (hazard models on)",
            "events": total,
            "seconds": t_engine,
            "events_per_s": total / t_engine,
        },
        {
            "what": "engine, flagship (hazard models off)",
            "events": total_off,
            "seconds": t_off,
            "events_per_s": total_off / t_off,
        },
        {"what": "raw SimPy, same event count (on)", "events": total, "seconds": t_raw, "events_per_s": total / t_raw},
        {
            "what": "raw SimPy, same event count (off)",
            "events": total_off,
            "seconds": t_raw_off,
            "events_per_s": total_off / t_raw_off,
        },
    ]
    return {
        "scenario": str(FLAGSHIP.relative_to(FLAGSHIP.parents[2])), "replications": n, "seed": SEED, "repeats": repeats,
        "rows": rows,
        "ratio_engine_raw": (total / t_engine) / (total / t_raw),
        "ratio_engine_raw_hazard_off": (total_off / t_off) / (total_off / t_raw_off),
        "event_mix": event_mix(world, min(n, 50)),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "simpy": simpy.__version__,
                    "numpy": np.__version__, "platform": platform.platform(), "date": dt.date.today().isoformat()},
    }


def profile(n: int, top: int = 15) -> str:
    sc = load_scenario(FLAGSHIP)
    world = build_world(sc, str(FLAGSHIP))
    engine_pass(world, 5)
    prof = cProfile.Profile()
    prof.enable()
    engine_pass(world, n)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def print_table(res: dict) -> None:
    m = res["machine"]
    print(f"{res['scenario']}: {res['replications']} replications, seed {res['seed']}, best of {res['repeats']} "
          f"· {m['cores']} cores · Python {m['python']} · SimPy {m['simpy']} · {m['date']}")
    print(f"{'':40} {'events':>9} {'seconds':>9} {'events/s':>11}")
    for r in res["rows"]:
        print(f"{r['what']:40} {r['events']:>9,} {r['seconds']:>9.3f} {r['events_per_s']:>11,.0f}")
    print(f"ratio engine / raw SimPy: {res['ratio_engine_raw']:.3f} (hazard models on), "
          f"{res['ratio_engine_raw_hazard_off']:.3f} (off)")
    total = sum(res["event_mix"].values())
    print("engine event mix: " + ", ".join(f"{k} {v / total:.0%}" for k, v in res["event_mix"].items()))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--replications", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    ap.add_argument("--profile", action="store_true", help="also print the engine's cProfile top 15 by tottime")
    args = ap.parse_args(argv)
    res = measure(args.replications, args.repeats)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res)
    if args.profile:
        print(profile(args.replications))


if __name__ == "__main__":
    main()
