"""``linkage calibrate`` through the installed console script: bad logs and 12345 exports refused in one line,
nothing written; one's own scenario gets its overlay beside it (issue 15, calibration from incident logs)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.helpers import ROOT, SCENARIO_LIBRARY, linkage

EXAMPLE = ROOT / "simulation" / "district" / "examples" / "routine_log" / "incident_log.csv"
ORDERS = EXAMPLE.with_name("workorder_log.csv")
SCENARIO = SCENARIO_LIBRARY / "routine_load.yaml"


def _rows(path: Path = EXAMPLE) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _refused(tmp_path: Path, rows: list[list[str]], where: str, *words: str, orders: bool = False) -> None:
    """The log (or, with ``orders``, the 12345 export beside the example log) is refused: exit 1, one stderr
    line starting with ``FILE:where`` and holding ``words``, and nothing at all written (no output folder, no
    overlay, no temporary file beside them)."""
    log = _write(tmp_path / ("orders.csv" if orders else "log.csv"), rows)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = (EXAMPLE, "--orders", log) if orders else (log,)
    r = linkage("calibrate", *args, "--scenario", SCENARIO, "--out", tmp_path / "out")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith(f"{log}:{where}"), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_misspelled_header_names_its_column(tmp_path) -> None:
    rows = _rows()[:50]
    rows[0][9] = "arival_time"
    _refused(tmp_path, rows, "1: column J:", "unknown incident_log column 'arival_time'", "did you mean 'arrival_time'")


def test_an_unparsable_time_names_row_and_column(tmp_path) -> None:
    rows = _rows()[:50]
    rows[6][7] = "2026-03-02 25:61:00"
    _refused(tmp_path, rows, "7: incident_log.dispatch_time:", "'2026-03-02 25:61:00' is not a time")


def test_an_arrival_before_the_call_is_refused(tmp_path) -> None:
    rows = _rows()[:50]
    rows[10][9] = "2026-03-01 23:00:00"  # the day before the call
    _refused(tmp_path, rows, "11: incident_log.arrival_time:", "is before call_time")


def test_a_unit_leaving_before_its_dispatch_is_refused(tmp_path) -> None:
    """出动时间 earlier than 调派时间: the turnout would be negative."""
    rows = _rows()[:50]
    assert rows[0][7:9] == ["dispatch_time", "left_time"]
    row = next(i for i, r in enumerate(rows) if i > 0 and r[6] < r[7])  # dispatched after the call
    rows[row][8] = rows[row][6]  # left at the call itself: not before the call, before the dispatch
    _refused(tmp_path, rows, f"{row + 1}: incident_log.left_time:", "is before dispatch_time")


def test_an_unknown_grid_is_refused(tmp_path) -> None:
    rows = _rows()[:50]
    rows[20][3] = "S9-C9-G9"
    _refused(tmp_path, rows, "21: incident_log.grid:", "unknown grid 'S9-C9-G9'")


def test_an_unknown_service_and_station_are_refused(tmp_path) -> None:
    rows = _rows()[:50]
    rows[3][1] = "118"
    _refused(tmp_path, rows, "4: incident_log.service:", "unknown service '118'")
    rows = _rows()[:50]
    fire = next(i for i, r in enumerate(rows) if r[1] == "119")
    rows[fire][5] = "ps1"  # a police station sends no engine
    _refused(tmp_path, rows, f"{fire + 1}: incident_log.station:", "station 'ps1' has no engine")


@pytest.mark.slow
def test_a_log_without_left_times_calibrates_the_rest_and_says_why_turnout_is_not(tmp_path) -> None:
    """The left_time column is optional: without it every other parameter is fitted, the overlay keeps the
    scenario's units, and the report says the turnout was not fitted and why (zh and en)."""
    rows = [r[:8] + r[9:] for r in _rows()]
    log = _write(tmp_path / "log.csv", rows)
    r = linkage("calibrate", log, "--scenario", SCENARIO, "--out", tmp_path / "out", "-n", "1")
    assert r.returncode == 0, r.stderr
    fit = json.loads((tmp_path / "out" / "fit.json").read_text(encoding="utf-8"))
    paths = {e["path"] for e in fit["estimates"]}
    assert not any(p.startswith("units[") for p in paths) and "dispatch.travel_factor_by_hour" in paths
    overlay = YAML(typ="safe").load((tmp_path / "out" / "routine_load.calibrated.yaml").read_text(encoding="utf-8"))
    assert "units" not in overlay and "dispatch" in overlay
    assert "the turnout is not fitted" in (tmp_path / "out" / "report.en.md").read_text(encoding="utf-8")
    zh = (tmp_path / "out" / "report.zh.md").read_text(encoding="utf-8")
    assert "出动时间未标定" in zh and "调派→出动" not in zh


