"""Semantic checks of a scenario (语义校验): everything the engine will look up later, checked at load.

``validate`` ok must mean ``run`` works: each check here refuses a document that the pydantic field
constraints accept but the engine would either crash on (an unknown intervention, a bad argument) or
silently misread (a detector name that never fires, two units with one name, an incident sharing a
routine stream's ids, an agency id that captures a role, a lead nobody can tell). The
:class:`~scenarios.schema.Scenario`'s ``verify_*`` validators call these functions; each raises a
:class:`~agencies.base.RefError` whose message names the entity at fault and whose path points at the
YAML line to fix.

Role resolution (属地: the agency of a role whose jurisdiction covers a street) lives here too, in
:func:`resolve_ref`, so the check of who can be told and the engine's routing cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx

from agencies.base import RefError
from agencies.catalogue import role_catalogue
from scenarios.hazards.base import HAZARD_MODELS, argument_problem

if TYPE_CHECKING:
    from scenarios.schema import AgencySpec, Scenario


def resolve_ref(agencies: Iterable[AgencySpec], ref: str, street: str) -> str | None:
    """The agency a role reference (or an agency id) means in ``street`` — by jurisdiction (属地).

    Nobody of that role covers the street: the district-wide one, else the first of another street (a
    neighbouring office steps in), so a stream incident anywhere still has someone to call."""
    agencies = list(agencies)
    if any(a.id == ref for a in agencies):
        return ref
    general = other = None
    for a in agencies:
        if a.role != ref:
            continue
        if a.jurisdiction is None:
            general = general or a.id
        elif street in a.jurisdiction:
            return a.id
        else:
            other = other or a.id
    return general or other


# -- agencies and roles -------------------------------------------------------------------------------


def agency_names(sc: Scenario) -> None:
    """An agency id that is also a role name must be the one agency of that role: otherwise every
    reference to the role (``lead: police``) would mean this agency, whatever its own role or territory."""
    roles = role_catalogue()
    for i, a in enumerate(sc.agencies):
        if a.id in roles and a.role != a.id:
            raise RefError(f"agency '{a.id}' is named like the role '{a.id}' but has role '{a.role}': every "
                           f"reference to the role '{a.id}' would mean this agency (rename it)", "agencies", i, "id")
    named = {a.id for a in sc.agencies if a.id in roles}
    for i, b in enumerate(sc.agencies):
        if b.role in named and b.id != b.role:
            raise RefError(f"agency '{b.id}' has role '{b.role}', but agency '{b.role}' is named like that role: a "
                           f"reference to '{b.role}' would always mean '{b.role}', never '{b.id}' by territory "
                           f"(rename '{b.role}')", "agencies", i, "role")


# -- units ----------------------------------------------------------------------------------------------


def unit_names(sc: Scenario) -> None:
    """Units are named ``station.kindK`` (K = 1 … count): every name must be unique after composition
    (``engine`` ×11 and ``engine1`` would both make ``fs1.engine11``), and a dispatch preference must name a
    station or one of those units."""
    seen: dict[str, int] = {}
    for i, u in enumerate(sc.units):
        for k in range(1, u.count + 1):
            name = f"{u.station}.{u.kind}{k}"
            if name in seen:
                j = seen[name]
                raise RefError(f"unit '{name}' would be named twice (units[{j}] and units[{i}] both make it): give "
                               "one kind another name, or merge the entries", "units", i, "kind")
            seen[name] = i
    stations = {s.id for s in sc.stations}
    for g, prefs in sc.dispatch.preferences.items():
        for k, ref in enumerate(prefs):
            if ref not in stations and ref not in seen:
                raise RefError(f"dispatch preference '{ref}' of grid '{g}' names neither a station nor a unit "
                               "(write a station id or station.kindN)", "dispatch", "preferences", g, k)


# -- ids after composition ------------------------------------------------------------------------------


def routine_ids(sc: Scenario) -> None:
    """Routine incidents are named ``STREAM-DAY-K`` and draw their random numbers under the stream's id:
    stream ids must be unique, and no incident may take a stream's id or one of its routine names."""
    streams: set[str] = set()
    for i, s in enumerate(sc.streams):
        if s.id in streams:
            raise RefError(f"stream '{s.id}' is defined twice", "streams", i, "id")
        streams.add(s.id)
    incidents = {inc.id for inc in sc.incidents}
    for i, st in enumerate(sc.streams):
        if st.id in incidents:
            raise RefError(f"stream '{st.id}' has the id of an incident (their records and random numbers would be "
                           "mixed): rename it", "streams", i, "id")
    for i, inc in enumerate(sc.incidents):
        for s in streams:
            if re.fullmatch(re.escape(s) + r"-\d+-\d+", inc.id):
                raise RefError(f"incident '{inc.id}' is named like the routine incidents of stream '{s}' "
                               f"({s}-DAY-K): rename it", "incidents", i, "id")


