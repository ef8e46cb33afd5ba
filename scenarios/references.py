"""Cross-references of a scenario (交叉引用校验): incidents and streams against the types, grids and horizon;
level triggers against the hazard models' measures; the city tier a level needs; the arrangement against
the agencies and tasks of the scenario. The :class:`~scenarios.schema.Scenario`'s ``verify_*`` validators
call these functions (as they call :mod:`scenarios.checks`); each raises a
:class:`~agencies.base.RefError` whose message names the entity at fault and whose path points at the YAML
line to fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agencies.base import RefError
from agencies.catalogue import role_catalogue
from scenarios.hazards.base import HAZARD_MODELS

if TYPE_CHECKING:
    from scenarios.schema import Scenario


def type_error(tname: str, message: str, *path: str | int) -> RefError:
    """A reference error inside incident type ``tname``: the message names it, the path starts at it."""
    return RefError(f"incident type '{tname}': {message}", "incident_types", tname, *path)


def incidents(sc: Scenario) -> None:
    """Incidents and streams name known types and grids, start before the horizon, and are not defined twice;
    detectors report to, and the site is operated by, an agency of the scenario."""
    grids = set(sc.city.grid_ids())
    roles_present = {a.role for a in sc.agencies} | {a.id for a in sc.agencies}
    ids: set[str] = set()
    for i, inc in enumerate(sc.incidents):
        if inc.id in ids:
            raise RefError(f"incident '{inc.id}' is defined twice", "incidents", i, "id")
        ids.add(inc.id)
        if inc.type not in sc.incident_types:
            raise RefError(
                f"incident '{inc.id}' has unknown type '{inc.type}' "
                f"(known: {', '.join(sorted(sc.incident_types))})",
                "incidents",
                i,
                "type",
            )
        if inc.grid not in grids:
            raise RefError(f"incident '{inc.id}' is in unknown grid '{inc.grid}'", "incidents", i, "grid")
        if inc.onset >= sc.horizon:
            raise RefError(
                f"incident '{inc.id}' starts at {inc.onset} s, after the horizon {sc.horizon} s",
                "incidents",
                i,
                "onset",
            )
    for tname, itype in sc.incident_types.items():
        for k, d in enumerate(itype.detection):
            if d.report_to not in roles_present:
                raise type_error(
                    tname,
                    f"detector '{d.kind}' reports to '{d.report_to}', which no agency of the scenario is",
                    "detection",
                    k,
                    "report_to",
                )
        if itype.site is not None and itype.site not in roles_present:
            raise type_error(tname, f"site operator '{itype.site}' is no agency of the scenario", "site")
    if sum(i.primary for i in sc.incidents) > 1:
        raise RefError("more than one incident is marked primary", "incidents")
    if not sc.incidents and not sc.streams:
        raise RefError("a scenario needs at least one incident or one stream", "incidents")
    for i, st in enumerate(sc.streams):
        if st.type not in sc.incident_types:
            raise RefError(f"stream '{st.id}' has unknown incident type '{st.type}'", "streams", i, "type")
        for k, g in enumerate(st.grids or []):
            if g not in grids:
                raise RefError(f"stream '{st.id}' names unknown grid '{g}'", "streams", i, "grids", k)
        if st.end is not None and st.end <= st.start:
            raise RefError(f"stream '{st.id}' ends before it starts", "streams", i, "end")


def level_triggers(sc: Scenario) -> None:
    """A level trigger watches a measure of the incident's hazard model: a typo would never fire."""
    for tname, itype in sc.incident_types.items():
        models = {i.hazard.model for i in sc.incidents if i.type == tname and i.hazard is not None}
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


def city_command(sc: Scenario) -> None:
    """A level the city commands needs the arrangement's city-tier agency here (else nobody takes over)."""
    present = {a.role for a in sc.agencies} | {a.id for a in sc.agencies}
    role = sc.arrangement.city_command
    for tname, itype in sc.incident_types.items():
        if itype.response.city_command_at is not None and role not in present:
            level = ("I", "II", "III", "IV")[itype.response.city_command_at - 1]
            raise RefError(f"incident type '{tname}': levels I–{level} are commanded by the city tier, but no "
                           f"agency of the scenario is '{role}' (the arrangement's city_command)",
                           "incident_types", tname, "response", "city_command_at")


def arrangement(sc: Scenario) -> None:
    """Every role the arrangement names exists here, and every task of every used type is assigned."""
    roles = role_catalogue()
    present = {a.role for a in sc.agencies} | {a.id for a in sc.agencies}
    arr = sc.arrangement

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
    for tname in sorted({i.type for i in sc.incidents} | {s.type for s in sc.streams}):
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
        for task in sc.incident_types[tname].tasks:
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
            lead_roles = [ref if ref in roles else next(a.role for a in sc.agencies if a.id == ref)
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
        for extra in sorted(set(ia.tasks) - {t.id for t in sc.incident_types[tname].tasks}):
            raise RefError(
                f"arrangement '{arr.name}' assigns unknown task '{extra}' of '{tname}'",
                "arrangement",
                "incident_types",
                tname,
                "tasks",
                extra,
            )
