"""The dashboard on the planner's own district (AppTest, widgets by key): the district picker, the map
page's measure selector, and the scenario and compare pages running on the chosen district.

Shows: the picker offers the scenario's own city, the bundled example (Putuo) and a file given to
``linkage dashboard --district`` (preselected); the scenario page then works on the district's 1,405 grids;
the compare page's figures are the library's ``compare(..., district=…)`` figures; the map's coverage share
is ``linkage district show``'s; a run's first arrival on the map is the run's own mean; the colours of
categories are never reused; both languages on the map page.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_dashboard_apptest import assert_language  # as every page

from scenarios.loader import load_scenario
from tests.dashboard_helpers import app_page
from tests.helpers import FLAGSHIP, ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"
PICK, METRIC = "district.pick", "district_map.metric"


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    yield


def app(lang: str = "en", page: str | None = None) -> AppTest:
    return app_page(lang, page)


def on_putuo(lang: str = "en", page: str | None = None) -> AppTest:
    at = app(lang)
    at.selectbox(key=PICK).set_value(str(PUTUO)).run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at: AppTest) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart")).proto.spec)


def test_picker_offers_the_example_and_a_given_file_and_preselects_the_given_one(tmp_path, monkeypatch) -> None:
    """A copy of the example given as ``--district`` (the CLI passes it in LINKAGE_DASHBOARD_DISTRICTS)."""
    import shutil

    for f in PUTUO.parent.glob("putuo_district.*"):  # the side files keep their names: the YAML names them
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(PUTUO, tmp_path / "mine.yaml")
    mine = str(tmp_path / "mine.yaml")
    monkeypatch.setenv("LINKAGE_DASHBOARD_DISTRICTS", mine)
    at = app()
    pick = at.selectbox(key=PICK)
    assert pick.value == mine
    assert pick.options == ["The scenario's own city", "Example district (Shanghai Putuo)", "mine.yaml"]
    assert any("1405 grids" in c.value for c in at.caption)
    pick.set_value("").run()
    own = len(load_scenario(FLAGSHIP).city.grid_ids())
    assert any(c.value.startswith(f"{own} grids") for c in at.caption) and own != 1405


def test_without_a_district_the_map_page_asks_for_one() -> None:
    at = app("en", "district_map")
    assert [i.value for i in at.info] == ["Pick a district in the sidebar (the example district or a file given "
                                          "to linkage dashboard --district) to draw its map."]
    assert not at.get("plotly_chart")


def test_metric_selector_draws_coverage_as_two_categories_with_the_share_of_district_show() -> None:
    """The share of covered grids is the one ``linkage district show`` prints (same travel times, ≤ 300 s)."""
    from simulation.district.summary import summarise

    want = summarise(PUTUO)
    at = on_putuo("en", "district_map")
    assert at.selectbox(key=METRIC).value == "fire_minutes"
    spec = chart(at)
    assert "colorbar" in json.dumps(spec)  # a continuous measure has its colour scale
    at.selectbox(key=METRIC).set_value("fire_5_min").run()
    assert not at.exception
    spec = chart(at)
    fills = [d for d in spec["data"] if d.get("fill") == "toself"]
    assert [d["fillcolor"] for d in fills][:2] == ["#009E73", "#D55E00"]
    counts = {d["name"].split(" (")[0]: int(d["name"].rsplit("(", 1)[1].rstrip(")")) for d in fills}
    assert sum(counts.values()) == want["grids"] == 1405
    assert counts["Covered"] / want["grids"] == pytest.approx(want["fire_within_5_min"])
    assert f"{want['fire_within_5_min']:.1%}" in " ".join(c.value for c in at.caption)
    at.selectbox(key=METRIC).set_value("fire_10_min").run()
    fills = [d for d in chart(at)["data"] if d.get("fill") == "toself"]
    covered = next(int(d["name"].rsplit("(", 1)[1].rstrip(")")) for d in fills if d["name"].startswith("Covered"))
    assert covered / 1405 == pytest.approx(want["fire_within_10_min"])


def test_no_colour_is_reused_for_two_categories() -> None:
    """Agencies' stations, coverage categories and the incident: every legend entry its own colour."""
    from dashboards.district_chart import agency_colours

    at = on_putuo("en", "district_map")
    at.selectbox(key=METRIC).set_value("fire_5_min").run()
    legend = [d for d in chart(at)["data"] if d.get("showlegend", True) and d.get("name") not in ("Roads",)]
    colours = [(d.get("fillcolor") or d["marker"]["color"]).upper() for d in legend]
    assert len(legend) > 20 and len(set(colours)) == len(colours), colours
    many = agency_colours(60)
    assert len(set(many)) == 60 and not {"#009E73", "#D55E00", "#000000"} & set(many)


