"""District map page (辖区地图) and the district picker of the sidebar.

The picker (every page): the scenario's own city, the bundled example district (Putuo) or a district file
given to ``linkage dashboard --district FILE``; the scenario, compare and arrangements pages then run the
scenario on it, exactly as ``linkage run|compare SCENARIO --district FILE`` does. The map page draws the
chosen district's grids as a choropleth of one measure (households, fire-station coverage within 5 / 10
min, fire travel time, a run's first arrival), with roads, stations and the incidents; no tiles fetched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from dashboards import district_chart, grid_pick, state
from dashboards.i18n import agency_names, t
from simulation.experiments.district_map import CATEGORICAL, MEASURES, NEEDS_RUN, grid_measure, has_polygons

PICK_KEY = "district.pick"
MAP_RUN = "cfg.district_map_run"  # the cache-key arguments of the run behind the first-arrival map
DEFAULT_MEASURE = "fire_minutes"
CHART = "district_map.chart"
INCIDENT_FIELD = "district_map.incident_grid"


def district_label(path: str) -> str:
    """How the picker names a district file: none, the bundled example, or the file's name."""
    if not path:
        return t("district.none")
    if Path(path) == state.EXAMPLE_DISTRICT:
        return t("district.example")
    return Path(path).name


def picker() -> None:
    """The sidebar's district picker; a change forgets the old district's edits (grids differ)."""
    ss = st.session_state
    current = state.current_district() or ""
    options = ["", *state.district_files()]
    if current not in options:
        options.append(current)
    # the labels as a mapping made now, in the page's language (a format function would be called later too)
    value = state.remembered_select(PICK_KEY, t("district.pick"), options, current,
                                    {o: district_label(o) for o in options}.__getitem__, help=t("district.pick_help"))
    if value != (ss.get(state.CFG_DISTRICT) or ""):
        ss[state.CFG_DISTRICT] = value


@st.cache_resource(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def _world(scenario_key: str, path: str, sets: tuple[str, ...], district: str) -> Any:
    from simulation.experiments import prepare

    return prepare(path, None, sets, district=district)[1]


def _first_arrival(choice: state.ScenarioChoice) -> Any:
    """The run behind the first-arrival map: N and seed, a button; the incidents table once run."""
    c1, c2, c3 = st.columns([1, 1, 1])
    n, seed = state.replications_and_seed(c1, c2, "district_map.n", "district_map.seed", t("district_map.n"), 20)
    c3.markdown("&nbsp;")
    clicked = c3.button(t("district_map.run"), key="district_map.run", type="primary")
    args = (choice.hash, None, n, seed, choice.sets, choice.path, choice.district)
    if clicked:
        st.session_state[MAP_RUN] = args
    if st.session_state.get(MAP_RUN) != args:
        st.info(t("district_map.run_first"))
        return None
    with st.spinner(t("common.running")):
        return state.cached_run(*args).incidents


def _summary(values: np.ndarray, measure: str) -> str:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return t("district_map.no_values")
    if measure in CATEGORICAL:
        return t("district_map.share", share=f"{finite.mean():.1%}", within=int(finite.sum()), grids=values.size)
    return t("district_map.range", lo=f"{finite.min():,.1f}", median=f"{np.median(finite):,.1f}",
             hi=f"{finite.max():,.1f}", grids=finite.size)


def _incident_field(choice: state.ScenarioChoice, grids: list[str]) -> bool:
    """The primary incident's grid (事发网格): typed, chosen from the list or clicked on the map; a change is
    the scenario page's own override of that field. True when the incident moved."""
    from dashboards.params import knobs

    inc = choice.scenario.primary_incident() if choice.scenario is not None else None
    if inc is None:
        return False
    ss = st.session_state
    if grid_pick.fill(INCIDENT_FIELD, CHART, set(grids)) is None and ss.get(INCIDENT_FIELD) not in grids:
        ss[INCIDENT_FIELD] = inc.grid
    value = st.selectbox(t("district_map.incident_grid"), grids, key=INCIDENT_FIELD,
                         help=t("district_map.incident_grid_help"))
    if value == inc.grid:
        return False
    base, _ = state.validate(choice.path, district=choice.district)  # the file's values: what --set overrides
    knob = next(k for k in knobs(base) if k.key == f"scenario.incident.{inc.id}.grid")
    grid_pick.set_override(knob, value)
    return True


def render() -> None:
    choice = state.scenario_page("district_map")
    if choice is None:
        return
    if not choice.district:
        st.info(t("district_map.pick_first"), icon=":material/map:")
        return
    world = _world(choice.hash, choice.path, choice.sets, choice.district)
    if not has_polygons(world):
        st.info(t("district_map.no_polygons"), icon=":material/info:")
        return
    if _incident_field(choice, world.citymap.grid_ids):  # the incident moved: the world it stands in too
        choice = state.current_choice()
        world = _world(choice.hash, choice.path, choice.sets, choice.district)
    measure = state.remembered_select("district_map.metric", t("district_map.metric"), MEASURES, DEFAULT_MEASURE,
                                      {m: t(f"district_map.measure.{m}") for m in MEASURES}.__getitem__,
                                      help=t("district_map.metric_help"))
    incidents = _first_arrival(choice) if measure in NEEDS_RUN else None
    values = grid_measure(world, measure, incidents)
    st.caption(_summary(values, measure))
    grid_pick.selectable(district_chart.district_map(world, values, measure, agency_names(world.scenario)), CHART)


if __name__ == "__main__":
    render()
