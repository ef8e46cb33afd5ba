"""Must-shows of ``linkage compare`` (issue 4).

(a) A known effect is recovered: arm B differs from A only by a fixed extra latency X on the one notify
    edge between the 119 centre and the incident lead, and the paired difference in ``t_notify_lead``
    has a 95 % CI containing X. Channels live in the scenario, not the arrangement, so B is a
    :class:`Variant` of A with a ``--set`` on that channel (compare's variants mechanism).
    To keep the check honest the difference is not constant: a second incident reaches the lead's duty
    desk by another edge, so shifting our message by X changes the order the desk takes messages in and
    thus which handling-time draw it gets — noise with mean 0, so the true mean difference is exactly X.
(b) Common random numbers work: on the same runs, the paired CI of a difference is narrower than
    Welch's unpaired CI.
(c) Every bundled arrangement runs on every flagship scenario.
(d) The ambiguous arrangement shows non-zero ownerless time, attributed to the tasks with two
    claimants and with none.
Statistics: paired t-interval (Student 1908; scipy ``ttest_rel``), Welch (1947), Holm (1979).
"""

from __future__ import annotations

import json
import math

import pyarrow.parquet as pq
import pytest

from scenarios.errors import InputError
from scenarios.loader import bundled_arrangements, load_scenario
from simulation.experiments.compare import COMPARISON_SCHEMA, Variant, compare
from tests.helpers import two_grid_head

FIRE = "scenarios/library/high_rise_fire.yaml"
FLAGSHIPS = ["high_rise_fire", "chemical_leak", "crowd_crush"]
X = 120.0


def called_in(median: float, p90: float, report_to: str) -> dict:
    """An incident type reported by a citizen's call to ``report_to`` after a lognormal delay; one fire attack."""
    return {
        "detection": [
            {
                "kind": "citizen_call",
                "delay": {"dist": "lognormal", "median": median, "p90": p90},
                "report_to": report_to,
            }
        ],
        "tasks": [{"id": "fire_attack", "duration": 300}],
    }


def two_route_scenario(tmp_path):
    """c119 → fire (channel 0, fixed 30 s) carries incident f1's notice; police → fire carries f2's."""
    arr = {"name": "lead_relays", "relay": None, "fan_out": "serial", "incident_types": {
        t: {"lead": "fire", "tasks": {"fire_attack": {"lead": ["fire"]}}} for t in ("fire_t", "alarm_t")}}
    (tmp_path / "lead_relays.yaml").write_text(json.dumps(arr), encoding="utf-8")
    doc = {
        **two_grid_head("two_routes", "两条线路", "two routes"),
        "agencies": [
            {"id": "gov", "role": "district_government"},
            {
                "id": "fire",
                "role": "fire",
                "parent": "gov",
                "desk": {"staff": 2, "handling": {"dist": "lognormal", "median": 20, "p90": 60}},
            },
            {
                "id": "c119",
                "role": "centre_119",
                "parent": "fire",
                "desk": {"staff": 4, "handling": {"dist": "lognormal", "median": 45, "p90": 90}},
            },
            {
                "id": "police",
                "role": "police",
                "parent": "gov",
                "desk": {"staff": 4, "handling": {"dist": "lognormal", "median": 20, "p90": 45}},
            },
        ],
        "channels": [
            {"from": "c119", "to": "fire", "kind": "notify", "latency": 30},
            {"from": "police", "to": "fire", "kind": "notify", "latency": 20},
        ],
        "arrangement": "lead_relays.yaml",
        "incident_types": {
            "fire_t": called_in(median=60, p90=240, report_to="centre_119"),
            "alarm_t": called_in(median=120, p90=300, report_to="police"),
        },
        "incidents": [
            {"id": "f1", "type": "fire_t", "grid": "S1-C1-G1"},
            {"id": "f2", "type": "alarm_t", "grid": "S1-C1-G2"},
        ],
    }
    p = tmp_path / "two_routes.yaml"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def row(result, metric, arm):
    return next(r for r in result.comparison.to_pylist() if r["metric"] == metric and r["arrangement"] == arm)


