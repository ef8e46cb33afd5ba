"""Benchmark: the engine against a minimal plain-SimPy model of the *same* incident flow (公平基准, issue 17).

Run from the repository root::

    .venv/bin/python benchmarks/bench_fair.py [-n 200] [--repeats 7] [--json]

Raw SimPy on the engine's event count (``bench_engine.py``) has a different event mix and no model; this
benchmark writes the flagship high-rise fire's incident flow the way a careful modeller would in plain
SimPy — no named streams, no doctrine, no Policy, no ledger — and checks that it processes the same kinds
of events in the same numbers per replication as the engine:

* a detection timeout; the report at the receiver's duty desk (a ``PriorityResource``: request, handling
  timeout, release); verification;
* messages as serial hops, each a latency timeout and the receiving desk; the intake centre's two alerts
  (its service, the site's operator) in their own processes, the relay's notices in series;
* nine tasks, five waiting on their predecessors with ``AllOf``; each waits until its owner knows of the
  incident (a plain event), decides, requests units (an event granted from the free units of the kind, a
  waiting line otherwise), travels, sets up, works, signals done, and its units return (a timeout each);
* two work orders (a hop to the agency and an ``AnyOf`` race of its signing against the deadline), the
  command post and the city's command (a hop and a set-up), the commander's look at the fire every minute;
* five off-duty processes holding night-desk slots from the start (the flagship runs from midnight);
* every value drawn in bulk once per replication from one seeded generator; records kept as tuples.

Timing: the engine (hazard models on), the minimal model and raw SimPy on the engine's event count run
interleaved within each repeat, each figure the median over repeats (other engineers share the cores);
wall seconds (``perf_counter``) and CPU seconds (``process_time``: on a shared machine, time spent waiting
for a core is not cost) are both recorded. The engine runs its replications inside ``settled_world``, as
the runner does (``--unsettled``: without); the minimal model and raw SimPy run with the process's long-lived
objects set aside too (:func:`own_heap`), with Python's default collector thresholds — as a script of their own
would, without the engine's world in its heap. There is no assertion on time: record the figures in
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_engine  # noqa: E402
from bench_engine import FLAGSHIP, SEED, check_raw_count, engine_pass, event_mix, raw_pass  # noqa: E402

from scenarios.loader import load_scenario  # noqa: E402
from simulation.model.world import build_world  # noqa: E402

HORIZON = 14400.0
NIGHT_DESKS = ("emergency_bureau", "street_S1", "street_S2", "street_S3", "street_S4")
"""One of two staff off duty from 22:00 at each."""
DESKS = {"centre_119": 10, "fire_brigade": 4, "property": 1, "district_gov": 2, "police": 4, "centre_120": 4,
         "health": 2, "city_gov": 2, "housing": 2, "emergency_bureau": 2, "street_S3": 2, "street_S1": 2,
         "street_S2": 2, "street_S4": 2, "platform": 2}
# The relay's notices in order, each a path of desks (a case for the police and 120 passes their centres).
NOTICES = [("district_gov",), ("fire_brigade",), ("street_S3",), ("police",), ("centre_120", "health"),
           ("housing",), ("emergency_bureau",), ("district_gov", "city_gov"), ("street_S3",), ("centre_119",),
           ("police", "centre_119")]
# (task, unit kind, units, predecessors, owner)
TASKS = [("first_response", "property_staff", 2, (), "property"),
         ("first_attack", "micro_engine", 2, (), "street_S3"),
         ("fire_attack", "engine", 4, (), "fire_brigade"),
         ("search_rescue", "ladder", 1, ("first_response",), "fire_brigade"),
         ("cordon", "patrol", 2, (), "police"),
         ("traffic_control", "traffic", 2, ("cordon",), "police"),
         ("triage_transport", "ambulance", 2, ("search_rescue",), "health"),
         ("structural_assessment", "engineer", 1, ("fire_attack",), "housing"),
         ("resettlement", "street_staff", 2, ("structural_assessment",), "street_S3")]
FLEET = {"property_staff": 2, "micro_engine": 2, "engine": 6, "ladder": 2, "patrol": 4, "traffic": 2,
         "ambulance": 4, "engineer": 1, "street_staff": 2}
WORK_ORDERS = ("structural_assessment", "resettlement")
WATCH_LOOKS = 21  # the commander looks at the fire every minute until its triggers have fired


class MinimalFire:
    """One replication of the flagship's incident flow in plain SimPy."""

    def __init__(self, seed: int, replication: int) -> None:
        self.env = env = simpy.Environment()
        rng = np.random.default_rng([seed, replication])
        # every value this replication needs, in bulk
        self.lat = rng.lognormal(np.log(20.0), 0.8, 64).tolist()
        self.hand = rng.lognormal(np.log(45.0), 0.5, 64).tolist()
        self.dur = rng.lognormal(np.log(900.0), 0.5, 64).tolist()
        self.travel = rng.uniform(120.0, 600.0, 64).tolist()
        self.i_lat = self.i_hand = self.i_dur = self.i_travel = 0
        self.desks = {a: simpy.PriorityResource(env, capacity=c) for a, c in DESKS.items()}
        self.free = {k: list(range(n)) for k, n in FLEET.items()}
        self.waiting: dict[str, collections.deque] = {k: collections.deque() for k in FLEET}
        self.known: dict[str, simpy.Event] = {}
        self.done = {t[0]: env.event() for t in TASKS}
        self.records: list[tuple] = []
        for agency in NIGHT_DESKS:
            env.process(self.off_duty(self.desks[agency]))
        env.process(self.incident())

    # -- values --------------------------------------------------------------------------------------
    def _lat(self) -> float:
        self.i_lat += 1
        return self.lat[self.i_lat & 63]

    def _hand(self) -> float:
        self.i_hand += 1
        return self.hand[self.i_hand & 63]

    def _dur(self) -> float:
        self.i_dur += 1
        return self.dur[self.i_dur & 63]

    def _travel(self) -> float:
        self.i_travel += 1
        return self.travel[self.i_travel & 63]

    # -- desks and messages -------------------------------------------------------------------------
    def off_duty(self, desk: simpy.PriorityResource) -> Generator:
        yield self.env.timeout(0.0)  # night already: off duty at once, until 06:00 (after the horizon)
        req = desk.request(priority=-1)
        yield req
        yield self.env.timeout(6 * 3600.0)

    def at_desk(self, agency: str) -> Generator:
        env = self.env
        with self.desks[agency].request(priority=0) as req:
            yield req
            t0 = env.now
            yield env.timeout(self._hand())
        self.records.append(("desk", agency, t0, env.now))

    def send(self, path: tuple[str, ...]) -> Generator:
        for dst in path:
            yield self.env.timeout(self._lat())
            yield from self.at_desk(dst)

    def knows(self, agency: str) -> simpy.Event:
        ev = self.known.get(agency)
        if ev is None:
            ev = self.known[agency] = self.env.event()
        return ev

    def notify(self, path: tuple[str, ...]) -> Generator:
        ev = self.knows(path[-1])
        if ev.triggered:
            return
        yield from self.send(path)
        if not ev.triggered:
            ev.succeed(self.env.now)

    # -- units ------------------------------------------------------------------------------------------
    def request(self, kind: str, count: int) -> simpy.Event:
        ev = self.env.event()
        free = self.free[kind]
        if free:
            got, self.free[kind] = free[:count], free[count:]
            ev.succeed(got)
        else:
            self.waiting[kind].append((ev, count))
        return ev

    def release(self, kind: str, units: list[int]) -> None:
        for u in units:
            self.env.timeout(self._travel()).callbacks.append(lambda _e, u=u: self._back(kind, u))

    def _back(self, kind: str, u: int) -> None:
        line = self.waiting[kind]
        if line:
            ev, _count = line.popleft()
            ev.succeed([u])
        else:
            self.free[kind].append(u)

    # -- the incident --------------------------------------------------------------------------------------
    def incident(self) -> Generator:
        env = self.env
        yield env.timeout(60.0 + self._lat())  # detection race won by the citizen's call
        yield from self.at_desk("centre_119")
        self.knows("centre_119").succeed(env.now)
        t_report = env.now
        yield env.timeout(self._lat())  # verification
        env.process(self.notify(("fire_brigade",)))  # 119 alerts its service …
        env.process(self.notify(("property",)))  # … and calls the building's fire-control room
        env.process(self.command_post())
        env.process(self.city_command())
        env.process(self.watch())
        for t in TASKS:
            env.process(self.task(*t))
        for path in NOTICES:
            yield from self.notify(path)
        self.records.append(("incident", t_report, env.now))

    def command_post(self) -> Generator:
        ev = self.knows("district_gov")
        if not ev.triggered:
            yield ev
        yield self.env.timeout(self._dur())

    def city_command(self) -> Generator:
        yield from self.send(("city_gov",))
        yield self.env.timeout(self._dur())

    def watch(self) -> Generator:
        for _ in range(WATCH_LOOKS):
            yield self.env.timeout(60.0)

    def task(self, tid: str, kind: str, count: int, after: tuple[str, ...], owner: str) -> Generator:
        env = self.env
        if after:
            yield env.all_of([self.done[p] for p in after])
        available = env.now
        if tid in WORK_ORDERS:  # the order goes to the agency; it signs before the deadline (or not)
            yield from self.send((owner,))
            sign = env.timeout(self._lat())
            yield sign | env.timeout(1800.0)
            env.process(self.send((owner, "platform")))  # the signed order reported back
        ev = self.knows(owner)
        if not ev.triggered:
            yield ev
        yield env.timeout(self._lat())  # decision
        units = yield self.request(kind, count)
        yield env.timeout(self._travel())
        arrived = env.now
        yield env.timeout(self._lat())  # set-up
        yield env.timeout(self._dur())  # the work
        self.done[tid].succeed(env.now)
        self.release(kind, units)
        self.records.append(("task", tid, owner, available, arrived, env.now))

    def run(self) -> MinimalFire:
        self.env.run(until=HORIZON)
        return self


