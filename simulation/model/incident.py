"""The incident lifecycle (事件处置流程): onset → detection → report → verification and level → tasks and
notices.

Detection is a race of competing detectors (citizen call, grid patrol, sensor, CCTV …); the earliest
wins and reports to its receiver's duty desk (发现 → 报告). After verification the intake centre alerts
its own service, the Policy sets the response level, every task's process starts, and the relay notifies
the lead, the task owners and the informed — serially or in parallel, as the arrangement says
(:class:`~simulation.model.doctrine.Doctrine`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from scenarios.hazards import build_hazard
from scenarios.hazards.base import Site
from scenarios.schema import IncidentSpec
from simulation.model.context import Collaborator, Context
from simulation.model.doctrine import IncidentPlan
from simulation.model.holds import Route
from simulation.model.policy import IncidentView, decided
from simulation.model.records import IncidentRecord, TaskRecord, WorkOrderRecord
from simulation.model.response import ResponseLevels
from simulation.model.task import TaskLifecycle
from simulation.model.world import Unit


@dataclass
class IncidentState:
    """One incident in play: its record, who knows of it, who owns its tasks, its hazard model."""

    spec: IncidentSpec
    rec: IncidentRecord
    view: IncidentView
    lead: str
    relay: str
    plan: IncidentPlan
    verified: simpy.Event  # the first report has been verified (核实): the alarm is real
    notified: dict[str, simpy.Event] = field(default_factory=dict)
    done: dict[str, simpy.Event] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)  # services an intake centre has already alerted
    work_orders: dict[str, list[WorkOrderRecord]] = field(default_factory=dict)  # task → its orders
    on_platform: bool = False  # the case is on the shared operations platform (一网统管)
    level: int | None = None  # the current response level (I = 1 … IV = 4)
    command_post: str | None = None  # the agency leading the on-scene command post, once it is up
    extra_units: dict[str, list[Unit]] = field(default_factory=dict)  # task → reinforcement units on it
    # unit index → (assigned, arrived) of a unit whose own times are not its task's (a second alarm's, an assistant's
    # share); read when it is released (``Ledger.unit_use_recorder``); arrived NaN for a unit that turned back
    unit_times: dict[int, tuple[float, float]] = field(default_factory=dict)
    access_blocked: bool | None = None  # the site's fire lane is blocked (drawn once, when a vehicle task sets up)
    city_up: simpy.Event | None = None  # the city's command has taken over (市级指挥), once a level calls for it
    crews: dict[str, int] = field(default_factory=dict)  # task → units working on it (first alarm + reinforcement)
    # desk holds (holds.py): the ways a notice may still reach each agency, the one that did, each task's orders
    routes: dict[str, list[Route]] = field(default_factory=dict)
    told_by: dict[str, Route | None] = field(default_factory=dict)
    order_routes: dict[str, Route] = field(default_factory=dict)
    dispatchers: dict[str, str] = field(default_factory=dict)  # task → who issues its work orders
    tasks_done: int = 0  # tasks whose done event has fired (the incident closes when all have)
    hazard: Any = None
    key: str = field(init=False)
    """Name of this incident's random streams: its id, or its stream's for routine incidents (one stream per
    routine source keeps memory flat however many incidents arrive)."""

    def __post_init__(self) -> None:
        self.key = self.spec.stream or self.spec.id

    def knows(self, agency: str) -> bool:
        """Whether a notice of this incident has reached ``agency``'s desk."""
        ev = self.notified.get(agency)
        return ev is not None and ev.triggered


