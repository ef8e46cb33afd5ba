"""The unit pool (单元调度): free units, dispatch requests, a first-come-first-served waiting line.

A request names the unit kind, who may send it (the owner's agency, or anyone under nearest-unit
dispatch), the incident's grid and how many units; it is served at once from the free units in the
scenario's dispatch order, or handed to a neighbouring district (:data:`MUTUAL_AID`), or waits in line
until a unit comes back.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

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


class UnitPool(Collaborator):
    """Which units are free, and who waits for one."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.dispatch = self.sc.dispatch
        self.free = [True] * len(self.world.units)
        self.waiting: deque[UnitRequest] = deque()

    def request(
        self, kind: str, agencies: frozenset[str] | None, grid: int, count: int, view: IncidentView, task: str
    ) -> simpy.Event:
        """Ask for ``count`` units of ``kind`` for ``grid``; the event's value is the units or MUTUAL_AID."""
        req = UnitRequest(self.env.event(), kind, agencies, grid, count, view, task)
        if not self._try_assign(req):
            if self.dispatch.when_all_busy == "mutual_aid":
                req.event.succeed(MUTUAL_AID)
            else:
                self.waiting.append(req)
        return req.event

    def withdraw(self, event: simpy.Event) -> bool:
        """Take a waiting request out of the line (it will be met elsewhere); ``False`` if it is not waiting."""
        for req in self.waiting:
            if req.event is event:
                self.waiting.remove(req)
                return True
        return False

    def candidates(self, kind: str, agencies: frozenset[str] | None, grid: int) -> list[Unit]:
        """Free eligible units in the scenario's dispatch order (ties broken by unit order)."""
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
        ]
        if order == "own_jurisdiction":
            street = int(w.citymap.street[grid])
            cand.sort(key=lambda u: (w.unit_street[u.index] != street, travel[u.station_row, grid], u.index))
        else:
            cand.sort(key=lambda u: (travel[u.station_row, grid], u.index))
        return cand

    def _try_assign(self, req: UnitRequest) -> bool:
        free = self.candidates(req.kind, req.agencies, req.grid)
        if not free:
            return False
        chosen = self.policy.choose_units(req.view, req.task, req.count, free)
        if isinstance(chosen, simpy.Event):  # a human picks: holding the units meanwhile is out of scope
            chosen = free[: req.count]
        for u in chosen:
            self.free[u.index] = False
        req.event.succeed(list(chosen))
        return True

    def road_factor(self) -> float:
        """The hour's congestion multiplier on travel times (1 on free-flowing roads)."""
        by_hour = self.dispatch.travel_factor_by_hour
        if by_hour is None:
            return 1.0
        return by_hour[int((self.sc.clock_start + self.env.now) % 86400 // 3600)]

    def first_arrival(self, units: list[Unit], grid: int) -> tuple[float, str]:
        """Seconds until the first of ``units`` is on scene (turnout + travel at this hour) and which unit."""
        travel, factor = self.world.travel, self.road_factor()
        arrivals = [self.streams.draws("turnout", u.name, u.turnout)() + float(travel[u.station_row, grid]) * factor
                    for u in units]
        first = min(arrivals)
        return first, units[arrivals.index(first)].name

    def mutual_aid_delay(self) -> float:
        """Seconds until a neighbouring district's unit is on scene (跨区支援)."""
        return self.streams.draws("turnout", "mutual_aid", self.dispatch.mutual_aid_travel)()

    def release(self, units: list[Unit], grid: int, on_back: Callable[[Unit, float], None] | None = None) -> None:
        """The units leave the scene for their stations; each is free again when it is back."""
        w, env, factor = self.world, self.env, self.road_factor()
        for u in units:
            back = float(w.travel[u.station_row, grid]) * factor
            if on_back is not None:
                on_back(u, env.now + back)
            env.timeout(back).callbacks.append(lambda _e, u=u: self._unit_back(u))

    def _unit_back(self, unit: Unit) -> None:
        self.free[unit.index] = True
        for req in list(self.waiting):
            if self._try_assign(req):
                self.waiting.remove(req)
                break
