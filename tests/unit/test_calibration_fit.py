"""The calibration's estimators against closed forms and published tables (simulation/experiments/calibration_fit.py).

* Garwood's exact Poisson interval: for 10 events the 95 % limits are 4.795 and 18.39 events (Garwood 1936,
  *Biometrika* 28:437; the table reprinted in Ulm 1990, *Am J Epidemiol* 131:373); for 0 events the upper
  limit is 3.689.
* Log-normal MLE: μ̂ and σ̂ are the mean and the (1/n) standard deviation of the logs — what
  ``scipy.stats.lognorm.fit`` with the location held at 0 finds numerically.
* The road level on noise-free data is the exact slope, and with one group it is the least-squares slope
  through the origin, whose variance is σ²/Στ².
* Wilson's score interval for a share: Newcombe 1998 (*Statistics in Medicine* 17:857, Table II, method 3)
  gives 81/263 → 0.2553–0.3662, 15/148 → 0.0624–0.1605, 0/20 → 0–0.1611, 1/29 → 0.0061–0.1718.
* The uniform bounds' pivot: for n uniform draws, P((min − low)/(max − min) > c) = (1 + c)^−(n−1) whatever
  the bounds (integrating the extremes' joint density n(n−1)r^(n−2)).
* A log-normal seen after a known fixed delay s is the log-normal MLE of x − s.
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
    lognormal_after,
    poisson_rate,
    road_level,
    set_intervals,
    share,
    uniform,
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


@pytest.mark.parametrize(("k", "n", "low", "high"), [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605),
                                                     (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_matches_newcombe(k, n, low, high) -> None:
    e = share("p", "p", k, n)
    set_intervals([e], 0.95)
    assert e.value == pytest.approx(k / n)
    assert (e.low, e.high) == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_uniform_bounds_pivot_is_exact() -> None:
    """The share of samples whose min lies further than c·range above the lower bound is (1 + c)^−(n−1); and
    the 95 % one-sided interval of the lower bound (without the one-second padding) covers it 95 % of the time."""
    rng = np.random.default_rng(8)
    n, c = 12, 0.1
    x = rng.uniform(60, 180, (20000, n))
    lo, r = x.min(axis=1), np.ptp(x, axis=1)
    assert np.mean((lo - 60) / r > c) == pytest.approx((1 + c) ** -(n - 1), abs=0.01)
    fit = uniform("t", "t", x[0])
    assert fit.dist["dist"] == "uniform" and [e.kind for e in fit.estimates] == ["uniform_low", "uniform_high"]
    c95 = 0.05 ** (-1 / (n - 1)) - 1
    assert np.mean(lo - c95 * r <= 60) == pytest.approx(0.95, abs=0.01)


def test_uniform_turnout_is_chosen_by_aic_and_fixed_is_its_observed_range() -> None:
    rng = np.random.default_rng(9)
    assert duration("t", "t", rng.uniform(60, 180, 300), with_uniform=True).dist["dist"] == "uniform"
    assert duration("t", "t", rng.uniform(60, 180, 300)).dist["dist"] != "uniform"  # only when asked
    fixed = duration("t", "t", np.array([60.0, 59.0, 60.0, 60.0]))
    set_intervals(fixed.estimates, 0.95)
    assert fixed.dist == {"dist": "fixed", "value": 60.0} and (fixed.estimates[0].low, fixed.estimates[0].high) == (
        59.0, 60.0)


def test_lognormal_after_a_fixed_delay_is_the_lognormal_of_the_remainder() -> None:
    rng = np.random.default_rng(10)
    d = rng.lognormal(math.log(1800), 0.85, 400)
    after = lognormal_after("d", "d", [(d + 200.0, np.empty(0), np.full(5, 200.0))])
    plain = lognormal("d", "d", d)
    for a, b in zip(after.estimates, plain.estimates):
        assert a.value == pytest.approx(b.value, rel=1e-4)
        assert a.b == pytest.approx(b.b, rel=1e-2)  # the numerical information matches the closed form


def test_lognormal_after_counts_censored_times() -> None:
    """Dropping the times cut off by a deadline biases the median short; counting them as "longer than" does not:
    the true median lies in the censored fit's 95 % interval and above the one that drops them."""
    rng = np.random.default_rng(12)
    t = rng.uniform(50, 300, 100)
    x = rng.lognormal(math.log(1800), 0.85, 800) + rng.choice(t, 800)
    cut = 3600.0
    censored = lognormal_after("d", "d", [(x[x <= cut], np.full(int((x > cut).sum()), cut), np.sort(t))])
    dropped = lognormal_after("d", "d", [(x[x <= cut], np.empty(0), np.sort(t))])
    set_intervals(censored.estimates, 0.95)
    median = censored.estimates[0]
    assert median.low <= 1800 <= median.high and dropped.estimates[0].value < median.low
