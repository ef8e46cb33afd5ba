"""Routine incident streams (日常警情): Poisson arrivals per grid, drawn vectorised a day at a time.

Each (stream, day) has its own named random stream: one Poisson count per hour (rate × grids × the
hour's profile multiplier), uniform times inside the hour, grids uniform or population-weighted. A
day's arrivals therefore never depend on the horizon or on other days, a year costs a few numpy calls
per day, and two arrangements compared with one seed see the same incidents.
"""

from __future__ import annotations

import numpy as np

from scenarios.schema import IncidentSpec, Scenario, StreamSpec
from simulation.model.citymap import CityMap
from simulation.model.rng import Streams

DAY = 86400.0


def draw_stream(stream: StreamSpec, sc: Scenario, cm: CityMap, streams: Streams, day: int) -> list[IncidentSpec]:
    """The stream's incidents with onsets in day ``day`` (``[day·86400, (day+1)·86400)``), in time order."""
    rng = streams.generator("stream", f"{stream.id}#{day}")
    grids = np.array([cm.index[g] for g in stream.grids], dtype=np.int64) if stream.grids else np.arange(cm.n)
    p = None
    if stream.weight_by_population:
        w = cm.population[grids].astype(float)
        p = w / w.sum() if w.sum() > 0 else None
    edges = day * DAY + np.arange(24) * 3600.0
    hours = (((sc.clock_start + edges) // 3600) % 24).astype(np.int64)
    mult = np.asarray(stream.profile, dtype=float)[hours] if stream.profile is not None else 1.0
    counts = rng.poisson(stream.rate_per_hour * len(grids) * mult * np.ones(24))
    total = int(counts.sum())
    if total == 0:
        return []
    onsets = np.repeat(edges, counts) + rng.random(total) * 3600.0
    picks = grids[rng.choice(len(grids), size=total, p=p)]
    order = np.argsort(onsets, kind="stable")
    onsets, picks = onsets[order], picks[order]
    end = min(stream.end if stream.end is not None else sc.horizon, sc.horizon)
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
