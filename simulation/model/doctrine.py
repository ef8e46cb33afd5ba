"""The doctrine (职责体制): what an arrangement says about who does what, on a built world.

One home for every rule that turns an arrangement into agencies. The engine asks it while it runs and
the structural indicators (:mod:`simulation.experiments.structure`) ask it without running, so the two
can never disagree:

* **who receives** a detector's first report (:meth:`Doctrine.receiver`; one integrated grid sends grid
  reports straight to the platform, 多网合一);
* **who leads and who relays** an incident, and **whom the relay notifies in which order**
  (:meth:`Doctrine.plan`: incident lead, single task leads, task-level assist and informed,
  incident-level informed — 通知/抄告);
* **which centre dispatches for which service** (:meth:`Doctrine.intake_service`: 119 → fire brigade,
  once the report is verified, when the arrangement says ``intake_direct``), also for a centre a case
  merely passes through (:meth:`Doctrine.passing_service`), and **whom a centre calls on site**
  (:meth:`Doctrine.intake_alerts`: the site's operator, 119 → the building's fire-control room);
* **who owns which task** (:meth:`Doctrine.plan` ``task_leads``; none or several → escalation to the lowest
  common superior, :meth:`Doctrine.escalation`);
* **who dispatches work orders** and how the responsibility list gives a task to an agency
  (:meth:`Doctrine.work_order_dispatcher`, :meth:`Doctrine.listing`: alone, shared 职能交叉, or not at all);
* **whose units may go** (:meth:`Doctrine.dispatch_rule`: own agency or nearest, 就近调派).

Roles resolve to agencies by territory (属地): the agency of that role whose jurisdiction covers the
incident's street. Answers depend on the incident type and the street only, so they are computed once
per (type, street) and shared by every incident — a year of routine load resolves each pair once.

Extension point: a new arrangement field is read here, and only here.
"""

from __future__ import annotations

from dataclasses import dataclass

from agencies.arrangement import Arrangement
from scenarios.schema import IncidentType, TaskSpec
from simulation.model.world import World


