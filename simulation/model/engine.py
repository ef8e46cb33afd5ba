"""The SimPy engine: one replication of a scenario on a built :class:`~simulation.model.world.World`.

:class:`Replication` is the composition root. It owns the environment, the named random streams and the
Policy, and wires the collaborators, each in its own module:

* :class:`~simulation.model.desk.Desk` — duty desks (值班台) with day and night staff;
* :class:`~simulation.model.doctrine.Doctrine` — what the arrangement says: who receives, relays, is
  notified, owns, dispatches;
* :class:`~simulation.model.messaging.Messaging` — messages along the coordination graph and who knows;
* :class:`~simulation.model.unit_pool.UnitPool` — free units, dispatch requests, the waiting line;
* :class:`~simulation.model.incident.IncidentLifecycle` and :class:`~simulation.model.task.TaskLifecycle`
  — the processes of one incident and of its tasks;
* :class:`~simulation.model.ledger.Ledger` — records, and routine tallies for long runs.

Hot path rules: no logging, no dict building per event; draws come from buffered named streams. A batch of
replications runs inside :func:`settled_world` (the runner does), so the collector leaves the world alone.
Extension points: :class:`~simulation.model.policy.Policy`; hazard models via ``scenarios.hazards``.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager

import simpy

from scenarios.schema import IncidentSpec
from simulation.model.arrivals import draw_stream
from simulation.model.context import Context
from simulation.model.desk import Desk, DeskRoster
from simulation.model.doctrine import Doctrine
from simulation.model.holds import mark_blocks
from simulation.model.incident import IncidentLifecycle, IncidentState
from simulation.model.kernel import CountingEnvironment
from simulation.model.ledger import Ledger
from simulation.model.messaging import Messaging
from simulation.model.policy import AutomaticPolicy, Policy
from simulation.model.records import IncidentRecord, TaskRecord, UnitUse, WorkOrderRecord
from simulation.model.response import ResponseLevels
from simulation.model.rng import Streams
from simulation.model.routine import RoutineTally
from simulation.model.task import TaskLifecycle
from simulation.model.unit_pool import UnitPool
from simulation.model.workorder import WorkOrders
from simulation.model.world import World


class Replication:
    """One replication: build processes, run to the horizon, collect records.

    Phases: construction wires the collaborators; :meth:`start` starts the processes; the environment
    runs (:meth:`run`, or a drill steps it); :meth:`finish` closes the books.
    """

    def __init__(
        self,
        world: World,
        seed: int,
        replication: int,
        policy: Policy | None = None,
        trace: bool = False,
        keep_routine: bool = True,
    ) -> None:
        sc = world.scenario
        self.world, self.sc, self.trace = world, sc, trace
        self.env = env = CountingEnvironment()
        self.streams = streams = Streams(seed, replication)
        self.policy: Policy = policy or AutomaticPolicy(world)
        agencies = world.agency_by_id

        def make_desk(agency: str) -> Desk:  # refers to the environment and streams, not to the replication
            a = agencies[agency]
            return Desk(env, a.id, a.desk.staff, streams.draws("desk", a.id, a.desk.handling),
                        a.desk.night_staff, sc.clock_start, sc.horizon, trace)

        self.desks = DeskRoster(make_desk, world.night_staffed)  # the others on their first message
        self.doctrine: Doctrine = world.doctrine  # shared by every replication of the world
        ctx = Context(self.env, world, self.streams, self.policy, self.doctrine, self.desks)
        self.messaging = ctx.messaging = Messaging(ctx)
        self.units = ctx.pool = UnitPool(ctx)
        self.ledger = ctx.ledger = Ledger(sc.horizon, keep_routine)
        self.levels = ResponseLevels(ctx)
        self.work_orders = WorkOrders(ctx)
        self.tasks_lifecycle = TaskLifecycle(ctx, self.work_orders, self.levels)
        self.lifecycle = IncidentLifecycle(ctx, self.tasks_lifecycle, self.levels)
        # The records, read by the experiments layer and the drill (the ledger's own lists, filled in place).
        led = self.ledger
        self.incidents: list[IncidentRecord] = led.incidents
        self.tasks: list[TaskRecord] = led.tasks
        self.unit_uses: list[UnitUse] = led.unit_uses
        self.work_order_records: list[WorkOrderRecord] = led.work_orders
        self.routine: RoutineTally | None = led.routine

    # -- incidents in play (read by the drill) --------------------------------------------------------

    @property
    def incident_states(self) -> tuple[IncidentState, ...]:
        """Primary incidents in play, in order of creation (routine ones folded into tallies are not)."""
        return tuple(self.ledger.states)

    def incident_state(self, incident: str) -> IncidentState | None:
        return next((s for s in self.ledger.states if s.spec.id == incident), None)

    def unit_is_free(self, unit_index: int) -> bool:
        """Whether the unit (by :attr:`Unit.index`) is at its station, free to be sent."""
        return self.units.free[unit_index]

    # -- run ----------------------------------------------------------------------------------------

    def run(self) -> Replication:
        self.start()
        self.env.run(until=self.sc.horizon)
        return self.finish()

    def start(self) -> None:
        """Start the incident processes; a drill then steps the clock itself and calls :meth:`finish`."""
        self.policy.bind(self)
        for inc in self.sc.incidents:
            self.env.process(self.lifecycle.run(inc))
        if self.sc.streams:
            self.env.process(self._arrivals())

    def close(self) -> None:
        """Let go of the replication once its records have been read (the runner does, after each): the
        processes still waiting at the horizon are ended and the event queue emptied
        (:meth:`CountingEnvironment.close`), so its thousand-odd objects are freed at once instead of by the
        cyclic collector. The records, the counts and the clock stay; the replication cannot run on."""
        self.env.close()
        for desk in self.desks.values():
            desk.clear()

    def finish(self) -> Replication:
        """Close the books at the horizon: unfinished tasks are abandoned, hazard outcomes are read."""
        self.ledger.finish()
        for st in self.ledger.states:
            for rec in st.tasks.values():  # which duty desk held each hand-off up (holds.py)
                mark_blocks(st, rec, self.sc.horizon, not self.doctrine.on_alarm(st.spec.type, rec.task))
            if st.hazard is not None:
                st.rec.outcomes = dict(st.hazard.outcomes(self.sc.horizon - st.spec.onset))
        return self

    def _arrivals(self) -> Generator:
        """One process feeds all routine incidents in time order, a day's worth drawn at a time."""
        env, sc = self.env, self.sc
        for day in range(int(math.ceil(sc.horizon / 86400.0))):
            routine: list[IncidentSpec] = []
            for stream in sc.streams:
                routine.extend(draw_stream(stream, sc, self.world.citymap, self.streams, day, self.ledger.calls))
            routine.sort(key=lambda i: (i.onset, i.id))
            for spec in routine:
                if spec.onset > env.now:
                    yield env.timeout(spec.onset - env.now)
                env.process(self.lifecycle.run(spec, started=True))

    # -- public messaging (extension point for drills and other policies) --------------------------

    def copy_notify(self, st: IncidentState, src: str, dst: str) -> simpy.Process:
        """Start a copy-notification (抄告) of incident ``st`` from ``src`` to ``dst`` along the graph."""
        return self.env.process(self.messaging.notify(st, src, dst))

    def message(self, src: str, dst: str) -> Generator:
        """A message from ``src`` to ``dst`` along the quickest channels (latency, loss, desks): ``yield from`` it."""
        yield from self.messaging.send(src, dst)


