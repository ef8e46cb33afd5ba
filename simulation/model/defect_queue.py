"""The hazard loop's queueing pieces: a calendar of day buckets for jobs, and FCFS multi-server service.

The calendar holds record arrays (one record per job); a day's bucket is popped whole. The inspectors of a
(district, department) are one FCFS multi-server queue: a heap of their free times, persisting across days.
"""

from __future__ import annotations

import heapq

import numpy as np

from scenarios.distributions import Distribution


class Calendar:
    """Day buckets of job batches (a calendar queue): each push is sorted by day once and cut into one block per
    day; a pop joins the day's blocks."""

    def __init__(self, n_days: int) -> None:
        self.days: list[list[tuple[np.ndarray, int, int]]] = [[] for _ in range(n_days)]
        self.size = 0

    def push(self, day: np.ndarray, jobs: np.ndarray) -> None:
        if day.size == 0:
            return
        order = np.argsort(day, kind="stable")
        day = day[order]
        batch = jobs[order]
        cuts = np.flatnonzero(np.diff(day)) + 1
        starts, ends = np.r_[0, cuts].tolist(), np.r_[cuts, day.size].tolist()
        for a, b, d in zip(starts, ends, day[starts].tolist()):
            # its own copy: a slice would keep the whole batch alive until its last day (memory ∝ pipeline)
            self.days[d].append((batch[a:b].copy(), 0, b - a))
        self.size += int(day.size)

    def pop(self, day: int) -> np.ndarray | None:
        chunks, self.days[day] = self.days[day], []
        if not chunks:
            return None
        out = np.empty(sum(b - a for _, a, b in chunks), dtype=chunks[0][0].dtype)
        pos = 0
        for c, a, b in chunks:  # copy into place (np.concatenate re-derives the record type per chunk)
            out[pos:pos + b - a] = c[a:b]
            pos += b - a
        self.size -= out.size
        return out


def by_group(dists: list[Distribution], group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per item from the distribution of its group (department), vectorised per group."""
    out = np.empty(group.size)
    for g, d in enumerate(dists):
        m = group == g
        k = int(m.sum())
        if k:
            out[m] = d.sample(rng, k)
    return out


def serve_fcfs(free: list[float], arrivals: list[float], service: list[float]) -> list[float]:
    """FCFS multi-server queue: start times, given the heap of the servers' free times (updated in place)."""
    starts = []
    push = heapq.heapreplace
    append = starts.append
    for a, s in zip(arrivals, service):
        f = free[0]
        st = a if a > f else f
        push(free, st + s)
        append(st)
    return starts
