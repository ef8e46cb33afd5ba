"""Picking a grid on the map instead of typing its code (AppTest, widgets by key).

Shows: on the scenario page, a click on a grid of the map fills the chosen grid field (the incident's
grid by default, a micro station's when chosen) and becomes the same ``--set`` override as picking the
code from the list; an old click does not overwrite a later hand edit. On the district map page, a click
on a grid of the example district fills the incident-grid field, and the incident (the map's star) moves
there for every page. The click is sent as the browser sends it (:func:`tests.dashboard_helpers.click_map`);
the browser itself clicks in ``test_dashboard_district_browser.py``.
"""

from __future__ import annotations

import json

import pytest
import streamlit as st

from tests.dashboard_helpers import app_page, click_map
from tests.helpers import ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"
FIELD = "scenario.incident.fire1.grid"


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    yield


def test_a_click_on_the_scenario_map_fills_the_incident_grid_and_its_override() -> None:
    at = app_page("en", "scenario")
    before = at.selectbox(key=FIELD).value
    assert before != "S1-C1-G1"
    click_map(at, "scenario.map", "S1-C1-G1")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=FIELD).value == "S1-C1-G1"
    assert "--set 'incidents.fire1.grid=S1-C1-G1'" in " ".join(c.value for c in at.code)
    # the field changed by hand afterwards keeps the hand's value: the old click is not applied again
    at.selectbox(key=FIELD).set_value(before).run()
    at.run()
    assert at.selectbox(key=FIELD).value == before


def test_a_click_fills_the_field_chosen_as_the_target() -> None:
    """The flagship has a micro fire station (微型消防站): its grid is a field a click can fill too."""
    at = app_page("en", "scenario")
    stations = [w.key for w in at.selectbox if (w.key or "").startswith("scenario.station_grid.")]
    assert stations
    at.selectbox(key="scenario.map_target").set_value(stations[0]).run()
    incident = at.selectbox(key=FIELD).value
    click_map(at, "scenario.map", "S1-C1-G1")
    assert at.selectbox(key=stations[0]).value == "S1-C1-G1"
    assert at.selectbox(key=FIELD).value == incident


def test_a_click_on_the_district_map_places_the_incident_there() -> None:
    at = app_page("en")
    at.selectbox(key="district.pick").set_value(str(PUTUO)).run()
    at.switch_page("views/district_map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    field = at.selectbox(key="district_map.incident_grid")
    spec = json.loads(next(iter(at.get("plotly_chart"))).proto.spec)
    star = next(d for d in spec["data"] if d.get("name") == "Incident")
    assert star["customdata"] == [field.value]
    grids = next(d for d in spec["data"] if d.get("name") == "Grid")["customdata"]
    far = next(g for g in reversed(grids) if g != field.value)
    click_map(at, "district_map.chart", far)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="district_map.incident_grid").value == far
    spec = json.loads(next(iter(at.get("plotly_chart"))).proto.spec)
    assert next(d for d in spec["data"] if d.get("name") == "Incident")["customdata"] == [far]
    at.switch_page("views/scenario.py").run()  # the same override the scenario page shows
    assert at.selectbox(key=FIELD).value == far
    assert f"--set 'incidents.fire1.grid={far}'" in " ".join(c.value for c in at.code)
