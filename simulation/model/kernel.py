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

Extension point: code outside the engine may step the clock with :meth:`CountingEnvironment.step` (a drill
does), which keeps the count and the clock.
"""

from __future__ import annotations

from collections.abc import Generator
from heapq import heappop, heappush
from types import GeneratorType, MethodType

import simpy
from simpy.core import NORMAL, URGENT, BoundClass, EmptySchedule, StopSimulation
from simpy.events import PENDING, Event, Initialize, Process, Timeout

_new = object.__new__
_BOUND = tuple((name, obj.cls) for name, obj in vars(simpy.Environment).items()
               if type(obj) is BoundClass and name not in ("timeout", "process", "event"))
"""SimPy's event constructors bound per instance (``timeout``, ``process`` and ``event`` are the kernel's own)."""


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
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    event = gen.throw(exc)
            except StopIteration as e:
                event = self._resume_cb = None  # a finished process is no longer its own referrer (no cycle left)
                self._ok, self._value = True, e.value
                heappush(env._queue, (env._now, NORMAL, next(env._eid), self))
                break
            except BaseException as e:
                event = self._resume_cb = None
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
        super().__init__()
        self.now = self._now
        self.events_processed = 0
        # SimPy binds its event constructors (event, all_of, any_of …) to the instance only for attributes of the
        # instance's own class: a subclass would otherwise build a bound method through a descriptor per call.
        for name, cls in _BOUND:
            setattr(self, name, MethodType(cls, self))

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
        return proc

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
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

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
                    exc = type(event._value)(*event._value.args)  # a failed, undefused event crashes the run
                    exc.__cause__ = event._value
                    raise exc
        finally:
            self.events_processed += n
