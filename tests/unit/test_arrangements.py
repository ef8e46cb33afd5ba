"""The bundled arrangement library: every file validates, fits every flagship scenario, says what it is
in both languages; the diff and the responsibility matrix report what the files say."""

from __future__ import annotations

from pathlib import Path

import pytest

from agencies.diff import ALL, ARRANGEMENT_FIELDS, ambiguous_tasks, diff_rows, responsibility_matrix
from scenarios.errors import InputError
from scenarios.loader import bundled_arrangements, bundled_scenarios, load_arrangement, load_scenario

NAMES = [p.stem for p in bundled_arrangements()]
FLAGSHIP_TASKS = {
    "high_rise_fire": {
        "first_response",
        "first_attack",
        "fire_attack",
        "search_rescue",
        "cordon",
        "traffic_control",
        "triage_transport",
        "structural_assessment",
        "resettlement",
    },
    "chemical_leak": {
        "shutdown_report",
        "hazmat_recon",
        "plugging",
        "env_monitoring",
        "cordon",
        "evacuation_notice",
        "public_warning",
        "triage_transport",
    },
    "crowd_crush": {
        "crowd_monitoring",
        "crowd_control",
        "station_closure",
        "traffic_control",
        "guidance",
        "triage_transport",
    },
}


def test_library_has_every_doctrine():
    assert set(NAMES) >= {"sectoral_lead", "territorial_lead", "unified_command", "parallel_grids",
                          "integrated_grid", "nearest_first", "ambiguous"}


@pytest.mark.parametrize("name", NAMES)
def test_bundled_arrangement_validates_and_is_bilingual(name):
    arr = load_arrangement(name)
    assert arr.name == name == Path(f"{name}.yaml").stem
    assert arr.title is not None and arr.doctrine is not None
    for text in (arr.title, arr.doctrine):
        assert text.zh.strip() and text.en.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh)  # the zh text is Chinese
    assert set(arr.incident_types) == set(FLAGSHIP_TASKS)
    for it, tasks in FLAGSHIP_TASKS.items():
        assert set(arr.incident_types[it].tasks) == tasks, f"{name}: {it}"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scenario", [p for p in bundled_scenarios() if p.stem in FLAGSHIP_TASKS], ids=lambda p: p.stem)
def test_bundled_arrangement_fits_flagship_scenario(name, scenario):
    sc = load_scenario(scenario, name)  # verify_arrangement: every role present, every task assigned, leads capable
    assert sc.arrangement.name == name


def test_doctrine_settings():
    a = {n: load_arrangement(n) for n in NAMES}
    assert a["territorial_lead"].relay == "street_office"
    assert all(it.lead == "street_office" for it in a["territorial_lead"].incident_types.values())
    assert a["unified_command"].relay == "emergency_bureau" and a["unified_command"].fan_out == "parallel"
    assert (a["parallel_grids"].grid_model, a["parallel_grids"].platform, a["parallel_grids"].fan_out) == (
        "parallel",
        False,
        "serial",
    )
    ig = a["integrated_grid"]
    assert (ig.relay, ig.fan_out, ig.grid_model, ig.platform) == (
        "city_operations_centre",
        "parallel",
        "integrated",
        True,
    )
    assert a["nearest_first"].dispatch == "nearest"
    # every doctrine lets 119/110/120 dispatch their own service at once (the file says so explicitly)
    assert all(x.intake_direct for x in a.values())
    assert all("intake_direct: true" in p.read_text(encoding="utf-8") for p in bundled_arrangements())
    assert a["nearest_first"].incident_types["high_rise_fire"].tasks["first_attack"].lead == ["fire"]


def test_ambiguous_has_one_disputed_and_one_ownerless_task_per_type():
    amb = ambiguous_tasks(load_arrangement("ambiguous"))
    assert sorted(amb) == sorted([
        ("high_rise_fire", "first_attack", 2), ("high_rise_fire", "structural_assessment", 0),
        ("chemical_leak", "evacuation_notice", 2), ("chemical_leak", "env_monitoring", 0),
        ("crowd_crush", "guidance", 2), ("crowd_crush", "station_closure", 0)])
    for n in NAMES:
        if n != "ambiguous":
            assert ambiguous_tasks(load_arrangement(n)) == [], n


