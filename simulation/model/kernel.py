"""The engine's event kernel (事件内核): SimPy's environment and processes with their hot paths written once.

Every replication runs in a :class:`CountingEnvironment`. It processes SimPy's own events (``Timeout``,
``Process``, ``Initialize``, resource requests …) in SimPy's order — time, priority, then the event id as
the deterministic tie-breaker — so results are SimPy's to the bit (``tests/unit/test_engine_loop.py``
compares the loop with SimPy's). What differs is the number of Python calls per event:

* :meth:`CountingEnvironment.run` is SimPy's ``run(until)`` with ``step`` inlined, counting events;
* :meth:`CountingEnvironment.timeout` and :meth:`~CountingEnvironment.process` build and schedule SimPy's
  events in one call (SimPy takes two and three), their constant state on the class (:class:`EngineTimeout`,
  :class:`EngineInitialize`); a plain event's :meth:`EngineEvent.succeed` schedules it inline;
* ``now`` is a plain attribute, set where the clock moves (SimPy's is a property: ~250 reads a replication);
* :class:`EngineProcess` resumes its generator as SimPy's ``Process`` does, with the bound ``_resume`` made
  once per process (SimPy makes a new one on every ``yield``) and its end scheduled inline.

When a run's records have been read, :meth:`CountingEnvironment.close` ends the processes still waiting and
empties the queue, so the replication is freed by reference counting, not by the cyclic collector.

Extension point: code outside the engine may step the clock with :meth:`CountingEnvironment.step` (a drill
does), which keeps the count and the clock.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from heapq import heappop, heappush
from types import GeneratorType

import simpy
from simpy.core import NORMAL, URGENT, EmptySchedule, StopSimulation
from simpy.events import PENDING, AllOf, AnyOf, Event, Initialize, Process, Timeout

_new = object.__new__


def _own_copy(failure: BaseException) -> BaseException:
    """A failed event's exception as SimPy raises or throws it: a copy of its own, caused by the original (so one
    process's traceback does not change another's)."""
    exc = type(failure)(*failure.args)
    exc.__cause__ = failure
    return exc


class EngineEvent(Event):
    """SimPy's plain ``Event``, its :meth:`succeed` scheduling it inline (SimPy's calls ``Environment.schedule``):
    the same check, value and queue entry."""

    def succeed(self, value: object = None) -> EngineEvent:
        if self._value is not PENDING:
            raise RuntimeError(f"{self} has already been triggered")
        self._ok = True
        self._value = value
        env = self.env
        heappush(env._queue, (env._now, NORMAL, next(env._eid), self))
        return self


class EngineTimeout(Timeout):
    """SimPy's ``Timeout`` with the state every timeout has from birth — triggered, ok, no value unless given — on
    the class instead of set on each (~130 a replication)."""

    _ok = True
    _value = None


class EngineInitialize(Initialize):
    """SimPy's ``Initialize`` (a process's urgent first step), its constant state on the class."""

    _ok = True
    _value = None


class EngineProcess(Process):
    """SimPy's ``Process``, resumed in fewer steps; the same sends, throws, callbacks and end event.

    ``_resume_cb`` is the bound ``_resume`` made once: a process yields ~8 times, and SimPy's ``_resume``
    binds a new method object each time it waits. An interrupt removes ``_resume`` from its target's
    callbacks by equality, which a bound method made once still satisfies."""

    _resume_cb: object

    def _resume(self, event: Event) -> None:
        env = self.env
        env._active_proc = self
        gen = self._generator
        while True:
            try:
                if event._ok:
                    event = gen.send(event._value)
                else:  # as SimPy: the process handles the failure or fails itself, with its own copy
                    event._defused = True
                    event = gen.throw(_own_copy(event._value))
            except StopIteration as e:
                event = self._resume_cb = None  # a finished process is no longer its own referrer (no cycle left)
                del env._live[self]
                self._ok, self._value = True, e.value
                heappush(env._queue, (env._now, NORMAL, next(env._eid), self))
                break
            except BaseException as e:
                event = self._resume_cb = None
                env._live.pop(self, None)
                self._ok = False
                e.__traceback__ = e.__traceback__.tb_next  # as SimPy: this frame is no help to the reader
                self._value = e
                heappush(env._queue, (env._now, NORMAL, next(env._eid), self))
                break
            try:
                callbacks = event.callbacks
            except AttributeError:
                raise RuntimeError(f'Invalid yield value "{event}" in {self._generator.__name__}') from None
            if callbacks is not None:  # not yet processed: resume when it is
                callbacks.append(self._resume_cb)
                break
        self._target = event
        env._active_proc = None


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts processed events (``events_processed``) and keeps ``now`` as a field."""

    now: float = 0.0  # shadows SimPy's read-only property: an instance field, set wherever ``_now`` is

    def __init__(self) -> None:
        super().__init__()  # SimPy binds its event constructors to the instance, but only its own class's: none here
        self.now = self._now
        self.events_processed = 0
        # The processes not yet ended, in order of creation: :meth:`close` ends those still waiting at the horizon.
        self._live: dict[EngineProcess, None] = {}

    # SimPy's constructors are its ``BoundClass`` descriptors, bound per instance — an environment referring to
    # itself, so a replication's whole object graph was garbage only the cyclic collector could free. The
    # kernel's are plain methods.
    def all_of(self, events: Iterable[Event]) -> AllOf:
        """SimPy's ``env.all_of``."""
        return AllOf(self, events)

    def any_of(self, events: Iterable[Event]) -> AnyOf:
        """SimPy's ``env.any_of``."""
        return AnyOf(self, events)

    def timeout(self, delay: float = 0, value: object = None) -> Timeout:
        """SimPy's ``env.timeout``: the same ``Timeout`` event, scheduled the same way (``Timeout.__init__``
        and ``Environment.schedule`` inlined — a replication makes ~130 of them)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        ev = _new(EngineTimeout)
        ev.env = self
        ev.callbacks = []
        if value is not None:
            ev._value = value
        ev._delay = delay
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), ev))
        return ev

    def event(self) -> EngineEvent:
        """SimPy's ``env.event``: a plain event, pending (an :class:`EngineEvent`)."""
        ev = _new(EngineEvent)
        ev.env, ev.callbacks = self, []
        return ev

    def process(self, generator: Generator) -> Process:
        """SimPy's ``env.process``: an :class:`EngineProcess` and its urgent ``Initialize`` event, built inline."""
        if type(generator) is not GeneratorType and not hasattr(generator, "throw"):  # SimPy's check, plain type first
            raise ValueError(f"{generator} is not a generator.")
        proc = _new(EngineProcess)
        proc.env, proc.callbacks, proc._generator = self, [], generator
        proc._resume_cb = resume = proc._resume
        init = _new(EngineInitialize)
        init.env, init.callbacks = self, [resume]
        heappush(self._queue, (self._now, URGENT, next(self._eid), init))
        proc._target = init
        self._live[proc] = None
        return proc

    def close(self) -> None:
        """End what is left when the run is over: each process still waiting is closed (its generator gets the
        ``GeneratorExit`` the cyclic collector would give it later: the same handlers run), its wait is dropped,
        and the queue of events past the horizon is emptied. The replication's objects are then freed by
        reference counting as soon as nobody refers to them, instead of by the collector traversing them all
        (issue 17: the collector's ~60 µs of a flagship replication → none). The environment cannot run on."""
        live, self._live = self._live, {}
        waits = []
        for proc in live:
            if proc._value is PENDING:  # suspended at the horizon
                waits.append(proc._target)
                gen, proc._generator, proc._target, proc._resume_cb = proc._generator, None, None, None
                gen.close()
        while waits:  # what they waited on holds them (and a condition itself) in its callbacks: dropped
            ev = waits.pop()
            if ev is not None and ev.callbacks:
                ev.callbacks.clear()  # still pending (processed is callbacks None), waited on by nobody
                waits.extend(getattr(ev, "_events", ()))  # a condition's events hold it the same way
        for entry in self._queue:
            entry[3].callbacks = None
        self._queue.clear()

    def step(self) -> None:
        """SimPy's ``step``, counted, with ``now`` kept."""
        try:
            self.now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = self.now
        self.events_processed += 1
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:  # as SimPy: the callbacks not yet called wait for the next run
            event.callbacks = callbacks[callbacks.index(callback) + 1:]
            self.schedule(event, -1)
            raise
        if not event._ok and not hasattr(event, "_defused"):
            raise _own_copy(event._value)

    def run(self, until=None):  # noqa: ANN001, ANN201 — SimPy's signature
        if until is None or isinstance(until, simpy.Event):
            return super().run(until)
        at = until if isinstance(until, int) else float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = simpy.Event(self)  # as SimPy does: an urgent event at ``at``, before regular timeouts
        stop._ok, stop._value = True, None
        self.schedule(stop, URGENT, at - self._now)
        queue, n = self._queue, 0
        try:
            while True:
                now, _, _, event = heappop(queue)
                self._now = self.now = now
                n += 1
                if event is stop:  # SimPy's StopSimulation path: the stop event is put back, due at once
                    stop.callbacks = []
                    self.schedule(stop, -1)
                    return None
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    raise _own_copy(event._value)  # a failed, undefused event crashes the run
        finally:
            self.events_processed += n
