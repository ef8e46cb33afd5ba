"""Month-by-month tallies of routine incidents (月度汇总): per incident type and month of the horizon, how many
incidents, where their first unit came from (own station area, a neighbouring one, another district, outside
help — :data:`~simulation.model.station_areas.TIERS`), and a histogram of the first arrival by minute.

Fixed size (types × months × bins), additive: the tallies of districts or replications run apart are summed
into the same table, in a fixed order, whatever the workers (:func:`MonthlyTally.merge`).
"""

from __future__ import annotations

import math

import numpy as np

from simulation.model.records import IncidentRecord

MONTH = 365.0 / 12.0 * 86400.0
"""Seconds in a month of the horizon (a twelfth of 365 days)."""
MINUTES = 120
"""First arrivals are counted per minute up to this; later ones in the last bin."""
COLUMNS = ("incidents", "own_area", "neighbour_area", "other_district", "external", "no_unit")


class MonthlyTally:
    """``counts[type][month]``: :data:`COLUMNS`; ``arrival[type][month]``: first arrivals by whole minute."""

    __slots__ = ("counts", "arrival", "arrival_sum")

    def __init__(self) -> None:
        self.counts: dict[str, dict[int, np.ndarray]] = {}
        self.arrival: dict[str, dict[int, np.ndarray]] = {}
        self.arrival_sum: dict[str, dict[int, float]] = {}

    def _cells(self, kind: str, month: int) -> tuple[np.ndarray, np.ndarray]:
        c = self.counts.setdefault(kind, {})
        if month not in c:
            c[month] = np.zeros(len(COLUMNS), dtype=np.int64)
            self.arrival.setdefault(kind, {})[month] = np.zeros(MINUTES + 1, dtype=np.int64)
            self.arrival_sum.setdefault(kind, {})[month] = 0.0
        return c[month], self.arrival[kind][month]

    def add(self, inc: IncidentRecord) -> None:
        month = int(inc.t_start // MONTH)
        counts, hist = self._cells(inc.type, month)
        counts[0] += 1
        if inc.aid_tier is None:
            counts[5] += 1
        else:
            counts[1 + inc.aid_tier] += 1
        if not math.isnan(inc.t_first_arrival):
            minutes = (inc.t_first_arrival - inc.t_start) / 60.0
            hist[min(int(minutes), MINUTES)] += 1
            self.arrival_sum[inc.type][month] += minutes

    def merge(self, other: MonthlyTally) -> None:
        """Add ``other``'s counts to these (sums in the order merges are made: keep it fixed)."""
        for kind, months in other.counts.items():
            for m, c in months.items():
                counts, hist = self._cells(kind, m)
                counts += c
                hist += other.arrival[kind][m]
                self.arrival_sum[kind][m] += other.arrival_sum[kind][m]

    def rows(self) -> list[dict]:
        """One row per (type, month): counts, the mutual-aid share and first-arrival mean and quantiles."""
        out = []
        for kind in sorted(self.counts):
            for m in sorted(self.counts[kind]):
                c, hist = self.counts[kind][m], self.arrival[kind][m]
                row: dict = {"type": kind, "month": m + 1, **{k: int(v) for k, v in zip(COLUMNS, c)}}
                dispatched = int(c[1:5].sum())
                row["mutual_aid_share"] = float(c[2:5].sum() / dispatched) if dispatched else None
                arrived = int(hist.sum())
                row["arrived"] = arrived
                row["first_arrival_mean_min"] = self.arrival_sum[kind][m] / arrived if arrived else None
                for q in (50, 90):
                    row[f"first_arrival_p{q}_min"] = _quantile(hist, q / 100.0) if arrived else None
                out.append(row)
        return out


def _quantile(hist: np.ndarray, q: float) -> float:
    """The minute bin's upper edge where the cumulative share first reaches ``q``."""
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, q * cum[-1]) + 1)