# -- hazard models: interventions and detectors ---------------------------------------------------------


def _models_of(sc: Scenario, tname: str) -> list[str]:
    return sorted({i.hazard.model for i in sc.incidents if i.type == tname and i.hazard is not None})


def intervention_problem(model: str, action: str, args: Mapping[str, Any], grids: set[str] | frozenset[str],
                         params: Any = None) -> tuple[str | None, str] | None:
    """Why the intervention ``action`` with ``args`` would fail on hazard model ``model`` (``None`` when it
    would run): ``(argument at fault, or None for the action itself; message)``. ``params``: the incident's
    hazard parameters, for the ids its arguments may name (a crowd network's links) and required arguments.

    The one check of an intervention against a model — a scenario's task (:func:`interventions`) and a
    drill's inject (``intervention:`` effects of the MSEL) both use it, so both refuse the same things."""
    cls = HAZARD_MODELS[model]
    if action not in cls.arguments:
        return None, f"the {model} model has no intervention '{action}' (known: {', '.join(sorted(cls.arguments))})"
    allowed = cls.arguments[action]
    names = cls.argument_names(params) if params is not None else None
    for key, value in args.items():
        if key not in allowed:
            return key, f"{action} ({model}) has no argument '{key}' (known: {', '.join(sorted(allowed)) or 'none'})"
        problem = argument_problem(allowed[key], value, grids, names)
        if problem is not None:
            return key, f"{key} {problem}"
    missing = [k for k, kind in allowed.items() if kind.endswith("!") and k not in args]
    if params is not None and missing:
        return None, f"{action} ({model}) needs the argument '{missing[0]}'"
    return None


def interventions(sc: Scenario) -> None:
    """Every intervention and its arguments must be known to the hazard model of each incident of the task's
    type (to some hazard model when the type has none yet); every ``hazard_detector`` likewise."""
    grids = set(sc.city.grid_ids())
    for tname, itype in sc.incident_types.items():
        models = _models_of(sc, tname) or sorted(HAZARD_MODELS)
        own = bool(_models_of(sc, tname))
        for k, t in enumerate(itype.tasks):
            where = ("incident_types", tname, "tasks", k)
            if t.intervention is None:  # arguments left over (``--set …intervention=null`` in a what-if) are inert
                continue
            having = [m for m in models if t.intervention in HAZARD_MODELS[m].arguments]
            if own and len(having) < len(models):
                lacking = next(m for m in models if m not in having)
                having = [lacking]  # its refusal comes first: the intervention itself, not an argument
            elif not having:
                known = sorted({a for m in models for a in HAZARD_MODELS[m].arguments})
                raise RefError(f"incident type '{tname}': task '{t.id}': no hazard model has an intervention "
                               f"'{t.intervention}' (known: {', '.join(known)})", *where, "intervention")
            hazards = [i.hazard for i in sc.incidents if i.type == tname and i.hazard is not None] or [None]
            for m, params in ((m, p) for m in having for p in hazards if p is None or p.model == m):
                found = intervention_problem(m, t.intervention, t.intervention_args, grids, params)
                if found is not None:
                    key, message = found
                    at = ("intervention_args", key) if key is not None else ("intervention",)
                    if key is None and t.intervention in HAZARD_MODELS[m].arguments:
                        message += " (intervention_args)"  # a required argument is missing: say where it goes
                    raise RefError(f"incident type '{tname}': task '{t.id}': {message}", *where, *at)
        for k, d in enumerate(itype.detection):
            if d.hazard_detector is None:
                continue
            for m in models if own else []:
                if d.hazard_detector not in HAZARD_MODELS[m].detectors:
                    raise RefError(f"incident type '{tname}': the {m} model has no detector '{d.hazard_detector}' "
                                   f"(known: {', '.join(sorted(HAZARD_MODELS[m].detectors))}); it would never "
                                   "detect", "incident_types", tname, "detection", k, "hazard_detector")
            if not own and not any(d.hazard_detector in c.detectors for c in HAZARD_MODELS.values()):
                known = sorted(set().union(*(c.detectors for c in HAZARD_MODELS.values())))
                raise RefError(f"incident type '{tname}': no hazard model has a detector '{d.hazard_detector}' "
                               f"(known: {', '.join(known)})", "incident_types", tname, "detection", k,
                               "hazard_detector")


