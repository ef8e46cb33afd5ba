"""Records of one replication: per incident, per task (its stage times) and per unit use.

Plain ``__slots__`` objects filled in as stages happen — no dict building on the hot path. The
experiment layer turns lists of them into Arrow columns.
"""

from __future__ import annotations

import math

NAN = math.nan

TASK_STAGES = ("available", "owner_known", "notified", "decided", "unit_assigned", "arrived", "started", "done")
"""Stages every task passes, in order (可用 → 明确责任 → 已通知 → 决定 → 派出单元 → 到场 → 开始 → 完成)."""

GAP_PARTS = ("ownership", "notification", "decision", "unit_wait", "travel", "setup")
"""A hand-off gap (交接间隙) = time from a task becoming available to its start, split by stage."""


class TaskRecord:
    __slots__ = ("incident", "task", "owner", "from_agency", "escalated", "status", "units", "queue_wait",
                 "dispatch_request", *TASK_STAGES)

    def __init__(self, incident: str, task: str) -> None:
        self.incident, self.task = incident, task
        self.owner: str | None = None
        self.from_agency: str | None = None
        self.escalated = False
        self.status = "pending"
        self.units: list[str] = []
        self.queue_wait = NAN
        self.dispatch_request = NAN
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

    def gap_parts(self) -> tuple[float, ...]:
        """The gap split by :data:`GAP_PARTS` (consecutive stages from available to started)."""
        a, o, n, d, u, r, s = (self.available, self.owner_known, self.notified, self.decided, self.unit_assigned,
                               self.arrived, self.started)
        return (o - a, n - o, d - n, u - d, r - u, s - r)


class IncidentRecord:
    __slots__ = ("incident", "type", "grid", "level", "t_start", "t_detect", "t_report", "t_notify_lead",
                 "t_dispatch", "t_first_arrival", "t_control", "t_close", "queue_wait", "first_unit",
                 "mutual_aid", "detected_by", "receiver", "lead", "outcomes")

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
