"""The planner dashboard under ``streamlit.testing`` (AppTest): every page, widgets found by key.

Shows: each page renders with no exception in both languages; a parameter change changes the result
(scenario page quick check, and the compare page through the scenario page's overrides); the same seed
gives the same figures after the cache is cleared, another seed other figures; a bad upload (pasted
YAML — AppTest cannot upload files, the paste box runs the same path) shows the loader's
``FILE:LINE: path: message`` inline with no traceback; too big a file is refused; an upload that
``extends`` a bundled file resolves through the bundled library; the language toggle switches every
visible label (no English label left in zh-CN, no Chinese character left in en); an arrangement edited
on the arrangements page can be used on the compare page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards.i18n import catalogue
from tests.dashboard_helpers import APP, CJK, LANG_NAMES, app_page, english_only_labels, visible_texts


def app(lang: str = "zh-CN", page: str | None = None) -> AppTest:
    return app_page(lang, page)


def assert_language(at: AppTest, lang: str, clean: Callable[[str], str] = lambda s: s) -> None:
    """No English label left in zh-CN, no Chinese left in en; ``clean`` strips what both languages share
    (a page's own data, such as field paths)."""
    texts = [s for s in (clean(s) for s in visible_texts(at)) if s]
    assert len(texts) > 10
    if lang == "zh-CN":
        left = sorted({p for p in english_only_labels() for s in texts if p in s})
        assert not left, f"English labels left in zh-CN: {left[:10]}"
    else:
        left = sorted({s for s in texts if CJK.search(s) and s not in LANG_NAMES})
        assert not left, f"Chinese text left in en: {left[:10]}"


def frame(at: AppTest, column: str) -> Any:
    """The first table on the page with a column named ``column`` (plain tables carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def run_compare(at: AppTest, n: int, seed: int) -> dict[str, tuple[str, str]]:
    at.number_input(key="compare.n").set_value(n)
    at.number_input(key="compare.seed").set_value(seed)
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return {m.label: (m.value, m.delta) for m in at.metric}


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield


# -- locales ------------------------------------------------------------------------------------------------


def test_both_catalogues_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    for k in zh:
        assert set(re.findall(r"\{(\w+)\}", zh[k])) == set(re.findall(r"\{(\w+)\}", en[k])), k


ASCII_ALLOWED = {
    "YAML",
    "Parquet",
    "CSV",
    "HTML",
    "Linkage",
    "AEGL",
    "Holm",
    "Welch",
    "English",
    "ppm",
    "set",
    "linkage",
    "run",
    "default_district",
    "yaml",
    "Word",
    "docx",
    "html",
    "extends",
    "HSEEP",
    "JSON",
    "LINKAGE_DRILL_SERVER",  # an environment variable's name is typed as it is
}


def test_chinese_catalogue_has_no_untranslated_words() -> None:
    """Every zh label is Chinese apart from names of formats, methods and commands (catches a pasted en value)."""
    for key, v in catalogue("zh-CN").items():
        words = re.findall(r"[A-Za-z_]{4,}", re.sub(r"\{[^}]*\}", "", v))
        assert not [w for w in words if w not in ASCII_ALLOWED], (key, v)


# -- scenario page ------------------------------------------------------------------------------------------


def _paste(yaml_text: str) -> AppTest:
    """The English scenario page with ``yaml_text`` pasted in as the scenario source."""
    at = app("en")
    at.radio(key="scenario.source").set_value("paste").run()
    at.text_area(key="scenario.yaml_text").input(yaml_text).run()
    return at


def _fire_extension(name: str, grid: str) -> str:
    """A pasted scenario extending the bundled high-rise fire, with its one fire in ``grid``."""
    return (
        f"extends: high_rise_fire.yaml\nname: {name}\n"
        f"incidents:\n  - {{id: fire1, type: high_rise_fire, grid: {grid}}}\n"
    )


def _quick_check(at: AppTest) -> dict[str, str]:
    at.button(key="scenario.preview_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = frame(at, "Metric")
    return dict(zip(table.iloc[:, 0], table.iloc[:, 1]))


@pytest.mark.slow
def test_scenario_parameter_change_changes_the_quick_check() -> None:
    at = app("en")
    at.number_input(key="scenario.preview_n").set_value(20)
    before = _quick_check(at)
    again = _quick_check(at)
    assert before == again  # same seed, same figures
    # Sensor coverage 0.6 → 1.0: a smart sensor now always reports, so detection comes earlier.
    at.slider(key="scenario.detector.high_rise_fire.0").set_value(1.0).run()
    assert any("incident_types.high_rise_fire.detection.0.probability=1" in c.value for c in at.code)
    after = _quick_check(at)
    assert float(after["Detection"]) < float(before["Detection"])
    # Staff on duty at a street desk is offered within the schema's range (DutyDesk.staff: 1..500).
    w = at.number_input(key="scenario.desk_staff.street_S3")
    assert (w.min, w.max) == (1, 500)


def test_bad_paste_shows_the_loader_error_inline() -> None:
    at = _paste(_fire_extension("broken", "S9-C9-G9"))
    assert not at.exception
    assert at.error, "no error shown"
    lines = "\n".join(c.value for c in at.code)
    assert "pasted.yaml:4: incidents[fire1].grid: incident 'fire1' is in unknown grid 'S9-C9-G9'" in lines
    assert "Traceback" not in lines
    assert not at.get("plotly_chart"), "a bad scenario must not be drawn"


def test_paste_refuses_code_tags_and_oversize() -> None:
    at = _paste("name: !!python/object:os.system x\n")
    assert not at.exception
    assert "YAML tag !!python/object:os.system is not allowed" in "\n".join(c.value for c in at.code)
    at.text_area(key="scenario.yaml_text").input("# " + "x" * (600 * 1024) + "\nname: big\n").run()
    assert not at.exception
    assert any("larger than 512 KB" in e.value for e in at.error)


@pytest.mark.slow
def test_upload_extending_a_bundled_file_becomes_the_scenario() -> None:
    at = _paste(_fire_extension("my_fire", "S1-C1-G1"))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="scenario.incident.fire1.grid").value == "S1-C1-G1"
    at.switch_page("views/compare.py").run()
    assert any("pasted.yaml" in m.value for m in at.markdown)


# -- compare page -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_compare_same_seed_same_figures_other_seed_other_figures() -> None:
    at = app("en", "compare")
    assert at.multiselect(key="compare.arrangements").value == ["sectoral_lead", "unified_command"]
    first = run_compare(at, 10, 7)
    assert len(first) >= 4 and "First arrival (min)" in first
    st.cache_data.clear()  # recompute, not a cache hit
    at2 = app("en", "compare")
    assert run_compare(at2, 10, 7) == first
    assert run_compare(at2, 10, 8) != first
    assert {"Distributions", "Hand-off gaps", "Timeline", "Coordination graph", "Map"} <= {t.label for t in at2.tabs}
    assert len(at2.get("plotly_chart")) == 5
    assert {b.key for b in at2.get("download_button")} == {"compare.download_parquet", "compare.download_csv",
                                                          "compare.download_report"}


@pytest.mark.slow
def test_scenario_override_reaches_the_compare_page_and_changes_the_result() -> None:
    at = app("en", "compare")
    base = run_compare(at, 10, 7)
    at.switch_page("views/scenario.py").run()
    at.selectbox(key="scenario.incident.fire1.grid").set_value("S1-C1-G1").run()  # far from the fire stations
    at.switch_page("views/compare.py").run()
    assert any("1 override" in m.value for m in at.markdown)
    moved = run_compare(at, 10, 7)
    assert moved["First arrival (min)"] != base["First arrival (min)"]


def test_compare_needs_two_to_four_arrangements() -> None:
    at = app("en", "compare")
    at.multiselect(key="compare.arrangements").set_value(["sectoral_lead"]).run()
    at.button(key="compare.run").click().run()
    assert not at.exception
    assert any("between 2 and 4" in e.value for e in at.error)
    assert not at.metric


# -- arrangements page --------------------------------------------------------------------------------------


def test_arrangement_settings_edit_is_saved_and_offered_to_compare() -> None:
    at = app("en", "arrangements")
    at.selectbox(key="arrangements.pick").set_value("sectoral_lead").run()
    at.selectbox(key="arrangements.fan_out").set_value("parallel").run()
    at.text_input(key="arrangements.name").input("sectoral_parallel").run()
    assert not at.error, [e.value for e in at.error]
    assert any("fan_out: parallel" in c.value and "name: sectoral_parallel" in c.value for c in at.code)
    at.button(key="arrangements.use").click().run()
    at.switch_page("views/compare.py").run()
    assert "sectoral_parallel" in at.multiselect(key="compare.arrangements").options


def test_arrangement_diff_lists_changes_and_none_for_the_same() -> None:
    at = app("en", "arrangements")
    at.selectbox(key="arrangements.diff.left").set_value("sectoral_lead").run()
    at.selectbox(key="arrangements.diff.right").set_value("unified_command").run()
    diff = frame(at, "Field")
    assert len(diff) > 0
    assert "Relay of notifications" in set(diff["Field"])
    at.selectbox(key="arrangements.diff.right").set_value("sectoral_lead").run()
    assert any(m.value == "**0 difference(s)**" for m in at.markdown)


def test_bad_arrangement_name_is_an_inline_error() -> None:
    at = app("en", "arrangements")
    at.text_input(key="arrangements.name").input("9 bad name").run()
    assert not at.exception
    assert any("must start with a letter" in c.value for c in at.code)


# -- language toggle ----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("page", ["scenario", "arrangements", "compare"])
def test_language_toggle_switches_every_visible_label(page: str) -> None:
    at = app("en", page)
    if page == "compare":
        run_compare(at, 5, 7)
    assert_language(at, "en")
    at.radio(key="lang").set_value("zh-CN").run()
    assert not at.exception
    if page == "compare":
        assert at.metric, "results stay after switching language"
    assert_language(at, "zh-CN")
    assert at.title[0].value == {"scenario": "情景", "arrangements": "职责安排", "compare": "对比职责安排"}[page]


# -- the pieces behind the pages ------------------------------------------------------------------------------


def test_widget_ranges_come_from_the_schema() -> None:
    from dashboards.params import bounds
    from scenarios.city import GeneratedCity
    from scenarios.schema import ChannelSpec, DetectorSpec, DutyDesk, IncidentSpec

    assert (bounds(DutyDesk, "staff").low, bounds(DutyDesk, "staff").high) == (1, 500)
    assert (bounds(DutyDesk, "night_staff").low, bounds(DutyDesk, "night_staff").high) == (
        0,
        500,
    )  # Optional[Annotated]
    assert bounds(DutyDesk, "staff").integer
    assert (bounds(DetectorSpec, "probability").low, bounds(DetectorSpec, "probability").high) == (0, 1)
    assert (bounds(IncidentSpec, "severity").low, bounds(IncidentSpec, "severity").high) == (1, 4)
    assert 0 < bounds(ChannelSpec, "reliability").low < 0.1  # gt=0 becomes the smallest step above 0
    assert bounds(GeneratedCity, "grid_workers_per_grid").high == 50


def test_edited_matrix_saves_as_yaml_that_the_loader_runs(tmp_path: Path) -> None:
    from dashboards.views.arrangements import apply_matrix, matrix_frame, to_yaml
    from scenarios.loader import load_arrangement, load_scenario

    arr = load_arrangement("sectoral_lead")
    m = matrix_frame(arr, "high_rise_fire", ["fire"])
    assert m.loc["first_attack", "street_office"] == "L"
    assert apply_matrix(arr, "high_rise_fire", m) == arr.model_dump(mode="json", exclude_none=True)  # round trip
    m.loc["first_attack", "street_office"] = "A"
    m.loc["first_attack", "fire"] = "L"
    doc = apply_matrix(arr, "high_rise_fire", m)
    doc["name"] = "fire_first_attack"
    path = tmp_path / "fire_first_attack.yaml"
    path.write_text(to_yaml(doc), encoding="utf-8")
    sc = load_scenario("scenarios/library/high_rise_fire.yaml", str(path))
    task = sc.arrangement.incident_types["high_rise_fire"].tasks["first_attack"]
    assert (task.lead, task.assist) == (["fire"], ["street_office"])


def test_report_is_one_self_contained_page_in_each_language() -> None:
    from dashboards.report import render
    from scenarios.loader import load_scenario
    from simulation.experiments.compare import compare

    path = "scenarios/library/high_rise_fire.yaml"
    res = compare(path, ["sectoral_lead", "unified_command"], 5, 3)
    sc = load_scenario(path)
    labels = {"sectoral_lead": "Sectoral", "unified_command": "Unified"}
    en = render(res, labels, sc, "high_rise_fire", ("agencies.police.desk.staff=4",), lang="en")
    zh = render(res, labels, sc, "high_rise_fire", (), lang="zh-CN")
    assert "Arrangement comparison" in en and "职责安排对比报告" in zh
    assert not CJK.search(en.replace(sc.description.zh, ""))
    assert "agencies.police.desk.staff=4" in en
    for html in (en, zh):  # nothing fetched or run (the inline SVGs' namespaces are not fetches)
        body = html.split("</style>", 1)[1].replace('"http://www.w3.org/2000/svg"', "").replace(
            '"http://www.w3.org/1999/xlink"', "")
        assert "<script" not in html and "http" not in body
        assert html.count("<svg") == 3  # the heat-map, the timeline and the map (tests/integration/test_briefing.py)


def test_dashboard_command_starts_streamlit_on_the_app(cli) -> None:
    from simulation.faces.cli_dashboard import app_file, command

    assert app_file() == Path(APP)
    cmd = command(8599, "127.0.0.1", True)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == APP
    assert cmd[cmd.index("--server.port") + 1] == "8599" and cmd[cmd.index("--server.headless") + 1] == "true"
    out = cli("dashboard", "--help")
    assert out.returncode == 0 and "--port" in out.stdout and "--headless" in out.stdout
