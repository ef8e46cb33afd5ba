"""Parts of a scenario (情景要素): duty desks, agencies, stations, units, channels, detectors, tasks, incident
types, incidents, routine streams and dispatch rules — immutable pydantic models with field-level
constraints. The whole :class:`~scenarios.schema.Scenario` and its cross-reference checks live in
:mod:`scenarios.schema`, which re-exports every name here.

Extension points: new detector kinds in :data:`DetectorKind`; new task capabilities in the role
catalogue (``agencies/library/roles.yaml``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import Field, WithJsonSchema, model_validator

from agencies.base import Bilingual, Frozen, Ident, RefError
from scenarios.distributions import ZERO, Distribution, Fixed
from scenarios.hazards.params import HazardParams

Seconds = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]

ChannelKind = Literal["report", "notify", "command", "request_support", "handoff"]
Medium = Literal["phone", "radio", "platform", "in_person"]
DetectorKind = Literal["citizen_call", "grid_patrol", "sensor", "cctv", "enterprise_self_report", "police_observation"]
UnitKind = Ident
InterventionArg = Annotated[
    Any,
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]
"""A number, a text or a list of texts; which one (and its range) is the hazard model's to say, checked at load."""


class DutyDesk(Frozen):
    """A duty desk (值班台): receives messages, one at a time per person on duty."""

    staff: Annotated[int, Field(ge=1, le=500)] = 2
    handling: Distribution = ZERO
    """Time a duty officer spends taking one message (read, log, acknowledge)."""
    night_staff: Annotated[int, Field(ge=0, le=500)] | None = None
    """Staff on duty 22:00–06:00; ``0`` means nobody answers at night (messages wait for the day shift)."""


class AgencySpec(Frozen):
    id: Ident
    role: Ident
    name: Bilingual | None = None
    parent: Ident | None = None
    """Superior agency (上级) — the chain used to find the lowest common superior when ownership is disputed."""
    jurisdiction: list[Ident] | None = None
    """Streets this agency covers; ``None`` means the whole district."""
    desk: DutyDesk = DutyDesk()
    decision: Distribution = ZERO
    """Time the agency needs to decide and order a dispatch once notified."""


class StationSpec(Frozen):
    id: Ident
    agency: Ident
    grid: Ident
    name: Bilingual | None = None


class UnitSpec(Frozen):
    """``count`` identical units of one kind at a station (named ``station.kind1``, ``station.kind2`` …)."""

    station: Ident
    kind: UnitKind
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    turnout: Distribution = ZERO
    """Time from the dispatch order to leaving the station (出动时间)."""


