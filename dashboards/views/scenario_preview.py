"""The scenario page's quick check (快速检查): a few replications of the edited scenario and its key figures, each
with its condition (a mean over the replications where the fire was held says so)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import numbers, state, table
from dashboards.i18n import minutes, t
from simulation.experiments import summarize

KEY_METRICS = (
    "t_detect",
    "t_notify_lead",
    "t_first_arrival",
    "t_control",
    "t_close",
    "handoff_gap_total",
    "ownerless_time",
)


def lang_zh() -> bool:
    from dashboards.i18n import current

    return current().startswith("zh")


def render(choice: state.ScenarioChoice) -> None:
    """A quick check of the (edited) scenario: a few replications, the key figures with their conditions."""
    st.subheader(t("scenario.preview"))
    c1, c2, c3 = st.columns([1, 1, 1])
    n, seed = state.replications_and_seed(c1, c2, "scenario.preview_n", "scenario.preview_seed",
                                          t("scenario.preview_n"), 30)
    clicked = c3.button(t("scenario.preview_run"), key="scenario.preview_run", type="primary")
    args = (choice.hash, None, n, seed, choice.sets, choice.path, choice.district)
    if clicked:
        st.session_state["cfg.preview"] = args
    if st.session_state.get("cfg.preview") != args:
        st.caption(t("scenario.preview_hint"))
        return
    with st.spinner(t("common.running")):
        res = state.cached_run(*args)
    m = res.summary["metrics"]
    total = res.replications.num_rows
    names = ("t_first_arrival", "t_control", "t_close", "handoff_gap_total")
    cards = st.columns(len(names) + 1)
    for i, name in enumerate(names):
        cards[i].metric(t(f"metric.{name}"), f"{minutes(m[name]['mean'])} {t('common.min')}")
        cond = numbers.condition(name, m[name]["n"], total)
        if cond:
            cards[i].caption(cond)
    held = [0.0 if v is None else 1.0 for v in res.replications.column("t_control").to_pylist()]
    share = summarize(held)
    cards[-1].metric(numbers.name("controlled"), numbers.value("controlled", share["mean"]))
    cards[-1].caption(t("compare.ci", lo=numbers.value("controlled", share["ci95"][0]),
                        hi=numbers.value("controlled", share["ci95"][1])))
    rows = []
    for name in KEY_METRICS:
        s = m.get(name)
        if s is None or s["mean"] is None:
            continue
        ci = s["ci95"]
        cond = numbers.condition(name, s["n"], total)
        rows.append({t("common.metric"): t(f"metric.{name}") + (f"（{cond}）" if cond and lang_zh() else
                                                               f" ({cond})" if cond else ""),
                     t("common.mean_min"): round(s["mean"] / 60, 2),
                     t("common.p90_min"): round(s["p90"] / 60, 2),
                     t("common.ci95_min"): "—" if ci is None else f"{ci[0] / 60:.2f} – {ci[1] / 60:.2f}"})
    table.show(pd.DataFrame(rows), "scenario.preview_table", hide_index=True)
