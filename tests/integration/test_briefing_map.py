"""The briefing's map (简报地图): the district's grids coloured by the travel time from the nearest fire
station, the stations one colour per service, the incident's grid — drawn offline by vl-convert (no tiles).

Shows: the spec draws every grid of the city once, with the city map's own travel times (a fire station's
grid is the quickest: its value is the access time alone, first principles of the travel table); the map
is in the PDF (its title, key and incident's grid in the PDF's text, CJK included) and in the Word file
(the third picture, the map's PNG), and the briefing of a comparison on the example district (Putuo, 1,405
grids) still prints on two A4 pages in zh and en (WeasyPrint, and LibreOffice's layout of the .docx).
"""

from __future__ import annotations

import io
import re
import subprocess

import numpy as np
import pytest
from test_briefing import ARTIFACTS, LABELS, pages, word_pages

from dashboards import briefing
from dashboards.briefing_map import map_spec
from dashboards.report import render, render_pdf
from dashboards.report_docx import render_docx
from scenarios.loader import load_scenario
from simulation.experiments import api
from simulation.experiments.district_map import map_world
from tests.helpers import FLAGSHIP, ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"
ARMS = ["sectoral_lead", "unified_command"]


def _features(spec: dict) -> list[dict]:
    return spec["layer"][0]["data"]["values"]["features"]


def test_the_map_draws_every_grid_with_the_city_maps_travel_times() -> None:
    sc = load_scenario(FLAGSHIP)
    spec = map_spec(sc, "en")
    cm = map_world(sc).citymap
    feats = _features(spec)
    assert [f["properties"]["grid"] for f in feats] == cm.grid_ids
    roles = {a.id: a.role for a in sc.agencies}
    fire = [cm.index[s.grid] for s in sc.stations if roles[s.agency] == "fire"]
    want = cm.travel_from(fire).min(axis=0) / 60
    got = np.array([f["properties"]["min"] for f in feats], float)
    assert np.allclose(got, np.round(want, 1))
    for g in fire:  # a station's own grid: no road to travel, only the access time into the grid
        assert got[g] == pytest.approx(round(cm.access / 60, 1)) and got[g] == got.min()
    scale = spec["layer"][1]["encoding"]["color"]["scale"]  # swatches, not a gradient (WeasyPrint paints none)
    cuts = np.array(scale["domain"])
    assert scale["type"] == "threshold" and len(scale["range"]) == len(cuts) + 1 >= 3
    assert np.allclose(np.diff(cuts), cuts[0]) and cuts[-1] < got.max() <= cuts[-1] + cuts[0]
    stations = spec["layer"][2]
    assert len(stations["data"]["values"]) == len(sc.stations)
    colour = stations["encoding"]["color"]["scale"]
    roles = {a.id: a.role for a in sc.agencies}
    assert len(set(colour["range"])) == len(colour["range"]) == len({roles[s.agency] for s in sc.stations})
    star = spec["layer"][3]["data"]["values"][0]
    inc = sc.primary_incident()
    assert (star["x"], star["y"]) == (round(cm.x[cm.index[inc.grid]]), round(cm.y[cm.index[inc.grid]]))
    svg = briefing.svg(spec)  # rendered offline: nothing but the SVG's own namespaces refers outside it
    assert svg.count("<path") >= 2 * cm.n and not re.findall(r"https?://(?!www\.w3\.org)", svg)


def test_the_html_briefing_carries_the_map(result_fire) -> None:
    res, sc = result_fire
    html = render(res, LABELS["zh-CN"], sc, "high_rise_fire", (), lang="zh-CN")
    page2 = html.split('<div class="page2">', 1)[1]
    assert "地图：网格、站点与事发网格" in page2 and "距最近消防站行车时间（分钟）" in page2
    assert page2.count("<svg") == 2  # the timeline and the map


@pytest.fixture(scope="module")
def result_fire():
    from simulation.experiments.compare import compare

    return compare(str(FLAGSHIP), ARMS, 6, 7), load_scenario(FLAGSHIP)


@pytest.fixture(scope="module")
def result_putuo():
    res = api.compare(FLAGSHIP, ARMS, 6, 7, district=PUTUO)
    sc = api.load(api.on_district(FLAGSHIP, PUTUO).scenario, None, ())
    return res, sc


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_briefing_on_the_example_district_has_the_map_on_two_pages(result_putuo, lang: str, tmp_path) -> None:
    from docx import Document

    res, sc = result_putuo
    labels = {a: LABELS[lang][a] for a in ARMS}
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"briefing-putuo-{lang}.pdf"
    pdf.write_bytes(render_pdf(res, labels, sc, "high_rise_fire", (), lang=lang))
    assert pages(pdf) == 2
    page2 = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"],
                                              capture_output=True, text=True, check=True).stdout)
    inc = sc.primary_incident()
    want = ("地图：网格、站点与事发网格", "距最近消防站行车时间（分钟）", "各类站点") if lang == "zh-CN" else (
        "Where:thegrids,thestationsandtheincident", "Travelfromthenearestfirestation(min)", "Stationsbyservice")
    assert all(w in page2 for w in want), page2[:400]
    assert inc.grid in page2 and inc.grid.startswith("putuo-")
    docx = ARTIFACTS / f"briefing-putuo-{lang}.docx"
    docx.write_bytes(render_docx(res, labels, sc, "high_rise_fire", (), lang=lang))
    doc = Document(str(docx))
    assert len(doc.inline_shapes) == 3
    blip = doc.inline_shapes[2]._inline.graphic.graphicData.pic.blipFill.blip.embed
    picture = doc.part.related_parts[blip].blob
    assert picture == briefing.png(map_spec(sc, lang))  # the third picture is this district's map
    assert word_pages(docx, tmp_path) == 2
    subprocess.run(["pdftoppm", "-r", "70", "-f", "2", "-l", "2", "-png", str(pdf),
                    str(ARTIFACTS / f"briefing-putuo-{lang}")], check=True)
    assert io.BytesIO(picture).getbuffer().nbytes > 20_000