def run_replication(
    world: World, seed: int, replication: int, policy: Policy | None = None, trace: bool = False
) -> Replication:
    return Replication(world, seed, replication, policy, trace).run()


_settled = 0
_settled_lock = threading.Lock()
_outside_threshold: tuple[int, int, int] | None = None
YOUNG_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation inside a batch (Python's default: 700)."""


@contextmanager
def settled_world() -> Iterator[None]:
    """Run a batch of replications with what exists now — the scenario, the built world, the modules —
    set aside by the cyclic garbage collector (:func:`gc.freeze`), then put back (:func:`gc.unfreeze`).

    Why: a replication makes thousands of short-lived objects, and every full collection they trigger
    would traverse the ~80,000 long-lived objects of the process again (about a tenth of a flagship
    replication's CPU). Nothing the replications make is frozen, so their garbage is collected as before;
    what was alive before the batch is only examined again after it. Nested and concurrent batches share
    one freeze, lifted when the last ends. The results do not depend on it (no draw or event does).

    Inside the batch the youngest generation is collected every :data:`YOUNG_THRESHOLD` allocations instead
    of 700: a replication's objects live until it ends (its processes, events and records refer to each
    other), so a collection every 700 finds them alive, promotes them and traverses them again in the
    middle generation — ~4 % of a flagship replication's CPU saved (``benchmarks/README.md``), at the cost
    of at most that many more young objects alive. The threshold in force before is put back with the freeze.
    """
    global _settled, _outside_threshold
    with _settled_lock:
        if _settled == 0:
            gc.freeze()
            _outside_threshold = gc.get_threshold()
            gc.set_threshold(YOUNG_THRESHOLD, *_outside_threshold[1:])
        _settled += 1
    try:
        yield
    finally:
        with _settled_lock:
            _settled -= 1
            if _settled == 0:
                gc.unfreeze()
                if _outside_threshold is not None:
                    gc.set_threshold(*_outside_threshold)
