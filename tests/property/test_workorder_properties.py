"""Properties of the work-order process, over random lists, probabilities, limits and delays (hypothesis).

- a complete, non-overlapping responsibility list gives zero rejections;
- every order ends signed, rejected, cancelled (supervision took it up) or open (at the horizon), and a task's
  orders are a run of rejections, at most one cancellation then the superior's order, closed by at most one
  signing; an order signed after the supervision deadline without a ruling was supervised;
- stage times are monotone (dispatched ≤ signed/rejected ≤ next dispatch; signed ≤ handled ≤ reported ≤
  verified), and a gap's parts are non-negative and add up to it;
- arbitration ends a dispute within the configured number of rejections;
- an agency never decides on an order — nor works a task — before something about the incident reached it.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.workorder_scenarios import scenario_text

CASES = st.fixed_dictionaries(
    {
        "p": st.floats(0.0, 0.95),
        "leads": st.sampled_from(["[so]", "[rc]", "[so, rc]", "[]"]),
        "arbitration_after": st.sampled_from([None, 1, 2, 3]),
        "sign_deadline": st.sampled_from([None, 200.0, 5000.0]),
        "decide": st.sampled_from([0.0, 30.0, 600.0]),
        "redispatch": st.sampled_from([0.0, 60.0, 900.0]),
        "reject_unlisted": st.floats(0.0, 0.95),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def run(tmp_path, case: dict) -> Replication:
    path = tmp_path / "wo.yaml"
    text = scenario_text(
        case["p"], case["leads"], decide=case["decide"], redispatch=case["redispatch"],
        arbitration_after=case["arbitration_after"], sign_deadline=case["sign_deadline"],
        reject_unlisted=case["reject_unlisted"],
    )
    path.write_text(text, encoding="utf-8")
    return Replication(build_world(load_scenario(path)), seed=case["seed"], replication=0).run()


def task_of(rep: Replication):
    return next(t for t in rep.tasks if t.task == "repair")


def le(a: float, b: float) -> bool:
    return math.isnan(a) or math.isnan(b) or a <= b + 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=CASES)
def test_work_order_invariants(tmp_path, case):
    rep = run(tmp_path, case)
    orders = [o for o in rep.work_order_records if o.task == "repair"]
    assert orders, "the task became available, so at least one order was dispatched"
    outcomes = [o.outcome for o in orders]
    assert set(outcomes) <= {"signed", "rejected", "open", "cancelled"}
    # a run of rejections, at most one order cancelled by supervision (提级督办) — then only the superior's
    # binding order follows — closed by at most one signing
    assert all(x in ("rejected", "cancelled") for x in outcomes[:-1]) and outcomes[-1] in ("signed", "open")
    if "cancelled" in outcomes:
        assert outcomes.count("cancelled") == 1 and outcomes[-2:] == ["cancelled", "signed"]
        assert case["sign_deadline"] is not None and not math.isnan(task_of(rep).arbitrated)
    if case["sign_deadline"] is not None:  # nobody holds an order unsigned past the deadline without a ruling
        dl = orders[0].t_dispatched + case["sign_deadline"]
        for o in orders:
            if o.outcome == "signed" and o.t_signed > dl + 1e-9 and math.isnan(o.t_arbitrated):
                assert o.t_supervised == dl, "an order signed after the deadline was supervised"
    assert [o.order_no for o in orders] == list(range(1, len(orders) + 1))
    if case["leads"] in ("[so]", "[rc]"):
        assert outcomes == ["signed"]  # a clear list: nobody returns the order
    if case["arbitration_after"] is not None:
        assert outcomes.count("rejected") <= case["arbitration_after"]
        assert outcomes[-1] == "signed"  # the ruling is binding
    for a, b in zip(orders, orders[1:]):
        assert le(a.t_rejected, b.t_dispatched) and le(a.t_supervised, b.t_dispatched)
    st_ = rep.incident_states[0]
    for o in orders:
        decided_at = o.t_signed if o.outcome == "signed" else o.t_rejected
        assert le(o.t_dispatched, decided_at) and le(o.t_dispatched, o.t_supervised)
        assert le(o.t_signed, o.t_handled) and le(o.t_handled, o.t_reported) and le(o.t_reported, o.t_verified)
        # the order reached the desk and was taken up (t_received) before any answer; the agency decides after
        assert le(o.t_dispatched, o.t_received) and le(o.t_received, decided_at)
        if not math.isnan(decided_at):
            assert not math.isnan(o.t_received)
            known = st_.notified.get(o.to_agency)
            assert known is not None and known.triggered and known.value <= decided_at + 1e-9
    task = next(t for t in rep.tasks if t.task == "repair")
    if task.owner is not None:
        assert task.owner == orders[-1].to_agency and st_.notified[task.owner].value <= task.notified + 1e-9
        assert le(task.available, task.first_dispatch) and le(task.first_dispatch, task.owner_known)
    if not math.isnan(task.started):  # the gap's parts (bounce, arbitration, signing …) add up to it, none negative
        parts = task.gap_parts()
        assert abs(sum(parts) - task.gap) < 1e-6 and min(parts) >= -1e-9, parts
