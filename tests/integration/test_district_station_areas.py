"""Imported station areas (辖区): ``linkage district import --station-areas FILE`` takes a polygon layer with a
station id column and writes each grid's station area; the engine's station areas (``dispatch.areas``)
then follow it instead of the nearest-station rule.

The test builds everything: 4 × 3 square grids of 400 m (rows are streets S1–S4), two fire stations —
``fs1`` in the south-west corner grid G00, ``fs2`` in the north-east corner grid G32 — and an area layer
drawn by the test: ``fs1``'s area the three southern rows, ``fs2``'s the northern row. Grid G22 lies one
grid from ``fs2`` and √8 grids from ``fs1``: by the nearest-station rule it is ``fs2``'s, by the imported
layer ``fs1``'s. Bad input (a station id the stations table lacks, two areas that overlap, no station id
column): one line naming file, feature and field, exit 1, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from tests.district_data import DEG_PER_M_LAT, LAT0, LON0, small_tables, square_grid_layer, write_layer, write_xlsx

SIDE = 400.0
DLAT = SIDE * DEG_PER_M_LAT
DLON = DLAT / 0.8549  # cos(31.24°): the same degrees of longitude per grid as square_grid_layer


def _rows(first: int, last: int):
    """A box over grid rows ``first``..``last`` (all three columns), a hair inside the layer's outer edge."""
    return box(LON0 + 1e-7, LAT0 + first * DLAT + 1e-7, LON0 + 3 * DLON - 1e-7, LAT0 + (last + 1) * DLAT - 1e-7)


def _areas(path: Path, features: list[tuple[str, object]], column: str = "station_id") -> Path:
    gdf = gpd.GeoDataFrame({column: [s for s, _ in features]}, geometry=[g for _, g in features], crs="EPSG:4326")
    return write_layer(gdf, path)


def _inputs(tmp: Path) -> list:
    t = small_tables(tmp)
    stations = write_xlsx(tmp / "two_stations.xlsx", ["id", "agency", "name_zh", "name_en", "lon", "lat", "grid",
                                                      "units"], [
        ["fs1", "fire_brigade", "一中队", "Station 1", None, None, "G00", "engine:1@60"],
        ["fs2", "fire_brigade", "二中队", "Station 2", None, None, "G32", "engine:1@60"],
        ["so1", "street_S1", "街道办", "Street office", None, None, "G00", "street_staff:3"],
    ])
    return ["--grids", write_layer(square_grid_layer(4, 3), tmp / "g.geojson"), "--agencies", t["agencies"],
            "--stations", stations]


def _engine_areas(district: Path) -> dict[str, str]:
    """Grid → the station of its engine area, as the engine builds it with ``dispatch.areas`` on."""
    from scenarios.schema import AreaRule
    from simulation.district.summary import load_district
    from simulation.model.world import build_world

    sc, _ = load_district(district)
    sc = sc.model_copy(update={"dispatch": sc.dispatch.model_copy(update={"areas": AreaRule()})})
    world = build_world(sc)
    station_at_row = {u.station_row: u.station for u in world.units}
    return {g: station_at_row[int(r)] for g, r in zip(world.citymap.grid_ids, world.areas.area_row["engine"])}


def test_imported_areas_are_written_and_followed_by_the_engine(cli, tmp_path) -> None:
    from tests.district_data import district_doc

    args = _inputs(tmp_path)
    plain = tmp_path / "plain" / "d.yaml"
    assert cli("district", "import", "--name", "d", "--out", plain, *args).returncode == 0
    nearest = _engine_areas(plain)
    assert nearest["G22"] == "fs2" and nearest["G00"] == "fs1"  # the nearest-station rule

    areas = _areas(tmp_path / "areas.gpkg", [("fs1", _rows(0, 2)), ("fs2", _rows(3, 3))])
    out = tmp_path / "with" / "d.yaml"
    r = cli("district", "import", "--name", "d", "--out", out, *args, "--station-areas", areas)
    assert r.returncode == 0, r.stderr
    grids = {g["id"]: g.get("station_area") for g in district_doc(out)["city"]["explicit"]["grids"]}
    assert grids == {f"G{r}{c}": ("fs1" if r < 3 else "fs2") for r in range(4) for c in range(3)}
    followed = _engine_areas(out)
    assert followed["G22"] == "fs1"  # the bureau's own line, not the nearer station
    assert followed == grids
    shown = cli("district", "show", out)
    assert "12 of 12 grids, 2 stations (imported)" in shown.stdout, shown.stdout
    assert "nearest station (not imported)" in cli("district", "show", plain).stdout


def _refused(r, out: Path, *parts: str) -> None:
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert all(p in lines[0] for p in parts), lines[0]
    assert not out.parent.exists() or not any(out.parent.iterdir())


@pytest.mark.parametrize(("features", "column", "parts"), [
    ([("fs1", _rows(0, 2)), ("fs9", _rows(3, 3))], "station_id",
     ("areas.geojson", "features[1].station_id", "station 'fs9' is not in the stations table")),
    ([("fs1", _rows(0, 2)), ("fs2", _rows(2, 3))], "站点编码",
     ("areas.geojson", "features[1].geometry", "overlaps feature 0 ('fs1')")),
    ([("fs1", _rows(0, 2))], "name", ("areas.geojson", "station id column", "no station id column")),
])
def test_bad_station_areas_are_refused(cli, tmp_path, features, column, parts) -> None:
    areas = _areas(tmp_path / "areas.geojson", features, column)
    out = tmp_path / "out" / "d.yaml"
    r = cli("district", "import", "--name", "d", "--out", out, *_inputs(tmp_path), "--station-areas", areas)
    _refused(r, out, *parts)


def test_a_district_file_naming_an_unknown_area_station_does_not_load(cli, tmp_path) -> None:
    """The grid table edited by hand (or a scenario that replaces the stations): the loader's check names the grid."""
    from pydantic import ValidationError

    from scenarios.schema import Scenario
    from simulation.district.probe import probe_document
    from tests.district_data import district_doc

    areas = _areas(tmp_path / "areas.gpkg", [("fs1", _rows(0, 2)), ("fs2", _rows(3, 3))])
    out = tmp_path / "with" / "d.yaml"
    assert cli("district", "import", "--name", "d", "--out", out, *_inputs(tmp_path), "--station-areas",
               areas).returncode == 0
    doc = probe_document(district_doc(out))
    Scenario.model_validate(doc)
    doc["stations"] = [s for s in doc["stations"] if s["id"] != "fs2"]
    doc["units"] = [u for u in doc["units"] if u["station"] != "fs2"]
    with pytest.raises(ValidationError, match="grid 'G30' is in the area of unknown station 'fs2'"):
        Scenario.model_validate(doc)