def own_heap(run: Callable[..., float], *args: object) -> float:
    """``run(*args)`` with this process's long-lived objects (the engine's built world, scenario and modules) set
    aside by the collector (:func:`gc.freeze`), the default thresholds kept: a script of the plain SimPy model alone
    would not have them in memory, and an occasional full collection traversing them (~25 ms) would be charged to
    the model that never made them."""
    gc.freeze()
    try:
        return run(*args)
    finally:
        gc.unfreeze()


def minimal_pass(n: int) -> float:
    t0 = time.perf_counter()
    for r in range(n):
        MinimalFire(SEED, r).run()
    return time.perf_counter() - t0


def minimal_mix(n: int) -> tuple[dict[str, int], list[int]]:
    """Processed events by SimPy class over ``n`` replications (untimed), and events per replication."""
    mix: collections.Counter[str] = collections.Counter()
    per_rep = []
    for r in range(n):
        m = MinimalFire(SEED, r)
        env, step, count = m.env, m.env.step, [0]

        def counted(env=env, step=step, count=count) -> None:
            if env._queue:
                mix[type(env._queue[0][3]).__name__] += 1
                count[0] += 1
            step()

        env.step = counted  # type: ignore[method-assign]
        m.run()
        per_rep.append(count[0])
    return dict(mix.most_common()), per_rep


