"""Known answers for the work-order process with arbitration (审定) and supervision (督办).

Set-up (tests/workorder_scenarios.py): police lead a disorder and dispatch its ``repair`` task by work order;
every channel and desk is instantaneous; an order is signed or rejected a fixed d after it reaches the agency,
the next dispatch follows a rejection after a fixed r, and the superior (the district government, the lowest
common superior of police and the candidates) rules a fixed A after the case reaches it, by a binding order
that is signed when it arrives. The first dispatch is at t₀ (the report's 10 s plus the police task's 10 s).

**Arbitration after k rejections** (``arbitration_after: k``; simulation/model/workorder.py, ``settle``). With
the task listed for two agencies (职能交叉), each order is rejected independently with probability p
(``reject_shared``). The first k orders are each signed with probability 1 − p; after the k-th rejection the
order comes back (r) and the dispute goes up: one more, binding order. So the number of orders M is the
geometric law truncated at k, with the rest of its mass on k + 1:

    P(M = n) = pⁿ⁻¹(1 − p) for n = 1..k,   P(M = k + 1) = pᵏ,   E[M] = Σₙ₌₀ᵏ pⁿ = (1 − pᵏ⁺¹)/(1 − p).

The bounce time (first dispatch to the signing that stuck) is B = (n − 1)(d + r) + d when the n-th order is
signed (n ≤ k) and B = k(d + r) + A when the superior rules. With J = M − 1 geometric on {0, 1, …} cut at k,
E[J; J < k] = E[min(J, k)] − k·pᵏ = p(1 − pᵏ)/(1 − p) − k·pᵏ, so

    E[B] = d(1 − pᵏ) + (d + r)[p(1 − pᵏ)/(1 − p) − k·pᵏ] + pᵏ[k(d + r) + A]
         = (1 − pᵏ)·[d + (d + r)·p/(1 − p)] + pᵏ·A,

which is the unlimited law's E[B] (tests/validation/test_workorder_law.py) weighted by 1 − pᵏ, plus the
arbitration time when it happens (k = 1: d + p(r + A), checked by hand).

**Supervision deadline** (``sign_deadline: T``, no arbitration limit). The documented semantics
(specs.WorkOrderSpec.sign_deadline, the module docstring of workorder.py, domain.md "12345 work orders":
督办 of overdue orders): at t₀ + T an order not yet signed is supervised — an agency the list gives the task
to alone is pressed and signs once it has decided; any other holder's order is cancelled and the superior
rules at once (提级督办), and so it does when the deadline finds the order between re-dispatches. With the
fixed times and h the agencies' desk handling (0 unless said), order n is dispatched at (n − 1)(h + d + r),
taken up at its desk h later and decided at (n − 1)(h + d + r) + h + d after t₀. Let m be the number of
orders decided before T. Then P(the n-th order is signed) = pⁿ⁻¹(1 − p) for n ≤ m, and with probability pᵐ
the superior takes the case at t₀ + T: the order in hand — at the agency's desk or being decided — if the
deadline fell there, is cancelled (its ``t_supervised`` = t₀ + T), and one binding order follows, through the
owner's desk; B = T + A + h. So E[B] = Σₙ₌₁ᵐ[(n − 1)(h + d + r) + h + d]·pⁿ⁻¹(1 − p) + pᵐ(T + A + h). Under a
clear list (one agency) with d > T the order is pressed and signed at d: one order, B = d,
``t_supervised`` = t₀ + T, no arbitration.

**An agency the list does not name** (``reject_unlisted``). A task listed for nobody (权属不清) goes to whoever
has the capability (the street office, then the residents' committee: Doctrine.escalation); each rejects with
probability q = ``reject_unlisted``, reason ``ownership_unclear`` — and ``reject_shared`` plays no part. Without
an arbitration limit M is geometric with success probability 1 − q: E[M] = 1/(1 − q).

Means are checked against their 99 % t-intervals, and the laws of M by χ² (p-value > 0.001) over its
categories, as tests/validation/test_workorder_law.py does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.oracles.intervals import assert_in_ci
from tests.workorder_scenarios import scenario_text

D, RE, A = 120.0, 300.0, 900.0  # decide, re-dispatch, arbitration (scenario_text's), seconds
T0 = 20.0  # first dispatch: the report's 10 s delay + the police task's 10 s


def run_orders(tmp_path, n: int, seed: int, p: float, leads: str, desk: float = 0.0, **kw):
    """``desk``: fixed handling at the street office's and the residents' committee's duty desks (s)."""
    path = tmp_path / "law.yaml"
    text = scenario_text(p, leads, decide=kw.pop("decide", D), redispatch=RE, **kw)
    for a in ("so, role: street_office, parent: gov", "rc, role: residents_committee, parent: so"):
        old = f"{{id: {a}, desk: {{staff: 5, handling: 0}}}}"
        assert old in text
        text = text.replace(old, f"{{id: {a}, desk: {{staff: 5, handling: {desk}}}}}")
    path.write_text(text, encoding="utf-8")
    assert "  arbitration: 900\n" in path.read_text(encoding="utf-8")  # A is scenario_text's
    world = build_world(load_scenario(path))
    out = []
    for r in range(n):
        rep = Replication(world, seed=seed, replication=r).run()
        orders = [o for o in rep.work_order_records if o.task == "repair"]
        task = next(t for t in rep.tasks if t.task == "repair")
        assert orders[0].t_dispatched == T0 and orders[-1].outcome == "signed"
        out.append((orders, task))
    return out


