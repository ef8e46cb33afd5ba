"""The bad-input corpus's scenario cases (坏输入用例表：情景文件): one broken scenario, arrangement or drill file
each, and the single line it must print; the shared :class:`Case` and its builders. The command-line cases
(options, paths, side tables) are in :mod:`tests.integration.bad_input_cli_cases`; the table
:mod:`tests.integration.test_bad_input` runs both through the real ``linkage`` console script."""

from __future__ import annotations

from dataclasses import dataclass

from tests.helpers import ROOT as REPO

BAD = REPO / "tests" / "corpus" / "bad"
TASKS = "incident_types.high_rise_fire.tasks"


@dataclass(frozen=True)
class Case:
    """One bad input: the command (after ``linkage``) and what its single stderr line must say.

    ``args`` and ``where`` may use ``{bad}`` (corpus folder), ``{hrf}`` (the flagship scenario),
    ``{out}`` (the --out folder), ``{work}`` (cwd) and ``{inp}`` (a folder for files made by the test).
    ``where`` is what the line starts with (a file or an option); ``line`` the expected line number or
    ``None`` when no line applies; ``path`` the exact field path (``""`` when there is none).
    """

    args: tuple[str, ...]
    where: str
    line: int | None
    path: str
    message: str


def run_file(name: str, line: int | None, path: str, message: str, where: str | None = None) -> Case:
    return Case(
        ("run", f"{{bad}}/{name}", "-n", "2", "--out", "{out}"), where or f"{{bad}}/{name}", line, path, message
    )


def validate_file(name: str, line: int | None, path: str, message: str) -> Case:
    return Case(("validate", f"{{bad}}/{name}"), f"{{bad}}/{name}", line, path, message)


def run_hrf(*extra: str, where: str, path: str, message: str, line: int | None = None) -> Case:
    return Case(("run", "{hrf}", "-n", "2", "--out", "{out}", *extra), where, line, path, message)


def set_hrf(assignment: str, path: str, message: str) -> Case:
    """``linkage run HRF --set ASSIGNMENT``, refused as ``--set: PATH: MESSAGE``."""
    return run_hrf("--set", assignment, where="--set", path=path, message=message)


def drill_file(stem: str, msel: str, line: int, message: str) -> Case:
    """``linkage drill new {bad}/STEM.yaml``, refused on the MSEL's inject X1 (in ``STEM.csv``, or inline)."""
    return Case(("drill", "new", f"{{bad}}/{stem}.yaml", "--dir", "{out}"), f"{{bad}}/{stem}.{msel}", line,
                "injects[X1].effect", message)


