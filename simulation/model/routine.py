"""Fixed-size tallies of routine incidents (日常警情汇总), for runs too long to keep every record.

With ``keep_routine=False`` the engine folds each routine incident into a :class:`RoutineTally` when it
closes (or at the horizon, if it is still open) and drops its records, so memory is bounded by the
incidents open at once — not by how many arrive in a year. Primary (scenario) incidents are always
kept in full.
"""

from __future__ import annotations

import math

from simulation.model.monthly import MonthlyTally
from simulation.model.records import IncidentRecord, TaskRecord

TALLIED = (
    "t_detect",
    "t_report",
    "t_notify_lead",
    "t_dispatch",
    "t_first_arrival",
    "t_control",
    "t_close",
    "queue_wait",
)


class RoutineTally:
    """Counts, sums and sums of squares per metric (durations from onset; queue_wait as is)."""

    __slots__ = ("incidents", "mutual_aid", "handoffs", "gap_total", "gap_max", "ownerless", "n", "sum", "sumsq",
                 "months", "calls")

    def __init__(self) -> None:
        self.incidents = self.mutual_aid = self.handoffs = 0
        self.gap_total = self.gap_max = self.ownerless = 0.0
        self.n = dict.fromkeys(TALLIED, 0)
        self.sum = dict.fromkeys(TALLIED, 0.0)
        self.sumsq = dict.fromkeys(TALLIED, 0.0)
        self.months = MonthlyTally()  # per type and month: where the first unit came from, first arrivals
        self.calls: dict[str, int] = {}  # contacts per stream (a call is not an incident: StreamSpec.unit_share)

    def add(self, inc: IncidentRecord, tasks: list[TaskRecord], horizon: float) -> None:
        self.incidents += 1
        self.months.add(inc)
        self.mutual_aid += bool(inc.mutual_aid)
        for m in TALLIED:
            v = getattr(inc, m)
            if math.isnan(v):
                continue
            if m != "queue_wait":
                v -= inc.t_start
            self.n[m] += 1
            self.sum[m] += v
            self.sumsq[m] += v * v
        for t in tasks:
            if math.isnan(t.available):
                continue
            if t.escalated:
                self.ownerless += (t.owner_known if not math.isnan(t.owner_known) else horizon) - t.available
            if t.counts_as_handoff:
                gap = (horizon if math.isnan(t.started) else t.started) - t.available
                self.handoffs += 1
                self.gap_total += gap
                self.gap_max = max(self.gap_max, gap)

    def mean(self, metric: str) -> float | None:
        return self.sum[metric] / self.n[metric] if self.n[metric] else None

    def metrics(self) -> dict[str, float | None]:
        """Replication metrics of a stream-only run, as means over the routine incidents."""
        out: dict[str, float | None] = {m: self.mean(m) for m in TALLIED if m != "queue_wait"}
        k = self.incidents
        out["handoff_gap_total"] = self.gap_total / k if k else None
        out["handoff_gap_max"] = self.gap_max if self.handoffs else None
        out["handoff_count"] = self.handoffs / k if k else None
        out["ownerless_time"] = self.ownerless / k if k else None
        out["incidents"] = float(k)
        out["mutual_aid_fraction"] = self.mutual_aid / k if k else None
        out["queue_wait"] = self.mean("queue_wait")
        out["waited_fraction"] = None  # needs each incident's wait: full records only
        for m in ("workorder_rejections", "workorder_bounce_time", "arbitrations", "t_command_post", "level_max",
                  "reinforcements", "t_city_command", "casualties", "people_exposed", "peak_density"):
            out[m] = None  # per-incident mechanisms and hazard outcomes: primary incidents only
        return out
