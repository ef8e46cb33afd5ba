"""Streaming tallies of the hidden-hazard loop (隐患排查闭环): fixed memory however many cases.

Counts, sums, sums of squares and a fixed log-binned histogram per duration (percentiles to ~1 %), and the
result record :class:`DefectLoopResult` that :func:`simulation.model.defect_loop.simulate` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scenarios.defect_loop import CHANNELS, DAY

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


STATUSES = ("undiscovered", "reporting", "bounced", "dropped", "queued", "rectifying", "verifying",
            "relapsed_open", "rectified")
"""Where each hazard that arose is at the horizon, exactly one of: never found (未发现); its report on the way
to a department (上报中); returned and on its way again (退单流转); lost — returned where nobody passes it on,
and not seen by another system since (漏转); waiting for an inspector (待处置); being rectified or reported back
(整改中); waiting for or in re-check (待核查); came back after closure and not closed again (回潮未结);
rectified and holding (已整改)."""
OPEN_STATUSES = STATUSES[1:7]


@dataclass
class DefectLoopResult:
    """Outcomes of one run of the loop under one arrangement. Times in the tally are seconds."""

    arrangement: str
    grids: int
    districts: int
    grid_workers: int
    days: float
    seed: int
    follow_up: bool
    categories: list[str]
    departments: list[str]
    inspectors: dict[str, int]
    counts: dict[str, int]
    status: dict[str, int]
    found_by: np.ndarray  # [channel, category]
    closed_by: np.ndarray  # [channel that found it first, category]
    busy_seconds: dict[str, float]
    report_hours: float
    found_to_closed: Tally
    time_to_find: Tally
    """From arising to the first sighting (排查发现), for every hazard found."""
    queue_wait: Tally
    """An owner's order waiting for an inspector (visits only; returns, duplicates and re-checks wait too)."""
    found_daily: np.ndarray
    closed_daily: np.ndarray
    events_processed: int = 0
    wall_seconds: float = 0.0
    peak_pending: int = 0

    @property
    def rectification_rate(self) -> float | None:
        """Closed ÷ found within the period (the definition behind Putuo's 95.72 %; relapses found again count)."""
        f = self.counts["found"]
        return self.counts["closed"] / f if f else None

    @property
    def documents(self) -> int:
        """Legal documents issued: rectification notices, penalty decisions, suspension orders."""
        return self.counts["notices"] + self.counts["penalties"] + self.counts["suspensions"]

    @property
    def inspector_days(self) -> float:
        return sum(self.busy_seconds.values()) / DAY

    def found_by_channel(self) -> dict[str, int]:
        return {ch: int(self.found_by[i].sum()) for i, ch in enumerate(CHANNELS)}

    def found_by_category(self) -> dict[str, int]:
        return {c: int(self.found_by[:, j].sum()) for j, c in enumerate(self.categories)}

    def metrics(self) -> dict[str, float | None]:
        """The loop's outcomes under the output contract's names (``outputs.LOOP_METRICS``)."""
        t = self.found_to_closed
        def days(v: float | None) -> float | None:
            return None if v is None else v / DAY

        c = self.counts
        return {
            "arisen": c["arisen"], "found": c["found"], "closed": c["closed"],
            "rectified_share": self.rectification_rate,
            "found_to_closed_mean": days(t.mean()), "found_to_closed_p50": days(t.quantile(0.5)),
            "found_to_closed_p90": days(t.quantile(0.9)),
            "duplicate_visits": c["duplicate_visits"], "bounced_orders": c["bounced"],
            "dropped_orders": c["dropped_orders"], "inspector_days": self.inspector_days,
            "wasted_inspector_days": (self.busy_seconds["duplicate"] + self.busy_seconds["return_check"]) / DAY,
            "report_hours": self.report_hours, "legal_documents": self.documents, "notices": c["notices"],
            "penalties": c["penalties"], "suspensions": c["suspensions"], "relapses": c["relapsed"],
            "reworks": c["reworks"], **{f"hazards_{s}": self.status[s] for s in STATUSES},
        }

    def summary(self) -> dict:
        return {
            "arrangement": self.arrangement, "grids": self.grids, "districts": self.districts,
            "grid_workers": self.grid_workers, "days": self.days, "seed": self.seed, "follow_up": self.follow_up,
            "inspectors": self.inspectors, "metrics": self.metrics(), "counts": self.counts, "status": self.status,
            "found_by_channel": self.found_by_channel(), "found_by_category": self.found_by_category(),
            "closed_by_category": {c: int(self.closed_by[:, j].sum()) for j, c in enumerate(self.categories)},
            "inspector_days_by_work": {k: v / DAY for k, v in self.busy_seconds.items()},
            "events_processed": self.events_processed, "wall_seconds": self.wall_seconds,
            "peak_pending": self.peak_pending,
        }
