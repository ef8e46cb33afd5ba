"""Work orders (工单): how a task that is not a direct command finds the agency that will do it.

派单 dispatch → 签收 sign, or 退单 reject (职能不符 / 职能交叉 / 权属不清) → 改派 re-dispatch to the next
candidate → after ``arbitration_after`` rejections, 审定: the dispatcher's superior rules and the order is
binding → an order not signed by ``sign_deadline`` is supervised (督办): an agency the list gives the task to
alone is pressed and signs; any other holder's order is cancelled and the superior rules (提级督办), as after
a dispute — at the deadline, even with the order still on its way to the agency's desk or in its queue (it is
withdrawn then) — and so it does when the deadline finds the order between re-dispatches → 处置 handling →
反馈 report back → 核查 verification (a failed check, with probability ``verify_fail``, reopens the order: the
agency redoes the work under a new, binding order and reports back again).

Whether an agency rejects depends only on the arrangement's responsibility list (权责清单, via
:meth:`Doctrine.listing`): a task listed for it alone is signed; listed for several, or for none, it is
rejected with the scenario's probability. Nobody bounces an order under a clear list — so the bounce and
arbitration time an arrangement shows is the cost of its vague list, not of its routing.

Extension point: :meth:`Policy.settle_owner` is the superior's ruling (a drill player can make it).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from scenarios.schema import TaskSpec
from simulation.model.context import Collaborator, Context
from simulation.model.holds import Route
from simulation.model.policy import decided
from simulation.model.records import TaskRecord, WorkOrderRecord

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


def _passed(deadline: simpy.Event | None) -> bool:
    """Whether a supervision deadline has come (a timeout is *triggered* when scheduled, *processed* when due)."""
    return deadline is not None and deadline.processed


def _until(event: simpy.Event, deadline: simpy.Event | None) -> simpy.Event:
    """``event``, or the deadline if that comes first."""
    return event if deadline is None or deadline.processed else event | deadline


def _delivered(env: simpy.Environment, sending: Generator, deadline: simpy.Event) -> Generator:
    """``yield from`` an order's way to the agency's desk (``sending``); ``False`` if the supervision deadline
    came first: the order is withdrawn from its way then (from a channel, or from the desk's queue or hands,
    whose hold ends there) — 督办 takes it up at the deadline, not once the desk has got to it."""
    if deadline.processed:
        return False
    proc, on_way = env.active_process, [True]

    def supervise(_event: simpy.Event) -> None:
        if on_way[0]:
            proc.interrupt("sign_deadline")

    deadline.callbacks.append(supervise)
    try:
        yield from sending
    except simpy.Interrupt:
        return False
    finally:
        on_way[0] = False
    return True


class WorkOrders(Collaborator):
    """Issues, bounces, arbitrates, supervises and closes the work orders of one replication."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.spec = self.sc.work_orders

    def settle(self, st: IncidentState, task: TaskSpec, rec: TaskRecord) -> Generator:
        """Dispatch ``task`` until an agency signs it (``yield from``; returns the owner)."""
        env, msg, spec = self.env, self.messaging, self.spec
        # Once an on-scene command post is up, orders go through it (现场指挥部统一派单).
        dispatcher = st.dispatchers[task.id] = st.command_post or self.doctrine.work_order_dispatcher(st.plan,
                                                                                                   st.spec.grid)
        ev = msg.notified_event(st, dispatcher)
        if not ev.triggered:
            yield ev  # the dispatcher issues orders only for incidents it knows of
        candidates = self.doctrine.work_order_candidates(task, st.plan, st.spec.grid)
        entity = f"{st.key}.{task.id}"
        decide = self.streams.draws("work_order", entity + ".decide", spec.decide)
        redispatch = self.streams.draws("work_order", entity + ".redispatch", spec.redispatch)
        reject = self.streams.uniforms("work_order", entity + ".reject")
        rec.first_dispatch = env.now
        route = st.order_routes[task.id] = Route()  # the desks the task's orders wait at (holds.py)
        # 督办: at the deadline an order still unsigned is taken up by the superior (see _supervised).
        deadline = env.timeout(spec.sign_deadline) if spec.sign_deadline is not None else None
        rejections, k = 0, 0
        while True:
            agency = candidates[k % len(candidates)]
            order = self._issue(st, task.id, dispatcher, agency)
            reason = self.doctrine.listing(st.plan, task.id, agency)
            sending = msg.send(dispatcher, agency, st, route)  # the order reaches the agency's desk
            if reason is None or deadline is None:
                yield from sending
            elif not (yield from _delivered(env, sending, deadline)):  # still on its way at the deadline
                order.t_supervised, order.outcome = rec.first_dispatch + spec.sign_deadline, "cancelled"
                return (yield from self._arbitrate(st, task, rec, dispatcher, candidates))
            order.t_received = env.now  # … through its queue and handling: the agency starts to decide
            msg.mark_known(st, agency, route=route)  # … and tells it of the incident
            thinking = env.timeout(decide())
            if not _passed(deadline):
                yield _until(thinking, deadline)
            if _passed(deadline):
                order.t_supervised = rec.first_dispatch + spec.sign_deadline
                if reason is not None:  # not its task alone: pressing it is pointless, the superior rules (提级)
                    order.outcome = "cancelled"
                    return (yield from self._arbitrate(st, task, rec, dispatcher, candidates))
                if not thinking.processed:
                    yield thinking  # its own task: pressed (督办), it signs once it has decided
                order.t_signed, order.outcome = env.now, "signed"
                return agency
            reply = yield from decided(self.policy.work_order_reply(st.view, task.id, agency, order.order_no, reason))
            if reply is None:  # the list and the scenario's probabilities decide
                p = 0.0 if reason is None else (
                    spec.reject_shared if reason == "overlapping_duties" else spec.reject_unlisted)
                reply = "sign" if p == 0.0 or reject() >= p else "reject"
            if reply == "sign":
                order.t_signed, order.outcome = env.now, "signed"
                return agency
            order.t_rejected, order.outcome, order.reject_reason = env.now, "rejected", reason
            rejections += 1
            back = env.timeout(redispatch())  # back to the dispatcher, who re-dispatches (改派)
            yield _until(back, deadline)
            if (spec.arbitration_after is not None and rejections >= spec.arbitration_after) or _passed(deadline):
                # the dispute goes up: after the configured rejections (审定), or the deadline passed (督办)
                return (yield from self._arbitrate(st, task, rec, dispatcher, candidates))
            k += 1

    def _issue(self, st: IncidentState, task: str, dispatcher: str, agency: str,
               rework: bool = False) -> WorkOrderRecord:
        orders = self.ledger.work_orders_of(st, task)
        order = WorkOrderRecord(st.spec.id, task, len(orders) + 1, dispatcher, agency, self.env.now)
        self.ledger.add_work_order(st, order)
        if not rework:  # a reopened order is rework after the task's gap, not part of it
            st.tasks[task].last_dispatch = self.env.now
        return order

    def _arbitrate(self, st: IncidentState, task: TaskSpec, rec: TaskRecord, dispatcher: str,
                   candidates: tuple[str, ...]) -> Generator:
        """审定: the lowest common superior of the dispatcher and the candidates rules; the order is binding."""
        env, msg = self.env, self.messaging
        rec.arbitration_start = env.now
        superior = self.world.graph.lowest_common_superior(sorted({*candidates, dispatcher})) or dispatcher
        yield from msg.send(dispatcher, superior)
        msg.mark_known(st, superior)
        yield env.timeout(self.streams.draw("work_order", f"{st.key}.{task.id}.arbitration",
                                             self.spec.arbitration))
        owner = yield from decided(self.policy.settle_owner(st.view, task.id, superior, list(candidates)))
        rec.arbitrated = env.now
        order = self._issue(st, task.id, superior, owner)
        order.t_arbitrated = env.now
        route = st.order_routes.setdefault(task.id, Route())
        yield from msg.send(superior, owner, st, route)
        msg.mark_known(st, owner, route=route)
        order.t_received = order.t_signed = env.now  # binding: no second refusal
        order.outcome = "signed"
        return owner

    def handled(self, st: IncidentState, task: str, owner: str) -> None:
        """The task is done: the owner reports back (反馈) and the dispatcher verifies (核查)."""
        orders = self.ledger.work_orders_of(st, task)
        if not orders:
            return
        order = orders[-1]
        order.t_handled = self.env.now
        self.env.process(self._report_back(st, order, owner))

    def _report_back(self, st: IncidentState, order: WorkOrderRecord, owner: str) -> Generator:
        """反馈 → 核查; a failed check reopens the order: the agency redoes the work and reports again."""
        env, spec, key = self.env, self.spec, f"{st.key}.{order.task}"
        verify = self.streams.draws("work_order", key + ".verify", spec.verify)
        fails = self.streams.uniforms("work_order", key + ".verify_fail") if spec.verify_fail > 0 else None
        task = next(t for t in self.sc.incident_types[st.spec.type].tasks if t.id == order.task)
        while True:
            yield from self.messaging.send(owner, order.dispatcher)
            order.t_reported = env.now
            yield env.timeout(verify())
            order.t_verified = env.now
            if fails is None or fails() >= spec.verify_fail:
                return
            order.outcome = "reopened"  # 核查不合格: back to the same agency, binding
            order = self._issue(st, order.task, order.dispatcher, owner, rework=True)
            yield from self.messaging.send(order.dispatcher, owner, st)
            order.t_received = order.t_signed = env.now
            order.outcome = "signed"
            yield env.timeout(self.streams.draw("duration", key + ".rework", task.duration))
            order.t_handled = env.now
