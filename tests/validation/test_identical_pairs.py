"""Which bundled arrangements give identical outcomes, replication by replication — and the mechanism why.

A comparison is only worth showing if the difference (or its absence) can be traced to a mechanism. For each
flagship this test runs every bundled arrangement with common random numbers and finds the pairs whose
hazard outcomes are identical in every replication. Each such pair must be listed below with the mechanism
that explains it, and the explanation is checked, not just stated:

- ``same route``: every task that acts on the hazard starts at the same time in both arrangements — it is
  commanded by law and reached the same way (the intake centre alerts its own service directly), so the
  arrangements differ only in coordination work that does not touch the hazard;
- ``inert`` tasks: where a hazard-acting task does start at different times, removing that task's
  intervention altogether leaves the outcomes unchanged — in this flagship it acts too late or too weakly to
  matter (the finding is itself a result: see agencies/arrangements/README.md).

The test fails when a new identical pair appears unexplained, when an explained pair stops being identical
(the list is stale), or when the stated mechanism does not hold.
"""

from __future__ import annotations

import itertools

import pytest

from scenarios.loader import bundled_arrangements, load_scenario
from simulation.experiments.api import compare, run

pytestmark = pytest.mark.slow

N, SEED = 8, 2024
OUTCOMES = ("casualties", "t_control", "people_exposed", "peak_density", "fire_floors")
ARRANGEMENTS = sorted(p.stem for p in bundled_arrangements())
SECTORAL_FAMILY = ("ambiguous", "nearest_first", "parallel_grids", "sectoral_lead")

SAME_ROUTE = "same route: the hazard is acted on by law's commanders reached by the intake centre's direct alert"
WHISTLE_IDLE = "吹哨报到 never fires: no task of this flagship needs enforcement powers"
FIRST_ATTACK = "the micro station's first attack (300 L/min) is inert against this fire; " + SAME_ROUTE
RESCUE_POST = ("the district's command post (territorial lead) sets when the fire brigade decides its floor search, "
               "which is inert too: the stair evacuation is ahead of the search")
TERRITORIAL_POST = frozenset(("territorial_lead", "street_whistle"))
CROWD_AIDS = "station closure and guidance are inert next to the police's inflow restriction (commanded by law)"


def _pairs(names: tuple[str, ...]) -> list[frozenset[str]]:
    return [frozenset(p) for p in itertools.combinations(names, 2)]


# flagship → pair → (the hazard-acting tasks that start differently in the two, the mechanism in words)
EXPLAINED: dict[str, dict[frozenset[str], tuple[tuple[str, ...], str]]] = {
    "high_rise_fire": {
        # every arrangement but the integrated grid: since 119 rings the building's fire-control room itself, no
        # relay (street, bureau) carries the evacuation order, and the commanders by law are reached directly
        **{p: ((("first_attack", "search_rescue"), FIRST_ATTACK + "; " + RESCUE_POST)
               if len(p & TERRITORIAL_POST) == 1 else (("first_attack",), FIRST_ATTACK))
           for p in _pairs((*SECTORAL_FAMILY, "unified_command", *TERRITORIAL_POST))},
        frozenset(("parallel_grids", "sectoral_lead")): ((), "a grid patrol rarely detects first; " + SAME_ROUTE),
        frozenset(("street_whistle", "territorial_lead")): ((), WHISTLE_IDLE),
    },
    "chemical_leak": {
        # with the dense-gas plume and the public warning, who is told when now changes exposure: only the pairs
        # whose routes are the same everywhere stay identical
        frozenset(("parallel_grids", "sectoral_lead")): ((), SAME_ROUTE),
        frozenset(("street_whistle", "territorial_lead")): ((), WHISTLE_IDLE),
    },
    "crowd_crush": {
        **{p: (("station_closure", "guidance") if {"ambiguous", "unified_command"} & p else (),
               CROWD_AIDS if {"ambiguous", "unified_command"} & p else SAME_ROUTE)
           for p in _pairs((*SECTORAL_FAMILY, "unified_command"))},
        frozenset(("street_whistle", "territorial_lead")): ((), WHISTLE_IDLE),
    },
}


def _outcomes(result, label: str) -> list[tuple]:
    rows = [r for r in result.table("replications").to_pylist() if r["arrangement"] == label]
    return [tuple(r.get(m) for m in OUTCOMES) for r in sorted(rows, key=lambda r: r["replication"])]


def _starts(result, label: str, task: str) -> list:
    rows = [r for r in result.table("tasks").to_pylist() if r["arrangement"] == label and r["task"] == task]
    return [r["started"] for r in sorted(rows, key=lambda r: r["replication"])]


def _inert(flagship: str, arrangement: str, task: str, with_it: list[tuple]) -> bool:
    """Removing ``task``'s intervention under ``arrangement`` leaves every replication's outcomes unchanged."""
    without = run(f"scenarios/library/{flagship}.yaml", N, SEED, arrangement=arrangement,
                  sets=[f"incident_types.{flagship}.tasks.{task}.intervention=null"])
    rows = sorted(without.replications.to_pylist(), key=lambda r: r["replication"])
    return [tuple(r.get(m) for m in OUTCOMES) for r in rows] == with_it


@pytest.mark.parametrize("flagship", sorted(EXPLAINED))
def test_identical_pairs_are_explained_by_a_mechanism(flagship):
    res = compare(f"scenarios/library/{flagship}.yaml", ARRANGEMENTS, replications=N, seed=SEED)
    outcomes = {a: _outcomes(res, a) for a in ARRANGEMENTS}
    identical = {frozenset(p) for p in itertools.combinations(ARRANGEMENTS, 2) if outcomes[p[0]] == outcomes[p[1]]}
    explained = set(EXPLAINED[flagship])
    assert not identical - explained, f"unexplained identical pairs: {sorted(map(sorted, identical - explained))}"
    stale = sorted(map(sorted, explained - identical))
    assert not stale, f"no longer identical (update the list): {stale}"
    sc = load_scenario(f"scenarios/library/{flagship}.yaml")
    hazard_tasks = [t.id for t in sc.incident_types[flagship].tasks if t.intervention or t.controls]
    for pair in identical:
        a, b = sorted(pair)
        inert, why = EXPLAINED[flagship][pair]
        differing = [t for t in hazard_tasks if _starts(res, a, t) != _starts(res, b, t)]
        assert sorted(differing) == sorted(inert), (flagship, a, b, differing, why)
        for task in differing:  # the mechanism: a task that starts differently does not act on the outcome here
            assert _inert(flagship, a, task, outcomes[a]), (flagship, a, b, task, why)
        if why == WHISTLE_IDLE:
            assert not any(t.powers for t in sc.incident_types[flagship].tasks)
