"""The scenario schema (情景文件): immutable pydantic models with named cross-reference checks.

A scenario names a city, the agencies and their duty desks, stations and units, the channels of the
coordination graph, a responsibility arrangement and the incidents to run. Field-level constraints live
on the fields; cross-references live in ``verify_*`` validators whose messages name the entity at fault
(the loader maps those messages to YAML lines).

Extension points: new detector kinds in :data:`DetectorKind`; new task capabilities in the role
catalogue (``agencies/library/roles.yaml``); hazard models in :mod:`scenarios.hazards`.
"""

from __future__ import annotations

from typing import Annotated

import networkx as nx
from pydantic import Field, ValidationInfo, model_validator

from agencies.arrangement import Arrangement
from agencies.base import Bilingual, Frozen, Ident, RefError
from agencies.catalogue import role_catalogue
from scenarios import checks, limits, references
from scenarios.city import City
from scenarios.defect_loop import DefectLoopSpec
from scenarios.specs import (
    AgencySpec,
    AreaRule,
    ChannelKind,
    ChannelSpec,
    DetectorKind,
    DetectorSpec,
    DispatchSpec,
    DutyDesk,
    IncidentSpec,
    IncidentType,
    LevelTrigger,
    Medium,
    Probability,
    ResponseSpec,
    Seconds,
    StationSpec,
    StreamSpec,
    TaskSpec,
    UnitKind,
    UnitSpec,
    WhistleSpec,
    WorkOrderSpec,
)

__all__ = [
    "Scenario",
    "AgencySpec",
    "AreaRule",
    "ChannelKind",
    "ChannelSpec",
    "DetectorKind",
    "DetectorSpec",
    "DispatchSpec",
    "DutyDesk",
    "IncidentSpec",
    "IncidentType", "LevelTrigger",
    "Medium",
    "Probability", "ResponseSpec",
    "Seconds",
    "StationSpec",
    "StreamSpec",
    "TaskSpec",
    "UnitKind",
    "UnitSpec",
    "WhistleSpec", "WorkOrderSpec",
]
"""The scenario and its parts (from :mod:`scenarios.specs`): ``scenarios.schema`` is the one import for users."""


