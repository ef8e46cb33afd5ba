"""Station areas (辖区) and the rule for leaving them (issue 17, item 3).

A line of seven grids 1 km apart (100 s by road each); district 1 = street S1 (G1–G4), district 2 = S2
(G5–G7). Police stations: A at G1 and N at G4 (district 1), C at G7 (district 2), one patrol car each.
G5 lies in district 2 but N (district 1) is nearer to it than C: nearest dispatch would send N; the area rule
sends C, the station of G5's own area, and N only when C is busy *and* the rule lets a unit cross the
district line from that far. The requests go through the engine's unit pool, as a task's do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulation.experiments.api import prepare
from simulation.model.engine import Replication
from simulation.model.policy import IncidentView
from simulation.model.station_areas import AREA, DISTRICT, OWN
from simulation.model.unit_pool import MUTUAL_AID

LINE = """name: area_line
description: {zh: 辖区调派测试, en: station-area dispatch test}
horizon: 3600
city:
  explicit:
    grids:
%s
    roads:
%s
agencies:
  - {id: centre_110, role: centre_110}
  - {id: pA, role: police, jurisdiction: [S1]}
  - {id: pB, role: police, jurisdiction: [S2]}
channels:
  - {from: centre_110, to: pA, kind: command}
  - {from: centre_110, to: pB, kind: command}
stations:
  - {id: A, agency: pA, grid: G1}
  - {id: N, agency: pA, grid: G4}
  - {id: C, agency: pB, grid: G7}
units:
  - {station: A, kind: patrol_car}
  - {station: N, kind: patrol_car}
  - {station: C, kind: patrol_car}
arrangement:
  name: areas
  dispatch: nearest
  incident_types:
    police_call: {lead: police, tasks: {attend: {lead: [police]}}}
incident_types:
  police_call:
    detection: [{kind: citizen_call, delay: {dist: fixed, value: 60}, report_to: centre_110}]
    tasks: [{id: attend, capability: call_response, unit: patrol_car}]
streams: [{id: s110, type: police_call, rate_per_hour: 0.01}]
dispatch: {order: nearest, when_all_busy: mutual_aid}
"""
GRIDS = "\n".join(f"      - {{id: G{k}, street: {'S1' if k <= 4 else 'S2'}, x: {1000.0 * k}, y: 0}}"
                  for k in range(1, 8))
ROADS = "\n".join(f"      - {{from: G{k}, to: G{k + 1}, length_m: 1000, speed_kmh: 36}}" for k in range(1, 7))


def _pool(tmp_path: Path, *sets: str):
    f = tmp_path / "line.yaml"
    f.write_text(LINE % (GRIDS, ROADS), encoding="utf-8")
    _, world = prepare(f, sets=sets)
    rep = Replication(world, 1, 0)
    return world, rep.units


def _send(world, pool, grid: str):
    """One request for a patrol car to ``grid``: the station it came from, or 'mutual_aid'."""
    g = world.citymap.index[grid]
    ev = pool.request("patrol_car", None, g, 1, IncidentView("i", "police_call", grid, 4, 0.0), "attend")
    assert ev.triggered
    return "mutual_aid" if ev.value is MUTUAL_AID else ev.value[0].station


AREAS = "dispatch.areas={aid_within: %s, cross_district: %s, district_aid_within: %s}"


def test_nearest_without_areas_crosses_the_district_line(tmp_path):
    """The contrast: plain nearest dispatch sends N (district 1, 100 s) to G5 in district 2."""
    world, pool = _pool(tmp_path)
    assert _send(world, pool, "G5") == "N"


def test_own_area_station_goes_first_when_free(tmp_path):
    """G5 is in C's area (its district's only station), though N is nearer: C goes."""
    world, pool = _pool(tmp_path, AREAS % ("null", "true", "null"))
    assert world.areas.tier_of(world.units[2], world.citymap.index["G5"]) == OWN
    assert _send(world, pool, "G5") == "C"


def test_other_district_only_when_the_rule_allows(tmp_path):
    """C busy: N may cross into district 2 only with ``cross_district`` and within ``district_aid_within``
    (N→G5 is 100 s); otherwise the call goes to ``when_all_busy`` (outside help)."""
    for cross, within, expect in (("false", "null", "mutual_aid"), ("true", "150", "N"), ("true", "50", "mutual_aid")):
        world, pool = _pool(tmp_path, AREAS % ("null", cross, within))
        assert _send(world, pool, "G5") == "C"
        assert _send(world, pool, "G5") == expect, (cross, within)


def test_neighbour_area_only_within_the_dispatch_distance(tmp_path):
    """G2 is in A's area; with A busy, N (same district, 200 s away) goes only if ``aid_within`` ≥ 200 s; C
    (another district) never, cross-district aid being off."""
    world, pool = _pool(tmp_path, AREAS % ("250", "false", "null"))
    g2 = world.citymap.index["G2"]
    assert [world.areas.tier_of(u, g2) for u in world.units] == [OWN, AREA, DISTRICT]
    assert [_send(world, pool, "G2") for _ in range(3)] == ["A", "N", "mutual_aid"]
    world, pool = _pool(tmp_path, AREAS % ("150", "false", "null"))
    assert [_send(world, pool, "G2") for _ in range(2)] == ["A", "mutual_aid"]


def test_a_returning_unit_serves_only_requests_the_rule_allows(tmp_path):
    """Waiting line (``when_all_busy: queue``): A busy, a G2 request waits; C's return does not serve it (another
    district, cross-district off); A's return does."""
    world, pool = _pool(tmp_path, AREAS % ("150", "false", "null"), "dispatch.when_all_busy=queue")
    g2, g7 = world.citymap.index["G2"], world.citymap.index["G7"]
    view = IncidentView("i", "police_call", "G2", 4, 0.0)
    first = pool.request("patrol_car", None, g2, 1, view, "attend")
    c = pool.request("patrol_car", None, g7, 1, IncidentView("j", "police_call", "G7", 4, 0.0), "attend")
    waiting = pool.request("patrol_car", None, g2, 1, view, "attend")
    assert first.value[0].station == "A" and c.value[0].station == "C" and not waiting.triggered
    pool.release(c.value, g7)
    pool.env.run(until=1)  # C is back at its station (0 s away): it may not go to G2
    assert not waiting.triggered
    pool.release(first.value, g2)
    pool.env.run(until=200)
    assert waiting.triggered and waiting.value[0].station == "A"


@pytest.mark.parametrize("busy_share", [0.0, 0.5, 0.9, 1.0])
def test_ranking_walk_equals_the_full_sort_under_areas(busy_share):
    """The pool's fast path (walk the grid's ranking to the first free unit) gives the units the full sort by
    the rule's key gives, on the small megacity, whatever is busy."""
    import tempfile

    from scenarios.megacity import megacity_yaml, small_city

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "small.yaml"
        f.write_text(megacity_yaml(small_city()), encoding="utf-8")
        _, world = prepare(f)
    pool = Replication(world, 1, 0).units
    rng = np.random.default_rng(7)
    busy = rng.random(len(world.units)) < busy_share
    for u in world.units:
        pool.free[u.index] = not busy[u.index]
        (pool.free_of_kind[u.kind].discard if busy[u.index] else pool.free_of_kind[u.kind].add)(u.index)
    for g in rng.choice(world.citymap.n, size=40, replace=False).tolist():
        for kind in ("patrol_car", "ambulance", "engine"):
            full = pool.candidates(kind, None, g)
            assert all(world.areas.may_go(u, g) for u in full)
            for limit in (1, 3):
                assert pool.candidates(kind, None, g, limit) == full[:limit]