def test_first_arrival_on_the_map_is_the_runs_own_mean() -> None:
    from simulation.experiments import run

    at = on_putuo("en", "district_map")
    at.selectbox(key=METRIC).set_value("first_arrival").run()
    assert "press the button" in " ".join(i.value for i in at.info).lower()  # no run yet: no first arrivals
    at.number_input(key="district_map.n").set_value(5)
    at.number_input(key="district_map.seed").set_value(3)
    at.button(key="district_map.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    res = run(FLAGSHIP, 5, 3, district=PUTUO)
    inc = res.incidents.to_pydict()
    grid = inc["grid"][0]
    want = np.mean(np.array(inc["t_first_arrival"]) - np.array(inc["t_start"])) / 60
    hover = next(d for d in chart(at)["data"] if d.get("name") == "Grid")["text"]
    line = next(h for h in hover if h.startswith(f"{grid}<br>"))
    assert line.endswith(f": {want:,.1f}")
    assert sum(not h.endswith(": —") for h in hover) == len(set(inc["grid"]))


@pytest.mark.slow
def test_compare_page_runs_on_the_district() -> None:
    """The cards are the library's comparison on the district, and differ from the scenario's own city."""
    from dashboards import numbers
    from simulation.experiments import api

    at = on_putuo("en", "compare")
    at.number_input(key="compare.n").set_value(4)
    at.number_input(key="compare.seed").set_value(7)
    at.button(key="compare.run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    res = api.compare(FLAGSHIP, ["sectoral_lead", "unified_command"], 4, 7, district=PUTUO)
    row = next(r for r in res.comparison.to_pylist() if r["metric"] == "t_first_arrival")
    card = numbers.name("t_first_arrival", "en")
    assert shown[card] == numbers.value("t_first_arrival", row["mean_arrangement"], "en")
    own = api.compare(FLAGSHIP, ["sectoral_lead", "unified_command"], 4, 7)
    own_row = next(r for r in own.comparison.to_pylist() if r["metric"] == "t_first_arrival")
    assert own_row["mean_arrangement"] != row["mean_arrangement"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_map_page_speaks_one_language(lang: str) -> None:
    at = on_putuo(lang, "district_map")
    assert_language(at, lang, clean=lambda s: s.replace(Path(PUTUO).name, ""))
    assert at.title[0].value == {"en": "District map", "zh-CN": "辖区地图"}[lang]


def test_dashboard_command_checks_and_passes_its_districts(cli, tmp_path) -> None:
    from dashboards.state import DISTRICTS_ENV
    from simulation.faces import cli_dashboard

    assert cli_dashboard.DISTRICTS_ENV == DISTRICTS_ENV
    assert cli_dashboard.district_paths([PUTUO]) == str(PUTUO.resolve())
    r = cli("dashboard", "--district", FLAGSHIP)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0
    assert "not a district file" in r.stderr
    r = cli("dashboard", "--district", tmp_path / "none.yaml")
    assert r.returncode == 1 and "file not found" in r.stderr


def test_a_given_district_with_roads_draws_every_road_edge(cli, tmp_path, monkeypatch) -> None:
    """An imported district of 4 × 3 grids (streets S1–S4, as the flagship's own agencies expect) with an
    OpenStreetMap lattice of 24 road segments: the map draws the 24 edges of its road table, each as its own
    line, besides the 12 grids."""
    import pyarrow.parquet as pq

    from tests.district_data import square_grid_layer, write_layer, write_osm_lattice

    out = tmp_path / "d" / "small.yaml"
    r = cli("district", "import", "--name", "small", "--out", out, "--grids",
            write_layer(square_grid_layer(4, 3), tmp_path / "g.geojson"),
            "--roads", write_osm_lattice(tmp_path / "r.osm"))
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("LINKAGE_DASHBOARD_DISTRICTS", str(out))
    at = app("en", "district_map")
    assert at.selectbox(key=PICK).value == str(out)
    at.selectbox(key=METRIC).set_value("households").run()
    assert not at.exception, [e.value for e in at.exception]
    import base64

    spec = chart(at)
    x = next(d for d in spec["data"] if d.get("name") == "Roads")["x"]  # a numpy array: Plotly's typed array
    xs = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]) if isinstance(x, dict) else np.asarray(x, float)
    lines = [k for k in range(len(xs) - 1) if np.isfinite(xs[k]) and np.isfinite(xs[k + 1])]  # u → v pieces
    assert len(lines) == int(np.isnan(xs).sum()) == pq.read_table(out.with_name("small.roads.parquet")).num_rows == 24
    grids = sum(v is None for d in spec["data"] if d.get("fill") == "toself" for v in d["x"])
    assert grids == 12
