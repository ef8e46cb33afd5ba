"""Routine incident streams (日常警情): Poisson arrivals per grid, drawn vectorised per hour.

Arrivals are drawn up front for the whole horizon from the stream's own named random stream — one
Poisson count per hour block (rate × grids × the hour's profile multiplier), uniform times inside the
block, grids uniform or population-weighted — so a year of arrivals costs a few numpy calls, and two
arrangements compared with one seed see the same incidents.
"""

from __future__ import annotations

import numpy as np

from scenarios.schema import IncidentSpec, Scenario, StreamSpec
from simulation.citymap import CityMap
from simulation.rng import Streams


def draw_stream(stream: StreamSpec, sc: Scenario, cm: CityMap, streams: Streams) -> list[IncidentSpec]:
    rng = streams.generator("stream", stream.id)
    grids = np.array([cm.index[g] for g in stream.grids], dtype=np.int64) if stream.grids else np.arange(cm.n)
    if stream.weight_by_population:
        w = cm.population[grids].astype(float)
        p = w / w.sum() if w.sum() > 0 else None
    else:
        p = None
    end = min(stream.end if stream.end is not None else sc.horizon, sc.horizon)
    edges = np.arange(stream.start, end, 3600.0)
    widths = np.minimum(edges + 3600.0, end) - edges
    hours = (((sc.clock_start + edges) // 3600) % 24).astype(np.int64)
    mult = np.asarray(stream.profile, dtype=float)[hours] if stream.profile is not None else 1.0
    lam = stream.rate_per_hour * len(grids) * mult * widths / 3600.0
    counts = rng.poisson(lam)
    total = int(counts.sum())
    if total == 0:
        return []
    starts = np.repeat(edges, counts) + rng.random(total) * np.repeat(widths, counts)
    order = np.argsort(starts, kind="stable")
    onsets = starts[order]
    picks = grids[rng.choice(len(grids), size=total, p=p)]
    ids = cm.grid_ids
    return [IncidentSpec.model_construct(id=f"{stream.id}-{k}", type=stream.type, grid=ids[int(g)], onset=float(t),
                                         severity=stream.severity, primary=False, hazard=None)
            for k, (t, g) in enumerate(zip(onsets.tolist(), picks.tolist()))]