# -- who can be told: the channels --------------------------------------------------------------------


def _reach_graph(sc: Scenario) -> nx.DiGraph:
    """Who can send a message to whom: the channels (both ways unless ``both_ways: false``); platform
    channels join every platform member when the arrangement uses the platform, and are off otherwise."""
    g = nx.DiGraph()
    g.add_nodes_from(a.id for a in sc.agencies)
    members: set[str] = set()
    for c in sc.channels:
        if c.medium == "platform":
            if sc.arrangement.platform:
                members |= {c.from_, c.to}
            continue
        g.add_edge(c.from_, c.to)
        if c.both_ways:
            g.add_edge(c.to, c.from_)
    g.add_edges_from((a, b) for a in members for b in members if a != b)
    return g


def messages_arrive(sc: Scenario) -> None:
    """In every street where an incident of a used type may arise, each first report must be able to reach
    the relay, and the relay each agency it notifies (the lead, the task leads, assists and informed) —
    else the run would wait for ever on a message that has no road (an empty ``channels:`` list)."""
    for i, c in enumerate(sc.channels):
        if c.from_ == c.to:
            raise RefError(f"channel {c.from_}->{c.to} joins an agency to itself", "channels", i, "to")
    arr, g = sc.arrangement, _reach_graph(sc)
    used = {i.type for i in sc.incidents} | {s.type for s in sc.streams}
    streets = _streets_of_use(sc)
    for tname in sorted(used):
        ia, itype = arr.incident_types[tname], sc.incident_types[tname]
        for street in sorted(streets.get(tname, ())):
            def res(ref: str, street: str = street) -> str | None:
                return resolve_ref(sc.agencies, ref, street)

            lead = res(ia.lead)
            relay = res(arr.relay) if arr.relay else lead
            refs = [ia.lead, *ia.informed]
            for t in itype.tasks:
                ta = ia.tasks[t.id]
                refs += [*ta.lead, *ta.assist, *ta.informed]
            pairs = [(res(d.report_to), relay, f"a first report ({d.kind})") for d in itype.detection]
            pairs += [(relay, res(r), "a notice") for r in refs]
            for src, dst, what in pairs:
                if src is None or dst is None or src == dst or nx.has_path(g, src, dst):
                    continue
                raise RefError(f"incident type '{tname}' in street {street}: {what} cannot get from '{src}' to "
                               f"'{dst}': no chain of channels joins them (add a channel)", "channels")


def _streets_of_use(sc: Scenario) -> dict[str, set[str]]:
    """Incident type → the streets where its incidents may arise (a stream's grids, or every street)."""
    out: dict[str, set[str]] = {}
    every = set(sc.city.street_ids())
    for inc in sc.incidents:
        out.setdefault(inc.type, set()).add(sc.city.street_of(inc.grid))
    for s in sc.streams:
        out.setdefault(s.type, set()).update({sc.city.street_of(g) for g in s.grids} if s.grids else every)
    return out


# -- roads: units must be able to reach the incident ---------------------------------------------------


def units_reach(sc: Scenario) -> None:
    """Every unit kind an incident needs must reach the incident's grid by road (a generated lattice is
    connected; an explicit city's grid-to-grid ``roads`` may leave a grid cut off)."""
    city = sc.city.explicit
    if city is None or city.road_network is not None or city.straight_line is not None:
        return  # a road-network file or straight lines: the world's travel table checks it when built
    roads = nx.Graph()
    roads.add_nodes_from(g.id for g in city.grids)
    roads.add_edges_from((r.from_, r.to) for r in city.roads)
    part = {g: k for k, comp in enumerate(nx.connected_components(roads)) for g in comp}
    station_grid = {s.id: s.grid for s in sc.stations}
    for i, inc in enumerate(sc.incidents):
        for t in sc.incident_types[inc.type].tasks:
            grids = {station_grid[u.station] for u in sc.units if u.kind == t.unit}
            if t.unit is not None and grids and not any(part[g] == part[inc.grid] for g in grids):
                raise RefError(f"incident '{inc.id}': no '{t.unit}' unit can reach grid '{inc.grid}' by road "
                               f"(task '{t.id}')", "incidents", i, "grid")
