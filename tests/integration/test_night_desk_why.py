"""The "why" views name the empty night desk (issue 18): with nobody at the street office's night desk, the
time the hand-offs lose is charged to the street office, not to the pairs whose notices came late.

The flagship fire burns at 23:00 (``clock_start`` 82,800 s); the street office of its grid (``street_S3``) with 0
people on its night desk (22:00–06:00) answers nothing before the horizon (4 h, i.e. 03:00). Under the sectoral
lead the fire brigade relays the incident *serially* (``fan_out: serial``, one call after another, the street
office first on its list), so every agency after the street office waits until the horizon: first principles
say the health bureau's notice for triage waits the whole rest of the run, and that this wait is the street
office's, not the fire brigade → health pair's. The same scenario with 2 on the night desk is the baseline
(common random numbers: the same fire, the same draws).
"""

from __future__ import annotations

import json

import pytest

from dashboards import explain
from dashboards.i18n import agency_names, label, t
from scenarios.loader import load_scenario
from simulation.experiments import attribution_difference, desk_holds
from simulation.experiments.compare import Variant, compare
from tests.dashboard_helpers import app_page
from tests.helpers import FIRE_STREET, NIGHT_FIRE, street_night_staff

N, SEED = 12, 21


def arms(arrangement: str):
    return compare(NIGHT_FIRE, [Variant("staffed", arrangement, (street_night_staff(NIGHT_FIRE, 2),)),
                                Variant("empty", arrangement, (street_night_staff(NIGHT_FIRE, 0),))], N, SEED)


@pytest.fixture(scope="module")
def serial():
    return arms("sectoral_lead")


def test_the_serial_relay_waits_on_the_empty_desk_and_records_it(serial) -> None:
    """Every replication: the health bureau's triage notice waits from the moment health owns the task to the
    horizon, all of it at the street office's empty desk, on the fire brigade's serial call list."""
    horizon = load_scenario(NIGHT_FIRE).horizon
    rows = [r for r in serial.runs["empty"].handoffs.to_pylist() if r["task"] == "triage_transport"]
    assert len(rows) == N
    for r in rows:
        assert (r["blocked_by"], r["blocked_caller"]) == (FIRE_STREET, "fire_brigade")
        assert (r["block_reason"], r["block_path"], r["block_stage"]) == ("desk_night_empty", "serial_relay",
                                                                          "notification")
        assert r["notified"] is None and r["blocked_time"] == pytest.approx(horizon - r["owner_known"])
    # two on the night desk: the fire brigade's calls are never held at the street office
    staffed = serial.runs["staffed"].handoffs.to_pylist()
    assert not any(r["blocked_by"] == FIRE_STREET and r["block_reason"] == "desk_night_empty" for r in staffed)


def test_the_extra_hand_off_time_is_charged_to_the_street_office(serial) -> None:
    """The attribution difference (empty − staffed) puts the extra hand-off time on pairs with the street office
    (≥ 90 % of the rise in ``handoff_gap_total``); the largest is fire brigade → street office, its desk empty."""
    diffs = attribution_difference(serial.attribution, "staffed", "empty")
    rise = next(r["diff_mean"] for r in serial.comparison.to_pylist() if r["metric"] == "handoff_gap_total")
    assert rise > 60 * 60  # hours of hand-off time lost per replication
    street = sum(d["diff"] for d in diffs if FIRE_STREET in (d["from_agency"], d["to_agency"]))
    assert street >= 0.9 * rise
    top = diffs[0]
    assert (top["from_agency"], top["to_agency"], top["stage"]) == ("fire_brigade", FIRE_STREET, "desk_night_empty")
    # the pairs whose notices came late are no longer blamed
    assert not any(d["to_agency"] == "health" and d["stage"] == "notification" and d["diff"] > 60 for d in diffs)


def test_a_parallel_relay_does_not_wait_on_the_empty_desk() -> None:
    """Copy-notification (unified command, ``fan_out: parallel``): each call goes on its own, so no hand-off
    waits on the street office's desk through another agency's call."""
    res = arms("unified_command")
    held = [r for r in res.runs["empty"].handoffs.to_pylist() if r["blocked_by"] == FIRE_STREET]
    assert held and all(r["block_path"] == "own_desk" for r in held)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_why_paragraph_names_the_street_offices_empty_night_desk(serial, lang: str) -> None:
    names = agency_names(load_scenario(NIGHT_FIRE), lang)
    rows = [r for r in serial.comparison.to_pylist() if r["arrangement"] == "empty"]
    text = explain.paragraph(rows, attribution_difference(serial.attribution, "staffed", "empty"), names,
                             "staffed", "empty", N, lang=lang,
                             holds=desk_holds(serial.runs, "staffed", "empty", "fire1"))
    assert names[FIRE_STREET] in text and names["fire_brigade"] in text
    assert label("hold_reason", "desk_night_empty", lang) in text
    assert t("compare.explain_path_serial_relay", lang) in text


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_compare_page_names_the_empty_desk(lang: str) -> None:
    """The compare page with the street office's night desk emptied on the scenario (``--set``): sectoral lead
    (serial relay) against unified command (copy-notification). The paragraph names the street office's desk
    and why; the difference heat-map has a street-office row under the empty-desk stage."""
    at = app_page(lang)
    at.session_state["cfg.sets"] = [street_night_staff(NIGHT_FIRE, 0)]
    at.switch_page("views/compare.py").run()
    at.number_input(key="compare.n").set_value(4)
    at.number_input(key="compare.seed").set_value(SEED)
    at.button(key="compare.run").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    names = agency_names(load_scenario(NIGHT_FIRE), lang)
    text = next(m.value for m in at.markdown if m.value.count("**") >= 4 and names[FIRE_STREET] in m.value)
    assert label("hold_reason", "desk_night_empty", lang) in text
    assert at.radio(key="compare.heat_mode").value == "diff"
    spec = next(json.loads(p.proto.spec) for p in at.get("plotly_chart") if p.proto.id.endswith("compare.heat"))
    trace = spec["data"][0]
    assert label("stage", "desk_night_empty", lang) in trace["x"]
    assert any(names[FIRE_STREET] in y for y in trace["y"])
