"""Streaming tallies of the defect-discovery loop (隐患排查闭环): fixed memory however many cases.

Counts, sums, sums of squares and a fixed log-binned histogram per duration (percentiles to ~1 %), and the
result record :class:`DefectLoopResult` that :func:`simulation.model.defect_loop.simulate` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenarios.defect_loop import DAY

_EDGES = np.geomspace(60.0, 4 * 365 * DAY, 1001)  # 1 min … 4 years; bins ~1.5 % wide
_LOG_LO, _LOG_STEP = math.log(_EDGES[0]), math.log(_EDGES[1] / _EDGES[0])


class Tally:
    """Streaming statistics of a duration: count, sum, sum of squares and a fixed log-binned histogram."""

    __slots__ = ("n", "s", "ss", "hist")

    def __init__(self) -> None:
        self.n, self.s, self.ss = 0, 0.0, 0.0
        self.hist = np.zeros(len(_EDGES) + 1, dtype=np.int64)  # [<1 min, bins…, >4 years]

    def add(self, x: np.ndarray) -> None:
        if x.size == 0:
            return
        self.n += int(x.size)
        self.s += float(x.sum())
        self.ss += float((x * x).sum())  # not np.dot: BLAS threads cost more than they save here
        with np.errstate(divide="ignore"):  # bin index computed from the log (faster than a search)
            idx = np.floor((np.log(x) - _LOG_LO) / _LOG_STEP) + 1
        self.hist += np.bincount(np.clip(idx, 0, len(self.hist) - 1).astype(np.int64), minlength=len(self.hist))

    def mean(self) -> float | None:
        return self.s / self.n if self.n else None

    def std(self) -> float | None:
        if self.n < 2:
            return None
        return math.sqrt(max(self.ss - self.s * self.s / self.n, 0.0) / (self.n - 1))

    def quantile(self, q: float) -> float | None:
        """Percentile from the histogram, interpolated geometrically inside its bin."""
        if not self.n:
            return None
        cum = np.cumsum(self.hist)
        target = q * self.n
        b = int(np.searchsorted(cum, target, side="left"))
        if b == 0:
            return float(_EDGES[0]) * target / max(self.hist[0], 1)
        if b >= len(_EDGES):
            return float(_EDGES[-1])
        lo, hi = _EDGES[b - 1], _EDGES[b]
        frac = (target - (cum[b - 1] if b else 0)) / max(self.hist[b], 1)
        return float(lo * (hi / lo) ** min(max(frac, 0.0), 1.0))

    def summary_days(self) -> dict:
        def days(v: float | None) -> float | None:
            return None if v is None else v / DAY

        return {"n": self.n, "mean": days(self.mean()), "p50": days(self.quantile(0.5)),
                "p90": days(self.quantile(0.9)), "std": days(self.std())}


@dataclass
class DefectLoopResult:
    """Outcomes of one run of the loop. Times in the tallies are seconds; ``summary()`` gives days."""

    grids: int
    districts: int
    grid_workers: int
    days: float
    grid_model: str
    seed: int
    departments: list[str]
    inspectors: dict[str, int]
    counts: dict[str, int]
    found_by_category: dict[str, int]
    found_by_department: dict[str, int]
    closed_by_department: dict[str, int]
    tallies: dict[str, Tally]
    found_daily: np.ndarray
    dropped_daily: np.ndarray
    entered_daily: np.ndarray  # [department, day]
    closed_daily: np.ndarray  # [department, day]
    events_processed: int = 0
    wall_seconds: float = 0.0
    peak_pending: int = 0
    open_direct: int = 0
    """Open cases at the horizon counted directly (found, not dropped, and not yet acknowledged, or acknowledged
    and served but not closed) — independent of the found/closed/dropped counters (conservation check)."""
    extra: dict = field(default_factory=dict)

    @property
    def rectification_rate(self) -> float | None:
        f = self.counts["found"]
        return self.counts["closed"] / f if f else None

    def backlog_daily(self) -> np.ndarray:
        """Open cases per department at the end of each day (entered − closed, cumulated)."""
        return np.cumsum(self.entered_daily - self.closed_daily, axis=1)

    def summary(self) -> dict:
        backlog = self.backlog_daily()
        rate_by = {
            d: (self.closed_by_department[d] / self.found_by_department[d] if self.found_by_department[d] else None)
            for d in self.departments
        }
        return {
            "grids": self.grids, "districts": self.districts, "grid_workers": self.grid_workers, "days": self.days,
            "grid_model": self.grid_model, "seed": self.seed, "inspectors": self.inspectors,
            "counts": self.counts, "rectification_rate": self.rectification_rate,
            "found_by_category": self.found_by_category, "found_by_department": self.found_by_department,
            "closed_by_department": self.closed_by_department, "rectification_rate_by_department": rate_by,
            "times_days": {k: t.summary_days() for k, t in self.tallies.items()},
            "backlog_end": {d: int(backlog[i, -1]) for i, d in enumerate(self.departments)},
            "backlog_mean": {d: float(backlog[i].mean()) for i, d in enumerate(self.departments)},
            "events_processed": self.events_processed, "wall_seconds": self.wall_seconds,
            "peak_pending": self.peak_pending,
        }
