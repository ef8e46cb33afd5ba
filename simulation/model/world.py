"""World building (phase *build*): CityMap + CoordinationGraph + units + role resolution.

Everything here is computed once per scenario and shared, read-only, by all replications.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from agencies.catalogue import role_catalogue
from scenarios.checks import resolve_ref
from scenarios.distributions import Distribution
from scenarios.errors import InputError
from scenarios.schema import Scenario
from simulation.model.citymap import CityMap, build_citymap
from simulation.model.coordination import CoordinationGraph

if TYPE_CHECKING:
    from simulation.model.dispatch_index import NearestIndex
    from simulation.model.doctrine import Doctrine
    from simulation.model.station_areas import StationAreas


_UNSET = object()


@dataclass(frozen=True, slots=True)
class Unit:
    """One resource that travels (engine, patrol car, ambulance …) — 单元."""

    index: int
    name: str  # dotted scope name: district.agency.station.kind2
    kind: str
    agency: str
    station: str
    station_row: int  # row of the travel table
    turnout: Distribution


@dataclass
class World:
    scenario: Scenario
    citymap: CityMap
    graph: CoordinationGraph
    units: list[Unit]
    travel: np.ndarray  # seconds, [station row, grid]
    station_rows: dict[str, int]
    unit_street: list[int]  # street index of each unit's station
    preferences: dict[int, list[int]]  # grid index -> unit indices in order of preference

    @cached_property
    def dispatch_centres(self) -> dict[str, bool]:
        """Agency id → whether it is an emergency call centre that dispatches for its parent (110/119/120)."""
        roles = role_catalogue()
        return {a.id: roles[a.role].dispatch_centre for a in self.scenario.agencies}

    @cached_property
    def doctrine(self) -> Doctrine:
        """The arrangement's answers on this world (built on first use; shared by every replication)."""
        from simulation.model.doctrine import Doctrine  # the doctrine reads the world: no import cycle

        return Doctrine(self)

    @cached_property
    def nearest(self) -> NearestIndex:
        """Each grid's ranking of the units by dispatch order (built per grid on first request; shared)."""
        from simulation.model.dispatch_index import NearestIndex

        return NearestIndex(self)

    @cached_property
    def areas(self) -> StationAreas | None:
        """Station areas (辖区) and the rule for leaving them, or ``None`` when the scenario has none (or
        dispatches by preference lists)."""
        d = self.scenario.dispatch
        if d.areas is None or d.order == "preference":
            return None
        from simulation.model.station_areas import StationAreas

        return StationAreas(self)

    @cached_property
    def units_by_kind(self) -> dict[str, list[Unit]]:
        out: dict[str, list[Unit]] = {}
        for u in self.units:
            out.setdefault(u.kind, []).append(u)
        return out

    @cached_property
    def unit_indices_by_kind(self) -> dict[str, tuple[int, ...]]:
        """Kind → its units' indices (each replication's unit pool starts from a copy: all free)."""
        return {k: tuple(u.index for u in us) for k, us in self.units_by_kind.items()}

    @cached_property
    def agency_by_id(self) -> dict[str, object]:
        """Agency id → its spec (read per replication to build the duty desks)."""
        return {a.id: a for a in self.scenario.agencies}

    @cached_property
    def night_staffed(self) -> tuple[str, ...]:
        """Agencies with fewer staff at night: their desks are built at the start of every replication."""
        return tuple(a.id for a in self.scenario.agencies
                     if a.desk.night_staff is not None and a.desk.night_staff < a.desk.staff)

    def resolve(self, ref: str, grid: str) -> str | None:
        """The agency a role reference means for an incident in ``grid`` (属地: by jurisdiction); cached per
        (reference, street): a city of many districts has hundreds of agencies to scan."""
        key = (ref, self.citymap.street_of(grid))
        got = self._resolved.get(key, _UNSET)
        if got is _UNSET:
            got = self._resolved[key] = resolve_ref(self.scenario.agencies, ref, key[1])
        return got

    @cached_property
    def _resolved(self) -> dict[tuple[str, str], str | None]:
        return {}

    def capable(self, capability: str, grid: str) -> list[str]:
        """Agencies present for ``grid`` that can do ``capability`` (in scenario order)."""
        roles = role_catalogue()
        street = self.citymap.street_of(grid)
        able = [a for a in self.scenario.agencies if capability in roles[a.role].capabilities]
        local = [a.id for a in able if a.jurisdiction is None or street in a.jurisdiction]
        return local or [a.id for a in able]  # nobody local: whoever can, from another street


def build_world(scenario: Scenario, file: str = "<scenario>") -> World:
    cm = build_citymap(scenario.city)
    graph = CoordinationGraph(scenario)
    stations = {s.id: s for s in scenario.stations}
    station_ids = [s.id for s in scenario.stations]
    rows = {sid: i for i, sid in enumerate(station_ids)}
    travel = cm.travel_from([cm.index[stations[s].grid] for s in station_ids])
    units: list[Unit] = []
    for spec in scenario.units:
        st = stations[spec.station]
        for k in range(1, spec.count + 1):
            units.append(Unit(len(units), f"{cm.district}.{st.agency}.{st.id}.{spec.kind}{k}", spec.kind,
                              st.agency, st.id, rows[st.id], spec.turnout))
    unit_street = [int(cm.street[cm.index[stations[u.station].grid]]) for u in units]
    world = World(scenario, cm, graph, units, travel, rows, unit_street, _preferences(scenario, cm, units))
    _check_reachable(world, file)
    return world


def _preferences(scenario: Scenario, cm: CityMap, units: list[Unit]) -> dict[int, list[int]]:
    """Resolve per-grid preference lists (station ids or ``station.kindN``) to unit indices."""
    out: dict[int, list[int]] = {}
    for grid, refs in scenario.dispatch.preferences.items():
        order: list[int] = []
        for ref in refs:
            for u in units:
                short = u.name.split(".", 2)[2]  # station.kindN
                if (u.station == ref or short == ref) and u.index not in order:
                    order.append(u.index)
        out[cm.index[grid]] = order
    return out


def _check_reachable(world: World, file: str) -> None:
    """Every unit kind an incident needs must be able to reach the incident's grid by road."""
    sc = world.scenario
    for inc in sc.incidents:
        g = world.citymap.index[inc.grid]
        for t in sc.incident_types[inc.type].tasks:
            if t.unit is None:
                continue
            rows = {u.station_row for u in world.units_by_kind.get(t.unit, [])}
            if rows and not any(np.isfinite(world.travel[r, g]) for r in rows):
                raise InputError.one(file, None, f"incidents[{inc.id}].grid",
                                     f"no '{t.unit}' unit can reach grid '{inc.grid}' by road (task '{t.id}')")
