"""Figures of the dashboard (Plotly): map, distributions, hand-off heat-map, timeline, coordination graph.

Everything is drawn from the simulation's own tables and objects; nothing here needs the internet
(no map tiles: the map is the city's own grid coordinates, in metres). Labels come from
:mod:`dashboards.i18n`.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboards.district_chart import agency_colours
from dashboards.i18n import label, t, text
from simulation.experiments import is_duration

PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2", "#EECA3B", "#9D755D")
ZONE_COLOURS = ("rgba(0,0,0,0)", "rgba(238,202,59,0.55)", "rgba(245,133,24,0.6)", "rgba(228,87,86,0.7)")
STAGE_COLOURS = {
    "ownership": "#E45756",
    "bounce": "#9D755D",
    "arbitration": "#FF9DA6",
    "signing": "#BAB0AC",
    "notification": "#F58518",
    "decision": "#B279A2",
    "unit_wait": "#EECA3B",
    "travel": "#4C78A8",
    "enforcement": "#54A24B",
    "setup": "#72B7B2",
    "desk_night_empty": "#54278F",  # a duty desk that held the hand-off (holds.DESK_HOLDS)
    "desk_night_short": "#756BB1",
    "desk_busy": "#9E9AC8",
}


TITLE_WIDTH = 80
"""Characters of a chart title's line (a CJK character counts two): a longer title is broken into lines,
not cut off at the chart's right edge (two long arrangement names in one title were)."""


def title_lines(title: str, width: int = TITLE_WIDTH) -> list[str]:
    """``title`` broken at spaces (or anywhere in Chinese text) into lines of at most ``width``."""
    import textwrap

    if not any(ord(ch) > 0x2E80 for ch in title):
        return textwrap.wrap(title, width) or [title]
    return wrap(title, width).split("<br>")


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    lines = title_lines(title)
    fig.update_layout(title="<br>".join(lines), height=height + 22 * (len(lines) - 1),
                      margin=dict(l=10, r=10, t=50 + 22 * (len(lines) - 1), b=10),
                      font=dict(family="Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"),
                      legend=dict(orientation="h", yanchor="bottom", y=-0.25))
    return fig


# -- map --------------------------------------------------------------------------------------------------


def hazard_footprint(world: Any, reps: pd.DataFrame | None = None) -> dict[str, Any] | None:
    """What the primary incident's hazard covers: plume AEGL zone per grid, fire floors, crowd density.

    The plume zones come from the hazard model itself (``scenarios.hazards``, steady concentration per
    grid centroid against AEGL-1/2/3); fire floors and peak density are the run's own outcomes.
    """
    from scenarios.hazards import PlumeParams, build_hazard
    from scenarios.hazards.base import Site

    sc = world.scenario
    inc = sc.primary_incident()
    if inc is None or inc.hazard is None:
        return None
    cm = world.citymap
    g = cm.index[inc.grid]
    if isinstance(inc.hazard, PlumeParams):
        model = build_hazard(inc.hazard, Site(float(cm.x[g]), float(cm.y[g]), cm.x, cm.y, cm.population, cm.grid_ids))
        ppm = np.asarray(model.grid_ppm)
        zone = sum((ppm >= lv).astype(int) for lv in model.levels)
        return {"kind": "plume", "zone": zone, "wind_from": inc.hazard.wind_from_deg}

    def mean(c: str) -> float | None:
        return float(reps[c].mean()) if reps is not None and c in reps and reps[c].notna().any() else None

    if inc.hazard.model == "fire":
        return {"kind": "fire", "floors": mean("fire_floors"), "storeys": inc.hazard.storeys,
                "origin": inc.hazard.floor_of_origin}
    return {"kind": "crowd", "peak_density": mean("peak_density")}


