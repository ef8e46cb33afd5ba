"""The responsibility-list workbook (权责清单) both ways: ``linkage district export`` lays an arrangement out
as a workbook, ``linkage district import --responsibility`` reads it back — including the hidden-hazard
list (隐患权责清单, the arrangement's ``hazard_categories``), a task's own dispatch rule and dispatch on the
alarm, the title and doctrine, and the order of several leads (the first claimant of a 职能交叉 hazard is
the one a dispatcher sends it to first: ``doctrine.HazardRouting``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agencies.arrangement import Arrangement
from scenarios.loader import bundled_arrangements, load_arrangement
from tests.district_data import square_grid_layer, write_layer

PARTIES = ["fire", "street_office", "emergency_bureau", "health", "market_regulation"]


def workbook(path: Path, hazards: list[list[str]], header: str = "隐患类别") -> Path:
    """A hand-made list: one incident type's matrix, a hidden-hazard sheet, settings."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "权责清单"
    ws.append(["事件类型", "任务", *PARTIES])
    ws.append(["high_rise_fire", "整体", "牵头", "", "知会", "", ""])
    ws.append(["high_rise_fire", "fire_attack", "牵头", "协助", "", "", ""])
    hz = wb.create_sheet("隐患权责清单")
    hz.append([header, *PARTIES])
    for row in hazards:
        hz.append(row)
    st = wb.create_sheet("设置")
    st.append(["key", "value"])
    st.append(["relay", "street_office"])
    wb.save(path)
    return path


HAZARDS = [
    ["production", "", "牵头", "协助", "", ""],
    ["occupational_health", "", "", "牵头2", "牵头1", ""],  # 职能交叉: the health commission first
    ["other", "", "", "", "", ""],  # 权属不清: listed for nobody
]


@pytest.mark.parametrize("name", [p.stem for p in bundled_arrangements()])
def test_every_bundled_arrangement_survives_the_workbook(cli, tmp_path, name) -> None:
    """YAML → ``linkage district export`` → read back: the same arrangement, field by field (name aside)."""
    from simulation.district.responsibility import read_responsibility

    book = tmp_path / f"{name}.xlsx"
    r = cli("district", "export", name, "--out", book)
    assert r.returncode == 0, r.stderr
    want = load_arrangement(name)
    got = Arrangement.model_validate(read_responsibility(book, want.name))
    assert got == want


def test_hidden_hazard_list_is_read_in_order_and_round_trips(tmp_path) -> None:
    """import → export → import gives the same document; the hazard list as written by hand."""
    from simulation.district.responsibility import read_responsibility, write_responsibility

    first = read_responsibility(workbook(tmp_path / "a.xlsx", HAZARDS), "mine")
    assert first["hazard_categories"] == {
        "production": {"lead": ["street_office"], "assist": ["emergency_bureau"]},
        "occupational_health": {"lead": ["health", "emergency_bureau"]},
        "other": {},
    }
    arr = Arrangement.model_validate(first)
    assert arr.hazard_categories["other"].lead == [] and "other" in arr.hazard_categories
    second = read_responsibility(write_responsibility(first, tmp_path / "b.xlsx"), "mine")
    assert second == first


def test_export_lays_the_hazard_list_out_as_its_own_sheet(cli, tmp_path) -> None:
    from openpyxl import load_workbook

    book = tmp_path / "a.xlsx"
    assert cli("district", "export", "ambiguous", "--out", book).returncode == 0
    wb = load_workbook(book, read_only=True)
    assert wb.sheetnames == ["权责清单", "隐患权责清单", "设置"]
    rows = [[c or "" for c in r] for r in wb["隐患权责清单"].iter_rows(values_only=True)]
    head, by = rows[0], {r[0]: r for r in rows[1:]}
    assert head[0] == "隐患类别"
    assert by["occupational_health"][head.index("health")] == "牵头1"
    assert by["occupational_health"][head.index("emergency_bureau")] == "牵头2"
    assert not any(by["other"][1:])
    r = cli("district", "export", "ambiguous", "--out", tmp_path / "a.csv")
    assert r.returncode == 1 and "expected an .xlsx file name" in r.stderr


def test_district_import_writes_the_hazard_list_into_the_arrangement(cli, tmp_path) -> None:
    from scenarios.yamlsrc import load_file, to_plain

    out = tmp_path / "o" / "d.yaml"
    r = cli("district", "import", "--name", "d", "--out", out, "--grids",
            write_layer(square_grid_layer(), tmp_path / "g.geojson"),
            "--responsibility", workbook(tmp_path / "r.xlsx", HAZARDS))
    assert r.returncode == 0, r.stderr
    arr = to_plain(load_file(out.with_name("d.arrangement.yaml")))
    assert arr["hazard_categories"]["occupational_health"] == {"lead": ["health", "emergency_bureau"]}


def test_the_putuo_example_carries_its_hazard_list() -> None:
    """The example's list is territorial_lead's: its hazard list included (production: street office leads)."""
    from simulation.district.examples.make_putuo_tables import HERE
    from simulation.district.responsibility import read_responsibility
    from tests.helpers import ROOT

    got = Arrangement.model_validate(read_responsibility(HERE / "responsibility.xlsx", "putuo_responsibility"))
    assert got.hazard_categories == load_arrangement("territorial_lead").hazard_categories
    shipped = load_arrangement(str(ROOT / "agencies" / "library" / "putuo_district.arrangement.yaml"))
    assert shipped.hazard_categories == got.hazard_categories and "production" in got.hazard_categories


@pytest.mark.parametrize("rows, header, part", [
    ([["fires", "牵头", "", "", "", ""]], "隐患类别", "[隐患权责清单]:2: category: 'fires' is not a hazard category"),
    ([["fire", "牵头", "", "", "", ""]], "类别", "[隐患权责清单]:1: category: the first column must be"),
    ([["fire", "maybe", "", "", "", ""]], "隐患类别", "[隐患权责清单]:2: fire: 'maybe' is not lead/牵头"),
    ([["fire", "牵头", "", "", "", ""], ["fire", "", "牵头", "", "", ""]], "隐患类别", "'fire' is listed twice"),
])
def test_bad_hazard_list(cli, tmp_path, rows, header, part) -> None:
    out = tmp_path / "o" / "d.yaml"
    r = cli("district", "import", "--name", "d", "--out", out, "--grids",
            write_layer(square_grid_layer(), tmp_path / "g.geojson"),
            "--responsibility", workbook(tmp_path / "r.xlsx", rows, header))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert part in r.stderr and "Traceback" not in r.stderr
    assert not out.parent.exists()
