"""The hidden-hazard loop (隐患排查闭环) under a responsibility arrangement, at megacity scale.

排查发现 → 抄告联勤 → 联动整治 → 固化成效. A hazard is seen by the channels (:mod:`defect_discovery`); each
sighting lands in a system (a department's own, the 12345 hotline, or one shared platform); the arrangement's
routing (:class:`simulation.model.doctrine.HazardRouting`) turns the first sighting into an order: the owner's
inspector visits, or the receiver checks the order and returns it (退单) — after which the order is passed on
(抄告, 审定) or, where nobody copies it, lost, and the hazard waits for another system's sighting. Sightings in
*other* systems while the hazard is still there become duplicate orders (a second inspector visit) — never on a
shared platform, where they merge. The visit issues a notice or settles the hazard on the spot; a missed
deadline brings a penalty and then a suspension (三停), each a legal document; an owner without the powers
waits for the district unless it can whistle (吹哨报到). With follow-up verification an inspector re-checks
every reported rectification and has superficial ones redone; without it they come back (回潮).

Design for scale (as before): arrivals, sightings and routing are numpy batches per day; the inspectors of each
(district, department) are one FCFS multi-server queue (a heap of free times across days) — the one place
order matters, and where visits, returns, duplicates and re-checks compete for the same inspectors; jobs wait
in a calendar of day buckets (a job created while its day is being served goes to the next day's bucket, its
arrival time unchanged); metrics stream into fixed tallies. Memory grows with the pipeline, not the events.

Every hazard that arises is, at the horizon, in exactly one place (:data:`STATUSES`), counted directly where
it stops — never as a difference (the conservation property test checks their sum).
"""

from __future__ import annotations

import math
import time

import numpy as np

from agencies.arrangement import Arrangement
from scenarios.defect_loop import CATEGORIES, CHANNELS, DAY, DefectLoopSpec
from simulation.model.defect_discovery import Discovery, patrol_workers
from simulation.model.defect_queue import Calendar, by_group, serve_fcfs
from simulation.model.defect_tally import STATUSES, DefectLoopResult, Tally
from simulation.model.doctrine import ARBITRATE, BOUNCE, DROP, VISIT, HazardRouting
from simulation.model.rng import Streams

__all__ = ["STATUSES", "DefectLoopResult", "Tally", "routing_for", "simulate"]

VERIFY, DUP, DUP_RETURN = 2, 3, 4
"""Job kinds beside VISIT and BOUNCE: a re-check, a duplicate visit, a duplicate order checked and returned."""
OPEN_STAGE = {VISIT: "queued", BOUNCE: "bounced", VERIFY: "verifying"}


def routing_for(spec: DefectLoopSpec, arrangement: Arrangement) -> HazardRouting:
    """The arrangement's routing tables for this loop's departments and categories."""
    cats = [c for c in CATEGORIES if c in spec.categories]
    owners = {c: spec.categories[c].department for c in cats}  # type: ignore[index]
    powers = {c: spec.categories[c].powers or owners[c] for c in cats}  # type: ignore[index]
    return HazardRouting.build(arrangement, [d.id for d in spec.departments], owners, powers, cats)


def _default_arrangement() -> Arrangement:
    from scenarios.loader import load_arrangement

    return load_arrangement("integrated_grid")


def simulate(spec: DefectLoopSpec, seed: int = 0, *, arrangement: Arrangement | None = None, grids: int | None = None,
             workers: np.ndarray | None = None, replication: int = 0) -> DefectLoopResult:
    """Run the loop for ``spec.days`` days under ``arrangement`` (default: the bundled ``integrated_grid``).
    ``grids`` overrides ``spec.grids``; ``workers`` (one count per grid) overrides the patrol's workers."""
    wall0 = time.perf_counter()
    arrangement = arrangement or _default_arrangement()
    run = _Run(spec, seed, arrangement, grids, workers, replication)
    for day in range(run.n_days):
        run.arise(day)
        run.serve(day)
    return run.result(time.perf_counter() - wall0)


