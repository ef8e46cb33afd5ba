"""Assisting agencies act (协助出动): an assistant with units of the task's kind sends its share, after its own
notice and decision, and its units are listed on the task — so the arrangement that lists it changes who is
on scene and when."""

from __future__ import annotations

import math

from scenarios.loader import load_scenario
from simulation.model.assist import shares
from simulation.model.engine import Replication
from simulation.model.world import build_world

FLAGSHIP = "scenarios/library/high_rise_fire.yaml"
# The fire is in street S3; the neighbouring street S2's micro fire station assists the first attack. One
# integrated platform tells S2 at once (the sectoral lead's serial phone list reaches it much later).
NEIGHBOUR = "arrangement.incident_types.high_rise_fire.tasks.first_attack.assist=[street_S2]"
TWO = "incident_types.high_rise_fire.tasks.first_attack.count=2"


def first_attack(sets: tuple[str, ...], seed: int = 3, r: int = 0, arrangement: str = "integrated_grid"):
    sc = load_scenario(FLAGSHIP, arrangement, sets)
    rep = Replication(build_world(sc), seed=seed, replication=r).run()
    return next(t for t in rep.tasks if t.task == "first_attack"), rep


def test_shares_split_the_requirement_owner_first():
    assert shares(2, 2) == [1, 1] and shares(3, 2) == [2, 1] and shares(1, 3) == [1, 0, 0]
    assert all(sum(shares(c, p)) == c for c in range(1, 9) for p in range(1, 5))


def test_the_assistants_units_appear_on_the_task():
    alone, _ = first_attack((TWO,), seed=1)
    helped, rep = first_attack((TWO, NEIGHBOUR), seed=1)
    agencies_alone = {u.split(".")[1] for u in alone.units}
    agencies_helped = {u.split(".")[1] for u in helped.units}
    assert agencies_alone == {"street_S3"}
    assert {"street_S3", "street_S2"} <= agencies_helped
    # the assistant moved only after the incident reached it
    st = rep.incident_states[0]
    assert st.knows("street_S2") and st.notified["street_S2"].value <= helped.done


def test_an_assistant_whose_decision_outlasts_the_work_sends_nothing():
    """Seed 3: the owner (street S3) dispatches at 13.4 min and calls on street S2, which knew of the fire already;
    S2's own decision (its agency's decision time, drawn from its stream) ends after the first attack's work is
    done — it never moves, and only S3's units are listed."""
    from simulation.model.rng import Streams

    helped, rep = first_attack((TWO, NEIGHBOUR), seed=3)
    st = rep.incident_states[0]
    decision = Streams(3, 0).draw("decision", f"{st.key}.first_attack.assist.street_S2",
                                  rep.world.graph.agency["street_S2"].decision)
    assert st.notified["street_S2"].value < helped.decided < helped.done < helped.decided + decision
    assert {u.split(".")[1] for u in helped.units} == {"street_S3"}


def test_an_assistant_that_is_never_told_sends_nothing():
    """Every channel to the neighbouring street out of service for the whole run (a channel missing altogether is
    refused at load: a notice with no road is a typo more often than a plan): it never learns of the fire, so it
    never moves."""
    sc = load_scenario(FLAGSHIP, "integrated_grid", (TWO, NEIGHBOUR))
    cut = [f"channels.{i}.down=[[0, {sc.horizon}]]" for i, c in enumerate(sc.channels)
           if "street_S2" in (c.from_, c.to)]
    helped, rep = first_attack((TWO, NEIGHBOUR, *cut))
    assert {u.split(".")[1] for u in helped.units} == {"street_S3"}
    assert not rep.incident_states[0].knows("street_S2")
    assert not math.isnan(helped.started)


def test_an_assistant_told_after_the_work_ended_stays_home():
    """Under the sectoral lead's serial phone list the neighbouring street hears of the fire after the first
    attack is over: listed as assisting, it still brings nothing — the notice, not the list, decides."""
    helped, rep = first_attack((TWO, NEIGHBOUR), arrangement="sectoral_lead")
    st = rep.incident_states[0]
    assert st.notified["street_S2"].value > helped.done
    assert {u.split(".")[1] for u in helped.units} == {"street_S3"}


def test_the_assistants_units_are_in_tasks_parquet(tmp_path):
    from simulation.experiments.api import run

    run(FLAGSHIP, 3, 3, arrangement="integrated_grid", sets=[TWO, NEIGHBOUR]).write(tmp_path / "out")
    import pyarrow.parquet as pq

    rows = [r for r in pq.read_table(tmp_path / "out" / "tasks.parquet").to_pylist() if r["task"] == "first_attack"]
    assert rows and all("street_S3" in r["units"] for r in rows)  # the owner's share, always
    # the assistant's share, where it heard of the fire and decided before the work was over
    assert any("street_S2" in r["units"] for r in rows)


def test_a_share_still_waiting_when_the_work_ends_is_stood_down():
    """The owner (fire, nearest dispatch) sends the street office's only engine; the street office's own share waits
    for that engine to come back — and the work is over before it does. The waiting share is stood down, as a second
    alarm is: the engine used to be sent again to the finished task only to turn back, listed twice on it and
    booked for a second, empty trip (found by tests/property/test_mechanism_properties.py)."""
    from tests.property.strategies import tiny

    def edit(doc: dict) -> None:
        doc["agencies"].append({"id": "so", "role": "street_office", "parent": "fire", "desk": {"staff": 1}})
        doc["stations"].append({"id": "ss", "agency": "so", "grid": "g0"})
        doc["units"] = [{"station": "ss", "kind": "engine"}]
        doc["channels"] = [{"from": "fire", "to": "so"}]
        doc["incident_types"]["it"]["tasks"][0].update(count=2, unit="engine")
        doc["arrangement"]["incident_types"]["it"]["tasks"]["t0"].update(assist=["so"], dispatch="nearest")

    rep = Replication(build_world(tiny(edit)), seed=1, replication=0).run()
    (task,) = rep.tasks
    assert task.status == "done" and task.units == ["district.so.ss.engine1"]
    assert [(u.task, u.assigned) for u in rep.unit_uses] == [("t0", task.unit_assigned)]
    assert not rep.units.waiting.get("engine")  # nothing left in line for finished work
