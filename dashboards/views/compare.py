"""Compare page (对比): N replications of 2–4 arrangements — which is better, by how much, how sure, why.

Runs ``simulation.experiments.compare`` (common random numbers, paired differences, Holm-adjusted p) and
shows its tables: metric cards with the paired difference and its 95 % CI, distributions, the hand-off
gap attribution by agency pair and stage, one representative replication as a timeline, the
coordination graph with the slowest notification path, and the map. Exports Parquet/CSV and a one-page
HTML report.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import streamlit as st

from dashboards import briefing, charts, explain, export, numbers, report, state, table
from dashboards.i18n import agency_names, current, label, t
from scenarios.errors import InputError
from simulation.experiments import (
    HIGHER_IS_BETTER,
    attribution_difference,
    desk_holds,
    is_duration,
    outcome_rows,
    start_difference,
)

CARD_METRICS = briefing.CARDS
CARDS_PER_ROW = 4
TABLES = ("comparison", "attribution", "replications", "incidents", "handoffs", "tasks")
DEFAULT_ARMS = ("sectoral_lead", "unified_command")


def is_time(metric: str) -> bool:
    return is_duration(metric)


def metric_select(key: str, metrics: list[str], preferred: str) -> str:
    """Choose one of ``metrics`` (named in the page's language) under ``key``; ``preferred`` first when offered."""
    return state.remembered_select(key, t("common.metric"), metrics, preferred if preferred in metrics else metrics[0],
                                   {m: label("metric", m) for m in metrics}.__getitem__)


def fmt(metric: str, v: Any, signed: bool = False) -> str:
    """Minutes for a duration, a percentage (points when ``signed``) for a share (:mod:`dashboards.numbers`)."""
    return numbers.diff(metric, v) if signed else numbers.value(metric, v)


@st.cache_resource(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def _world(path: str, arrangement: str, sets: tuple[str, ...], district: str | None = None) -> Any:
    from simulation.experiments import prepare

    return prepare(path, arrangement, sets, district=district)[1]


def _arm_labels(refs: dict[str, str], arms: list[str]) -> dict[str, str]:
    from dashboards.views.arrangements import arrangement_title, cached_arrangement

    return {a: arrangement_title(cached_arrangement(refs[a])) for a in arms}


def _controls(refs: dict[str, str]) -> tuple[list[str], int, int, bool]:
    names = list(refs)
    default = [a for a in DEFAULT_ARMS if a in names] or names[:2]
    labels = _arm_labels(refs, names)
    arms = state.remembered_select("compare.arrangements", t("compare.arrangements"), names, default,
                                   labels.__getitem__, widget=st.multiselect, max_selections=4,
                                   help=t("compare.arrangements_help"))
    c1, c2, c3 = st.columns([1, 1, 1])
    n, seed = state.replications_and_seed(c1, c2, "compare.n", "compare.seed", t("compare.n"), 50, max_n=5000,
                                          n_help=t("compare.n_help"))
    c3.markdown("&nbsp;")
    clicked = c3.button(t("compare.run"), key="compare.run", type="primary", width="stretch")
    return arms, n, seed, clicked




def _run(args: tuple, total: int, stats: dict) -> Any:
    bar = st.progress(0.0, text=t("compare.progress", done=0, total=total))

    def show(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0), text=t("compare.progress", done=done, total=total))

    try:
        return state.compare_with_progress(args, total, show, stats=stats)
    finally:
        bar.empty()


def _cards(result: Any, labels: dict[str, str], scenario: Any) -> None:
    """Per arrangement: the cards (mean, difference, CI, verdict, condition and n), the generated paragraph
    that explains the verdicts; then the table of every metric."""
    names = agency_names(scenario)
    inc = scenario.primary_incident()
    acting = {tk.id for tk in scenario.incident_types[inc.type].tasks if tk.intervention} if inc else set()
    base = result.baseline
    every = result.comparison.to_pylist() + outcome_rows(result.runs, base, inc.id if inc else None)
    st.markdown(t("compare.baseline_is", name=labels.get(base, base)))
    for arm in [a for a in result.runs if a != base]:
        st.markdown(f"**{labels.get(arm, arm)}** {t('compare.vs')} **{labels.get(base, base)}**")
        rows = [r for r in every if r["arrangement"] == arm]
        by = {r["metric"]: r for r in rows}
        metrics = [m for m in CARD_METRICS if m in by]
        for start in range(0, len(metrics), CARDS_PER_ROW):
            cols = st.columns(CARDS_PER_ROW)
            for col, m in zip(cols, metrics[start:start + CARDS_PER_ROW]):
                _card(col, m, by[m], result.replications)
        diffs = attribution_difference(result.attribution, base, arm)
        starts = start_difference(result.runs, base, arm, inc.id if inc else None)
        holds = desk_holds(result.runs, base, arm, inc.id if inc else None)
        st.markdown(explain.paragraph(rows, diffs, names, labels.get(base, base), labels.get(arm, arm),
                                      result.replications, starts, acting, holds=holds))
    st.caption(t("compare.table_help"))
    table.show(_table(every, labels, result.replications), "compare.table", hide_index=True, width="stretch")


def _card(col: Any, m: str, row: dict, total: int) -> None:
    p = row["p_adjusted"]
    col.metric(numbers.name(m), fmt(m, row["mean_arrangement"]), delta=fmt(m, row["diff_mean"], True),
               delta_color="normal" if m in HIGHER_IS_BETTER else "inverse",
               help=t("compare.card_help", lo=fmt(m, row["ci_low"], True), hi=fmt(m, row["ci_high"], True),
                      p="—" if numbers.missing(p) else f"{p:.3g}", verdict=label("verdict", row["verdict"])))
    cond = numbers.condition(m, int(row["n"]), total, both=True)
    col.caption(t("compare.ci", lo=fmt(m, row["ci_low"], True), hi=fmt(m, row["ci_high"], True)) + " · "
                + label("verdict", row["verdict"]) + (f" · {cond}" if cond else ""))


def _table(rows: list[dict], labels: dict[str, str], total: int) -> pd.DataFrame:
    def ci(r: dict, lo: str, hi: str) -> str:
        return f"[{fmt(r['metric'], r[lo], True)}, {fmt(r['metric'], r[hi], True)}]"

    return pd.DataFrame({
        t("common.metric"): [numbers.name(r["metric"]) for r in rows],
        t("compare.col_arm"): [labels.get(r["arrangement"], r["arrangement"]) for r in rows],
        t("compare.col_base"): [fmt(r["metric"], r["mean_baseline"]) for r in rows],
        t("compare.col_mean"): [fmt(r["metric"], r["mean_arrangement"]) for r in rows],
        t("compare.col_diff"): [fmt(r["metric"], r["diff_mean"], True) for r in rows],
        t("compare.col_ci"): [ci(r, "ci_low", "ci_high") for r in rows],
        t("compare.col_ci_unpaired"): [ci(r, "ci_low_unpaired", "ci_high_unpaired") for r in rows],
        t("compare.col_p"): ["—" if numbers.missing(r["p_adjusted"]) else f"{r['p_adjusted']:.3g}" for r in rows],
        t("compare.col_verdict"): [label("verdict", r["verdict"]) for r in rows],
        t("compare.col_n"): [" · ".join(x for x in (str(r["n"]), numbers.condition(
            r["metric"], int(r["n"]), total, both=True)) if x) for r in rows],
    })


def _explain(result: Any, labels: dict[str, str], choice: state.ScenarioChoice, refs: dict[str, str]) -> None:
    arms = list(result.runs)
    focus = state.remembered_select(
        "compare.focus", t("compare.focus"), arms, arms[-1], {a: labels.get(a, a) for a in arms}.__getitem__
    )
    world = _world(choice.path, refs[focus], choice.sets, choice.district)
    names = agency_names(world.scenario)
    tabs = st.tabs([t(f"compare.tab.{k}") for k in ("dist", "heat", "gantt", "graph", "map")])
    with tabs[0]:
        reps = result.table("replications").to_pandas()
        metrics = [m for m in result.comparison.column("metric").to_pylist()]
        metrics = list(dict.fromkeys(metrics)) or ["t_close"]
        m = metric_select("compare.metric", metrics, "t_close")
        st.plotly_chart(charts.distribution(reps, m, labels), key="compare.dist", width="stretch")
    with tabs[1]:
        _heat(result, focus, labels, names)
    with tabs[2]:
        r = briefing.representative(result)
        tasks = result.runs[focus].tasks.to_pandas()
        tasks = tasks[tasks["replication"] == r]
        st.caption(t("compare.gantt_help", r=r))
        st.plotly_chart(charts.gantt(tasks, names), key="compare.gantt", width="stretch")
    with tabs[3]:
        rows = (result.structure.get(focus) or {}).get("notification", [])
        path, lat, row = charts.slowest_notification(world, rows)
        if row is not None:
            st.caption(t("compare.graph_help", src=names.get(row["receiver"], row["receiver"]),
                         dst=names.get(row["target"], row["target"]), hops=row["hops"], minutes=fmt("t_", lat)))
        st.plotly_chart(charts.coordination_graph(world, names, path), key="compare.graph", width="stretch")
    with tabs[4]:
        reps_focus = result.runs[focus].replications.to_pandas()
        units = {}
        for u in world.scenario.units:
            units.setdefault(u.station, []).append(f"{label('unit_kind', u.kind)} ×{u.count}")
        st.plotly_chart(
            charts.city_map(
                world, names, charts.hazard_footprint(world, reps_focus), {k: "<br>".join(v) for k, v in units.items()}
            ),
            key="compare.map",
            width="stretch",
        )


def _heat(result: Any, focus: str, labels: dict[str, str], names: dict[str, str]) -> None:
    """The focus arrangement's hand-off gaps, or their difference from the baseline (a diverging map)."""
    base = result.baseline
    modes = ["arm", "diff"] if focus != base else ["arm"]
    words = {m: t(f"compare.heat_mode_{m}") for m in modes}
    mode = st.radio(t("compare.heat_mode"), modes, format_func=words.__getitem__, horizontal=True,
                    key="compare.heat_mode", index=len(modes) - 1)
    if mode == "diff":
        diffs = pd.DataFrame(attribution_difference(result.attribution, base, focus))
        if diffs.empty:
            st.info(t("compare.no_handoffs"))
            return
        title = t("compare.heat_diff_title", arm=labels.get(focus, focus), base=labels.get(base, base))
        st.plotly_chart(charts.handoff_heatmap(diffs.rename(columns={"diff": "seconds_mean"}), names, title=title,
                                               diverging=True), key="compare.heat", width="stretch")
        return
    attr = result.attribution.to_pandas()
    attr = attr[attr["arrangement"] == focus]
    if attr.empty:
        st.info(t("compare.no_handoffs"))
    else:
        st.caption(t("compare.heat_help"))
        st.plotly_chart(charts.handoff_heatmap(attr, names), key="compare.heat", width="stretch")


def _table_bytes(tbl: pa.Table, kind: str = "parquet") -> bytes:
    """The machine contract (ids, seconds); the CSV is the person's (:mod:`dashboards.export`)."""
    buf = io.BytesIO()
    pq.write_table(tbl, buf)
    return buf.getvalue()


def _export(result: Any, labels: dict[str, str], choice: state.ScenarioChoice, refs: dict[str, str]) -> None:
    st.subheader(t("compare.export"))
    name = state.remembered_select(
        "compare.export_table",
        t("compare.export_table"),
        TABLES,
        "comparison",
        {v: t(f"table.{v}") for v in TABLES}.__getitem__,
    )
    tbl = getattr(result, name) if name in ("comparison", "attribution") else result.table(name)
    c1, c2, c3 = st.columns(3)
    c1.download_button(t("compare.download_parquet"), _table_bytes(tbl, "parquet"), file_name=f"{name}.parquet",
                       mime="application/vnd.apache.parquet", key="compare.download_parquet")
    world = _world(choice.path, refs[result.baseline], choice.sets, choice.district)
    csv = export.csv_bytes(tbl, current(), agency_names(world.scenario), labels)
    c2.download_button(t("compare.download_csv"), csv,
                       file_name=f"{name}.csv", mime="text/csv", key="compare.download_csv",
                       help=t("compare.csv_help"))
    fmt = state.remembered_select("compare.report_format", t("compare.report_format"), list(REPORT_FORMATS), "pdf",
                                  {f: t(f"compare.report_{f}") for f in REPORT_FORMATS}.__getitem__,
                                  widget=c3.selectbox)  # relabelled when the language changes
    blob = _briefing(st.session_state.get(state.CFG_RESULT), current(), fmt, labels, choice.display, choice.sets,
                     result, choice.scenario)
    c3.download_button(t("compare.download_report"), blob, file_name=f"linkage-briefing.{fmt}",
                       mime=REPORT_FORMATS[fmt], key="compare.download_report", help=t("compare.report_help"))


REPORT_FORMATS = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument."
                  "wordprocessingml.document", "html": "text/html"}


