"""Bad input through the real ``linkage`` console script (坏输入语料): one clear line, exit 1, nothing written.

Each case runs the installed ``linkage`` console script (the one beside the interpreter running the
tests) in a subprocess on one broken file of ``tests/corpus/bad`` (each
breaks exactly one thing; its first line says what) or one broken command line, and checks the contract
of DESIGN.md: exit code 1; stderr holds exactly one line per problem, reading
``FILE:LINE: field.path: message`` with FILE as given on the command line and LINE the line where the bad
value is written (counted by hand in the corpus file, also when the file ``extends`` another); no
traceback anywhere; the ``--out`` folder and any temporary folder beside it do not exist afterwards.

Files are passed as absolute paths and the working directory is an empty folder, so "as given" is the
absolute path and anything the CLI (or an injected YAML payload) writes into the working directory is
caught by comparing the folder before and after.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import FLAGSHIP as HRF
from tests.helpers import ROOT as REPO
from tests.helpers import linkage
from tests.integration.bad_input_cases import BAD, FILE_CASES, QUICK, Case
from tests.integration.bad_input_cli_cases import CLI_CASES, TABLE_CASES


def _expand(s: str, env: dict[str, Path]) -> str:
    """Only the corpus's own placeholders (as test_hostile_corpus expands them): a value like {x: 1} stays."""
    for k, v in env.items():
        s = s.replace(f"{{{k}}}", str(v))
    return s


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def make_inputs(inp: Path) -> None:
    """Files a case makes at run time: an empty file, a symlink loop and a scenario extending it, a symlink out of
    the folder and a scenario extending it, an extends chain of 40 files (the blame for a chain too long goes
    to the file whose ``extends`` passes the limit), and district files whose grid table or road network lies
    outside their folder (an absolute path, a ``..`` escape, a symlink out)."""
    (inp / "zero.yaml").write_bytes(b"")
    (inp / "loop.yaml").symlink_to("loop.yaml")
    (inp / "loop_user.yaml").write_text("extends: loop.yaml\nhorizon: 7200\n")
    (inp / "escape.yaml").symlink_to("/etc/passwd")  # inside the folder, pointing out of it
    (inp / "escape_user.yaml").write_text("extends: escape.yaml\nhorizon: 7200\n")
    (inp / "chain").mkdir()
    district = "extends: putuo_district.yaml\ncity:\n  explicit:\n"
    (inp / "grids_abs.yaml").write_text(district + "    grids_file: /etc/passwd\n")
    (inp / "outside.parquet").write_bytes(b"PAR1")  # beside the folder of the file naming it, not in it
    (inp / "sub").mkdir()
    (inp / "sub" / "grids_up.yaml").write_text(district + "    grids_file: ../outside.parquet\n")
    (inp / "roads.parquet").symlink_to("/etc/passwd")  # inside the folder, pointing out of it
    (inp / "roads_user.yaml").write_text(district + "    road_network: {file: roads.parquet, nodes: 2, edges: 1}\n")
    for k in range(40):
        (inp / "chain" / f"c{k}.yaml").write_text(f"extends: c{k + 1}.yaml\n" if k < 39 else f"extends: {HRF}\n")
    make_tables(inp)


AGENCIES = "编号,角色,中文名称\ndistrict_gov,district_government,区政府\nfire_brigade,fire,消防救援支队\n"
LOG_HEAD = ("incident_id,service,type,grid,street,station,call_time,dispatch_time,left_time,arrival_time,action_time,"
            "close_time\n")
LOG_ROW = "f-1,119,fire,S1-C1-G1,S1,,2026-03-02 01:00:46,2026-03-02 01:02:22,,,,"


