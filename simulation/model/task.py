"""The task lifecycle (任务处置): available → owner known → notified → decided → unit assigned → arrived →
started → done.

A task becomes available when its predecessors are done; the hand-off comes from whoever finished the
last of them. Its owner is the arrangement's single lead, or — with no lead or two — whoever the lowest
common superior names after the case is taken up to it (escalation, 无主/多头). The owner acts only once
a notice of the incident has reached it, decides, requests units (own or nearest, as the doctrine says),
and the units travel, set up and work; the task's intervention acts on the hazard model.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING

from scenarios.schema import TaskSpec
from simulation.model.assist import JointDispatch
from simulation.model.context import Collaborator, Context
from simulation.model.crews import crew_args
from simulation.model.enforcement import Enforcement
from simulation.model.policy import decided
from simulation.model.records import IncidentRecord, TaskRecord
from simulation.model.response import ResponseLevels
from simulation.model.station_areas import EXTERNAL
from simulation.model.unit_pool import MUTUAL_AID
from simulation.model.workorder import WorkOrders
from simulation.model.world import Unit

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


class TaskLifecycle(Collaborator):
    """Runs the tasks of every incident of one replication."""

    def __init__(self, ctx: Context, work_orders: WorkOrders, levels: ResponseLevels) -> None:
        super().__init__(ctx)
        self.work_orders, self.levels = work_orders, levels
        self.joint = JointDispatch(ctx)
        self.enforcement = Enforcement(ctx)

    def run(self, st: IncidentState, task: TaskSpec) -> Generator:
        env, w, spec = self.env, self.world, st.spec
        rec = st.tasks[task.id]
        if task.after:
            yield env.all_of([st.done[p] for p in task.after])
            # The hand-off comes from whoever finished the last predecessor.
            after = task.after
            last = after[0] if len(after) == 1 else max(after, key=lambda p: (st.done[p].value, p))
            rec.from_agency = st.owner.get(last)
        rec.available = env.now
        leads = st.plan.task_leads[task.id]
        if task.by == "work_order":
            owner = yield from self.work_orders.settle(st, task, rec)
            rec.owner_known = env.now
        elif len(leads) == 1:
            owner = leads[0]
            rec.owner_known = env.now
        else:
            owner = yield from self._escalate(st, task, leads, rec)
        rec.owner = owner
        st.owner[task.id] = owner
        if self.doctrine.on_alarm(spec.type, task.id):
            # 一键调度: whoever took the verified alarm sends the unit; nobody waits for the owner's desk
            if not st.verified.triggered:
                yield st.verified
            rec.notified = env.now
        else:
            ev = self.messaging.notified_event(st, owner)
            if not ev.triggered:
                yield ev  # the owner acts only on what has reached it
            rec.notified = env.now
            agency = w.graph.agency[owner]
            usual = self.streams.draw("decision", f"{st.key}.{task.id}", agency.decision)
            yield env.timeout(self.levels.decision_time(st, owner, usual))
        planned = self.levels.unit_count(st, task)
        count = yield from decided(self.policy.task_order(st.view, task.id, owner, task.unit, planned))
        rec.decided = env.now
        # An owner without the powers the work needs calls a holder now (吹哨报到 or via its superior).
        present = None
        if self.enforcement.lacks(owner, task):
            present = env.process(self.enforcement.call(st, task, owner, rec))
        units: list[Unit] = []
        ordered = task.count if count is None else count
        helpers = self.doctrine.helpers(st.plan, task, owner)
        if task.unit is not None and helpers:  # the owner and its assistants share the unit requirement
            units, first = yield from self.joint.dispatch(
                st, task, owner, helpers, ordered, rec,
                self.doctrine.senders(spec.type, task.id, owner),
            )
            _on_arrival(st.rec, rec, first)
        elif task.unit is not None:
            units = yield from self._dispatch(st, task, owner, count, rec)
            if units:  # fewer may have been free than were ordered
                ordered = len(units)
        else:
            rec.unit_assigned = rec.arrived = env.now
        if present is not None and not present.triggered:
            yield present  # the work waits for the powers to be on scene
        measure = None
        if task.intervention is not None and st.hazard is not None:  # on scene: which measure (evacuate/shelter …)
            measure = yield from decided(
                self.policy.intervention(st.view, task.id, owner, task.intervention, dict(task.intervention_args))
            )
        yield env.timeout(self.streams.draw("duration", f"{st.key}.{task.id}.setup", task.setup)
                          + self._clearing(st, task))
        rec.started = env.now
        st.crews[task.id] = st.crews.get(task.id, 0) + (ordered if task.unit is not None else task.count)
        duration, effect = self._intervene(st, task, measure)
        if (
            task.controls
            and effect is not None
            and math.isnan(st.rec.t_control)
            and env.now + effect <= self.sc.horizon
        ):
            # Control is when the intervention takes full effect (a fire knocked down, a crowd's inflow
            # cut), which may come before the crews finish the task's work; after the horizon it is unseen.
            st.rec.t_control = env.now + effect
        yield env.timeout(duration)
        rec.done = env.now
        rec.status = "done"
        st.done[task.id].succeed(env.now)
        st.tasks_done += 1  # the only place a task's done event fires
        if st.tasks_done == len(st.done):
            st.rec.t_close = env.now
            self.ledger.closed(st)
        if task.by == "work_order":
            self.work_orders.handled(st, task.id, owner)
        extra = st.extra_units.pop(task.id, None)  # a second alarm's units, released with the first's
        if extra:
            units = [*units, *extra]
        if units:
            self.pool.release(units, w.citymap.index[spec.grid], self.ledger.unit_use_recorder(st, rec))

    def _dispatch(self, st: IncidentState, task: TaskSpec, owner: str, count: int | None, rec: TaskRecord) -> Generator:
        """Request units, wait for them, travel: the units now on their way (``[]`` under mutual aid)."""
        env, w, spec = self.env, self.world, st.spec
        agencies = self.doctrine.senders(spec.type, task.id, owner)
        rec.dispatch_request = env.now
        grid = w.citymap.index[spec.grid]
        units = yield self.pool.request(
            task.unit, agencies, grid, task.count if count is None else count, st.view, task.id
        )
        rec.unit_assigned = env.now
        rec.queue_wait = env.now - rec.dispatch_request
        # Listed on the task when sent, not when on scene: one still on its way at the horizon is the task's (and
        # a second alarm sent while the first is on its way adds to the list, rec.units.extend, not under it).
        if units is MUTUAL_AID:
            # A neighbouring district's unit comes; local units stay free (跨区支援).
            st.rec.mutual_aid = True
            rec.units = ["mutual_aid"]
            yield env.timeout(self.pool.mutual_aid_delay())
            first = "mutual_aid"
            units = []
            if st.rec.aid_tier is None:
                st.rec.aid_tier = EXTERNAL
        else:
            rec.units = [u.name for u in units]
            if st.rec.aid_tier is None:  # own station area, a neighbour's, another district's (辖区/跨区)
                st.rec.aid_tier = self.pool.aid_tier(units, grid)
            delay, first = self.pool.first_arrival(units, grid)
            yield env.timeout(delay)
        rec.arrived = env.now
        _on_arrival(st.rec, rec, first)
        return units

    def _clearing(self, st: IncidentState, task: TaskSpec) -> float:
        """Extra set-up when the site's access is blocked (消防车通道被占用) — decided once per incident."""
        access = self.sc.incident_types[st.spec.type].access
        if access is None or task.id not in access.tasks:
            return 0.0
        if st.access_blocked is None:
            st.access_blocked = self.streams.uniforms("access", st.key)() < access.blocked
            st.rec.access_blocked = st.access_blocked
        if not st.access_blocked:
            return 0.0
        return self.streams.draw("access", f"{st.key}.{task.id}", access.clearing)

    def _intervene(self, st: IncidentState, task: TaskSpec, measure: tuple | None = None) -> tuple[float, float | None]:
        """(task duration, seconds until the task's effect holds or ``None`` if it never does).

        Without a hazard model the effect holds when the work is done. With one, the model says when
        the intervention takes hold; the crews stay for at least the task's own duration.
        """
        nominal = self.streams.draw("duration", f"{st.key}.{task.id}", task.duration)
        if task.intervention is None or st.hazard is None:
            return nominal, nominal
        action, kw = measure if measure is not None else (task.intervention, task.intervention_args)
        if action is None:  # the commander chose no measure: the crews work, the hazard is untouched
            return nominal, None
        kw = crew_args(st.hazard, action, dict(kw), st.crews.get(task.id, task.count), task.count)
        took = st.hazard.intervene(action, self.env.now - st.spec.onset, **kw)
        if took is None:
            return nominal, None
        return max(nominal, float(took)), float(took)

    def _escalate(self, st: IncidentState, task: TaskSpec, leads: tuple[str, ...], rec: TaskRecord) -> Generator:
        """No lead or two leads: the incident lead takes the case up to the lowest common superior."""
        env, msg = self.env, self.messaging
        rec.escalated = True
        esc = self.doctrine.escalation(task, leads, st.lead or None, st.spec.grid)
        lead = st.lead
        ev = msg.notified_event(st, lead)
        if not ev.triggered:
            yield ev
        superior = esc.superior or lead
        yield from msg.send(lead, superior)
        msg.mark_known(st, superior)  # the superior now knows of the incident
        yield env.timeout(self.sc.arrangement.escalation_decision)
        owner = yield from decided(self.policy.settle_owner(st.view, task.id, superior, list(esc.candidates)))
        rec.owner_known = env.now
        env.process(msg.notify(st, superior, owner))
        return owner


def _on_arrival(inc: IncidentRecord, rec: TaskRecord, first_unit: str) -> None:
    """The incident's first dispatch and first arrival are those of its earliest task."""
    if math.isnan(inc.t_dispatch) or rec.unit_assigned < inc.t_dispatch:
        inc.t_dispatch = rec.unit_assigned
        inc.queue_wait = rec.queue_wait
    if math.isnan(inc.t_first_arrival) or rec.arrived < inc.t_first_arrival:
        inc.t_first_arrival = rec.arrived
        inc.first_unit = first_unit