def test_parallel_and_integrated_grids_differ_only_in_the_grid_doctrine():
    rows = diff_rows(load_arrangement("parallel_grids"), load_arrangement("integrated_grid"), changed_only=True)
    # one platform also dispatches the work orders (平台派单) — part of the 一网统管 doctrine
    assert {(r.incident_type, r.task, r.field) for r in rows} == {
        (ALL, ALL, "relay"), (ALL, ALL, "fan_out"), (ALL, ALL, "grid_model"), (ALL, ALL, "platform"),
        (ALL, ALL, "work_order_dispatcher")}


def test_diff_rows_sectoral_vs_ambiguous():
    rows = diff_rows(load_arrangement("sectoral_lead"), load_arrangement("ambiguous"), changed_only=True)
    got = {(r.incident_type, r.task, r.field): (r.a, r.b) for r in rows}
    assert got == {
        ("high_rise_fire", "first_attack", "lead"): ("street_office", "street_office, fire"),
        ("high_rise_fire", "structural_assessment", "lead"): ("housing", "(none)"),
        ("chemical_leak", "evacuation_notice", "lead"): ("street_office", "street_office, police"),
        ("chemical_leak", "env_monitoring", "lead"): ("environment", "(none)"),
        ("crowd_crush", "guidance", "lead"): ("street_office", "street_office, venue_operator"),
        ("crowd_crush", "station_closure", "lead"): ("transport", "(none)"),
    }


def test_diff_rows_cover_every_field_and_self_diff_is_empty():
    a = load_arrangement("nearest_first")
    rows = diff_rows(a, a)
    assert rows and not any(r.changed for r in rows)
    assert diff_rows(a, a, changed_only=True) == []
    fields = {r.field for r in rows}
    assert fields >= {
        "lead",
        "assist",
        "informed",
        "fan_out",
        "grid_model",
        "platform",
        "dispatch",
        "relay",
        "intake_direct",
        "command_post",
        "work_order_dispatcher",
    }
    # one row per field per task, plus the type-level lead/informed, plus the arrangement-wide settings
    n_tasks = sum(len(it.tasks) for it in a.incident_types.values())
    assert len(rows) == len(ARRANGEMENT_FIELDS) + 2 * len(a.incident_types) + 4 * n_tasks
    # an arrangement whose centres wait for the relay shows up in the diff
    waiting = a.model_copy(update={"intake_direct": False})
    assert [(r.field, r.a, r.b) for r in diff_rows(a, waiting, changed_only=True)] == [("intake_direct", "yes", "no")]
    # the dispatch rule shown is the one that applies (arrangement default when the task has none)
    s = diff_rows(load_arrangement("sectoral_lead"), a, changed_only=True)
    assert (ALL, ALL, "dispatch", "own_agency", "nearest") in {(r.incident_type, r.task, r.field, r.a, r.b) for r in s}
    assert ("high_rise_fire", "cordon", "dispatch", "own_agency", "nearest") in {
        (r.incident_type, r.task, r.field, r.a, r.b) for r in s
    }


def test_responsibility_matrix():
    roles, rows = responsibility_matrix(load_arrangement("territorial_lead"), "chemical_leak")
    cells = dict(rows)
    assert cells[ALL]["street_office"] == "L" and cells[ALL]["emergency_bureau"] == "I"
    assert cells["evacuation_notice"] == {"street_office": "L", "residents_committee": "A", "police": "A"}
    assert cells["shutdown_report"] == {"enterprise": "L", "street_office": "I"}
    assert set(roles) >= {"street_office", "fire", "police", "environment", "health", "enterprise"}
    _, amb = responsibility_matrix(load_arrangement("ambiguous"), "high_rise_fire")
    amb = dict(amb)
    assert list(amb["first_attack"].values()).count("L") == 2 and "L" not in amb["structural_assessment"].values()


def test_unknown_arrangement_is_one_clear_line():
    with pytest.raises(InputError) as e:
        load_arrangement("no_such_arrangement")
    (p,) = e.value.problems
    assert "unknown arrangement 'no_such_arrangement'" in p.message and "sectoral_lead" in p.message
