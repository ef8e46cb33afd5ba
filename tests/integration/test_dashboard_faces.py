"""What the planner reads on the compare and scenario pages is right, labelled and explained (issue 18).

AppTest, widgets found by key; the figures checked against the library's own comparison of the same
scenario, arrangements, N and seed (``simulation.experiments.api.compare`` — common random numbers make it
the same run), never against the page's own output.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards import export
from dashboards.i18n import agency_names, catalogue, label
from simulation.experiments import api, attribution_difference
from tests.dashboard_helpers import APP, TIMEOUT
from tests.helpers import ROOT

FIRE = str(ROOT / "scenarios" / "library" / "high_rise_fire.yaml")
ARMS = ("sectoral_lead", "unified_command")
N, SEED = 10, 1  # a seed where the two arms' own median replications differ and one replication is left unclosed


def app(lang: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_compare(at: AppTest) -> AppTest:
    at.number_input(key="compare.n").set_value(N)
    at.number_input(key="compare.seed").set_value(SEED)
    at.button(key="compare.run").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


@pytest.fixture(scope="module")
def truth() -> Any:
    return api.compare(FIRE, list(ARMS), N, SEED)


@pytest.fixture(scope="module")
def pages() -> dict[str, AppTest]:
    st.cache_data.clear()
    return {lang: run_compare(app(lang, "compare")) for lang in ("en", "zh-CN")}


def values(z: Any) -> np.ndarray:
    """A Plotly array as sent to the browser: a list, or its typed-array form {dtype, bdata, shape}."""
    if isinstance(z, dict):
        shape = [int(x) for x in str(z.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    return np.asarray(z, dtype=float)


def row(truth: Any, metric: str) -> dict:
    return next(r for r in truth.comparison.to_pylist() if r["metric"] == metric and r["arrangement"] == ARMS[1])


@pytest.mark.slow
def test_time_to_close_carries_its_condition_and_n(pages, truth) -> None:
    """t_close is a mean over the replications closed in both arms only: the card says so, with n. (The fire
    is now held in every replication — a second alarm's water holds it — so closing is the conditional time
    that applies to part of the replications; t_control carries the same words, n = N.)"""
    n = row(truth, "t_close")["n"]
    assert 0 < n < N, "the incident must be closed in only part of the replications for the condition to matter"
    caps = [c.value for c in pages["en"].caption]
    assert any(f"over the {n} of {N} replications closed in both arrangements" in c for c in caps)
    assert any(f"仅计两种安排均结案的 {n}/{N} 次重复" in c.value for c in pages["zh-CN"].caption)
    table = next(d.value for d in pages["en"].dataframe if "Replications compared" in d.value.columns)
    cell = table.loc[table["Metric"].str.startswith(catalogue("en")["metric.t_close"]), "Replications compared"]
    assert any(f"{n} · over the {n} of {N}" in c for c in cell)


@pytest.mark.slow
def test_share_controlled_is_a_percentage_with_its_interval(pages, truth) -> None:
    """The share held reads '30%' and '+0 pp' (it read 0.3 / +0.0), its CI in percentage points."""
    r = row(truth, "controlled")
    card = next(m for m in pages["en"].metric if m.label.startswith(catalogue("en")["metric.controlled"]))
    assert card.label.endswith("(%)")
    assert card.value == f"{100 * r['mean_arrangement']:.0f}%" and card.delta == f"{100 * r['diff_mean']:+.0f} pp"
    lo, hi = f"{100 * r['ci_low']:+.0f} pp", f"{100 * r['ci_high']:+.0f} pp"
    assert any(f"95% CI [{lo}, {hi}]" in c.value for c in pages["en"].caption)


@pytest.mark.slow
def test_quick_check_shows_the_share_and_the_condition() -> None:
    """The scenario page's quick check shows the share held (with its CI) and t_control's condition and n."""
    from simulation.experiments import run as run_reps

    at = app("en", "scenario")
    at.number_input(key="scenario.preview_n").set_value(N)
    at.number_input(key="scenario.preview_seed").set_value(SEED)
    at.button(key="scenario.preview_run").click().run()
    assert not at.exception
    reps = run_reps(FIRE, N, SEED).replications.column("t_control").to_pylist()
    held = sum(v is not None for v in reps)
    card = next(m for m in at.metric if m.label.startswith(catalogue("en")["metric.controlled"]))
    assert card.value == f"{100 * held / N:.0f}%"
    assert any(f"over the {held} of {N} replications brought under control" == c.value for c in at.caption)


@pytest.mark.slow
def test_the_banner_says_what_the_planner_waited_and_when_it_came_from_the_cache(pages) -> None:
    """The first answer is timed on the page (click → result); asking again says it came from the cache and
    repeats the first time, instead of the engine's own seconds."""
    at = pages["en"]
    first = re.search(r"computed in ([\d.]+) s, from the click", at.success[0].value)
    assert first, at.success[0].value
    at.button(key="compare.run").click().run()
    again = at.success[0].value
    assert "from the cache" in again and f"first computed in {first.group(1)} s" in again


