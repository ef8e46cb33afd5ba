"""Why a comparison's verdicts are what they are (差异归因): what moved between two arrangements.

Built on :mod:`simulation.experiments.compare`'s tables, for the faces that explain a verdict (the compare
page's paragraph, the briefing): which agency pair and stage took more or less hand-off time
(:func:`attribution_difference`), which duty desks held hand-offs up and how (:func:`desk_holds`: an empty
night desk on a serial relay's call list), which tasks began earlier or later (:func:`start_difference` — hazard
outcomes follow from when the measures began), and the incident's outcome as paired comparison rows
(:func:`outcome_rows`: the share of replications closed, the tasks never finished).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa

from simulation.experiments.compare import comparison_table
from simulation.experiments.runner import RunResult

OUTCOMES = ("closed", "tasks_abandoned")
"""``closed``: 1 where the primary incident was closed (结案) by the horizon, else 0 — its mean is the share
closed, and ``t_close`` is averaged over those replications only; ``tasks_abandoned``: its tasks still
unfinished at the horizon (未完成任务), per replication."""


def attribution_difference(attribution: pa.Table, baseline: str, arrangement: str) -> list[dict]:
    """What an arrangement changes in the hand-off gaps (归因差异): per (from, to, stage), the arrangement's
    seconds per replication minus the baseline's, largest change first — the agency pair, the stage and so
    the mechanism (``STAGES``) behind a difference in ``handoff_gap_total``. A pair only one arm has counts
    0 in the other (its hand-off did not happen there)."""
    acc: dict[tuple[str, str, str], list[float]] = {}
    for r in attribution.to_pylist():
        side = 0 if r["arrangement"] == baseline else 1 if r["arrangement"] == arrangement else None
        if side is not None:
            acc.setdefault((r["from_agency"], r["to_agency"], r["stage"]), [0.0, 0.0])[side] += r["seconds_mean"]
    rows = [{"from_agency": k[0], "to_agency": k[1], "stage": k[2], "baseline": v[0], "arrangement": v[1],
             "diff": v[1] - v[0]} for k, v in acc.items()]
    rows.sort(key=lambda r: (-abs(r["diff"]), r["from_agency"], r["to_agency"], r["stage"]))
    return rows


def desk_holds(runs: dict[str, RunResult], baseline: str, arrangement: str, incident: str | None) -> list[dict]:
    """Which duty desks held the hand-offs up (值班台受阻), arrangement against baseline: per (caller, desk,
    reason, path) of the hand-offs table's block columns, the seconds held per replication in each arm and their
    difference, largest change first (``incident``: the primary incident's id; ``None`` counts every incident).
    ``block_path`` says how: the addressee's own desk, or an earlier call on a serial relay's list (every agency
    after it waited too), or the relay's own notice."""
    def per_rep(r: RunResult) -> dict[tuple, float]:
        h, n, out = r.handoffs, max(r.replications.num_rows, 1), {}
        if not h.num_rows:
            return out
        cols = [h.column(c).to_pylist() for c in ("incident", "blocked_caller", "blocked_by", "block_reason",
                                                  "block_path", "blocked_time")]
        for inc, caller, desk, reason, path, held in zip(*cols):
            if held and incident in (None, inc):
                key = (caller, desk, reason, path)
                out[key] = out.get(key, 0.0) + held / n
        return out

    b, o = per_rep(runs[baseline]), per_rep(runs[arrangement])
    rows = [{"blocked_caller": k[0], "blocked_by": k[1], "block_reason": k[2], "block_path": k[3],
             "baseline": b.get(k, 0.0), "arrangement": o.get(k, 0.0), "diff": o.get(k, 0.0) - b.get(k, 0.0)}
            for k in set(b) | set(o)]
    rows.sort(key=lambda r: (-abs(r["diff"]), *(str(r[c]) for c in ("blocked_by", "blocked_caller", "block_reason",
                                                                      "block_path"))))
    return rows


def start_difference(runs: dict[str, RunResult], baseline: str, arrangement: str, incident: str | None) -> list[dict]:
    """When each task of the primary incident started, arrangement against baseline (处置开始时间差): per task,
    the mean paired difference of ``started`` over the replications where it started in both, largest first
    (``incident``: the primary incident's id; ``None`` counts every incident's tasks).
    Hazard outcomes (casualties) follow from when the measures began — this says which began later."""
    def starts(r: RunResult) -> dict[tuple[int, str], float]:
        t = r.tasks
        if not t.num_rows:
            return {}
        cols = {c: t.column(c).to_pylist() for c in ("replication", "incident", "task", "started")}
        return {(cols["replication"][i], cols["task"][i]): cols["started"][i] for i in range(t.num_rows)
                if cols["started"][i] is not None and incident in (None, cols["incident"][i])}

    b, o = starts(runs[baseline]), starts(runs[arrangement])
    acc: dict[str, list[float]] = {}
    for key in sorted(set(b) & set(o)):
        acc.setdefault(key[1], []).append(o[key] - b[key])
    rows = [{"task": k, "n": len(v), "diff": float(np.mean(v))} for k, v in acc.items()]
    rows.sort(key=lambda r: (-abs(r["diff"]), r["task"]))
    return rows



def outcome_rows(runs: dict[str, RunResult], baseline: str, incident: str | None) -> list[dict]:
    """:data:`OUTCOMES` of the primary ``incident`` as comparison rows (paired over every replication, Holm
    across arrangements, the same verdict rule) — for the faces' cards; not part of the comparison table."""
    derived = {}
    for label, r in runs.items():
        reps = r.replications.column("replication").to_pylist()
        inc = r.incidents
        closed = {rep: 0.0 for rep in reps}
        if inc.num_rows:
            for rep, i, tc in zip(*(inc.column(c).to_pylist() for c in ("replication", "incident", "t_close"))):
                if incident in (None, i) and tc is not None:
                    closed[rep] = 1.0
        abandoned = {rep: 0.0 for rep in reps}
        t = r.tasks
        if t.num_rows:
            for rep, i, status in zip(*(t.column(c).to_pylist() for c in ("replication", "incident", "status"))):
                if incident in (None, i) and status == "abandoned":
                    abandoned[rep] += 1.0
        derived[label] = SimpleNamespace(replications=pa.table({
            "replication": reps, "closed": [closed[x] for x in reps], "tasks_abandoned": [abandoned[x] for x in reps]}))
    return comparison_table(derived, baseline).to_pylist()