def test_known_extra_latency_is_recovered(tmp_path):
    path = two_route_scenario(tmp_path)
    sc = load_scenario(path)
    assert (sc.channels[0].from_, sc.channels[0].to, sc.channels[0].kind) == ("c119", "fire", "notify")
    res = compare(path, [Variant("A", None), Variant("B", None, (f"channels.0.latency={30 + X}",))], 60, seed=11)
    r = row(res, "t_notify_lead", "B")
    assert r["n"] == 60
    assert r["ci_low"] <= X <= r["ci_high"], r
    assert r["ci_high"] - r["ci_low"] > 1.0  # not a degenerate point interval: the desk order really varies
    assert r["ci_high"] - r["ci_low"] < 30.0  # …yet tight, thanks to common random numbers
    assert r["verdict"] == "worse" and r["p_adjusted"] < 1e-6
    # what pairing buys: Welch's interval on the same runs is several times wider
    assert (r["ci_high_unpaired"] - r["ci_low_unpaired"]) > 4 * (r["ci_high"] - r["ci_low"])
    # the shifted edge changes nothing upstream: detection and report times are identical pair by pair
    for m in ("t_detect", "t_report"):
        d = row(res, m, "B")
        assert d["diff_mean"] == 0 and d["ci_low"] == d["ci_high"] == 0


def test_common_random_numbers_make_paired_ci_narrower():
    res = compare(FIRE, ["sectoral_lead", "integrated_grid", "unified_command"], 30, seed=5)
    checked = 0
    for arm in ("integrated_grid", "unified_command"):
        for m in ("t_first_arrival", "t_notify_lead", "handoff_gap_total"):
            r = row(res, m, arm)
            if r["ci_low"] == r["ci_high"]:
                continue  # identical in every replication: nothing to compare
            assert r["ci_high"] - r["ci_low"] < r["ci_high_unpaired"] - r["ci_low_unpaired"], (arm, m, r)
            checked += 1
    assert checked >= 4


def test_outputs_are_written_with_the_arrangement_column(tmp_path):
    res = compare(FIRE, ["sectoral_lead", "ambiguous"], 4, seed=2)
    out = tmp_path / "cmp"
    res.write(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["replications.parquet", "incidents.parquet", "handoffs.parquet", "tasks.parquet", "workorders.parquet",
         "comparison.parquet",
         "attribution.parquet", "summary.json", ".linkage-output"])  # the output-folder marker
    reps = pq.read_table(out / "replications.parquet")
    assert reps.num_rows == 8
    assert sorted(set(reps.column("arrangement").to_pylist())) == ["ambiguous", "sectoral_lead"]
    for name in ("incidents", "handoffs", "tasks"):
        assert set(pq.read_table(out / f"{name}.parquet").column("arrangement").to_pylist()) == {
            "ambiguous",
            "sectoral_lead",
        }
    assert pq.read_table(out / "comparison.parquet").schema.equals(COMPARISON_SCHEMA)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["baseline"] == "sectoral_lead" and set(summary["arrangements"]) == {"sectoral_lead", "ambiguous"}
    assert summary["arrangements"]["ambiguous"]["metrics"]["ownerless_time"]["mean"] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


@pytest.mark.slow
@pytest.mark.parametrize("scenario", FLAGSHIPS)
def test_every_bundled_arrangement_runs_on_every_flagship(scenario):
    names = [p.stem for p in bundled_arrangements()]
    assert len(names) >= 7
    names.remove("sectoral_lead")
    res = compare(f"scenarios/library/{scenario}.yaml", ["sectoral_lead", *names], 3, seed=1)
    assert set(res.runs) == {"sectoral_lead", *names}
    for label, run in res.runs.items():
        reps = run.replications
        assert reps.num_rows == 3
        assert all(v is not None for v in reps.column("t_detect").to_pylist()), label
        assert all(v is not None for v in reps.column("t_first_arrival").to_pylist()), label
        done = [s for s in run.tasks.column("status").to_pylist() if s == "done"]
        assert len(done) >= run.tasks.num_rows // 2, label  # most tasks finish: no arrangement deadlocks
    assert {r["arrangement"] for r in res.comparison.to_pylist()} == set(names)
    assert set(res.structure) == set(res.runs)


