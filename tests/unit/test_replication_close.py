"""``Replication.close`` (issue 17, engine speed): once its records are read, a replication is let go of — the
processes still waiting at the horizon are ended and the event queue and desk lines emptied — so its objects are
freed by reference counting at once instead of by the cyclic collector traversing them all (about 60 µs of a
flagship replication's ~780). The records, the event count and the clock are untouched; the runner closes every
replication it has read (the golden tables are its results)."""

from __future__ import annotations

import gc
import weakref

from scenarios.loader import load_scenario
from simulation.experiments.metrics import replication_metrics
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.helpers import FLAGSHIP, SCENARIO_LIBRARY

ROUTINE_CITY = SCENARIO_LIBRARY.parents[1] / "tests" / "golden" / "routine_city.yaml"


def _read(rep: Replication) -> tuple:
    return (repr(replication_metrics(rep)), rep.env.events_processed, rep.env.now,
            [(t.task, t.status, t.owner, t.done, tuple(t.units)) for t in rep.tasks],
            [(u.unit, u.task, u.free) for u in rep.unit_uses])


def test_a_closed_replication_keeps_its_records_and_is_freed_without_the_collector() -> None:
    cases = ((FLAGSHIP, range(1, 9)), (SCENARIO_LIBRARY / "chemical_leak.yaml", range(1, 5)),
             (SCENARIO_LIBRARY / "crowd_crush.yaml", range(1, 3)), (ROUTINE_CITY, range(1, 3)))
    for path, seeds in cases:
        world = build_world(load_scenario(path))
        for seed in seeds:
            rep = Replication(world, seed, 0).run()
            assert rep.env._queue, "events past the horizon are waiting (the case close is for)"
            before = _read(rep)
            gc.disable()
            try:
                rep.close()
                assert _read(rep) == before
                env = weakref.ref(rep.env)
                del rep
                assert env() is None, f"{path.name} seed {seed}: the replication was left for the cyclic collector"
            finally:
                gc.enable()


def test_a_replication_not_closed_is_left_for_the_collector() -> None:
    """The check above can fail: without close, the waiting processes keep the replication in reference cycles."""
    world = build_world(load_scenario(FLAGSHIP))
    gc.disable()
    try:
        rep = Replication(world, 1, 0).run()
        env = weakref.ref(rep.env)
        del rep
        assert env() is not None
    finally:
        gc.enable()
    gc.collect()
    assert env() is None
