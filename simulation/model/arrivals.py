"""Routine incident streams (日常警情): Poisson arrivals per grid, drawn vectorised a day at a time.

Each (stream, day) has its own named random stream: one Poisson count per hour (rate × grids × the
hour's, the weekday's and the month's multipliers), uniform times inside the hour, grids uniform or
population-weighted. A stream with ``unit_share`` below 1 counts contacts (calls): each becomes an incident
with that probability (a binomial thinning per hour, 警情 ≠ 来电) and the rest are only counted. A
day's arrivals therefore never depend on the horizon or on other days, a year costs a few numpy calls
per day, and two arrangements compared with one seed see the same incidents.
"""

from __future__ import annotations

import numpy as np

from scenarios.schema import IncidentSpec, Scenario, StreamSpec
from simulation.model.citymap import CityMap
from simulation.model.rng import Streams

DAY = 86400.0
MONTH_DAYS = 365.0 / 12.0
"""A month of the horizon, for monthly profiles and monthly tables."""


def day_factor(stream: StreamSpec, day: int) -> float:
    """The weekday's and the month's multiplier of ``day`` (1 without profiles)."""
    f = 1.0
    if stream.weekly is not None:
        f *= stream.weekly[day % 7]
    if stream.monthly is not None:
        f *= stream.monthly[int((day % 365) // MONTH_DAYS)]
    return f


def draw_stream(stream: StreamSpec, sc: Scenario, cm: CityMap, streams: Streams, day: int,
                calls: dict[str, int] | None = None) -> list[IncidentSpec]:
    """The stream's incidents with onsets in day ``day`` (``[day·86400, (day+1)·86400)``), in time order;
    the day's contacts are added to ``calls[stream.id]`` when given."""
    rng = streams.generator("stream", f"{stream.id}#{day}")
    grids = np.array([cm.index[g] for g in stream.grids], dtype=np.int64) if stream.grids else np.arange(cm.n)
    p = None
    if stream.weight_by_population:
        w = cm.population[grids].astype(float)
        p = w / w.sum() if w.sum() > 0 else None
    edges = day * DAY + np.arange(24) * 3600.0
    hours = (((sc.clock_start + edges) // 3600) % 24).astype(np.int64)
    mult = np.asarray(stream.profile, dtype=float)[hours] if stream.profile is not None else 1.0
    counts = rng.poisson(stream.rate_per_hour * len(grids) * mult * day_factor(stream, day) * np.ones(24))
    end = min(stream.end if stream.end is not None else sc.horizon, sc.horizon)
    if calls is not None:  # the contacts of the hours that start inside the stream's window
        inside = (edges >= stream.start) & (edges < end)
        calls[stream.id] = calls.get(stream.id, 0) + int(counts[inside].sum())
    if stream.unit_share < 1.0:  # most contacts need nobody to go (咨询, 无效): only these become incidents
        counts = rng.binomial(counts, stream.unit_share)
    total = int(counts.sum())
    if total == 0:
        return []
    onsets = np.repeat(edges, counts) + rng.random(total) * 3600.0
    picks = grids[rng.choice(len(grids), size=total, p=p)]
    order = np.argsort(onsets, kind="stable")
    onsets, picks = onsets[order], picks[order]
    keep = (onsets >= stream.start) & (onsets < end)
    ids = cm.grid_ids
    return [
        IncidentSpec.model_construct(
            id=f"{stream.id}-{day}-{k}",
            type=stream.type,
            grid=ids[int(g)],
            onset=float(t),
            severity=stream.severity,
            primary=False,
            stream=stream.id,
            hazard=None,
        )
        for k, (t, g) in enumerate(zip(onsets[keep].tolist(), picks[keep].tolist()))
    ]
