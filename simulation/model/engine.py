"""The SimPy engine: one replication of a scenario on a built :class:`~simulation.model.world.World`.

Flow of an incident (one SimPy process, plus one per task)::

    onset → detection (competing detectors) → report at the receiver's duty desk → verification and
    response level (Policy) → notification of the relay, then of lead / owners / informed (serial or
    parallel, along the coordination graph) → per task: available → owner known (escalation to the
    lowest common superior when the arrangement names no lead or two) → notified → unit assigned
    (Policy, nearest first, FCFS queue when none is free) → arrived → started → done → control, close

Hot path rules: no logging, no dict building per event; draws come from buffered named streams.
Extension points: :class:`~simulation.model.policy.Policy`; hazard models via ``scenarios.hazards``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from scenarios.hazards import build_hazard
from scenarios.hazards.base import Site
from scenarios.schema import IncidentSpec, TaskSpec
from simulation.model.arrivals import draw_stream
from simulation.model.coordination import Hop
from simulation.model.policy import AutomaticPolicy, IncidentView, Policy
from simulation.model.records import DeskUse, IncidentRecord, TaskRecord, UnitUse
from simulation.model.rng import Streams
from simulation.model.routine import RoutineTally
from simulation.model.world import Unit, World

NIGHT_START, NIGHT_END = 22 * 3600, 6 * 3600
MUTUAL_AID: list = []  # sentinel: the request was handed to a neighbouring district


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts processed events (for ``events_processed``)."""

    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0

    def step(self) -> None:
        self.events_processed += 1
        super().step()


class Desk:
    """A duty desk (值班台): a SimPy resource with one slot per person on duty.

    When the agency has fewer staff at night, the missing slots are held by 'off-duty' requests with
    higher priority from 22:00 to 06:00, so messages queue for the people actually there.
    """

    __slots__ = ("name", "res", "staff", "handling", "uses")

    def __init__(self, env: simpy.Environment, name: str, staff: int, handling, night_staff: int | None,
                 clock_start: float, horizon: float, trace: bool) -> None:
        self.name, self.staff, self.handling = name, staff, handling
        self.res = simpy.PriorityResource(env, capacity=staff)
        self.uses: list[DeskUse] | None = [] if trace else None
        if night_staff is not None and night_staff < staff:
            for _ in range(staff - night_staff):
                env.process(self._off_duty(env, clock_start, horizon))

    def _off_duty(self, env: simpy.Environment, clock_start: float, horizon: float) -> Generator:
        def is_night(tod: float) -> bool:
            return tod >= NIGHT_START or tod < NIGHT_END

        while True:
            tod = (clock_start + env.now) % 86400
            wait = 0.0 if is_night(tod) else NIGHT_START - tod  # until the next 22:00
            if env.now + wait >= horizon:
                return
            yield env.timeout(wait)
            with self.res.request(priority=-1) as req:
                yield req  # the day officer finishes the message in hand, then goes off duty
                tod = (clock_start + env.now) % 86400
                if is_night(tod):
                    yield env.timeout((NIGHT_END - tod) % 86400)
            if env.now >= horizon:
                return


@dataclass
class IncidentState:
    spec: IncidentSpec
    rec: IncidentRecord
    view: IncidentView
    lead: str
    relay: str
    notified: dict[str, simpy.Event] = field(default_factory=dict)
    done: dict[str, simpy.Event] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)  # services an intake centre has already alerted
    hazard: Any = None

    @property
    def key(self) -> str:
        """Name of this incident's random streams: its id, or its stream's for routine incidents
        (one stream per routine source keeps memory flat however many incidents arrive)."""
        return self.spec.stream or self.spec.id


