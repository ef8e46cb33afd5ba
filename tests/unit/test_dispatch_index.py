"""The nearest-units index gives exactly the units the full sort gave (issue 17, 就近调派索引).

``UnitPool.candidates(..., limit)`` walks each grid's precomputed ranking and stops at the ``limit``-th free
unit; without ``limit`` it sorts every free eligible unit of the kind, as the pool always did. The first
``limit`` must be the same units in the same order, whatever is busy — including when every ranked unit is
busy (beyond :data:`~simulation.model.dispatch_index.PREFIX`, the overload path) and on ties in travel
time (units of one station), under both ``nearest`` and ``own_jurisdiction`` order.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.experiments.api import prepare
from simulation.model.dispatch_index import PREFIX
from simulation.model.engine import Replication
from tests.unit.test_golden_tables import ROUTINE


@pytest.mark.parametrize("order", ["nearest", "own_jurisdiction"])
def test_first_free_units_equal_the_full_sort(order: str) -> None:
    # 3 stations × 60 engines: 180 > PREFIX eligible, with ties inside each station
    sc, world = prepare(ROUTINE, sets=(f"dispatch.order={order}", *(f"units.{k}.count=60" for k in range(3))))
    pool = Replication(world, 1, 0).units
    assert len(world.units) > PREFIX
    rng = np.random.default_rng(4)
    grids = rng.choice(world.citymap.n, size=25, replace=False).tolist()
    for busy_share in (0.0, 0.5, 0.9, 0.99, 1.0):
        for _ in range(4):
            busy = rng.random(len(world.units)) < busy_share
            for u in world.units:
                pool.free[u.index] = not busy[u.index]
                (pool.free_of_kind[u.kind].discard if busy[u.index] else pool.free_of_kind[u.kind].add)(u.index)
            for g in grids:
                for agencies in (None, frozenset({"fire_brigade"}), frozenset({"centre_119"})):
                    full = pool.candidates("engine", agencies, g)
                    for limit in (1, 2, 5):
                        assert pool.candidates("engine", agencies, g, limit) == full[:limit]
    # The overload path: every ranked unit busy, three free beyond the cut (ranked directly).
    for g in grids:
        ranked, cut = world.nearest.ranking("engine", None, g)
        assert cut
        beyond = sorted(set(range(len(world.units))) - set(ranked.tolist()))
        free_now = set(rng.choice(beyond, size=3, replace=False).tolist())
        for u in world.units:
            pool.free[u.index] = u.index in free_now
        pool.free_of_kind["engine"] = set(free_now)
        full = pool.candidates("engine", None, g)
        assert len(full) == 3
        assert pool.candidates("engine", None, g, 2) == full[:2]