class _Run:
    """One run's state: queues, calendars, counters. Methods are the loop's stages."""

    def __init__(self, spec: DefectLoopSpec, seed: int, arrangement: Arrangement, grids: int | None,
                 workers: np.ndarray | None, replication: int) -> None:
        n_grids = grids if grids is not None else spec.grids
        if n_grids is None:
            raise ValueError("the defect loop needs a grid count (spec.grids or the scenario city's grids)")
        self.spec, self.arrangement, self.seed = spec, arrangement, seed
        streams = Streams(seed, replication)
        names = ["arise", "patrol", "route", "inspect", "owner", "verify", "relapse",
                 *(f"{p}ch{i}" for p in ("", "re.") for i in range(len(CHANNELS)))]
        self.rng = {k: streams.generator("hazard", f"hazard_loop.{k}") for k in names}
        self.H, self.n_days = spec.days * DAY, int(math.ceil(spec.days))
        self.cats = [c for c in CATEGORIES if c in spec.categories]
        self.routing = routing_for(spec, arrangement)
        deps = spec.departments
        self.D = len(deps)
        self.rates = np.array([spec.categories[c].rate_per_grid_day for c in self.cats])  # type: ignore[index]
        self.superficial = np.array([spec.categories[c].superficial for c in self.cats])  # type: ignore[index]
        gpd = spec.grids_per_district
        self.n_dist = -(-n_grids // gpd)
        size = np.full(self.n_dist, gpd)
        size[-1] = n_grids - gpd * (self.n_dist - 1)
        self.district = np.arange(n_grids) // gpd
        self.heaps: list[list[float]] = []
        self.inspectors = dict.fromkeys((d.id for d in deps), 0)
        for k in range(self.n_dist):
            for d in deps:
                c = max(1, round(d.inspectors * size[k] / gpd))
                self.inspectors[d.id] += c
                self.heaps.append([0.0] * c)
        if workers is None:
            workers = patrol_workers(spec, n_grids, self.rng["patrol"])
        workers = np.asarray(workers, dtype=float)
        if workers.shape != (n_grids,) or np.any(workers < 0):
            raise ValueError("workers must give a non-negative count for every grid")
        self.n_grids, self.workers = n_grids, workers
        self.discover_fn = Discovery(spec, self.routing, self.cats, workers, self.rng)
        self.S = self.discover_fn.n_sys
        # one record per job (a hazard's order, re-check or duplicate); sightings per system travel with it
        self.job = np.dtype([("t", "f8"), ("t_first", "f8"), ("sight", "f8", (self.S,)), ("grid", "i8"),
                             ("q", "i8"), ("cat", "i2"), ("dep", "i2"), ("sys", "i2"), ("kind", "i1"),
                             ("gen", "i2"), ("ch", "i1"), ("used", "u2"), ("sup", "?")])
        self.jobs, self.relapses = Calendar(self.n_days), Calendar(self.n_days)
        self.status = dict.fromkeys(STATUSES, 0)
        self.counts = dict.fromkeys(("arisen", "found", "closed", "relapsed", "orders", "duplicate_visits", "bounced",
                                     "dropped_orders", "reworks", "notices", "penalties", "suspensions",
                                     "escalations", "waited"), 0)
        self.found_cc = np.zeros((len(CHANNELS), len(self.cats)), dtype=np.int64)
        self.closed_cc = np.zeros((len(CHANNELS), len(self.cats)), dtype=np.int64)
        self.busy = dict.fromkeys(("visit", "return_check", "duplicate", "verify", "ladder"), 0.0)
        self.report_hours = 0.0
        self.found_to_closed, self.time_to_find, self.queue_wait = Tally(), Tally(), Tally()
        self.found_daily = np.zeros(self.n_days, dtype=np.int64)
        self.closed_daily = np.zeros(self.n_days, dtype=np.int64)
        self.events = self.peak = 0
        self.now_day = 0
        self.min_day = 0

    # -- helpers ----------------------------------------------------------------------------------------

    def _stop(self, stage: str, gen: np.ndarray) -> None:
        """Hazards that stop here at the horizon: in ``stage`` (first generation) or relapsed and open."""
        re = int((gen > 0).sum())
        self.status["relapsed_open"] += re
        self.status[stage] += int(gen.size) - re

    def _push(self, t: np.ndarray, jobs: np.ndarray, stage: str) -> None:
        """Queue jobs arriving at ``t``; a hazard's job that cannot be served before the horizon stops in ``stage``."""
        jobs["t"] = t
        day = np.maximum((t // DAY).astype(np.int64), self.min_day)
        late = (t >= self.H) | (day >= self.n_days)
        self._stop(stage, jobs["gen"][late & (jobs["kind"] < DUP)])
        self.jobs.push(day[~late], jobs[~late])
        self.peak = max(self.peak, self.jobs.size)

    def _latency(self, system: np.ndarray, first: np.ndarray) -> np.ndarray:
        """A report's way into the system and the receiving department's acknowledgement (签收)."""
        g, deps = self.rng["route"], self.spec.departments
        lat = np.empty(system.size)
        own = system < self.D
        lat[own] = by_group([d.line_latency for d in deps], system[own], g)
        lat[~own] = self.spec.platform_intake.sample(g, int((~own).sum()))
        return lat + by_group([d.acknowledge for d in deps], first, g)

    def _used(self, jobs: np.ndarray) -> np.ndarray:
        return ((jobs["used"][:, None].astype(np.int64) >> np.arange(self.S)) & 1).astype(bool)

    def _route(self, jobs: np.ndarray, dep: np.ndarray, kind: np.ndarray | int) -> None:
        jobs["dep"], jobs["kind"] = dep, kind
        jobs["q"] = self.district[jobs["grid"]] * self.D + dep

    # -- discovery and the first order ------------------------------------------------------------------

    def arise(self, day: int) -> None:
        self.now_day = self.min_day = day
        g = self.rng["arise"]
        t0, t1 = day * DAY, min((day + 1) * DAY, self.H)
        total = float(self.rates.sum())
        n = int(g.poisson(total * self.n_grids * (t1 - t0) / DAY)) if total > 0 else 0
        cat = g.choice(len(self.cats), size=n, p=self.rates / total) if n else np.empty(0, dtype=np.int64)
        grid = g.integers(0, self.n_grids, size=n)
        t = t0 + g.random(n) * (t1 - t0)
        self.counts["arisen"] += n
        self._discover(t, grid, cat, np.zeros(n, dtype=np.int64), "")
        due = self.relapses.pop(day)
        if due is not None:
            self._discover(due["t"], due["grid"], due["cat"].astype(np.int64), due["gen"], "re.")

    def _discover(self, t: np.ndarray, grid: np.ndarray, cat: np.ndarray, gen: np.ndarray, stream: str) -> None:
        sight, first_ch = self.discover_fn(t, grid, cat, stream)
        t_first = sight.min(axis=1)
        f = t_first < self.H
        self.events += int(t.size + f.sum())
        self._stop("undiscovered", gen[~f])
        self.counts["found"] += int(f.sum())
        np.add.at(self.found_cc, (first_ch[f], cat[f]), 1)
        self.time_to_find.add(t_first[f] - t[f])
        self.found_daily += np.bincount((t_first[f] // DAY).astype(np.int64), minlength=self.n_days)[: self.n_days]
        jobs = np.zeros(int(f.sum()), dtype=self.job)
        for name, v in (("grid", grid), ("cat", cat), ("gen", gen), ("t_first", t_first), ("sight", sight),
                        ("ch", first_ch)):
            jobs[name] = v[f]
        self._next_order(jobs)

    def _next_order(self, jobs: np.ndarray) -> None:
        """The earliest sighting in a system not yet tried becomes an order; none before the horizon: dropped."""
        left = np.where(self._used(jobs), np.inf, jobs["sight"])
        s = left.argmin(axis=1)
        t_s = left[np.arange(s.size), s]
        none = t_s >= self.H
        self._stop("dropped", jobs["gen"][none])
        jobs, s, t_s = jobs[~none], s[~none], t_s[~none]
        jobs["used"] |= (1 << s).astype(np.uint16)
        r, c = self.routing, jobs["cat"]
        first = r.first[s, c]
        self.counts["orders"] += int(s.size)
        self.report_hours += self.spec.patrol.report_hours * s.size
        jobs["sys"] = s
        self._route(jobs, first, r.kind[s, c])
        self._push(t_s + self._latency(s, first), jobs, "reporting")

    # -- the inspectors ---------------------------------------------------------------------------------

    def serve(self, day: int) -> None:
        cur = self.jobs.pop(day)
        if cur is None:
            return
        self.min_day = day + 1
        cur = cur[np.lexsort((cur["t"], cur["q"]))]
        kind, dep, deps = cur["kind"], cur["dep"].astype(np.int64), self.spec.departments
        g = self.rng["inspect"]
        dur = np.empty(kind.size)
        for kinds, attr in (((VISIT, DUP), "handle"), ((BOUNCE, DUP_RETURN), "return_check"), ((VERIFY,), "verify")):
            m = np.isin(kind, kinds)
            dur[m] = by_group([getattr(d, attr) for d in deps], dep[m], g)
        start = np.empty(kind.size)
        q = cur["q"]
        cuts = np.flatnonzero(np.diff(q)) + 1
        t_arr = cur["t"]
        for a, b in zip(np.r_[0, cuts].tolist(), np.r_[cuts, q.size].tolist()):
            start[a:b] = serve_fcfs(self.heaps[int(q[a])], t_arr[a:b].tolist(), dur[a:b].tolist())
        on = start < self.H
        self.events += int(on.sum())
        spent = np.minimum(start + dur, self.H) - start
        for k, name in ((VISIT, "visit"), (BOUNCE, "return_check"), (DUP_RETURN, "return_check"), (DUP, "duplicate"),
                        (VERIFY, "verify")):
            self.busy[name] += float(spent[on & (kind == k)].sum())
        visit = on & (kind == VISIT)
        wait = start[visit] - t_arr[visit]
        self.queue_wait.add(wait)
        self.counts["waited"] += int((wait > 0).sum())
        for k in (VISIT, BOUNCE, VERIFY):
            m = kind == k
            self._stop(OPEN_STAGE[k], cur["gen"][m & ~on])
            sel = m & on
            if sel.any():
                getattr(self, ("_visit", "_bounce", "_verify")[k])(cur[sel], start[sel] + dur[sel], dur[sel])
        ret = on & (kind == DUP_RETURN)
        self.counts["duplicate_visits"] += int((on & (kind == DUP)).sum())
        s, c = cur["sys"][ret], cur["cat"][ret]
        self.counts["bounced"] += int(self.routing.returns[s, c].sum())
        self.counts["dropped_orders"] += int((self.routing.fate[s, c] == DROP).sum())

    def _bounce(self, jobs: np.ndarray, t_ret: np.ndarray, _dur: np.ndarray) -> None:
        r, s, c = self.routing, jobs["sys"], jobs["cat"]
        self.counts["bounced"] += int(r.returns[s, c].sum())
        self.report_hours += self.spec.patrol.report_hours * s.size
        fate = r.fate[s, c]
        drop = fate == DROP
        self.counts["dropped_orders"] += int(drop.sum())
        if drop.any():
            self._next_order(jobs[drop])
        on = ~drop
        if on.any():
            part = jobs[on]
            target, g = r.target[s[on], c[on]], self.rng["route"]
            extra = self.spec.forward.sample(g, target.size)
            arb = fate[on] == ARBITRATE
            extra[arb] += self.spec.arbitration.sample(g, int(arb.sum()))
            extra += by_group([d.acknowledge for d in self.spec.departments], target, g)
            self._route(part, target, VISIT)
            self._push(t_ret[on] + extra, part, "bounced")

    # -- remediation, enforcement, verification, relapse ------------------------------------------------

    def _visit(self, jobs: np.ndarray, t_h: np.ndarray, dur: np.ndarray) -> None:
        sp, en, deps = self.spec, self.spec.enforcement, self.spec.departments
        n, dep, c, g = t_h.size, jobs["dep"].astype(np.int64), jobs["cat"].astype(np.int64), self.rng["owner"]
        spot = g.random(n) < en.on_the_spot
        rect = by_group([d.rectify for d in deps], dep, g) * sp.rectify_scale
        rect[spot] = 0.0
        esc = np.where(self.routing.lacks_powers[dep, c] & (not self.routing.whistle),
                       en.powers_escalation.sample(g, n), 0.0)
        d1, d2 = en.deadline_days * DAY, en.penalty_deadline_days * DAY
        penalty = ~spot & (rect > d1)
        suspend = penalty & (rect > d1 + esc + d2)
        rect[suspend] = d1 + esc[suspend] + d2 + en.suspension_fix_days * DAY
        h = self.H
        t_pen = t_h + d1 + esc
        pen_in, sus_in = penalty & (t_pen < h), suspend & (t_pen + d2 < h)
        self.counts["notices"] += int((~spot & (t_h < h)).sum())
        self.counts["penalties"] += int(pen_in.sum())
        self.counts["escalations"] += int((pen_in & (esc > 0)).sum())
        self.counts["suspensions"] += int(sus_in.sum())
        self.busy["ladder"] += float(dur[pen_in].sum() + dur[sus_in].sum())  # a re-inspection per step
        t_rect = t_h + rect
        jobs["sup"] = g.random(n) < self.superficial[c]
        self._spawn_duplicates(jobs, t_rect)
        t_back = t_rect + by_group([d.report_back for d in deps], dep, g)
        late = t_back >= h
        self._stop("rectifying", jobs["gen"][late])
        jobs, t_back = jobs[~late], t_back[~late]
        if sp.follow_up:
            jobs["kind"] = VERIFY
            self._push(t_back, jobs, "verifying")
        else:
            self._close(jobs, t_back)

    def _spawn_duplicates(self, jobs: np.ndarray, t_rect: np.ndarray) -> None:
        """Sightings in systems that do not share the primary's case list, while the hazard is still there."""
        r = self.routing
        used = self._used(jobs)
        shared = np.zeros_like(used)
        for s in range(self.S):
            shared |= used[:, [s]] & (r.registry[None, :] == r.registry[s])
        sight = jobs["sight"]
        i, s = np.nonzero(~shared & (sight < np.minimum(t_rect, self.H)[:, None]))
        if i.size == 0:
            return
        part = jobs[i]
        c = part["cat"]
        first = r.first[s, c]
        self.report_hours += self.spec.patrol.report_hours * i.size
        part["sys"] = s
        self._route(part, first, np.where(r.kind[s, c] == VISIT, DUP, DUP_RETURN))
        self._push(sight[i, s] + self._latency(s, first), part, "queued")

    def _verify(self, jobs: np.ndarray, t_v: np.ndarray, _dur: np.ndarray) -> None:
        g, deps = self.rng["verify"], self.spec.departments
        caught = jobs["sup"] & (g.random(t_v.size) < self.spec.verify_catches)
        self.counts["reworks"] += int(caught.sum())
        if caught.any():  # 整改不到位: redone (properly this time) and re-checked
            part = jobs[caught]
            part["sup"] = False
            d = part["dep"].astype(np.int64)
            redo = (by_group([x.rectify for x in deps], d, g) * self.spec.rectify_scale
                    + by_group([x.report_back for x in deps], d, g))
            self._push(t_v[caught] + redo, part, "rectifying")
        self._close(jobs[~caught], t_v[~caught])

    def _close(self, jobs: np.ndarray, t_close: np.ndarray) -> None:
        late = t_close >= self.H
        self._stop("verifying" if self.spec.follow_up else "rectifying", jobs["gen"][late])
        jobs, t_close = jobs[~late], t_close[~late]
        n = t_close.size
        self.counts["closed"] += n
        self.events += n
        np.add.at(self.closed_cc, (jobs["ch"].astype(np.int64), jobs["cat"].astype(np.int64)), 1)
        self.closed_daily += np.bincount((t_close // DAY).astype(np.int64), minlength=self.n_days)[: self.n_days]
        self.found_to_closed.add(t_close - jobs["t_first"])
        t_re = t_close + DAY * (1 + self.rng["relapse"].random(n) * (self.spec.relapse_within_days - 1))
        back = jobs["sup"] & (t_re < self.H)  # a superficial fix nobody re-checked comes back (回潮)
        self.status["rectified"] += int((~back).sum())
        self.counts["relapsed"] += int(back.sum())
        again = jobs[back]
        again["gen"] += 1
        again["t"] = t_re[back]
        day = np.maximum((t_re[back] // DAY).astype(np.int64), self.now_day + 1)
        # back before the horizon but after the last day's discovery pass: it has relapsed and is open at the end
        beyond = day >= self.n_days
        self.status["relapsed_open"] += int(beyond.sum())
        self.relapses.push(day[~beyond], again[~beyond])

    def result(self, wall: float) -> DefectLoopResult:
        assert self.jobs.size == 0 and self.relapses.size == 0  # every job before the horizon was served
        return DefectLoopResult(
            arrangement=self.arrangement.name, grids=self.n_grids, districts=self.n_dist,
            grid_workers=int(self.workers.sum()), days=self.spec.days, seed=self.seed,
            follow_up=self.spec.follow_up, categories=self.cats, departments=[d.id for d in self.spec.departments],
            inspectors=self.inspectors, counts=self.counts, status=self.status, found_by=self.found_cc,
            closed_by=self.closed_cc, busy_seconds=self.busy, report_hours=self.report_hours,
            found_to_closed=self.found_to_closed, time_to_find=self.time_to_find, queue_wait=self.queue_wait,
            found_daily=self.found_daily, closed_daily=self.closed_daily,
            events_processed=self.events, wall_seconds=wall, peak_pending=self.peak)
