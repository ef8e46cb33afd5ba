"""Sweep explorer (参数扫描浏览): one sweep folder made by ``linkage sweep`` — its manifest, the points with
their factor values, each point's mean and 95 % interval of a metric against a factor, the failed points,
and the design's own analysis from :mod:`simulation.experiments.analysis` (Sobol' indices, tornado, Spearman; PRIM
for a target the planner types). Tables download as CSV.

Reads only: nothing is written into the sweep folder (``linkage analyze`` writes its files there; this
page composes the same functions in memory). Loads are cached by the folder and a signature of its
files, so a sweep that is still running shows new points on the next rerun.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from dashboards import state, table
from dashboards.i18n import label, t
from dashboards.views import sweep_tables
from dashboards.views.compare import is_time, metric_select
from dashboards.views.sweep_charts import analysis_chart, means_chart
from dashboards.views.sweep_data import (
    MANIFEST,
    design_analysis,
    factor_frame,
    find_sweeps,
    load,
    metrics_of,
    point_stats,
    signature,
)
from scenarios.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_FOLDER = "out"  # where docs/sweeps.md puts its sweeps (--out out/staffing), relative to the working folder
COMMAND = "linkage sweep SCENARIO --vary PATH=SPEC --out {folder}/NAME"


# -- page sections --------------------------------------------------------------------------------------------


def choose_folder() -> Path | None:
    """The sweep folder typed (or picked among those found under it); an inline message when there is none."""
    state.restore("sweep.folder", DEFAULT_FOLDER)
    typed = st.text_input(
        t("sweep.folder"), key="sweep.folder", help=t("sweep.folder_help", command="linkage sweep --out")
    ).strip()
    state.remember("sweep.folder", typed)
    root = Path(typed or ".").expanduser()
    if not root.exists():
        if typed == DEFAULT_FOLDER:
            st.info(t("sweep.none_yet", folder=typed, command=COMMAND.format(folder=typed)))
        else:
            st.error(t("sweep.missing", folder=typed), icon=":material/block:")
        return None
    if not root.is_dir():
        st.error(t("sweep.not_folder", folder=typed), icon=":material/block:")
        return None
    if (root / MANIFEST).is_file():
        return root
    found = [p.relative_to(root).as_posix() for p in find_sweeps(root)]
    if not found:
        st.error(t("sweep.not_sweep", folder=typed, file=MANIFEST), icon=":material/block:")
        return None
    pick = state.remembered_select("sweep.pick", t("sweep.pick"), found, found[0],
                                   help=t("sweep.pick_help", n=len(found)))
    return root / pick


def show_manifest(m: dict, stats: pd.DataFrame) -> None:
    import pandas as pd

    st.subheader(t("sweep.manifest"))
    design = label("design", m["design"]) + (
        f" · {t('sweep.field.samples')} {m['samples']}" if m.get("samples") else ""
    )
    rows = [("sweep", m["sweep"]), ("scenario", m.get("scenario", "")), ("scenario_hash", m.get("scenario_hash", "")),
            ("design", design)]
    rows += [(("factor", i + 1), expr) for i, expr in enumerate(m["factors"])]
    rows += [("seed", str(m["seed"])), ("common_seeds", t("common.yes") if m.get("common_seeds") else t("common.no")),
             ("replications", str(m["replications"])), ("points", str(len(m["points"]))),
             ("version", str(m.get("version", ""))), ("created", str(m.get("created", "")))]
    names = [t("sweep.field.factor", i=k[1]) if isinstance(k, tuple) else t(f"sweep.field.{k}") for k, _ in rows]
    st.dataframe(pd.DataFrame({t("sweep.field_col"): names, t("sweep.value_col"): [str(v) for _, v in rows]}),
                 hide_index=True, key="sweep.manifest", width="stretch")
    counts = stats["status"].value_counts()
    st.caption(
        t(
            "sweep.progress",
            done=int(counts.get("done", 0)),
            total=len(stats),
            failed=int(counts.get("failed", 0)),
            waiting=int(counts.get("pending", 0) + counts.get("partial", 0)),
        )
    )


def show_points(stats: pd.DataFrame, factors: list[str], metric: str | None, scale: float) -> None:

    st.subheader(t("sweep.points"))
    st.caption(t("sweep.points_help"))

    view = sweep_tables.points(stats, factors, metric, scale)
    table.show(view, "sweep.points", hide_index=True, width="stretch")
    st.download_button(t("sweep.download_points"), sweep_tables.csv(view), file_name="points.csv", mime="text/csv",
                       key="sweep.download_points", help=t("sweep.csv_help"))


def show_chart(stats: pd.DataFrame, manifest: dict, factors: list[str], metric: str, scale: float) -> None:
    c1, c2 = st.columns(2)
    x = state.remembered_select("sweep.x", t("sweep.x"), factors, factors[0], widget=c1.selectbox)
    colours = (
        [""]
        + [f for f in factors if f != x]
        + (["arrangement"] if "arrangement" in stats and "arrangement" not in factors else [])
    )
    names = {
        c: t("sweep.colour_none") if not c else t("sweep.colour_arrangement") if c == "arrangement" else c
        for c in colours
    }
    colour = state.remembered_select("sweep.colour", t("sweep.colour"), colours,
                                     next((f for f in factors if f != x), ""), names.__getitem__, widget=c2.selectbox)
    if stats["mean"].notna().sum() == 0:
        st.info(t("sweep.no_values", metric=label("metric", metric)))
        return
    fig = means_chart(stats, x, colour or None, metric, scale, lines=manifest["design"] == "grid")
    st.plotly_chart(fig, key="sweep.chart", width="stretch")


def show_failed(errors: list[dict], factors: list[str]) -> None:

    st.subheader(t("sweep.failed"))
    if not errors:
        st.caption(t("sweep.failed_none"))
        return
    view = sweep_tables.failed(errors, factors)
    table.show(view, "sweep.failed", hide_index=True, width="stretch")
    with st.expander(t("sweep.failed_lines", n=len(errors))):
        st.code("\n".join(f"point={e['point']}: {e['error']}" for e in errors), language=None)
    st.download_button(t("sweep.download_failed"), sweep_tables.csv(view), file_name="failed_points.csv",
                       mime="text/csv", key="sweep.download_failed")




def show_analysis(manifest: dict, stats: pd.DataFrame, metric: str, scale: float) -> None:
    st.subheader(t("sweep.analysis"))
    y = stats["mean"].to_numpy(dtype=float)
    kind, found, problem = design_analysis(manifest, y)
    if np.isnan(y).any():
        st.caption(t("sweep.left_out", n=int(np.isnan(y).sum())))
    if problem:
        st.warning(t(problem, n=int(np.isnan(y).sum())), icon=":material/warning:")
    elif found is not None and not found.empty:
        st.caption(t(f"sweep.{kind}_help"))
        st.plotly_chart(analysis_chart(kind, found, metric, scale), key="sweep.analysis_chart", width="stretch")
        view = sweep_tables.analysis(kind, found, scale)
        table.show(view, "sweep.analysis_table", hide_index=True, width="stretch")
        st.download_button(t("sweep.download_analysis"), sweep_tables.csv(view), file_name=f"{kind}_{metric}.csv",
                           mime="text/csv", key="sweep.download_analysis")
    else:
        st.info(t("sweep.no_numeric"))
    show_prim(manifest, y, metric, scale)


def prim_rule(boxes: pd.DataFrame, box: int) -> str:
    """A box as a rule in the chosen language (``Box.rule`` joins with an English "and")."""
    import pandas as pd

    parts = []
    for r in boxes[boxes["box"] == box].itertuples():
        if r.values is not None and isinstance(r.values, str):
            parts.append(f"{r.factor} ∈ {{{r.values}}}")
        elif pd.isna(r.low):
            parts.append(f"{r.factor} ≤ {r.high:g}")
        elif pd.isna(r.high):
            parts.append(f"{r.factor} ≥ {r.low:g}")
        else:
            parts.append(f"{r.low:g} ≤ {r.factor} ≤ {r.high:g}")
    return t("sweep.and").join(parts) or t("sweep.everywhere")


def show_prim(manifest: dict, y: np.ndarray, metric: str, scale: float) -> None:
    import pandas as pd

    from simulation.experiments import misses, parse_factors, parse_target, prim

    st.markdown(f"**{t('sweep.prim_title')}**")
    state.restore("sweep.target", "")
    text = st.text_input(t("sweep.target"), key="sweep.target", placeholder="<= 8", help=t("sweep.target_help")).strip()
    state.remember("sweep.target", text)
    if not text:
        return
    try:
        op, value = parse_target(text)
    except InputError:
        st.error(t("sweep.bad_target", text=text), icon=":material/block:")
        return
    ok = ~np.isnan(y)
    miss = misses(y[ok], (op, value * scale))  # typed in the shown unit (minutes for times), compared in the stored one
    st.caption(
        t(
            "sweep.target_misses",
            miss=int(miss.sum()),
            n=int(ok.sum()),
            metric=label("metric", metric),
            op=op,
            value=f"{value:g}",
        )
    )
    if not miss.any() or miss.all():
        st.info(t("sweep.prim_all" if miss.any() else "sweep.prim_none"))
        return
    factors = parse_factors(manifest["factors"])
    res = prim(factor_frame([p["values"] for p in manifest["points"]], factors)[ok], miss)
    if res.summary.empty:  # fewer than two misses: PRIM does not draw a box around a single point
        st.info(t("sweep.prim_no_box"))
        return
    summary = res.summary.assign(rule=[prim_rule(res.boxes, b) for b in res.summary["box"]])
    view = pd.DataFrame(
        {
            t("sweep.col_box"): summary["box"],
            t("sweep.col_rule"): summary["rule"],
            t("sweep.col_coverage"): summary["coverage"].round(3),
            t("sweep.col_density"): summary["density"].round(3),
            t("sweep.col_mass"): summary["mass"].round(3),
            t("sweep.col_points"): summary["points"],
        }
    )
    st.caption(t("sweep.prim_help"))
    table.show(view, "sweep.prim", hide_index=True, width="stretch")
    st.download_button(t("sweep.download_prim"), sweep_tables.csv(sweep_tables.prim_boxes(res.boxes, res.summary)),
                       file_name=f"prim_{metric}.csv", mime="text/csv", key="sweep.download_prim")


def render() -> None:
    st.title(t("sweep.title"))
    st.caption(t("sweep.intro"))
    folder = choose_folder()
    if folder is None:
        return
    try:
        manifest, df, errors = load(str(folder), signature(folder))
    except (InputError, OSError, ValueError, KeyError, TypeError) as e:  # a damaged folder: say so, in one place
        st.error(t("sweep.unreadable", folder=str(folder)), icon=":material/block:")
        st.code(
            "\n".join(state.problem_lines(e)) if isinstance(e, InputError) else f"{type(e).__name__}: {e}",
            language=None,
        )
        return
    factors = [s["path"] for s in manifest["factor_specs"]]
    metrics = metrics_of(df, factors)
    metric = None
    if metrics:
        metric = metric_select("sweep.metric", metrics, "t_first_arrival")
    scale = 60.0 if metric and is_time(metric) else 1.0
    stats = point_stats(manifest, df, metric, errors)
    show_manifest(manifest, stats)
    if metric is None:
        st.info(t("sweep.no_results"))
    else:
        show_chart(stats, manifest, factors, metric, scale)
    show_points(stats, factors, metric, scale)
    show_failed(errors, factors)
    if metric is not None:
        show_analysis(manifest, stats, metric, scale)


if __name__ == "__main__":
    render()
