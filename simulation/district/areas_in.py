"""Imported station areas (辖区导入): a polygon layer with a station id column → each grid's station area.

A district's fire stations and police stations have areas drawn by the bureau (消防站辖区, 派出所辖区); the
engine otherwise takes each grid's area to be its nearest station's by road. The layer is read like the
grid layer (GeoJSON, Shapefile or GeoPackage; WGS-84, CGCS2000 or GCJ-02), each feature naming a station of
the stations table; a grid is in the area whose polygon contains its centroid (a grid in none keeps the
nearest-station rule). Refused, with file, feature and field: a station id not in the stations table, an
empty or invalid polygon, two areas that overlap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scenarios.errors import InputError
from simulation.district.crs import Projector
from simulation.district.grids import OVERLAP_M2, GridLayer, read_layer, reproject

COLUMNS = ("station_id", "station", "站点编码", "站点编号", "消防站编码", "辖区站点")
"""Station id column names, English and Chinese (first match wins; ``--station-area-column`` overrides)."""


def read_station_areas(path: Path, stations: set[str], layer: GridLayer, crs_text: str | None,
                       column: str | None = None) -> list[str | None]:
    """Per grid of ``layer`` (in its order), the station whose area contains the grid's centroid, or None."""
    import shapely

    gdf, crs = read_layer(path, crs_text)
    col = _column(gdf, column, path)
    ids = [_station(v, i, col, stations, path) for i, v in enumerate(gdf[col])]
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError.one(str(path), None, f"features[{i}].geometry", "not a polygon (a station area is one)")
    wgs, _, _ = reproject(geoms, crs, path)
    proj = Projector(layer.projected)
    areas = shapely.transform(wgs, lambda xy: np.column_stack(proj.xy(xy[:, 0], xy[:, 1])))
    for i, a in enumerate(areas):
        if not shapely.is_valid(a):
            raise InputError.one(str(path), None, f"features[{i}].geometry",
                                 f"invalid polygon ({shapely.is_valid_reason(a)}) of station '{ids[i]}'")
    _no_overlap(areas, ids, path)
    grid, area = shapely.STRtree(areas).query(shapely.centroid(layer.utm), predicate="within")
    out: list[str | None] = [None] * len(layer.ids)
    for g, a in zip(grid.tolist(), area.tolist()):
        out[g] = ids[a]
    return out


def _column(gdf, given: str | None, path: Path) -> str:
    have = ", ".join(c for c in gdf.columns if c != "geometry")
    if given is not None:
        if given not in gdf.columns:
            raise InputError.one(str(path), None, "station id column", f"no column '{given}' (have: {have})")
        return given
    found = next((c for c in COLUMNS if c in gdf.columns), None)
    if found is None:
        raise InputError.one(str(path), None, "station id column", f"no station id column (looked for "
                             f"{', '.join(COLUMNS)}; have: {have}; or give --station-area-column)")
    return found


def _station(raw: object, i: int, col: str, stations: set[str], path: Path) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a numeric id column read as floating point
    sid = None if raw is None or raw != raw else str(raw).strip()
    if not sid or sid not in stations:
        known = ", ".join(sorted(stations)[:8]) + (" …" if len(stations) > 8 else "")
        raise InputError.one(str(path), None, f"features[{i}].{col}",
                             f"station '{sid or ''}' is not in the stations table (known: {known})")
    return sid


def _no_overlap(areas: np.ndarray, ids: list[str], path: Path) -> None:
    """Two areas sharing more than :data:`OVERLAP_M2` overlap (less is digitising noise on a shared border)."""
    import shapely

    left, right = shapely.STRtree(areas).query(areas, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist()):
        if i < j:
            shared = float(shapely.area(shapely.intersection(areas[i], areas[j])))
            if shared > OVERLAP_M2:
                raise InputError.one(str(path), None, f"features[{j}].geometry",
                                     f"station area of '{ids[j]}' overlaps feature {i} ('{ids[i]}') by "
                                     f"{shared:,.0f} m²")
