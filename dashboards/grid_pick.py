"""Picking a grid on a map instead of typing its code (在地图上点选网格).

A map drawn with :func:`selectable` is a Streamlit selection widget (``on_select="rerun"``, points): a click
on a grid's marker reruns the page with the click in ``st.session_state[chart_key]``. Every marker that
stands for a grid (the grid itself, a station on it, an incident on it) carries the grid's code as its
``customdata``, so the pick is a code, never a screen position. :func:`picked` returns a click once — the
page then puts the code into its grid field *before* drawing that field (a widget's state can only be
set before the widget is created in a run).
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

APPLIED = "cfg.grid_pick."
"""Plain key (per chart) of the last click already applied: the selection stays in the chart's state on
later reruns, and a field the planner has since changed by hand must not be overwritten by an old click."""


def selectable(fig: Any, key: str) -> Any:
    """Draw ``fig`` as a map whose grids can be picked by a click."""
    return st.plotly_chart(fig, key=key, width="stretch", on_select="rerun", selection_mode="points")


def picked(chart_key: str, grids: set[str] | list[str] | tuple[str, ...]) -> str | None:
    """The grid code of a new click on the map under ``chart_key`` (one of ``grids``), else None."""
    ss = st.session_state
    event = ss.get(chart_key) or {}
    points = list((event.get("selection") or {}).get("points") or [])
    codes = [_code(p) for p in points]
    codes = [c for c in codes if c in grids]
    if not codes:
        return None
    signature = json.dumps(points, sort_keys=True, default=str)
    if ss.get(APPLIED + chart_key) == signature:
        return None
    ss[APPLIED + chart_key] = signature
    return codes[0]


def _code(point: dict) -> str | None:
    data = point.get("customdata")
    if isinstance(data, list):  # a 2-D customdata: the code first
        data = data[0] if data else None
    return data if isinstance(data, str) else None


def fill(field_key: str, chart_key: str, grids: set[str] | list[str] | tuple[str, ...]) -> str | None:
    """Put a new pick on ``chart_key`` into the grid field ``field_key`` (call before the field is drawn);
    the picked code, or None."""
    code = picked(chart_key, grids)
    if code is not None:
        st.session_state[field_key] = code
    return code


def set_override(knob: Any, value: Any) -> None:
    """Make ``value`` the value of the scenario page's field ``knob`` from another page: the kept value
    (the field shows it when its page comes back) and the ``--set`` override every page runs with — the
    same override the scenario page itself would write."""
    from dashboards import state

    ss = st.session_state
    state.remember(knob.key, value)
    ss.pop(knob.key, None)  # a stale widget state of the scenario page would win over the kept value
    prefix = f"{knob.path}="
    sets = [s for s in ss.get(state.CFG_SETS, []) if not s.startswith(prefix)]
    over = knob.override(value)
    ss[state.CFG_SETS] = sets + ([over] if over is not None else [])
