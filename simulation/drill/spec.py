"""Drill definition (演练方案): a scenario, a seed, seats, a MSEL, decision deadlines and defaults.

Read from YAML (``scenarios/library/drills/*.yaml``); every reference is checked against the scenario
before a session starts, and problems read ``FILE:LINE: field.path: message`` like scenario errors.
Roles follow AQ/T 9007: facilitator/controller (导调), players (参演, one seat per agency or group of
agencies), evaluators (评估) and observers (观摩).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from agencies.base import Bilingual, Frozen, Ident
from scenarios.checks import intervention_problem
from scenarios.errors import InputError, Problem
from scenarios.limits import MAX_SEED
from scenarios.loader import SCENARIO_LIBRARY, confined, load_scenario, validation_problems
from scenarios.schema import Scenario
from scenarios.yamlsrc import SrcDict, load_file, to_plain
from simulation.drill.msel import Msel, format_time
from simulation.drill.msel_io import msel_from_data, read_msel
from simulation.drill.policy import DECISION_KINDS

DRILL_LIBRARY = SCENARIO_LIBRARY / "drills"
Role = Literal["facilitator", "player", "evaluator", "observer"]


class SeatSpec(Frozen):
    id: Ident
    role: Role
    agencies: list[Ident] = Field(default_factory=list)
    """Agencies this seat plays (players only); everybody else is played by the plan."""
    name: Bilingual | None = None


class DrillSpec(Frozen):
    name: Ident
    title: Bilingual
    scenario: str
    """Scenario file (relative to the drill file) or bundled scenario name."""
    arrangement: str | None = None
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    """Stored as a 64-bit integer, as every run seed (a larger one made a session whose report could not run)."""
    msel: str | list[dict[str, Any]] = Field(default_factory=list)
    """A MSEL file (.csv/.xlsx, relative to the drill file) or the injects inline."""
    seats: Annotated[list[SeatSpec], Field(min_length=1)]
    deadlines: dict[Literal[DECISION_KINDS], Annotated[float, Field(gt=0, le=86400)]] = Field(default_factory=dict)  # type: ignore[valid-type]
    """Seconds (scenario time) a player has for each kind of decision before the default applies."""
    defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Facilitator's defaults by decision kind or key (``task_order:crowd1:crowd_control``); else the plan's."""
    poll_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    counterfactual_replications: Annotated[int, Field(ge=2, le=1000)] = 30


def find_drill(ref: str | Path) -> Path:
    p = Path(ref)
    for cand in (p, DRILL_LIBRARY / p, DRILL_LIBRARY / f"{p}.yaml"):
        if cand.is_file():
            return cand
    known = ", ".join(sorted(x.stem for x in DRILL_LIBRARY.glob("*.yaml")))
    raise InputError.one(str(ref), None, "", f"no such drill file (bundled drills: {known or 'none'})")


def load_drill(ref: str | Path) -> tuple[DrillSpec, Scenario, Msel]:
    """Read and check a drill definition; returns the spec, its scenario and its MSEL."""
    path = find_drill(ref)
    name = str(path)
    doc = load_file(path)
    if not isinstance(doc, SrcDict):
        raise InputError.one(name, 1, "", "a drill file must be a YAML mapping")
    try:
        spec = DrillSpec.model_validate(to_plain(doc))
    except ValidationError as e:
        raise InputError(validation_problems(e, doc, name)) from None
    line = lambda key: doc.src.get(key, (name, None))[1]  # noqa: E731
    # Confined as a scenario's extends (a shared or uploaded drill cannot make the engine read any other file of the
    # host): the scenario beside or below the drill file, or bundled; the MSEL beside or below it.
    sc_path = confined(spec.scenario, path, name, line("scenario"), "scenario", (SCENARIO_LIBRARY,))
    if sc_path is None and not spec.scenario.endswith(".yaml"):
        sc_path = confined(f"{spec.scenario}.yaml", path, name, line("scenario"), "scenario", (SCENARIO_LIBRARY,))
    if sc_path is None:
        raise InputError.one(name, line("scenario"), "scenario", f"cannot find scenario '{spec.scenario}'")
    scenario = load_scenario(sc_path, spec.arrangement)
    if isinstance(spec.msel, str):
        msel_path = confined(spec.msel, path, name, line("msel"), "msel", ())
        msel = read_msel(msel_path or path.parent / spec.msel, scenario.clock_start)
    else:
        msel = msel_from_data(doc.get("msel") or [], name, scenario.clock_start)
    check_drill(spec, scenario, msel, name, line)
    return spec, scenario, msel


