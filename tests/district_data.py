"""Small district inputs the district tests build: square grids, OSM street lattices, agency tables.

Everything is made here, in the test's temporary folder, with the real libraries (geopandas/pyogrio for
GIS files, pyosmium for OpenStreetMap XML and PBF, openpyxl for XLSX) — nothing is downloaded.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

LON0, LAT0 = 121.40, 31.24
"""South-west corner of the test grids (inside Shanghai Putuo, so GCJ-02 applies)."""
DEG_PER_M_LAT = 1 / 111_320
"""Degrees of latitude per metre near 31° N (for laying out squares; exact sizes do not matter)."""


def square_grid_layer(rows: int = 3, cols: int = 3, side_m: float = 400.0):
    """rows × cols square grids in WGS-84 with id, street (one per row), community and households."""
    import geopandas as gpd
    from shapely.geometry import box

    dlat = side_m * DEG_PER_M_LAT
    dlon = dlat / np.cos(np.radians(LAT0))
    recs, geoms = [], []
    for r in range(rows):
        for c in range(cols):
            x0, y0 = LON0 + c * dlon, LAT0 + r * dlat
            geoms.append(box(x0, y0, x0 + dlon, y0 + dlat))
            recs.append({"grid_id": f"G{r}{c}", "street": f"S{r + 1}", "community": f"S{r + 1}-C1",
                         "households": 300 + 10 * (r * cols + c)})
    return gpd.GeoDataFrame(recs, geometry=geoms, crs="EPSG:4326")


def write_layer(gdf, path: Path) -> Path:
    """The layer as GeoJSON, Shapefile or GeoPackage, by the file's suffix."""
    driver = {".geojson": "GeoJSON", ".shp": "ESRI Shapefile", ".gpkg": "GPKG"}[path.suffix]
    gdf.to_file(path, driver=driver, engine="pyogrio")
    return path


def write_osm_lattice(path: Path, n: int = 4, spacing_deg: float = 0.004, drop: tuple[int, int] | None = None,
                      island: bool = False) -> Path:
    """An n × n street lattice around the test grids as ``.osm`` or ``.osm.pbf`` (pyosmium's writer).

    Rows are ``residential`` (no maxspeed: the 30 km/h class default); columns are ``secondary`` with
    ``maxspeed=40``; the first row is ``oneway=yes``. ``drop`` removes the street segment after a node
    (row, col); ``island`` adds a separate two-node road 5 km away.
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    if path.exists():
        path.unlink()
    w = osmium.SimpleWriter(str(path))
    nid = lambda r, c: 1 + r * n + c  # noqa: E731
    for r in range(n):
        for c in range(n):
            w.add_node(Node(id=nid(r, c), location=(LON0 - 0.001 + c * spacing_deg, LAT0 - 0.001 + r * spacing_deg)))
    if island:
        w.add_node(Node(id=900, location=(LON0 + 0.06, LAT0 + 0.06)))
        w.add_node(Node(id=901, location=(LON0 + 0.061, LAT0 + 0.06)))
    wid = 100
    for r in range(n):
        for c in range(n - 1):
            if drop == (r, c):
                continue
            tags = {"highway": "residential"} | ({"oneway": "yes"} if r == 0 else {})
            w.add_way(Way(id=wid, nodes=[nid(r, c), nid(r, c + 1)], tags=tags))
            wid += 1
    for c in range(n):
        w.add_way(Way(id=wid, nodes=[nid(r, c) for r in range(n)], tags={"highway": "secondary", "maxspeed": "40"}))
        wid += 1
    w.add_way(Way(id=wid, nodes=[nid(0, 0), nid(0, 1)], tags={"highway": "footway"}))  # not drivable
    if island:
        w.add_way(Way(id=wid + 1, nodes=[900, 901], tags={"highway": "residential"}))
    w.close()
    return path


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerow(header)
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(header)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def small_tables(folder: Path, station_lonlat: tuple[float, float] | None = None) -> dict[str, Path]:
    """Agencies (119 centre, fire brigade, street office), one fire station, rosters and contacts."""
    lon, lat = station_lonlat or (LON0 + 0.006, LAT0 + 0.005)
    return {
        "agencies": write_csv(folder / "agencies.csv", ["编号", "角色", "中文名称", "英文名称", "上级单位",
                                                        "辖区街道"], [
            ["district_gov", "district_government", "区政府", "District government", "", ""],
            ["fire_brigade", "fire", "消防救援支队", "Fire brigade", "district_gov", ""],
            ["centre_119", "centre_119", "119指挥中心", "119 centre", "fire_brigade", ""],
            ["street_S1", "street_office", "一街道", "Street 1", "district_gov", "S1"],
        ]),
        "stations": write_xlsx(folder / "stations.xlsx", ["id", "agency", "name_zh", "name_en", "lon", "lat", "grid",
                                                          "units"], [
            ["fs1", "fire_brigade", "消防站", "Fire station", lon, lat, None, "engine:2@60; ladder:1"],
            ["so1", "street_S1", "街道办", "Street office", None, None, "G00", "street_staff:3"],
        ]),
        "rosters": write_csv(folder / "rosters.csv", ["单位", "班次", "在岗人数"], [
            ["centre_119", "白班", "5"], ["centre_119", "夜班", "3"], ["fire_brigade", "day", "2"]]),
        "contacts": write_csv(folder / "contacts.csv", ["from", "to", "kind", "medium", "latency_median_s",
                                                        "latency_p90_s", "reliability", "both_ways"], [
            ["centre_119", "fire_brigade", "command", "radio", "10", "", "", ""],
            ["street_S1", "centre_119", "report", "phone", "30", "90", "0.95", ""]]),
    }


def district_doc(path: Path) -> dict:
    """A district file as the loader reads it (its grid table filled in as ``city.explicit.grids``)."""
    from scenarios.loader import read_document
    from scenarios.yamlsrc import to_plain

    return to_plain(read_document(path))
