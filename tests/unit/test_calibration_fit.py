"""The calibration's estimators against closed forms and published tables (simulation/experiments/calibration_fit.py).

* Garwood's exact Poisson interval: for 10 events the 95 % limits are 4.795 and 18.39 events (Garwood 1936,
  *Biometrika* 28:437; the table reprinted in Ulm 1990, *Am J Epidemiol* 131:373); for 0 events the upper
  limit is 3.689.
* Log-normal MLE: μ̂ and σ̂ are the mean and the (1/n) standard deviation of the logs — what
  ``scipy.stats.lognorm.fit`` with the location held at 0 finds numerically.
* The road level on noise-free data is the exact slope, and with one group it is the least-squares slope
  through the origin, whose variance is σ²/Στ².
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulation.experiments.calibration_fit import (
    Z90,
    duration,
    lognormal,
    poisson_rate,
    road_level,
    set_intervals,
)


def test_garwood_interval_matches_the_published_table() -> None:
    ten, zero = poisson_rate("x", "x", 10, 1.0), poisson_rate("y", "y", 0, 1.0)
    level = set_intervals([ten], 0.95)
    set_intervals([zero], 0.95)
    assert level == pytest.approx(0.95)
    assert (ten.low, ten.high) == (pytest.approx(4.795, abs=5e-4), pytest.approx(18.39, abs=5e-3))
    assert zero.low == 0.0 and zero.high == pytest.approx(3.689, abs=5e-4)


def test_intervals_hold_together_by_bonferroni() -> None:
    ests = [poisson_rate(f"h{k}", "x", 10, 1.0) for k in range(24)]
    assert set_intervals(ests, 0.95) == pytest.approx(1 - 0.05 / 24)
    assert ests[0].high > 18.39  # wider than the lone 95 % interval


def test_lognormal_mle_is_scipys() -> None:
    rng = np.random.default_rng(5)
    x = rng.lognormal(math.log(45), 0.3, 400)
    fit = lognormal("d", "d", x)
    shape, _, scale = stats.lognorm.fit(x, floc=0)
    median, p90 = (e.value for e in fit.estimates)
    assert median == pytest.approx(scale, rel=1e-4)
    assert p90 == pytest.approx(scale * math.exp(Z90 * shape), rel=1e-4)


def test_the_family_is_chosen_by_aic() -> None:
    rng = np.random.default_rng(6)
    assert duration("d", "d", rng.exponential(600, 500)).dist["dist"] == "exponential"
    assert duration("d", "d", rng.lognormal(6, 0.4, 500)).dist["dist"] == "lognormal"
    assert duration("d", "d", np.full(20, 60.0)).dist == {"dist": "fixed", "value": 60.0}


def test_road_level_is_the_slope() -> None:
    rng = np.random.default_rng(7)
    tau = rng.uniform(60, 600, 300)
    s, _, _ = road_level(1.3 * tau, tau, np.array(["119"] * 300))
    assert s == pytest.approx(1.3, abs=1e-9)
    y = 1.3 * tau + rng.normal(0, 20, 300)
    s, se, v = road_level(y, tau, np.array(["120"] * 300))
    ols = float((tau * y).sum() / (tau * tau).sum())
    assert s == pytest.approx(ols, rel=1e-8)
    assert se == pytest.approx(math.sqrt(v["120"] / (tau * tau).sum()), rel=1e-6)