def check_drill(spec: DrillSpec, sc: Scenario, msel: Msel, name: str, line: Any = lambda k: None) -> None:
    """Cross-references: seats name agencies of the scenario; injects name agencies, tasks, hazards."""
    problems: list[Problem] = []
    agencies = {a.id for a in sc.agencies}
    played: dict[str, str] = {}
    roles = [s.role for s in spec.seats]
    if roles.count("facilitator") != 1:
        problems.append(Problem(name, line("seats"), "seats", "a drill needs exactly one facilitator seat (导调)"))
    ids = [s.id for s in spec.seats]
    for k, s in enumerate(spec.seats):
        if s.id in ids[:k]:  # once, at the repeat (each copy said it: the same line twice)
            problems.append(Problem(name, line("seats"), f"seats[{s.id}].id", f"seat '{s.id}' is defined twice "
                                    f"(seats {ids.index(s.id) + 1} and {k + 1})"))
        if s.role == "player" and not s.agencies:
            problems.append(
                Problem(name, line("seats"), f"seats[{s.id}].agencies", "a player seat plays at least one agency")
            )
        if s.role != "player" and s.agencies:
            problems.append(Problem(name, line("seats"), f"seats[{s.id}].agencies", f"a {s.role} seat plays no agency"))
        for a in s.agencies:
            if a not in agencies:
                problems.append(
                    Problem(
                        name, line("seats"), f"seats[{s.id}].agencies", f"unknown agency '{a}' (scenario '{sc.name}')"
                    )
                )
            elif a in played:
                problems.append(
                    Problem(
                        name,
                        line("seats"),
                        f"seats[{s.id}].agencies",
                        f"agency '{a}' is already played by seat '{played[a]}'",
                    )
                )
            played.setdefault(a, s.id)
    incidents = {i.id: i for i in sc.incidents}
    grids = set(sc.city.grid_ids())
    primary = sc.primary_incident()
    where = str(Path(name).parent / spec.msel) if isinstance(spec.msel, str) else name
    nobody = sorted(played) or ["nobody"]
    for inj in msel.injects:
        at, row = f"injects[{inj.id}]", msel.line(inj.id)
        inc = incidents.get(inj.incident) if inj.incident else primary
        if inc is None:
            problems.append(Problem(where, row, f"{at}.incident", f"unknown incident '{inj.incident}'"))
            continue
        if inj.time is not None and inj.time >= sc.horizon:
            problems.append(Problem(where, row, f"{at}.time", f"{format_time(inj.time)} is after the drill's end "
                                    f"({format_time(sc.horizon)}, the scenario's horizon)"))
        for e in inj.expected:
            if e.agency in agencies and e.agency not in played:
                problems.append(Problem(where, row, f"{at}.expected_actions",
                                        f"'{e.agency}' is played by nobody (played: {', '.join(nobody)}); the "
                                        "plan's automatic play is not scored — drop the action or give the agency "
                                        "a seat"))
        tasks = {t.id for t in sc.incident_types[inc.type].tasks}
        if inj.to not in agencies:
            problems.append(Problem(where, row, f"{at}.to", f"unknown agency '{inj.to}'"))
        tr = inj.trigger
        if tr is not None and tr.kind in ("started", "done") and tr.arg not in tasks:
            problems.append(
                Problem(where, row, f"{at}.trigger", f"unknown task '{tr.arg}' (known: {', '.join(sorted(tasks))})")
            )
        if tr is not None and tr.kind == "notified" and tr.arg not in agencies:
            problems.append(Problem(where, row, f"{at}.trigger", f"unknown agency '{tr.arg}'"))
        if tr is not None and tr.kind in ("hazard", "reaches") and inc.hazard is None:
            problems.append(Problem(where, row, f"{at}.trigger", f"incident '{inc.id}' has no hazard model"))
        for e in inj.expected:
            if e.agency not in agencies:
                problems.append(Problem(where, row, f"{at}.expected_actions", f"unknown agency '{e.agency}'"))
            if e.action in ("settle_owner", "task_order", "intervention", "started", "done") and e.target not in tasks:
                problems.append(
                    Problem(
                        where,
                        row,
                        f"{at}.expected_actions",
                        f"{e.action} needs a task of '{inc.type}' (known: {', '.join(sorted(tasks))})",
                    )
                )
            if e.action == "notify" and e.target not in agencies:
                problems.append(
                    Problem(where, row, f"{at}.expected_actions", f"notify needs an agency (got '{e.target}')")
                )
        for eff in inj.effect:
            if inc.hazard is None:
                problems.append(Problem(where, row, f"{at}.effect", f"incident '{inc.id}' has no hazard model"))
            elif eff.kind == "surge" and inc.hazard.model != "crowd":
                problems.append(Problem(where, row, f"{at}.effect", "surge needs a crowd hazard"))
            elif eff.kind == "set" and (eff.field not in type(inc.hazard).model_fields or eff.field == "model"):
                problems.append(
                    Problem(
                        where, row, f"{at}.effect", f"'{eff.field}' is not a parameter of the {inc.hazard.model} model"
                    )
                )
            elif eff.kind == "intervention":
                found = intervention_problem(inc.hazard.model, eff.action or "", eff.args, grids, inc.hazard)
                if found is not None:
                    problems.append(Problem(where, row, f"{at}.effect", f"intervention:{eff.action}: {found[1]}"))
            elif eff.kind == "set":
                try:
                    type(inc.hazard).model_validate({**inc.hazard.model_dump(), eff.field: eff.value})
                except ValidationError as e:
                    msg = e.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
                    problems.append(Problem(where, row, f"{at}.effect", f"set:{eff.field}={eff.value}: {msg}"))
    if problems:
        raise InputError(problems)