def measure(n: int, repeats: int) -> dict:
    load_before = os.getloadavg()
    sc = load_scenario(FLAGSHIP)
    world = build_world(sc, str(FLAGSHIP))
    engine_pass(world, min(n, 10))  # warm-up: imports, caches, lazy paths
    minimal_pass(min(n, 10))
    _, events = engine_pass(world, n)
    delays = np.random.default_rng(SEED).exponential(60.0, size=5 * max(events) + 16).tolist()
    check_raw_count(events, delays)
    t_eng, t_min, t_raw = [], [], []
    cpu: dict[str, list[float]] = {"engine": [], "minimal": [], "raw": []}
    passes = (("engine", t_eng, lambda: engine_pass(world, n)[0]),
              ("minimal", t_min, lambda: own_heap(minimal_pass, n)), ("raw", t_raw, lambda: own_heap(raw_pass, events,
                                                                                                   delays)))
    for _ in range(repeats):  # interleaved: load from other jobs hits every variant alike
        for name, wall, run in passes:
            c0 = time.process_time()  # CPU seconds too: on a shared machine, waiting for a core is not cost
            wall.append(run())
            cpu[name].append(time.process_time() - c0)
    e_mix = event_mix(world, min(n, 100))
    m_mix, m_events = minimal_mix(min(n, 100))
    med = {k: statistics.median(v) for k, v in (("engine", t_eng), ("minimal", t_min), ("raw", t_raw))}
    return {
        "replications": n, "repeats": repeats, "seed": SEED, "engine_settled": bench_engine.SETTLED,
        "seconds_median": med, "seconds_all": {"engine": t_eng, "minimal": t_min, "raw": t_raw},
        "reps_per_s": {k: n / v for k, v in med.items()},
        "ratio_engine_minimal": med["minimal"] / med["engine"],
        "cpu_seconds_median": {k: statistics.median(v) for k, v in cpu.items()},
        "ratio_engine_minimal_cpu": statistics.median(cpu["minimal"]) / statistics.median(cpu["engine"]),
        "ratio_engine_raw_events": med["raw"] / med["engine"],
        "ratio_minimal_raw_events": (sum(m_events) / min(n, 100) * n / med["minimal"]) / (sum(events) / med["raw"]),
        "events_per_rep": {"engine": sum(events) / n, "minimal": sum(m_events) / len(m_events)},
        "mix_engine": e_mix, "mix_minimal": m_mix,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "simpy": simpy.__version__,
                    "numpy": np.__version__, "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
                    "load_before": load_before},
    }


