"""Helpers for the dashboard tests under ``streamlit.testing`` (AppTest): the app file and what a person reads."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.i18n import catalogue
from tests.helpers import ROOT, streamlit_command

APP = str(ROOT / "dashboards" / "app.py")
TIMEOUT = 180
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
LANG_NAMES = {"简体中文", "English"}
"""The toggle names each language in itself (the same in both catalogues), so they are not checked."""


def _strings(node: Any) -> Iterator[str]:
    """Human-readable strings of a Plotly spec: titles, trace names, texts (not colours or ids)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("text", "name", "hovertext", "title", "ticktext", "x", "y"):
                yield from (s for s in _flat(v) if isinstance(s, str))
            if isinstance(v, (dict, list)):
                yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _flat(v: Any) -> Iterator[Any]:
    if isinstance(v, list):
        for x in v:
            yield from _flat(x)
    elif isinstance(v, dict):
        if "text" in v:
            yield from _flat(v["text"])
    else:
        yield v


def visible_texts(at: AppTest) -> list[str]:
    """Every label a person reads on the page (code blocks excluded: they show files and command lines verbatim)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "error", "success", "warning"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("radio", "selectbox", "multiselect", "select_slider"):
        for w in getattr(at, kind):
            out.append(w.label)
            out += [str(o) for o in w.options]
    for kind in ("number_input", "slider", "text_area", "text_input", "checkbox", "button", "toggle"):
        out += [w.label for w in getattr(at, kind)]
    out += [b.proto.label for b in at.get("download_button")]
    out += [b.proto.label for b in at.get("file_uploader")]
    for m in at.metric:
        out += [m.label, str(m.value), str(m.delta or "")]
    out += [tab.label for tab in at.tabs] + [e.label for e in at.expander]
    for df in list(at.dataframe):
        frame = df.value
        out += [str(c) for c in frame.columns] + [str(i) for i in frame.index if isinstance(i, str)]
        for col in frame.columns:
            out += [v for v in frame[col].tolist() if isinstance(v, str)]
    for chart in at.get("plotly_chart"):
        out += list(_strings(json.loads(chart.proto.spec)))
    return [s for s in out if s]


def english_only_labels() -> list[str]:
    """Literal pieces (≥ 5 letters) of en labels that differ from the zh catalogue."""
    zh, en = catalogue("zh-CN"), catalogue("en")
    zh_values = set(zh.values())
    pieces = set()
    for key, v in en.items():
        if v in zh_values or v == zh.get(key):
            continue
        for chunk in re.split(r"\{[^}]*\}", v):
            chunk = chunk.strip(" :·—()*,.;")
            if len(re.sub(r"[^A-Za-z]", "", chunk)) >= 5:
                pieces.add(chunk)
    return sorted(pieces)


def null_cells(at: AppTest) -> list[tuple[str, Any]]:
    """(column, value) of every table cell a browser would write as "None"/"nan"/"null" (Streamlit prints a
    missing cell as the word None)."""
    import math

    out = []
    for df in at.dataframe:
        frame = df.value
        for col in frame.columns:
            for v in frame[col].tolist():
                if v is None or (isinstance(v, float) and math.isnan(v)) or (
                        isinstance(v, str) and v.strip() in ("None", "nan", "NaN", "null")):
                    out.append((str(col), v))
    return out


def app_page(lang: str, page: str | None = None) -> AppTest:
    """The dashboard in ``lang``, run once, on ``page`` (a module of ``views/``) if given; no exception."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@contextmanager
def running_dashboard(port: int, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real Streamlit server of the dashboard on ``port`` (its output in ``log``), until the block ends;
    yields its URL once its health check answers, fails the test with the log if it never does."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(streamlit_command(APP, port), cwd=ROOT, env=env or dict(os.environ),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (exit {proc.poll()}):\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def click_map(at: AppTest, chart_key: str, grid: str) -> AppTest:
    """Rerun ``at`` as after a click on ``grid``'s marker on the selectable map under ``chart_key``.

    AppTest has no Plotly element (the chart is an unknown element in its tree), so the click is sent the
    way the browser sends it: the page's widget states plus the chart's selection event — Streamlit's
    ``{"selection": {"points": [...]}}`` JSON, one point whose ``customdata`` is the marker's. The point is
    the chart's own: the marker whose ``customdata`` is ``grid``, found in the chart's spec."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{chart_key}"))
    spec = json.loads(chart.proto.spec)
    # the grid's own marker (the trace of every grid), not a station's or the incident's on the same grid
    traces = sorted(enumerate(spec["data"]), key=lambda kt: -len(kt[1].get("customdata") or []))
    curve, index, trace = next((k, i, tr) for k, tr in traces
                               for i, code in enumerate(tr.get("customdata") or []) if code == grid)
    point = {"curve_number": curve, "point_number": index, "point_index": index, "customdata": grid,
             "x": _at(trace["x"], index), "y": _at(trace["y"], index)}
    states = WidgetStates()
    states.CopyFrom(at._tree.get_widget_states())
    w = states.widgets.add()
    w.id = chart.proto.id
    w.string_value = json.dumps({"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}})
    return at._run(states)


def _at(values: Any, i: int) -> float:
    """Element ``i`` of a Plotly array (a plain list or Plotly's typed array ``{"dtype", "bdata"}``)."""
    if isinstance(values, dict):
        import base64

        import numpy as np

        return float(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])[i])
    return float(values[i])
