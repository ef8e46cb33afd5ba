"""The briefing's map (简报地图): where the comparison happens — the district's grids coloured by the travel
time from the nearest fire station, the stations in one colour per service (fire, police, street office …:
on a small printed map 25 agency colours could not be told apart; the dashboard's maps keep one colour per
agency), the incident's grid.

A Vega-Lite spec rendered by ``vl-convert`` like the briefing's other charts (SVG in the PDF, PNG in Word):
drawn from the district's own coordinates in metres (an identity projection, y up), so nothing is fetched
and no tile server is needed; labels in the system's CJK font. The per-grid measure is the one behind a
comparison's first arrival that every grid has (the incident itself is on one grid); grids a fire
station cannot reach are grey.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboards.i18n import label, role_name, t
from simulation.experiments.district_map import fire_seconds, grid_outlines, map_world

WIDTH, HEIGHT = 250, 190
"""Pixels of the plot in the spec (the PDF scales the SVG to its box; Word's picture is sized in mm)."""
CLASSES = 8
"""Most colour classes of the travel time (equal round steps: a printed key of swatches reads at a glance)."""
OUTLINED = 300
"""Up to this many grids each is outlined; beyond, the colour classes alone show them."""
WHERE = {"longitude": {"field": "x", "type": "quantitative"}, "latitude": {"field": "y", "type": "quantitative"}}
"""A point's place: with the identity projection, longitude and latitude are the district's x and y."""


def map_spec(sc: Any, lang: str) -> dict:
    """The map of scenario ``sc`` (on its district when loaded on one) as a Vega-Lite spec."""
    from dashboards.district_chart import agency_colours

    world = map_world(sc)
    cm = world.citymap
    minutes = fire_seconds(world) / 60.0
    grids = [_feature(gid, rings, v) for gid, rings, v in zip(cm.grid_ids, grid_outlines(world), minutes)]
    roles = {a.id: a.role for a in sc.agencies}
    services = list(dict.fromkeys(roles.get(s.agency, s.agency) for s in sc.stations))
    names = {r: role_name(r, lang) for r in services}
    stations = [{"x": round(float(cm.x[cm.index[s.grid]])), "y": round(float(cm.y[cm.index[s.grid]])),
                 "service": names[roles.get(s.agency, s.agency)]} for s in sc.stations]
    inc = sc.primary_incident()
    geo = {"values": {"type": "FeatureCollection", "features": grids}, "format": {"type": "json",
                                                                                "property": "features"}}
    projection = {"type": "identity", "reflectY": True}
    # outlines only while a grid is large on paper: a district's thousand grids would be all outline
    edge = {"stroke": "#999999", "strokeWidth": 0.15} if cm.n <= OUTLINED else {"strokeWidth": 0}
    layers: list[dict] = [
        {"data": geo, "mark": {"type": "geoshape", "fill": "#DDDDDD", **edge}},
        {"data": geo, "transform": [{"filter": "isValid(datum.properties.min)"}],
         "mark": {"type": "geoshape", **edge},
         "encoding": {"color": {"field": "properties.min", "type": "quantitative", "title": t("report.map_fire", lang),
                                # classes with a key of swatches: WeasyPrint does not paint an SVG gradient
                                "scale": _classes(minutes),
                                "legend": {"orient": "top", "direction": "horizontal", "titleFontSize": 9,
                                           "labelFontSize": 8, "symbolType": "square", "symbolSize": 70,
                                           "format": "~g"}}}},
        {"data": {"values": stations}, "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 45,
                                                "stroke": "#222222", "strokeWidth": 0.5, "opacity": 1},
         "encoding": {**WHERE, "color": {
             "field": "service", "type": "nominal", "title": t("report.map_stations", lang),
             "scale": {"domain": [names[r] for r in services], "range": agency_colours(len(services))},
             "legend": {"orient": "right", "labelFontSize": 9, "titleFontSize": 9, "symbolSize": 40,
                        "labelLimit": 130, "rowPadding": 1, "symbolType": "diamond"}}}},
    ]
    if inc is not None:
        g = cm.index[inc.grid]
        spot = [{"x": round(float(cm.x[g])), "y": round(float(cm.y[g])),
                 "label": f"{label('incident_type', inc.type, lang)} · {inc.grid}"}]
        layers += [{"data": {"values": spot}, "mark": {"type": "point", "shape": "triangle-up", "filled": True,
                                                       "size": 170, "color": "#000000", "stroke": "white",
                                                       "strokeWidth": 0.8, "opacity": 1}, "encoding": WHERE},
                   {"data": {"values": spot}, "mark": {"type": "text", "dy": -12, "fontSize": 8, "fontWeight": "bold"},
                    "encoding": {**WHERE, "text": {"field": "label"}}}]
    return {"width": WIDTH, "height": HEIGHT, "projection": projection, "layer": layers,
            "resolve": {"scale": {"color": "independent"}, "legend": {"color": "independent"}}}


def _classes(values: np.ndarray) -> dict:
    """A threshold scale of at most :data:`CLASSES` classes in round steps (1, 2, 2.5 or 5 × 10ⁿ minutes)."""
    import plotly.colors as pc

    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 1.0
    raw = max(top / CLASSES, 1e-9)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    cuts = [round(k * step, 6) for k in range(1, CLASSES) if k * step < top]
    return {"type": "threshold", "domain": cuts,
            "range": pc.sample_colorscale("YlOrRd", [(k + 0.5) / (len(cuts) + 1) for k in range(len(cuts) + 1)])}


def _feature(gid: str, rings: tuple[list, list], minutes: float) -> dict:
    """One grid as a GeoJSON feature in metres (rounded to the metre: the map's resolution is coarser)."""
    xs, ys = rings
    polys, ring = [], []
    for x, y in zip(xs, ys):
        if x is None:
            polys.append([ring])
            ring = []
        else:
            ring.append([round(x), round(y)])
    if ring:
        polys.append([ring])
    value = round(float(minutes), 1) if np.isfinite(minutes) else None
    return {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": polys},
            "properties": {"grid": gid, "min": value}}