def make_tables(inp: Path) -> None:
    """The planner's side files a case breaks: a one-grid GeoJSON layer (and the same grid with 1e308
    households, beside a second whose households is 'lots', in metres under a WGS-84 label, as a CSV table), an
    agencies table saved as GBK or UTF-16 (Chinese Excel's plain 'CSV'), a CSV named .xlsx, a row with a value
    under no header, a header naming a column twice, rosters with half a person or one shift twice, contacts
    with a p90 below the median or a both-ways 'maybe', a station whose turnout is nan; incident logs in GBK,
    with a value under no header, with a 200,000-character cell, with a date and no time of day; a drill whose
    MSEL has a 200,000-character cell."""
    ring = [[121.40, 31.24], [121.404, 31.24], [121.404, 31.2436], [121.40, 31.2436], [121.40, 31.24]]
    feature = {"type": "Feature", "properties": {"grid_id": "G1", "street": "S1", "households": 300},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    (inp / "grid.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    huge = {**feature, "properties": {**feature["properties"], "households": 1e308}}
    (inp / "grid_huge_households.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [huge]}))
    east = {"type": "Polygon", "coordinates": [[[x + 0.004, y] for x, y in ring]]}  # beside G1, not over it
    lots = [feature, {"type": "Feature", "geometry": east,
                      "properties": {**feature["properties"], "grid_id": "G2", "households": "lots"}}]
    (inp / "grid_households_text.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": lots}))
    metres = {**feature, "geometry": {"type": "Polygon", "coordinates": [[[x * 1000, y * 1000] for x, y in ring]]}}
    (inp / "grid_in_metres.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [metres]}))
    (inp / "grid_table.csv").write_text("grid_id,street,households\nG1,S1,300\n", encoding="utf-8")
    (inp / "agencies_gbk.csv").write_bytes(AGENCIES.encode("gbk"))
    (inp / "agencies_utf16.csv").write_bytes(AGENCIES.encode("utf-16"))
    (inp / "agencies_csv.xlsx").write_text(AGENCIES, encoding="utf-8")
    rows = AGENCIES.splitlines()
    (inp / "agencies_long_row.csv").write_text("\n".join([*rows[:2], rows[2] + ",,,x"]) + "\n", encoding="utf-8")
    (inp / "agencies_id_twice.csv").write_text("\n".join(r + ",x" for r in rows).replace(",x", ",编号", 1) + "\n",
                                               encoding="utf-8")
    (inp / "agencies.csv").write_text(AGENCIES, encoding="utf-8")
    (inp / "rosters_half_person.csv").write_text("单位,班次,在岗人数\ndistrict_gov,白班,2.5\n", encoding="utf-8")
    (inp / "rosters_shift_twice.csv").write_text("单位,班次,在岗人数\ndistrict_gov,白班,3\ndistrict_gov,day,5\n",
                                                 encoding="utf-8")
    contacts = "from,to,latency_median_s,latency_p90_s,both_ways\ndistrict_gov,fire_brigade,"
    (inp / "contacts_p90_below.csv").write_text(contacts + "60,30,\n", encoding="utf-8")
    (inp / "contacts_both_maybe.csv").write_text(contacts + "60,,maybe\n", encoding="utf-8")
    (inp / "stations_many_units.csv").write_text("id,agency,grid,units\nfs1,fire_brigade,G1,engine:5000\n",
                                                 encoding="utf-8")
    long_id = {**feature, "properties": {**feature["properties"], "grid_id": "G" * 80}}
    (inp / "grid_long_id.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [long_id]}))
    (inp / "stations_nan_turnout.csv").write_text("id,agency,grid,units\nfs1,fire_brigade,G1,engine:2@nan\n",
                                                  encoding="utf-8")
    (inp / "log_gbk.csv").write_bytes((LOG_HEAD.replace("incident_id", "事件编号") + LOG_ROW + "\n").encode("gbk"))
    (inp / "log_long_row.csv").write_text(LOG_HEAD + LOG_ROW + ",x\n", encoding="utf-8")
    (inp / "drill_long_cell.yaml").write_text((BAD / "drill_msel_value_without_header.yaml").read_text(
        encoding="utf-8").replace("drill_msel_value_without_header.csv", "drill_long_cell.csv"), encoding="utf-8")
    (inp / "drill_long_cell.csv").write_text("id,time,to,inject_zh,inject_en\nX1,T+0:30,police,来电," + "x" * 200_000
                                             + "\n", encoding="utf-8")
    (inp / "log_long_cell.csv").write_text(LOG_HEAD + LOG_ROW.replace("f-1", "f" * 200_000) + "\n", encoding="utf-8")
    (inp / "log_date_only.csv").write_text(LOG_HEAD + LOG_ROW.replace("2026-03-02 01:00:46", "2026-03-02") + "\n",
                                           encoding="utf-8")


def check(case: Case, tmp_path: Path, expected_lines: int = 1) -> None:
    work, inp = tmp_path / "work", tmp_path / "in"
    work.mkdir()
    inp.mkdir()
    make_inputs(inp)
    (work / "existing.txt").write_text("not a folder\n")
    env = {"bad": BAD, "hrf": HRF, "out": work / "out", "work": work, "inp": inp}
    before = _snapshot(work)
    proc = linkage(*(_expand(a, env) for a in case.args), cwd=work, timeout=120, env={"PYTHONDONTWRITEBYTECODE": "1"})
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both
    assert proc.returncode == 1, both
    lines = proc.stderr.splitlines()
    assert len(lines) == expected_lines and all(ln.strip() for ln in lines), proc.stderr
    where = _expand(case.where, env)
    prefix = f"{where}:{case.line}: " if case.line is not None else f"{where}: "
    line = lines[0]
    assert line.startswith(prefix), f"expected to start with {prefix!r}: {line!r}"
    rest = line[len(prefix):]
    if case.path:
        assert rest.startswith(f"{case.path}: "), f"expected field path {case.path!r}: {line!r}"
    assert case.message in rest, f"expected {case.message!r} in {line!r}"
    # Nothing written: no --out folder, no temporary folder beside it, no graph, no injected file.
    assert not (work / "out").exists()
    assert _snapshot(work) == before, sorted(_snapshot(work) - before)


def _params(cases: dict[str, Case]) -> list:
    return [pytest.param(c, id=k, marks=() if k in QUICK else pytest.mark.slow) for k, c in cases.items()]


@pytest.mark.parametrize("case", _params(FILE_CASES))
def test_bad_file(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


@pytest.mark.parametrize("case", _params(CLI_CASES))
def test_bad_command_line(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


@pytest.mark.parametrize("case", _params(TABLE_CASES))
def test_bad_table(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_validate_reports_each_file_on_its_own_line(tmp_path: Path) -> None:
    """Two single-fault files → exactly two lines, one per file, in the order given."""
    case = Case(
        ("validate", "{bad}/negative_horizon.yaml", "{bad}/unknown_role.yaml"),
        "{bad}/negative_horizon.yaml",
        3,
        "horizon",
        "greater than 0",
    )
    check(case, tmp_path, expected_lines=2)
    proc = linkage("validate", BAD / "negative_horizon.yaml", BAD / "unknown_role.yaml", cwd=tmp_path, timeout=120)
    second = proc.stderr.splitlines()[1]
    assert second.startswith(f"{BAD / 'unknown_role.yaml'}:5: agencies[police].role: "), second


def test_relative_path_is_echoed_as_given(tmp_path: Path) -> None:
    """Run from the repository with a relative path: the line starts with that same relative path."""
    rel = "tests/corpus/bad/unknown_desk_key.yaml"
    out = tmp_path / "out"
    proc = linkage("run", rel, "-n", "2", "--out", out, cwd=REPO, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [f"{rel}:6: agencies[police].desk.staf: unknown field"]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    """The !!python/object/apply payload would create ``linkage_pwned_marker`` in the working directory."""
    proc = linkage("validate", BAD / "python_tag.yaml", cwd=tmp_path, timeout=120)
    assert proc.returncode == 1
    assert not (tmp_path / "linkage_pwned_marker").exists()
    assert "python/object/apply" in proc.stderr


def test_quick_subset_names_real_cases() -> None:
    assert QUICK <= set(FILE_CASES) | set(CLI_CASES) | set(TABLE_CASES)


def test_corpus_is_complete() -> None:
    """≥ 25 broken files, each saying on its first line what is broken, and each exercised by a case."""
    files = sorted(p.name for p in BAD.glob("*.yaml"))
    assert len(files) >= 25
    used = " ".join(" ".join((*c.args, c.where)) for c in (*FILE_CASES.values(), *CLI_CASES.values()))
    for name in files:
        assert f"{{bad}}/{name}" in used, f"{name} is not used by any case"
        first = (BAD / name).read_bytes().split(b"\n", 1)[0]
        assert first.startswith(b"# Broken"), f"{name}: first line should say what is broken"
    assert len(FILE_CASES) + len(CLI_CASES) >= 35