class ChannelSpec(Frozen):
    from_: Ident = Field(alias="from")
    to: Ident
    kind: ChannelKind = "notify"
    latency: Distribution = ZERO
    reliability: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Probability a message gets through; a lost message is re-sent after ``retry_after``."""
    retry_after: Annotated[float, Field(ge=1.0)] = 120.0
    """Seconds before a lost message is re-sent (at least 1 s: the simulated clock must advance each time)."""
    medium: Medium = "phone"
    both_ways: bool = True
    down: list[tuple[Seconds, Seconds]] = Field(default_factory=list)
    """Periods (start, end) in seconds when the channel is out of service."""


class DetectorSpec(Frozen):
    kind: DetectorKind
    delay: Distribution
    """Time from onset until this detector reports (if it fires at all)."""
    probability: Probability = 1.0
    """Chance the detector fires in a replication (sensor coverage, patrol finding it…)."""
    report_to: Ident
    """Role or agency id that receives the first report."""
    hazard_detector: Ident | None = None
    """When set and the incident has a hazard model, the model says when this detector fires
    (``smoke_detector``, ``sprinkler``, ``smart_sensor``, ``cctv_density`` …); ``delay`` is then the
    transmission time added after it."""


class TaskSpec(Frozen):
    id: Ident
    capability: Ident | None = None
    """Capability needed (defaults to the task id)."""
    after: list[Ident] = Field(default_factory=list)
    unit: UnitKind | None = None
    """Kind of unit the task needs; ``None`` means desk staff do it where they are."""
    count: Annotated[int, Field(ge=1, le=100)] = 1
    duration: Distribution = ZERO
    setup: Distribution = ZERO
    """Time on scene before work starts (deploy hoses, set cordon tape)."""
    controls: bool = False
    """The incident counts as under control when this task is done."""
    intervention: Ident | None = None
    """Hazard-model intervention applied when the task starts (``suppress``, ``plug``, ``evacuate`` …)."""
    intervention_args: dict[Ident, InterventionArg] = Field(default_factory=dict)
    """Keyword arguments of the intervention (``flow_lpm: 1900`` …); each is checked against the hazard model's
    own list when the scenario is loaded (:func:`scenarios.checks.interventions`), so a wrong value is one line
    naming the argument and what it must be."""
    powers: list[Literal["enforcement"]] = Field(default_factory=list)
    """Legal powers the work needs (执法权: ordering a shutdown, sealing premises, forcing an evacuation). An
    owner without them must bring a holder to the scene: by 吹哨报到 where the arrangement has it, else by
    escalating through its superior (:class:`WhistleSpec`)."""
    commander: Ident | None = None
    """The role that commands this task by law (fire and rescue command fire-fighting and rescue, Fire
    Protection Law; public security commands crowd safety and order …): every arrangement must give it the
    lead — an arrangement changes the coordination around the task, not who fights the fire."""
    by: Literal["command", "work_order"] = "command"
    """How the task reaches its owner: ``command`` — a direct order (life-saving work a command centre
    dispatches: fire attack, rescue, first aid); ``work_order`` — an inter-agency work order (派单) that the
    agency signs (签收) or rejects (退单), see :class:`WorkOrderSpec`."""

    @property
    def needs(self) -> str:
        return self.capability or self.id


class AccessSpec(Frozen):
    """Access to the site may be obstructed (消防车通道被占用: cars parked on the fire lane): once per incident,
    with probability ``blocked``, and then every vehicle task listed here sets up later by ``clearing``."""

    blocked: Probability
    clearing: Distribution
    """Extra set-up while the lane is cleared or a longer hose lay / another aerial position is used."""
    tasks: Annotated[list[Ident], Field(min_length=1)]


class LevelTrigger(Frozen):
    """Raise the response level by one when a hazard measure reaches a value (floors burning, people above
    AEGL-2, crowd density …) — a key of the hazard model's state."""

    metric: Ident
    at_least: float


class ResponseSpec(Frozen):
    """How the response level (响应级别 I–IV, written 1–4; I is the most severe) acts on the response."""

    command_post_at: Annotated[int, Field(ge=1, le=4)] | None = None
    """Levels at or above this one (numerically ≤) set up an on-scene command post (现场指挥部); ``null``: never.
    Every default here leaves the level inert: a scenario says how its levels act."""
    command_post_setup: Distribution = Fixed(value=1800.0)
    """Time from the level decision to the post being up (its lead must know of the incident first)."""
    city_command_at: Annotated[int, Field(ge=1, le=4)] | None = None
    """Levels at or above this one (numerically ≤) are commanded by the city tier (市级指挥: usually I and II;
    the district commands III and IV); ``null``: the district commands at every level."""
    city_command_setup: Distribution = Fixed(value=1800.0)
    """Time from the city hearing of the incident to its headquarters taking over the command."""
    decision_factor: Annotated[float, Field(gt=0, le=1)] = 0.5
    """Agencies present at a command post decide in this share of their usual decision time."""
    weight: dict[Annotated[int, Field(ge=1, le=4)], Annotated[float, Field(ge=1, le=10)]] = Field(
        default_factory=lambda: {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0})
    """Level → multiplier on the unit count of ``by: command`` tasks (the weight of the first response:
    engines of the first alarm …); a rise in level sends the difference as reinforcement (second alarm)."""
    raise_after: Seconds | None = None
    """Seconds after the level decision without control after which the level rises by one (``null``: never)."""
    raise_when: list[LevelTrigger] = Field(default_factory=list)
    """Hazard triggers, each raising the level by one the first time it holds."""
    check_every: Annotated[float, Field(ge=1.0)] = 60.0
    """How often the commander looks at the hazard (seconds; at least 1 s, so the clock advances)."""


