"""The unit pool (单元调度): free units, dispatch requests, a first-come-first-served waiting line.

A request names the unit kind, who may send it (the owner's agency, or anyone under nearest-unit
dispatch), the incident's grid and how many units; it is served at once from the free units in the
scenario's dispatch order, or handed to a neighbouring district (:data:`MUTUAL_AID`), or waits in line
until a unit comes back.

Cost grows with the work, not the city (issue 17): a request walks the grid's precomputed ranking
(:class:`~simulation.model.dispatch_index.NearestIndex`) and stops at the ``count``-th free unit when the
Policy takes the first candidates (the automatic one does); the waiting line is kept per unit kind and a
returning unit is offered only to requests it can serve, in order of arrival.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import simpy

from simulation.model.context import Collaborator, Context
from simulation.model.policy import IncidentView
from simulation.model.world import Unit


class MutualAid:
    """The value of a request handed to a neighbouring district (跨区支援): no local unit goes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MUTUAL_AID"


MUTUAL_AID = MutualAid()


@dataclass(slots=True, eq=False)  # identity: the waiting line removes this very request
class UnitRequest:
    """A dispatch request: ``event`` succeeds with the units sent (a list) or :data:`MUTUAL_AID`."""

    event: simpy.Event
    kind: str
    agencies: frozenset[str] | None
    """Whose units may go; ``None``: any agency's (nearest first)."""
    grid: int
    count: int
    view: IncidentView
    task: str


class PoolWatcher(Protocol):
    """Extension point: told of every move of the pool, in order (the property tests keep an account of their own
    from it; a tracer could). It must not change what the pool does."""

    def requested(self, req: UnitRequest) -> None: ...
    def handed_out(self, req: UnitRequest, units: list[Unit]) -> None: ...
    def withdrawn(self, req: UnitRequest) -> None: ...
    def released(self, unit: Unit) -> None: ...
    def back(self, unit: Unit) -> None: ...


class _FreeOfKind(dict):
    """Kind → the set of its free units, made from the pool's free flags when first asked for and kept up to date
    from then on. Only a kind whose ranking was cut off (a fleet larger than the ranking) is ever asked for, when all
    its ranked units are busy: most replications make none (issue 17: making every kind's set cost ~1 % of a
    flagship replication, and keeping them up to date about as much again)."""

    def __init__(self, free: list[bool], indices: dict[str, tuple[int, ...]]) -> None:
        super().__init__()
        self._free, self._indices = free, indices

    def __missing__(self, kind: str) -> set[int]:
        free = self._free
        got = self[kind] = {i for i in self._indices.get(kind, ()) if free[i]}
        return got