class Replication:
    """One replication: build processes, run to the horizon, collect records."""

    def __init__(self, world: World, seed: int, replication: int, policy: Policy | None = None, trace: bool = False,
                 keep_routine: bool = True) -> None:
        sc = world.scenario
        self.world, self.sc, self.trace = world, sc, trace
        self.env = CountingEnvironment()
        self.streams = Streams(seed, replication)
        self.policy: Policy = policy or AutomaticPolicy(world)
        self.desks = {a.id: Desk(self.env, a.id, a.desk.staff, self.streams.draws("desk", a.id, a.desk.handling),
                                 a.desk.night_staff, sc.clock_start, sc.horizon, trace) for a in sc.agencies}
        self.unit_free = [True] * len(world.units)
        self.waiting: deque = deque()
        self.incidents: list[IncidentRecord] = []
        self.tasks: list[TaskRecord] = []
        self.unit_uses: list[UnitUse] = []
        self.states: list[IncidentState] = []
        # keep_routine=False: routine incidents are folded into a tally when they close (bounded memory).
        self.routine: RoutineTally | None = None if keep_routine else RoutineTally()
        self._open_routine: dict[str, IncidentState] = {}

    # -- run ----------------------------------------------------------------------------------------

    def run(self) -> Replication:
        self.start()
        self.env.run(until=self.sc.horizon)
        return self.finish()

    def start(self) -> None:
        """Start the incident processes; a drill then steps the clock itself and calls :meth:`finish`."""
        bind = getattr(self.policy, "bind", None)
        if bind is not None:  # a drill policy schedules its injects in this replication's environment
            bind(self)
        for inc in self.sc.incidents:
            self.env.process(self._incident(inc))
        if self.sc.streams:
            self.env.process(self._arrivals())

    def finish(self) -> Replication:
        """Close the books at the horizon: unfinished tasks are abandoned, hazard outcomes are read."""
        for t in self.tasks:
            if t.status != "done":
                t.status = "abandoned"
        for st in self._open_routine.values():  # routine incidents still open at the horizon
            for t in st.tasks.values():
                if t.status != "done":
                    t.status = "abandoned"
            self.routine.add(st.rec, list(st.tasks.values()), self.sc.horizon)  # type: ignore[union-attr]
        self._open_routine.clear()
        for st in self.states:
            if st.hazard is not None:
                st.rec.outcomes = dict(st.hazard.outcomes(self.sc.horizon - st.spec.onset))
        return self

    def _arrivals(self) -> Generator:
        """One process feeds all routine incidents in time order, a day's worth drawn at a time."""
        env, sc = self.env, self.sc
        for day in range(int(math.ceil(sc.horizon / 86400.0))):
            routine = []
            for stream in sc.streams:
                routine.extend(draw_stream(stream, sc, self.world.citymap, self.streams, day))
            routine.sort(key=lambda i: (i.onset, i.id))
            for spec in routine:
                if spec.onset > env.now:
                    yield env.timeout(spec.onset - env.now)
                env.process(self._incident(spec, started=True))

    # -- messaging ----------------------------------------------------------------------------------

    def _hop(self, hop: Hop) -> Generator:
        """One message over one channel: wait out outages, latency, loss and retry, then the desk."""
        env, spec = self.env, hop.spec
        lat = self.streams.draws("latency", hop.key, spec.latency)
        lost = self.streams.uniforms("reliability", hop.key) if spec.reliability < 1.0 else None
        while True:
            for start, end in spec.down:
                if start <= env.now < end:
                    yield env.timeout(end - env.now)
            yield env.timeout(lat())
            if lost is None or lost() < spec.reliability:
                break
            yield env.timeout(spec.retry_after)  # the sender notices no acknowledgement and calls again
        yield from self._desk(hop.dst)

    def _desk(self, agency: str) -> Generator:
        desk = self.desks[agency]
        with desk.res.request(priority=0) as req:
            yield req
            start = self.env.now
            yield self.env.timeout(desk.handling())
            if desk.uses is not None:
                desk.uses.append(DeskUse(agency, start, self.env.now, desk.staff))

    def _send(self, src: str, dst: str, st: IncidentState | None = None) -> Generator:
        path = self.world.graph.path(src, dst)
        if path is None:
            # No channel at all: the message never arrives; the run records the consequence.
            yield self.env.event()
        for hop in path or ():
            yield from self._hop(hop)
            if st is not None and hop.dst != dst and self._intake_service(hop.dst) != dst:
                # (when the case is already on its way to that very service, no second notice)
                self._passing_intake(st, hop.dst)

    def _passing_intake(self, st: IncidentState, centre: str) -> None:
        """A case relayed *through* 119/110/120 is taken there like any call: the centre alerts its service."""
        service = self._intake_service(centre)
        if service is None or service in st.alerted:
            return
        st.alerted.add(service)
        if not self._notified_event(st, service).triggered:
            self.env.process(self._notify(st, centre, service))

    def _notify(self, st: IncidentState, src: str, dst: str) -> Generator:
        ev = self._notified_event(st, dst)
        if ev.triggered:
            return
        yield from self._send(src, dst, st)
        if not ev.triggered:
            ev.succeed(self.env.now)
            if dst == st.lead:
                st.rec.t_notify_lead = self.env.now

    def _notified_event(self, st: IncidentState, agency: str) -> simpy.Event:
        ev = st.notified.get(agency)
        if ev is None:
            ev = st.notified[agency] = self.env.event()
        return ev

    def _decide(self, value: Any) -> Generator:
        """Policy answers may be values or events (a drill waits for a human)."""
        if isinstance(value, simpy.Event):
            value = yield value
        return value

    # -- incident -----------------------------------------------------------------------------------

    def _incident(self, spec: IncidentSpec, started: bool = False) -> Generator:
        env, w, sc = self.env, self.world, self.sc
        itype = sc.incident_types[spec.type]
        arr = sc.arrangement
        ia = arr.incident_types[spec.type]
        rec = IncidentRecord(spec.id, spec.type, spec.grid, spec.onset)
        tally = self.routine is not None and spec.stream is not None
        if not tally:
            self.incidents.append(rec)
        lead = w.resolve(ia.lead, spec.grid)
        relay = w.resolve(arr.relay, spec.grid) if arr.relay else lead
        st = IncidentState(
            spec, rec, IncidentView(spec.id, spec.type, spec.grid, spec.severity, 0.0), lead or "", relay or ""
        )
        rec.lead = lead
        if tally:
            self._open_routine[spec.id] = st
        else:
            self.states.append(st)
        for t in itype.tasks:
            st.done[t.id] = env.event()
            # Every task has a record from the start: one never reached ends 'abandoned', not missing.
            st.tasks[t.id] = TaskRecord(spec.id, t.id)
            if not tally:
                self.tasks.append(st.tasks[t.id])
        if spec.onset and not started:
            yield env.timeout(spec.onset)
        if spec.hazard is not None:
            st.hazard = self._build_hazard(spec)

        # Detection: competing detectors, the earliest that fires wins (发现).
        best, best_d = math.inf, None
        for k, d in enumerate(itype.detection):
            entity = f"{st.key}.{d.kind}{k}"
            if d.probability < 1.0 and self.streams.uniforms("detection", entity)() >= d.probability:
                continue
            delay = self.streams.draws("detection", entity, d.delay)()
            if d.hazard_detector is not None and st.hazard is not None:
                fires_at = st.hazard.detection_time(d.hazard_detector)
                if fires_at is None:
                    continue
                delay += fires_at
            if delay < best:
                best, best_d = delay, d
        if best_d is None:
            return  # nobody noticed: every time stays null, tasks end abandoned
        yield env.timeout(best)
        rec.t_detect = env.now
        rec.detected_by = best_d.kind
        receiver = self._receiver(best_d.report_to, best_d.kind, spec.grid)
        rec.receiver = receiver
        yield from self._desk(receiver)
        rec.t_report = env.now
        self._notified_event(st, receiver).succeed(env.now)
        if receiver == lead:
            rec.t_notify_lead = env.now
        yield env.timeout(self.streams.draws("verify", st.key, itype.verify)())
        service = self._intake_service(receiver)
        if service is not None:
            st.alerted.add(service)
        if service is not None and service != st.relay:
            # Once verified, 119/110/120 alert the service they dispatch for, whatever the relay does
            # (the same verification delay applies to every notice, so no arrangement gets a head start).
            env.process(self._notify(st, receiver, service))
        view = IncidentView(spec.id, spec.type, spec.grid, spec.severity, env.now)
        rec.level = yield from self._decide(self.policy.response_level(view))

        for t in itype.tasks:
            env.process(self._task(st, t))

        # Notification: intake → relay, then the relay notifies lead, owners and informed (通知/抄告).
        yield from self._notify(st, receiver, st.relay)
        targets: list[str] = []
        task_refs = [r for t in itype.tasks for r in (*ia.tasks[t.id].assist, *ia.tasks[t.id].informed)]
        for ref in [ia.lead, *_single_leads(ia, itype.tasks), *task_refs, *ia.informed]:
            a = w.resolve(ref, spec.grid)
            if a is not None and a not in targets and a != st.relay:
                targets.append(a)
        order = yield from self._decide(self.policy.notify_order(view, st.relay, targets))
        if arr.fan_out == "parallel":
            for a in order:
                env.process(self._notify(st, st.relay, a))
        else:
            for a in order:
                yield from self._notify(st, st.relay, a)

    # -- public messaging (extension point for drills and other policies) --------------------------

    def copy_notify(self, st: IncidentState, src: str, dst: str) -> simpy.Process:
        """Start a copy-notification (抄告) of incident ``st`` from ``src`` to ``dst`` along the graph."""
        return self.env.process(self._notify(st, src, dst))

    def message(self, src: str, dst: str) -> Generator:
        """A message from ``src`` to ``dst`` along the quickest channels (latency, loss, desks): ``yield from`` it."""
        yield from self._send(src, dst)

    def _intake_service(self, receiver: str) -> str | None:
        """The service an intake centre dispatches for (its parent: 119 → fire), if the arrangement lets it."""
        if not self.sc.arrangement.intake_direct or not self.world.dispatch_centres.get(receiver, False):
            return None
        return self.world.graph.agency[receiver].parent

    def _receiver(self, report_to: str, kind: str, grid: str) -> str:
        """Who takes the first report; one integrated grid sends grid reports straight to the platform."""
        if kind == "grid_patrol" and self.sc.arrangement.grid_model == "integrated":
            platform = self.world.resolve("city_operations_centre", grid)
            if platform is not None:
                return platform
        agency = self.world.resolve(report_to, grid)
        assert agency is not None  # verify_incidents guarantees the role exists; resolve falls back across streets
        return agency

    def _build_hazard(self, spec: IncidentSpec) -> Any:
        cm = self.world.citymap
        g = cm.index[spec.grid]
        site = Site(float(cm.x[g]), float(cm.y[g]), cm.x, cm.y, cm.population, cm.grid_ids)
        return build_hazard(spec.hazard, site)

    # -- tasks --------------------------------------------------------------------------------------

    def _task(self, st: IncidentState, task: TaskSpec) -> Generator:
        env, w, spec = self.env, self.world, st.spec
        rec = st.tasks[task.id]
        if task.after:
            yield env.all_of([st.done[p] for p in task.after])
            # The hand-off comes from whoever finished the last predecessor.
            last = max(task.after, key=lambda p: (st.done[p].value, p))
            rec.from_agency = st.owner.get(last)
        rec.available = env.now
        ia = self.sc.arrangement.incident_types[spec.type]
        leads = []
        for ref in ia.tasks[task.id].lead:
            a = w.resolve(ref, spec.grid)
            if a is not None and a not in leads:
                leads.append(a)
        if len(leads) == 1:
            owner = leads[0]
            rec.owner_known = env.now
        else:
            owner = yield from self._escalate(st, task, leads, rec)
        rec.owner = owner
        st.owner[task.id] = owner
        ev = self._notified_event(st, owner)
        if not ev.triggered:
            yield ev
        rec.notified = env.now
        agency = w.graph.agency[owner]
        yield env.timeout(self.streams.draws("decision", f"{st.key}.{task.id}", agency.decision)())
        count = yield from self._decide(self.policy.task_order(st.view, task.id, owner, task.unit, task.count))
        rec.decided = env.now
        units: list[Unit] = []
        if task.unit is not None:
            rec.dispatch_request = env.now
            units = yield self._request_units(st, task, owner, count)
            rec.unit_assigned = env.now
            rec.queue_wait = env.now - rec.dispatch_request
            if units is MUTUAL_AID:
                # A neighbouring district's unit comes; local units stay free (跨区支援).
                st.rec.mutual_aid = True
                yield env.timeout(self.streams.draws("turnout", "mutual_aid", self.sc.dispatch.mutual_aid_travel)())
                rec.units = ["mutual_aid"]
                first = "mutual_aid"
                units = []
            else:
                grid = w.citymap.index[spec.grid]
                arrivals = [
                    self.streams.draws("turnout", u.name, u.turnout)() + float(w.travel[u.station_row, grid])
                    for u in units
                ]
                yield env.timeout(min(arrivals))
                rec.units = [u.name for u in units]
                first = units[arrivals.index(min(arrivals))].name
            rec.arrived = env.now
            self._on_dispatch(st.rec, rec, first)
        else:
            rec.unit_assigned = rec.arrived = env.now
        measure = None
        if task.intervention is not None and st.hazard is not None:  # on scene: which measure (evacuate/shelter …)
            measure = yield from self._decide(self.policy.intervention(st.view, task.id, owner, task.intervention,
                                                                       dict(task.intervention_args)))
        yield env.timeout(self.streams.draws("duration", f"{st.key}.{task.id}.setup", task.setup)())
        rec.started = env.now
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
        if all(e.triggered for e in st.done.values()):
            st.rec.t_close = env.now
            if spec.id in self._open_routine:
                del self._open_routine[spec.id]
                self.routine.add(st.rec, list(st.tasks.values()), self.sc.horizon)  # type: ignore[union-attr]
        if units:
            self._release(units, st, rec, spec.grid)

    def _intervene(self, st: IncidentState, task: TaskSpec, measure: tuple | None = None) -> tuple[float, float | None]:
        """(task duration, seconds until the task's effect holds or ``None`` if it never does).

        Without a hazard model the effect holds when the work is done. With one, the model says when
        the intervention takes hold; the crews stay for at least the task's own duration.
        """
        nominal = self.streams.draws("duration", f"{st.key}.{task.id}", task.duration)()
        if task.intervention is None or st.hazard is None:
            return nominal, nominal
        action, kw = measure if measure is not None else (task.intervention, task.intervention_args)
        if action is None:  # the commander chose no measure: the crews work, the hazard is untouched
            return nominal, None
        took = st.hazard.intervene(action, self.env.now - st.spec.onset, **kw)
        if took is None:
            return nominal, None
        return max(nominal, float(took)), float(took)

    def _escalate(self, st: IncidentState, task: TaskSpec, leads: list[str], rec: TaskRecord) -> Generator:
        """No lead or two leads: the incident lead takes the case up to the lowest common superior."""
        env, w = self.env, self.world
        rec.escalated = True
        candidates = leads or w.capable(task.needs, st.spec.grid)
        if task.unit is not None:
            # A superior gives the task to someone who can send the unit it needs (stable order otherwise).
            has = {u.agency for u in w.units_by_kind.get(task.unit, ())}
            candidates = sorted(candidates, key=lambda a: a not in has)
        lead = st.lead
        ev = self._notified_event(st, lead)
        if not ev.triggered:
            yield ev
        superior = w.graph.lowest_common_superior(sorted(set(candidates + [lead]))) or lead
        yield from self._send(lead, superior)
        self._notified_event(st, superior)  # the superior now knows of the incident
        if not st.notified[superior].triggered:
            st.notified[superior].succeed(env.now)
        yield env.timeout(self.sc.arrangement.escalation_decision)
        owner = yield from self._decide(self.policy.settle_owner(st.view, task.id, superior, candidates))
        rec.owner_known = env.now
        env.process(self._notify(st, superior, owner))
        return owner

    # -- units --------------------------------------------------------------------------------------

    def _request_units(self, st: IncidentState, task: TaskSpec, owner: str, count: int | None = None) -> simpy.Event:
        ev = self.env.event()
        ta = self.sc.arrangement.incident_types[st.spec.type].tasks[task.id]
        rule = ta.dispatch or self.sc.arrangement.dispatch
        agencies = None if rule == "nearest" else {owner}
        req = (
            ev,
            task.unit,
            agencies,
            self.world.citymap.index[st.spec.grid],
            task.count if count is None else count,
            st,
            task,
        )
        if not self._try_assign(req):
            if self.sc.dispatch.when_all_busy == "mutual_aid":
                ev.succeed(MUTUAL_AID)
            else:
                self.waiting.append(req)
        return ev

    def _candidates(self, kind: str, agencies: set[str] | None, grid: int) -> list[Unit]:
        """Free eligible units in the scenario's dispatch order (ties broken by unit order)."""
        w = self.world
        free = self.unit_free
        order = self.sc.dispatch.order
        pref = w.preferences.get(grid) if order == "preference" else None
        if pref is not None:
            units = w.units
            return [units[i] for i in pref if free[i] and units[i].kind == kind
                    and (agencies is None or units[i].agency in agencies)]
        travel = w.travel
        cand = [u for u in w.units_by_kind.get(kind, ()) if free[u.index]
                and (agencies is None or u.agency in agencies) and math.isfinite(travel[u.station_row, grid])]
        if order == "own_jurisdiction":
            street = int(w.citymap.street[grid])
            cand.sort(key=lambda u: (w.unit_street[u.index] != street, travel[u.station_row, grid], u.index))
        else:
            cand.sort(key=lambda u: (travel[u.station_row, grid], u.index))
        return cand

    def _try_assign(self, req: tuple) -> bool:
        ev, kind, agencies, grid, count, st, task = req
        free = self._candidates(kind, agencies, grid)
        if not free:
            return False
        chosen = self.policy.choose_units(st.view, task.id, count, free)
        if isinstance(chosen, simpy.Event):  # a human picks: hold the units meanwhile is out of scope
            chosen = free[:count]
        for u in chosen:
            self.unit_free[u.index] = False
        ev.succeed(list(chosen))
        return True

    def _release(self, units: list[Unit], st: IncidentState, rec: TaskRecord, grid_id: str) -> None:
        w, env = self.world, self.env
        grid = w.citymap.index[grid_id]
        for u in units:
            back = float(w.travel[u.station_row, grid])
            if self.routine is None or st.spec.stream is None:
                self.unit_uses.append(
                    UnitUse(u.name, st.spec.id, rec.task, rec.unit_assigned, rec.arrived, env.now + back)
                )
            env.timeout(back).callbacks.append(lambda _e, u=u: self._unit_back(u))

    def _unit_back(self, unit: Unit) -> None:
        self.unit_free[unit.index] = True
        for req in list(self.waiting):
            if self._try_assign(req):
                self.waiting.remove(req)
                break

    def _on_dispatch(self, inc: IncidentRecord, rec: TaskRecord, first_unit: str) -> None:
        if math.isnan(inc.t_dispatch) or rec.unit_assigned < inc.t_dispatch:
            inc.t_dispatch = rec.unit_assigned
            inc.queue_wait = rec.queue_wait
        if math.isnan(inc.t_first_arrival) or rec.arrived < inc.t_first_arrival:
            inc.t_first_arrival = rec.arrived
            inc.first_unit = first_unit


def _single_leads(ia, tasks: list[TaskSpec]) -> list[str]:  # noqa: ANN001
    return [ia.tasks[t.id].lead[0] for t in tasks if len(ia.tasks[t.id].lead) == 1]


def run_replication(
    world: World, seed: int, replication: int, policy: Policy | None = None, trace: bool = False
) -> Replication:
    return Replication(world, seed, replication, policy, trace).run()
