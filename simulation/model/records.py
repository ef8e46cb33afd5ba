"""Records of one replication: per incident, per task (its stage times) and per unit use.

Plain ``__slots__`` objects filled in as stages happen — no dict building on the hot path. The
experiment layer turns lists of them into Arrow columns.
"""

from __future__ import annotations

import math

NAN = math.nan

TASK_STAGES = ("available", "owner_known", "notified", "decided", "unit_assigned", "arrived", "started", "done")
"""Stages every task passes, in order (可用 → 明确责任 → 已通知 → 决定 → 派出单元 → 到场 → 开始 → 完成)."""

GAP_PARTS = ("ownership", "bounce", "arbitration", "signing", "notification", "decision", "unit_wait", "travel",
             "enforcement", "setup")
"""A hand-off gap (交接间隙) = time from a task becoming available to its start, split by the mechanism that
held it: ``ownership`` (no owner yet: escalation, or waiting for the work-order dispatcher), ``bounce`` (work
orders returned and re-dispatched, 退单/改派), ``arbitration`` (the superior's ruling, 审定), ``signing`` (the order
that stuck, from its dispatch to its signature, 签收), ``notification``,
``decision``, ``unit_wait``, ``travel``, ``enforcement`` (waiting for an agency with the powers the owner lacks,
吹哨报到) and ``setup``. The parts add up to the gap (:func:`split_gap`)."""

GAP_TIMES = ("available", "first_dispatch", "arbitration_start", "arbitrated", "last_dispatch", "owner_known",
             "notified", "decided", "unit_assigned", "arrived", "powers_requested", "powers_present", "started")
"""The times :func:`split_gap` reads (task stages plus the work-order and enforcement moments)."""
_MAIN = ("available", "owner_known", "notified", "decided", "unit_assigned", "arrived", "started")


def split_gap(times: dict[str, float], horizon: float | None = None) -> tuple[float, ...]:
    """A gap split into :data:`GAP_PARTS` from the :data:`GAP_TIMES` of one task (NaN where not reached).

    With ``horizon`` a gap that never closed is censored there: the stage it is stuck in runs to the horizon
    and later stages take nothing (as :func:`censored_gap` counts it). Without, unreached parts are NaN."""
    t = dict(times)
    if horizon is not None:
        stuck = next((k for k in _MAIN if math.isnan(t[k])), None)
        if stuck is not None:
            for k in _MAIN[_MAIN.index(stuck):]:
                t[k] = horizon
            if not math.isnan(t["arbitration_start"]) and math.isnan(t["arbitrated"]):
                t["arbitrated"] = t["last_dispatch"] = horizon
            if not math.isnan(t["powers_requested"]) and math.isnan(t["powers_present"]):
                t["powers_present"] = horizon
    a, o, r, s = t["available"], t["owner_known"], t["arrived"], t["started"]
    first = o if math.isnan(t["first_dispatch"]) else t["first_dispatch"]
    last = first if math.isnan(t["last_dispatch"]) else min(t["last_dispatch"], o)
    arbitration = 0.0 if math.isnan(t["arbitration_start"]) else min(t["arbitrated"], o) - t["arbitration_start"]
    on_scene = r if math.isnan(t["powers_present"]) else max(r, t["powers_present"])
    return (first - a, (last - first) - arbitration, arbitration, o - last, t["notified"] - o,
            t["decided"] - t["notified"], t["unit_assigned"] - t["decided"], r - t["unit_assigned"], on_scene - r,
            s - on_scene)


class TaskRecord:
    __slots__ = ("incident", "task", "owner", "from_agency", "escalated", "status", "units", "queue_wait",
                 "dispatch_request", "first_dispatch", "arbitration_start", "arbitrated", "last_dispatch", "enforcer",
                 "whistled",
                 "powers_requested", "powers_present", "blocked_by", "blocked_caller", "block_reason", "block_path",
                 "block_stage", "blocked_time", *TASK_STAGES)

    def __init__(self, incident: str, task: str) -> None:
        self.incident, self.task = incident, task
        self.owner: str | None = None
        self.from_agency: str | None = None
        self.escalated = False
        self.status = "pending"
        self.units: list[str] = []
        self.queue_wait = NAN
        self.dispatch_request = NAN
        self.first_dispatch = self.arbitration_start = self.arbitrated = self.last_dispatch = NAN  # work orders
        self.enforcer: str | None = None  # the agency that brought the powers the owner lacked
        self.whistled = False  # … called by 吹哨报到 (else through the superior)
        self.powers_requested = self.powers_present = NAN
        # the duty desk that held the hand-off longest (holds.mark_blocks, at the horizon); None/NaN if none did
        self.blocked_by: str | None = None
        self.blocked_caller: str | None = None
        self.block_reason: str | None = None
        self.block_path: str | None = None
        self.block_stage: str | None = None
        self.blocked_time = NAN
        for s in TASK_STAGES:
            setattr(self, s, NAN)

    @property
    def is_handoff(self) -> bool:
        """A hand-off: the task follows work done by another agency (or its ownership was disputed)."""
        return self.from_agency is not None and self.from_agency != self.owner

    @property
    def gap(self) -> float:
        return self.started - self.available

    @property
    def ownerless_time(self) -> float:
        return (self.owner_known - self.available) if self.escalated else 0.0

    @property
    def counts_as_handoff(self) -> bool:
        """A hand-off that the gap metrics count: another agency's work before it, a disputed owner, or a
        work order (an inter-agency hand-off by definition)."""
        return self.is_handoff or self.escalated or not math.isnan(self.first_dispatch)

    def gap_times(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in GAP_TIMES}

    def gap_parts(self, horizon: float | None = None) -> tuple[float, ...]:
        """The gap split by :data:`GAP_PARTS` (:func:`split_gap`)."""
        return split_gap(self.gap_times(), horizon)


