"""Duty desks (值班台): a SimPy priority resource per desk, with its night shift."""

from __future__ import annotations

import math
from bisect import insort_right
from collections.abc import Callable, Generator, Sequence
from heapq import heappush

import simpy
from simpy.core import NORMAL
from simpy.resources.resource import PriorityRequest, Release, SortedQueue

from simulation.model.holds import Route
from simulation.model.records import DeskUse

NIGHT_START, NIGHT_END = 22 * 3600, 6 * 3600
"""Night shift, seconds after midnight: desks with fewer night staff lose slots from 22:00 to 06:00."""


_new = object.__new__


def is_night(time_of_day: float) -> bool:
    return time_of_day >= NIGHT_START or time_of_day < NIGHT_END


def _key(request: PriorityRequest) -> tuple:
    return request.key


class DeskQueue(SortedQueue):
    """SimPy's sorted request queue without a length limit: a plain list's construction, and a new request
    put at its place by bisection — where SimPy's stable re-sort of the whole queue puts it (after equal keys)."""

    maxlen = None
    __init__ = list.__init__  # no maxlen to set per instance

    def append(self, item: PriorityRequest) -> None:
        insort_right(self, item, key=_key)


class DeskLine(simpy.PriorityResource):
    """The queue at a duty desk: SimPy's ``PriorityResource``, built without SimPy's per-instance binding of its
    event constructors (``BoundClass.bind_early``: ~10 µs of a ~14 µs build; desks are built per replication).
    The same requests, releases and queue order — only the construction is cheaper."""

    get_queue: tuple = ()  # SimPy's queue of releases waiting to be made: a release here is made at once

    def __init__(self, env: simpy.Environment, capacity: int) -> None:  # noqa: D107 — the state SimPy's sets
        self._env, self._capacity = env, capacity
        self.put_queue = self.queue = DeskQueue()
        self.users: list = []

    def clear(self) -> None:
        """Empty the slots and the line once the run is over (a request holds its desk and the desk its requests:
        left as they are, only the cyclic collector would free them)."""
        self.users.clear()
        self.put_queue.clear()

    def request(self, priority: int = 0, preempt: bool = True) -> PriorityRequest:
        """SimPy's ``PriorityRequest``, queued by its key; the queue's head is served at once if a person is
        free (SimPy's ``_trigger_put``, which stops after the head). The request's own callback
        ``_trigger_get`` is left out: the get queue only ever holds a release while it is being made."""
        env = self._env
        req = _new(PriorityRequest)
        now = env._now
        req.priority, req.preempt, req.time, req.key = priority, preempt, now, (priority, now, not preempt)
        req.env, req.callbacks, req.resource, req.proc = env, [], self, env._active_proc
        queue = self.put_queue
        if not queue and len(self.users) < self._capacity:
            self._serve(req, env, now)  # nobody waiting, a person free: SimPy queues it and serves the head, it
            return req
        insort_right(queue, req, key=_key)
        if len(self.users) < self._capacity:
            self._serve(queue.pop(0), env, now)
        return req

    def release(self, request: PriorityRequest) -> Release:
        """SimPy's ``Release``: the user leaves at once; the event, when processed, serves the queue's head."""
        env = self._env
        rel = _new(Release)
        rel.request, rel.env, rel.resource, rel.proc = request, env, self, env._active_proc
        rel.callbacks = [self._trigger_put]
        try:
            self.users.remove(request)
        except ValueError:
            pass
        rel._ok, rel._value = True, None
        heappush(env._queue, (env._now, NORMAL, next(env._eid), rel))
        return rel

    def _trigger_put(self, _event: object) -> None:
        """SimPy's loop over the put queue for a ``PriorityResource``: it serves the head if a person is free."""
        queue = self.put_queue
        if queue and len(self.users) < self._capacity:
            env = self._env
            self._serve(queue.pop(0), env, env._now)

    def _serve(self, req: PriorityRequest, env: simpy.Environment, now: float) -> None:
        self.users.append(req)
        req.usage_since = now
        req._ok, req._value = True, None
        heappush(env._queue, (now, NORMAL, next(env._eid), req))