def city_map(world: Any, names: dict[str, str], footprint: dict[str, Any] | None = None,
             units_by_station: dict[str, str] | None = None) -> go.Figure:
    """Grids (by street), stations with their units, the incident(s) and the hazard footprint."""
    sc, cm = world.scenario, world.citymap
    h = cm.grid_size_m / 2 * 0.96
    fig = go.Figure()
    streets = sorted(set(cm.street_ids))
    for si, street in enumerate(cm.street_ids):
        idx = [i for i in range(cm.n) if int(cm.street[i]) == si]
        xs, ys = [], []
        for i in idx:
            x, y = float(cm.x[i]), float(cm.y[i])
            xs += [x - h, x + h, x + h, x - h, x - h, None]
            ys += [y - h, y - h, y + h, y + h, y - h, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", line=dict(width=0.5, color="#888"),
                                 fillcolor=_rgba(PALETTE[streets.index(street) % len(PALETTE)], 0.12),
                                 name=t("map.street", street=street), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=cm.x, y=cm.y, mode="markers", marker=dict(size=4, color="#999"), name=t("map.grid"),
                             text=[f"{g}<br>{t('map.population')}: {int(p)}<br>{t('map.grid_workers')}: {w:g}"
                                   for g, p, w in zip(cm.grid_ids, cm.population, cm.grid_workers)],
                             customdata=list(cm.grid_ids), hoverinfo="text", showlegend=False))
    if footprint and footprint["kind"] == "plume":
        for z in (1, 2, 3):
            idx = np.nonzero(footprint["zone"] == z)[0]
            if idx.size == 0:
                continue
            xs, ys = [], []
            for i in idx:
                x, y = float(cm.x[i]), float(cm.y[i])
                xs += [x - h, x + h, x + h, x - h, x - h, None]
                ys += [y - h, y - h, y + h, y + h, y - h, None]
            fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", line=dict(width=0),
                                     fillcolor=ZONE_COLOURS[z], name=t(f"map.aegl{z}"), hoverinfo="name"))
    by_agency: dict[str, list] = {}
    for s in sc.stations:
        by_agency.setdefault(s.agency, []).append(s)
    colours = agency_colours(len(by_agency))  # one colour per agency, never reused (8 were, for 25 agencies)
    for k, (agency, sts) in enumerate(by_agency.items()):
        xs = [float(cm.x[cm.index[s.grid]]) + (k % 5 - 2) * cm.grid_size_m * 0.08 for s in sts]
        ys = [float(cm.y[cm.index[s.grid]]) + (k // 5 % 3 - 1) * cm.grid_size_m * 0.08 for s in sts]
        hover = [
            f"{text(s.name, default=names.get(agency, agency)) if s.name else names.get(agency, agency)}<br>{s.grid}"
            f"<br>{(units_by_station or {}).get(s.id, '')}" for s in sts
        ]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker=dict(size=9, symbol="diamond",
                                 color=colours[k], line=dict(width=1, color="white")),
                                 name=names.get(agency, agency), text=hover, hoverinfo="text",
                                 customdata=[s.grid for s in sts]))
    for inc in sc.incidents:
        i = cm.index[inc.grid]
        note = ""
        if footprint and footprint["kind"] == "fire" and footprint.get("floors") is not None:
            note = t("map.fire_floors", floors=f"{footprint['floors']:.1f}", storeys=footprint["storeys"])
        elif footprint and footprint["kind"] == "crowd" and footprint.get("peak_density") is not None:
            note = t("map.peak_density", rho=f"{footprint['peak_density']:.2f}")
        shown = f"{label('incident_type', inc.type)} {note}".strip()  # the incident's kind, not its id
        fig.add_trace(go.Scatter(x=[cm.x[i]], y=[cm.y[i]], mode="markers+text", text=[shown],
                                 textposition="top center", marker=dict(size=18, symbol="star", color="#D62728",
                                 line=dict(width=1, color="black")), name=t("map.incident"), customdata=[inc.grid]))
    fig.update_xaxes(title=t("map.x"), showgrid=False, zeroline=False)
    fig.update_yaxes(title=t("map.y"), scaleanchor="x", scaleratio=1, showgrid=False, zeroline=False)
    _layout(fig, t("map.title"), 620)
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=1, xanchor="left", x=1.02, font=dict(size=10)))
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# -- distributions, heat-map, timeline --------------------------------------------------------------------


def distribution(reps: pd.DataFrame, metric: str, arrangement_labels: dict[str, str]) -> go.Figure:
    """Box plot (with points) of one metric per arrangement; times in minutes."""
    fig = go.Figure()
    is_time = is_duration(metric)
    for k, (arr, lab) in enumerate(arrangement_labels.items()):
        v = reps.loc[reps["arrangement"] == arr, metric].dropna()
        fig.add_trace(go.Box(y=v / 60 if is_time else v, name=wrap(lab), boxmean=True, boxpoints="outliers",
                             marker_color=PALETTE[k % len(PALETTE)]))
    unit = f" ({t('common.min')})" if is_time else ""
    fig.update_yaxes(title=label("metric", metric) + unit)
    # The boxes are named on the axis (wrapped, never rotated or clipped); a legend would only cover them.
    fig.update_xaxes(tickangle=0, automargin=True)
    return _layout(fig, t("compare.dist_title", metric=label("metric", metric))).update_layout(showlegend=False)