@pytest.mark.slow
def test_each_verdict_is_explained_from_the_attribution(pages, truth) -> None:
    """The paragraph names the clear verdicts and the agency pair and stage whose gap moved most."""
    from simulation.experiments import prepare

    top = attribution_difference(truth.attribution, ARMS[0], ARMS[1])[0]
    for lang in ("en", "zh-CN"):
        names = agency_names(prepare(FIRE)[0], lang)
        text = next(m.value for m in pages[lang].markdown if m.value.count("**") >= 4 and "95%" in m.value)
        assert names[top["from_agency"]] in text and names[top["to_agency"]] in text
        assert label("stage", top["stage"], lang) in text and f"{top['diff'] / 60:+.1f}" in text
        worse = [r for r in truth.comparison.to_pylist() if r["arrangement"] == ARMS[1] and r["verdict"] == "worse"]
        assert worse and all(label("metric", r["metric"], lang) in text for r in worse)


@pytest.mark.slow
def test_difference_heat_map_between_arrangements(pages, truth) -> None:
    """The hand-off tab offers the difference from the baseline: a diverging map centred on 0 whose cells
    are the attribution difference in minutes."""
    at = pages["en"]
    assert at.radio(key="compare.heat_mode").value == "diff"
    spec = next(json.loads(p.proto.spec) for p in at.get("plotly_chart") if p.proto.id.endswith("compare.heat"))
    trace = spec["data"][0]
    assert trace["zmid"] == 0 and "−" in spec["layout"]["title"]["text"]
    top = attribution_difference(truth.attribution, ARMS[0], ARMS[1])[0]
    assert round(top["diff"] / 60, 1) in {round(float(z), 1) for z in values(trace["z"]).ravel()}


@pytest.mark.slow
def test_every_arrangement_shows_the_same_replication(pages, truth) -> None:
    """The timeline shows the baseline's median replication for every arrangement (it showed each arm's
    own, so two arms compared two different days)."""
    def median_rep(arm: str) -> int:
        reps = truth.runs[arm].replications.to_pandas()
        return int(reps.loc[(reps["t_close"] - reps["t_close"].median()).abs().sort_values(kind="stable").index[0],
                            "replication"])

    assert median_rep(ARMS[0]) != median_rep(ARMS[1]), "seed must make the arms' own medians differ"
    at = pages["en"]
    seen = set()
    for arm in ARMS:
        at.selectbox(key="compare.focus").set_value(arm).run()
        seen |= {int(m.group(1)) for c in at.caption if (m := re.match(r"Replication (\d+) for every", c.value))}
    assert seen == {median_rep(ARMS[0])}


def test_csv_export_speaks_the_language_in_minutes(truth) -> None:
    """The CSV the compare page offers (``export.csv_bytes``): zh headers, minutes, names, per cent."""
    from simulation.experiments import prepare

    names = agency_names(prepare(FIRE)[0], "zh-CN")
    arms = {"sectoral_lead": "行业牵头", "unified_command": "统一指挥"}
    df = pd.read_csv(io.BytesIO(export.csv_bytes(truth.comparison, "zh-CN", names, arms)), encoding="utf-8-sig")
    assert {"指标", "该安排均值", "基准均值", "结论"} <= set(df.columns)
    r = row(truth, "t_first_arrival")
    got = df.loc[df["指标"] == "首车到场（分钟）", "该安排均值"].iloc[0]
    assert got == pytest.approx(r["mean_arrangement"] / 60, abs=0.01)
    share = df.loc[df["指标"] == "得到控制的比例（%）", "该安排均值"].iloc[0]
    assert share == pytest.approx(100 * row(truth, "controlled")["mean_arrangement"], abs=0.1)
    text = df.to_csv()
    assert "sectoral_lead" not in text and "t_first_arrival" not in text and "better" not in text
    tasks = pd.read_csv(io.BytesIO(export.csv_bytes(truth.runs[ARMS[0]].tasks, "zh-CN", names, arms)))
    assert "开始处置（分钟）" in tasks.columns and "责任单位" in tasks.columns
    assert not any(a in set(tasks["责任单位"].dropna()) for a in names)  # ids became names


