"""The response level decides which tier commands (分级负责): the district for levels III–IV, the city for I–II
(the flagships' ``city_command_at: 2``). At a city level the district reports up (上报), the city's
headquarters takes over the command post, and a reinforcement the district cannot fill comes from another
district (跨区增援) — which a district-commanded incident never gets unless the scenario's dispatch rule sends
mutual aid for every request."""

from __future__ import annotations

import pytest

from scenarios.errors import InputError
from scenarios.loader import load_scenario
from simulation.experiments import api

FLAGSHIP = "scenarios/library/high_rise_fire.yaml"
TWO_ENGINES = ("units.0.count=1", "units.3.count=1")  # fs1 and fs2 keep one engine each


def incidents(sets: tuple[str, ...], n: int = 12, seed: int = 5):
    return api.run(FLAGSHIP, n, seed, sets=sets).incidents.to_pylist()


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
def test_the_level_decides_who_commands(severity):
    rows = incidents((f"incidents.0.severity={severity}",))
    for r in rows:
        assert r["level"] == severity
        if r["command_tier"] == "city":
            # only a level the city commands hands the command to the city's headquarters …
            assert r["level_max"] <= 2 and r["command_post"] == "city_gov" and r["t_city_command"] is not None
        else:
            assert r["command_tier"] == "district" and r["t_city_command"] is None
    tiers = {r["command_tier"] for r in rows}
    if severity <= 2:
        assert tiers == {"city"}  # declared at II or I: the city takes over in every replication
    if severity == 4:
        assert "district" in tiers


def test_the_city_sends_another_districts_engines_when_the_district_has_none_left():
    """Two engines in the district, both on the first alarm: the second alarm at level II finds none free.
    Commanded by the city, it is filled from another district; with the district commanding at every level
    (``city_command_at: null``) it waits for an engine to come back and no other district is asked."""
    city = incidents(TWO_ENGINES, n=16)
    district = incidents((*TWO_ENGINES, "incident_types.high_rise_fire.response.city_command_at=null"), n=16)
    raised = [r for r in city if r["level_max"] <= 2]
    assert raised, "the fire must spread to three floors in some replications"
    assert any(r["mutual_aid"] for r in raised)
    assert all(r["command_tier"] == "city" for r in city if r["mutual_aid"])
    assert not any(r["mutual_aid"] for r in district)
    assert all(r["command_tier"] == "district" for r in district)


def test_a_city_level_without_a_city_agency_is_refused_at_load(tmp_path):
    with pytest.raises(InputError, match=r"response\.city_command_at: .*city_government"):
        load_scenario(FLAGSHIP, sets=["agencies.0.role=district_government"])