def wrap(text: str, width: int = 18) -> str:
    """A long label broken into lines at about ``width`` characters (CJK counts double) for an axis: at
    spaces in Latin text (never inside a word), anywhere in Chinese text but before closing punctuation."""
    import textwrap

    if not any(ord(ch) > 0x2E80 for ch in text):
        return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=True) or [text])
    lines, line, size = [], "", 0
    for ch in text:
        w = 2 if ord(ch) > 0x2E80 else 1
        if size + w > width and ch not in "）)，,、" and line:
            lines.append(line)
            line, size = "", 0
        line += ch
        size += w
    return "<br>".join([*lines, line])


def handoff_heatmap(attribution: pd.DataFrame, names: dict[str, str], title: str | None = None,
                    diverging: bool = False) -> go.Figure:
    """Mean hand-off gap (minutes per replication) by agency pair × stage, for one arrangement; or, with
    ``diverging``, the difference between two (blue shorter, red longer, white no change)."""
    df = attribution.copy()
    df["pair"] = [
        f"{names.get(a, a or '—')} → {names.get(b, b or '—')}" for a, b in zip(df["from_agency"], df["to_agency"])
    ]
    piv = df.pivot_table(index="pair", columns="stage", values="seconds_mean", aggfunc="sum", fill_value=0.0) / 60
    stages = [s for s in STAGE_COLOURS if s in piv.columns] + [s for s in piv.columns if s not in STAGE_COLOURS]
    piv = piv[stages]
    fig = go.Figure(
        go.Heatmap(
            z=piv.values,
            x=[label("stage", s) for s in stages],
            y=list(piv.index),
            colorscale="RdBu_r" if diverging else "OrRd",
            zmid=0 if diverging else None,
            colorbar=dict(title=t("common.min")),
            hovertemplate="%{y}<br>%{x}: %{z:.1f}<extra></extra>",
            text=np.round(piv.values, 1),
            texttemplate="%{text}",
        )
    )
    return _layout(fig, title or t("compare.heat_title"), max(320, 40 * len(piv) + 120))


def gantt(tasks: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """One replication's tasks, one lane per agency: waiting (available → started) then working (→ done)."""
    fig = go.Figure()
    nobody = t("report.no_owner")  # a task nobody owned (abandoned before an owner was settled)
    names = {**names, "—": nobody}
    lanes = list(dict.fromkeys(tasks["owner"].fillna("—")))
    for part, start, end, colour in (
        ("wait", "available", "started", "#F2B447"),
        ("work", "started", "done", "#4C78A8"),
    ):
        d = tasks.dropna(subset=[start])
        s = d[start] / 60
        e = d[end].fillna(d[start].max() if end == "started" else d[start]) / 60
        fig.add_trace(
            go.Bar(
                y=[names.get(o, o) for o in d["owner"].fillna("—")],
                x=(e - s).clip(lower=0),
                base=s,
                orientation="h",
                name=t(f"compare.gantt_{part}"),
                marker_color=colour,
                text=[label("task", x) for x in d["task"]],
                textposition="inside" if part == "work" else "none",
                insidetextanchor="start",
                textangle=0,
                hovertemplate="%{text}: %{base:.1f} → %{x:.1f}<extra></extra>",
            )
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title=t("compare.gantt_x"))
    fig.update_yaxes(categoryorder="array", categoryarray=[names.get(o, o) for o in lanes][::-1])
    return _layout(fig, t("compare.gantt_title"), max(320, 45 * len(lanes) + 120))


# -- coordination graph -----------------------------------------------------------------------------------


def coordination_graph(world: Any, names: dict[str, str], highlight: list[str] | None = None) -> go.Figure:
    """Agencies and centres joined by their channels (seeded spring layout); the slowest notification
    path in red."""
    g = world.graph.graph
    nodes = [n for n, d in g.nodes(data=True) if d.get("kind") in ("agency", "centre")]
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from((a, b) for a, b in g.edges() if a in sub and b in sub)
    pos = ring_layout(sub)
    ex, ey = [], []
    for a, b in sub.edges():
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    fig = go.Figure(go.Scatter(x=ex, y=ey, mode="lines", line=dict(width=0.6, color="#BBB"), hoverinfo="skip",
                               name=t("compare.graph_channels")))
    hl = highlight or []
    if len(hl) > 1:
        fig.add_trace(go.Scatter(x=[pos[n][0] for n in hl], y=[pos[n][1] for n in hl], mode="lines+markers",
                                 line=dict(width=4, color="#D62728"), marker=dict(size=14, color="#D62728"),
                                 name=t("compare.graph_slowest"), hoverinfo="skip"))
    kinds = nx.get_node_attributes(g, "kind")
    fig.add_trace(go.Scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
                             text=[wrap(names.get(n, n), GRAPH_LABEL_WIDTH) for n in nodes],
                             textposition=[label_side(*pos[n]) for n in nodes], textfont=dict(size=10),
                             marker=dict(size=[12 if kinds.get(n) == "centre" else 9 for n in nodes],
                                         color=["#F58518" if kinds.get(n) == "centre" else "#4C78A8" for n in nodes]),
                             hovertext=[names.get(n, n) for n in nodes], hoverinfo="text",
                             name=t("compare.graph_agencies")))
    # room outside the ring for the names written beside the outermost markers
    fig.update_xaxes(visible=False, range=list(GRAPH_X))
    fig.update_yaxes(visible=False, range=list(GRAPH_Y))
    return _layout(fig, t("compare.graph_title"), GRAPH_HEIGHT)


