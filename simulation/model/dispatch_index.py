"""The nearest-units index (就近调派索引): per unit kind, senders and grid, the eligible units in dispatch order.

The scenario's dispatch order is a fixed ranking of the units for a grid — ``nearest``: by travel time
from the unit's station, ties by unit order; ``own_jurisdiction``: the street's own stations first;
``preference``: the grid's listed units; with station areas (``dispatch.areas``), the rule's tiers
(:mod:`simulation.model.station_areas`: own area, neighbour area, other district) before travel, and only
the units the rule lets go. Only *which units are free* changes while a replication runs, so
the ranking is computed once per (kind, senders, grid), on the first request from that grid, and shared by
every replication of the world. A request then walks the ranking and stops at the ``count``-th free
unit: its cost grows with the busy units nearer than that, not with the fleet.

Only the first :data:`PREFIX` ranks are kept (memory: 4 bytes × grids × ``PREFIX``, not grids × fleet); when all of
them are busy the pool ranks its few free units directly (:meth:`UnitPool.candidates`). A ranking is kept as an
``array`` of C ints — as compact as a numpy array, but the pool walks it as Python ints without a numpy call
(slicing and converting a numpy ranking cost more than the walk itself, issue 17).
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np

from scenarios.distributions import Fixed

if TYPE_CHECKING:
    from simulation.model.world import World

PREFIX = 128
"""Ranks kept per (kind, senders, grid): beyond them, every nearer unit is busy — the overload path."""
TIER_STEP = 1e9
"""Seconds added per station-area tier, so that (tier, travel) sorts as one key (travel is far below it)."""


class NearestIndex:
    """Rankings of eligible units, built on first use and shared by the world's replications."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.order_kind = world.scenario.dispatch.order
        self._eligible: dict[tuple[str, frozenset[str] | None], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._stations: dict[tuple[str, frozenset[str] | None], tuple[np.ndarray, np.ndarray]] = {}
        self.walks: dict[tuple[str, frozenset[str] | None, int], tuple[array, bool]] = {}
        """(kind, senders, grid) → :meth:`walk`'s answer, once built (the pool reads it directly)."""
        self.fixed_turnout: list[float | None] = [
            float(u.turnout.value) if type(u.turnout) is Fixed else None for u in world.units]
        """Each unit's turnout when it is fixed — the value its stream would give, with no stream to ask (most units'
        are fixed); ``None`` when it is drawn."""

    def eligible(self, kind: str, agencies: frozenset[str] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Units of ``kind`` that ``agencies`` may send (``None``: anyone's), in unit order: their indices,
        travel-table rows and street indices."""
        key = (kind, agencies)
        got = self._eligible.get(key)
        if got is None:
            us = [u for u in self.world.units_by_kind.get(kind, ()) if agencies is None or u.agency in agencies]
            got = self._eligible[key] = (
                np.array([u.index for u in us], dtype=np.int64),
                np.array([u.station_row for u in us], dtype=np.int64),
                np.array([self.world.unit_street[u.index] for u in us], dtype=np.int64),
            )
        return got

    def travel(self, kind: str, agencies: frozenset[str] | None, grid: int) -> np.ndarray:
        """Each eligible unit's travel time to ``grid`` (in :meth:`eligible`'s order), read once per *station*:
        a station's units share its row, and the rows of the travel table lie far apart in memory, so reading
        one value per station rather than per unit is what keeps a grid's first request cheap in a big fleet."""
        key = (kind, agencies)
        got = self._stations.get(key)
        if got is None:
            got = self._stations[key] = np.unique(self.eligible(kind, agencies)[1], return_inverse=True)
        station_rows, unit_station = got
        return self.world.travel[station_rows, grid][unit_station]

    def walk(self, kind: str, agencies: frozenset[str] | None, grid: int) -> tuple[array, bool]:
        """(the first :data:`PREFIX` eligible unit indices in dispatch order, whether more were cut off), the
        indices as an ``array`` of C ints for the pool to walk."""
        key = (kind, agencies, grid)
        got = self.walks.get(key)
        if got is None:
            ranked, cut = self._build(kind, agencies, grid)
            got = self.walks[key] = (array("i", ranked.astype(np.intc, copy=False).tobytes()), cut)
        return got

    def ranking(self, kind: str, agencies: frozenset[str] | None, grid: int) -> tuple[np.ndarray, bool]:
        """:meth:`walk`'s ranking as a numpy array (a view of the same memory)."""
        ranked, cut = self.walk(kind, agencies, grid)
        return np.frombuffer(ranked, dtype=np.intc), cut  # "i" is C's int

    def _build(self, kind: str, agencies: frozenset[str] | None, grid: int) -> tuple[np.ndarray, bool]:
        w = self.world
        if self.order_kind == "preference":
            pref = w.preferences.get(grid)
            if pref is not None:  # the grid's own list, as written (no travel check: the scenario chose them)
                units = w.units
                return np.array([i for i in pref if units[i].kind == kind
                                 and (agencies is None or units[i].agency in agencies)], dtype=np.int32), False
        idx, _rows, streets = self.eligible(kind, agencies)
        t = self.travel(kind, agencies, grid)
        ok = np.isfinite(t)
        if not ok.all():
            idx, t, streets = idx[ok], t[ok], streets[ok]
        if w.areas is not None:  # 辖区: the rule's tiers first, then travel; units it does not allow never go
            tiers = w.areas.tiers(idx, grid, kind)
            ok = w.areas.allowed(tiers, t)
            ranked, cut = _first_k(idx[ok], tiers[ok] * TIER_STEP + t[ok], PREFIX)
            return ranked.astype(np.int32), cut
        if self.order_kind != "own_jurisdiction":
            ranked, cut = _first_k(idx, t, PREFIX)  # travel, then unit order (the stable sort the pool used)
            return ranked.astype(np.int32), cut
        own = streets == int(w.citymap.street[grid])  # the street's own stations first, then the others
        first, cut_own = _first_k(idx[own], t[own], PREFIX)
        if cut_own or len(first) == PREFIX:
            return first.astype(np.int32), cut_own or bool((~own).any())
        rest, cut = _first_k(idx[~own], t[~own], PREFIX - len(first))
        return np.concatenate([first, rest]).astype(np.int32), cut

    def may_go(self, unit_index: int, grid: int) -> bool:
        """Whether the station-area rule lets the unit go to ``grid`` (always, without areas)."""
        areas = self.world.areas
        return areas is None or areas.may_go(self.world.units[unit_index], grid)

    def sort_key(self, grid: int):
        """The dispatch order as a sort key on units (for ranking a few free units directly)."""
        w, travel = self.world, self.world.travel
        if w.areas is not None:
            return w.areas.sort_key(grid)
        if self.order_kind == "own_jurisdiction":
            street = int(w.citymap.street[grid])
            return lambda u: (w.unit_street[u.index] != street, travel[u.station_row, grid], u.index)
        return lambda u: (travel[u.station_row, grid], u.index)


def _first_k(idx: np.ndarray, t: np.ndarray, k: int) -> tuple[np.ndarray, bool]:
    """The ``k`` first of ``idx`` by (``t``, index) and whether any were left out — in time linear in the
    units (a partition finds the k-th travel time; only the units up to it, ties included, are sorted)."""
    if len(idx) <= k:
        return idx[np.lexsort((idx, t))], False
    if k <= 0:
        return idx[:0], True
    sel = t <= np.partition(t, k - 1)[k - 1]
    idx, t = idx[sel], t[sel]
    return idx[np.lexsort((idx, t))][:k], True
