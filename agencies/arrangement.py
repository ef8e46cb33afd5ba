"""Responsibility arrangements (职责安排): who leads, assists and is informed, per incident type and task.

An arrangement is data, not code: one doctrine module (``simulation/model/doctrine.py``) reads it — for
the engine and for the structural indicators alike — to route notifications and settle task ownership.
Doctrines of domain.md map onto a handful of fields:

* ``relay`` — the role every notification passes through after intake: the sector lead (行业牵头,
  三管三必须), the street office (属地), the emergency-management bureau's command centre (综合监管) or
  the city operations platform (一网统管);
* ``fan_out`` — ``serial`` (the relay notifies owners one after another) or ``parallel`` (copy-notify, 抄告);
* ``grid_model`` — ``parallel`` grids (a grid worker's report climbs the residents' committee → street
  office line, 多网并行) or one ``integrated`` grid (reports go straight to the platform, 多网合一);
* ``platform`` — whether the city operations platform's channels are in use (一网统管);
* ``dispatch`` — ``own_agency`` (the owner sends its own units) or ``nearest`` (the nearest free unit of
  the right kind, whoever owns it: 最快响应、就近干预).

A task with no lead or with two leads is *allowed*: the engine escalates it to the lowest common
superior and measures the cost as ownerless time (无主时间).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from agencies.base import Bilingual, Frozen, Ident

RoleRef = Ident
"""A role id from the catalogue (``fire``, ``street_office`` …) or an agency id of the scenario."""

FanOut = Literal["serial", "parallel"]
GridModel = Literal["parallel", "integrated"]
DispatchRule = Literal["own_agency", "nearest"]


class TaskAssignment(Frozen):
    """Ownership of one task: ``lead`` normally names one role; zero or two are ambiguous on purpose."""

    lead: list[RoleRef] = Field(default_factory=list, max_length=4)
    assist: list[RoleRef] = Field(default_factory=list)
    informed: list[RoleRef] = Field(default_factory=list)
    dispatch: DispatchRule | None = None
    on_alarm: bool = False
    """Dispatched on the alarm itself (一键调度): whoever takes the verified report — 119, or the site's
    fire-control room — sends the task's unit at once, without waiting for the owner's notice and decision
    (the micro fire station's norm: respond within 1 min, on scene within 3)."""


class IncidentTypeAssignment(Frozen):
    lead: RoleRef
    """The incident's overall lead (牵头单位): notified first after the relay."""
    informed: list[RoleRef] = Field(default_factory=list)
    tasks: dict[Ident, TaskAssignment] = Field(default_factory=dict)


class Arrangement(Frozen):
    name: Ident
    title: Bilingual | None = None
    doctrine: Bilingual | None = None
    relay: RoleRef | None = None
    """Role every notification passes through after intake; ``None`` means the incident lead relays."""
    fan_out: FanOut = "serial"
    grid_model: GridModel = "parallel"
    dispatch: DispatchRule = "own_agency"
    intake_direct: bool = True
    """Once the report is verified, the intake centre (119/110/120) alerts the service it dispatches for,
    in parallel with the relay — as every command centre does; ``false`` makes even the centre's own
    service wait for the relay."""
    platform: bool = False
    """One operations platform in use (一网统管): channels whose medium is ``platform`` carry messages.
    Without it those channels are not part of the coordination graph."""
    command_post: RoleRef | None = None
    """Who sets up and leads the on-scene command post (现场指挥部) when the level calls for one: the
    district government (属地), the emergency-management bureau (统一指挥) …; ``None``: the incident lead.
    Once it is up, work orders go through it and the agencies present decide faster."""
    city_command: RoleRef = "city_government"
    """Who commands when the level calls for the city tier (市级响应, :attr:`ResponseSpec.city_command_at`):
    the district reports up (上报) and the city's headquarters takes over the command post, and orders
    reinforcement across districts (跨区增援) where the district's own units are all out."""
    work_order_dispatcher: RoleRef | None = None
    """Who dispatches work orders (派单) for tasks that go by work order: a role (``city_operations_centre``
    for a 12345-style platform, ``emergency_bureau`` for a unified command centre …); ``None``: the relay."""
    whistle: bool = False
    """吹哨报到: an owner without the powers a task needs (a street office has no 执法权) calls a department
    that has them straight to the scene, and it must come and stay until the task is done; without it the
    owner goes up through its superior, who orders the department (``escalation_decision`` later)."""
    escalation_decision: Annotated[float, Field(ge=0)] = 300.0
    """Seconds a superior needs to settle a disputed or ownerless task once the case reaches its desk."""
    incident_types: dict[Ident, IncidentTypeAssignment] = Field(default_factory=dict)
    hazard_categories: dict[Ident, TaskAssignment] = Field(default_factory=dict)
    """The responsibility list for hidden hazards (隐患权责清单), per category (``fire``, ``production`` …):
    who leads (one, several 职能交叉, or none 权属不清), who assists. A category not listed falls to its
    sectoral owner (谁主管谁负责, the hazard loop's own default); read by the hazard loop's routing."""

