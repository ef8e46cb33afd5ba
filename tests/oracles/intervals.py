"""The validation tests' one interval check: an exact value inside the replication means' t-interval, and the
interval narrow enough for the check to bite (a wide interval would pass anything)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def assert_in_ci(samples, exact: float, what: str, max_rel_half_width: float, level: float = 0.99) -> None:
    """``exact`` lies within the ``level`` t-interval of the mean of ``samples`` (independent replications), and
    the interval's half-width is at most ``max_rel_half_width`` × ``exact``."""
    x = np.asarray(samples, dtype=float)
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    assert abs(x.mean() - exact) <= half, f"{what}: simulated {x.mean():.5g} ± {half:.5g}, exact {exact:.5g}"
    assert half <= max_rel_half_width * exact, f"{what}: interval ±{half:.5g} too wide to test {exact:.5g}"