class IncidentType(Frozen):
    name: Bilingual | None = None
    detection: Annotated[list[DetectorSpec], Field(min_length=1)]
    verify: Distribution = ZERO
    """Time the receiving desk spends verifying the report before notifying (核实)."""
    tasks: Annotated[list[TaskSpec], Field(min_length=1)]
    site: Ident | None = None
    """Role of the site's operator (物业消控室, the enterprise's control room, the venue's operator). An intake
    centre (119/110/120) that takes a verified report calls it directly, with its own service (社会联动单位):
    the site hears of its own emergency from the centre, never through a street or bureau relay."""
    access: AccessSpec | None = None
    """Obstructed access to the site (a blocked fire lane) and the tasks it delays."""
    response: ResponseSpec = ResponseSpec()
    """What the response level does: command post, weight of the first response, escalation, reinforcement."""

    @model_validator(mode="after")
    def verify_task_dag(self) -> IncidentType:
        ids = [t.id for t in self.tasks]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise RefError(f"duplicate task id(s): {', '.join(dup)}", "tasks")
        g = nx.DiGraph()
        g.add_nodes_from(ids)
        for k, t in enumerate(self.tasks):
            for p in t.after:
                if p not in g:
                    raise RefError(f"task '{t.id}' comes after unknown task '{p}'", "tasks", k, "after")
                g.add_edge(p, t.id)
        for k, name in enumerate(self.access.tasks if self.access is not None else ()):
            if name not in g:
                raise RefError(f"access names unknown task '{name}'", "access", "tasks", k)
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            return self
        on_cycle = {e[0] for e in cycle}
        k = next(k for k, t in enumerate(self.tasks) if t.id in on_cycle)
        raise RefError(
            "task DAG has a cycle: " + " -> ".join(e[0] for e in cycle) + f" -> {cycle[0][0]}", "tasks", k, "after"
        )


class IncidentSpec(Frozen):
    id: Ident
    type: Ident
    grid: Ident
    onset: Seconds = 0.0
    severity: Annotated[int, Field(ge=1, le=4)] = 3
    """Suggested response level I–IV (1 = I, 特别重大; 4 = IV, 一般)."""
    primary: bool = False
    """The incident whose times become the replication's metrics (default: the first listed)."""
    stream: Ident | None = None
    """Set by the engine on routine incidents: the stream they came from (their random draws are keyed by it)."""
    hazard: HazardParams | None = None
    """Hazard physics of this incident (fire, plume, crowd): interventions act on it, outcomes come from it."""


class StreamSpec(Frozen):
    """Routine incidents (日常警情): Poisson arrivals per grid with a time-of-day profile."""

    id: Ident
    type: Ident
    rate_per_hour: Annotated[float, Field(ge=0, le=1e6)]
    """Arrivals per grid per hour (before the profile multiplier)."""
    grids: list[Ident] | None = None
    """Grids where the stream arises (default: every grid)."""
    weight_by_population: bool = False
    """Spread arrivals over grids in proportion to population instead of evenly (rate is then the mean per grid)."""
    profile: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=24, max_length=24)] | None = None
    """24 hourly multipliers by time of day (hour 0 = 00:00–01:00)."""
    severity: Annotated[int, Field(ge=1, le=4)] = 4
    start: Seconds = 0.0
    end: Seconds | None = None
    unit_share: Probability = 1.0
    """Share of the contacts (calls) that become an incident someone must go to (出警 / 出车 / 派单); the others
    are answered at the desk (咨询, 无效, 重复) and only counted. ``rate_per_hour`` then counts contacts."""
    weekly: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=7, max_length=7)] | None = None
    """7 day-of-week multipliers; day 0 of the horizon takes the first (a week's profile, 周分布)."""
    monthly: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=12, max_length=12)] | None = None
    """12 multipliers by month of the horizon (a month is 365/12 days; the season, 季节分布)."""


