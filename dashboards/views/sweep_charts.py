"""Figures of the sweep explorer (扫描图表): per-point means against a factor, and the design's analysis
(Sobol' indices, tornado, Spearman) — Plotly, imported when a figure is drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboards.charts import PALETTE, _layout
from dashboards.i18n import label, t

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go


# -- figures --------------------------------------------------------------------------------------------------


def means_chart(table: pd.DataFrame, x: str, colour: str | None, metric: str, scale: float, lines: bool) -> go.Figure:
    """Per-point means with 95 % error bars against factor ``x``; one trace per value of ``colour``."""
    import plotly.graph_objects as go

    fig = go.Figure()
    have = table[table["mean"].notna()]
    groups = (
        [(label("metric", metric), have)] if not colour else [(str(k), g) for k, g in have.groupby(colour, sort=True)]
    )
    for i, (name, g) in enumerate(groups):
        g = g.sort_values([x, "point"])
        mean = g["mean"].to_numpy(float) / scale
        lo, hi = g["ci_low"].to_numpy(float) / scale, g["ci_high"].to_numpy(float) / scale
        hover = [f"{t('sweep.col_point')} {k} · {t('sweep.col_n')} {n}" for k, n in zip(g["point"], g["replications"])]
        fig.add_trace(
            go.Scatter(
                x=g[x].tolist(),
                y=mean.tolist(),
                name=name,
                mode="lines+markers" if lines else "markers",
                error_y=dict(type="data", symmetric=False, array=(hi - mean).tolist(), arrayminus=(mean - lo).tolist()),
                marker=dict(color=PALETTE[i % len(PALETTE)], size=9),
                hovertext=hover,
            )
        )
    unit = t("common.min") if scale == 60 else None
    what = label("metric", metric)
    fig.update_xaxes(title=x)
    fig.update_yaxes(title=t("common.with_unit", what=what, unit=unit) if unit else what)
    fig.update_layout(legend_title_text=colour or "")
    return _layout(fig, t("sweep.chart_title", metric=what))


def analysis_chart(kind: str, table: pd.DataFrame, metric: str, scale: float) -> go.Figure:
    import plotly.graph_objects as go

    what = label("metric", metric)
    fig = go.Figure()
    if kind == "sobol":
        for i, idx in enumerate(("S1", "ST")):
            fig.add_trace(
                go.Bar(
                    y=table["factor"].tolist(),
                    x=table[idx].tolist(),
                    orientation="h",
                    name=t(f"sweep.{idx.lower()}"),
                    error_x=dict(type="data", array=table[f"{idx}_conf"].tolist()),
                    marker_color=PALETTE[i],
                )
            )
        fig.update_layout(barmode="group")
        fig.update_xaxes(title=t("sweep.sobol_axis"))
        return _layout(fig, t("sweep.sobol_title", metric=what))
    if kind == "tornado":
        base = table["baseline"].to_numpy(float) / scale
        for i, side in enumerate(("low", "high")):
            fig.add_trace(
                go.Bar(
                    y=table["factor"].tolist(),
                    x=(table[f"at_{side}"].to_numpy(float) / scale - base).tolist(),
                    base=base.tolist(),
                    orientation="h",
                    name=t(f"sweep.col_at_{side}"),
                    marker_color=PALETTE[i],
                )
            )
        fig.update_layout(barmode="overlay")
        fig.update_yaxes(autorange="reversed")
        unit = t("common.min") if scale == 60 else None
        fig.update_xaxes(title=t("common.with_unit", what=what, unit=unit) if unit else what)
        return _layout(fig, t("sweep.tornado_title", metric=what))
    fig.add_trace(
        go.Bar(
            y=table["factor"].tolist(),
            x=table["spearman"].tolist(),
            orientation="h",
            name=t("sweep.col_spearman"),
            marker_color=PALETTE[0],
        )
    )
    fig.update_xaxes(title=t("sweep.col_spearman"), range=[-1, 1])
    return _layout(fig, t("sweep.spearman_title", metric=what))