def print_table(res: dict) -> None:
    m = res["machine"]
    print(f"flagship, {res['replications']} replications, seed {res['seed']}, median of {res['repeats']} interleaved "
          f"repeats · {m['cores']} cores · Python {m['python']} · SimPy {m['simpy']} · {m['date']} · "
          f"load {m['load_before'][0]:.1f} → {m.get('load_after', (float('nan'),))[0]:.1f} · engine "
          + ("in settled_world (as linkage run)" if res["engine_settled"] else "without settled_world"))
    for k in ("engine", "minimal", "raw"):
        print(f"  {k:8} {res['seconds_median'][k]:7.3f} s   {res['reps_per_s'][k]:8.1f} replications/s")
    print(f"engine ÷ minimal model (replications/s): {res['ratio_engine_minimal']:.3f} wall, "
          f"{res['ratio_engine_minimal_cpu']:.3f} CPU")
    print(f"engine ÷ raw SimPy (events/s, same event count): {res['ratio_engine_raw_events']:.3f}")
    print(f"minimal model ÷ raw SimPy (events/s): {res['ratio_minimal_raw_events']:.3f}")
    for who in ("engine", "minimal"):
        mix = res[f"mix_{who}"]
        tot = sum(mix.values())
        print(f"  {who:8} {res['events_per_rep'][who]:6.1f} events/replication: "
              + ", ".join(f"{k} {v / tot:.1%}" for k, v in mix.items()))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--replications", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--unsettled", action="store_true",
                    help="run the engine's replications without settled_world (the collector's freeze)")
    args = ap.parse_args(argv)
    if args.unsettled:
        bench_engine.SETTLED = False
    res = measure(args.replications, args.repeats)
    res["machine"]["load_after"] = os.getloadavg()
    print(json.dumps(res, indent=2) if args.json else "", end="")
    print_table(res)


if __name__ == "__main__":
    main()