class WorkOrderSpec(Frozen):
    """The work-order process (派单 → 签收/退单 → 改派 → 审定 → 督办 → 处置 → 反馈 → 核查) for tasks with
    ``by: work_order``. Whether an agency rejects depends on the arrangement's responsibility list: a task
    listed for it alone is signed; listed for several (职能交叉) or for none, it may be rejected."""

    decide: Distribution = Fixed(value=600.0)
    """Time from an order reaching the agency's desk to its signing or rejection."""
    reject_shared: Probability = 0.5
    """Probability an agency rejects an order for a task the list gives to several agencies (职能交叉)."""
    reject_unlisted: Probability = 0.8
    """Probability an agency rejects an order for a task the list does not give it (职能不符 / 权属不清)."""
    redispatch: Distribution = Fixed(value=300.0)
    """Time from a rejection to the next dispatch (the order comes back and is re-dispatched, 改派)."""
    arbitration_after: Annotated[int, Field(ge=1)] | None = 2
    """Rejections after which the dispatcher's superior arbitrates (审定) and the order is binding;
    ``null``: never (orders bounce until someone signs)."""
    arbitration: Distribution = Fixed(value=1800.0)
    """Time the superior needs to rule once the case reaches its desk."""
    sign_deadline: Seconds | None = 3600.0
    """Seconds from the first dispatch after which an order not yet signed is supervised (督办): an agency the
    list gives the task to alone is pressed and signs once it has decided; an order held by any other agency
    is cancelled and the superior rules at once (提级督办) — an order still on its way to that agency's desk, or
    in its queue, is withdrawn then — as it does when the deadline comes between re-dispatches. ``null``: no
    supervision."""
    verify: Distribution = Fixed(value=300.0)
    """Time the dispatcher spends verifying the agency's report back (核查) before closing the order."""
    verify_fail: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Probability a report back fails verification (核查不合格): the order is reopened and the agency redoes
    the work (a binding order, the task's duration again) and reports back again."""

    @model_validator(mode="after")
    def verify_orders_end(self) -> WorkOrderSpec:
        if self.arbitration_after is None and max(self.reject_shared, self.reject_unlisted) >= 1.0:
            field = "reject_shared" if self.reject_shared >= 1.0 else "reject_unlisted"
            raise RefError(
                "orders rejected with probability 1 and never arbitrated would bounce for ever: "
                "set arbitration_after, or a rejection probability below 1",
                field,
            )
        return self


class WhistleSpec(Frozen):
    """吹哨报到 (the street whistles, departments report): how fast a department with the powers a task needs
    comes to the scene when called."""

    report: Distribution = Fixed(value=1800.0)
    """From the call reaching the department to its people on scene (the department's "report within")."""


class AreaRule(Frozen):
    """Station areas (辖区) and when a unit may leave its own: each grid belongs to the area of the station, among
    those with units of the kind, nearest it by road; that station sends first. When its units are all busy, a
    station of another area of the same district (the unit's agency covers the grid's street) may send one if it
    can reach the grid within ``aid_within`` seconds; another district's unit (跨区增援) only when
    ``cross_district`` and within ``district_aid_within``. Nobody allowed is free: ``when_all_busy``."""

    aid_within: Seconds | None = None
    """Longest travel, in seconds, for a unit of a neighbouring station area (调派距离); ``null``: any."""
    cross_district: bool = False
    """Whether another district's units may come at all (跨区调派)."""
    district_aid_within: Seconds | None = None
    """Longest travel for another district's unit when ``cross_district``; ``null``: any."""


class DispatchSpec(Frozen):
    """How a free unit is chosen, and what happens when every eligible unit is busy (调度规则)."""

    order: Literal["nearest", "own_jurisdiction", "preference"] = "nearest"
    """``nearest`` by travel time; ``own_jurisdiction``: units of the incident's street first; ``preference``:
    the fixed list of the incident's grid (Larson's hypercube model), nearest for grids without a list."""
    preferences: dict[Ident, list[str]] = Field(default_factory=dict)
    """Per grid, stations (``fs1``) or units (``fs1.engine2``) in order of preference."""
    when_all_busy: Literal["queue", "mutual_aid"] = "queue"
    """``queue``: wait first-come-first-served; ``mutual_aid``: a neighbouring district sends a unit (跨区支援)."""
    mutual_aid_travel: Distribution = Fixed(value=1800.0)
    """Time for the mutual-aid unit to arrive after the request."""
    areas: AreaRule | None = None
    """Station areas (辖区) and the rule for leaving them (with ``order: nearest`` or ``own_jurisdiction``; a grid's
    ``preference`` list still wins); ``null``: any eligible unit in dispatch order."""
    travel_factor_by_hour: Annotated[list[Annotated[float, Field(ge=0.5, le=5)]],
                                     Field(min_length=24, max_length=24)] | None = None
    """Multiplier on every road travel time by hour of day (0–23, from ``clock_start``): the rush hour's
    congestion (拥堵延时指数: actual ÷ free-flow travel time). ``null``: free-flowing roads at every hour."""