def test_an_xlsx_log_with_chinese_headers_reads_like_the_csv(tmp_path) -> None:
    """The same rows under the zh template's headers in a workbook give the same records."""
    from openpyxl import Workbook

    from simulation.district.incident_log import read_incident_log

    rows = _rows()[:30]
    with (ROOT / "simulation" / "district" / "templates" / "zh" / "incident_log.csv").open(encoding="utf-8-sig") as f:
        zh = next(csv.reader(f))
    wb = Workbook()
    wb.active.append(zh)
    for r in rows[1:]:
        wb.active.append(r)
    wb.save(tmp_path / "log.xlsx")
    from_xlsx = read_incident_log(tmp_path / "log.xlsx")
    assert len(from_xlsx) == 29 and from_xlsx == read_incident_log(_write(tmp_path / "log.csv", rows))


@pytest.mark.slow
def test_own_scenario_gets_its_overlay_beside_it(tmp_path) -> None:
    """A scenario of one's own (not bundled): the overlay is written beside it and extends it by name, so
    ``linkage validate`` takes it; an ``--overlay`` in another folder would not load and is refused first."""
    own = tmp_path / "plans"
    own.mkdir()
    (own / "my_routine.yaml").write_text("extends: routine_load.yaml\nname: my_routine\n", encoding="utf-8")
    r = linkage("calibrate", EXAMPLE, "-s", own / "my_routine.yaml", "--out", tmp_path / "elsewhere" / "o",
                "--overlay", tmp_path / "my.calibrated.yaml")
    assert r.returncode == 1 and "--overlay" in r.stderr and "beside it" in r.stderr, r.stderr
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / "my.calibrated.yaml").exists()
    r = linkage("calibrate", EXAMPLE, "-s", own / "my_routine.yaml", "--out", tmp_path / "report", "-n", "1")
    assert r.returncode == 0, r.stderr
    overlay = own / "my_routine.calibrated.yaml"
    assert overlay.read_text(encoding="utf-8").count("extends: my_routine.yaml") == 1
    assert sorted(p.name for p in own.iterdir()) == ["my_routine.calibrated.yaml", "my_routine.yaml"]
    v = linkage("validate", overlay)
    assert v.returncode == 0, v.stderr
    assert {p.name for p in (tmp_path / "report").iterdir()} >= {"fit.json", "backtest.png", "report.en.md",
                                                                  "report.zh.md"}


def test_a_work_order_case_in_the_incident_log_points_to_the_export(tmp_path) -> None:
    """A 12345 request that goes by work order has no unit sent on a command: its times belong in --orders."""
    rows = _rows()[:50]
    rows[9][1:3] = ["12345", "hotline_listed"]
    _refused(tmp_path, rows, "10: incident_log.type:", "'hotline_listed' has no task that sends a unit",
             "--orders")


def test_an_export_with_a_misspelled_header_names_its_column(tmp_path) -> None:
    rows = _rows(ORDERS)[:40]
    assert rows[0][9] == "sign_time"
    rows[0][9] = "signed_time"
    _refused(tmp_path, rows, "1: column J:", "unknown workorder_log column 'signed_time'",
             "did you mean 'sign_time'", orders=True)


def test_an_unknown_status_in_the_export_is_refused(tmp_path) -> None:
    rows = _rows(ORDERS)[:40]
    rows[5][6] = "已转办"
    _refused(tmp_path, rows, "6: workorder_log.status:", "unknown status '已转办'", "signed/已签收", orders=True)


def test_an_order_signed_before_its_dispatch_is_refused(tmp_path) -> None:
    rows = _rows(ORDERS)[:40]
    row = next(i for i, r in enumerate(rows) if i > 0 and r[9])  # a signed order
    rows[row][9] = "2026-03-01 00:00:00"
    _refused(tmp_path, rows, f"{row + 1}: workorder_log.sign_time:", "is before dispatch_time", orders=True)


def test_an_export_naming_an_unknown_agency_is_refused(tmp_path) -> None:
    rows = _rows(ORDERS)[:40]
    rows[7][5] = "street_S9"
    _refused(tmp_path, rows, "8: workorder_log.agency:", "unknown agency 'street_S9'", orders=True)


