"""Simulation of the defect-discovery loop (隐患排查闭环) at megacity scale.

Design for scale (a Chongqing-size city — 68,000 grids, 128,000 grid workers — for a year on one core):

* **Vectorised where order does not matter.** A hazard's path up to the inspector queue depends only on
  its own draws: arrival (Poisson per grid and category), detection on patrol (periodic visits of the
  grid with a random phase; visits needed ~ geometric in the detection probability), reporting
  (own line or platform + 抄告), acknowledgement. These are numpy draws over a day's batch — no Python
  object per hazard or per grid visit.
* **Event-driven where order matters.** Inspectors are the one shared capacity: each (district,
  department) is a FCFS multi-server queue, served in arrival order from a heap of inspector free-times
  that persists across days. After the inspector starts, the rest (handle, rectify, report back,
  verify) is again independent per case and vectorised.
* **Day windows with a watermark.** Each day, hazards arising that day are pushed through to their
  queue-arrival time; cases whose queue arrival falls before the day's end are served in time order;
  later ones wait in a pending buffer (bounded: the cases in the pipeline now). A relapse (回潮)
  appears at least one day after closure, so it always lands in a later window — causality holds.
* **Streaming metrics.** Counts, sums, sums of squares and a fixed log-binned histogram per duration
  (percentiles to ~1 %), and fixed per-day arrays (found, entered, closed per department). Memory does
  not grow with the number of events.

Randomness: numpy Generators from ``SeedSequence(seed, (replication, purpose, entity))`` via
:class:`simulation.model.rng.Streams`, one per purpose (arise, patrol, detect, relapse …): same seed, same
results. Arrivals and detection of new hazards use their own streams, so parallel and integrated
grids compared with one seed see the same hazards found at the same times.
"""

from __future__ import annotations

import heapq
import math
import time

import numpy as np

from scenarios.defect_loop import CATEGORIES, DAY, DefectLoopSpec
from scenarios.distributions import Distribution
from simulation.model.defect_tally import DefectLoopResult, Tally

__all__ = ["DefectLoopResult", "Tally", "simulate", "simulate_city"]
from simulation.model.rng import Streams


class _Calendar:
    """Day buckets of column batches (a calendar queue): push once, pop a whole day — no re-filtering."""

    def __init__(self, n_days: int) -> None:
        self.days: list[list[dict[str, np.ndarray]]] = [[] for _ in range(n_days)]
        self.size = 0

    def push(self, day: np.ndarray, cols: dict[str, np.ndarray]) -> None:
        if day.size == 0:
            return
        order = np.argsort(day, kind="stable")
        day = day[order]
        cuts = np.flatnonzero(np.diff(day)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, day.size]):
            self.days[int(day[a])].append({k: v[order[a:b]] for k, v in cols.items()})
        self.size += int(day.size)

    def pop(self, day: int) -> dict[str, np.ndarray] | None:
        chunks, self.days[day] = self.days[day], []
        if not chunks:
            return None
        out = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
        self.size -= next(iter(out.values())).size
        return out


