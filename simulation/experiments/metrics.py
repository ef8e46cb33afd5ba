"""Metrics of one replication (the DESIGN.md contract) and their summary statistics.

Replication metrics describe the *primary* incident and are durations in seconds from its onset;
a metric that does not apply (no unit was ever needed, the incident was never controlled, no hazard
model) is ``None`` — null in Parquet — never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from simulation.experiments.outputs import (  # the names live in the output contract
    HANDOFF_METRICS,
    HAZARD_METRICS,
    LEVEL_METRICS,
    METRICS,
    NOT_METRICS,
    TIME_METRICS,
    WORKORDER_METRICS,
    nan_to_none,
)
from simulation.model.engine import Replication
from simulation.model.routine import RoutineTally

__all__ = ["HANDOFF_METRICS", "HAZARD_METRICS", "METRICS", "NOT_METRICS", "TIME_METRICS", "censored_gap",
           "metric_names", "replication_metrics", "summarize"]


def _val(x: float) -> float | None:
    v = nan_to_none(x)
    return None if v is None else float(v)


def censored_gap(task, horizon: float) -> tuple[float, bool]:  # noqa: ANN001 - TaskRecord
    """A hand-off gap; one that never closed counts up to the horizon (a lower bound), flagged."""
    if math.isnan(task.started):
        return horizon - task.available, True
    return task.gap, False


def replication_metrics(rep: Replication) -> dict[str, float | None]:
    """Metrics of the primary incident, or means over all incidents of a stream-only scenario."""
    sc = rep.sc
    primary = sc.primary_incident()
    if primary is None:
        return rep.routine.metrics() if rep.routine is not None else _stream_metrics(rep)
    inc = next(r for r in rep.incidents if r.incident == primary.id)
    onset = primary.onset
    out: dict[str, float | None] = {m: _val(getattr(inc, m) - onset) for m in TIME_METRICS}
    gaps, ownerless = [], 0.0
    for t in rep.tasks:
        if t.incident != primary.id or math.isnan(t.available):
            continue
        if t.escalated:
            ownerless += (t.owner_known if not math.isnan(t.owner_known) else sc.horizon) - t.available
        if t.counts_as_handoff:
            gaps.append(censored_gap(t, sc.horizon)[0])
    out["handoff_gap_total"] = float(sum(gaps))
    out["handoff_gap_max"] = float(max(gaps)) if gaps else None
    out["handoff_count"] = float(len(gaps))
    out["ownerless_time"] = ownerless
    out.update(work_order_metrics(rep, primary.id))
    out["t_command_post"] = _val(inc.t_command_post - onset)
    out["level_max"] = None if inc.level_max is None else float(inc.level_max)
    out["reinforcements"] = float(inc.reinforcements) if inc.level is not None else None
    out["t_city_command"] = _val(inc.t_city_command - onset)
    for m in HAZARD_METRICS:
        out[m] = None
    for k, v in inc.outcomes.items():
        out[k] = None if v is None else _val(float(v))
    return out


def work_order_metrics(rep: Replication, incident: str) -> dict[str, float | None]:
    """Rejections, bounce time and arbitrations of one incident's work orders (null when its type sends none).

    Bounce time per task runs from the first dispatch to the signing that stuck — to the horizon when no
    order was signed by then (a lower bound, like a censored gap)."""
    itype = rep.sc.incident_types[next(i.type for i in rep.incidents if i.incident == incident)]
    if not any(t.by == "work_order" for t in itype.tasks):
        return dict.fromkeys(WORKORDER_METRICS)
    by_task: dict[str, list] = {}
    for o in rep.work_order_records:
        if o.incident == incident:
            by_task.setdefault(o.task, []).append(o)
    rejections = bounce = arbitrations = 0.0
    for orders in by_task.values():
        rejections += sum(o.outcome == "rejected" for o in orders)
        arbitrations += any(not math.isnan(o.t_arbitrated) for o in orders)
        stuck = next((o for o in orders if o.outcome != "rejected"), orders[-1])  # the first signing that stuck
        end = stuck.t_signed if not math.isnan(stuck.t_signed) else rep.sc.horizon
        bounce += end - orders[0].t_dispatched
    return {"workorder_rejections": rejections, "workorder_bounce_time": bounce, "arbitrations": arbitrations}


def _stream_metrics(rep: Replication) -> dict[str, float | None]:
    """Means over all incidents — the same tally the engine keeps when it drops routine records."""
    tally = RoutineTally()
    by_incident: dict[str, list] = {}
    for t in rep.tasks:
        by_incident.setdefault(t.incident, []).append(t)
    for inc in rep.incidents:
        tally.add(inc, by_incident.get(inc.incident, []), rep.sc.horizon)
    out = tally.metrics()
    waits = [i.queue_wait for i in rep.incidents if not math.isnan(i.queue_wait)]
    out["waited_fraction"] = float(np.mean([w > 0 for w in waits])) if waits else None
    for m in (*WORKORDER_METRICS, *LEVEL_METRICS, *HAZARD_METRICS):
        out[m] = None
    return out


def summarize(values: Sequence[float | None]) -> dict[str, float | int | list[float] | None]:
    """Mean, median, 90th percentile and a 95 % t-interval of the mean over non-null values."""
    from scipy import stats

    x = np.array([v for v in values if v is not None], dtype=float)
    n = int(x.size)
    if n == 0:
        return {"n": 0, "mean": None, "p50": None, "p90": None, "ci95": None}
    mean = float(x.mean())
    if n > 1:
        half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
        ci = [mean - half, mean + half]
    else:
        ci = [mean, mean]
    return {"n": n, "mean": mean, "p50": float(np.percentile(x, 50)), "p90": float(np.percentile(x, 90)), "ci95": ci}


def metric_names(rows: Iterable[dict]) -> list[str]:
    names = list(METRICS)
    for r in rows:
        for k in r:
            if k not in names and k not in NOT_METRICS:
                names.append(k)
    return names
