"""Station areas (辖区) and the rule for leaving them: who may go to a grid, and in what order.

Each grid belongs, for each unit kind, to the area of the station with units of that kind nearest it by road
among the stations of its own district (whose agency covers the grid's street; any station when the district
has none of that kind), ties by station order — a station's area stops at the district line; a grid of an
imported area layer (``GridSpec.station_area``) belongs to that station instead, for each kind it has. A
request is served in *tiers*:

* ``OWN`` (0) — the units of the grid's own station area;
* ``AREA`` (1) — another station area of the same district (the unit's agency covers the grid's street, or
  covers every street), when its travel is within ``dispatch.areas.aid_within``;
* ``DISTRICT`` (2) — another district's unit (跨区增援), only when ``cross_district`` and within
  ``district_aid_within``;
* ``EXTERNAL`` (3) — nobody allowed was free and the request went to ``when_all_busy: mutual_aid``.

Within a tier, nearest first (ties by unit order). The rule is a fixed order per (kind, grid), so it plugs into
the nearest-units index (:mod:`simulation.model.dispatch_index`) without changing its cost per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulation.model.world import Unit, World

OWN, AREA, DISTRICT, EXTERNAL = 0, 1, 2, 3
AREA_CHUNK = 8192
"""Grids per step when finding each grid's area station (memory ≈ stations × this × 8 bytes)."""
TIERS = ("own_area", "neighbour_area", "other_district", "external")
"""Where the first unit of an incident came from, by tier (本辖区 · 邻近辖区 · 跨区 · 区外支援)."""


class StationAreas:
    """The area of every grid per unit kind, and each unit's tier for a grid (built once per world)."""

    def __init__(self, world: World) -> None:
        rule = world.scenario.dispatch.areas
        assert rule is not None
        self.rule = rule
        self.world = world
        sc, cm = world.scenario, world.citymap
        self.unit_row = np.array([u.station_row for u in world.units], dtype=np.int64)
        # covers[unit, street]: the unit's agency has the grid's street in its district (jurisdiction)
        streets = {s: i for i, s in enumerate(cm.street_ids)}
        by_agency: dict[str, np.ndarray] = {}
        for a in sc.agencies:
            row = np.ones(len(streets), dtype=bool)
            if a.jurisdiction is not None:
                row[:] = False
                row[[streets[s] for s in a.jurisdiction]] = True
            by_agency[a.id] = row
        self.covers = np.array([by_agency[u.agency] for u in world.units], dtype=bool).reshape(len(world.units), -1)
        self.street = np.asarray(cm.street, dtype=np.int64)
        # the station row whose area each grid is in, per kind
        self.area_row: dict[str, np.ndarray] = {}
        for kind, us in world.units_by_kind.items():
            first = {}
            for u in us:  # one unit per station row stands for the station (its agency's district)
                first.setdefault(u.station_row, u.index)
            rows = np.array(sorted(first), dtype=np.int64)
            self.area_row[kind] = self._nearest_in_district(rows, self.covers[[first[r] for r in rows]])
        self._imported(sc, cm)

    def _imported(self, sc, cm) -> None:
        """Grids with an imported area (``GridSpec.station_area``): that station's, for each kind it has units of."""
        e = sc.city.explicit
        given = [(cm.index[g.id], g.station_area) for g in (e.grids if e is not None else ()) if g.station_area]
        for kind, us in self.world.units_by_kind.items():
            row_of = {u.station: u.station_row for u in us}
            for grid, station in given:
                if station in row_of:
                    self.area_row[kind][grid] = row_of[station]

    def _nearest_in_district(self, rows: np.ndarray, covers: np.ndarray) -> np.ndarray:
        """Per grid, the nearest of ``rows`` whose district covers the grid's street (else the nearest of all);
        ties by row order (argmin keeps the first). In chunks of grids: memory ≈ stations × chunk."""
        travel, n = self.world.travel, len(self.street)
        out = np.empty(n, dtype=np.int64)
        for lo in range(0, n, AREA_CHUNK):
            t = travel[rows, lo:lo + AREA_CHUNK]
            own = covers[:, self.street[lo:lo + AREA_CHUNK]]
            masked = np.where(own, t, np.inf)
            best = np.argmin(masked, axis=0)
            none = ~own.any(axis=0) | ~np.isfinite(masked[best, np.arange(t.shape[1])])
            best[none] = np.argmin(t[:, none], axis=0)
            out[lo:lo + AREA_CHUNK] = rows[best]
        return out

    def tiers(self, idx: np.ndarray, grid: int, kind: str) -> np.ndarray:
        """The tier of each unit of ``idx`` (all of ``kind``) for ``grid``."""
        own = self.unit_row[idx] == self.area_row[kind][grid]
        same = self.covers[idx, self.street[grid]]
        return np.where(own, OWN, np.where(same, AREA, DISTRICT))

    def allowed(self, tiers: np.ndarray, travel: np.ndarray) -> np.ndarray:
        """Which units the rule lets go, given their tiers and travel seconds to the grid."""
        r = self.rule
        near = np.ones(len(travel), dtype=bool) if r.aid_within is None else travel <= r.aid_within
        far = (np.ones(len(travel), dtype=bool) if r.district_aid_within is None
               else travel <= r.district_aid_within)
        return (tiers == OWN) | ((tiers == AREA) & near) | ((tiers == DISTRICT) & far & r.cross_district)

    def tier_of(self, unit: Unit, grid: int) -> int:
        """The tier of one unit for ``grid`` (scalar look-ups: called once per dispatch)."""
        if unit.station_row == self.area_row[unit.kind][grid]:
            return OWN
        return AREA if self.covers[unit.index, self.street[grid]] else DISTRICT

    def may_go(self, unit: Unit, grid: int) -> bool:
        """Whether the rule lets ``unit`` go to ``grid``."""
        tier, r = self.tier_of(unit, grid), self.rule
        if tier == OWN:
            return True
        travel = float(self.world.travel[unit.station_row, grid])
        if tier == AREA:
            return r.aid_within is None or travel <= r.aid_within
        return r.cross_district and (r.district_aid_within is None or travel <= r.district_aid_within)

    def sort_key(self, grid: int):
        """(tier, travel, unit order): the rule's order as a sort key on units."""
        travel = self.world.travel
        return lambda u: (self.tier_of(u, grid), travel[u.station_row, grid], u.index)