def _by_group(dists: list[Distribution], group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per item from the distribution of its group (department), vectorised per group."""
    out = np.empty(group.size)
    for g, d in enumerate(dists):
        m = group == g
        k = int(m.sum())
        if k:
            out[m] = d.sample(rng, k)
    return out


def _serve(free: list[float], arrivals: list[float], service: list[float]) -> list[float]:
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


def simulate(spec: DefectLoopSpec, seed: int = 0, *, grids: int | None = None,
             workers: np.ndarray | None = None, replication: int = 0) -> DefectLoopResult:
    """Run the loop for ``spec.days`` days. ``grids`` overrides ``spec.grids``; ``workers`` (one count
    per grid) overrides the patrol's ``workers_per_grid`` (e.g. a scenario city's grid workers)."""
    wall0 = time.perf_counter()
    n_grids = grids if grids is not None else spec.grids
    if n_grids is None:
        raise ValueError("the defect loop needs a grid count (spec.grids or the scenario city's grids)")
    streams = Streams(seed, replication)
    # Stream names kept from before the rename (隐患 loop) so that a seed still gives the same draws.
    rng = {k: streams.generator("hazard", f"hazard_loop.{k}")
           for k in ("arise", "patrol", "detect", "relapse_detect", "report", "department", "owner", "relapse")}
    horizon, n_days = spec.days * DAY, int(math.ceil(spec.days))
    depts = spec.departments
    n_dep = len(depts)
    dix = spec.department_index()
    cats = [c for c in CATEGORIES if c in spec.categories]
    cat_spec = [spec.categories[c] for c in cats]
    cat_dept = np.array([dix[c.department] for c in cat_spec])
    p_detect = np.array([c.detection_probability for c in cat_spec])
    p_relapse = np.array([c.relapse_probability for c in cat_spec])
    rates = np.array([c.rate_per_grid_day for c in cat_spec])
    total_rate = float(rates.sum())

    # districts: each has its own inspectors per department (a partial district gets a share)
    gpd = spec.grids_per_district
    n_dist = -(-n_grids // gpd)
    dist_size = np.full(n_dist, gpd)
    dist_size[-1] = n_grids - gpd * (n_dist - 1)
    district = np.arange(n_grids) // gpd
    heaps: list[list[float]] = []
    inspectors = dict.fromkeys((d.id for d in depts), 0)
    for k in range(n_dist):
        for d in depts:
            c = max(1, round(d.inspectors * dist_size[k] / gpd))
            inspectors[d.id] += c
            heaps.append([0.0] * c)

    # patrol: grid g is visited every T_g = interval / workers_g, at phase φ_g ∈ [0, T_g)
    if workers is None:
        w = spec.patrol.workers_per_grid
        workers = np.floor(w) + (rng["patrol"].random(n_grids) < w - math.floor(w))
    workers = np.asarray(workers, dtype=float)
    if workers.shape != (n_grids,) or np.any(workers < 0):
        raise ValueError("workers must give a non-negative count for every grid")
    with np.errstate(divide="ignore"):
        period = np.where(workers > 0, spec.patrol.visit_interval_days * DAY / np.maximum(workers, 1e-300), np.inf)
    phase = np.where(np.isfinite(period), rng["patrol"].random(n_grids) * np.where(np.isfinite(period), period, 0), 0.0)

    integrated = spec.grid_model == "integrated"
    route = spec.integrated if integrated else spec.parallel
    ack_d = [d.acknowledge for d in depts]
    line_d = [d.line_latency for d in depts]
    handle_d = [d.handle for d in depts]
    rect_d = [d.rectify for d in depts]
    back_d = [d.report_back for d in depts]
    verify_d = [d.verify for d in depts]
    deadline = np.array([d.deadline_days * DAY for d in depts])

    counts = dict.fromkeys(("arisen", "found", "undetected", "dropped", "misrouted", "closed", "overdue",
                            "relapsed", "not_acknowledged", "with_department", "waited"), 0)
    found_cat = np.zeros(len(cats), dtype=np.int64)
    found_dep = np.zeros(n_dep, dtype=np.int64)
    closed_dep = np.zeros(n_dep, dtype=np.int64)
    tallies = {k: Tally() for k in ("time_to_find", "time_to_department", "acknowledge", "queue_wait", "time_to_close")}
    found_daily = np.zeros(n_days, dtype=np.int64)
    dropped_daily = np.zeros(n_days, dtype=np.int64)
    entered = np.zeros((n_dep, n_days), dtype=np.int64)
    closed = np.zeros((n_dep, n_days), dtype=np.int64)
    events = 0
    peak_pending = 0
    open_processed = 0
    # cases waiting for their queue-arrival day, and relapses waiting for theirs
    pending, relapses = _Calendar(n_days), _Calendar(n_days)

    def day_of(t: np.ndarray) -> np.ndarray:
        return np.minimum((t // DAY).astype(np.int64), n_days - 1)

    def detect(t: np.ndarray, grid: np.ndarray, cat: np.ndarray, g: np.random.Generator) -> np.ndarray:
        per = period[grid]
        fin = np.isfinite(per)
        safe = np.where(fin, per, 1.0)
        first = t + np.mod(phase[grid] - t, safe)
        visits = g.geometric(p_detect[cat]) if t.size else np.empty(0, dtype=np.int64)
        return np.where(fin, first + (visits - 1) * safe, np.inf)

    for day in range(n_days):
        t0, t1 = day * DAY, min((day + 1) * DAY, horizon)
        # 1. arisings: new hazards (Poisson over all grids, category by rate) and relapses due today
        g = rng["arise"]
        n = int(g.poisson(total_rate * n_grids * (t1 - t0) / DAY))
        cat = g.choice(len(cats), size=n, p=rates / total_rate) if n else np.empty(0, dtype=np.int64)
        grid = g.integers(0, n_grids, size=n)
        t = t0 + g.random(n) * (t1 - t0)
        t_found = detect(t, grid, cat, rng["detect"])
        due = relapses.pop(day)
        if due is not None:
            r_grid, r_cat, r_t = due["grid"], due["cat"], due["t"]
            grid, cat, t = np.concatenate([grid, r_grid]), np.concatenate([cat, r_cat]), np.concatenate([t, r_t])
            t_found = np.concatenate([t_found, detect(r_t, r_grid, r_cat, rng["relapse_detect"])])
        counts["arisen"] += t.size
        events += t.size
        # 2. found on patrol (排查发现) within the horizon
        ok = t_found < horizon
        counts["undetected"] += int((~ok).sum())
        grid, cat, t, t_found = grid[ok], cat[ok], t[ok], t_found[ok]
        dep = cat_dept[cat]
        counts["found"] += t.size
        events += t.size
        found_cat += np.bincount(cat, minlength=len(cats))
        found_dep += np.bincount(dep, minlength=n_dep)
        found_daily += np.bincount(day_of(t_found), minlength=n_days)
        tallies["time_to_find"].add(t_found - t)
        # 3. report reaches the department (抄告联勤): own line, or platform + copy-notify
        g = rng["report"]
        if integrated:
            lat = spec.integrated.intake.sample(g, t.size) + spec.integrated.copy_notify.sample(g, t.size)
        else:
            lat = _by_group(line_d, dep, g)
        mis = g.random(t.size) < route.misroute_probability
        counts["misrouted"] += int(mis.sum())
        lat[mis] += route.reroute.sample(g, int(mis.sum()))
        drop = g.random(t.size) < route.drop_probability
        counts["dropped"] += int(drop.sum())
        dropped_daily += np.bincount(day_of(t_found[drop]), minlength=n_days)
        keep = ~drop
        grid, cat, dep, t_found, lat = grid[keep], cat[keep], dep[keep], t_found[keep], lat[keep]
        t_dept = t_found + lat
        t_ack = t_dept + _by_group(ack_d, dep, rng["department"])
        at_dep = t_dept < horizon
        entered += np.bincount(dep[at_dep] * n_days + day_of(t_dept[at_dep]), minlength=n_dep * n_days).reshape(
            n_dep, n_days
        )
        tallies["time_to_department"].add(lat[at_dep])
        acked = t_ack < horizon
        tallies["acknowledge"].add((t_ack - t_dept)[acked])
        events += int(at_dep.sum()) + int(acked.sum())
        counts["not_acknowledged"] += int((~acked).sum())
        sel = acked
        pending.push(day_of(t_ack[sel]), {"q": district[grid[sel]] * n_dep + dep[sel], "dep": dep[sel], "cat": cat[sel],
                                          "grid": grid[sel], "found": t_found[sel], "ack": t_ack[sel]})
        peak_pending = max(peak_pending, pending.size)
        # 4. inspectors serve the cases whose queue arrival is before the watermark t1, in time order
        cur = pending.pop(day)
        if cur is None:
            continue
        order = np.lexsort((cur["ack"], cur["q"]))
        cur = {k: v[order] for k, v in cur.items()}
        handle = _by_group(handle_d, cur["dep"], rng["department"])
        start = np.empty(cur["q"].size)
        cuts = np.flatnonzero(np.diff(cur["q"])) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, cur["q"].size]):
            start[a:b] = _serve(heaps[int(cur["q"][a])], cur["ack"][a:b].tolist(), handle[a:b].tolist())
        # 5. handle (处置) → owner rectifies (整改) → report back (反馈) → verify and close (核查结案)
        d, go = cur["dep"], rng["owner"]
        t_handled = start + handle
        rect = _by_group(rect_d, d, go)
        t_rect = t_handled + rect
        t_back = t_rect + _by_group(back_d, d, go)
        t_close = t_back + _by_group(verify_d, d, go)
        started = start < horizon
        wait = (start - cur["ack"])[started]
        tallies["queue_wait"].add(wait)
        counts["waited"] += int((wait > 0).sum())
        events += (
            int(started.sum())
            + int((t_handled < horizon).sum())
            + int((t_rect < horizon).sum())
            + int((t_back < horizon).sum())
        )
        done = t_close < horizon
        n_done = int(done.sum())
        events += n_done
        counts["closed"] += n_done
        counts["overdue"] += int(((rect > deadline[d]) & (t_rect < horizon)).sum())
        open_processed += cur["q"].size - n_done
        closed_dep += np.bincount(d[done], minlength=n_dep)
        closed += np.bincount(d[done] * n_days + day_of(t_close[done]), minlength=n_dep * n_days).reshape(n_dep, n_days)
        tallies["time_to_close"].add((t_close - cur["found"])[done])
        # 6. relapse (回潮): a closed hazard recurs 1 day … relapse_within_days later, in the same grid
        gr = rng["relapse"]
        back = done & (gr.random(d.size) < p_relapse[cur["cat"]])
        t_re = t_close[back] + DAY + gr.random(int(back.sum())) * (spec.relapse_within_days - 1) * DAY
        soon = t_re < horizon
        counts["relapsed"] += int(soon.sum())
        relapses.push(
            day_of(t_re[soon]), {"grid": cur["grid"][back][soon], "cat": cur["cat"][back][soon], "t": t_re[soon]}
        )

    assert pending.size == 0  # every case acknowledged before the horizon was served by the last window
    counts["with_department"] = open_processed
    result = DefectLoopResult(
        grids=n_grids, districts=n_dist, grid_workers=int(workers.sum()), days=spec.days, grid_model=spec.grid_model,
        seed=seed, departments=[x.id for x in depts], inspectors=inspectors, counts=counts,
        found_by_category={c: int(found_cat[i]) for i, c in enumerate(cats)},
        found_by_department={x.id: int(found_dep[i]) for i, x in enumerate(depts)},
        closed_by_department={x.id: int(closed_dep[i]) for i, x in enumerate(depts)},
        tallies=tallies, found_daily=found_daily, dropped_daily=dropped_daily, entered_daily=entered,
        closed_daily=closed, events_processed=events, peak_pending=peak_pending,
        open_direct=counts["not_acknowledged"] + open_processed)
    result.wall_seconds = time.perf_counter() - wall0
    return result


def simulate_city(spec: DefectLoopSpec, citymap, seed: int = 0, replication: int = 0) -> DefectLoopResult:  # noqa: ANN001
    """The loop on a scenario's city (a :class:`simulation.model.citymap.CityMap`): its grids and its grid
    workers per grid, unless the spec names its own grid count."""
    if spec.grids is not None and spec.grids != citymap.n:
        return simulate(spec, seed, replication=replication)
    return simulate(spec, seed, grids=citymap.n, workers=np.asarray(citymap.grid_workers, dtype=float),
                    replication=replication)
