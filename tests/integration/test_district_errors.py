"""Bad district input: one line naming file, feature (id or index) or row, and field; exit 1; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Polygon, box

from tests.district_data import (
    LAT0,
    LON0,
    small_tables,
    square_grid_layer,
    write_csv,
    write_layer,
    write_osm_lattice,
    write_xlsx,
)


def _refused(r, out: Path, *parts: str) -> str:
    """Exit 1, exactly one stderr line holding every part, and no file left in the output folder."""
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for p in parts:
        assert p in lines[0], lines[0]
    assert "Traceback" not in r.stderr
    assert not out.parent.exists() or not any(out.parent.iterdir())
    return lines[0]


def _run(cli, tmp: Path, *args):
    out = tmp / "out" / "d.yaml"
    return cli("district", "import", "--name", "d", "--out", out, *args), out


def test_self_intersecting_grid(cli, tmp_path) -> None:
    gdf = square_grid_layer()
    x0, y0, x1, y1 = gdf.geometry[1].bounds
    gdf.loc[1, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # a bow tie
    r, out = _run(cli, tmp_path, "--grids", write_layer(gdf, tmp_path / "g.geojson"))
    _refused(r, out, "g.geojson", "features[G01].geometry", "Self-intersection", "feature index 1")


def test_overlapping_grids(cli, tmp_path) -> None:
    gdf = square_grid_layer()
    x0, y0, x1, y1 = gdf.geometry[1].bounds
    gdf.loc[1, "geometry"] = box(x0 - (x1 - x0) / 2, y0, x1, y1)  # half over G00
    r, out = _run(cli, tmp_path, "--grids", write_layer(gdf, tmp_path / "g.gpkg"))
    _refused(r, out, "g.gpkg", "features[G01].geometry", "overlaps grid 'G00'")


def test_missing_id_column(cli, tmp_path) -> None:
    gdf = square_grid_layer().rename(columns={"grid_id": "code_of_grid"})
    r, out = _run(cli, tmp_path, "--grids", write_layer(gdf, tmp_path / "g.geojson"))
    _refused(r, out, "g.geojson", "id column", "no grid id column", "code_of_grid")


def test_shapefile_without_crs(cli, tmp_path) -> None:
    shp = write_layer(square_grid_layer(), tmp_path / "g.shp")
    shp.with_suffix(".prj").unlink()
    r, out = _run(cli, tmp_path, "--grids", shp)
    _refused(r, out, "g.shp", "crs", "unknown CRS")


def test_unknown_crs_flag(cli, tmp_path) -> None:
    r, out = _run(cli, tmp_path, "--grids", write_layer(square_grid_layer(), tmp_path / "g.geojson"), "--crs", "bd09")
    _refused(r, out, "--crs", "unknown CRS 'bd09'")


def test_station_outside_the_district(cli, tmp_path) -> None:
    t = small_tables(tmp_path, station_lonlat=(LON0 + 0.05, LAT0 + 0.05))
    r, out = _run(cli, tmp_path, "--grids", write_layer(square_grid_layer(), tmp_path / "g.geojson"),
                  "--agencies", t["agencies"], "--stations", t["stations"])
    _refused(r, out, "stations.xlsx:2", "stations.lon", "station 'fs1'", "outside the district")


def test_road_graph_in_pieces_leaves_a_grid_unreachable(cli, tmp_path) -> None:
    """A grid 5 km away whose only road is an island piece cannot be reached from the main network."""
    import geopandas as gpd
    import pandas as pd

    gdf = square_grid_layer()
    far = gpd.GeoDataFrame([{"grid_id": "GFAR", "street": "S1", "community": "S1-C1", "households": 400}],
                           geometry=[box(LON0 + 0.059, LAT0 + 0.059, LON0 + 0.062, LAT0 + 0.062)], crs="EPSG:4326")
    layer = pd.concat([gdf, far], ignore_index=True)
    osm = write_osm_lattice(tmp_path / "r.osm", island=True)
    r, out = _run(cli, tmp_path, "--grids", write_layer(layer, tmp_path / "g.geojson"), "--roads", osm)
    line = _refused(r, out, "r.osm", "grids[GFAR].road_node", "2 piece(s)", "cannot be reached by road")
    assert "GFAR" in line


def test_xlsx_with_a_misspelled_header(cli, tmp_path) -> None:
    t = small_tables(tmp_path)
    bad = write_xlsx(tmp_path / "stations_bad.xlsx", ["id", "agensy", "lon", "lat", "units"],
                     [["fs1", "fire_brigade", LON0 + 0.006, LAT0 + 0.005, "engine:1"]])
    r, out = _run(cli, tmp_path, "--grids", write_layer(square_grid_layer(), tmp_path / "g.geojson"),
                  "--agencies", t["agencies"], "--stations", bad)
    _refused(r, out, "stations_bad.xlsx:1", "column B", "'agensy'", "did you mean 'agency'")


def test_roster_naming_an_unknown_agency(cli, tmp_path) -> None:
    t = small_tables(tmp_path)
    rosters = write_csv(tmp_path / "rosters_bad.csv", ["agency", "shift", "staff"],
                        [["centre_119", "day", "4"], ["centre_911", "night", "2"]])
    r, out = _run(cli, tmp_path, "--grids", write_layer(square_grid_layer(), tmp_path / "g.geojson"),
                  "--agencies", t["agencies"], "--rosters", rosters)
    _refused(r, out, "rosters_bad.csv:3", "rosters.agency", "unknown agency 'centre_911'")


@pytest.mark.parametrize("role, part", [("firefighters", "unknown role 'firefighters'")])
def test_agency_with_an_unknown_role(cli, tmp_path, role, part) -> None:
    agencies = write_csv(tmp_path / "a.csv", ["id", "role"], [["fire_brigade", role]])
    r, out = _run(cli, tmp_path, "--grids", write_layer(square_grid_layer(), tmp_path / "g.geojson"),
                  "--agencies", agencies)
    _refused(r, out, "a.csv:2", "agencies.role", part)


def test_a_good_import_after_a_bad_one_writes_everything(cli, tmp_path) -> None:
    """The refusals above leave nothing; the same folder then takes a good import whole."""
    g = write_layer(square_grid_layer(), tmp_path / "g.geojson")
    r, out = _run(cli, tmp_path, "--grids", g, "--crs", "bd09")
    assert r.returncode == 1
    r, out = _run(cli, tmp_path, "--grids", g)
    assert r.returncode == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["d.grids.parquet", "d.yaml"]
