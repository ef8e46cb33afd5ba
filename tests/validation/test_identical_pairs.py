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
FIRE_SEARCH = ("the floor search follows the property's evacuation (119 rings the fire-control room itself) and "
               "the fire brigade decides it before any command post is up, so no arrangement's post changes when")
TERRITORIAL_POST = frozenset(("territorial_lead", "street_whistle"))
CHEM_BUREAU = ("the emergency bureau leads in both and hears first, from the enterprise: its warning goes out at the "
               "same time, its first call is the fire brigade (reconnaissance, plugging), and the street office, "
               "called in turn or at once, hears before the reconnaissance ends — which the shelter notice waits for")
CROWD_DECIDED = ("the crowd is decided before any arrangement-dependent task acts: the CCTV density alarm is the first "
                 "report, 110's police (same route) restrict the inflow before the density reaches critical — no "
                 "casualties, the peak set by when the police act — and the station closure and guidance start on a "
                 "crowd already thinning, so they are inert")


def _pairs(names: tuple[str, ...]) -> list[frozenset[str]]:
    return [frozenset(p) for p in itertools.combinations(names, 2)]


# flagship → pair → (the hazard-acting tasks that start differently in the two, the mechanism in words).
# The figures in the comments: compare(flagship, ARRANGEMENTS, replications=N, seed=SEED), its tasks, incidents
# and replications tables, run 2026-12-01 after the counter-based streams and the two stream fixes.
EXPLAINED: dict[str, dict[frozenset[str], tuple[tuple[str, ...], str]]] = {
    "high_rise_fire": {
        # every arrangement but the integrated grid: fire_attack (119 alerts the brigade) and first_response (119
        # rings the property) start at the same times in all seven; search_rescue too, in all eight: the earliest
        # command post is up at 1668 s, after the last search decision (1555 s), so the district's later post
        # under the territorial lead no longer shifts it. Only the micro station's first attack differs.
        **{p: (("first_attack",), FIRST_ATTACK + "; " + FIRE_SEARCH)
           for p in _pairs((*SECTORAL_FAMILY, "unified_command", *TERRITORIAL_POST))},
        frozenset(("parallel_grids", "sectoral_lead")): ((), "a grid patrol rarely detects first; " + SAME_ROUTE),
        frozenset(("street_whistle", "territorial_lead")): ((), WHISTLE_IDLE),
    },
    "chemical_leak": {
        # the gas detector reports to the enterprise in all 8 replications; the enterprise tells the emergency
        # bureau (the lead in these three) at 122-362 s, which calls fire at 185-428 s in all three. The street
        # office hears at 550-1633 s under the serial lists (235-872 s at once under unified command), always
        # before the reconnaissance ends (1287-1976 s; the closest, 89 s before), so the shelter notice starts
        # when the reconnaissance ends under all three. (Before the stream fixes the reconnaissance sometimes
        # ended first and the serial call held the notice: unified command differed.)
        **{p: ((), CHEM_BUREAU) for p in _pairs(("parallel_grids", "sectoral_lead", "unified_command"))},
        frozenset(("street_whistle", "territorial_lead")): ((), WHISTLE_IDLE),
    },
    "crowd_crush": {
        # with these draws the CCTV density alarm (p = 0.8) is the first report in all 8 replications: the alert
        # density (2.15 P/m²) is crossed at 4154 s, the venue operator calls 110 and the police hear at 4309-4699 s
        # in all seven; they restrict the inflow at 4575-4965 s, the density peaks at the end of the metro
        # discharge begun before they act (at 4680 or 4920 s) at 2.47-2.83 P/m², below the critical 4.0 (reached at
        # 6120 s untouched), and is at most 1.9 P/m² and falling at 6600 s; the station closure starts at 6633 s or
        # later, guidance at 8739 s or later. In run(crowd_crush, 200, 2024, arrangement="sectoral_lead") 25
        # replications are first reported by a citizen call at the critical density, and exactly those 25 have
        # casualties; none of them is among these 8, so the identity is a property of these draws.
        **{p: (("station_closure", "guidance"), CROWD_DECIDED)
           for p in _pairs((*SECTORAL_FAMILY, "unified_command", *TERRITORIAL_POST))},
        **{p: ((), SAME_ROUTE) for p in _pairs(("nearest_first", "parallel_grids", "sectoral_lead"))},
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