def test_neither_log_nor_export_is_one_line(tmp_path) -> None:
    r = linkage("calibrate", "--scenario", SCENARIO, "--out", tmp_path / "out")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "--orders" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_the_engine_writes_the_templates_headers() -> None:
    """The engine's log and export (calibration_log, which may not import the district's tables) carry the
    very headers the district's reader and templates know."""
    from simulation.district.tables import TABLES
    from simulation.experiments.calibration_log import HEADERS

    for table, (en, zh) in HEADERS.items():
        assert en == tuple(TABLES[table]) and zh == tuple(z for z, _ in TABLES[table].values()), table
    assert tuple(_rows(ORDERS)[0]) == HEADERS["workorder_log"][0]


@pytest.mark.slow
def test_an_export_alone_fits_the_work_orders(tmp_path) -> None:
    """Without an incident log the 12345 export is fitted on its own window: only work-order parameters, the
    overlay's ``work_orders`` validates, and the report compares the held-out rejection shares."""
    r = linkage("calibrate", "--orders", ORDERS, "-s", SCENARIO, "--out", tmp_path / "out", "-n", "1")
    assert r.returncode == 0, r.stderr
    fit = json.loads((tmp_path / "out" / "fit.json").read_text(encoding="utf-8"))
    assert {e["path"].split(".")[0] for e in fit["estimates"]} == {"work_orders"} and fit["calls_fitted"] == 0
    assert fit["orders_fitted"] > 400 and fit["orders_held_out"] > 100
    v = linkage("validate", tmp_path / "out" / "routine_load.calibrated.yaml")
    assert v.returncode == 0, v.stderr
    en = (tmp_path / "out" / "report.en.md").read_text(encoding="utf-8")
    assert "| 12345 hotline | dispatch → sign |" in en and "| shared duties (listed with others) |" in en


@pytest.mark.slow
def test_on_an_imported_district_the_desks_and_turnouts_go_into_a_district_overlay(tmp_path) -> None:
    """``--district``: the log of the scenario on the bundled Putuo district (written by the engine there) is
    fitted on the district's grids, stations and agencies. The district brings its agencies and units, so the
    fitted desks and turnouts go into an overlay of the district (in --out: it is bundled), the rest into the
    scenario's; both validate, the pair runs, and each desk's and turnout's true value lies in its interval."""
    from simulation.experiments import api
    from simulation.experiments.calibration_log import engine_log, write_log
    from simulation.model.world import build_world

    putuo = ROOT / "agencies" / "library" / "putuo_district.yaml"
    own = tmp_path / "plans"
    own.mkdir()
    scenario = own / "small.yaml"
    scenario.write_text("extends: routine_load.yaml\nname: small_routine\nhorizon: 259200\nstreams:\n"
                        "  - {id: fires, rate_per_hour: 0.0015}\n  - {id: police, rate_per_hour: 0.004}\n"
                        "  - {id: medical, rate_per_hour: 0.0012}\n", encoding="utf-8")
    sc = api.on_district(scenario, putuo).scenario
    log = write_log(engine_log(sc, build_world(sc), 5), tmp_path / "log.csv")
    r = linkage("calibrate", log, "-s", scenario, "--district", putuo, "--out", tmp_path / "out", "-n", "1")
    assert r.returncode == 0, r.stderr
    mine, theirs = own / "small.calibrated.yaml", tmp_path / "out" / "putuo_district.calibrated.yaml"
    yaml = YAML(typ="safe")
    mine_doc, theirs_doc = (yaml.load(p.read_text(encoding="utf-8")) for p in (mine, theirs))
    assert theirs_doc["extends"] == "putuo_district.yaml" and {"agencies", "units"} <= set(theirs_doc)
    assert not {"agencies", "units"} & set(mine_doc) and {"streams", "dispatch"} <= set(mine_doc)
    for p in (mine, theirs):
        v = linkage("validate", p)
        assert v.returncode == 0, v.stderr
    run = linkage("run", mine, "--district", theirs, "-n", "1")
    assert run.returncode == 0, run.stderr
    fit = json.loads((tmp_path / "out" / "fit.json").read_text(encoding="utf-8"))
    agencies = {a.id: a for a in sc.agencies}
    checked = 0
    for e in fit["estimates"]:
        path = e["path"]
        if path.startswith("agencies["):
            aid, key = path.split("[")[1].split("]")[0], path.rsplit(".", 1)[1]
            truth = getattr(agencies[aid].desk.handling, key)
        elif path.startswith("units["):
            kind = path.split("[")[1].split("]")[0]
            (turnout,) = {u.turnout for u in sc.units if u.kind == kind}
            truth = turnout.value if path.endswith(".turnout") else getattr(turnout, path.rsplit(".", 1)[1])
        else:
            continue
        checked += 1
        assert e["low"] <= truth <= e["high"], (path, truth, e["low"], e["high"])
    assert checked >= 9  # three desks' median and p90, three kinds' turnouts