@dataclass(frozen=True, slots=True)
class IncidentPlan:
    """What the arrangement says about one incident type in one street."""

    lead: str | None
    """The incident's overall lead (牵头单位)."""
    relay: str | None
    """Who relays every notice after intake (the lead itself when the arrangement names no relay)."""
    targets: tuple[str, ...]
    """Agencies the relay notifies, in order (may include the relay itself; it is told already)."""
    task_leads: dict[str, tuple[str, ...]]
    """Task id → its leads as agencies (one is the normal case; none or several are disputed)."""
    task_assists: dict[str, tuple[str, ...]]
    """Task id → the agencies that assist it (协助): they bring their own units or staff."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """A task with no lead or two leads: the candidates, in the order the superior considers them."""

    candidates: tuple[str, ...]
    superior: str | None


class Doctrine:
    """The arrangement of a world, answered per incident type and street."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.arrangement: Arrangement = world.scenario.arrangement
        self._plans: dict[tuple[str, str], IncidentPlan] = {}
        self._unit_agencies: dict[str, frozenset[str]] = {}

    # -- intake -------------------------------------------------------------------------------------

    def receiver(self, report_to: str, kind: str, grid: str) -> str | None:
        """Who takes a detector's first report; one integrated grid sends grid reports to the platform."""
        if kind == "grid_patrol" and self.arrangement.grid_model == "integrated":
            platform = self.world.resolve("city_operations_centre", grid)
            if platform is not None:
                return platform
        return self.world.resolve(report_to, grid)

    def intake_service(self, receiver: str) -> str | None:
        """The service an intake centre alerts once the report is verified (its parent: 119 → fire brigade),
        when the arrangement says ``intake_direct``; ``None`` for any other receiver."""
        if not self.arrangement.intake_direct or not self.world.dispatch_centres.get(receiver, False):
            return None
        return self.world.graph.agency[receiver].parent

    def intake_alerts(self, receiver: str, incident_type: str, grid: str) -> tuple[str, ...]:
        """Whom an intake centre alerts itself once the report is verified (``intake_direct``): its service
        and the site's operator (119 calls the building's fire-control room, 社会联动) — in that order,
        without the receiver itself. Empty for any receiver that is not an intake centre."""
        service = self.intake_service(receiver)
        if service is None:
            return ()
        site = self.site_operator(incident_type, grid)
        return tuple(a for a in dict.fromkeys((service, site)) if a is not None and a != receiver)

    def site_operator(self, incident_type: str, grid: str) -> str | None:
        """The agency operating the incident's site (物业, enterprise, venue), if the type names one."""
        role = self.world.scenario.incident_types[incident_type].site
        return None if role is None else self.world.resolve(role, grid)

    def passing_service(self, centre: str, dst: str) -> str | None:
        """A case relayed *through* an intake centre on its way to ``dst`` is taken there like any call:
        the service that centre alerts — unless the case is already headed for that very service."""
        service = self.intake_service(centre)
        return None if service == dst else service

    # -- incident and tasks -------------------------------------------------------------------------

    def plan(self, incident_type: str, grid: str) -> IncidentPlan:
        """Lead, relay, notification targets and task leads of ``incident_type`` in ``grid``'s street."""
        key = (incident_type, self.world.citymap.street_of(grid))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(incident_type, grid)
        return plan

    def _make_plan(self, incident_type: str, grid: str) -> IncidentPlan:
        arr, res = self.arrangement, self.world.resolve
        itype: IncidentType = self.world.scenario.incident_types[incident_type]
        ia = arr.incident_types[incident_type]
        lead = res(ia.lead, grid)
        relay = res(arr.relay, grid) if arr.relay else lead
        single_leads = [ia.tasks[t.id].lead[0] for t in itype.tasks if len(ia.tasks[t.id].lead) == 1]
        task_refs = [r for t in itype.tasks for r in (*ia.tasks[t.id].assist, *ia.tasks[t.id].informed)]
        targets: list[str] = []
        for ref in [ia.lead, *single_leads, *task_refs, *ia.informed]:
            a = res(ref, grid)
            if a is not None and a not in targets:
                targets.append(a)
        task_leads = {
            t.id: tuple(a for a in dict.fromkeys(res(r, grid) for r in ia.tasks[t.id].lead) if a is not None)
            for t in itype.tasks
        }
        task_assists = {
            t.id: tuple(a for a in dict.fromkeys(res(r, grid) for r in ia.tasks[t.id].assist) if a is not None)
            for t in itype.tasks
        }
        return IncidentPlan(lead, relay, tuple(targets), task_leads, task_assists)

    def escalation(self, task: TaskSpec, leads: tuple[str, ...], incident_lead: str | None, grid: str) -> Escalation:
        """No lead or two leads: the candidates (the named leads, else whoever has the capability) with those
        able to send the task's unit first, and the lowest common superior of them and the incident lead."""
        candidates = list(leads) or self.world.capable(task.needs, grid)
        if task.unit is not None:
            has = self._agencies_with(task.unit)
            candidates = sorted(candidates, key=lambda a: a not in has)  # stable: scenario order otherwise
        involved = sorted(set(candidates + ([incident_lead] if incident_lead else [])))
        superior = self.world.graph.lowest_common_superior(involved) or incident_lead
        return Escalation(tuple(candidates), superior)

    def helpers(self, plan: IncidentPlan, task: TaskSpec, owner: str) -> tuple[str, ...]:
        """Assisting agencies that can bring units of the task's kind (协助出动), in the list's order."""
        if task.unit is None:
            return ()
        has = self._agencies_with(task.unit)
        return tuple(a for a in plan.task_assists[task.id] if a != owner and a in has)

    def _agencies_with(self, unit_kind: str) -> frozenset[str]:
        has = self._unit_agencies.get(unit_kind)
        if has is None:
            has = self._unit_agencies[unit_kind] = frozenset(
                u.agency for u in self.world.units_by_kind.get(unit_kind, ())
            )
        return has

    # -- command tiers (分级负责) ---------------------------------------------------------------------

    def command_post_lead(self, plan: IncidentPlan, grid: str) -> str | None:
        """Who sets up the district's on-scene command post: the arrangement's choice, else the incident lead."""
        ref = self.arrangement.command_post
        return (self.world.resolve(ref, grid) if ref else None) or plan.lead

    def city_command(self, grid: str) -> str | None:
        """Who takes over at a level the city commands (市级指挥): the arrangement's city-tier agency."""
        return self.world.resolve(self.arrangement.city_command, grid)

    # -- work orders (派单) --------------------------------------------------------------------------

    def work_order_dispatcher(self, plan: IncidentPlan, grid: str) -> str:
        """Who issues work orders: the arrangement's dispatcher (a platform, a command centre), else the relay."""
        ref = self.arrangement.work_order_dispatcher
        agency = self.world.resolve(ref, grid) if ref else None
        return agency or plan.relay or plan.lead or ""

    def work_order_candidates(self, task: TaskSpec, plan: IncidentPlan, grid: str) -> tuple[str, ...]:
        """Whom the dispatcher tries, in order: the task's one listed lead, else the escalation candidates
        (the listed claimants, or whoever has the capability), those able to send its unit first."""
        leads = plan.task_leads[task.id]
        if len(leads) == 1:
            return leads
        return self.escalation(task, leads, plan.lead, grid).candidates

    @staticmethod
    def listing(plan: IncidentPlan, task: str, agency: str) -> str | None:
        """How the responsibility list (权责清单) gives ``task`` to ``agency``: ``None`` when to it alone
        (it signs); else the reason it may return the order — ``overlapping_duties`` (职能交叉: listed with
        others), ``not_our_function`` (职能不符: listed for someone else), ``ownership_unclear`` (权属不清:
        listed for nobody)."""
        leads = plan.task_leads[task]
        if agency in leads:
            return None if len(leads) == 1 else "overlapping_duties"
        return "not_our_function" if leads else "ownership_unclear"

    def dispatch_rule(self, incident_type: str, task: str) -> str:
        """``nearest`` (any agency's nearest free unit, 就近) or ``own_agency`` (the owner's units)."""
        ta = self.arrangement.incident_types[incident_type].tasks[task]
        return ta.dispatch or self.arrangement.dispatch

    def on_alarm(self, incident_type: str, task: str) -> bool:
        """Whether the task's unit goes on the verified alarm itself, sent by whoever took it (一键调度)."""
        return self.arrangement.incident_types[incident_type].tasks[task].on_alarm

    def senders(self, incident_type: str, task: str, owner: str) -> frozenset[str] | None:
        """Whose units may go for ``owner``'s task: the owner's own, or ``None`` — anyone's nearest (就近)."""
        return None if self.dispatch_rule(incident_type, task) == "nearest" else frozenset((owner,))
