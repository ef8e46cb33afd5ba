"""Benchmark: Gaussian-plume concentration field over 250,000 receptor cells (500 × 500 grid).

Run: ``python benchmarks/bench_plume_field.py`` (from the repository root). Prints the median wall time
in milliseconds over repeats for each dispersion scheme. No assertion on time — record the figure in
benchmarks/README.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.hazards.params import PlumeParams  # noqa: E402
from scenarios.hazards.plume import plume_field  # noqa: E402

N = 500
REPEATS = 30


def bench(dispersion: str) -> float:
    params = PlumeParams(chemical="chlorine", release_rate_kg_s=1.0, wind_speed_m_s=3.0, stability="D",
                         dispersion=dispersion, wind_from_deg=250.0)
    xs = np.linspace(-5000.0, 5000.0, N)
    ys = np.linspace(-5000.0, 5000.0, N)
    plume_field(params, xs, ys)  # warm-up
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        field = plume_field(params, xs, ys)
        times.append((time.perf_counter() - t0) * 1000.0)
    assert field.shape == (N, N)
    return statistics.median(times)


def main() -> None:
    print(f"plume_field: {N}x{N} = {N * N:,} cells, median of {REPEATS} repeats, numpy {np.__version__}")
    for dispersion in ("briggs_rural", "briggs_urban", "pasquill_gifford"):
        print(f"  {dispersion:<17} {bench(dispersion):8.2f} ms")


if __name__ == "__main__":
    main()