class IncidentLifecycle(Collaborator):
    """Runs one incident from onset to its notices; tasks run in :class:`TaskLifecycle`."""

    def __init__(self, ctx: Context, tasks: TaskLifecycle, levels: ResponseLevels) -> None:
        super().__init__(ctx)
        self.tasks, self.levels = tasks, levels

    def run(self, spec: IncidentSpec, started: bool = False) -> Generator:
        env, sc, msg = self.env, self.sc, self.messaging
        itype = sc.incident_types[spec.type]
        rec = IncidentRecord(spec.id, spec.type, spec.grid, spec.onset)
        plan = self.doctrine.plan(spec.type, spec.grid)
        view = IncidentView(spec.id, spec.type, spec.grid, spec.severity, 0.0)
        st = IncidentState(spec, rec, view, plan.lead or "", plan.relay or "", plan, verified=env.event())
        rec.lead = plan.lead
        for t in itype.tasks:
            st.done[t.id] = env.event()
            # Every task has a record from the start: one never reached ends 'abandoned', not missing.
            st.tasks[t.id] = TaskRecord(spec.id, t.id)
        self.ledger.open(st)
        if spec.onset and not started:
            yield env.timeout(spec.onset)
        if spec.hazard is not None:
            st.hazard = self._build_hazard(spec)

        detector = self._detect(st)
        if detector is None:
            return  # nobody noticed: every time stays null, tasks end abandoned
        delay, d = detector
        yield env.timeout(delay)
        rec.t_detect = env.now
        rec.detected_by = d.kind
        receiver = self.doctrine.receiver(d.report_to, d.kind, spec.grid)
        assert receiver is not None  # verify_incidents guarantees the role; resolve falls back across streets
        rec.receiver = receiver
        yield from msg.at_desk(receiver)
        rec.t_report = env.now
        msg.mark_known(st, receiver, post=False)
        if receiver == st.lead:
            rec.t_notify_lead = env.now
        yield env.timeout(self.streams.draw("verify", st.key, itype.verify))
        st.verified.succeed(env.now)
        msg.post(st, receiver)  # a verified case goes onto the shared platform, if the receiver is on it
        service = self.doctrine.intake_service(receiver)
        if service is not None:
            st.alerted.add(service)
        for alerted in self.doctrine.intake_alerts(receiver, spec.type, spec.grid):
            # Once verified, 119/110/120 alert the service they dispatch for and call the site's operator,
            # whatever the relay does (the same verification delay applies to every notice, so no
            # arrangement gets a head start).
            if alerted != st.relay:
                env.process(msg.notify(st, receiver, alerted))
        view = IncidentView(spec.id, spec.type, spec.grid, spec.severity, env.now)
        rec.level = yield from decided(self.policy.response_level(view))
        self.levels.start(st, rec.level)

        for t in itype.tasks:
            env.process(self.tasks.run(st, t))

        # Notification: intake → relay, then the relay notifies lead, owners and informed (通知/抄告). Until the
        # relay's call reaches a target, the target waits on the relay's notice and on its earlier calls: one
        # route collects the desk waits of all of them (holds.py).
        calls = Route()
        targets = [a for a in plan.targets if a != st.relay]
        for a in (st.relay, *targets):
            if not st.knows(a):
                msg.trying(st, a, calls)
        yield from msg.notify(st, receiver, st.relay, calls)
        told = st.told_by.get(st.relay)
        if told is not None and told is not calls:  # the relay knew already: what held it up holds its calls
            calls.holds[:0] = told.holds
        order = yield from decided(self.policy.notify_order(view, st.relay, targets))
        for a in (x for x in targets if x not in order):  # left off the list (a drill player's): not waiting on it
            st.routes[a] = [r for r in st.routes.get(a, ()) if r is not calls]
        if sc.arrangement.fan_out == "parallel":
            for a in order:
                env.process(msg.notify(st, st.relay, a, Route(calls.holds)))
        else:
            for a in order:
                yield from msg.notify(st, st.relay, a, calls)

    def _detect(self, st: IncidentState) -> tuple[float, Any] | None:
        """The winning detector and its delay from now, or ``None`` if nobody notices (发现)."""
        best, best_d = math.inf, None
        for k, d in enumerate(self.sc.incident_types[st.spec.type].detection):
            entity = f"{st.key}.{d.kind}{k}"
            if d.probability < 1.0 and self.streams.uniforms("detection", entity)() >= d.probability:
                continue
            delay = self.streams.draw("detection", entity, d.delay)
            if d.hazard_detector is not None and st.hazard is not None:
                fires_at = st.hazard.detection_time(d.hazard_detector)
                if fires_at is None:
                    continue
                delay += fires_at
            if delay < best:
                best, best_d = delay, d
        return None if best_d is None else (best, best_d)

    def _build_hazard(self, spec: IncidentSpec) -> Any:
        cm = self.world.citymap
        g = cm.index[spec.grid]
        site = Site(float(cm.x[g]), float(cm.y[g]), cm.x, cm.y, cm.population, cm.grid_ids)
        return build_hazard(spec.hazard, site)