FILE_CASES: dict[str, Case] = {
    # -- hazard parameters (issue 3): the same one-line errors as the rest of the schema ----------
    "hazard-negative-leak-rate": run_file(
        "hazard_negative_leak_rate.yaml", 6, "incidents[leak1].hazard.release_rate_kg_s", "greater than 0"
    ),
    "hazard-unknown-chemical": run_file(
        "hazard_unknown_chemical.yaml", 6, "incidents[leak1].hazard.chemical", "unknown chemical 'xenon'"
    ),
    "hazard-unknown-stability": run_file(
        "hazard_unknown_stability.yaml", 6, "incidents[leak1].hazard.stability", "unknown stability class 'G'"
    ),
    "hazard-density-above-max": run_file(
        "hazard_density_above_max.yaml", 6, "incidents[crowd1].hazard.initial_density", "less than or equal to 5.4"
    ),
    "crowd-network-unknown-zone": run_file(
        "crowd_network_unknown_zone.yaml", 5, "incidents[bund1].hazard.crowd_network",
        "links.stair_foot: unknown zone 'lower_stair'"
    ),
    # -- YAML itself --------------------------------------------------------------------------------
    "yaml-unclosed-bracket": run_file("yaml_unclosed_bracket.yaml", 5, "", "expected ',' or ']'"),
    "yaml-bad-indent": run_file("yaml_bad_indent.yaml", 6, "", "mapping values are not allowed here"),
    "yaml-duplicate-key": run_file("yaml_duplicate_key.yaml", 5, "", 'duplicate key "horizon"'),
    "yaml-tab-indent": run_file("yaml_tab_indent.yaml", 5, "", "tab character is used for indentation"),
    "yaml-alias-bomb": run_file("alias_bomb.yaml", 3, "", "aliases (*a) are not allowed"),
    "yaml-deep-nesting": run_file("deep_nesting.yaml", 3, "", "nesting is deeper than 64 levels"),
    "yaml-python-tag": run_file("python_tag.yaml", 3, "", "tag !!python/object/apply:os.system is not allowed"),
    "empty-file": run_file("empty.yaml", 1, "", "the file is empty"),
    "top-level-list": run_file("top_level_list.yaml", 1, "", "must be a YAML mapping of fields (got a list)"),
    "non-utf8": run_file("non_utf8.yaml", 3, "", "not UTF-8 text: byte 0xe9"),
    # -- extends ------------------------------------------------------------------------------------
    "extends-cycle": run_file(
        "extends_cycle_a.yaml", 2, "extends", "cycle in extends", where="{bad}/extends_cycle_b.yaml"
    ),
    "extends-missing-file": run_file("extends_missing.yaml", 2, "extends", "cannot find 'no_such_base.yaml'"),
    "extends-not-a-name": run_file("extends_not_a_name.yaml", 2, "extends", "must be a file name"),
    # -- unknown keys, wrong types, bad numbers -----------------------------------------------------
    "unknown-top-level-key": run_file("unknown_top_level_key.yaml", 3, "horizn", "unknown field"),
    "unknown-desk-key": run_file("unknown_desk_key.yaml", 6, "agencies[police].desk.staf", "unknown field"),
    "wrong-type-horizon": run_file("wrong_type_horizon.yaml", 3, "horizon", "valid number"),
    "negative-horizon": run_file("negative_horizon.yaml", 3, "horizon", "greater than 0"),
    "bool-for-number": run_file("bool_for_number.yaml", 6, "agencies[police].desk.staff",
                                "must be a number (got true)"),
    "name-not-an-id": run_file("bad_name_id.yaml", 3, "name", "'high rise fire' is not an id"),
    "nan-latency": run_file("nan_latency.yaml", 4, "channels[0].latency", "finite number (got nan"),
    "inf-duration": run_file("inf_duration.yaml", 7, f"{TASKS}[cordon].duration", "finite number (got inf"),
    "negative-fixed-duration": run_file(
        "negative_duration.yaml", 7, f"{TASKS}[cordon].duration.value", "greater than or equal to 0"
    ),
    "lognormal-p90-below-median": run_file(
        "lognormal_p90_below_median.yaml",
        6,
        "agencies[police].desk.handling",
        "p90 (30.0) must be greater than median (60.0)",
    ),
    "triangular-low-above-high": run_file(
        "triangular_low_above_high.yaml", 7, f"{TASKS}[fire_attack].setup", "low <= mode <= high"
    ),
    "unknown-dist-tag": run_file("unknown_dist_tag.yaml", 7, f"{TASKS}[cordon].duration", "tag 'gamma' (dist)"),
    # -- references ---------------------------------------------------------------------------------
    "unknown-role": run_file("unknown_role.yaml", 5, "agencies[police].role", "unknown role 'sheriff'"),
    "unknown-parent": run_file("unknown_parent.yaml", 5, "agencies[housing].parent", "unknown parent 'mayor_office'"),
    "parent-cycle": run_file(
        "parent_cycle.yaml", 5, "agencies[district_gov].parent", "agency parent chain has a cycle"
    ),
    "jurisdiction-unknown-street": run_file(
        "jurisdiction_unknown_street.yaml", 5, "agencies[street_S1].jurisdiction[0]", "unknown street 'S9'"
    ),
    "station-unknown-grid": run_file("station_unknown_grid.yaml", 5, "stations[fs1].grid", "unknown grid 'S9-C1-G1'"),
    "station-unknown-agency": run_file(
        "station_unknown_agency.yaml", 5, "stations[fs2].agency", "unknown agency 'fire_department'"
    ),
    "unit-unknown-station": run_file("unit_unknown_station.yaml", 8, "units[4].station", "unknown station 'fs9'"),
    "channel-unknown-agency": run_file(
        "channel_unknown_agency.yaml", 5, "channels[1].to", "unknown agency 'centre_999'"
    ),
    "incident-unknown-grid": run_file(
        "incident_unknown_grid.yaml", 5, "incidents[fire1].grid", "unknown grid 'S5-C1-G1'"
    ),
    "incident-unknown-type": run_file(
        "incident_unknown_type.yaml", 5, "incidents[fire1].type", "unknown type 'high_rise_flood'"
    ),
    "incident-after-horizon": run_file("onset_after_horizon.yaml", 5, "incidents[fire1].onset", "after the horizon"),
    "detector-unknown-role": run_file(
        "detector_unknown_role.yaml",
        6,
        "incident_types.high_rise_fire.detection[0].report_to",
        "reports to 'centre_911'",
    ),
    "task-after-unknown-task": run_file(
        "task_after_unknown.yaml", 7, f"{TASKS}[cordon].after", "unknown task 'fire_attak'"
    ),
    "task-dag-cycle": run_file("task_dag_cycle.yaml", 7, f"{TASKS}[first_response].after", "task DAG has a cycle"),
    "task-no-agency-can-do": run_file(
        "task_capability_nobody.yaml",
        6,
        f"{TASKS}[cordon]",
        "needs 'drone_survey', which no agency of the scenario can do",
    ),
    "task-unit-kind-missing": run_file(
        "task_unit_kind_missing.yaml", 7, f"{TASKS}[cordon].unit", "unit kind 'hovercraft', which no station has"
    ),
    # The fault is the missing assignment, so the line is in the arrangement file the scenario names.
    "arrangement-missing-task": run_file(
        "arrangement_missing_task.yaml",
        8,
        "arrangement.incident_types.high_rise_fire.tasks",
        "does not assign task 'resettlement'",
        where="{bad}/arrangement_missing_task.arr.yaml",
    ),
    "arrangement-unknown-role": run_file(
        "arrangement_unknown_role.yaml",
        13,
        "arrangement.incident_types.high_rise_fire.tasks.cordon",
        "no agency of the scenario is 'market_regulation'",
    ),
    # -- the city -----------------------------------------------------------------------------------
    "city-empty": run_file("city_empty.yaml", 6, "city.explicit.grids", "at least 1 item"),
    "city-both-layouts": run_file("city_both_layouts.yaml", 3, "city", "exactly one of 'generated' or 'explicit'"),
    # -- the validate and graph commands on the same files -----------------------------------------
    "validate-duplicate-key": validate_file("yaml_duplicate_key.yaml", 5, "", 'duplicate key "horizon"'),
    "validate-unknown-desk-key": validate_file(
        "unknown_desk_key.yaml", 6, "agencies[police].desk.staf", "unknown field"
    ),
    "validate-alias-bomb": validate_file("alias_bomb.yaml", 3, "", "aliases (*a) are not allowed"),
    "validate-task-dag-cycle": validate_file(
        "task_dag_cycle.yaml", 7, f"{TASKS}[first_response].after", "task DAG has a cycle"
    ),
    "validate-non-utf8": validate_file("non_utf8.yaml", 3, "", "not UTF-8 text"),
    "graph-unknown-role": Case(
        ("graph", "{bad}/unknown_role.yaml", "--out", "{work}/graph.graphml"),
        "{bad}/unknown_role.yaml",
        5,
        "agencies[police].role",
        "unknown role 'sheriff'",
    ),
    # -- issue 16: what validate accepted and run then crashed on, hung on, or silently misread ----------
    "agency-id-is-role": run_file("agency_id_is_role.yaml", 4, "agencies[fire].id", "named like the role 'fire'"),
    "agency-shares-role-name": run_file(
        "agency_shares_role_name.yaml", 4, "agencies[police_east].role", "agency 'police' is named like that role"
    ),
    "unit-name-collision": run_file(
        "unit_name_collision.yaml", 8, "units[4].kind", "'fs1.engine11' would be named twice"
    ),
    "duplicate-unit-entry": run_file(
        "duplicate_unit_entry.yaml", 7, "units[3].kind", "'fs1.engine1' would be named twice"
    ),
    "preference-unknown-unit": run_file(
        "preference_unknown_unit.yaml", 6, "dispatch.preferences.S3-C2-G2[1]", "names neither a station nor a unit"
    ),
    "routine-id-clash": run_file(
        "routine_id_clash.yaml", 6, "incidents[routine-0-0].id", "named like the routine incidents of stream 'routine'"
    ),
    "incident-id-is-stream": run_file(
        "incident_id_is_stream.yaml", 4, "streams[fire1].id", "has the id of an incident"
    ),
    "hazard-detector-typo": run_file(
        "hazard_detector_typo.yaml", 6, "incident_types.high_rise_fire.detection[0].hazard_detector",
        "the fire model has no detector 'smart_senser'",
    ),
    "intervention-unknown": run_file(
        "intervention_unknown.yaml", 6, f"{TASKS}[fire_attack].intervention", "no intervention 'extinguish'"
    ),
    "intervention-args-unknown-key": run_file(
        "intervention_args_unknown_key.yaml", 6, f"{TASKS}[fire_attack].intervention_args.flow", "no argument 'flow'"
    ),
    "intervention-args-bad-value": run_file(
        "intervention_args_bad_value.yaml", 6, f"{TASKS}[search_rescue].intervention_args.s_per_floor",
        "must be a finite number > 0 (got 0)",
    ),
    "intervention-args-wrong-type": run_file(
        "intervention_args_wrong_type.yaml", 6, f"{TASKS}[fire_attack].intervention_args.flow_lpm", "(got 'lots')"
    ),
    "empirical-weights-overflow": run_file(
        "empirical_weights_overflow.yaml", 5, "incident_types.high_rise_fire.verify", "weights sum to more than"
    ),
    "channels-empty": run_file("channels_empty.yaml", 3, "channels", "cannot get from 'property' to 'fire_brigade'"),
    "channel-self-loop": run_file("channel_self_loop.yaml", 4, "channels[0].to", "joins an agency to itself"),
    "retry-too-fast": run_file("retry_too_fast.yaml", 4, "channels[0].retry_after", "greater than or equal to 1"),
    "check-every-too-fast": run_file(
        "check_every_zero.yaml", 5, "incident_types.high_rise_fire.response.check_every", "greater than or equal to 1"
    ),
    "city-too-large": run_file("city_too_large.yaml", 5, "city.generated.streets", "80,000,000 grids"),
    "stream-volume-too-large": run_file(
        "stream_volume_too_large.yaml", 4, "streams", "routine incidents per replication"
    ),
    "crowd-trains-too-many": run_file(
        "crowd_trains_too_many.yaml", 6, "incidents[crowd1].hazard.metro_headway_s", "trains within the horizon"
    ),
    "extends-absolute": run_file("extends_absolute.yaml", 2, "extends", "'/etc/passwd' lies outside the file's folder"),
    "extends-dotdot": run_file("extends_dotdot.yaml", 2, "extends", "lies outside the file's folder"),
    "network-unknown-link": run_file(
        "network_unknown_link.yaml", 6, "incident_types.crowd_crush.tasks[crowd_control].intervention_args.link",
        "link names unknown link 'stair_fot'",
    ),
    "one-way-bad-direction": run_file(
        "one_way_bad_direction.yaml", 6,
        "incident_types.crowd_crush.tasks[traffic_control].intervention_args.direction",
        "direction must be one of a_to_b, b_to_a (got 'north')",
    ),
    "one-way-without-direction": run_file(
        "one_way_without_direction.yaml", 6, "incident_types.crowd_crush.tasks[traffic_control].intervention",
        "one_way (crowd_network) needs the argument 'direction'",
    ),
    "arrangement-outside": run_file("arrangement_outside.yaml", 3, "arrangement", "lies outside the file's folder"),
    # -- a drill's MSEL: an intervention inject is checked like a scenario's task, before the session starts ----
    "drill-intervention-unknown": drill_file(
        "drill_intervention_unknown", "csv", 2, "the crowd model has no intervention 'extinguish'"),
    "drill-intervention-arg-unknown": drill_file(
        "drill_intervention_arg_unknown", "csv", 2, "marshals (crowd) has no argument 'count'"),
    "drill-intervention-arg-wrong-type": drill_file(
        "drill_intervention_arg_wrong_type", "csv", 2, "factor must be a number within [0, 1] (got 'lots')"),
    "drill-intervention-unknown-link": drill_file(
        "drill_intervention_unknown_link", "yaml", 9, "link names unknown link 'stair_fot'"),
    "drill-one-way-no-direction": drill_file(
        "drill_one_way_no_direction", "yaml", 9, "one_way (crowd_network) needs the argument 'direction'"),
    "drill-evacuate-unknown-grid": drill_file(
        "drill_evacuate_unknown_grid", "yaml", 9, "grids names unknown grid 'S9-C9-G9'"),
    "drill-msel-minutes-past-59": Case(
        ("drill", "new", "{bad}/drill_msel_minutes_past_59.yaml", "--dir", "{out}"),
        "{bad}/drill_msel_minutes_past_59.csv", 2, "injects[X1].time", "'T+0:75' is not a scenario time"),
    "drill-seat-twice": Case(("drill", "new", "{bad}/drill_seat_twice.yaml", "--dir", "{out}"),
                             "{bad}/drill_seat_twice.yaml", 5, "seats[police].id",
                             "seat 'police' is defined twice (seats 2 and 3)"),
    "drill-scenario-outside": Case(("drill", "new", "{bad}/drill_scenario_outside.yaml", "--dir", "{out}"),
                                   "{bad}/drill_scenario_outside.yaml", 4, "scenario",
                                   "lies outside the file's folder and the bundled libraries"),
    "drill-msel-outside": Case(("drill", "new", "{bad}/drill_msel_outside.yaml", "--dir", "{out}"),
                               "{bad}/drill_msel_outside.yaml", 5, "msel",
                               "lies outside the file's folder and the bundled libraries"),
    "drill-seed-too-large": Case(("drill", "new", "{bad}/drill_seed_too_large.yaml", "--dir", "{out}"),
                                 "{bad}/drill_seed_too_large.yaml", 5, "seed", "less than or equal to 922337203685477"),
    "drill-msel-value-without-header": Case(
        ("drill", "new", "{bad}/drill_msel_value_without_header.yaml", "--dir", "{out}"),
        "{bad}/drill_msel_value_without_header.csv", 2, "injects[X1]", "1 value(s) beyond the header's columns"),
}

# One representative per kind of fault runs in quick runs (-m "not slow"); every process pays its start-up
# (imports, ~0.6 s) and many run the engine, so the full table (~75 processes) is marked slow.
QUICK = {
    "issue-retry-loop",
    "compare-too-large",
    "sweep-too-large",
    "drill-intervention-unknown-link",
    "grids-file-dotdot",
    "intervention-unknown",
    "extends-symlink-loop",
    "hazard-unknown-chemical",
    "yaml-unclosed-bracket",
    "extends-cycle",
    "unknown-desk-key",
    "inf-duration",
    "unknown-role",
    "task-dag-cycle",
    "city-empty",
    "arrangement-missing-task",
    "n-zero",
    "set-schema-violation",
    "set-unknown-path",
    "arrangement-unknown-name",
    "out-is-a-file",
    "table-gbk-csv",
    "log-date-without-time",
}
