"""``linkage district map``: the district drawn offline — grid polygons coloured by a per-grid measure
(a choropleth), roads, and stations in one colour per agency; grid codes on hover; CJK labels.

One self-contained HTML file (plotly.js inside, no tile server, nothing fetched), so it opens on a
bureau's offline machine. The measure drawn today is the travel time from the nearest fire station
(``fire_minutes``) or households (``households``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scenarios.errors import InputError
from simulation.model import grid_shapes

MEASURES = {"fire_minutes": ("消防到达（分钟）<br>fire travel (min)", "YlOrRd"),
            "households": ("户数<br>households", "Blues")}
CJK_FONT = "Noto Sans CJK SC, Noto Serif CJK SC, Microsoft YaHei, sans-serif"


def measure(sc, cm, name: str) -> np.ndarray:
    """The per-grid values of ``name`` (NaN where a grid has none)."""
    if name == "households":
        return cm.households.astype(float)
    roles = {a.id: a.role for a in sc.agencies}
    fire = [s for s in sc.stations if roles.get(s.agency) == "fire"]
    if not fire:
        return np.full(cm.n, np.nan)
    return cm.travel_from([cm.index[s.grid] for s in fire]).min(axis=0) / 60.0


BINS = 9
"""Colour classes of the choropleth (one filled trace per class keeps a city-size map light)."""


def district_figure(path: Path, name: str = "fire_minutes"):
    """Plain x/y (metres, the district's projection) — no geographic base map, so nothing is fetched."""
    import plotly.graph_objects as go

    from simulation.district.summary import load_district
    from simulation.model.citymap import build_citymap

    if name not in MEASURES:
        raise InputError.one("--measure", None, "", f"unknown measure '{name}' (known: {', '.join(MEASURES)})")
    sc, _ = load_district(path)
    e = sc.city.explicit
    if e.grids_file is None or e.source is None:
        raise InputError.one(str(path), None, "city.explicit.grids_file", "no grid polygons to draw (a district "
                             "written by `linkage district import` has them)")
    cm = build_citymap(sc.city)
    values = measure(sc, cm, name)
    title, scale = MEASURES[name]
    rings = grid_shapes.grid_rings(e.grids_file, e.source.projected_crs, tuple(cm.grid_ids))
    fig = go.Figure()
    _choropleth(fig, rings, values, scale)
    if e.road_network is not None:
        fig.add_trace(_roads(e.road_network.file, e.source.projected_crs))
    fig.add_trace(go.Scatter(
        x=cm.x, y=cm.y, mode="markers", name=title.replace("<br>", " "), showlegend=False,
        marker=dict(size=3, color=values, colorscale=scale, colorbar=dict(title=title), opacity=0.01),
        text=[f"{g.id}<br>{g.street}<br>{g.households} 户 households<br>{v:.1f}" for g, v in zip(e.grids, values)],
        hoverinfo="text"))
    _stations(fig, sc, cm)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(title=f"{e.district} — 辖区地图 district map · {title.replace('<br>', ' ')}",
                      font=dict(family=CJK_FONT, size=13), height=760, plot_bgcolor="white",
                      margin=dict(l=300, r=10, t=50, b=10),
                      legend=dict(orientation="v", x=-0.02, xanchor="right", y=1.0, font=dict(size=11)))
    return fig


def _choropleth(fig, rings, values: np.ndarray, scale: str) -> None:
    """Grids filled by class of ``values`` (equal steps between min and max; no value: grey)."""
    import plotly.colors as pc
    import plotly.graph_objects as go

    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    step = (hi - lo) / BINS or 1.0
    cls = np.where(np.isfinite(values), np.clip(((values - lo) / step).astype(int), 0, BINS - 1), -1)
    colours = pc.sample_colorscale(scale, [(k + 0.5) / BINS for k in range(BINS)])
    for k in range(-1, BINS):
        idx = np.flatnonzero(cls == k)
        if idx.size == 0:
            continue
        xs = [v for i in idx for v in rings[i][0]]
        ys = [v for i in idx for v in rings[i][1]]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", line=dict(width=0.3, color="#777"),
                                 fillcolor="#DDDDDD" if k < 0 else colours[k], hoverinfo="skip", showlegend=False))


def _roads(file: str, projected: str):
    import plotly.graph_objects as go

    xs, ys = grid_shapes.road_polyline(file, projected)
    return go.Scatter(x=xs, y=ys, mode="lines", line=dict(width=0.8, color="#333"), name="道路 roads",
                      hoverinfo="skip", connectgaps=False)


def _stations(fig, sc, cm) -> None:
    """One marker colour per agency (plotly's Dark24 then Light24: 48 colours), hover: station, agency, grid."""
    import plotly.express as px
    import plotly.graph_objects as go

    from agencies.catalogue import role_catalogue

    roles = role_catalogue()
    names = {a.id: a.name.zh if a.name else roles[a.role].zh for a in sc.agencies}
    palette = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24  # 48 distinct colours
    by_agency: dict[str, list] = {}
    for s in sc.stations:
        by_agency.setdefault(s.agency, []).append(s)
    for k, (agency, sts) in enumerate(by_agency.items()):
        fig.add_trace(go.Scatter(
            x=[cm.x[cm.index[s.grid]] for s in sts], y=[cm.y[cm.index[s.grid]] for s in sts], mode="markers",
            marker=dict(size=10, symbol="diamond", color=palette[k % len(palette)], line=dict(width=1, color="white")),
            name=f"{names[agency]} {agency}", text=[f"{s.id} · {names[agency]}<br>{s.grid}" for s in sts],
            hoverinfo="text"))


def write_map(path: Path, out: Path, name: str = "fire_minutes") -> Path:
    """The district map as one offline HTML file (written whole: temporary sibling, then renamed)."""
    import os

    fig = district_figure(path, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    fig.write_html(tmp, include_plotlyjs=True, full_html=True)
    os.replace(tmp, out)
    return out