def test_ambiguous_ownerless_time_is_attributed_to_the_right_tasks(tmp_path):
    res = compare(FIRE, ["sectoral_lead", "ambiguous"], 10, seed=3)
    r = row(res, "ownerless_time", "ambiguous")
    assert r["mean_baseline"] == 0 and r["mean_arrangement"] > 0 and r["ci_low"] > 0
    att = res.attribution.to_pylist()
    owner = {x["task"]: x for x in att if x["arrangement"] == "ambiguous" and x["stage"] == "ownership"}
    # first attack (a command, two claimants) is escalated: ownerless until the superior's ruling …
    assert set(owner) == {"first_attack"}
    assert all(x["seconds_mean"] > 0 and x["share"] > 0 for x in owner.values())
    assert owner["first_attack"]["to_agency"] == "street_S3"               # the superior's ruling: first claimant
    # … while the assessment nobody is listed for goes by work order: returned (权属不清) and ruled on (审定)
    wo = {x["stage"]: x for x in att if x["arrangement"] == "ambiguous" and x["task"] == "structural_assessment"}
    assert {"bounce", "arbitration"} <= set(wo) and all(wo[s]["seconds_mean"] > 0 for s in ("bounce", "arbitration"))
    assert wo["bounce"]["from_agency"] == "fire_brigade"  # it follows fire_attack
    assert wo["bounce"]["to_agency"] == "housing"        # the only capable agency, by ruling
    assert not [x for x in att if x["arrangement"] == "sectoral_lead" and x["stage"] in ("ownership", "bounce")]
    # the attribution agrees with handoffs.parquet: ownership seconds per replication, task by task
    res.write(tmp_path / "o")
    h = pq.read_table(tmp_path / "o" / "handoffs.parquet").to_pylist()
    esc = [x for x in h if x["arrangement"] == "ambiguous" and x["escalated"]]
    assert {x["task"] for x in esc} == {"first_attack"}
    for task in owner:
        total = sum(x["owner_known"] - x["available"] for x in esc if x["task"] == task)
        assert owner[task]["seconds_mean"] == pytest.approx(total / 10)
    # and the metric is the sum of those ownership stages
    assert r["mean_arrangement"] == pytest.approx(sum(x["seconds_mean"] for x in owner.values()))


@pytest.mark.parametrize("arms, n, message", [
    (["sectoral_lead"], 5, "at least 2 arrangements"),
    (["sectoral_lead", "sectoral_lead"], 5, "given twice"),
    (["sectoral_lead", "integrated_grid"], 1, "at least 2 replications"),
    (["sectoral_lead", "no_such_doctrine"], 5, "unknown arrangement 'no_such_doctrine'"),
])
def test_bad_input_is_one_line(arms, n, message):
    with pytest.raises(InputError) as e:
        compare(FIRE, arms, n, seed=0)
    assert len(e.value.problems) == 1 and message in str(e.value)


def test_no_metric_is_made_up():
    res = compare(FIRE, ["sectoral_lead", "nearest_first"], 3, seed=4)
    for r in res.comparison.to_pylist():
        if r["n"] >= 2:
            assert r["diff_mean"] is not None and not math.isnan(r["diff_mean"])
        else:
            assert r["verdict"] == "not comparable" and r["missing_baseline"] + r["missing_arrangement"] > 0
    # metrics that do not apply (null in every replication) have no comparison row at all
    reps = res.runs["sectoral_lead"].replications
    null_metrics = {c for c in reps.column_names if reps.column(c).null_count == reps.num_rows}
    assert not null_metrics & {r["metric"] for r in res.comparison.to_pylist()}


