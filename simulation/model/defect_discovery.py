"""Discovery (排查发现) in the hidden-hazard loop: when each channel first sees a hazard, and into which system
its report goes.

Every channel but the grid patrol looks at a covered hazard site as a Poisson process (``rate_per_day``),
each look finding a present hazard with the channel's sensitivity for its category, so the first sighting is
exponential with rate ``rate × sensitivity`` — exact thinning of a Poisson process. The grid patrol walks each
grid periodically (a random phase per grid and grid force); the number of visits a visible hazard needs is
geometric in the visit's sensitivity. Under parallel grids each department's force (its ``grid_share`` of the
workers) walks the grid for itself, sees other departments' categories at ``cross_sensitivity`` of the
sensitivity, and reports into its own system; one integrated grid has all the workers, looks for everything
and reports to the platform.

Common random numbers: every draw is made whatever the arrangement (the same uniforms and exponentials per
hazard and channel, from one stream per channel), so two arrangements run with one seed see the same hazards,
visible to the same channels, with the same luck.
"""

from __future__ import annotations

import math

import numpy as np

from scenarios.defect_loop import CHANNELS, DAY, DefectLoopSpec
from simulation.model.doctrine import HazardRouting

GRID = CHANNELS.index("grid_patrol")


class Discovery:
    """The channels of one run: call it with a batch of hazards to get their sightings per system."""

    def __init__(self, spec: DefectLoopSpec, routing: HazardRouting, cats: list[str], workers: np.ndarray,
                 rng: dict[str, np.random.Generator]) -> None:
        self.spec, self.routing, self.rng = spec, routing, rng
        dix = spec.department_index()
        n_dep = len(spec.departments)
        self.n_sys = n_dep + 2
        self.owner = np.array([dix[spec.categories[c].department] for c in cats])  # type: ignore[index]
        self.channels = []  # (channel index, rate per second per category, coverage, system per category)
        for name, ch in spec.channels.items():
            rate = np.array([ch.rate_per_day * ch.sensitivity.get(c, 0.0) for c in cats]) / DAY  # type: ignore[call-overload]
            if ch.receiver is not None:
                system = np.full(len(cats), routing.channel_system(dix[ch.receiver]))
            elif name == "citizen_12345":
                system = np.full(len(cats), routing.channel_system(None))
            else:  # the owner's own inspections, or the enterprise reporting to its supervisor
                system = np.array([routing.channel_system(int(o)) for o in self.owner])
            self.channels.append((CHANNELS.index(name), rate, ch.coverage, system))
        p = spec.patrol
        self.p_grid = np.array([p.sensitivity.get(c, 0.0) for c in cats])  # type: ignore[call-overload]
        # forces: one integrated grid (all workers), or one per department with a share of them
        n_grids = workers.size
        phases = rng["patrol"].random((n_dep + 1, n_grids))  # drawn whatever the arrangement (CRN)
        if routing.integrated_grid:
            shares = [(None, 1.0)]
        else:
            shares = [(k, d.grid_share) for k, d in enumerate(spec.departments) if d.grid_share > 0]
        self.forces = []
        for k, share in shares:
            w = workers * share
            with np.errstate(divide="ignore"):
                period = np.where(w > 0, p.visit_interval_days * DAY / np.maximum(w, 1e-300), np.inf)
            row = n_dep if k is None else k
            phase = np.where(np.isfinite(period), phases[row] * np.where(np.isfinite(period), period, 0.0), 0.0)
            self.forces.append((k, row, period, phase))

    def __call__(self, t: np.ndarray, grid: np.ndarray, cat: np.ndarray,
                 stream: str = "") -> tuple[np.ndarray, np.ndarray]:
        """Sightings ``[hazard, system]`` (seconds; inf = not before the end of time) and the channel that saw
        each hazard first (−1: none). ``stream`` separates relapses' draws from new hazards'."""
        n = t.size
        sight = np.full((n, self.n_sys), np.inf)
        first_t = np.full(n, np.inf)
        first_ch = np.full(n, -1, dtype=np.int64)
        for ch, rate, coverage, system in self.channels:
            g = self.rng[f"{stream}ch{ch}"]
            covered = g.random(n) < coverage
            e = g.exponential(size=n)
            r = rate[cat]
            with np.errstate(divide="ignore"):
                tc = np.where(covered & (r > 0), t + e / np.where(r > 0, r, 1.0), np.inf)
            self._take(sight, system[cat], tc, first_t, first_ch, ch)
        g = self.rng[f"{stream}ch{GRID}"]
        visible = g.random(n) < self.spec.patrol.coverage
        u = g.random((len(self.spec.departments) + 1, n))
        for k, row, period, phase in self.forces:
            p = self.p_grid[cat]
            if k is not None:
                p = np.where(self.owner[cat] == k, p, p * self.spec.patrol.cross_sensitivity)
            per = period[grid]
            fin = np.isfinite(per) & visible & (p > 0)
            safe = np.where(fin, per, 1.0)
            first = t + np.mod(phase[grid] - t, safe)
            with np.errstate(all="ignore"):  # p = 0 (or tiny): never, or after the end of time — inf either way
                visits = np.ceil(np.log(u[row]) / np.log1p(-np.minimum(p, 1 - 1e-12)))
                tp = np.where(fin, first + np.maximum(visits - 1, 0) * safe, np.inf)
            system = np.full(n, self.routing.patrol_system(0 if k is None else k))
            self._take(sight, system, tp, first_t, first_ch, GRID)
        return sight, first_ch

    @staticmethod
    def _take(sight: np.ndarray, system: np.ndarray, tc: np.ndarray, first_t: np.ndarray, first_ch: np.ndarray,
              ch: int) -> None:
        rows = np.arange(tc.size)
        cur = sight[rows, system]
        sight[rows, system] = np.minimum(cur, tc)
        better = tc < first_t
        first_t[better] = tc[better]
        first_ch[better] = ch


def patrol_workers(spec: DefectLoopSpec, n_grids: int, g: np.random.Generator) -> np.ndarray:
    """Workers per grid: ⌊w⌋ or ⌈w⌉ so that the mean is ``workers_per_grid``."""
    w = spec.patrol.workers_per_grid
    return np.floor(w) + (g.random(n_grids) < w - math.floor(w))