def chi2_fits(counts: list[int], law: list[float]) -> None:
    assert sum(law) == pytest.approx(1.0, abs=1e-12)
    n = sum(counts)
    assert min(q * n for q in law) >= 5  # χ²'s own condition
    assert stats.chisquare(counts, [q * n for q in law]).pvalue > 0.001, (counts, [q * n for q in law])


@pytest.mark.parametrize(("p", "k"), [(0.5, 2), (0.7, 3)])
def test_arbitration_after_k_rejections_truncates_the_geometric_law(tmp_path, p, k):
    runs = run_orders(tmp_path, 2000, 20261201, p, "[so, rc]", arbitration_after=k)
    m = np.array([len(orders) for orders, _ in runs], dtype=float)
    b = np.array([orders[-1].t_signed - orders[0].t_dispatched for orders, _ in runs])
    for (orders, task), mi, bi in zip(runs, m, b):
        assert all(o.outcome == "rejected" and o.reject_reason == "overlapping_duties" for o in orders[:-1])
        if mi <= k:  # signed by a candidate, under the dispatcher's order
            assert orders[-1].dispatcher == "police" and math.isnan(task.arbitration_start)
            assert bi == (mi - 1) * (D + RE) + D
        else:  # the superior ruled after the k-th rejection came back
            assert orders[-1].dispatcher == "gov" and orders[-1].t_arbitrated == orders[-1].t_signed
            assert task.arbitration_start - T0 == k * (D + RE) and task.arbitrated - task.arbitration_start == A
            assert bi == k * (D + RE) + A
    assert m.max() == k + 1
    law = [p ** (n - 1) * (1 - p) for n in range(1, k + 1)] + [p**k]
    chi2_fits([int((m == n).sum()) for n in range(1, k + 2)], law)
    assert_in_ci(m, (1 - p ** (k + 1)) / (1 - p), "dispatches", 0.05)
    assert (1 - p ** (k + 1)) / (1 - p) == pytest.approx(sum(n * q for n, q in zip(range(1, k + 2), law)))
    eb = (1 - p**k) * (D + (D + RE) * p / (1 - p)) + p**k * A
    assert eb == pytest.approx(sum(((n - 1) * (D + RE) + D) * q for n, q in zip(range(1, k + 1), law))
                               + p**k * (k * (D + RE) + A))
    assert_in_ci(b, eb, "bounce time", 0.08)


@pytest.mark.parametrize(("deadline", "desk", "m_decided", "cancels"),
                         [(900.0, 0.0, 2, True), (1000.0, 0.0, 3, False), (700.0, 200.0, 1, True)])
