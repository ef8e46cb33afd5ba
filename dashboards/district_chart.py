"""The district map (辖区地图) as a Plotly figure: grid polygons as a choropleth of one per-grid measure,
roads, stations in one colour per agency, the scenario's incidents; grid codes on hover.

Drawn in the district's own metres (no geographic base layer, no tiles, nothing fetched). A continuous
measure is drawn in :data:`BINS` equal classes of a sequential scale with its colour bar; a coverage
measure in two categories whose colours appear nowhere else on the map (not among the agencies' colours,
not the incident's). The data come from :mod:`simulation.experiments.district_map`.
"""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dashboards.i18n import t
from simulation.experiments.district_map import CATEGORICAL, grid_rings, road_lines

BINS = 9
"""Colour classes of a continuous measure (one filled trace per class keeps a 1,400-grid map light)."""
SCALES = {"households": "Blues", "fire_minutes": "YlOrRd", "first_arrival": "YlOrRd"}
COVERAGE_COLOURS = ("#009E73", "#D55E00")
"""Within / beyond the threshold (Okabe–Ito bluish green and vermilion; not in the agencies' palette)."""
NO_VALUE = "#DDDDDD"
INCIDENT_COLOUR = "#000000"
FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"


def agency_colours(n: int) -> list[str]:
    """``n`` distinct colours: Plotly's Dark24 then Light24 (48), beyond that evenly spaced hues."""
    import plotly.express as px

    base = list(px.colors.qualitative.Dark24 + px.colors.qualitative.Light24)
    if n <= len(base):
        return base[:n]
    rgb = [colorsys.hls_to_rgb(k / n, 0.45, 0.75) for k in range(n)]
    return ["#" + "".join(f"{round(255 * c):02X}" for c in col) for col in rgb]


def district_map(world: Any, values: np.ndarray, measure: str, names: dict[str, str]) -> go.Figure:
    """The choropleth of ``values`` (one per grid of ``world``) named ``measure``, with roads and stations."""
    cm = world.citymap
    rings = grid_rings(world)
    fig = go.Figure()
    if measure in CATEGORICAL:
        _categories(fig, rings, values, measure)
    else:
        _classes(fig, rings, values, SCALES[measure])
    roads = road_lines(world)
    if roads is not None:
        fig.add_trace(go.Scatter(x=roads[0], y=roads[1], mode="lines", line=dict(width=0.8, color="#333333"),
                                 name=t("district_map.roads"), hoverinfo="skip", connectgaps=False))
    title = t(f"district_map.measure.{measure}")
    shown = ["—" if np.isnan(v) else (t(f"district_map.category_{int(v)}") if measure in CATEGORICAL else f"{v:,.1f}")
             for v in values]
    marker: dict[str, Any] = dict(size=4, opacity=0.01, color="#777777")
    if measure not in CATEGORICAL and np.isfinite(values).any():
        # the colour bar on the left, the legend (stations by agency) on the right: neither covers the other
        marker.update(color=values, colorscale=SCALES[measure],
                      colorbar=dict(title=dict(text=title, side="right"), thickness=14, x=-0.02, xanchor="right"))
    fig.add_trace(go.Scatter(
        x=cm.x, y=cm.y, mode="markers", marker=marker, showlegend=False, name=t("district_map.grid"),
        text=[f"{gid}<br>{cm.street_ids[int(s)]}<br>{title}: {v}" for gid, s, v in zip(cm.grid_ids, cm.street, shown)],
        customdata=list(cm.grid_ids), hoverinfo="text"))  # the grid's code: what a click on the map picks
    _stations(fig, world, names)
    _incidents(fig, world)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(title=t("district_map.chart_title", district=cm.district, measure=title), height=720,
                      font=dict(family=FONT), plot_bgcolor="white", margin=dict(l=90, r=10, t=50, b=10),
                      legend=dict(orientation="v", x=1.02, xanchor="left", y=1.0, font=dict(size=11)))
    return fig


def _polygons(rings, idx: np.ndarray) -> tuple[list, list]:
    xs = [v for i in idx for v in rings[i][0]]
    ys = [v for i in idx for v in rings[i][1]]
    return xs, ys


def _classes(fig: go.Figure, rings, values: np.ndarray, scale: str) -> None:
    """Grids filled by class of ``values`` (equal steps between min and max; no value: grey)."""
    import plotly.colors as pc

    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    step = (hi - lo) / BINS or 1.0
    safe = np.where(np.isfinite(values), values, lo)
    cls = np.where(np.isfinite(values), np.clip(((safe - lo) / step).astype(int), 0, BINS - 1), -1)
    colours = pc.sample_colorscale(scale, [(k + 0.5) / BINS for k in range(BINS)])
    for k in range(-1, BINS):
        idx = np.flatnonzero(cls == k)
        if idx.size == 0:
            continue
        xs, ys = _polygons(rings, idx)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", line=dict(width=0.3, color="#777777"),
                                 fillcolor=NO_VALUE if k < 0 else colours[k], hoverinfo="skip", showlegend=k < 0,
                                 name=t("district_map.no_value") if k < 0 else
                                 f"{lo + k * step:,.1f} – {lo + (k + 1) * step:,.1f}"))


def _categories(fig: go.Figure, rings, values: np.ndarray, measure: str) -> None:
    """Coverage: grids within the threshold, beyond it, and without a fire station at all."""
    for code, colour in ((1, COVERAGE_COLOURS[0]), (0, COVERAGE_COLOURS[1]), (-1, NO_VALUE)):
        idx = np.flatnonzero(np.isnan(values)) if code < 0 else np.flatnonzero(values == code)
        if idx.size == 0:
            continue
        xs, ys = _polygons(rings, idx)
        name = t("district_map.no_value") if code < 0 else t(f"district_map.category_{code}")
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", line=dict(width=0.3, color="#777777"),
                                 fillcolor=colour, hoverinfo="skip", name=f"{name} ({idx.size})"))


def _stations(fig: go.Figure, world: Any, names: dict[str, str]) -> None:
    sc, cm = world.scenario, world.citymap
    by_agency: dict[str, list] = {}
    for s in sc.stations:
        by_agency.setdefault(s.agency, []).append(s)
    colours = agency_colours(len(by_agency))
    for colour, (agency, sts) in zip(colours, by_agency.items()):
        fig.add_trace(go.Scatter(
            x=[cm.x[cm.index[s.grid]] for s in sts], y=[cm.y[cm.index[s.grid]] for s in sts], mode="markers",
            marker=dict(size=11, symbol="diamond", color=colour, line=dict(width=1, color="white")),
            name=names.get(agency, agency), text=[f"{s.id} · {names.get(agency, agency)}<br>{s.grid}" for s in sts],
            customdata=[s.grid for s in sts], hoverinfo="text"))


def _incidents(fig: go.Figure, world: Any) -> None:
    sc, cm = world.scenario, world.citymap
    if not sc.incidents:
        return
    idx = [cm.index[i.grid] for i in sc.incidents]
    fig.add_trace(go.Scatter(x=cm.x[idx], y=cm.y[idx], mode="markers", name=t("district_map.incident"),
                             marker=dict(size=16, symbol="star", color=INCIDENT_COLOUR, line=dict(width=1,
                                                                                                   color="white")),
                             text=[f"{i.id}<br>{i.grid}" for i in sc.incidents],
                             customdata=[i.grid for i in sc.incidents], hoverinfo="text"))
