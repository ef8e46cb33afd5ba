"""What a district map shows (辖区地图), for the dashboard: grid polygons, roads and per-grid measures of a
prepared world on an imported district (``linkage district import``).

Everything is in the world's own metres (the district's UTM zone, ``city.explicit.source.projected_crs``),
so a map needs no geographic base layer and fetches nothing. Measures, one value per grid (NaN: none):

- ``households`` (户数);
- ``fire_5_min`` / ``fire_10_min``: 1 when the grid lies within 5 / 10 minutes' travel of the nearest fire
  station (role ``fire``), else 0 — the same travel times and thresholds as ``linkage district show``;
- ``fire_minutes``: the travel time from the nearest fire station, in minutes;
- ``first_arrival``: a run's mean time from onset to the first unit on scene, in minutes, over the
  replications, on each grid where the run had an incident (the others have none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.model import grid_shapes

MEASURES = ("households", "fire_5_min", "fire_10_min", "fire_minutes", "first_arrival")
CATEGORICAL = {"fire_5_min": 300.0, "fire_10_min": 600.0}
"""Coverage measures (two categories: within / beyond) and their thresholds in seconds."""
NEEDS_RUN = ("first_arrival",)


def has_polygons(world: Any) -> bool:
    """True when the world's city is an imported district with its grid polygons."""
    e = world.scenario.city.explicit
    return e is not None and e.grids_file is not None and e.source is not None


def grid_rings(world: Any) -> tuple[tuple[list, list], ...]:
    """Each grid's outline rings (x, y in metres, rings separated by None), in the city map's grid order."""
    e = world.scenario.city.explicit
    return grid_shapes.grid_rings(e.grids_file, e.source.projected_crs, tuple(world.citymap.grid_ids))


def road_lines(world: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The road network's edges as one polyline (x, y in metres, NaN between edges); None without roads."""
    e = world.scenario.city.explicit
    if e is None or e.road_network is None or e.source is None:
        return None
    return grid_shapes.road_polyline(e.road_network.file, e.source.projected_crs)


def fire_seconds(world: Any) -> np.ndarray:
    """Travel seconds from the nearest fire station to each grid (NaN everywhere without one)."""
    sc, cm = world.scenario, world.citymap
    roles = {a.id: a.role for a in sc.agencies}
    fire = [cm.index[s.grid] for s in sc.stations if roles.get(s.agency) == "fire"]
    if not fire:
        return np.full(cm.n, np.nan)
    return cm.travel_from(fire).min(axis=0)


def grid_measure(world: Any, name: str, incidents: Any = None) -> np.ndarray:
    """The per-grid values of ``name`` (one of :data:`MEASURES`); ``incidents`` is a run's incidents table
    (pyarrow) for ``first_arrival``."""
    cm = world.citymap
    if name not in MEASURES:
        raise ValueError(f"unknown measure '{name}' (known: {', '.join(MEASURES)})")
    if name == "households":
        return cm.households.astype(float)
    if name in CATEGORICAL:
        t = fire_seconds(world)
        return np.where(np.isnan(t), np.nan, (t <= CATEGORICAL[name]).astype(float))
    if name == "fire_minutes":
        return fire_seconds(world) / 60.0
    out = np.full(cm.n, np.nan)
    if incidents is None:
        return out
    cols = incidents.select(["grid", "t_start", "t_first_arrival"]).to_pydict()
    sums: dict[str, list[float]] = {}
    for grid, start, arrive in zip(cols["grid"], cols["t_start"], cols["t_first_arrival"]):
        if arrive is not None and start is not None and not np.isnan(arrive) and grid in cm.index:
            sums.setdefault(grid, []).append(arrive - start)
    for grid, vals in sums.items():
        out[cm.index[grid]] = float(np.mean(vals)) / 60.0
    return out


def grid_outlines(world: Any) -> tuple[tuple[list, list], ...]:
    """Each grid's outline: its polygon on an imported district, else the square cell the map draws a
    listed or generated grid as (side ``grid_size_m`` around its centroid)."""
    if has_polygons(world):
        return grid_rings(world)
    cm = world.citymap
    h = (cm.grid_size_m or 100.0) / 2
    return tuple(([x - h, x + h, x + h, x - h, x - h, None], [y - h, y - h, y + h, y + h, y - h, None])
                 for x, y in zip(map(float, cm.x), map(float, cm.y)))


@dataclass(frozen=True)
class MapWorld:
    """What a map needs of a world: the scenario and its city map (no units, no coordination graph)."""

    scenario: Any
    citymap: Any


def map_world(scenario: Any) -> MapWorld:
    """The city map of a loaded scenario (on its district when it was loaded on one), for drawing."""
    from simulation.model.citymap import build_citymap

    return MapWorld(scenario, build_citymap(scenario.city))
