"""``linkage district import``: each GIS format and each CRS gives the same district; bad input is one line.

The grids are nine 400 m squares near Shanghai Putuo written by geopandas/pyogrio in the test; the same
squares in another CRS are the WGS-84 squares converted with PROJ or the GCJ-02 offset, so an import
that reads the CRS right must land every grid on the same metres.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenarios.yamlsrc import load_file, to_plain
from tests.district_data import district_doc, small_tables, square_grid_layer, write_layer


def _import(cli, tmp: Path, *args) -> tuple[object, Path]:
    out = tmp / "out" / "d.yaml"
    r = cli("district", "import", "--name", "d", "--out", out, *args)
    return r, out


def _grids(out: Path) -> dict[str, dict]:
    return {g["id"]: g for g in district_doc(out)["city"]["explicit"]["grids"]}


@pytest.mark.parametrize("suffix", [".geojson", ".shp", ".gpkg"])
def test_each_format_gives_the_same_grids(cli, tmp_path, suffix) -> None:
    """GeoJSON, Shapefile and GeoPackage of one layer import to the same ids, households and metres."""
    gdf = square_grid_layer()
    r, out = _import(cli, tmp_path, "--grids", write_layer(gdf, tmp_path / f"g{suffix}"))
    assert r.returncode == 0, r.stderr
    grids = _grids(out)
    assert sorted(grids) == sorted(gdf["grid_id"])
    assert [grids[i]["households"] for i in gdf["grid_id"]] == list(gdf["households"])
    assert to_plain(load_file(out))["city"]["explicit"]["source"]["crs"] == "EPSG:4326"
    # 400 m squares: neighbouring centroids 400 m apart (north–south) in the UTM metres
    assert grids["G10"]["y"] - grids["G00"]["y"] == pytest.approx(400, abs=2)
    assert (out.parent / "d.grids.parquet").is_file()


def _converted(gdf, fn):
    import shapely

    out = gdf.copy()
    out["geometry"] = shapely.transform(gdf.geometry.values, fn)
    return out


@pytest.mark.parametrize("crs", ["cgcs2000", "gcj02", "EPSG:4549"])
def test_each_crs_lands_on_the_same_metres(cli, tmp_path, crs) -> None:
    """The layer written in CGCS2000, GCJ-02 (the offset applied with coordTransform) or CGCS2000
    Gauss–Krüger (EPSG:4549) imports to the WGS-84 import's x/y within 5 cm, and records its CRS."""
    import coordTransform as ct
    from pyproj import Transformer

    gdf = square_grid_layer()
    r, ref = _import(cli, tmp_path / "ref", "--grids", write_layer(gdf, tmp_path / "ref.gpkg"))
    assert r.returncode == 0, r.stderr
    if crs == "gcj02":
        moved = _converted(gdf, lambda xy: np.column_stack(ct.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
        path, flags = write_layer(moved, tmp_path / "gcj.geojson"), ["--crs", "gcj02"]
    elif crs == "cgcs2000":
        path, flags = write_layer(gdf.set_crs("EPSG:4490", allow_override=True), tmp_path / "c.gpkg"), []
    else:
        t = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
        moved = _converted(gdf, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        path, flags = write_layer(moved.set_crs("EPSG:4549", allow_override=True), tmp_path / "gk.shp"), []
    r, out = _import(cli, tmp_path, "--grids", path, *flags)
    assert r.returncode == 0, r.stderr
    a, b = _grids(ref), _grids(out)
    for gid in a:
        assert (b[gid]["x"], b[gid]["y"]) == pytest.approx((a[gid]["x"], a[gid]["y"]), abs=0.05 + 0.1)  # 0.1: rounding
    label = {"cgcs2000": "EPSG:4490", "gcj02": "GCJ-02", "EPSG:4549": "EPSG:4549"}[crs]
    assert to_plain(load_file(out))["city"]["explicit"]["source"]["crs"] == label


def test_gcj02_unconverted_would_be_hundreds_of_metres_off(cli, tmp_path) -> None:
    """The same GCJ-02 file read as WGS-84 lands ~500 m away: the conversion above is doing the work."""
    import coordTransform as ct

    gdf = square_grid_layer()
    moved = _converted(gdf, lambda xy: np.column_stack(ct.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    _, ref = _import(cli, tmp_path / "ref", "--grids", write_layer(gdf, tmp_path / "ref.geojson"))
    r, out = _import(cli, tmp_path, "--grids", write_layer(moved, tmp_path / "gcj.geojson"))
    assert r.returncode == 0
    a, b = _grids(ref)["G00"], _grids(out)["G00"]
    assert np.hypot(a["x"] - b["x"], a["y"] - b["y"]) > 300


def test_tables_make_agencies_stations_rosters_and_channels(cli, tmp_path) -> None:
    """Stations from lon/lat land in the grid that holds them; rosters set desk staff; contacts are channels."""
    t = small_tables(tmp_path)
    r, out = _import(cli, tmp_path, "--grids", write_layer(square_grid_layer(), tmp_path / "g.geojson"),
                     "--agencies", t["agencies"], "--stations", t["stations"], "--rosters", t["rosters"],
                     "--contacts", t["contacts"])
    assert r.returncode == 0, r.stderr
    doc = to_plain(load_file(out))
    st = {s["id"]: s for s in doc["stations"]}
    assert st["fs1"]["grid"] == "G11" and st["so1"]["grid"] == "G00"
    desk = {a["id"]: a["desk"] for a in doc["agencies"]}
    assert (desk["centre_119"]["staff"], desk["centre_119"]["night_staff"]) == (5, 3)
    assert {(u["kind"], u["count"], u["turnout"]) for u in doc["units"] if u["station"] == "fs1"} == {
        ("engine", 2, 60.0), ("ladder", 1, 60)}  # ladder: the default district's turnout for its kind
    assert doc["channels"][1]["latency"] == {"dist": "lognormal", "median": 30.0, "p90": 90.0}
    assert doc["agencies"][1]["name"] == {"zh": "消防救援支队", "en": "Fire brigade"}


def test_shipped_templates_are_the_tables_the_import_reads(cli, tmp_path) -> None:
    """Every shipped template (en and zh headers, CSV and XLSX) reads as an empty table of its kind, and
    ``linkage district templates`` writes the same headers."""
    import csv

    from simulation.district.tables import TABLES, read_table
    from tests.helpers import ROOT

    shipped = ROOT / "simulation" / "district" / "templates"
    r = cli("district", "templates", tmp_path / "t")
    assert r.returncode == 0, r.stderr
    for lang in ("en", "zh"):
        for table in TABLES:
            for ext in ("csv", "xlsx"):
                assert read_table(shipped / lang / f"{table}.{ext}", table) == []
            with (shipped / lang / f"{table}.csv").open(encoding="utf-8-sig") as a, \
                    (tmp_path / "t" / lang / f"{table}.csv").open(encoding="utf-8-sig") as b:
                assert next(csv.reader(a)) == next(csv.reader(b))
    with (shipped / "zh" / "stations.csv").open(encoding="utf-8-sig") as f:
        assert next(csv.reader(f))[:2] == ["编号", "所属单位"]


def test_a_boundary_file_is_cut_into_grids(cli, tmp_path) -> None:
    """A district outline (the nine squares dissolved, GeoPackage) and 9,360 residents at 2.6 per household
    (3,600 households): 9 grids of ~400 households, ids prefixed with the district's name, recorded as cut."""
    import geopandas as gpd

    outline = gpd.GeoDataFrame(geometry=[square_grid_layer().union_all()], crs="EPSG:4326")
    r, out = _import(cli, tmp_path, "--boundary", write_layer(outline, tmp_path / "b.gpkg"), "--population",
                     "9360", "--streets", "3")
    assert r.returncode == 0, r.stderr
    grids = district_doc(out)["city"]["explicit"]["grids"]
    assert sum(g["households"] for g in grids) == 3600
    assert 7 <= len(grids) <= 11 and all(g["id"].startswith("d-S") for g in grids)
    src = to_plain(load_file(out))["city"]["explicit"]["source"]
    assert src["tessellated"] is True and any("uniform density" in n for n in src["illustrative"])
    r, _ = _import(cli, tmp_path / "x", "--boundary", tmp_path / "b.gpkg")
    assert r.returncode == 1 and "needs the district's population" in r.stderr


def test_numeric_grid_codes_become_ids(cli, tmp_path) -> None:
    """A numeric code column (网格编码 310107001…, stored as a number) gives ids G310107001…; the code's digits
    are kept whole even when the file stores them as floating point."""
    gdf = square_grid_layer().drop(columns=["grid_id"])
    gdf["网格编码"] = [310107001.0 + k for k in range(len(gdf))]
    r, out = _import(cli, tmp_path, "--grids", write_layer(gdf, tmp_path / "g.gpkg"))
    assert r.returncode == 0, r.stderr
    assert sorted(_grids(out)) == [f"G{310107001 + k}" for k in range(9)]
