"""The sweep explorer page under ``streamlit.testing`` (AppTest), on real sweeps built here, widgets found by key.

Shows: a sweep folder's manifest and points appear, with each point's mean equal to the mean of its
replications in the Parquet files; changing the metric changes the chart's data (to that metric's
means); a folder holding sweeps offers them in a list, and a sweep with invalid points lists them with
the loader's message; the grid design gets its tornado (the numbers of ``simulation.experiments.analysis.tornado``)
and a typed target its PRIM boxes; a bad target, a folder that is not a sweep, a file, a missing folder
and a damaged manifest each give one inline error and no traceback; the language toggle switches every
label on the page (the same check as the other pages: no English label left in zh-CN, no Chinese in en).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_dashboard_apptest import ASCII_ALLOWED, visible_texts  # as every page
from test_dashboard_apptest import assert_language as assert_page_language

from simulation.experiments.analysis import sobol_indices, tornado
from simulation.experiments.designs import parse_factors
from simulation.experiments.results import load_sweep
from simulation.experiments.sweep import sweep

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboards" / "app.py")
FLAGSHIP = ROOT / "scenarios" / "library" / "high_rise_fire.yaml"
STAFF, ENGINES = "agencies.street_S3.desk.staff", "units.0.count"
TIMEOUT = 180


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ROOT/fire: 2 factors × 2 levels, 2 replications; ROOT/broken: staff 0 is invalid, so 2 of 4 points fail."""
    root = tmp_path_factory.mktemp("sweeps")
    sweep(
        FLAGSHIP,
        [f"{STAFF}=1,3", f"{ENGINES}=1,3"],
        replications=2,
        seed=5,
        out=root / "fire",
        workers=1,
        progress=False,
    )
    res = sweep(FLAGSHIP, [f"{STAFF}=2,0", f"{ENGINES}=1,3"], replications=2, seed=5, out=root / "broken", workers=1,
                progress=False)
    assert sorted(res.failed) == [2, 3]
    return root


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield


def page(folder: Path | str | None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("views/sweep.py").run()
    if folder is not None:
        at.text_input(key="sweep.folder").input(str(folder)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The table on the page with a column named ``column`` (AppTest gives tables no key)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with column {column!r}: {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


def chart(at: AppTest, key: str) -> dict[str, Any]:
    """The Plotly spec of the chart with widget key ``key`` (its element id ends with the key)."""
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return found[0]


def means(out: Path, metric: str) -> pd.Series:
    """Per-point mean of ``metric`` in minutes, straight from the sweep's Parquet files."""
    return load_sweep(out).groupby("point")[metric].mean() / 60


def chart_means(spec: dict[str, Any]) -> dict[tuple[Any, str], float]:
    """(x, trace name) → y of every plotted point."""
    return {(x, tr["name"]): y for tr in spec["data"] for x, y in zip(tr["x"], tr["y"])}


def assert_language(at: AppTest, lang: str) -> None:
    """``test_dashboard_apptest.assert_language`` with the factor paths taken out of each text first: they
    are field names of the scenario file, the same in both languages (``units.0.count`` contains the
    English label piece "units"); the rest of every text is still checked."""
    assert_page_language(at, lang, clean=_drop_paths)


def _drop_paths(text: str, data: tuple[str, ...] = ()) -> str:
    for path in (*data, STAFF, ENGINES):
        text = text.replace(path, "")
    return text


def assert_no_english_words(at: AppTest, out: Path) -> None:
    """Stricter than the catalogue check (which finds only whole English labels): in zh-CN no English word of
    4+ letters is left once the sweep's own data is taken out — the sweep folders' names, manifest values (file
    path, ids, factor expressions) and the loader's error messages, shown verbatim as on the command line."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    data = tuple(
        sorted(
            {str(manifest[k]) for k in ("scenario", "sweep", "scenario_hash", "created", "version")}
            | set(manifest["factors"])
            | {p.name for p in out.parent.iterdir()}
            | {json.loads(p.read_text(encoding="utf-8"))["error"] for p in out.glob("errors/*.json")},
            key=len,
            reverse=True,
        )
    )
    words = {w for s in visible_texts(at) for w in re.findall(r"[A-Za-z_]{4,}", _drop_paths(s, data))}
    assert not words - ASCII_ALLOWED, sorted(words - ASCII_ALLOWED)


# -- a sweep folder ---------------------------------------------------------------------------------------


def test_manifest_and_points_appear(sweeps: Path) -> None:
    out = sweeps / "fire"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    at = page(out)
    assert not at.error, [e.value for e in at.error]
    shown = dict(zip(*table(at, "Field").T.values))
    assert shown["Sweep id"] == manifest["sweep"] and shown["Scenario hash"] == manifest["scenario_hash"]
    assert shown["Design"].startswith("full grid") and shown["Seed"] == "5" and shown["Replications per point"] == "2"
    assert (shown["Factor 1"], shown["Factor 2"]) == (f"{STAFF}=1,3", f"{ENGINES}=1,3")
    assert shown["Scenario file"] == manifest["scenario"] and shown["Version of the program"] == manifest["version"]
    points = table(at, "Run seed")
    assert list(points["Point"]) == [0, 1, 2, 3]
    assert list(zip(points[STAFF], points[ENGINES])) == [
        ("1", "1"),
        ("1", "3"),
        ("3", "1"),
        ("3", "3"),
    ]  # last factor fastest
    assert set(points["Status"]) == {"done"} and set(points["Replications"]) == {2}
    assert list(points["Run seed"]) == [p["run_seed"] for p in manifest["points"]]
    expected = means(out, "t_first_arrival")
    assert list(points["Mean of First arrival (min)"]) == pytest.approx(list(expected), abs=0.005)
    assert any("4 of 4 points done · 0 failed" in c.value for c in at.caption)
    assert at.selectbox(key="sweep.metric").value == "t_first_arrival"
    assert "sweep.pick" not in {s.key for s in at.selectbox}  # the folder is a sweep: nothing to pick
    keys = {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    assert {"sweep.download_points", "sweep.download_analysis"} <= keys


def test_changing_the_metric_changes_the_chart_data(sweeps: Path) -> None:
    out = sweeps / "fire"
    at = page(out)
    assert (at.selectbox(key="sweep.x").value, at.selectbox(key="sweep.colour").value) == (STAFF, ENGINES)
    before = chart(at, "sweep.chart")
    assert [tr["name"] for tr in before["data"]] == ["1", "3"]  # one trace per engine count
    first = means(out, "t_first_arrival")
    # points (staff, engines): 0=(1,1) 1=(1,3) 2=(3,1) 3=(3,3)
    assert chart_means(before) == pytest.approx(
        {(1, "1"): first[0], (1, "3"): first[1], (3, "1"): first[2], (3, "3"): first[3]}
    )
    at.selectbox(key="sweep.metric").set_value("t_close").run()
    assert not at.exception
    after = chart(at, "sweep.chart")
    close = means(out, "t_close")
    assert chart_means(after) == pytest.approx(
        {(1, "1"): close[0], (1, "3"): close[1], (3, "1"): close[2], (3, "3"): close[3]}
    )
    assert chart_means(after) != chart_means(before)
    assert "Closed" in after["layout"]["title"]["text"] and "First arrival" in before["layout"]["title"]["text"]
    at.selectbox(key="sweep.colour").set_value("").run()  # one colour: a single trace with all four points
    assert len(chart(at, "sweep.chart")["data"]) == 1


def test_tornado_for_a_grid_and_prim_for_a_typed_target(sweeps: Path) -> None:
    out = sweeps / "fire"
    at = page(out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    y = load_sweep(out).groupby("point")["t_first_arrival"].mean().to_numpy()
    want = tornado([p["values"] for p in manifest["points"]], y, parse_factors(manifest["factors"]))
    shown = table(at, "Swing (min)").set_index("Factor")  # a time's swing in minutes, the header says so
    for row in want.itertuples():
        assert shown.loc[row.factor, "Swing (min)"] == pytest.approx(row.swing / 60, abs=1e-3)
    assert {tr["name"] for tr in chart(at, "sweep.analysis_chart")["data"]} == {
        "Mean at first level",
        "Mean at last level",
    }
    at.text_input(key="sweep.target").input(split_target(out)).run()  # two points meet it, two miss
    assert not at.exception and not at.error, [e.value for e in at.error]
    boxes = table(at, "Rule")
    assert len(boxes) >= 1 and all(boxes["Rule"].str.len() > 0)
    assert any("2 of 4 points miss First arrival <=" in c.value for c in at.caption)
    assert "sweep.download_prim" in {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    at.text_input(key="sweep.target").input("fast please").run()
    assert not at.exception
    assert any("Not a target: 'fast please'" in e.value for e in at.error)


def test_sobol_and_lhs_designs_get_their_own_analysis(tmp_path: Path) -> None:
    factors = [f"{STAFF}=1..4", f"{ENGINES}=1..3"]
    for design, samples, folder in (("sobol", 2, "s"), ("lhs", 6, "l")):
        sweep(FLAGSHIP, factors, design=design, samples=samples, replications=1, seed=5, out=tmp_path / folder,
              workers=1, progress=False)
    at = page(tmp_path / "s")
    y = load_sweep(tmp_path / "s").groupby("point")["t_first_arrival"].mean().to_numpy()
    want = sobol_indices(y, [STAFF, ENGINES], seed=5).set_index("factor")
    got = table(at, "S1 (alone)").set_index("Factor")
    for f in (STAFF, ENGINES):
        assert got.loc[f, "S1 (alone)"] == pytest.approx(want.loc[f, "S1"], abs=1e-3)
        assert got.loc[f, "ST (with interactions)"] == pytest.approx(want.loc[f, "ST"], abs=1e-3)
    assert {tr["name"] for tr in chart(at, "sweep.analysis_chart")["data"]} == {"S1 (alone)", "ST (with interactions)"}
    at.text_input(key="sweep.folder").input(str(tmp_path / "l")).run()
    assert not at.exception
    reps = load_sweep(tmp_path / "l").groupby("point")[[STAFF, ENGINES, "t_first_arrival"]].mean()
    got = table(at, "Spearman rank correlation").set_index("Factor")["Spearman rank correlation"]
    for f in (STAFF, ENGINES):
        assert got[f] == pytest.approx(reps[f].corr(reps["t_first_arrival"], method="spearman"), abs=1e-3)
    assert not [tb for tb in at.dataframe if "S1 (alone)" in tb.value.columns]


def test_a_root_lists_its_sweeps_and_failed_points_show_their_errors(sweeps: Path) -> None:
    at = page(sweeps)
    assert at.selectbox(key="sweep.pick").options == ["broken", "fire"]
    at.selectbox(key="sweep.pick").set_value("broken").run()
    assert not at.exception
    failed = table(at, "Error")
    assert list(failed["Point"]) == [2, 3] and set(failed[STAFF]) == {0}
    assert all("agencies[street_S3].desk.staff" in e and "greater than or equal to 1" in e for e in failed["Error"])
    status = table(at, "Status")
    assert list(status["Status"]) == ["done", "done", "failed", "failed"]
    assert any("2 of 4 points done · 2 failed" in c.value for c in at.caption)
    assert any("2 point(s) without a value are left out" in c.value for c in at.caption)
    assert "sweep.download_failed" in {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    assert not at.error


def split_target(out: Path) -> str:
    """A target half-way between the 2nd and 3rd smallest point means of t_first_arrival (minutes)."""
    ys = np.sort(load_sweep(out).groupby("point")["t_first_arrival"].mean().to_numpy()) / 60
    assert ys[1] < ys[2]
    return f"<= {(ys[1] + ys[2]) / 2:.4f}"


def test_language_toggle_switches_every_label_on_the_page(sweeps: Path) -> None:
    at = page(sweeps)
    at.selectbox(key="sweep.pick").set_value("fire").run()
    at.text_input(key="sweep.target").input(split_target(sweeps / "fire")).run()
    assert not at.exception and table(at, "Rule").shape[0] >= 1  # PRIM boxes shown
    assert_language(at, "en")
    at.radio(key="lang").set_value("zh-CN").run()
    assert not at.exception
    assert at.title[0].value == "参数扫描浏览"
    assert at.selectbox(key="sweep.pick").value == "fire", "the choice stays after switching language"
    assert table(at, "规则").shape[0] >= 1 and table(at, "变化幅度（分钟）").shape[0] == 2
    assert_language(at, "zh-CN")
    assert_no_english_words(at, sweeps / "fire")
    # the other sweep: failed points, a partial analysis, too few misses for a box
    at.selectbox(key="sweep.pick").set_value("broken").run()
    assert not at.exception
    assert table(at, "错误").shape[0] == 2 and at.info
    assert_language(at, "zh-CN")
    assert_no_english_words(at, sweeps / "broken")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert table(at, "Error").shape[0] == 2
    assert_language(at, "en")


# -- not a sweep ------------------------------------------------------------------------------------------


def _no_results(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.dataframe and not at.get("plotly_chart")
    assert all("Traceback" not in c.value for c in at.code)


def test_a_folder_that_is_not_a_sweep_is_an_inline_error(tmp_path: Path) -> None:
    plain = tmp_path / "notes"
    (plain / "deeper").mkdir(parents=True)
    (plain / "readme.txt").write_text("not a sweep", encoding="utf-8")
    at = page(plain)
    _no_results(at)
    assert [e.value for e in at.error] == [
        f"{plain} is not a sweep folder: it has no manifest.json, and no sweep was found below it."
    ]

    at.text_input(key="sweep.folder").input(str(plain / "readme.txt")).run()
    _no_results(at)
    assert [e.value for e in at.error] == [f"{plain / 'readme.txt'} is a file, not a folder."]

    at.text_input(key="sweep.folder").input(str(tmp_path / "nowhere")).run()
    _no_results(at)
    assert [e.value for e in at.error] == [f"The folder {tmp_path / 'nowhere'} does not exist."]


def test_a_damaged_manifest_is_an_inline_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{ not json", encoding="utf-8")
    at = page(bad)
    _no_results(at)
    assert [e.value for e in at.error] == [f"This sweep cannot be read ({bad}):"]
    assert at.code[0].value.startswith(f"{bad / 'manifest.json'}: cannot read the manifest:")
    (bad / "manifest.json").write_text('{"sweep": "x"}', encoding="utf-8")  # JSON, but not a sweep's manifest
    at.text_input(key="sweep.folder").input(str(bad) + "/").run()
    _no_results(at)
    assert at.error and "missing: not a manifest written by linkage sweep" in at.code[0].value


def test_the_default_folder_missing_is_a_hint_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./out here
    at = page(None, "zh-CN")
    _no_results(at)
    assert not at.error
    assert at.text_input(key="sweep.folder").value == "out"
    assert at.info and "linkage sweep SCENARIO" in at.info[0].value


def test_tables_and_csv_downloads_speak_the_language_in_minutes(sweeps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In zh-CN the points CSV has Chinese headers and the metric in minutes (its mean equal to the Parquet
    replications' mean / 60), statuses in words; no table cell reads "None" (a tornado swing that cannot be
    computed for a failed level reads "—", with the legend); the failed points' and the analysis CSVs carry
    the same headers as their tables."""
    import io

    from dashboards.i18n import catalogue
    from tests.dashboard_helpers import null_cells

    got: dict[str, bytes] = {}
    real = st.download_button

    def keep(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        got[kwargs.get("key", label)] = data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    zh = catalogue("zh-CN")
    for name in ("fire", "broken"):
        got.clear()
        at = page(sweeps / name, "zh-CN")
        at.selectbox(key="sweep.metric").set_value("t_first_arrival").run()
        assert not at.exception and not null_cells(at), null_cells(at)[:3]
        dashes = any((d.value.astype(str) == "—").any().any() for d in at.dataframe)
        assert dashes == any(c.value == zh["common.missing_legend"] for c in at.caption)
        points = pd.read_csv(io.BytesIO(got["sweep.download_points"]), encoding="utf-8-sig")
        mean_col = f"{zh['sweep.csv_mean'].format(metric=zh['metric.t_first_arrival'])}（分钟）"
        assert mean_col in points.columns and zh["sweep.col_status"] in points.columns
        want = means(sweeps / name, "t_first_arrival")
        done = points[points[zh["sweep.col_status"]] == zh["sweep.status.done"]]
        assert len(done) == len(want)
        for pt, m in zip(done[zh["sweep.col_point"]], done[mean_col]):
            assert m == pytest.approx(want[pt], abs=0.01)
        text = got["sweep.download_points"].decode("utf-8-sig")
        assert not re.search(r"\b(mean|ci_low|run_seed|status|done|failed)\b", text)
        analysis = pd.read_csv(io.BytesIO(got["sweep.download_analysis"]), encoding="utf-8-sig")
        assert zh["sweep.col_factor"] in analysis.columns
        if name == "broken":
            assert dashes  # the tornado cannot swing across a failed level
            failed = pd.read_csv(io.BytesIO(got["sweep.download_failed"]), encoding="utf-8-sig")
            assert {zh["sweep.col_point"], zh["sweep.col_error"]} <= set(failed.columns)
