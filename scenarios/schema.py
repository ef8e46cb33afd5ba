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
from scenarios import checks, limits
from scenarios.city import City
from scenarios.defect_loop import DefectLoopSpec
from scenarios.hazards.base import HAZARD_MODELS
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


def _type_error(tname: str, message: str, *path: str | int) -> RefError:
    """A reference error inside incident type ``tname``: the message names it, the path starts at it."""
    return RefError(f"incident type '{tname}': {message}", "incident_types", tname, *path)


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
        grids = set(self.city.grid_ids())
        roles_present = {a.role for a in self.agencies} | {a.id for a in self.agencies}
        ids: set[str] = set()
        for i, inc in enumerate(self.incidents):
            if inc.id in ids:
                raise RefError(f"incident '{inc.id}' is defined twice", "incidents", i, "id")
            ids.add(inc.id)
            if inc.type not in self.incident_types:
                raise RefError(
                    f"incident '{inc.id}' has unknown type '{inc.type}' "
                    f"(known: {', '.join(sorted(self.incident_types))})",
                    "incidents",
                    i,
                    "type",
                )
            if inc.grid not in grids:
                raise RefError(f"incident '{inc.id}' is in unknown grid '{inc.grid}'", "incidents", i, "grid")
            if inc.onset >= self.horizon:
                raise RefError(
                    f"incident '{inc.id}' starts at {inc.onset} s, after the horizon {self.horizon} s",
                    "incidents",
                    i,
                    "onset",
                )
        for tname, itype in self.incident_types.items():
            for k, d in enumerate(itype.detection):
                if d.report_to not in roles_present:
                    raise _type_error(
                        tname,
                        f"detector '{d.kind}' reports to '{d.report_to}', which no agency of the scenario is",
                        "detection",
                        k,
                        "report_to",
                    )
            if itype.site is not None and itype.site not in roles_present:
                raise _type_error(tname, f"site operator '{itype.site}' is no agency of the scenario", "site")
        if sum(i.primary for i in self.incidents) > 1:
            raise RefError("more than one incident is marked primary", "incidents")
        if not self.incidents and not self.streams:
            raise RefError("a scenario needs at least one incident or one stream", "incidents")
        for i, st in enumerate(self.streams):
            if st.type not in self.incident_types:
                raise RefError(f"stream '{st.id}' has unknown incident type '{st.type}'", "streams", i, "type")
            for k, g in enumerate(st.grids or []):
                if g not in grids:
                    raise RefError(f"stream '{st.id}' names unknown grid '{g}'", "streams", i, "grids", k)
            if st.end is not None and st.end <= st.start:
                raise RefError(f"stream '{st.id}' ends before it starts", "streams", i, "end")
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
                    raise _type_error(
                        tname, f"task '{t.id}' needs '{t.needs}', which no agency of the scenario can do", "tasks", k
                    )
                if t.unit is not None and t.unit not in unit_kinds:
                    raise _type_error(
                        tname, f"task '{t.id}' needs unit kind '{t.unit}', which no station has", "tasks", k, "unit"
                    )
                held = set().union(*(roles[r].powers for r in present))
                if not set(t.powers) <= held:
                    raise _type_error(
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
        """A level trigger watches a measure of the incident's hazard model: a typo would never fire."""
        for tname, itype in self.incident_types.items():
            models = {i.hazard.model for i in self.incidents if i.type == tname and i.hazard is not None}
            for k, trig in enumerate(itype.response.raise_when):
                if not models:
                    raise RefError(f"incident type '{tname}': raise_when watches '{trig.metric}', but no incident of "
                                   "this type has a hazard model", "incident_types", tname, "response", "raise_when", k)
                for m in sorted(models):
                    known = HAZARD_MODELS[m].measures
                    if trig.metric not in known:
                        raise RefError(f"incident type '{tname}': the {m} model has no measure '{trig.metric}' "
                                       f"(known: {', '.join(sorted(known))})", "incident_types", tname, "response",
                                       "raise_when", k, "metric")
        return self

    @model_validator(mode="after")
    def verify_city_command(self) -> Scenario:
        """A level the city commands needs the arrangement's city-tier agency here (else nobody takes over)."""
        present = {a.role for a in self.agencies} | {a.id for a in self.agencies}
        role = self.arrangement.city_command
        for tname, itype in self.incident_types.items():
            if itype.response.city_command_at is not None and role not in present:
                level = ("I", "II", "III", "IV")[itype.response.city_command_at - 1]
                raise RefError(f"incident type '{tname}': levels I–{level} are commanded by the city tier, but no "
                               f"agency of the scenario is '{role}' (the arrangement's city_command)",
                               "incident_types", tname, "response", "city_command_at")
        return self

    @model_validator(mode="after")
    def verify_arrangement(self) -> Scenario:
        """Every role the arrangement names exists here, and every task of every used type is assigned."""
        roles = role_catalogue()
        present = {a.role for a in self.agencies} | {a.id for a in self.agencies}
        arr = self.arrangement

        def check(ref: str, where: str) -> None:
            if ref not in present:
                known = "a role of the catalogue" if ref in roles else "an unknown role"
                raise RefError(
                    f"arrangement '{arr.name}': {where} names '{ref}' ({known}) "
                    f"but no agency of the scenario is '{ref}'",
                    "arrangement",
                    *where.split("."),
                )

        if arr.relay is not None:
            check(arr.relay, "relay")
        if arr.work_order_dispatcher is not None:
            check(arr.work_order_dispatcher, "work_order_dispatcher")
        if arr.command_post is not None:
            check(arr.command_post, "command_post")
        for tname in sorted({i.type for i in self.incidents} | {s.type for s in self.streams}):
            ia = arr.incident_types.get(tname)
            if ia is None:
                raise RefError(
                    f"arrangement '{arr.name}' has no assignment for incident type '{tname}'",
                    "arrangement",
                    "incident_types",
                )
            check(ia.lead, f"incident_types.{tname}.lead")
            for ref in ia.informed:
                check(ref, f"incident_types.{tname}.informed")
            for task in self.incident_types[tname].tasks:
                ta = ia.tasks.get(task.id)
                if ta is None:
                    raise RefError(
                        f"arrangement '{arr.name}' does not assign task '{task.id}' of '{tname}' "
                        "(write `lead: []` to leave it ownerless on purpose)",
                        "arrangement",
                        "incident_types",
                        tname,
                        "tasks",
                    )
                for ref in ta.lead + ta.assist + ta.informed:
                    check(ref, f"incident_types.{tname}.tasks.{task.id}")
                lead_roles = [ref if ref in roles else next(a.role for a in self.agencies if a.id == ref)
                              for ref in ta.lead]
                problem = None
                if task.commander is not None and lead_roles != [task.commander]:
                    problem = (f"task '{task.id}' of '{tname}' is commanded by law by '{task.commander}' "
                               "(the scenario's `commander`), so it must be its only lead")
                for ref, role in zip(ta.lead, lead_roles):
                    if problem is None and task.needs not in roles[role].capabilities:
                        problem = f"'{ref}' leads task '{task.id}' of '{tname}' but cannot do '{task.needs}'"
                if problem is not None:
                    raise RefError(f"arrangement '{arr.name}': {problem}", "arrangement", "incident_types", tname,
                                   "tasks", task.id, "lead")
                if ta.on_alarm and (task.after or task.by == "work_order" or task.unit is None or len(ta.lead) != 1):
                    raise RefError(f"arrangement '{arr.name}': task '{task.id}' of '{tname}' cannot go on the alarm: "
                                   "only a first task (no `after`), by command, with a unit and one lead can",
                                   "arrangement", "incident_types", tname, "tasks", task.id, "on_alarm")
            for extra in sorted(set(ia.tasks) - {t.id for t in self.incident_types[tname].tasks}):
                raise RefError(
                    f"arrangement '{arr.name}' assigns unknown task '{extra}' of '{tname}'",
                    "arrangement",
                    "incident_types",
                    tname,
                    "tasks",
                    extra,
                )
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
