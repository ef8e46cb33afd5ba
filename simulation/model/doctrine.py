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
* **whose units may go** (:meth:`Doctrine.dispatch_rule`: own agency or nearest, 就近调派);
* **where a hidden hazard's report goes** (:class:`HazardRouting`, the hazard loop's side of the same
  rules: who receives a channel's report, the same listing rule, a shared platform or separate systems,
  whether anyone copies a returned order on — 抄告 — and whether the owner has the powers, 吹哨报到).

Roles resolve to agencies by territory (属地): the agency of that role whose jurisdiction covers the
incident's street. Answers depend on the incident type and the street only, so they are computed once
per (type, street) and shared by every incident — a year of routine load resolves each pair once.

Extension point: a new arrangement field is read here, and only here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agencies.arrangement import Arrangement
from scenarios.schema import IncidentType, TaskSpec
from simulation.model.world import World

__all__ = ["Doctrine", "Escalation", "HazardRouting", "IncidentPlan", "listing_status"]


def listing_status(leads: tuple[str, ...], agency: str) -> str | None:
    """The one rule of the responsibility list, for tasks and hazards alike: ``None`` when ``leads`` names
    ``agency`` alone, else ``overlapping_duties`` / ``not_our_function`` / ``ownership_unclear``."""
    if agency in leads:
        return None if len(leads) == 1 else "overlapping_duties"
    return "not_our_function" if leads else "ownership_unclear"


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
        self._senders: dict[tuple[str, str, str], frozenset[str] | None] = {}

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
        assists = plan.task_assists[task.id]
        if task.unit is None or not assists:  # most tasks have none: no generator to build
            return ()
        has = self._agencies_with(task.unit)
        return tuple(a for a in assists if a != owner and a in has)

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
        return listing_status(plan.task_leads[task], agency)

    def dispatch_rule(self, incident_type: str, task: str) -> str:
        """``nearest`` (any agency's nearest free unit, 就近) or ``own_agency`` (the owner's units)."""
        ta = self.arrangement.incident_types[incident_type].tasks[task]
        return ta.dispatch or self.arrangement.dispatch

    def on_alarm(self, incident_type: str, task: str) -> bool:
        """Whether the task's unit goes on the verified alarm itself, sent by whoever took it (一键调度)."""
        return self.arrangement.incident_types[incident_type].tasks[task].on_alarm

    def senders(self, incident_type: str, task: str, owner: str) -> frozenset[str] | None:
        """Whose units may go for ``owner``'s task: the owner's own, or ``None`` — anyone's nearest (就近)."""
        key = (incident_type, task, owner)
        got = self._senders.get(key, self)
        if got is self:  # asked per dispatch: the same set object each time (the dispatch index keys on it)
            got = self._senders[key] = (
                None if self.dispatch_rule(incident_type, task) == "nearest" else frozenset((owner,)))
        return got  # type: ignore[return-value]


# -- hidden hazards (隐患): the same doctrine for the hazard loop, without a built world -----------------

VISIT, BOUNCE = 0, 1
"""First job of an order: the owner's inspector visits, or the receiver checks and returns it (退单)."""
DROP, FORWARD, ARBITRATE = 0, 1, 2
"""What follows a return: nobody passes it on (dropped), passed on to the listed owner (抄告 / 改派), or
settled on the sectoral owner by the superior (审定)."""


