"""Known answer for the work-order process (派单 → 退单 → 改派): the geometric law.

Set-up: one task ``by: work_order`` listed for two agencies (职能交叉), so each candidate rejects an order
independently with probability p (``reject_shared``); every channel and desk is instantaneous, an order is
signed or rejected a fixed d seconds after it reaches the agency, the next dispatch follows a rejection
after a fixed r seconds, and there is no arbitration limit and no supervision deadline.

Derivation. The number of dispatches N until the first signing is geometric on {1, 2, …} with success
probability 1 − p: P(N = n) = pⁿ⁻¹(1 − p), so E[N] = 1/(1 − p), Var[N] = p/(1 − p)² and P(N ≥ 5) = p⁴.
Each rejected order costs d + r before the next dispatch and the signing order costs d, so the bounce time
(first dispatch to the signing that stuck) is B = (N − 1)(d + r) + d, with E[B] = d + (d + r)·p/(1 − p) and
Var[B] = (d + r)²·p/(1 − p)². The replication means must sit within their 99 % t-intervals of these values;
a clear list (the task listed for one agency alone) gives exactly one dispatch and B = d in every replication.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.workorder_scenarios import scenario_text

D, R = 120.0, 300.0


def run_many(tmp_path, p: float, leads: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    path = tmp_path / "law.yaml"
    path.write_text(scenario_text(p, leads, decide=D, redispatch=R), encoding="utf-8")
    world = build_world(load_scenario(path))
    dispatches, bounce = [], []
    for r in range(n):
        rep = Replication(world, seed=2024, replication=r).run()
        orders = [o for o in rep.work_order_records if o.task == "repair"]
        assert orders[-1].outcome == "signed" and all(o.outcome == "rejected" for o in orders[:-1])
        dispatches.append(len(orders))
        bounce.append(orders[-1].t_signed - orders[0].t_dispatched)
    return np.array(dispatches, float), np.array(bounce)


def within_ci(x: np.ndarray, expected: float, level: float = 0.99) -> bool:
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return abs(x.mean() - expected) <= half


@pytest.mark.parametrize("p", [0.3, 0.6])
def test_bouncing_orders_follow_the_geometric_law(tmp_path, p):
    n, b = run_many(tmp_path, p, "[so, rc]", 600)
    assert within_ci(n, 1 / (1 - p)), (n.mean(), 1 / (1 - p))
    assert within_ci(b, D + (D + R) * p / (1 - p)), (b.mean(), D + (D + R) * p / (1 - p))
    # the whole law, not only its mean: χ² goodness of fit of N over {1, 2, 3, 4, ≥5}
    observed = [int((n == k).sum()) for k in (1, 2, 3, 4)] + [int((n >= 5).sum())]
    law = [(1 - p) * p ** (k - 1) for k in (1, 2, 3, 4)] + [p**4]
    assert stats.chisquare(observed, [q * n.size for q in law]).pvalue > 0.001
    # every bounce is a whole number of rejection cycles plus the signing decision
    cycles = (b - D) / (D + R)
    assert np.allclose(cycles, n - 1)


def test_a_clear_list_never_bounces(tmp_path):
    n, b = run_many(tmp_path, 0.9, "[rc]", 50)
    assert (n == 1).all() and np.allclose(b, D)


def test_failed_verification_reopens_the_order_geometrically(tmp_path):
    """核查不合格: each check fails independently with probability q, so the number of reworks R of a signed
    order is geometric on {0, 1, …}: E[R] = q/(1 − q); every reopened order is followed by a binding one to
    the same agency, and the reworks do not count as bounce."""
    q = 0.5
    path = tmp_path / "reopen.yaml"
    text = scenario_text(0.0, "[rc]", decide=D, redispatch=R).replace("  arbitration: 900\n",
                                                                      f"  arbitration: 900\n  verify_fail: {q}\n")
    path.write_text(text, encoding="utf-8")
    world = build_world(load_scenario(path))
    reworks = []
    for r in range(400):
        rep = Replication(world, seed=7, replication=r).run()
        orders = [o for o in rep.work_order_records if o.task == "repair"]
        assert orders[0].outcome in ("signed", "reopened") and orders[-1].outcome == "signed"
        assert all(o.outcome == "reopened" and o.to_agency == "rc" for o in orders[:-1])
        assert [o.order_no for o in orders] == list(range(1, len(orders) + 1))
        reworks.append(len(orders) - 1)
        task = next(t for t in rep.tasks if t.task == "repair")
        assert task.owner_known - task.first_dispatch == D  # the first signing; reworks come after the gap
    assert within_ci(np.array(reworks, float), q / (1 - q))
