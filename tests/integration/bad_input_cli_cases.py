"""The bad-input corpus's command-line cases (坏输入用例表：命令行与旁路文件): option values, paths, sizes,
symlinks, and the side files a command reads besides a scenario (district and calibration tables) — one broken
command line each, and the single line it must print. The broken scenario files are in
:mod:`tests.integration.bad_input_cases`; :mod:`tests.integration.test_bad_input` runs both tables through
the real ``linkage`` console script."""

from __future__ import annotations

from tests.helpers import SCENARIO_LIBRARY
from tests.integration.bad_input_cases import Case, run_hrf, set_hrf

LOG_SCENARIO = str(SCENARIO_LIBRARY / "routine_load.yaml")
"""A bundled scenario with routine streams (calibrate's and year's)."""

CLI_CASES: dict[str, Case] = {
    "n-zero": Case(
        ("run", "{hrf}", "-n", "0", "--out", "{out}"), "-n", None, "replications", "must be at least 1 (got 0)"
    ),
    "n-negative": Case(
        ("run", "{hrf}", "-n", "-3", "--out", "{out}"), "-n", None, "replications", "must be at least 1 (got -3)"
    ),
    "n-not-a-number": Case(
        ("run", "{hrf}", "-n", "abc", "--out", "{out}"), "linkage run", None, "", "'-n' / '--replications'"
    ),
    "defect-loop-seed-too-large": Case(("defect-loop", "--grids", "4", "--days", "2", "--seed", str(2**64), "--out",
                                        "{out}"), "linkage defect-loop", None, "--seed", "must be at most 2**63 - 1"),
    "drill-seed-too-large": Case(("drill", "new", "crowd_crush_drill", "--dir", "{out}", "--seed", str(2**64)),
                                 "--seed", None, "seed", "must be at most 2**63 - 1"),
    "seed-negative": run_hrf("--seed", "-1", where="--seed", path="seed", message="must be non-negative (got -1)"),
    "set-unknown-path": set_hrf("nosuch.path=1", "nosuch", "no such field"),
    "set-unknown-item": set_hrf("agencies.nosuch.desk.staff=2", "agencies.nosuch", "no item 'nosuch'"),
    "set-schema-violation": set_hrf(
        "agencies.police.desk.staff=0", "agencies[police].desk.staff", "greater than or equal to 1"
    ),
    "set-without-equals": set_hrf("horizon", "horizon", "expected PATH=VALUE"),
    "set-empty-segment": set_hrf("agencies..staff=2", "agencies..staff", "empty segment in path"),
    "set-into-plain-value": set_hrf("horizon.x=3", "horizon.x", "cannot descend into a plain value"),
    "set-bad-yaml-value": set_hrf("horizon=[1", "horizon", "value '[1' is not valid"),
    "set-nan": set_hrf("horizon=.nan", "horizon", "finite number (got nan"),
    "set-bool-for-number": set_hrf("horizon=true", "horizon", "must be a number (got true)"),
    "road-speed-subnormal": set_hrf("city.generated.road_speed_kmh=5e-324", "city.generated.road_speed_kmh",
                                    "greater than or equal to 1"),
    # a distribution's mean must be a number: the engine ranks channels by it
    "lognormal-mean-overflows": set_hrf("channels.0.latency={dist: lognormal, median: 41, p90: 1.7e308}",
                                        "channels[0].latency", "the mean is beyond the largest number"),
    "triangular-mean-overflows": set_hrf("channels.0.latency={dist: triangular, low: 0, mode: 1e308, high: 1.7e308}",
                                         "channels[0].latency", "low + mode + high is more than the largest number"),
    "uniform-mean-overflows": set_hrf("channels.0.latency={dist: uniform, low: 1e308, high: 1.7e308}",
                                      "channels[0].latency", "low + high is more than the largest number"),
    "set-no-incidents": set_hrf("incidents=[]", "incidents", "at least one incident"),
    "arrangement-unknown-name": run_hrf(
        "-a", "nosuch", where="--arrangement", path="arrangement", message="unknown arrangement 'nosuch'"
    ),
    "arrangement-file-missing-task": run_hrf(
        "-a",
        "{bad}/arrangement_missing_task.arr.yaml",
        where="{bad}/arrangement_missing_task.arr.yaml",
        line=8,
        path="arrangement.incident_types.high_rise_fire.tasks",
        message="does not assign task 'resettlement'",
    ),
    "scenario-missing": Case(
        ("run", "{bad}/no_such_scenario.yaml", "-n", "2", "--out", "{out}"),
        "{bad}/no_such_scenario.yaml",
        None,
        "",
        "cannot read file: No such file or directory",
    ),
    "scenario-is-a-folder": Case(
        ("run", "{bad}", "-n", "2", "--out", "{out}"), "{bad}", None, "", "not a file (a folder)"
    ),
    "zero-byte-file": Case(
        ("run", "{inp}/zero.yaml", "-n", "2", "--out", "{out}"), "{inp}/zero.yaml", 1, "", "the file is empty"
    ),
    "out-is-a-file": Case(
        ("run", "{hrf}", "-n", "2", "--out", "{work}/existing.txt"), "--out", None, "", "exists and is not a folder"
    ),
    "out-under-a-file": Case(
        ("run", "{hrf}", "-n", "2", "--out", "{work}/existing.txt/sub"), "--out", None, "", "is a file, not a folder"
    ),
    # -- issue 16: the clock must advance, sizes are checked before allocation, paths stay confined --------
    "issue-retry-loop": run_hrf(
        "--set", "channels.0.reliability=1.0e-300", "--set", "channels.0.retry_after=1.0e-300",
        "--set", "channels.0.latency=0", where="--set", path="channels[0].retry_after",
        message="greater than or equal to 1",
    ),
    "retry-resends-bounded": run_hrf(
        "--set", "channels.0.reliability=1.0e-300", "--set", "channels.0.retry_after=1", where="--set",
        path="channels[0].reliability", message="re-sent up to",
    ),
    "n-too-large": Case(
        ("run", "{hrf}", "-n", "10000000", "--out", "{out}"), "-n", None, "replications", "--allow-large"
    ),
    # compare and sweep check their whole size as run does: before any world is built or any folder written
    "compare-too-large": Case(
        ("compare", "{hrf}", "-a", "sectoral_lead", "-a", "unified_command", "-n", "10000000", "--out", "{out}"),
        "-n", None, "replications", "2 arrangements × 10,000,000 replications would keep",
    ),
    "compare-metric-too-large": Case(
        ("compare", "{hrf}", "-a", "sectoral_lead", "-a", "unified_command", "-n", "10000000", "-m", "t_close",
         "--out", "{out}"), "-n", None, "replications", "--allow-large",
    ),
    "sweep-too-large": Case(
        ("sweep", "{hrf}", "--vary", "channels.0.reliability=0.5,0.7,0.9", "-n", "10000000", "--out", "{out}"),
        "-n", None, "replications", "3 points × 10,000,000 replications would simulate ≈30,000,000 incidents",
    ),
    "sweep-batch-too-large": Case(
        ("sweep", "{hrf}", "--vary", "channels.0.reliability=0.5", "-n", "1000000", "--batch", "1000000",
         "--out", "{out}"), "--batch", None, "batch", "a task of 1,000,000 replications would keep",
    ),
    "year-too-large": Case(("year", LOG_SCENARIO, "-n", "100000000", "--out", "{out}"), "-n", None, "replications",
                           "100,000,000 years would simulate"),
    "extends-symlink-loop": Case(
        ("run", "{inp}/loop_user.yaml", "-n", "2", "--out", "{out}"), "{inp}/loop_user.yaml", 1, "extends",
        "a symlink loop",
    ),
    "extends-symlink-outside": Case(
        ("validate", "{inp}/escape_user.yaml"), "{inp}/escape_user.yaml", 1, "extends",
        "'escape.yaml' lies outside the file's folder",
    ),
    "extends-chain-too-long": Case(
        ("validate", "{inp}/chain/c0.yaml"), "{inp}/chain/c31.yaml", 1, "extends",
        "extends chain is longer than 32 files (started at c0.yaml)",
    ),
    # a district's side files are confined like extends (issue 15): to the file's folder and the libraries
    "grids-file-absolute": Case(
        ("validate", "{inp}/grids_abs.yaml"), "{inp}/grids_abs.yaml", 4, "city.explicit.grids_file",
        "'/etc/passwd' lies outside the file's folder",
    ),
    "grids-file-dotdot": Case(
        ("run", "{inp}/sub/grids_up.yaml", "-n", "1", "--out", "{out}"), "{inp}/sub/grids_up.yaml", 4,
        "city.explicit.grids_file", "'../outside.parquet' lies outside the file's folder",
    ),
    "road-network-symlink-outside": Case(
        ("validate", "{inp}/roads_user.yaml"), "{inp}/roads_user.yaml", 4, "city.explicit.road_network.file",
        "'roads.parquet' lies outside the file's folder",
    ),
    "scenario-symlink-loop": Case(
        ("validate", "{inp}/loop.yaml"), "{inp}/loop.yaml", None, "",
        "cannot read file: Too many levels of symbolic links",
    ),
}