def test_a_p90_below_the_typical_latency_is_explained_and_the_page_keeps_working() -> None:
    """Editing a lognormal channel's 90 % time below its typical time: a warning in the planner's words
    names the channel, the row's change is held back, the map still shows (it vanished behind a raw
    ``--set: channels[9].latency: p90 … must be greater than median`` before)."""
    from dashboards.params import latency_parts
    from simulation.experiments import prepare

    sc = prepare(FIRE)[0]
    i = next(k for k, c in enumerate(sc.channels) if latency_parts(c.latency)[0] == "lognormal")
    at = app("en", "scenario")
    at.session_state["scenario.channels"] = {"edited_rows": {i: {"typical": 300.0, "p90": 180.0}},
                                             "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    names = agency_names(sc, "en")
    [w] = [w.value for w in at.warning]
    src, dst = names[sc.channels[i].from_], names[sc.channels[i].to]
    assert w.startswith(f"{src} → {dst}: the 90% time (180 s) must be longer than the typical time (300 s)")
    assert not any("channels" in c.value for c in at.code)  # no broken override was passed on
    assert any(p.proto.id.endswith("scenario.map") for p in at.get("plotly_chart"))


def test_a_list_in_an_extending_file_that_replaces_says_so() -> None:
    """A pasted file extending the high-rise fire with one channel replaces the district's channels whole
    (extends merges mappings, replaces lists): the page says how many it replaces, and still loads it."""
    from simulation.experiments import prepare

    sc = prepare(FIRE)[0]
    n = len(sc.channels)
    # a star of phone lines from the emergency bureau: every report and notice still has a road (a list that
    # left the lead untold would be refused at load, not merely warned about)
    star = [a.id for a in sc.agencies if a.id != "emergency_bureau"]
    at = app("en", "scenario")
    at.radio(key="scenario.source").set_value("paste").run()
    at.text_area(key="scenario.yaml_text").set_value(
        "extends: high_rise_fire.yaml\nname: one_more_channel\nchannels:\n"
        + "".join(f"  - {{from: emergency_bureau, to: {a}}}\n" for a in star)).run()
    assert not at.exception
    [w] = [w.value for w in at.warning]
    assert "extends merges mappings, not lists" in w and f"replace the {n} of 'high_rise_fire.yaml'" in w
    assert f"pasted.yaml:3: channels: these {len(star)} item(s) replace" in w


def test_a_chinese_arrangement_name_becomes_its_title() -> None:
    """A planner names an edited arrangement in Chinese: no raw regex, the name is the title, and the
    compare page offers it under that name."""
    at = app("zh-CN", "arrangements")
    at.text_input(key="arrangements.name").input("我的联动方案").run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert not any("pattern" in c.value or "^[A-Za-z]" in c.value for c in at.code)
    at.button(key="arrangements.use").click().run()
    assert any("我的联动方案" in s.value for s in at.success)
    at.switch_page("views/compare.py").run()
    offered = at.multiselect(key="compare.arrangements").options
    assert "我的联动方案" in offered


def test_an_edited_arrangement_says_what_it_changed_not_its_bases_doctrine() -> None:
    """Sectoral lead switched to parallel notification no longer carries sectoral lead's doctrine text."""
    from simulation.experiments import prepare

    at = app("en", "arrangements")
    at.selectbox(key="arrangements.fan_out").set_value("parallel").run()
    assert not at.exception and not at.error
    yaml_text = next(c.value for c in at.code if c.value.startswith("name:") or "fan_out:" in c.value)
    base = prepare(FIRE, "sectoral_lead")[0].arrangement
    assert base.doctrine is not None and base.doctrine.en.split(".")[0] not in yaml_text
    assert "Edited from" in yaml_text and "Notification fan-out: parallel" in yaml_text


def overlapping_labels(graph: dict, width_px: float = 930.0) -> list[tuple[str, str]]:
    """Pairs of node names in the coordination graph whose text boxes overlap each other or another node's
    marker, with the chart laid out ``width_px`` wide (the page's at a 1400-pixel window) and its own height.
    Text boxes from the font size (10 px): a Latin character about 0.6 em wide, a CJK one 1 em, lines 1.3 em
    — an estimate of what the browser draws, checked against the screenshots in ``test-artifacts/``."""
    lay, nodes = graph["layout"], graph["data"][-1]
    (x0, x1), (y0, y1) = lay["xaxis"]["range"], lay["yaxis"]["range"]
    m = lay["margin"]
    w, h = width_px - m["l"] - m["r"], lay["height"] - m["t"] - m["b"]
    xs, ys = values(nodes["x"]), values(nodes["y"])
    px = [(x - x0) / (x1 - x0) * w for x in xs]
    py = [(y1 - y) / (y1 - y0) * h for y in ys]
    boxes = []
    for x, y, text, where in zip(px, py, nodes["text"], nodes["textposition"]):
        lines = text.split("<br>")
        tw = max(sum(10 if ord(ch) > 0x2E80 else 6 for ch in line) for line in lines)
        th = 13 * len(lines)
        left = x + 6 if where.endswith("right") else x - 6 - tw if where.endswith("left") else x - tw / 2
        top = y - th / 2 if where.startswith("middle") else y - 8 - th if where.startswith("top") else y + 8
        boxes.append((left, top, left + tw, top + th))

    def hit(a: tuple, b: tuple) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    out = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes):
            if i < j and hit(a, b):
                out.append((nodes["text"][i], nodes["text"][j]))
        out += [(nodes["text"][i], nodes["text"][j]) for j in range(len(px))
                if j != i and hit(a, (px[j] - 5, py[j] - 5, px[j] + 5, py[j] + 5))]
    return out


