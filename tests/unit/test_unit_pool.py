"""The unit pool's short cuts give what the plain formulation gave (issue 17: the pool's cost per replication).

``first_arrival`` finds the first unit on scene without building the list of arrivals: it must still be
``min()`` of the arrivals and, on a tie, the first unit listed (``list.index``). A kind's set of free units is
made when first asked for, from the free flags, and kept up to date from then on; a kind the fleet lacks has none.
"""

from __future__ import annotations

from simulation.experiments.api import prepare
from simulation.model.engine import Replication
from tests.helpers import SCENARIO_LIBRARY

FIRE = SCENARIO_LIBRARY / "high_rise_fire.yaml"


def _arrivals_as_before(rep: Replication, units, grid: int) -> tuple[float, str]:
    """The formulation the pool had: every arrival in a list, its min, the first unit at that min."""
    pool = rep.units
    factor = pool.road_factor()
    arrivals = [rep.streams.draw("turnout", u.name, u.turnout) + rep.world.travel.item(u.station_row, grid) * factor
                for u in units]
    first = min(arrivals)
    return first, units[arrivals.index(first)].name


def test_first_arrival_is_the_min_and_ties_go_to_the_first_listed() -> None:
    _, world = prepare(FIRE)
    by_name = {u.name.split(".", 2)[2]: u for u in world.units}
    fs1 = [by_name[f"fs1.engine{k}"] for k in (1, 2, 3)]  # one station, fixed turnout: equal arrivals
    fs2 = [by_name[f"fs2.engine{k}"] for k in (1, 2)]
    ambulances = [u for u in world.units if u.kind == "ambulance"]  # drawn turnouts (uniform)
    lists = [fs1, fs1[::-1], [fs1[1], fs1[0]], fs2 + fs1, fs1 + fs2, [fs1[2]], ambulances, ambulances[::-1],
             fs2 + ambulances + fs1]
    for replication in range(3):
        new, old = Replication(world, 11, replication), Replication(world, 11, replication)  # the same streams
        for grid in range(0, world.citymap.n, max(1, world.citymap.n // 12)):
            for units in lists:
                assert new.units.first_arrival(units, grid) == _arrivals_as_before(old, units, grid)
    # a tie is a tie: the first listed wins, whichever it is
    rep = Replication(world, 11, 0)
    assert rep.units.first_arrival([fs1[1], fs1[0]], 0)[1] == fs1[1].name
    assert rep.units.first_arrival([fs1[0], fs1[1]], 0)[1] == fs1[0].name


def test_a_kinds_free_set_follows_the_free_flags() -> None:
    _, world = prepare(FIRE)
    engines = [u for u in world.units if u.kind == "engine"]
    pool = Replication(world, 1, 0).units
    assert pool.free_of_kind["engine"] == {u.index for u in engines}  # made now: all free
    sent = pool.request("engine", None, 0, 2, None, "fire_attack").value
    assert pool.free_of_kind["engine"] == {u.index for u in engines} - {u.index for u in sent}
    pool.release(sent[:1], 0)
    pool.env.run(until=86400)
    assert pool.free_of_kind["engine"] == {u.index for u in engines} - {sent[1].index}
    later = Replication(world, 1, 0).units  # another replication: its own flags, its own sets
    later.request("engine", None, 0, 1, None, "fire_attack")
    assert len(later.free_of_kind["engine"]) == len(engines) - 1
    assert pool.free_of_kind["engine"] == {u.index for u in engines} - {sent[1].index}
    assert later.free_of_kind["no_such_kind"] == set()
    waiting = later.request("no_such_kind", None, 0, 1, None, "x")
    assert not waiting.triggered and list(later.waiting["no_such_kind"])[0].event is waiting