class WorkOrderRecord:
    """One work order (工单): dispatched to one agency, then signed, rejected, or still open.

    ``order_no`` is 1 for the first dispatch of a task and grows by one per re-dispatch; an arbitrated
    order (审定) is binding and signed when it is issued. ``t_received``: the order reached the agency's duty desk
    and was taken up there (after the channels, the desk's queue and its handling) — the moment the agency
    starts to decide (签收/退单); NaN while still on its way."""

    __slots__ = ("incident", "task", "order_no", "dispatcher", "to_agency", "t_dispatched", "t_signed",
                 "t_rejected", "reject_reason", "t_arbitrated", "t_supervised", "t_handled", "t_reported",
                 "t_verified", "outcome", "t_received")

    def __init__(self, incident: str, task: str, order_no: int, dispatcher: str, to_agency: str,
                 t_dispatched: float) -> None:
        self.incident, self.task, self.order_no = incident, task, order_no
        self.dispatcher, self.to_agency, self.t_dispatched = dispatcher, to_agency, t_dispatched
        self.t_signed = self.t_rejected = self.t_arbitrated = self.t_supervised = NAN
        self.t_handled = self.t_reported = self.t_verified = self.t_received = NAN
        self.reject_reason: str | None = None
        self.outcome = "open"


WORK_ORDER_TIMES = ("t_dispatched", "t_signed", "t_rejected", "t_arbitrated", "t_supervised", "t_handled",
                    "t_reported", "t_verified")
REJECT_REASONS = {"not_our_function": "职能不符", "overlapping_duties": "职能交叉", "ownership_unclear": "权属不清"}
"""Reasons an agency returns a work order (退单), as recorded in ``reject_reason``."""


class IncidentRecord:
    __slots__ = ("incident", "type", "grid", "level", "t_start", "t_detect", "t_report", "t_notify_lead",
                 "t_dispatch", "t_first_arrival", "t_control", "t_close", "queue_wait", "first_unit",
                 "mutual_aid", "detected_by", "receiver", "lead", "outcomes", "level_max", "t_command_post",
                 "command_post", "reinforcements", "command_tier", "t_city_command",
                 "access_blocked", "aid_tier")

    def __init__(self, incident: str, type_: str, grid: str, onset: float) -> None:
        self.incident, self.type, self.grid, self.t_start = incident, type_, grid, onset
        self.level: int | None = None
        self.t_detect = self.t_report = self.t_notify_lead = self.t_dispatch = NAN
        self.t_first_arrival = self.t_control = self.t_close = self.queue_wait = NAN
        self.first_unit: str | None = None
        self.mutual_aid = False
        self.detected_by: str | None = None
        self.receiver: str | None = None
        self.lead: str | None = None
        self.outcomes: dict[str, float | None] = {}
        self.level_max: int | None = None  # the most severe level reached (I = 1)
        self.t_command_post = NAN
        self.command_post: str | None = None  # the agency leading the on-scene command post
        self.reinforcements = 0  # units sent when the level rose (second alarm …)
        self.access_blocked: bool | None = None  # the site's access was blocked (a fire lane full of cars)
        self.command_tier: str | None = None  # who commands: 'district' or 'city' (市级指挥), once a level is set
        self.t_city_command = NAN  # the city's headquarters took over
        self.aid_tier: int | None = None  # where the first unit came from (station_areas.TIERS), once dispatched


class UnitUse:
    """One unit busy from ``assigned`` to ``free`` for ``incident``/``task`` (for 'one place at a time')."""

    __slots__ = ("unit", "incident", "task", "assigned", "arrived", "free")

    def __init__(self, unit: str, incident: str, task: str, assigned: float, arrived: float, free: float) -> None:
        self.unit, self.incident, self.task = unit, incident, task
        self.assigned, self.arrived, self.free = assigned, arrived, free


class DeskUse:
    """One message handled at a duty desk (recorded only when tracing)."""

    __slots__ = ("desk", "start", "end", "staff")

    def __init__(self, desk: str, start: float, end: float, staff: int) -> None:
        self.desk, self.start, self.end, self.staff = desk, start, end, staff
