"""The hidden-hazard loop as an experiment (隐患闭环对比): arrangements compared with common random numbers.

:func:`compare_loop` runs replication *r* of every arrangement with the same seed (the loop's named streams
give every arm the same hazards, the same channel luck and the same owners' delays wherever behaviour is the
same), and returns the per-replication metrics, the means, the paired differences against the first arm, the
leak per stage and what was found by channel and category. :func:`loop_tables` lays them out as the output
contract's tables (``outputs.LOOP_TABLES``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from agencies.arrangement import Arrangement
from scenarios.defect_loop import CHANNELS, DAY, DefectLoopSpec
from scenarios.errors import InputError
from simulation.model.defect_loop import STATUSES, DefectLoopResult, simulate

LEAK_STAGES = (
    ("undiscovered", "未发现 not found"), ("reporting", "上报途中 on the way"), ("bounced", "退单流转 returned"),
    ("dropped", "漏转丢失 lost"), ("queued", "待处置 waiting for an inspector"),
    ("rectifying", "整改中 being rectified"), ("verifying", "待核查 awaiting re-check"),
    ("relapsed_open", "回潮未结 came back"), ("rectified", "已整改 rectified and holding"),
)
"""Where the loop holds each hazard at the horizon, in the loop's order, with the bilingual label faces show."""


@dataclass
class LoopComparison:
    """Results of :func:`compare_loop`: ``runs[arrangement][r]`` is replication r of that arm."""

    spec: DefectLoopSpec
    arrangements: list[str]
    seed: int
    runs: dict[str, list[DefectLoopResult]] = field(default_factory=dict)

    def mean(self, arm: str, metric: str) -> float | None:
        vals = [r.metrics()[metric] for r in self.runs[arm]]
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None

    def paired(self, arm: str, metric: str) -> tuple[float, float, float] | None:
        """Mean paired difference (arm − first arm) and its 95 % t-interval over the replications."""
        from scipy import stats

        base = self.arrangements[0]
        d = [a.metrics()[metric] - b.metrics()[metric] for a, b in zip(self.runs[arm], self.runs[base], strict=True)
             if a.metrics()[metric] is not None and b.metrics()[metric] is not None]
        if not d:
            return None
        m = float(np.mean(d))
        if len(d) < 2:
            return m, math.nan, math.nan
        h = float(stats.t.ppf(0.975, len(d) - 1) * np.std(d, ddof=1) / math.sqrt(len(d)))
        return m, m - h, m + h


def compare_loop(spec: DefectLoopSpec, arrangements: list[tuple[str, Arrangement]], replications: int = 1,
                 seed: int = 0, grids: int | None = None) -> LoopComparison:
    """Run every arrangement ``replications`` times with common random numbers (the first is the baseline)."""
    if not arrangements:
        raise InputError.one("loop", None, "arrangement", "at least one arrangement is needed")
    labels = [label for label, _ in arrangements]
    if len(set(labels)) != len(labels):
        raise InputError.one("loop", None, "arrangement", f"an arrangement is named twice ({', '.join(labels)})")
    out = LoopComparison(spec, labels, seed)
    for label, arr in arrangements:
        try:
            out.runs[label] = [simulate(spec, seed, arrangement=arr, grids=grids, replication=r)
                               for r in range(replications)]
        except ValueError as e:  # an arrangement listing a hazard owner the loop has no inspectors for
            raise InputError.one("loop", None, "arrangement", str(e)) from None
    return out


def loop_tables(cmp: LoopComparison) -> dict[str, dict[str, list]]:
    """The output contract's tables as columns: per replication metrics, leak per stage, found by channel and
    category, the found-to-closed time distribution (percentiles), and the paired comparison."""
    from simulation.experiments.outputs import LOOP_METRICS

    reps: dict[str, list] = {k: [] for k in ("arrangement", "replication", "seed", *LOOP_METRICS)}
    stages: dict[str, list] = {k: [] for k in ("arrangement", "replication", "stage", "hazards", "share")}
    found: dict[str, list] = {k: [] for k in ("arrangement", "replication", "channel", "category", "found", "closed")}
    times: dict[str, list] = {k: [] for k in ("arrangement", "replication", "quantile", "days")}
    for arm in cmp.arrangements:
        for r, res in enumerate(cmp.runs[arm]):
            m = res.metrics()
            for k, v in (("arrangement", arm), ("replication", r), ("seed", cmp.seed)):
                reps[k].append(v)
            for k in LOOP_METRICS:
                reps[k].append(None if m[k] is None else float(m[k]))
            total = max(res.counts["arisen"], 1)
            for stage in STATUSES:
                for k, v in (("arrangement", arm), ("replication", r), ("stage", stage),
                             ("hazards", res.status[stage]), ("share", res.status[stage] / total)):
                    stages[k].append(v)
            for i, ch in enumerate(CHANNELS):
                for j, c in enumerate(res.categories):
                    for k, v in (("arrangement", arm), ("replication", r), ("channel", ch), ("category", c),
                                 ("found", int(res.found_by[i, j])), ("closed", int(res.closed_by[i, j]))):
                        found[k].append(v)
            for q in (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99):
                v = res.found_to_closed.quantile(q)
                for k, val in (("arrangement", arm), ("replication", r), ("quantile", q),
                               ("days", None if v is None else v / DAY)):
                    times[k].append(val)
    paired: dict[str, list] = {k: [] for k in ("metric", "baseline", "arrangement", "mean_baseline",
                                               "mean_arrangement", "diff_mean", "ci_low", "ci_high")}
    base = cmp.arrangements[0]
    for arm in cmp.arrangements[1:]:
        for metric in LOOP_METRICS:
            p = cmp.paired(arm, metric)
            row = (metric, base, arm, cmp.mean(base, metric), cmp.mean(arm, metric),
                   *(p if p is not None else (None, None, None)))
            for k, v in zip(paired, row, strict=True):
                paired[k].append(None if isinstance(v, float) and math.isnan(v) else v)
    return {"loop": reps, "loop_stages": stages, "loop_found": found, "loop_times": times, "loop_comparison": paired}
