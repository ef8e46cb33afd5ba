"""Scenarios on a district (``--district``, ``api.*(district=)``), fire-station coverage, responsibility lists."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scenarios.yamlsrc import load_file, to_plain
from tests.district_data import district_doc, write_layer, write_xlsx
from tests.helpers import FLAGSHIP, ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"


def test_placement_rule_keeps_the_relative_position() -> None:
    """An incident on a grid the district lacks goes to the district grid nearest the same fraction of the
    extent. Expected by hand: the flagship's fire grid in the demo lattice (48 grids, 7 columns of 400 m)."""
    from simulation.experiments import api

    sc0 = api.load(FLAGSHIP)
    inc = sc0.incidents[0]
    ids = sc0.city.grid_ids()
    k = ids.index(inc.grid)
    col, row = k % 7, k // 7
    frac = np.array([col / 6, row / 6])  # centroids span columns 0…6 and rows 0…6
    grids = district_doc(PUTUO)["city"]["explicit"]["grids"]
    xy = np.array([[g["x"], g["y"]] for g in grids])
    f = (xy - xy.min(axis=0)) / np.ptp(xy, axis=0)
    want = grids[int(np.argmin(np.hypot(*(f - frac).T)))]["id"]

    placed = api.on_district(FLAGSHIP, PUTUO)
    assert placed.scenario.incidents[0].grid == want
    assert len(placed.moves) == 1 and inc.grid in placed.moves[0] and want in placed.moves[0]