GRAPH_LABEL_WIDTH = 26
GRAPH_HEIGHT = 900
GRAPH_X, GRAPH_Y = (-2.3, 2.3), (-1.0, 1.0)
"""The ring has radius 1; the names take the room beside it."""


def ring_layout(sub: nx.Graph) -> dict[Any, tuple[float, float]]:
    """The agencies on the two sides of a ring (within 60° of the horizontal), in the order a seeded
    spring layout puts them around its centre, so that linked agencies stay near each other: every name
    is written outwards beside its marker, none on another marker or name (they sat on each other in the
    dense middle of the spring layout, and at the top and bottom of a full ring)."""
    import math

    nodes = list(sub.nodes)
    spring = nx.spring_layout(sub, seed=7, iterations=200) if sub.number_of_edges() > 0 else nx.circular_layout(sub)
    cx = sum(p[0] for p in spring.values()) / max(len(nodes), 1)
    cy = sum(p[1] for p in spring.values()) / max(len(nodes), 1)
    order = sorted(nodes, key=lambda n: math.atan2(spring[n][1] - cy, spring[n][0] - cx))
    right, left = order[: (len(order) + 1) // 2], order[(len(order) + 1) // 2:]
    pos = {}
    for side, start in ((right, -60.0), (left, 120.0)):
        for k, n in enumerate(side):
            angle = math.radians(start + 120.0 * (k + 0.5) / len(side))
            pos[n] = (math.cos(angle), math.sin(angle))
    return pos


def label_side(x: float, y: float) -> str:
    """A name outside the ring, beside its marker."""
    return "middle right" if x > 0 else "middle left"


def slowest_notification(world: Any, notification: list[dict]) -> tuple[list[str], float | None, dict | None]:
    """The slowest receiver → relay → target route of the structural indicators
    (``simulation.experiments.structure.indicators``), as the chain of agencies the engine's messages pass."""
    rows = [r for r in notification if r.get("expected_latency") is not None]
    if not rows:
        return [], None, None
    row = max(rows, key=lambda r: r["expected_latency"])
    nodes = [row["receiver"]]
    for a, b in ((row["receiver"], row["relay"]), (row["relay"], row["target"])):
        hops = world.graph.path(a, b) or []
        nodes += [h.dst for h in hops]
    return nodes, float(row["expected_latency"]), row


# -- responsibility matrix --------------------------------------------------------------------------------

RESPONSIBILITY_KEY = {"L": "lead", "A": "assist", "I": "informed"}
"""Cell codes of :func:`agencies.diff.responsibility_matrix` → label keys."""
RESPONSIBILITY_SCORE = {"L": 3, "A": 2, "I": 1}


def matrix_heatmap(matrix: pd.DataFrame, row_labels: list[str], col_labels: list[str], title: str) -> go.Figure:
    """Tasks × agencies coloured by lead (3) / assist (2) / informed (1)."""
    z = matrix.map(lambda v: RESPONSIBILITY_SCORE.get(v, 0)).values
    txt = matrix.map(lambda v: label("resp", RESPONSIBILITY_KEY.get(v, v)) if v else "").values
    fig = go.Figure(go.Heatmap(z=z, x=col_labels, y=row_labels, zmin=0, zmax=3, showscale=False, text=txt,
                               texttemplate="%{text}", hoverinfo="skip",
                               colorscale=[[0, "#F7F7F7"], [0.33, "#DCEBF7"], [0.66, "#9ECAE1"], [1, "#3182BD"]]))
    fig.update_yaxes(autorange="reversed", dtick=1, automargin=True)  # every row named (plotly skips some)
    fig.update_xaxes(dtick=1, automargin=True)
    return _layout(fig, title, max(300, 36 * len(row_labels) + 160))
