"""Structural indicators on a tiny hand-built scenario whose answers are worked out by hand.

Graph (fixed latencies; desk handling in brackets):
    centre_119 [0] —10— fire [5] —60— police [5] —30— health [5]
    district_gov [50] —100— fire / police / street [20]
Relay = incident lead = fire; health is reachable only through police, the street only through the
district government — so those two desks are single points of failure for them. With the police as relay,
119 still alerts its own service (the fire brigade) directly (``intake_direct``). Expected latencies leave out
the receiver's verification (核实): the engine makes every notice wait for it, the direct alert included, so it
is common to every route and does not change which is quicker (pinned against the engine below).
"""

from __future__ import annotations

import json

import pytest

from scenarios.loader import load_scenario
from simulation.experiments.structure import cut_desks, indicators, weighted_graph
from simulation.model.world import build_world
from tests.helpers import two_grid_head


def tiny(tmp_path, cordon_leads=("police",), relay=None, intake_direct=True, fire_attack_informed=(), verify=0,
         property_alarm=False):
    doc = {
        **two_grid_head("tiny", "小", "tiny"),
        "agencies": [
            {"id": "gov", "role": "district_government", "desk": {"staff": 1, "handling": 50}},
            {"id": "fire", "role": "fire", "parent": "gov", "desk": {"staff": 2, "handling": 5}},
            {"id": "c119", "role": "centre_119", "parent": "fire", "desk": {"staff": 2, "handling": 0}},
            {"id": "police", "role": "police", "parent": "gov", "desk": {"staff": 2, "handling": 5}},
            {"id": "health", "role": "health", "parent": "gov", "desk": {"staff": 2, "handling": 5}},
            {
                "id": "street",
                "role": "street_office",
                "parent": "gov",
                "jurisdiction": ["S1"],
                "desk": {"staff": 1, "handling": 20},
            },
        ],
        "channels": [
            {"from": "c119", "to": "fire", "kind": "command", "latency": 10},
            {"from": "fire", "to": "police", "kind": "request_support", "latency": 60},
            {"from": "police", "to": "health", "kind": "handoff", "latency": 30},
            {"from": "gov", "to": "fire", "kind": "command", "latency": 100},
            {"from": "gov", "to": "police", "kind": "command", "latency": 100},
            {"from": "gov", "to": "street", "kind": "command", "latency": 100},
        ],
        "arrangement": {
            "name": "tiny_lead",
            "relay": relay,
            "fan_out": "serial",
            "intake_direct": intake_direct,
            "incident_types": {
                "fire_t": {
                    "lead": "fire",
                    "tasks": {
                        "fire_attack": {"lead": ["fire"], "informed": list(fire_attack_informed)},
                        "cordon": {"lead": list(cordon_leads)},
                        "triage_transport": {"lead": ["health"]},
                        "resettlement": {"lead": ["street_office"]},
                    },
                }
            },
        },
        "incident_types": {
            "fire_t": {
                "detection": [{"kind": "citizen_call", "delay": 60, "report_to": "centre_119"}],
                "verify": verify,
                "tasks": [
                    {"id": "fire_attack", "duration": 100},
                    {"id": "cordon", "duration": 100},
                    {"id": "triage_transport", "after": ["fire_attack"], "duration": 100},
                    {"id": "resettlement", "after": ["cordon"], "duration": 100},
                ],
            }
        },
        "incidents": [{"id": "f1", "type": "fire_t", "grid": "S1-C1-G1"}],
    }
    if property_alarm:
        # The property's alarm goes to 119 (20 s, desk 0), which has a line to the district government (40 s).
        doc["agencies"].append({"id": "prop", "role": "property", "parent": "gov", "desk": {"staff": 1, "handling": 0}})
        doc["channels"] += [{"from": "prop", "to": "c119", "kind": "report", "latency": 20},
                            {"from": "c119", "to": "gov", "kind": "notify", "latency": 40}]
        doc["incident_types"]["fire_t"]["detection"] = [{"kind": "sensor", "delay": 60, "report_to": "property"}]
    p = tmp_path / "tiny.yaml"
    p.write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML
    return build_world(load_scenario(p))


def test_notification_paths_hops_and_latency(tmp_path):
    ind = indicators(tiny(tmp_path))
    rows = {r["target"]: r for r in ind["notification"]}
    assert ind["relay"] == "fire" and ind["lead"] == "fire"
    assert {r["receiver"] for r in ind["notification"]} == {"c119"}
    # c119 → fire: 10 + 5 desk
    assert rows["fire"]["hops"] == 1 and rows["fire"]["expected_latency"] == pytest.approx(15)
    # … → police: + 60 + 5
    assert rows["police"]["hops"] == 2 and rows["police"]["expected_latency"] == pytest.approx(80)
    # … → health via police: + 30 + 5
    assert rows["health"]["hops"] == 3 and rows["health"]["expected_latency"] == pytest.approx(115)
    # … → street via gov: 15 + (100 + 50) + (100 + 20)
    assert rows["street"]["hops"] == 3 and rows["street"]["expected_latency"] == pytest.approx(285)
    assert ind["summary"]["max_notify_hops"] == 3
    assert ind["summary"]["unreachable_targets"] == 0