@pytest.mark.slow
def test_api_run_on_a_district_is_the_cli_run(cli, tmp_path) -> None:
    """``api.run(path, district=...)`` and ``linkage run --district`` give the same summary (same seed)."""
    from simulation.experiments import api

    res = api.run(FLAGSHIP, 2, 5, district=PUTUO)
    r = cli("run", FLAGSHIP, "--district", PUTUO, "-n", "2", "--seed", "5", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    on_disk = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert on_disk["metrics"] == json.loads(json.dumps(res.summary["metrics"]))
    _, world = api.prepare(FLAGSHIP, district=PUTUO)
    assert world.citymap.n == len(district_doc(PUTUO)["city"]["explicit"]["grids"])


@pytest.mark.slow
def test_set_puts_an_incident_on_a_chosen_grid(cli, tmp_path) -> None:
    import pyarrow.parquet as pq

    r = cli("run", FLAGSHIP, "--district", PUTUO, "-n", "1", "--set", "incidents.fire1.grid=putuo-S8-C1-G1",
            "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert pq.read_table(tmp_path / "o" / "incidents.parquet").column("grid").to_pylist() == ["putuo-S8-C1-G1"]


def test_not_a_district_file_is_refused(cli) -> None:
    r = cli("run", FLAGSHIP, "--district", FLAGSHIP, "-n", "1")
    assert r.returncode == 1
    assert r.stderr.strip() == f"{FLAGSHIP}: city.explicit: not a district file (no explicit city)"


def _strip_layer(n: int = 10, side_m: float = 1000.0):
    """n squares of ``side_m`` in a west–east row, in UTM zone 51 metres (EPSG:32651)."""
    import geopandas as gpd
    from shapely.geometry import box

    x0, y0 = 340_000.0, 3_460_000.0
    return gpd.GeoDataFrame([{"grid_id": f"G{k}", "street": "S1", "households": 400} for k in range(n)],
                            geometry=[box(x0 + k * side_m, y0, x0 + (k + 1) * side_m, y0 + side_m) for k in range(n)],
                            crs="EPSG:32651")


def test_show_coverage_by_hand(cli, tmp_path) -> None:
    """Ten 1 km squares in a row, one fire station in the first, straight line × 1.2 at 30 km/h: grid k is
    k km away, 144·k s. Within 5 min: k ≤ 2 (3 of 10); within 10 min: k ≤ 4 (5 of 10)."""
    from tests.district_data import write_csv

    layer = write_layer(_strip_layer(), tmp_path / "strip.gpkg")
    agencies = write_csv(tmp_path / "a.csv", ["id", "role"], [["fire_brigade", "fire"]])
    stations = write_csv(tmp_path / "s.csv", ["id", "agency", "grid", "units"], [["fs1", "fire_brigade", "G0",
                                                                                 "engine:1"]])
    out = tmp_path / "d" / "strip.yaml"
    r = cli("district", "import", "--name", "strip", "--out", out, "--grids", layer, "--agencies", agencies,
            "--stations", stations)
    assert r.returncode == 0, r.stderr
    s = json.loads(cli("district", "show", out, "--json").stdout)
    assert 1000 * 1.2 / (30 / 3.6) == pytest.approx(144)
    assert (s["fire_within_5_min"], s["fire_within_10_min"]) == (0.3, 0.5)
    assert (s["grids"], s["households"], s["fire_stations"]) == (10, 4000, 1)
    text = cli("district", "show", out).stdout
    assert "30.0%" in text and "50.0%" in text and "5分钟消防覆盖" in text
    assert math.isclose(s["population"], round(4000 * 2.6))


def test_responsibility_list_round_trips_a_bundled_arrangement(tmp_path) -> None:
    """territorial_lead laid out as a 权责清单 workbook reads back to the same assignments and settings."""
    from simulation.district.examples.make_putuo_tables import responsibility_workbook
    from simulation.district.responsibility import read_responsibility

    src = ROOT / "agencies" / "arrangements" / "territorial_lead.yaml"
    book = tmp_path / "r.xlsx"
    responsibility_workbook(src, book)
    got = read_responsibility(book, "t")
    want = to_plain(load_file(src))
    for key in ("relay", "fan_out", "grid_model", "dispatch", "command_post", "intake_direct"):
        assert got[key] == want[key], key
    for name, it in want["incident_types"].items():
        assert got["incident_types"][name]["lead"] == it["lead"]
        assert got["incident_types"][name].get("informed", []) == it.get("informed", [])
        for task, t in it["tasks"].items():
            for k in ("lead", "assist", "informed"):
                assert sorted(got["incident_types"][name]["tasks"][task].get(k, [])) == sorted(t.get(k, [])), task


@pytest.mark.parametrize("header, cell, part", [
    (["事件类型", "任务名", "fire"], "牵头", "task: missing column 'task' (found '任务名': misspelled?)"),
    (["incident_type", "task", "firemen"], "lead", "column 3: 'firemen' is neither a role nor an agency"),
    (["incident_type", "task", "fire"], "maybe", "r.xlsx:2: fire: 'maybe' is not lead/牵头"),
])
def test_bad_responsibility_list(cli, tmp_path, header, cell, part) -> None:
    from tests.district_data import square_grid_layer

    book = write_xlsx(tmp_path / "r.xlsx", header, [["high_rise_fire", "fire_attack", cell]])
    out = tmp_path / "o" / "d.yaml"
    r = cli("district", "import", "--name", "d", "--out", out, "--grids",
            write_layer(square_grid_layer(), tmp_path / "g.geojson"), "--responsibility", book)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert part in r.stderr
    assert not out.parent.exists()


def test_validate_knows_a_district_file(cli, tmp_path) -> None:
    """``linkage validate`` checks a district file as the base of scenarios, and refuses a broken one."""
    r = cli("validate", PUTUO)
    assert r.returncode == 0 and "(district" in r.stdout
    broken = tmp_path / "d.yaml"
    broken.write_text(PUTUO.read_text(encoding="utf-8").replace("agency: fire_brigade", "agency: fire_brigad", 1)
                      .replace("grids_file: putuo_district.grids.parquet",
                               f"grids_file: {PUTUO.with_name('putuo_district.grids.parquet')}"), encoding="utf-8")
    r = cli("validate", broken)
    assert r.returncode == 1 and "unknown agency 'fire_brigad'" in r.stderr


@pytest.mark.slow
def test_compare_metric_probe_runs_on_the_district(cli) -> None:
    """``compare -m`` probes one replication for the metric names on the *district* scenario: a fire put on a
    grid only the district has (``--set``) must not be refused by a probe run on the scenario's own city."""
    r = cli("compare", FLAGSHIP, "--district", PUTUO, "-a", "sectoral_lead", "-a", "territorial_lead", "-n", "2",
            "--set", "incidents.fire1.grid=putuo-S8-C1-G1", "-m", "handoff_gap_total")
    assert r.returncode == 0, r.stderr
    assert "handoff_gap_total" in r.stdout
