"""Knobs that put the response mechanisms into generated scenarios (分级响应、二次增援、协助出动、工单).

:func:`mechanism_docs` draws a scenario of :func:`strategies.scenario_docs` and edits it in place; every
knob is independent and each document still passes ``Scenario.model_validate`` and ``build_world``:

* ``levels`` — the incident type's ``response``: weights per level (more units at a more severe level), a
  ``raise_after`` that often fires (0 s to 2 h without control), a command post at some levels, and
  sometimes a city tier (a ``city_government`` agency is added with a channel) that takes over at some levels;
* ``assist`` — task assignments list assisting agencies, mostly ones with stations of the task's unit kind;
* ``work_orders`` — some tasks go ``by: work_order`` under a random work-order process (rejection, re-dispatch,
  arbitration or none, supervision deadlines, failed verification);
* ``scarce`` — one unit per line, long work and incidents close together, so requests (second alarms,
  assistants' shares) wait in line and are stood down when the work ends first.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from strategies import distributions, scenario_docs

from scenarios.schema import Scenario


def _levels(draw: st.DrawFn, doc: dict) -> None:
    w3 = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0]))
    w2 = w3 + draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    w1 = w2 + draw(st.sampled_from([0.0, 1.0, 2.0]))
    response: dict[str, Any] = {
        "weight": {1: w1, 2: w2, 3: w3, 4: 1.0},
        "raise_after": draw(st.sampled_from([None, 0.0, 900.0, 1800.0, 3600.0, 7200.0])),
        "check_every": draw(st.sampled_from([1.0, 30.0, 60.0, 300.0])),
        "decision_factor": draw(st.floats(0.1, 1.0)),
    }
    if draw(st.booleans()):
        response["command_post_at"] = draw(st.integers(1, 4))
        response["command_post_setup"] = draw(distributions(0, 1800))
    if draw(st.booleans()):
        other = doc["agencies"][draw(st.integers(0, len(doc["agencies"]) - 1))]["id"]
        doc["agencies"].append({"id": "city", "role": "city_government", "desk": {"staff": 1, "handling": 5.0}})
        doc["channels"].append({"from": "city", "to": other, "kind": "report", "latency": draw(distributions(0, 300))})
        response["city_command_at"] = draw(st.integers(1, 4))
        response["city_command_setup"] = draw(distributions(0, 1800))
    doc["incident_types"]["it"]["response"] = response
    for t in doc["incident_types"]["it"]["tasks"]:  # long work, so a rise finds units at it: a second alarm goes
        if t["unit"] is not None and draw(st.booleans()):
            t["duration"] = draw(st.floats(1800.0, 5400.0))


def _assist(draw: st.DrawFn, doc: dict) -> None:
    owners: dict[str, set[str]] = {}  # unit kind → agencies with a station of it
    station_agency = {s["id"]: s["agency"] for s in doc["stations"]}
    for u in doc["units"]:
        owners.setdefault(u["kind"], set()).add(station_agency[u["station"]])
    ids = [a["id"] for a in doc["agencies"]]
    for t in doc["incident_types"]["it"]["tasks"]:
        if t["unit"] is None or not draw(st.booleans()):
            continue
        pool = sorted(owners.get(t["unit"], ())) + ids  # mostly agencies with units of the kind
        t["count"] = draw(st.integers(1, 4))
        doc["arrangement"]["incident_types"]["it"]["tasks"][t["id"]]["assist"] = draw(
            st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))


def _work_orders(draw: st.DrawFn, doc: dict) -> None:
    for t in doc["incident_types"]["it"]["tasks"]:
        if draw(st.booleans()):
            t["by"] = "work_order"
    arbitration_after = draw(st.sampled_from([None, 1, 2, 3]))
    doc["work_orders"] = {
        "decide": draw(distributions(0, 900)),
        "reject_shared": draw(st.floats(0.0, 0.95)),
        "reject_unlisted": draw(st.floats(0.0, 0.95)),
        "redispatch": draw(distributions(0, 900)),
        "arbitration_after": arbitration_after,
        "arbitration": draw(distributions(0, 1800)),
        "sign_deadline": draw(st.sampled_from([None, 0.0, 300.0, 3600.0])),
        "verify": draw(distributions(0, 600)),
        "verify_fail": draw(st.sampled_from([0.0, 0.0, 0.3, 0.6])),
    }


def _scarce(draw: st.DrawFn, doc: dict) -> None:
    for u in doc["units"]:
        u["count"] = 1
    for t in doc["incident_types"]["it"]["tasks"]:
        t["duration"] = draw(st.floats(1200.0, 7200.0))
        if t["unit"] is None and draw(st.booleans()):
            t["unit"] = doc["units"][0]["kind"]
    doc["dispatch"]["when_all_busy"] = draw(st.sampled_from(["queue", "queue", "mutual_aid"]))
    first = doc["incidents"][0]["onset"]
    for k in range(len(doc["incidents"]), 3):  # three incidents close together
        doc["incidents"].append({"id": f"inc{k}", "type": "it", "grid": doc["incidents"][0]["grid"],
                                 "onset": first + draw(st.floats(0, 1800)), "severity": draw(st.integers(1, 4))})
    for inc in doc["incidents"]:
        inc["onset"] = min(inc["onset"], doc["horizon"] * 0.6)


@st.composite
def mechanism_docs(draw: st.DrawFn, levels: bool = True, assist: bool = True, work_orders: bool = True,
                   scarce: bool = True) -> dict:
    """A valid scenario document with any of the mechanisms the knobs allow (each drawn on or off)."""
    doc = draw(scenario_docs())
    if scarce and draw(st.booleans()):
        _scarce(draw, doc)
    if levels and draw(st.integers(0, 3)) > 0:
        _levels(draw, doc)
    if assist and draw(st.booleans()):
        _assist(draw, doc)
    if work_orders and draw(st.booleans()):
        _work_orders(draw, doc)
    return doc


def mechanism_scenarios(**knobs: bool) -> st.SearchStrategy[Scenario]:
    """Validated scenarios with response levels, assistants, work orders and scarce units (see the knobs)."""
    return mechanism_docs(**knobs).map(Scenario.model_validate)