class Desk(DeskLine):
    """A duty desk: its queue (:class:`DeskLine`, one slot per person on duty), its name and handling time.

    When the agency has fewer staff at night, the missing slots are held by 'off-duty' requests with
    higher priority from 22:00 to 06:00, so messages queue for the people actually there.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        staff: int,
        handling,  # a named stream (rng.Streams.draws): seconds per message
        night_staff: int | None,
        clock_start: float,
        horizon: float,
        trace: bool,
    ) -> None:
        super().__init__(env, staff)
        self.name, self.staff, self.handling = name, staff, handling
        self.uses: list[DeskUse] | None = [] if trace else None
        if night_staff is not None and night_staff < staff:
            for _ in range(staff - night_staff):
                env.process(self._off_duty(env, clock_start, horizon))

    def handle(self, env: simpy.Environment, route: Route | None = None) -> Generator:
        """Receive one message: queue for a person on duty, then the handling time (``yield from`` it).

        With ``route``, a message that cannot be taken at once is recorded there as a hold (and why)."""
        req = self.request(0)
        hold = None if route is None or req.triggered else route.wait(self.name, env.now, self.hold_reason())
        try:  # ``with self.request() as req`` without its four Python calls on the way out
            yield req
            start = env.now
            if hold is not None:
                hold.end = start
            yield env.timeout(self.handling())
            if self.uses is not None:
                self.uses.append(DeskUse(self.name, start, env.now, self.staff))
        except BaseException as exc:  # an interrupt, or the generator closed: what the with statement does
            req.__exit__(type(exc), exc, exc.__traceback__)
            if hold is not None and isinstance(exc, simpy.Interrupt) and math.isnan(hold.end):
                hold.end = env.now  # withdrawn from the queue (a supervised work order): the wait ends here
            raise
        self.release(req)

    def hold_reason(self) -> str:
        """Why a message must wait now (``holds.DESK_HOLDS``): the off-duty holders of the night shift's empty
        chairs (priority −1, in a slot or about to take one) are counted against the staff."""
        off = sum(1 for r in self.users if r.priority < 0) + sum(1 for r in self.queue if r.priority < 0)
        return "desk_night_empty" if off >= self.staff else "desk_night_short" if off else "desk_busy"

    def _off_duty(self, env: simpy.Environment, clock_start: float, horizon: float) -> Generator:
        while True:
            tod = (clock_start + env.now) % 86400
            wait = 0.0 if is_night(tod) else NIGHT_START - tod  # until the next 22:00
            if env.now + wait >= horizon:
                return
            yield env.timeout(wait)
            with self.request(priority=-1) as req:
                yield req  # the day officer finishes the message in hand, then goes off duty
                tod = (clock_start + env.now) % 86400
                if is_night(tod):
                    yield env.timeout((NIGHT_END - tod) % 86400)
            if env.now >= horizon:
                return


class DeskRoster(dict):
    """The duty desks of one replication, by agency id, each created on its first message.

    A flagship names ~24 agencies but only ~9 desks ever receive a message, so building every
    ``PriorityResource`` up front was a tenth of a replication's cost. A desk whose agency has fewer
    staff at night is created at once, as before: its off-duty processes start at time 0 and hold their
    slots from 22:00 (or from the start, at night) — a desk created later, mid-night, with a message
    already waiting, would let that message in ahead of the off-duty request; starting them eagerly keeps
    the event order, and so the results, unchanged.
    """

    def __init__(self, make: Callable[[str], Desk], night_staffed: Sequence[str]) -> None:
        super().__init__()
        self._make = make
        for agency in night_staffed:
            self[agency] = make(agency)

    def __missing__(self, agency: str) -> Desk:
        desk = self[agency] = self._make(agency)
        return desk