def district(*tables: str, where: str, line: int | None, path: str, message: str) -> Case:
    """``linkage district import`` of the one-grid layer ``{inp}/grid.geojson`` with the given table options."""
    return Case(("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--grids", "{inp}/grid.geojson",
                 *tables), where, line, path, message)


def calibrate(log: str, line: int, path: str, message: str) -> Case:
    """``linkage calibrate {inp}/LOG -s routine_load``, refused on LOG's line ``line``."""
    return Case(("calibrate", f"{{inp}}/{log}", "-s", LOG_SCENARIO, "--out", "{out}", "-n", "1"), f"{{inp}}/{log}",
                line, path, message)


TABLE_CASES: dict[str, Case] = {
    # -- the planner's tables (district import) and logs (calibrate): bytes and layout ----------------------
    "table-gbk-csv": district("--agencies", "{inp}/agencies_gbk.csv", where="{inp}/agencies_gbk.csv", line=1,
                              path="", message="not UTF-8 text: byte 0xb1"),
    "table-utf16-csv": district("--agencies", "{inp}/agencies_utf16.csv", where="{inp}/agencies_utf16.csv", line=1,
                                path="", message="not UTF-8 text: byte 0xff"),
    "table-csv-named-xlsx": district("--agencies", "{inp}/agencies_csv.xlsx", where="{inp}/agencies_csv.xlsx",
                                     line=None, path="", message="not an Excel .xlsx workbook"),
    "responsibility-not-xlsx": district("--responsibility", "{inp}/agencies_csv.xlsx",
                                        where="{inp}/agencies_csv.xlsx", line=None, path="",
                                        message="not an Excel .xlsx workbook"),
    "table-value-without-header": district("--agencies", "{inp}/agencies_long_row.csv",
                                           where="{inp}/agencies_long_row.csv", line=3, path="column F",
                                           message="value 'x' has no column header"),
    "table-header-twice": district("--agencies", "{inp}/agencies_id_twice.csv", where="{inp}/agencies_id_twice.csv",
                                   line=1, path="column D", message="agencies column 'id' is also column A"),
    "log-gbk-csv": calibrate("log_gbk.csv", 1, "", "not UTF-8 text: byte 0xca"),
    "log-value-without-header": calibrate("log_long_row.csv", 2, "column M", "value 'x' has no column header"),
    "log-cell-too-long": calibrate("log_long_cell.csv", 2, "",
                                   "not a readable CSV table: field larger than field limit"),
    "log-date-without-time": calibrate("log_date_only.csv", 2, "incident_log.call_time",
                                       "'2026-03-02' has a date but no time of day"),
    # -- district import's numbers: checked before any file is read -------------------------------------------
    "district-max-access-nan": district("--max-access-m", "nan", where="--max-access-m", line=None, path="",
                                        message="must be a finite distance of 0 m or more (got nan)"),
    "district-persons-per-household-zero": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--boundary", "{inp}/grid.geojson",
         "--population", "5000", "--persons-per-household", "0"), "--persons-per-household", None, "",
        "must be a finite number above 0 (got 0.0)"),
    "district-households-per-grid-zero": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--boundary", "{inp}/grid.geojson",
         "--population", "5000", "--households-per-grid", "0"), "--households-per-grid", None, "",
        "must be at least 1 (got 0)"),
    "district-streets-zero": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--boundary", "{inp}/grid.geojson",
         "--population", "5000", "--streets", "0"), "--streets", None, "", "must be at least 1 (got 0)"),
    "district-population-too-large": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--boundary", "{inp}/grid.geojson",
         "--population", "99999999999999", "--households-per-grid", "1"), "--population", None, "",
        "would cut about 38,461,538,461,538 grids (more than 200,000)"),
    "district-circuity-zero": district("--circuity", "0", where="--circuity", line=None, path="",
                                       message="must be a number from 1 to 3 (got 0.0)"),
    # -- district import's grid layer ----------------------------------------------------------------------------
    "grids-id-too-long": Case(  # was named on the district file that is never written
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--grids", "{inp}/grid_long_id.geojson"),
        "{inp}/grid_long_id.geojson", None, f"features[{'G' * 40}…].id", "String should have at most 64 characters"),
    "stations-unit-count-over-limit": district(  # was named on the district file that is never written
        "--agencies", "{inp}/agencies.csv", "--stations", "{inp}/stations_many_units.csv",
        where="{inp}/stations_many_units.csv", line=2, path="stations.units",
        message="Input should be less than or equal to 1000"),
    "grids-huge-households": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--grids", "{inp}/grid_huge_households.geojson"),
        "{inp}/grid_huge_households.geojson", None, "features[G1].households", "is not a count of zero or more"),
    "grids-households-text": Case(  # geopandas warned on stderr first (a column of numbers and text): 3 lines
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--grids", "{inp}/grid_households_text.geojson"),
        "{inp}/grid_households_text.geojson", None, "features[G2].households", "'lots' is not a count"),
    "grids-off-the-globe": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--grids", "{inp}/grid_in_metres.geojson"),
        "{inp}/grid_in_metres.geojson", None, "features[G1].geometry", "is off the globe in EPSG:4326"),
    "grids-a-table": Case(
        ("district", "import", "--name", "d", "--out", "{out}/d.yaml", "--grids", "{inp}/grid_table.csv"),
        "{inp}/grid_table.csv", None, "", "the file holds no geometries"),
    "drill-msel-cell-too-long": Case(("drill", "new", "{inp}/drill_long_cell.yaml", "--dir", "{out}"),
                                     "{inp}/drill_long_cell.csv", 2, "", "not a readable CSV table"),
    # -- district tables' cells that were read as something else -------------------------------------------------
    "rosters-half-person": district("--agencies", "{inp}/agencies.csv", "--rosters", "{inp}/rosters_half_person.csv",
                                    where="{inp}/rosters_half_person.csv", line=2, path="rosters.staff",
                                    message="'2.5' is not a whole number of people"),
    "rosters-shift-twice": district("--agencies", "{inp}/agencies.csv", "--rosters", "{inp}/rosters_shift_twice.csv",
                                    where="{inp}/rosters_shift_twice.csv", line=3, path="rosters.shift",
                                    message="district_gov's day shift is also on row 2"),
    "contacts-p90-below-median": district("--agencies", "{inp}/agencies.csv", "--contacts",
                                          "{inp}/contacts_p90_below.csv", where="{inp}/contacts_p90_below.csv",
                                          line=2, path="contacts.latency_p90_s",
                                          message="p90 30 s is below the median 60 s"),
    "contacts-both-ways-maybe": district("--agencies", "{inp}/agencies.csv", "--contacts",
                                         "{inp}/contacts_both_maybe.csv", where="{inp}/contacts_both_maybe.csv",
                                         line=2, path="contacts.both_ways", message="'maybe' is not yes/是 or no/否"),
    "stations-nan-turnout": district("--agencies", "{inp}/agencies.csv", "--stations",
                                     "{inp}/stations_nan_turnout.csv", where="{inp}/stations_nan_turnout.csv",
                                     line=2, path="stations.units", message="'engine:2@nan' is not KIND:COUNT"),
}