def test_single_points_of_failure(tmp_path):
    w = tiny(tmp_path)
    g = weighted_graph(w)
    assert cut_desks(g, "fire", "health") == ["police"]
    assert cut_desks(g, "fire", "street") == ["gov"]
    assert cut_desks(g, "c119", "fire") == []
    spof = {s["desk"]: s for s in indicators(w)["single_points_of_failure"]}
    assert spof["police"]["cuts"] == ["health"] and spof["police"]["reasons"] == ["graph"]
    assert spof["gov"]["cuts"] == ["street"]
    # The relay is on every path by rule, for every target but itself.
    assert spof["fire"]["reasons"] == ["relay"] and spof["fire"]["cuts"] == ["health", "police", "street"]
    assert set(spof) == {"police", "gov", "fire"}


def test_handoff_pairs_lowest_common_superior(tmp_path):
    pairs = {p["task"]: p for p in indicators(tiny(tmp_path))["handoff_pairs"]}
    assert set(pairs) == {"triage_transport", "resettlement"}
    route = ("from_agency", "to_agency", "superior", "hierarchy_hops", "channel_hops")
    t = pairs["triage_transport"]
    assert tuple(t[k] for k in route) == ("fire", "health", "gov", 2, 2)
    assert t["expected_latency"] == pytest.approx(65 + 35)
    r = pairs["resettlement"]
    assert tuple(r[k] for k in route) == ("police", "street", "gov", 2, 2)
    assert r["expected_latency"] == pytest.approx(150 + 120)


def test_escalation_of_an_ownerless_task(tmp_path):
    ind = indicators(tiny(tmp_path, cordon_leads=()))
    (esc,) = ind["escalations"]
    assert esc["task"] == "cordon" and esc["claimants"] == 0 and esc["candidates"] == ["police"]
    assert esc["superior"] == "gov" and esc["channel_hops"] == 1
    assert esc["expected_latency"] == pytest.approx(100 + 50)


def test_betweenness(tmp_path):
    bc = indicators(tiny(tmp_path))["betweenness"]
    assert bc["health"] == 0 and bc["street"] == 0  # leaves carry nobody's messages
    assert bc["police"] > 0 and bc["gov"] > 0 and bc["fire"] > 0


def test_bundled_integrated_grid_routes_grid_reports_to_the_platform():
    from simulation.model.world import build_world as bw

    ind = {a: indicators(bw(load_scenario("scenarios/library/high_rise_fire.yaml", a)))
           for a in ("sectoral_lead", "integrated_grid", "unified_command")}

    def rcv(a: str) -> dict[str, str]:
        return {r["detector"]: r["receiver"] for r in ind[a]["notification"]}

    assert rcv("integrated_grid")["grid_patrol"] == "city_ops"
    assert rcv("sectoral_lead")["grid_patrol"] == "rc_S3"
    # One hop from the platform to every owner: at most intake → city_ops → agency.
    assert (
        ind["integrated_grid"]["summary"]["max_notify_hops"] <= 2 < ind["sectoral_lead"]["summary"]["max_notify_hops"]
    )
    assert ind["integrated_grid"]["single_points_of_failure"][0]["desk"] == "city_ops"
    assert ind["unified_command"]["single_points_of_failure"][0]["desk"] == "emergency_bureau"
    assert next(iter(ind["integrated_grid"]["betweenness_centres"])) == "city_ops"


def test_intake_centre_alerts_its_own_service_directly(tmp_path):
    """Relay = police: every notice goes c119 → fire → police (80 s) and out again — except the fire
    brigade's, which 119 alerts itself over its radio (15 s); so the relay is no single point of failure
    for the fire brigade, but still is for everyone else."""
    ind = indicators(tiny(tmp_path, relay="police"))
    rows = {r["target"]: r for r in ind["notification"]}
    assert ind["relay"] == "police"
    assert (rows["fire"]["route"], rows["fire"]["hops"]) == ("direct", 1)
    assert rows["fire"]["expected_latency"] == pytest.approx(15)
    assert rows["health"]["route"] == "relay" and rows["health"]["expected_latency"] == pytest.approx(80 + 35)
    spof = {s["desk"]: s for s in ind["single_points_of_failure"]}
    assert "fire" not in spof["police"]["cuts"] and spof["police"]["reasons"] == ["relay"]
    assert set(spof["police"]["cuts"]) == {"health", "street"}
    assert "health" in spof["fire"]["cuts"] and spof["fire"]["reasons"] == ["graph"]  # c119 → police runs via fire