class Scenario(Frozen):
    name: Ident
    description: Bilingual
    horizon: Annotated[float, Field(gt=0, le=400 * 86400)]
    clock_start: Annotated[float, Field(ge=0, lt=86400)] = 36000.0
    """Time of day at t = 0 in seconds after midnight (night desks and day profiles use it)."""
    city: City
    agencies: Annotated[list[AgencySpec], Field(min_length=1)]
    stations: list[StationSpec] = Field(default_factory=list)
    units: list[UnitSpec] = Field(default_factory=list)
    channels: list[ChannelSpec] = Field(default_factory=list)
    arrangement: Arrangement
    incident_types: dict[Ident, IncidentType]
    incidents: list[IncidentSpec] = Field(default_factory=list)
    streams: list[StreamSpec] = Field(default_factory=list)
    dispatch: DispatchSpec = DispatchSpec()
    whistle: WhistleSpec = WhistleSpec()
    """How fast a department comes when a task's owner lacks its powers (吹哨报到, or through the superior)."""
    work_orders: WorkOrderSpec = WorkOrderSpec()
    """The work-order process for tasks with ``by: work_order`` (12345-style 派单/签收/退单/审定/督办)."""
    defect_loop: DefectLoopSpec | None = None
    """The grid workers' defect-discovery loop (排查发现 → 抄告联勤 → 联动整治 → 固化成效), run by
    ``linkage defect-loop``."""

    # -- cross-reference checks (named, each message names the entity at fault) --------------------

    @model_validator(mode="after")
    def verify_agencies(self) -> Scenario:
        roles = role_catalogue()
        seen: set[str] = set()
        streets = set(self.city.street_ids())
        for i, a in enumerate(self.agencies):
            if a.id in seen:
                raise RefError(f"agency '{a.id}' is defined twice", "agencies", i, "id")
            seen.add(a.id)
            if a.role not in roles:
                raise RefError(
                    f"agency '{a.id}' has unknown role '{a.role}' (known: {', '.join(sorted(roles))})",
                    "agencies",
                    i,
                    "role",
                )
            for k, s in enumerate(a.jurisdiction or []):
                if s not in streets:
                    raise RefError(f"agency '{a.id}' covers unknown street '{s}'", "agencies", i, "jurisdiction", k)
        for i, a in enumerate(self.agencies):
            if a.parent is not None and a.parent not in seen:
                raise RefError(f"agency '{a.id}' has unknown parent '{a.parent}'", "agencies", i, "parent")
        parents = nx.DiGraph((a.parent, a.id) for a in self.agencies if a.parent)
        if not nx.is_directed_acyclic_graph(parents):
            cycle = nx.find_cycle(parents)
            on_cycle = {e[0] for e in cycle}
            i = next(i for i, a in enumerate(self.agencies) if a.id in on_cycle)
            chain = " -> ".join(e[0] for e in cycle) + f" -> {cycle[0][0]}"
            raise RefError(f"agency parent chain has a cycle: {chain}", "agencies", i, "parent")
        return self

    @model_validator(mode="after")
    def verify_stations_and_units(self) -> Scenario:
        agencies = {a.id for a in self.agencies}
        grids = set(self.city.grid_ids())
        station_ids: set[str] = set()
        for i, s in enumerate(self.stations):
            if s.id in station_ids:
                raise RefError(f"station '{s.id}' is defined twice", "stations", i, "id")
            station_ids.add(s.id)
            if s.agency not in agencies:
                raise RefError(f"station '{s.id}' belongs to unknown agency '{s.agency}'", "stations", i, "agency")
            if s.grid not in grids:
                raise RefError(f"station '{s.id}' stands in unknown grid '{s.grid}'", "stations", i, "grid")
        for i, u in enumerate(self.units):
            if u.station not in station_ids:
                raise RefError(f"unit '{u.kind}' is at unknown station '{u.station}'", "units", i, "station")
        for g in self.city.explicit.grids if self.city.explicit is not None else ():
            if g.station_area is not None and g.station_area not in station_ids:
                raise RefError(f"grid '{g.id}' is in the area of unknown station '{g.station_area}'", "city",
                               "explicit", "grids", g.id, "station_area")
        return self

    @model_validator(mode="after")
    def verify_channels(self) -> Scenario:
        agencies = {a.id for a in self.agencies}
        for i, c in enumerate(self.channels):
            for field, end in (("from", c.from_), ("to", c.to)):
                if end not in agencies:
                    raise RefError(f"channel {c.from_}->{c.to} names unknown agency '{end}'", "channels", i, field)
            for k, (start, end) in enumerate(c.down):
                if end <= start:
                    raise RefError(
                        f"channel {c.from_}->{c.to} has a down period ending before it starts", "channels", i, "down", k
                    )
        return self

    @model_validator(mode="after")
    def verify_incidents(self) -> Scenario:
        references.incidents(self)
        return self

    @model_validator(mode="after")
    def verify_dispatch(self) -> Scenario:
        grids = set(self.city.grid_ids())
        stations = {s.id for s in self.stations}
        for g, prefs in self.dispatch.preferences.items():
            if g not in grids:
                raise RefError(f"dispatch preference list for unknown grid '{g}'", "dispatch", "preferences", g)
            for k, ref in enumerate(prefs):
                if ref.split(".", 1)[0] not in stations:
                    raise RefError(
                        f"dispatch preference '{ref}' of grid '{g}' names no station", "dispatch", "preferences", g, k
                    )
        return self

    @model_validator(mode="after")
    def verify_tasks_doable(self) -> Scenario:
        roles = role_catalogue()
        present = {a.role for a in self.agencies}
        can = set().union(*(roles[r].capabilities for r in present))
        unit_kinds = {u.kind for u in self.units}
        for tname, itype in self.incident_types.items():
            for k, t in enumerate(itype.tasks):
                if t.needs not in can:
                    raise references.type_error(
                        tname, f"task '{t.id}' needs '{t.needs}', which no agency of the scenario can do", "tasks", k
                    )
                if t.unit is not None and t.unit not in unit_kinds:
                    raise references.type_error(
                        tname, f"task '{t.id}' needs unit kind '{t.unit}', which no station has", "tasks", k, "unit"
                    )
                held = set().union(*(roles[r].powers for r in present))
                if not set(t.powers) <= held:
                    raise references.type_error(
                        tname,
                        f"task '{t.id}' needs powers {sorted(set(t.powers) - held)}, "
                        "which no agency of the scenario holds",
                        "tasks",
                        k,
                        "powers",
                    )
        return self

    @model_validator(mode="after")
    def verify_level_triggers(self) -> Scenario:
        references.level_triggers(self)
        return self

    @model_validator(mode="after")
    def verify_city_command(self) -> Scenario:
        references.city_command(self)
        return self

    @model_validator(mode="after")
    def verify_arrangement(self) -> Scenario:
        references.arrangement(self)
        return self

    # -- what the engine looks up later (scenarios.checks): validate ok means run works ---------------

    @model_validator(mode="after")
    def verify_agency_names(self) -> Scenario:
        checks.agency_names(self)
        return self

    @model_validator(mode="after")
    def verify_unit_names(self) -> Scenario:
        checks.unit_names(self)
        return self

    @model_validator(mode="after")
    def verify_routine_ids(self) -> Scenario:
        checks.routine_ids(self)
        return self

    @model_validator(mode="after")
    def verify_interventions(self) -> Scenario:
        checks.interventions(self)
        return self

    @model_validator(mode="after")
    def verify_messages_arrive(self) -> Scenario:
        checks.messages_arrive(self)
        return self

    @model_validator(mode="after")
    def verify_units_reach(self) -> Scenario:
        checks.units_reach(self)
        return self

    @model_validator(mode="after")
    def verify_size(self, info: ValidationInfo) -> Scenario:
        """Routine volume, trains and re-sends checked before a run allocates them (:mod:`scenarios.limits`)."""
        if not limits.allowed(info):
            limits.scenario_size(self)
        return self

    def primary_incident(self) -> IncidentSpec | None:
        """The incident whose times are the replication's metrics (``None`` for stream-only scenarios)."""
        if not self.incidents:
            return None
        return next((i for i in self.incidents if i.primary), self.incidents[0])
