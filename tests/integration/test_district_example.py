"""The bundled example district (Shanghai Putuo): rebuilt from its tables, cut right, and running the flagships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.district_data import district_doc
from tests.helpers import BUNDLED_SCENARIOS, ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"
EXAMPLE = ROOT / "simulation" / "district" / "examples" / "putuo"
FLAGSHIPS = [p for p in BUNDLED_SCENARIOS if p.stem in ("high_rise_fire", "chemical_leak", "crowd_crush")]
IMPORT_ARGS = ["--admin", "上海市/普陀区", "--population", "1240000", "--persons-per-household", "2.32",
               "--streets", "8", "--agencies", EXAMPLE / "agencies.csv", "--stations", EXAMPLE / "stations.xlsx",
               "--rosters", EXAMPLE / "rosters.csv", "--contacts", EXAMPLE / "contacts.csv", "--table-crs", "wgs84",
               "--responsibility", EXAMPLE / "responsibility.xlsx"]


@pytest.mark.slow
def test_bundled_district_rebuilds_from_its_tables(cli, tmp_path) -> None:
    """The README's import command gives the bundled district's grids, agencies, stations, units and channels."""
    out = tmp_path / "putuo_district.yaml"
    r = cli("district", "import", "--name", "putuo", "--out", out, *IMPORT_ARGS, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    new, old = district_doc(out), district_doc(PUTUO)
    for key in ("agencies", "stations", "units", "channels"):
        assert new[key] == old[key], key
    assert new["city"]["explicit"]["grids"] == old["city"]["explicit"]["grids"]


@pytest.mark.slow
def test_putuo_outline_and_tessellation() -> None:
    """The outline's area is Putuo's official 54.83 km² (上海市普陀区人民政府, 区情) within 2 %; the grids
    tile it exactly, without overlap; households add up to population ÷ 2.32 (Shanghai's 2020-census
    household size) and average 300–500 per grid (domain.md's urban community grid)."""
    import geopandas as gpd
    import shapely

    from simulation.district.grids import admin_boundary, read_boundary

    _, outline, crs, projected = read_boundary(admin_boundary("上海市/普陀区"), "gcj02")
    assert (crs.label, projected) == ("GCJ-02", "EPSG:32651")
    assert shapely.area(outline) / 1e6 == pytest.approx(54.83, rel=0.02)
    cells = gpd.read_parquet(PUTUO.with_name("putuo_district.grids.parquet")).to_crs(projected)
    assert cells.area.sum() == pytest.approx(shapely.area(outline), rel=1e-6)
    g = cells.geometry.values
    a, b = shapely.STRtree(g).query(g, predicate="intersects")
    shared = shapely.area(shapely.intersection(g[a[a < b]], g[b[a < b]]))
    assert shared.max() < 1e-3  # m²: neighbours share borders only (float noise of the WGS-84 round trip)
    grids = district_doc(PUTUO)["city"]["explicit"]["grids"]
    hh = np.array([g["households"] for g in grids])
    assert hh.sum() == round(1_240_000 / 2.32)
    assert 300 <= hh.mean() <= 500


def test_show_summarises_the_bundled_district(cli) -> None:
    r = cli("district", "show", PUTUO, "--json")
    assert r.returncode == 0, r.stderr
    import json

    s = json.loads(r.stdout)
    doc = district_doc(PUTUO)
    assert s["grids"] == len(doc["city"]["explicit"]["grids"]) and s["streets"] == 8
    assert s["fire_stations"] == 4 and s["source_crs"] == "GCJ-02"
    assert 0 < s["fire_within_5_min"] < s["fire_within_10_min"] <= 1
    assert any("not real addresses" in n for n in s["illustrative"])


@pytest.mark.slow
@pytest.mark.parametrize("flagship", FLAGSHIPS, ids=lambda p: p.stem)
def test_flagships_run_on_the_bundled_district(cli, tmp_path, flagship: Path) -> None:
    """Each flagship runs on Putuo: its incident is placed by relative position (said on stderr) and the
    run's incidents table names the Putuo grid."""
    import pyarrow.parquet as pq

    out = tmp_path / "run"
    r = cli("run", flagship, "--district", PUTUO, "-n", "2", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "same relative position" in r.stderr
    grids = set(pq.read_table(out / "incidents.parquet").column("grid").to_pylist())
    assert grids and all(g.startswith("putuo-") for g in grids)


@pytest.mark.slow
def test_compare_and_sweep_take_the_district(cli, tmp_path) -> None:
    flagship = FLAGSHIPS[0]
    r = cli("compare", flagship, "--district", PUTUO, "-a", "sectoral_lead", "-a", "territorial_lead", "-n", "2")
    assert r.returncode == 0, r.stderr
    r = cli("sweep", flagship, "--district", PUTUO, "--vary", "arrangement=sectoral_lead,territorial_lead",
            "-n", "1", "--workers", "1", "--out", tmp_path / "sw")
    assert r.returncode == 0, r.stderr
    assert "2 points done" in r.stdout
