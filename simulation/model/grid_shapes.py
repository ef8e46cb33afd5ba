"""The shapes an imported district is drawn with (辖区图形): each grid's polygon rings and the road network's
edges, in the district's own metres (``city.explicit.source.projected_crs``, the frame of the grids'
``x``/``y``), read from the side files ``linkage district import`` wrote.

The one home of this reading for every map: the offline HTML map (``linkage district map``), the
dashboard's district map and the briefing's map. Rings are plain lists, one ring after another separated
by ``None`` (the form Plotly draws as separate closed shapes).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

Rings = tuple[list[float | None], list[float | None]]


@lru_cache(maxsize=4)
def grid_rings(grids_file: str, projected_crs: str, order: tuple[str, ...]) -> tuple[Rings, ...]:
    """Each grid's outline rings (x, y in metres; ``None`` between rings), in ``order`` of grid ids."""
    import geopandas as gpd
    import shapely

    gdf = gpd.read_parquet(grids_file)[["id", "geometry"]].set_index("id").loc[list(order)].to_crs(projected_crs)
    out = []
    for geom in gdf.geometry.values:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for poly in shapely.get_parts(geom):
            x, y = poly.exterior.xy
            xs += [*map(float, x), None]
            ys += [*map(float, y), None]
        out.append((xs, ys))
    return tuple(out)


def road_polyline(road_file: str, projected_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """The road network's edges as one polyline (x, y in metres, NaN between edges)."""
    import pyarrow.parquet as pq
    from pyproj import Transformer

    t = pq.read_table(road_file, columns=["lon_u", "lat_u", "lon_v", "lat_v"]).to_pydict()
    fwd = Transformer.from_crs("EPSG:4326", projected_crs, always_xy=True)
    xu, yu = fwd.transform(np.array(t["lon_u"], float), np.array(t["lat_u"], float))
    xv, yv = fwd.transform(np.array(t["lon_v"], float), np.array(t["lat_v"], float))
    gap = np.full(len(xu), np.nan)
    return np.column_stack([xu, xv, gap]).ravel(), np.column_stack([yu, yv, gap]).ravel()