@dataclass(frozen=True)
class HazardRouting:
    """An arrangement's answers for the hazard loop, as small tables the vectorised loop indexes.

    Systems are where reports are kept: each department's own (0 … D−1), the 12345 hotline (D), the shared
    platform (D+1). ``registry[s]`` says which systems share one case list (all of them on a platform: a
    second sighting of an open case is merged there; in separate systems it is a second order).
    ``first[s, c]`` is the department whose queue takes an order from system ``s`` for category ``c``,
    ``kind[s, c]`` VISIT or BOUNCE, ``target[s, c]`` the department that finally owns it, ``fate[s, c]``
    DROP / FORWARD / ARBITRATE after a return, ``returns[s, c]`` how many claimants return it.
    """

    departments: tuple[str, ...]
    integrated_grid: bool
    platform: bool
    copies: bool
    whistle: bool
    registry: np.ndarray
    first: np.ndarray
    kind: np.ndarray
    target: np.ndarray
    fate: np.ndarray
    returns: np.ndarray
    lacks_powers: np.ndarray
    """[department, category]: the department owns a category whose penalty/suspension needs another's 执法权."""
    leads: dict[str, tuple[str, ...]]

    @property
    def hotline(self) -> int:
        return len(self.departments)

    @property
    def platform_system(self) -> int:
        return len(self.departments) + 1

    def patrol_system(self, finder: int) -> int:
        """One integrated grid reports to the platform (多网合一); a department's own grid to its own system."""
        return self.platform_system if self.integrated_grid else finder

    def channel_system(self, receiver: int | None) -> int:
        """Self-inspection, special inspections, sensors: the receiving department's system (``None``: the 12345
        hotline), or the platform when there is one (every report lands on it, 一网统管)."""
        if self.platform:
            return self.platform_system
        return self.hotline if receiver is None else receiver

    @classmethod
    def build(cls, arrangement: Arrangement, departments: list[str], owners: dict[str, str],
              powers: dict[str, str], categories: list[str]) -> HazardRouting:
        """``owners``: category → sectoral owner (the default lead); ``powers``: category → holder of 执法权."""
        dix = {d: i for i, d in enumerate(departments)}
        extra = [c for c in arrangement.hazard_categories if c not in categories]
        if extra:
            raise ValueError(f"arrangement '{arrangement.name}': hazard_categories.{extra[0]} is not a hazard "
                             f"category of the loop ({', '.join(categories)})")
        leads: dict[str, tuple[str, ...]] = {}
        for c in categories:
            listed = arrangement.hazard_categories.get(c)
            refs = tuple(dict.fromkeys(listed.lead)) if listed is not None else (owners[c],)
            unknown = [r for r in refs if r not in dix]
            if unknown:
                raise ValueError(f"arrangement '{arrangement.name}': hazard_categories.{c}.lead names "
                                 f"'{unknown[0]}', which has no inspectors in the hazard loop "
                                 f"(departments: {', '.join(departments)})")
            leads[c] = refs
        copies = arrangement.platform or arrangement.fan_out == "parallel" or arrangement.relay is not None
        n_sys, n_cat = len(departments) + 2, len(categories)
        first, kind, target, fate, returns = (np.zeros((n_sys, n_cat), dtype=np.int64) for _ in range(5))
        for s in range(n_sys):
            for j, c in enumerate(categories):
                ls, owner = leads[c], dix[owners[c]]
                if s >= len(departments):  # a dispatcher (12345 hotline or platform) sends it to the list
                    if len(ls) == 1:
                        row = (dix[ls[0]], VISIT, dix[ls[0]], FORWARD, 0)
                    else:  # 职能交叉: every claimant returns it; 权属不清: the capable one does; then 审定
                        row = (dix[ls[0]] if ls else owner, BOUNCE, owner, ARBITRATE, max(len(ls), 1))
                else:
                    status = listing_status(ls, departments[s])
                    if status is None:
                        row = (s, VISIT, s, FORWARD, 0)
                    elif not copies:  # returned to a line that passes nothing on: the order is lost
                        row = (s, BOUNCE, s, DROP, 1)
                    elif status == "not_our_function" and len(ls) == 1:
                        row = (s, BOUNCE, dix[ls[0]], FORWARD, 1)
                    else:
                        row = (s, BOUNCE, owner, ARBITRATE, 1)
                first[s, j], kind[s, j], target[s, j], fate[s, j], returns[s, j] = row
        lacks = np.array([[departments[d] != powers[c] for c in categories] for d in range(len(departments))])
        registry = np.zeros(n_sys, dtype=np.int64) if arrangement.platform else np.arange(n_sys)
        return cls(tuple(departments), arrangement.grid_model == "integrated", arrangement.platform, copies,
                   arrangement.whistle, registry, first, kind, target, fate, returns, lacks, leads)