@st.cache_data(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def _briefing(key: tuple, lang: str, fmt: str, labels: dict[str, str], display: str, sets: tuple[str, ...],
              _result: Any, _sc: Any) -> bytes:
    """The two-page briefing in one format, cached per comparison (``key``), language and format."""
    if fmt == "pdf":
        return report.render_pdf(_result, labels, _sc, display, sets, lang)
    if fmt == "docx":
        from dashboards.report_docx import render_docx

        return render_docx(_result, labels, _sc, display, sets, lang)
    return report.render(_result, labels, _sc, display, sets, lang).encode("utf-8")


def render() -> None:
    choice = state.scenario_page("compare")
    if choice is None:
        return
    st.markdown(t("compare.scenario_is", name=label("scenario_name", choice.display), n=len(choice.sets)))
    refs = state.arrangements()
    arms, n, seed, clicked = _controls(refs)
    args = (choice.hash, tuple((a, refs[a]) for a in arms), n, seed, choice.sets, choice.path, choice.district)
    if clicked:
        if not 2 <= len(arms) <= 4:
            st.error(t("compare.need_arms"), icon=":material/block:")
            return
        st.session_state[state.CFG_RESULT] = args
    if st.session_state.get(state.CFG_RESULT) != args:
        st.info(t("compare.press_run"))
        return
    t0, stats = time.perf_counter(), {}
    try:
        result = _run(args, n * len(arms), stats)
    except InputError as e:
        st.error(t("compare.failed"), icon=":material/block:")
        st.code("\n".join(state.problem_lines(e)), language=None)
        return
    labels = _arm_labels(refs, arms)
    shown = time.perf_counter() - t0  # what the planner waited, measured here — not the engine's own clock
    cached = stats.get("cached", False)
    first_computed = st.session_state.setdefault("compare.first_computed", {})
    if not cached:
        first_computed[hash(args)] = shown
    first = first_computed.get(hash(args))
    key = "compare.done_cached" if cached else "compare.done"
    st.success(t(key, arms=len(arms), n=n, seed=seed, seconds=f"{shown:.1f}",
                 first="—" if first is None else f"{first:.1f}"),
               icon=":material/check_circle:")
    world = _world(choice.path, refs[result.baseline], choice.sets, choice.district)
    _cards(result, labels, world.scenario)
    _explain(result, labels, choice, refs)
    _export(result, labels, choice, refs)


if __name__ == "__main__":
    render()
