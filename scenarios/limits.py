"""Size limits checked before anything is allocated (规模上限): each size may be within its own bound while
their product is not — an 80-million-grid city, a stream of 10⁶ calls per grid-hour for 400 days,
``-n 10000000``. The estimates here are refused up front with one clear line instead of a MemoryError or
a run of hours; ``--allow-large`` (or ``LINKAGE_ALLOW_LARGE=1`` for the dashboards and batch jobs) lifts
them on a machine big enough.

The bounds are set from measurements on the project's reference machine (benchmarks/README.md): a
generated city costs ≈ 320 bytes per grid to build; one flagship incident record (with its tasks and
hand-offs) ≈ 27 KB; the flagship replication ≈ 4.5 ms. A Chongqing-size year (68,000 grids, ≈ 1.2 million
routine calls) stays inside them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agencies.base import RefError

if TYPE_CHECKING:
    from scenarios.schema import Scenario

MAX_SEED = 2**63 - 1
"""Largest run seed: seeds are stored as 64-bit integers (a sweep's points table, the outputs' ``seed``, a drill
file's seed)."""
MAX_GRIDS = 200_000
"""Grids of a generated city (≈ 65 MB and 1.5 s to build; Chongqing has 68,000)."""
MAX_ROUTINE = 5_000_000
"""Expected routine incidents of one replication (the four-service Chongqing-size year,
``scenarios/library/megacity_year.yaml``, is ≈ 4.4 million; memory stays flat with ``--routine-records summary``)."""
MAX_TRAINS = 20_000
"""Metro trains a crowd model integrates piece by piece within the horizon (one ODE solve per arrival)."""
MAX_RESENDS = 10_000
"""Re-sends one message may need over a channel (1/reliability, at most the horizon / retry_after)."""
MAX_KEPT_INCIDENTS = 200_000
"""Incident records a run keeps in memory (replications × incidents; ≈ 27 KB each with their tasks)."""
MAX_SIMULATED_INCIDENTS = 20_000_000
"""Incidents a run simulates in all (replications × (incidents + expected routine))."""
MIN_INTERVAL_S = 1.0
"""Shortest repeating interval (a re-send after no answer, a commander's look at the hazard): the simulated
clock must advance by at least this much each time round a loop (1e-300 s added to 100 s is 100 s)."""
ALLOW_ENV = "LINKAGE_ALLOW_LARGE"

OVERRIDE = "pass --allow-large (or set LINKAGE_ALLOW_LARGE=1) on a machine big enough"


def allow_large(flag: bool = False) -> bool:
    """Whether the size limits are lifted: the flag, or the environment variable for faces without flags."""
    return flag or os.environ.get(ALLOW_ENV, "") not in ("", "0")


def allowed(info: Any) -> bool:
    """The ``allow_large`` of a pydantic validation context (set by the loader), else the environment's."""
    ctx = getattr(info, "context", None) or {}
    return allow_large(bool(ctx.get("allow_large", False)))


def expected_routine(sc: Scenario) -> float:
    """Expected routine incidents of one replication: rate × grids × active hours × the profile's mean."""
    n_grids = len(sc.city.grid_ids()) if sc.city.generated is None else sc.city.generated.n_grids
    total = 0.0
    for s in sc.streams:
        grids = len(s.grids) if s.grids else n_grids
        end = min(s.end if s.end is not None else sc.horizon, sc.horizon)
        hours = max(0.0, end - s.start) / 3600.0
        mean = sum(s.profile) / 24.0 if s.profile is not None else 1.0
        mean *= sum(s.weekly) / 7.0 if s.weekly is not None else 1.0
        mean *= sum(s.monthly) / 12.0 if s.monthly is not None else 1.0
        total += s.rate_per_hour * grids * hours * mean * s.unit_share  # incidents, not contacts
    return total


def scenario_size(sc: Scenario) -> None:
    """Refuse a scenario whose routine volume, train count or message re-sends would not fit."""
    routine = expected_routine(sc)
    if routine > MAX_ROUTINE:
        raise RefError(f"the streams would bring ≈{routine:,.0f} routine incidents per replication (more than "
                       f"{MAX_ROUTINE:,}): lower rate_per_hour, the grids or the horizon, or {OVERRIDE}", "streams")
    for i, inc in enumerate(sc.incidents):
        h = inc.hazard
        if h is None or h.model != "crowd" or h.metro_headway_s is None or h.metro_passengers == 0:
            continue
        last = sc.horizon if h.metro_last_s is None else min(h.metro_last_s, sc.horizon)
        trains = max(0.0, last - h.metro_first_s) / h.metro_headway_s
        if trains > MAX_TRAINS:
            raise RefError(f"incident '{inc.id}': a train every {h.metro_headway_s:g} s means ≈{trains:,.0f} trains "
                           f"within the horizon (more than {MAX_TRAINS:,}): {OVERRIDE}", "incidents", i, "hazard",
                           "metro_headway_s")
    for i, c in enumerate(sc.channels):
        resends = min(1.0 / c.reliability, sc.horizon / c.retry_after)
        if resends > MAX_RESENDS:
            raise RefError(f"channel {c.from_}->{c.to}: a message would be re-sent up to ≈{resends:,.0f} times "
                           f"(reliability {c.reliability:g}, retry every {c.retry_after:g} s; more than "
                           f"{MAX_RESENDS:,}): raise reliability or retry_after, or {OVERRIDE}", "channels", i,
                           "reliability")


def run_size(sc: Scenario, replications: int, keep_routine: bool = True) -> str | None:
    """Why ``replications`` of ``sc`` would not fit (``None`` when they do)."""
    return runs_size([sc], replications, keep_routine)


def runs_size(arms: Sequence[Scenario], replications: int, keep_routine: bool = True,
              fewer: str = "fewer replications, --routine-records summary") -> str | None:
    """Why ``replications`` of each scenario of ``arms``, all kept in memory together (a comparison keeps every
    arm's records), would not fit (``None`` when they do). ``fewer``: what to lower, in the refusal."""
    routine = [expected_routine(sc) for sc in arms]
    per = sum(len(sc.incidents) + r for sc, r in zip(arms, routine))
    kept = replications * sum(len(sc.incidents) + (r if keep_routine else 0.0) for sc, r in zip(arms, routine))
    lead = f"{replications:,} replications" if len(arms) == 1 else \
        f"{len(arms)} arrangements × {replications:,} replications"
    if kept > MAX_KEPT_INCIDENTS or not math.isfinite(kept):
        gib = kept * 27e3 / 2**30
        return (f"{lead} would keep ≈{kept:,.0f} incident records (≈{gib:,.1f} GiB; more than "
                f"{MAX_KEPT_INCIDENTS:,}): {fewer}, or {OVERRIDE}")
    if replications * per > MAX_SIMULATED_INCIDENTS or not math.isfinite(per):
        return (f"{lead} would simulate ≈{replications * per:,.0f} incidents (more than "
                f"{MAX_SIMULATED_INCIDENTS:,}): fewer replications, or {OVERRIDE}")
    return None


def year_size(sc: Scenario, replications: int) -> str | None:
    """Why ``replications`` routine years of ``sc`` would not fit (``None`` when they do). A year keeps tallies,
    not records, so what must fit is the work: ``year -n 100000000`` ran until it was killed."""
    total = replications * (len(sc.incidents) + expected_routine(sc))
    if total > MAX_SIMULATED_INCIDENTS or not math.isfinite(total):
        return (f"{replications:,} years would simulate ≈{total:,.0f} incidents (more than "
                f"{MAX_SIMULATED_INCIDENTS:,}): fewer replications, or {OVERRIDE}")
    return None


def sweep_size(sc: Scenario, points: int, replications: int, batch: int) -> tuple[str, str] | None:
    """Why a sweep of ``points`` × ``replications`` of ``sc`` would not fit: ``(parameter, reason)``, or ``None``.

    A sweep writes each task's records as it finishes, so what must fit in memory is one task (``batch``
    replications) per worker; what must fit in time is every point's replications. The estimate is the
    scenario's own (a factor that multiplies the routine volume is checked again by each point's scenario)."""
    per = len(sc.incidents) + expected_routine(sc)
    total = points * replications * per
    if total > MAX_SIMULATED_INCIDENTS or not math.isfinite(total):
        return "replications", (f"{points:,} points × {replications:,} replications would simulate ≈{total:,.0f} "
                                f"incidents (more than {MAX_SIMULATED_INCIDENTS:,}): fewer points or replications, "
                                f"or {OVERRIDE}")
    kept = min(batch, replications) * per
    if kept > MAX_KEPT_INCIDENTS:
        return "batch", (f"a task of {min(batch, replications):,} replications would keep ≈{kept:,.0f} incident "
                         f"records (≈{kept * 27e3 / 2**30:,.1f} GiB; more than {MAX_KEPT_INCIDENTS:,}): a smaller "
                         f"batch, or {OVERRIDE}")
    return None