def test_an_unsigned_order_at_the_deadline_goes_to_the_superior(tmp_path, deadline, desk, m_decided, cancels):
    """T = 900 s falls inside the third order's decision (dispatched at 840, decided at 960): m = 2 and that
    order is cancelled; T = 1000 s falls in the wait after the third rejection (960 → 1260): m = 3. With
    h = 200 s of desk handling (a cycle of h + d + r = 620 s), T = 700 s finds the second order still at the
    agency's desk (dispatched at 620, taken up at 820): m = 1, and that order is cancelled at the deadline."""
    p = 0.6
    cycle = desk + D + RE
    decided_at = [(n - 1) * cycle + desk + D for n in range(1, 6)]
    assert sum(t < deadline for t in decided_at) == m_decided
    in_hand = any((n - 1) * cycle < deadline < (n - 1) * cycle + desk + D for n in range(1, 6))
    assert in_hand == cancels
    runs = run_orders(tmp_path, 2000, 20261202, p, "[so, rc]", desk=desk, sign_deadline=deadline)
    outcome, b = [], []
    for orders, task in runs:
        bi = orders[-1].t_signed - T0
        b.append(bi)
        if orders[-1].dispatcher == "police":  # signed before the deadline
            n = len(orders)
            assert n <= m_decided and bi == (n - 1) * cycle + desk + D
            assert all(o.outcome == "rejected" for o in orders[:-1]) and math.isnan(task.arbitration_start)
            outcome.append(n)
        else:  # supervised: the superior rules from the deadline; its binding order passes the owner's desk
            assert orders[-1].dispatcher == "gov" and task.arbitration_start == T0 + deadline
            assert [o.outcome for o in orders] == ["rejected"] * m_decided + ["cancelled"] * int(cancels) + ["signed"]
            if cancels:
                assert orders[-2].t_supervised == T0 + deadline
            assert bi == deadline + A + desk
            outcome.append(m_decided + 1)
    outcome = np.array(outcome)
    law = [p ** (n - 1) * (1 - p) for n in range(1, m_decided + 1)] + [p**m_decided]
    chi2_fits([int((outcome == n).sum()) for n in range(1, m_decided + 2)], law)
    eb = sum(((n - 1) * cycle + desk + D) * law[n - 1] for n in range(1, m_decided + 1))
    assert_in_ci(b, eb + p**m_decided * (deadline + A + desk), "bounce time", 0.08)


def test_a_clear_list_is_pressed_at_the_deadline_and_signs_once_decided(tmp_path):
    for decide, pressed in ((1200.0, True), (800.0, False)):
        for orders, task in run_orders(tmp_path, 20, 20261203, 0.9, "[rc]", decide=decide, sign_deadline=1000.0):
            assert len(orders) == 1 and orders[0].to_agency == "rc" and orders[0].t_signed - T0 == decide
            assert math.isnan(task.arbitration_start)
            assert (orders[0].t_supervised == T0 + 1000.0) if pressed else math.isnan(orders[0].t_supervised)


def test_an_unlisted_task_is_rejected_with_reject_unlisted(tmp_path):
    q = 0.4
    runs = run_orders(tmp_path, 2000, 20261204, 0.95, "[]", reject_unlisted=q)
    m = np.array([len(orders) for orders, _ in runs], dtype=float)
    for orders, _ in runs:
        assert [o.to_agency for o in orders] == ["so", "rc"] * (len(orders) // 2) + ["so"] * (len(orders) % 2)
        assert all(o.outcome == "rejected" and o.reject_reason == "ownership_unclear" for o in orders[:-1])
        assert orders[-1].dispatcher == "police"
    law = [q ** (n - 1) * (1 - q) for n in (1, 2, 3)] + [q**3]
    chi2_fits([int((m == n).sum()) for n in (1, 2, 3)] + [int((m >= 4).sum())], law)
    assert_in_ci(m, 1 / (1 - q), "dispatches", 0.05)