def test_without_intake_direct_the_service_waits_for_the_relay(tmp_path):
    ind = indicators(tiny(tmp_path, relay="police", intake_direct=False))
    rows = {r["target"]: r for r in ind["notification"]}
    # c119 → fire → police (80) then police → fire (60 + 5)
    assert rows["fire"]["route"] == "relay" and rows["fire"]["hops"] == 3
    assert rows["fire"]["expected_latency"] == pytest.approx(80 + 65)
    spof = {s["desk"]: s for s in ind["single_points_of_failure"]}
    assert "fire" in spof["police"]["cuts"]


def test_task_level_informed_agencies_are_notification_targets(tmp_path):
    plain = {r["target"] for r in indicators(tiny(tmp_path))["notification"]}
    assert "gov" not in plain
    ind = indicators(tiny(tmp_path, fire_attack_informed=("district_government",)))
    rows = {r["target"]: r for r in ind["notification"]}
    # c119 → fire (15), fire → gov over the both-ways command channel (100 + 50)
    assert rows["gov"]["hops"] == 2 and rows["gov"]["expected_latency"] == pytest.approx(15 + 150)


def test_direct_alert_waits_for_verification_like_the_relays_notice(tmp_path):
    """The engine side of the structural latencies above: 119's direct alert leaves after the same
    verification as the relay's notice, so a relay that is not the fire brigade buys it no head start.
    Fixed times: report at 60 s (c119's desk takes 0), verification 100 s, radio 10 s, fire's desk 5 s →
    the fire brigade hears at 175 s whether it is the relay (lead relays) or is alerted directly (police
    relay). Before verification applied to the direct alert it heard at 75 s under the police relay."""
    from simulation.experiments.runner import run

    def fire_notified(world) -> list[float]:
        """When the lead (the fire brigade) heard, per replication."""
        return run(world.scenario, 2, seed=1, world=world).incidents.column("t_notify_lead").to_pylist()

    assert fire_notified(tiny(tmp_path, verify=100)) == [175.0, 175.0]                 # fire is the relay
    assert fire_notified(tiny(tmp_path, relay="police", verify=100)) == [175.0, 175.0]  # direct alert
    # … and the verification really is in both: without it the same routes take 75 s
    assert fire_notified(tiny(tmp_path, relay="police")) == [75.0, 75.0]


def test_a_case_passing_through_119_reaches_the_fire_brigade_there(tmp_path):
    """Property alarm, relay = district government: the case travels prop → c119 → gov (20 + 0, then 40 + 50
    = 110 s). 119 alerts its own service as the case passes, like any call it takes: c119 → fire 10 + 5, so
    the fire brigade hears 35 s after the report — not after the relay, prop → gov → c119 → fire (110 + 40 + 15 =
    165 s, back over the both-ways notify line). The relay
    is then no single point of failure for the fire brigade; 119, on both routes, is. Pinned against the
    engine: report at 60 s, verification 0 → the fire brigade (lead) hears at 95 s; 225 s without
    ``intake_direct``, which turns every intake-centre alert off."""
    from simulation.experiments.runner import run

    ind = indicators(tiny(tmp_path, relay="district_government", property_alarm=True))
    rows = {r["target"]: r for r in ind["notification"]}
    assert ind["relay"] == "gov" and {r["receiver"] for r in ind["notification"]} == {"prop"}
    assert (rows["fire"]["route"], rows["fire"]["via"], rows["fire"]["hops"]) == ("passing", "c119", 2)
    assert rows["fire"]["expected_latency"] == pytest.approx(35)
    # police is not 119's service: it waits for the relay, prop → c119 → gov → police (110 + 105)
    assert (rows["police"]["route"], rows["police"]["via"]) == ("relay", None)
    assert rows["police"]["expected_latency"] == pytest.approx(215)
    spof = {s["desk"]: s for s in ind["single_points_of_failure"]}
    assert "fire" not in spof["gov"]["cuts"] and spof["gov"]["reasons"] == ["relay"]
    assert "fire" in spof["c119"]["cuts"] and spof["c119"]["reasons"] == ["graph"]

    off = indicators(tiny(tmp_path, relay="district_government", property_alarm=True, intake_direct=False))
    fire_off = next(r for r in off["notification"] if r["target"] == "fire")
    assert (fire_off["route"], fire_off["expected_latency"]) == ("relay", pytest.approx(165))
    assert "fire" in {s["desk"]: s for s in off["single_points_of_failure"]}["gov"]["cuts"]

    for direct, heard in ((True, 95.0), (False, 225.0)):
        w = tiny(tmp_path, relay="district_government", property_alarm=True, intake_direct=direct)
        assert run(w.scenario, 2, seed=1, world=w).incidents.column("t_notify_lead").to_pylist() == [heard, heard]