def spec(at: AppTest, key: str) -> dict:
    return next(json.loads(p.proto.spec) for p in at.get("plotly_chart") if p.proto.id.endswith(key))


@pytest.mark.slow
def test_charts_name_every_box_row_and_node_without_covering_them(pages) -> None:
    """Box plot: no legend over the boxes, labels wrapped between words, not rotated; coordination graph: no
    name on another name or marker (:func:`overlapping_labels`; the spring layout's dense middle had a dozen),
    hover shows names not ids; responsibility matrices: every row labelled (plotly skipped every other one)."""
    at = pages["en"]
    box = spec(at, "compare.dist")
    assert box["layout"]["showlegend"] is False and box["layout"]["xaxis"]["tickangle"] == 0
    assert any("<br>" in tr["name"] for tr in box["data"])  # the long arrangement title is wrapped
    for lang in ("en", "zh-CN"):
        graph = spec(pages[lang], "compare.graph")
        nodes = graph["data"][-1]
        assert not any("(" in h and "_" in h for h in nodes["hovertext"])
        assert not overlapping_labels(graph), lang
    from scenarios.loader import load_arrangement

    titles = {load_arrangement(a).title.en for a in ARMS}  # broken between words only: the lines make the title
    assert {tr["name"].replace("<br>", " ").replace("- ", "-") for tr in box["data"]} == titles
    for lang in ("en", "zh-CN"):  # a title too long for the chart is broken into lines, not cut off
        for chart in pages[lang].get("plotly_chart"):
            title = json.loads(chart.proto.spec)["layout"]["title"]["text"]
            assert all(sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) <= 80 for line in title.split("<br>")), title
    arr = app("en", "arrangements")
    for side in ("left", "right"):
        m = spec(arr, f"arrangements.diff.matrix.{side}")
        assert m["layout"]["yaxis"]["dtick"] == 1


@pytest.mark.slow
def test_cards_for_closed_and_unfinished_tasks(pages, truth) -> None:
    """The share of replications closed and the tasks left unfinished have cards (they had none), counted
    straight from the incidents and tasks tables of the same comparison."""
    arm = truth.runs[ARMS[1]]
    inc = arm.incidents.to_pandas()
    inc = inc[inc["incident"] == "fire1"]
    closed = inc["t_close"].notna().groupby(inc["replication"]).any().reindex(range(N), fill_value=False).mean()
    tasks = arm.tasks.to_pandas()
    unfinished = ((tasks["incident"] == "fire1") & (tasks["status"] == "abandoned")).sum() / N
    cards = {m.label: m.value for m in pages["en"].metric}
    assert cards[f"{catalogue('en')['metric.closed']} (%)"] == f"{100 * closed:.0f}%"
    assert cards[catalogue("en")["metric.tasks_abandoned"]] == f"{unfinished:.1f}"
    closed_n = row(truth, "t_close")["n"]
    assert any(f"over the {closed_n} of {N} replications closed in both arrangements" in c.value
               for c in pages["en"].caption)