class UnitPool(Collaborator):
    """Which units are free, and who waits for one."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.dispatch = self.sc.dispatch
        self.units = self.world.units
        self.free = [True] * len(self.units)
        self.index = self.world.nearest
        self._walks = self.index.walks  # the index's rankings, read directly: a request's hottest look-up
        self._fixed_turnout = self.index.fixed_turnout
        # kind → the free units of that kind (for ranking a few directly when every ranked unit is busy)
        self.free_of_kind: dict[str, set[int]] = _FreeOfKind(self.free, self.world.unit_indices_by_kind)
        # read on every request and return: plain attributes, not chains through the scenario (issue 17)
        self._item = self.world.travel.item
        self._by_hour = self.dispatch.travel_factor_by_hour
        self._clock_start = self.sc.clock_start
        # kind → requests waiting for a unit of that kind, first come first served
        self.waiting: dict[str, deque[UnitRequest]] = {}
        # A Policy that takes the first ``count`` candidates needs only those, not the whole ranked fleet.
        self._first_only = getattr(type(self.policy).choose_units, "takes_first", False)
        self.watcher: PoolWatcher | None = None
        """Told of every move (:class:`PoolWatcher`); none in a normal run."""

    def request(
        self, kind: str, agencies: frozenset[str] | None, grid: int, count: int, view: IncidentView, task: str
    ) -> simpy.Event:
        """Ask for ``count`` units of ``kind`` for ``grid``; the event's value is the units or MUTUAL_AID."""
        event = self.env.event()
        if self.watcher is None:  # the usual case: a request met at once needs no UnitRequest (issue 17)
            sent = self._take(kind, agencies, grid, count, view, task)
            if sent is not None:
                return event.succeed(sent)
        req = UnitRequest(event, kind, agencies, grid, count, view, task)
        if self.watcher is not None:  # watched: told of the request before it is met (or not)
            self.watcher.requested(req)
            if self._try_assign(req):
                return event
        if self.dispatch.when_all_busy == "mutual_aid":
            event.succeed(MUTUAL_AID)
        else:
            self.waiting.setdefault(kind, deque()).append(req)
        return event

    def withdraw(self, event: simpy.Event) -> bool:
        """Take a waiting request out of the line (it will be met elsewhere); ``False`` if it is not waiting."""
        for line in self.waiting.values():
            for req in line:
                if req.event is event:
                    line.remove(req)
                    if self.watcher is not None:
                        self.watcher.withdrawn(req)
                    return True
        return False

    def met_or_done(self, event: simpy.Event, done: simpy.Event, *also: simpy.Event) -> simpy.Event:
        """For a request ``event`` still waiting for units of work already under way (a second alarm, an assisting
        party's share): the event that fires when it is met, when ``also`` fires, or when its work ends (``done``).
        In the last case it is stood down — withdrawn the moment ``done`` is processed, before a unit released at
        that instant comes back and is offered to it (a same-instant return, travel 0) — and stays untriggered."""
        if done.processed:
            self.withdraw(event)
        else:
            done.callbacks.append(lambda _e: self.withdraw(event))
        return self.env.any_of([event, *also, done])

    def candidates(self, kind: str, agencies: frozenset[str] | None, grid: int, limit: int | None = None) -> list[Unit]:
        """Free eligible units in the scenario's dispatch order (ties broken by unit order); with ``limit``,
        only the first ``limit`` of them — found by walking the grid's ranking, not by sorting the fleet."""
        if limit is not None:
            return self._first_free(kind, agencies, grid, limit)
        return self._all_free(kind, agencies, grid)

    def _first_free(self, kind: str, agencies: frozenset[str] | None, grid: int, limit: int) -> list[Unit]:
        known = self.free_of_kind.get(kind)  # kept only for a kind that went past its ranking before
        if known is not None and not known:
            return []
        ranked, cut = self._walks.get((kind, agencies, grid)) or self.index.walk(kind, agencies, grid)
        free, units = self.free, self.units
        out: list[Unit] = []
        for i in ranked:
            if free[i]:
                out.append(units[i])
                if len(out) == limit:
                    return out
        if not cut:
            return out
        # Every ranked unit nearer than the cut is busy: rank the free ones directly (few, under such load).
        travel, index = self.world.travel, self.index
        more = [units[i] for i in self.free_of_kind[kind] if (agencies is None or units[i].agency in agencies)
                and math.isfinite(travel[units[i].station_row, grid]) and index.may_go(i, grid)]
        more.sort(key=self.index.sort_key(grid))
        return more[:limit]

    def _all_free(self, kind: str, agencies: frozenset[str] | None, grid: int) -> list[Unit]:
        w, free = self.world, self.free
        order = self.dispatch.order
        pref = w.preferences.get(grid) if order == "preference" else None
        if pref is not None:
            units = w.units
            return [
                units[i]
                for i in pref
                if free[i] and units[i].kind == kind and (agencies is None or units[i].agency in agencies)
            ]
        travel = w.travel
        cand = [
            u
            for u in w.units_by_kind.get(kind, ())
            if free[u.index]
            and (agencies is None or u.agency in agencies)
            and math.isfinite(travel[u.station_row, grid])
            and (w.areas is None or w.areas.may_go(u, grid))
        ]
        if w.areas is not None:
            cand.sort(key=w.areas.sort_key(grid))
        elif order == "own_jurisdiction":
            street = int(w.citymap.street[grid])
            cand.sort(key=lambda u: (w.unit_street[u.index] != street, travel[u.station_row, grid], u.index))
        else:
            cand.sort(key=lambda u: (travel[u.station_row, grid], u.index))
        return cand

    def _try_assign(self, req: UnitRequest) -> bool:
        """Meet ``req`` now if units are free: ``True`` when it was."""
        sent = self._take(req.kind, req.agencies, req.grid, req.count, req.view, req.task)
        if sent is None:
            return False
        if self.watcher is not None:
            self.watcher.handed_out(req, list(sent))
        req.event.succeed(sent)
        return True

    def _take(self, kind: str, agencies: frozenset[str] | None, grid: int, count: int, view: IncidentView,
              task: str) -> list[Unit] | None:
        """The units the Policy sends from the free candidates, now busy; ``None`` if no candidate is free."""
        if self._first_only:
            free = self._first_free(kind, agencies, grid, count)
        else:
            free = self._all_free(kind, agencies, grid)
        if not free:
            return None
        chosen = self.policy.choose_units(view, task, count, free)
        if isinstance(chosen, simpy.Event):  # a human picks: holding the units meanwhile is out of scope
            chosen = free[:count]
        sent = list(chosen)
        is_free, free_of_kind = self.free, self.free_of_kind
        for u in sent:
            is_free[u.index] = False
            of_kind = free_of_kind.get(u.kind)
            if of_kind is not None:
                of_kind.discard(u.index)
        return sent

    def road_factor(self) -> float:
        """The hour's congestion multiplier on travel times (1 on free-flowing roads)."""
        by_hour = self._by_hour
        if by_hour is None:
            return 1.0
        return by_hour[int((self._clock_start + self.env._now) % 86400 // 3600)]

    def first_arrival(self, units: list[Unit], grid: int) -> tuple[float, str]:
        """Seconds until the first of ``units`` is on scene (turnout + travel at this hour) and which unit."""
        item, factor, draws, fixed = self._item, self.road_factor(), self.streams.draws, self._fixed_turnout
        # min() and the first unit to reach it, without a list: each unit draws its turnout in order, and a later
        # unit replaces the first only when strictly earlier (as min() does; ties go to the first)
        first, who = None, units[0]
        for u in units:
            turnout = fixed[u.index]
            if turnout is None:
                turnout = draws("turnout", u.name, u.turnout)()
            t = turnout + item(u.station_row, grid) * factor
            if first is None or t < first:
                first, who = t, u
        return first, who.name

    def mutual_aid_delay(self) -> float:
        """Seconds until a neighbouring district's unit is on scene (跨区支援)."""
        return self.streams.draw("turnout", "mutual_aid", self.dispatch.mutual_aid_travel)

    def release(self, units: list[Unit], grid: int, on_back: Callable[[Unit, float], None] | None = None) -> None:
        """The units leave the scene for their stations; each is free again when it is back."""
        item, env, factor, watcher, back_cb = self._item, self.env, self.road_factor(), self.watcher, self._unit_back
        now = env.now
        for u in units:
            if watcher is not None:
                watcher.released(u)
            back = item(u.station_row, grid) * factor
            if on_back is not None:
                on_back(u, now + back)
            env.timeout(back, u).callbacks.append(back_cb)  # the unit rides on its timeout: no closure per unit

    def _unit_back(self, event: simpy.Event) -> None:
        """The unit (the event's value) is free again: the first request waiting for its kind that it may serve
        takes it.

        Requests of other kinds, and those this unit may not serve, found no free unit when they last
        tried and nothing they could use has come back since — so they are not tried again.
        """
        unit = event._value
        if self.watcher is not None:
            self.watcher.back(unit)
        self.free[unit.index] = True
        of_kind = self.free_of_kind.get(unit.kind)
        if of_kind is not None:
            of_kind.add(unit.index)
        line = self.waiting.get(unit.kind)
        if not line:
            return
        for req in line:
            if self._may_serve(unit, req) and self._try_assign(req):
                line.remove(req)
                break

    def _may_serve(self, unit: Unit, req: UnitRequest) -> bool:
        """Whether ``unit`` is among the units ``req`` may be sent (its senders, its grid's ranking)."""
        if req.agencies is not None and unit.agency not in req.agencies:
            return False
        if self.dispatch.order == "preference":
            pref = self.world.preferences.get(req.grid)
            if pref is not None:
                return unit.index in pref
        return math.isfinite(self.world.travel[unit.station_row, req.grid]) and self.index.may_go(unit.index, req.grid)

    def aid_tier(self, units: list[Unit], grid: int) -> int:
        """Where the first of ``units`` came from (:data:`~simulation.model.station_areas.TIERS`; own area
        without station areas)."""
        areas = self.world.areas
        return 0 if areas is None or not units else areas.tier_of(units[0], grid)
