"""督办 (supervision at the signing deadline), on the tiny work-order scenario with instantaneous channels and
desks: an agency the list gives the task to alone is pressed and signs once it has decided; an order held by
an agency the list does not give it to is cancelled at the deadline and the superior rules (提级督办) — the
known timeline of each is checked to the second."""

from __future__ import annotations

import math

import pytest

from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.workorder_scenarios import scenario_text

REPORT_DONE = 20.0  # detection 10 s + the report task's 10 s: the repair order goes out then
DEADLINE, DECIDE, ARBITRATION = 200.0, 600.0, 900.0


def orders(tmp_path, leads: str):
    path = tmp_path / "wo.yaml"
    path.write_text(scenario_text(0.0, leads, decide=DECIDE, redispatch=60.0, arbitration_after=3,
                                  sign_deadline=DEADLINE, reject_unlisted=0.0), encoding="utf-8")
    rep = Replication(build_world(load_scenario(path)), seed=1, replication=0).run()
    return [o for o in rep.work_order_records if o.task == "repair"], next(t for t in rep.tasks if t.task == "repair")


def test_the_listed_owner_is_pressed_and_signs_after_deciding(tmp_path):
    got, task = orders(tmp_path, "[so]")
    assert [o.outcome for o in got] == ["signed"]
    assert got[0].t_dispatched == REPORT_DONE
    assert got[0].t_supervised == REPORT_DONE + DEADLINE
    assert got[0].t_signed == REPORT_DONE + DECIDE  # pressing does not make it decide faster
    assert math.isnan(task.arbitrated)


def test_an_order_nobody_is_listed_for_is_cancelled_and_the_superior_rules(tmp_path):
    got, task = orders(tmp_path, "[]")
    assert [o.outcome for o in got] == ["cancelled", "signed"]
    cancelled, ruling = got
    assert cancelled.t_supervised == REPORT_DONE + DEADLINE and math.isnan(cancelled.t_signed)
    assert task.arbitration_start == REPORT_DONE + DEADLINE  # taken up at the deadline, not after its decision
    assert ruling.t_arbitrated == task.arbitrated == REPORT_DONE + DEADLINE + ARBITRATION
    assert ruling.dispatcher == "gov" and ruling.t_signed == ruling.t_arbitrated


@pytest.mark.parametrize(("desk", "clock_start"), [("handling: 3000", 36000), ("handling: 0, night_staff: 0", 82800)])
def test_an_order_still_at_the_desk_at_the_deadline_is_taken_up_at_the_deadline(tmp_path, desk, clock_start):
    """The order to an agency the list gives the task to with another (职能交叉) is still at that agency's duty
    desk when the deadline comes — the desk takes 3000 s to read a message, or nobody is on duty at night
    (dispatched at 23:00, read at 06:00). Supervision takes it up at the deadline all the same: the order is
    cancelled then and the superior rules at once (提级督办), not once the desk has got to the order."""
    path = tmp_path / "wo.yaml"
    text = scenario_text(0.0, "[so, rc]", decide=DECIDE, redispatch=60.0, sign_deadline=DEADLINE)
    text = text.replace("{id: so, role: street_office, parent: gov, desk: {staff: 5, handling: 0}}",
                        f"{{id: so, role: street_office, parent: gov, desk: {{staff: 5, {desk}}}}}")
    path.write_text(text.replace("horizon:", f"clock_start: {clock_start}\nhorizon:"), encoding="utf-8")
    rep = Replication(build_world(load_scenario(path)), seed=1, replication=0).run()
    got = [o for o in rep.work_order_records if o.task == "repair"]
    task = next(t for t in rep.tasks if t.task == "repair")
    assert [(o.to_agency, o.outcome) for o in got[:1]] == [("so", "cancelled")]
    assert got[0].t_supervised == REPORT_DONE + DEADLINE
    assert task.arbitration_start == REPORT_DONE + DEADLINE
    assert task.arbitrated == got[1].t_arbitrated == REPORT_DONE + DEADLINE + ARBITRATION
    holds = rep.incident_states[0].order_routes["repair"].holds
    if "night_staff" in desk:  # the withdrawn order's wait at the empty night desk ends at the deadline
        assert (holds[0].desk, holds[0].reason, holds[0].start, holds[0].end) == (
            "so", "desk_night_empty", REPORT_DONE, REPORT_DONE + DEADLINE)
