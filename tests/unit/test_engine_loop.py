"""The engine's event loop (``CountingEnvironment.run``) is SimPy's own loop with ``step`` inlined (issue 17,
engine speed): the same events in the same order, the same count — so the same results.

Reference: ``simpy.Environment.run`` (SimPy 4.1), which schedules an urgent stop event at ``until``, steps
until it is processed (counted as a step) and puts it back on the queue. Compared on the flagship with its
hazard model, where every decision hangs on the order of simultaneous events.
"""

from __future__ import annotations

import simpy

from scenarios.loader import load_scenario
from simulation.experiments.metrics import replication_metrics
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.helpers import FLAGSHIP


def _run(world, seed: int, simpys_loop: bool) -> Replication:
    rep = Replication(world, seed, 0)
    if simpys_loop:  # SimPy's loop, calling the counting step once per event
        rep.env.run = lambda until=None, env=rep.env: simpy.Environment.run(env, until)  # type: ignore[method-assign]
    return rep.run()


def test_the_inlined_loop_processes_what_simpys_loop_processes() -> None:
    world = build_world(load_scenario(FLAGSHIP))
    for seed in (1, 2, 3):
        ours, simpys = _run(world, seed, False), _run(world, seed, True)
        assert ours.env.events_processed == simpys.env.events_processed > 100
        assert ours.env.now == simpys.env.now == world.scenario.horizon
        assert len(ours.env._queue) == len(simpys.env._queue)  # the stop event put back, as SimPy does
        assert repr(replication_metrics(ours)) == repr(replication_metrics(simpys))  # repr: NaN equals NaN
        assert [(t.task, t.started, t.done, t.units) for t in ours.tasks] == \
               [(t.task, t.started, t.done, t.units) for t in simpys.tasks]