def test_attribution_splits_every_gap_part_including_the_owners_decision(tmp_path):
    """The attribution table's stages are records.GAP_PARTS, each charged the time between the two task
    stages that bound it — so per task and stage it equals the mean of that column of handoffs.parquet —
    except the seconds a hand-off waited at a duty desk (``blocked_time``), moved out of its ``block_stage``
    into the desk's ``block_reason`` (``holds.DESK_HOLDS``) on the pair caller → desk (issue 18).
    ``decision`` (notified → decided: housing's 15-minute median ruling on a structural assessment) is
    kept apart from ``unit_wait`` (decided → unit assigned)."""
    from simulation.experiments.outputs import ATTRIBUTION_STAGES
    from simulation.model.records import GAP_PARTS

    n = 6
    res = compare(FIRE, ["sectoral_lead", "integrated_grid"], n, seed=12)
    res.write(tmp_path / "o")
    h = [x for x in pq.read_table(tmp_path / "o" / "handoffs.parquet").to_pylist() if x["incident"] == "fire1"]
    assert not any(x["censored"] for x in h)  # every hand-off started: no horizon charge to account for
    att = res.attribution.to_pylist()
    for arm in res.runs:
        got: dict[tuple[str, str], float] = {}
        for a in att:
            if a["arrangement"] == arm:
                got[(a["task"], a["stage"])] = got.get((a["task"], a["stage"]), 0.0) + a["seconds_mean"]
        want: dict[tuple[str, str], float] = {}
        for x in h:
            if x["arrangement"] == arm:
                held = x["blocked_time"] or 0.0
                for part in GAP_PARTS:
                    v = x[part] - (held if part == x["block_stage"] else 0.0)
                    if v > 0:
                        want[(x["task"], part)] = want.get((x["task"], part), 0.0) + v / n
                if held:
                    k = (x["task"], x["block_reason"])
                    want[k] = want.get(k, 0.0) + held / n
                    assert any(a["from_agency"] == x["blocked_caller"] and a["to_agency"] == x["blocked_by"]
                               and a["stage"] == x["block_reason"] for a in att)
        assert got.keys() == want.keys(), arm
        for k in want:
            assert got[k] == pytest.approx(want[k]), (arm, k)
        assert {s for _, s in got} <= set(ATTRIBUTION_STAGES)
        assert got[("structural_assessment", "decision")] > 5 * 60, arm  # housing deliberates
        # shares of one arm add up to 1
        assert sum(a["share"] for a in att if a["arrangement"] == arm) == pytest.approx(1.0)


def test_share_of_replications_held_is_compared_not_only_the_held_subset():
    """With weak upper-floor water (35 % of nominal flow reaches the fire floors) the flagship fire is held in
    only part of the replications: ``t_control`` is null elsewhere, so its mean is over the held ones.
    ``controlled`` (1 = held by the horizon) is added per replication; its mean is the share held, compared
    with the paired test, higher is better."""
    from simulation.experiments.compare import verdict

    res = compare(FIRE, ["sectoral_lead", "unified_command"], 20, seed=2024,
                  sets=["incidents.fire1.hazard.upper_floor_water_fraction=0.35"])
    for label, run in res.runs.items():
        reps = run.replications
        names = reps.column_names
        assert names.index("controlled") == names.index("t_control") + 1
        tc, held = reps.column("t_control").to_pylist(), reps.column("controlled").to_pylist()
        assert held == [0.0 if v is None else 1.0 for v in tc], label
        assert run.summary["metrics"]["controlled"]["mean"] == pytest.approx(sum(held) / len(held))
    share = res.runs["sectoral_lead"].summary["metrics"]["controlled"]["mean"]
    assert 0 < share < 1  # held in part of the replications: the case this metric is for
    r = row(res, "controlled", "unified_command")
    assert r["n"] == 20 and r["missing_baseline"] == r["missing_arrangement"] == 0  # defined in every replication
    t = row(res, "t_control", "unified_command")
    assert t["n"] < 20 and t["missing_baseline"] > 0  # the conditional time says on how many it rests
    # the CLI shows the share in percent and says what the conditional time rests on
    from rich.console import Console

    from simulation.faces.cli_compare import print_verdicts

    con = Console(record=True, width=240)
    print_verdicts(res, ["controlled", "t_control"], console=con)
    text = con.export_text()
    assert f"{100 * share:.0f} %" in text and " pp [" in text
    assert f"t_control: the difference is over the {t['n']} replications where both arms held the hazard" in text
    assert verdict("controlled", 0.3, 0.1, 0.5, 0.01) == "better"
    assert verdict("controlled", -0.3, -0.5, -0.1, 0.01) == "worse"
    assert verdict("t_control", -30.0, -50.0, -10.0, 0.01) == "better"


def test_controlled_is_absent_where_control_does_not_apply(tmp_path):
    path = two_route_scenario(tmp_path)  # no task `controls` the incident
    res = compare(path, [Variant("A", None), Variant("B", None, ("channels.0.latency=60",))], 3, seed=1)
    for run in res.runs.values():
        assert "controlled" not in run.replications.column_names
        assert "controlled" not in run.summary["metrics"]
    assert "controlled" not in {r["metric"] for r in res.comparison.to_pylist()}
