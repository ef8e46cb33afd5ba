"""What the planner reads is in the page's words (issue 18, continued): no table cell reads "None" (a "—"
with its legend instead), no internal id on the compare or scenario page, the timeline's lane of tasks
nobody owned, the page's own CSV and briefing downloads in its language, the diff table's changed values
in full. AppTest, widgets found by key; the comparison's figures from the library (same run, common random
numbers), as in ``test_dashboard_faces``.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from test_dashboard_faces import ARMS, FIRE, SEED, N, app, row, run_compare, spec

from dashboards.i18n import catalogue
from simulation.experiments import api


@pytest.fixture(scope="module")
def truth() -> Any:
    return api.compare(FIRE, list(ARMS), N, SEED)


@pytest.fixture(scope="module")
def pages() -> dict:
    st.cache_data.clear()
    return {lang: run_compare(app(lang, "compare")) for lang in ("en", "zh-CN")}


@pytest.mark.slow
def test_no_table_cell_reads_none_and_a_dash_is_explained(pages) -> None:
    """Empty cells read "—" with a legend on the page, in both languages (they read "None"): the compare
    table (a p-value that does not apply), the scenario page's channel table (a fixed latency has no P90)
    and the arrangements page's tables."""
    from tests.dashboard_helpers import null_cells

    for lang in ("en", "zh-CN"):
        legend = catalogue(lang)["common.missing_legend"]
        assert not null_cells(pages[lang])
        at = app(lang, "scenario")
        assert not null_cells(at), null_cells(at)[:3]
        p90 = next(d.value for d in at.dataframe if "p90" in d.value.columns)["p90"]  # the editor's own column
        assert "—" in set(p90) and any(c.value == catalogue(lang)["scenario.ch_p90_none"] for c in at.caption)
        arr = app(lang, "arrangements")
        arr.selectbox(key="arrangements.diff.right").set_value("ambiguous").run()
        assert not null_cells(arr)
        for at in (pages[lang], arr):
            dashes = any((d.value.astype(str) == "—").any().any() for d in at.dataframe)
            assert dashes == any(c.value == legend for c in at.caption)


@pytest.mark.slow
def test_no_internal_id_on_the_compare_and_scenario_pages(pages) -> None:
    """Cards, paragraph, table, charts (titles, axes, hover, lane names, the map's incident and stations) and
    the scenario page's parameters in zh and en name the scenario, arrangements, agencies, stations,
    incidents, tasks and metrics — never by their ids (``high_rise_fire``, ``fire1``, ``so_S1``, ``fs1``
    showed on the map and the parameter labels)."""
    from simulation.experiments import METRICS, prepare
    from tests.dashboard_helpers import visible_texts

    sc = prepare(FIRE)[0]
    hidden = {a.id for a in sc.agencies} | {i.id for i in sc.incidents} | set(sc.incident_types) | set(ARMS)
    hidden |= {tk.id for it in sc.incident_types.values() for tk in it.tasks} | {"high_rise_fire"} | set(METRICS)
    hidden |= {s.id for s in sc.stations}
    hidden = {h for h in hidden if "_" in h or re.search(r"\d", h)}  # a plain word ('police') is also a name
    alternatives = "|".join(map(re.escape, sorted(hidden, key=len, reverse=True)))
    pattern = re.compile(rf"(?<![\w.])({alternatives})(?![\w.])")
    for lang in ("en", "zh-CN"):
        for at in (pages[lang], app(lang, "scenario")):
            found = sorted({m for s in visible_texts(at) for m in pattern.findall(s)})
            assert not found, (lang, found)


@pytest.mark.slow
def test_the_timeline_names_the_lane_of_tasks_nobody_owned(pages, truth) -> None:
    """A task abandoned before an owner was settled has the lane "no owner" (it was an unlabelled "—")."""
    at = pages["en"]
    gantt = spec(at, "compare.gantt")
    lanes = {y for tr in gantt["data"] for y in tr["y"]}
    assert "—" not in lanes and None not in lanes
    r = int(re.match(r"Replication (\d+)", next(c.value for c in at.caption if c.value.startswith("Replication"))
                     ).group(1))
    focus = at.selectbox(key="compare.focus").value
    tasks = truth.runs[focus].tasks.to_pandas()
    nobody = tasks[(tasks["replication"] == r) & tasks["owner"].isna() & tasks["available"].notna()]
    assert (catalogue("en")["report.no_owner"] in lanes) == (not nobody.empty)


@pytest.mark.slow
def test_the_pages_downloads_are_in_its_language(pages, truth, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """What the zh compare page hands out: the CSV with Chinese headers and minutes (the figures of the same
    comparison), and the briefing PDF on at most two A4 pages (pdfinfo) in Chinese — taken from the page's
    own download buttons, not rebuilt here."""
    import shutil
    import subprocess

    from streamlit.delta_generator import DeltaGenerator

    got: dict[str, bytes] = {}
    real = DeltaGenerator.download_button

    def keep(self: Any, label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        got[kwargs.get("key", label)] = data
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", keep)
    at = pages["zh-CN"]
    at.run()
    assert not at.exception
    df = pd.read_csv(io.BytesIO(got["compare.download_csv"]), encoding="utf-8-sig")
    assert {"指标", "该安排均值", "基准均值"} <= set(df.columns)
    got_first = df.loc[df["指标"] == "首车到场（分钟）", "该安排均值"].iloc[0]
    assert got_first == pytest.approx(row(truth, "t_first_arrival")["mean_arrangement"] / 60, abs=0.01)
    assert at.selectbox(key="compare.report_format").value == "pdf"
    pdf = tmp_path / "briefing.pdf"
    pdf.write_bytes(got["compare.download_report"])
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo is missing: `make sysdeps` installs poppler-utils")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert 1 <= int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 2
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "注意事项" in re.sub(r"\s+", "", text)


def test_the_diff_tables_changed_values_get_the_wide_columns() -> None:
    """The arrangement diff's two value columns (the changed values, a list of agencies) are the wide ones
    (the table cut them off); every cell a name or "—", none "None"."""
    from tests.dashboard_helpers import null_cells

    at = app("en", "arrangements")
    at.selectbox(key="arrangements.diff.right").set_value("unified_command").run()
    diff = next(d for d in at.dataframe if "Field" in d.value.columns)
    cols = json.loads(diff.proto.columns)
    values = [c for c in diff.value.columns if c.startswith(("Left ·", "Right ·"))]
    assert len(values) == 2 and all(cols[c]["width"] == "large" for c in values)
    assert not null_cells(at)
