"""Hypothesis strategies: small, *valid* Linkage scenarios built from plain dicts (生成合法情景).

Each generated document passes ``Scenario.model_validate`` and ``build_world``: a small city (explicit
grids on a connected road tree, or a tiny generated lattice), a handful of agencies with roles from the
catalogue and a parent forest, duty desks of 1–3 staff (some with a night shift, some with nobody at
night), stations and units, channels with random latencies, losses and outages, one incident type with
a random task DAG, an arrangement that gives each task 0, 1 or 2 leads (so escalation happens), and
1–3 incidents at random onsets.

Knobs keep the documents inside or outside areas where the engine is known to misbehave, so a property
can run on both (see ``tests/property/test_engine_properties.py``):

* ``jurisdictions`` — agencies may cover only some streets (属地), so a role can resolve to nobody for
  an incident's street;
* ``streams`` — a routine incident stream (日常警情, Poisson arrivals) may run beside the listed incidents.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import strategies as st

from agencies.catalogue import role_catalogue
from scenarios.schema import Scenario

UNIT_KINDS = ("engine", "patrol", "ambulance", "street_staff")
DAY = 86400.0

# Roles that can do something a task may ask for (centres can only take calls: `intake`).
_ROLES = role_catalogue()
AGENCY_ROLES = sorted(r for r, spec in _ROLES.items() if spec.kind == "agency")
CENTRE_ROLES = sorted(r for r, spec in _ROLES.items() if spec.kind == "centre")


@cache  # building composite strategies is costly (hypothesis inspects their source): build each once
def distributions(low: float = 0.0, high: float = 600.0) -> st.SearchStrategy[Any]:
    """A distribution as written in YAML: a bare number or a tagged mapping (values within [low, high])."""
    num = st.floats(low, high, allow_nan=False, allow_infinity=False)
    pos = st.floats(max(low, 1.0), max(high, 2.0), allow_nan=False, allow_infinity=False)

    @st.composite
    def lognormal(draw: st.DrawFn) -> dict:
        median = draw(pos)
        return {"dist": "lognormal", "median": median, "p90": median * draw(st.floats(1.1, 4.0))}

    @st.composite
    def uniform(draw: st.DrawFn) -> dict:
        a, b = sorted(draw(st.lists(num, min_size=2, max_size=2, unique=True)))
        return {"dist": "uniform", "low": a, "high": b}

    @st.composite
    def triangular(draw: st.DrawFn) -> dict:
        a, m, b = sorted(draw(st.lists(num, min_size=3, max_size=3, unique=True)))
        return {"dist": "triangular", "low": a, "mode": m, "high": b}

    return st.one_of(
        num.map(lambda v: round(v, 3)),
        pos.map(lambda v: {"dist": "exponential", "mean": v}),
        lognormal(), uniform(), triangular(),
    )


@st.composite
def cities(draw: st.DrawFn) -> dict:
    """An explicit city of 2–12 grids on a connected road graph, or a generated lattice of ≤ 12 grids."""
    if draw(st.booleans()):
        n = draw(st.integers(2, 12))
        n_streets = draw(st.integers(1, min(3, n)))
        streets = [f"S{(i % n_streets) + 1}" for i in range(n)]
        grids = [{"id": f"g{i}", "street": streets[i], "x": float(100 * i), "y": float(draw(st.integers(0, 5)) * 100),
                  "households": draw(st.integers(0, 600))} for i in range(n)]
        roads = []
        for i in range(1, n):  # a random spanning tree keeps every grid reachable …
            roads.append({"from": f"g{draw(st.integers(0, i - 1))}", "to": f"g{i}",
                          "length_m": draw(st.floats(50, 3000)), "speed_kmh": draw(st.floats(10, 60))})
        for _ in range(draw(st.integers(0, 3))):  # … and a few extra roads make loops
            a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            if a != b:
                roads.append({"from": f"g{a}", "to": f"g{b}", "length_m": draw(st.floats(50, 3000))})
        return {"explicit": {"district": "prop", "grids": grids, "roads": roads}}
    streets = draw(st.integers(1, 3))
    comms = draw(st.integers(1, 2))
    per = draw(st.integers(1, max(1, 12 // (streets * comms))))
    return {"generated": {"district": "prop", "streets": streets, "communities_per_street": comms,
                          "grids_per_community": per, "grid_size_m": draw(st.floats(100, 800)),
                          "arterial_every": draw(st.integers(0, 3)), "seed": draw(st.integers(0, 99))}}


def _grid_ids_and_streets(city: dict) -> tuple[list[str], list[str]]:
    if "explicit" in city:
        grids = city["explicit"]["grids"]
        return [g["id"] for g in grids], sorted({g["street"] for g in grids})
    g = city["generated"]
    ids = [f"S{s}-C{c}-G{k}" for s in range(1, g["streets"] + 1) for c in range(1, g["communities_per_street"] + 1)
           for k in range(1, g["grids_per_community"] + 1)]
    return ids, [f"S{s}" for s in range(1, g["streets"] + 1)]


@st.composite
def scenario_docs(draw: st.DrawFn, jurisdictions: bool = False, streams: bool = False) -> dict:
    """A valid scenario document (plain dict, as YAML would give it)."""
    city = draw(cities())
    grid_ids, street_ids = _grid_ids_and_streets(city)
    grid = st.sampled_from(grid_ids)

    # Agencies: 2–6 with catalogue roles (repeats allowed: two street offices), a parent forest, and
    # often one intake centre.
    roles = draw(st.lists(st.sampled_from(AGENCY_ROLES), min_size=2, max_size=5))
    if draw(st.booleans()):
        roles.append(draw(st.sampled_from(CENTRE_ROLES)))
    agencies = []
    for i, role in enumerate(roles):
        staff = draw(st.integers(1, 3))
        desk: dict[str, Any] = {"staff": staff, "handling": draw(distributions(0, 300))}
        if draw(st.integers(0, 2)) == 0:
            desk["night_staff"] = draw(st.integers(0, staff))
        a: dict[str, Any] = {"id": f"a{i}_{role}", "role": role, "desk": desk, "decision": draw(distributions(0, 600))}
        if i > 0 and draw(st.integers(0, 3)) > 0:  # mostly a tree, sometimes a forest (no common superior)
            a["parent"] = agencies[draw(st.integers(0, i - 1))]["id"]
        if jurisdictions and draw(st.booleans()):
            a["jurisdiction"] = draw(
                st.lists(st.sampled_from(street_ids), min_size=1, max_size=len(street_ids), unique=True)
            )
        agencies.append(a)
    ids = [a["id"] for a in agencies]
    present_roles = sorted(set(roles))

    # Stations and units: 1–4 stations, each with 1–2 unit kinds.
    stations, units = [], []
    for k in range(draw(st.integers(1, 4))):
        sid = f"st{k}"
        stations.append({"id": sid, "agency": draw(st.sampled_from(ids)), "grid": draw(grid)})
        for kind in draw(st.lists(st.sampled_from(UNIT_KINDS), min_size=1, max_size=2, unique=True)):
            units.append(
                {"station": sid, "kind": kind, "count": draw(st.integers(1, 3)), "turnout": draw(distributions(0, 300))}
            )
    kinds = sorted({u["kind"] for u in units})

    # Channels: a random spanning tree over the agencies (so messages can flow) plus extras; some
    # one-way, some lossy, some out of service for a while, some on the platform medium.
    channels = []

    def channel(a: str, b: str, media: tuple[str, ...] = ("phone", "radio", "platform")) -> dict:
        c: dict[str, Any] = {
            "from": a,
            "to": b,
            "kind": draw(st.sampled_from(["report", "notify", "command", "request_support", "handoff"])),
            "latency": draw(distributions(0, 400)),
            "medium": draw(st.sampled_from(media)),
        }
        if draw(st.booleans()):
            c["reliability"] = draw(st.floats(0.7, 1.0))
            c["retry_after"] = draw(st.floats(10, 300))
        if draw(st.integers(0, 3)) == 0:
            start = draw(st.floats(0, 20000))
            c["down"] = [[start, start + draw(st.floats(1, 7200))]]
        return c

    for i in range(1, len(ids)):  # the tree is phone or radio: platform links are off without the platform
        channels.append(channel(ids[draw(st.integers(0, i - 1))], ids[i], ("phone", "radio")))
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        if a != b:
            c = channel(a, b)
            c["both_ways"] = draw(st.booleans())
            channels.append(c)

    # One incident type: a DAG of 2–6 tasks whose capabilities some present role has.
    capable: dict[str, list[str]] = {}
    for r in present_roles:
        for cap in sorted(_ROLES[r].capabilities):
            capable.setdefault(cap, []).append(r)
    caps = sorted(c for c in capable if c != "intake") or sorted(capable)
    n_tasks = draw(st.integers(2, 6))
    tasks, assignment = [], {}
    for k in range(n_tasks):
        cap = draw(st.sampled_from(caps))
        t: dict[str, Any] = {
            "id": f"t{k}",
            "capability": cap,
            "after": sorted({f"t{p}" for p in draw(st.lists(st.integers(0, k - 1), max_size=2))}) if k else [],
            "unit": draw(st.one_of(st.none(), st.sampled_from(kinds))),
            "count": draw(st.integers(1, 2)),
            "duration": draw(distributions(0, 3600)),
            "setup": draw(distributions(0, 300)),
            "controls": draw(st.booleans()),
        }
        tasks.append(t)
        refs = capable[cap] + [a["id"] for a in agencies if a["role"] in capable[cap]]
        lead = draw(st.lists(st.sampled_from(refs), min_size=0, max_size=2))
        ta: dict[str, Any] = {"lead": lead}
        if draw(st.integers(0, 4)) == 0:
            ta["dispatch"] = draw(st.sampled_from(["own_agency", "nearest"]))
        assignment[f"t{k}"] = ta
    all_refs = present_roles + ids
    detection = [{"kind": draw(st.sampled_from(["citizen_call", "grid_patrol", "sensor", "cctv"])),
                  "delay": draw(distributions(0, 1800)), "probability": draw(st.sampled_from([1.0, 1.0, 0.5, 0.1])),
                  "report_to": draw(st.sampled_from(all_refs))} for _ in range(draw(st.integers(1, 2)))]
    arrangement = {
        "name": "generated",
        "relay": draw(st.one_of(st.none(), st.sampled_from(all_refs))),
        "fan_out": draw(st.sampled_from(["serial", "parallel"])),
        "grid_model": draw(st.sampled_from(["parallel", "integrated"])),
        "dispatch": draw(st.sampled_from(["own_agency", "nearest"])),
        "platform": draw(st.booleans()),
        "escalation_decision": draw(st.floats(0, 900)),
        "incident_types": {
            "it": {
                "lead": draw(st.sampled_from(all_refs)),
                "informed": draw(st.lists(st.sampled_from(all_refs), max_size=2, unique=True)),
                "tasks": assignment,
            }
        },
    }

    horizon = draw(st.sampled_from([3600.0, 4 * 3600.0, 12 * 3600.0, 30 * 3600.0]))
    n_inc = draw(st.integers(1, 3))
    incidents = [{"id": f"inc{k}", "type": "it", "grid": draw(grid), "onset": draw(st.floats(0, horizon * 0.6)),
                  "severity": draw(st.integers(1, 4))} for k in range(n_inc)]
    if draw(st.booleans()):
        incidents[draw(st.integers(0, n_inc - 1))]["primary"] = True

    # Dispatch rules: nearest / own street first / fixed preference lists; queue or mutual aid when busy.
    dispatch: dict[str, Any] = {"order": draw(st.sampled_from(["nearest", "own_jurisdiction", "preference"])),
                                "when_all_busy": draw(st.sampled_from(["queue", "mutual_aid"])),
                                "mutual_aid_travel": draw(distributions(0, 3600))}
    if dispatch["order"] == "preference":
        station_ids = [s["id"] for s in stations]
        dispatch["preferences"] = {g: draw(st.lists(st.sampled_from(station_ids), min_size=1, max_size=3, unique=True))
                                   for g in draw(st.lists(grid, max_size=3, unique=True))}

    doc_streams = []
    if streams and draw(st.booleans()):
        stream: dict[str, Any] = {"id": "routine", "type": "it", "rate_per_hour": draw(st.floats(0.01, 0.3)),
                                  "start": draw(st.floats(0, horizon / 2))}
        if draw(st.booleans()):
            stream["grids"] = draw(st.lists(grid, min_size=1, max_size=3, unique=True))
        if draw(st.booleans()):
            stream["end"] = stream["start"] + draw(st.floats(600, horizon))
        doc_streams.append(stream)

    return {
        "name": "generated", "description": {"zh": "生成的情景", "en": "generated scenario"},
        "horizon": horizon, "clock_start": draw(st.floats(0, DAY - 1)), "city": city,
        "agencies": agencies, "stations": stations, "units": units, "channels": channels,
        "arrangement": arrangement,
        "incident_types": {"it": {"detection": detection, "verify": draw(distributions(0, 300)), "tasks": tasks}},
        "incidents": incidents, "streams": doc_streams, "dispatch": dispatch,
    }


def scenarios(jurisdictions: bool = False, streams: bool = True) -> st.SearchStrategy[Scenario]:
    """Validated :class:`~scenarios.schema.Scenario` objects."""
    return scenario_docs(jurisdictions=jurisdictions, streams=streams).map(Scenario.model_validate)


seeds = st.integers(0, 2**32 - 1)


def tiny_doc(horizon: float = 3600.0) -> dict:
    """The smallest useful scenario: two grids on two streets, a fire brigade that detects, decides and
    does one desk task itself. Tests copy and edit it to pin down one behaviour (minimal repros)."""
    return {
        "name": "tiny",
        "description": {"zh": "最小情景", "en": "tiny scenario"},
        "horizon": horizon,
        "clock_start": 36000.0,
        "city": {
            "explicit": {
                "grids": [
                    {"id": "g0", "street": "S1", "x": 0.0, "y": 0.0},
                    {"id": "g1", "street": "S2", "x": 500.0, "y": 0.0},
                ],
                "roads": [{"from": "g0", "to": "g1", "length_m": 500.0}],
            }
        },
        "agencies": [{"id": "fire", "role": "fire", "desk": {"staff": 1, "handling": 10}}],
        "stations": [{"id": "fs", "agency": "fire", "grid": "g0"}],
        "units": [{"station": "fs", "kind": "engine"}],
        "arrangement": {
            "name": "tiny",
            "incident_types": {"it": {"lead": "fire", "tasks": {"t0": {"lead": ["fire"]}}}},
        },
        "incident_types": {
            "it": {
                "detection": [{"kind": "citizen_call", "delay": 60, "report_to": "fire"}],
                "tasks": [{"id": "t0", "capability": "fire_attack", "duration": 600, "controls": True}],
            }
        },
        "incidents": [{"id": "inc0", "type": "it", "grid": "g1"}],
    }


def tiny(edit: Callable[[dict], None] | None = None, horizon: float = 3600.0) -> Scenario:
    """:func:`tiny_doc` after an in-place edit, validated (the minimal repros of the engine properties)."""
    doc = tiny_doc(horizon)
    if edit is not None:
        edit(doc)
    return Scenario.model_validate(doc)
