"""Hidden-hazard loop page (隐患闭环): where each arrangement's loop loses hazards, with common random numbers.

Runs ``simulation.experiments.compare_loop`` for 1–4 arrangements (the same hazards, the same channel luck in
every arm) and shows the outcomes side by side, the per-stage leak chart (where every hazard that arose is at
the horizon, per arrangement), what each channel found, and the found-to-closed times. Heavy work stays in
``simulation/``; this module only lays it out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import state, table
from dashboards.i18n import t
from scenarios.loader import bundled_arrangements

DEFAULT_ARMS = ["integrated_grid", "parallel_grids", "ambiguous"]
SHOWN = ("found", "closed", "rectified_share", "found_to_closed_mean", "found_to_closed_p90", "duplicate_visits",
         "bounced_orders", "dropped_orders", "inspector_days", "wasted_inspector_days", "legal_documents",
         "relapses")
RESULT = "loop.result"


@st.cache_data(max_entries=8, show_spinner=False)
def _run(arms: tuple[str, ...], grids: int, days: float, n: int, seed: int, follow_up: bool) -> dict[str, Any]:
    """The comparison as plain tables (cached per inputs: same inputs, same figures)."""
    from scenarios.defect_loop import DefectLoopSpec
    from scenarios.loader import load_arrangement
    from simulation.experiments import compare_loop, loop_tables

    spec = DefectLoopSpec(grids=grids, days=days, follow_up=follow_up)
    cmp = compare_loop(spec, [(a, load_arrangement(a)) for a in arms], n, seed)
    return {k: pd.DataFrame(v) for k, v in loop_tables(cmp).items()}


def _fmt(metric: str, v: float) -> str:
    if metric == "rectified_share":
        return f"{v:.2%}"
    return f"{v:,.1f}" if metric.startswith("found_to_closed") else f"{v:,.0f}"


def _titles(arms: list[str]) -> dict[str, str]:
    """Each arrangement by its title in the page's language."""
    from dashboards.views.arrangements import arrangement_title, cached_arrangement

    return {a: arrangement_title(cached_arrangement(a)) for a in arms}


def _outcomes(tables: dict[str, pd.DataFrame], arms: list[str]) -> pd.DataFrame:
    means = tables["loop"].groupby("arrangement")[list(SHOWN)].mean()
    rows = {t(f"loop.metric.{m}"): [_fmt(m, means.loc[a, m]) for a in arms] for m in SHOWN}
    titles = _titles(arms)
    return pd.DataFrame(rows, index=[titles[a] for a in arms]).T


def leak_chart(stages: pd.DataFrame, arms: list[str]) -> Any:
    """Stacked bars: hazards per stage at the horizon, one bar per arrangement (the loop's leaks, in order)."""
    import plotly.graph_objects as go

    from simulation.experiments import LEAK_STAGES

    mean = stages.groupby(["arrangement", "stage"])["hazards"].mean()
    titles = _titles(arms)
    fig = go.Figure()
    for stage, _ in LEAK_STAGES:
        fig.add_bar(name=t(f"loop.stage.{stage}"), y=[titles[a] for a in arms],
                    x=[float(mean.get((a, stage), 0.0)) for a in arms], orientation="h")
    fig.update_layout(barmode="stack", title=t("loop.leak_title"), xaxis_title=t("loop.hazards"),
                      legend={"orientation": "h", "y": -0.45}, height=260 + 40 * len(arms),
                      yaxis={"autorange": "reversed"})  # the baseline on top, as chosen
    return fig


def _found(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    f = tables["loop_found"].groupby(["arrangement", "channel"])[["found", "closed"]].mean().reset_index()
    f["channel"] = [t(f"loop.channel.{c}") for c in f["channel"]]
    titles = _titles(sorted(set(f["arrangement"])))
    f["arrangement"] = [titles[a] for a in f["arrangement"]]
    return f.rename(columns={"arrangement": t("loop.arrangement"), "channel": t("loop.channel_col"),
                             "found": t("loop.metric.found"), "closed": t("loop.metric.closed")})


def render() -> None:
    st.title(t("loop.title"))
    st.caption(t("loop.intro"))
    names = [p.stem for p in bundled_arrangements()]
    arms = state.remembered_select("loop.arrangements", t("loop.arrangements"), names, DEFAULT_ARMS,
                                   _titles(names).__getitem__, widget=st.multiselect, max_selections=4)
    c1, c2, c3, c4 = st.columns(4)
    grids = c1.number_input(t("loop.grids"), 10, 20_000, 1240, step=10, key="loop.grids")
    days = c2.number_input(t("loop.days"), 5, 730, 365, step=5, key="loop.days")
    n = c3.number_input(t("loop.n"), 1, 20, 1, key="loop.n")
    seed = c4.number_input(t("common.seed"), 0, 2**31 - 1, 0, key="loop.seed")
    follow_up = st.checkbox(t("loop.follow_up"), value=True, key="loop.follow_up")
    if st.button(t("loop.run"), key="loop.run", type="primary"):
        if not 1 <= len(arms) <= 4:
            st.error(t("loop.pick_arms"))
            return
        with st.spinner(t("common.running")):
            st.session_state[RESULT] = (list(arms), _run(tuple(arms), int(grids), float(days), int(n), int(seed),
                                                         bool(follow_up)))
    if RESULT not in st.session_state:
        st.info(t("loop.press_run"))
        return
    shown_arms, tables = st.session_state[RESULT]
    st.subheader(t("loop.outcomes"))
    table.show(_outcomes(tables, shown_arms), "loop.outcomes", height=36 * (len(SHOWN) + 1) + 4)
    st.plotly_chart(leak_chart(tables["loop_stages"], shown_arms), key="loop.leak_chart", width="stretch")
    st.subheader(t("loop.by_channel"))
    table.show(_found(tables), "loop.found", hide_index=True)


if __name__ == "__main__":
    render()
