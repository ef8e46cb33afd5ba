"""The hidden-hazard loop page under ``streamlit.testing`` (AppTest), widgets found by key: the leak chart shows
one bar per arrangement and stage, the figures follow the seed, the choices change the result, and the page
reads in one language at a time."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.dashboard_helpers import APP, CJK, TIMEOUT, english_only_labels, visible_texts


def _page(lang: str = "zh-CN") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("views/defect_loop.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at: AppTest, arms: list[str], seed: int, follow_up: bool = True) -> tuple[dict, list[dict]]:
    at.multiselect(key="loop.arrangements").set_value(arms)
    at.number_input(key="loop.grids").set_value(60)
    at.number_input(key="loop.days").set_value(40)
    at.number_input(key="loop.seed").set_value(seed)
    at.checkbox(key="loop.follow_up").set_value(follow_up)
    at.button(key="loop.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    outcomes = at.dataframe[0].value  # plain tables carry no key in AppTest: the outcomes come first
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    return outcomes.to_dict(), chart["data"]


def test_leak_chart_has_a_bar_per_arrangement_and_the_stages_add_up() -> None:
    at = _page("en")
    outcomes, bars = _run(at, ["integrated_grid", "parallel_grids"], 3)
    integ, par = list(outcomes)  # the arrangements' titles, in the order chosen
    assert "integrated" in integ.lower() and "parallel" in par.lower()
    assert len(bars) == 9 and all(b["y"] == [integ, par] for b in bars)
    totals = [sum(b["x"][i] for b in bars) for i in range(2)]
    assert totals[0] == totals[1] > 0  # the same hazards arise under both (common random numbers)
    lost = next(b for b in bars if b["name"] == "Lost")
    assert lost["x"][0] == 0 and lost["x"][1] > 0  # one platform loses no order; separate lines do
    assert outcomes[integ]["Duplicate visits"] == "0" and outcomes[par]["Returned orders"] != "0"


def test_same_seed_same_figures_other_seed_or_practice_other_figures() -> None:
    at = _page("en")
    a, _ = _run(at, ["parallel_grids"], 5)
    b, _ = _run(at, ["parallel_grids"], 5)
    c, _ = _run(at, ["parallel_grids"], 6)
    d, _ = _run(at, ["parallel_grids"], 5, follow_up=False)
    assert a == b and a != c and a != d


def test_page_reads_in_chinese_only() -> None:
    at = _page("zh-CN")
    _run(at, ["integrated_grid", "ambiguous"], 1)
    texts = visible_texts(at)
    english = english_only_labels()
    leftovers = [s for s in texts if any(piece in s for piece in english)]
    assert not leftovers
    assert any(CJK.search(s) for s in texts)
