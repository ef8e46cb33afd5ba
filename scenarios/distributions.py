"""Tagged probability distributions for durations, latencies and other non-negative quantities.

In YAML a distribution is a mapping tagged by ``dist`` (``{dist: lognormal, median: 90, p90: 300}``)
or a bare number, which means ``fixed``. Every distribution is non-negative (they model seconds) and
draws vectorised samples from a ``numpy.random.Generator`` it is given — never from global state.

Two ways to draw: ``sample(rng, n)`` draws ``n`` values from a ``numpy`` generator (bulk users: the hazard
loop, the city's households, calibration); ``quantile(u)`` is the exact inverse CDF (分位数函数), which the
engine's named streams feed with their counter-based uniforms in (0, 1) — one value per uniform, monotone in
``u``, so two arrangements that draw the same stream get the same values, and a longer duration stays longer
when a parameter grows (``simulation/model/rng.py``; ``tests/validation/test_rng_counter.py`` checks each
distribution against scipy by Kolmogorov–Smirnov).

Extension point: add a model with a new ``dist`` literal and a ``sample`` / ``quantile`` / ``mean`` triple,
then add it to :data:`Distribution`.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_right
from collections.abc import Mapping
from functools import cached_property
from itertools import accumulate
from statistics import NormalDist
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, model_validator

from agencies.base import Frozen

# z-score of the 90th percentile of the standard normal distribution.
_Z90 = 1.2815515655446004
_LOG_MAX = math.log(sys.float_info.max)
"""Natural log of the largest float: a mean whose log passes it is infinite."""

try:  # the C function ``NormalDist.inv_cdf`` itself calls (CPython's accelerator): the same values, one frame fewer
    from _statistics import _normal_dist_inv_cdf as _inv_cdf
except ImportError:  # another Python: the standard library's own, through its method
    def _inv_cdf(p: float, mu: float, sigma: float) -> float:
        return NormalDist(mu, sigma).inv_cdf(p)
"""The normal's inverse CDF ``(p, μ, σ)`` (the standard library's: Wichura's AS241, relative error ~1e-16); it
refuses p outside (0, 1) with a ValueError, as ``NormalDist.inv_cdf`` does (its StatisticsError is one)."""

NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]


class Fixed(Frozen):
    dist: Literal["fixed"] = "fixed"
    value: NonNeg

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def quantile(self, u: float) -> float:
        return float(self.value)

    def mean(self) -> float:
        return self.value


class Exponential(Frozen):
    dist: Literal["exponential"]
    mean_: Pos = Field(alias="mean")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def quantile(self, u: float) -> float:
        return -self.mean_ * math.log1p(-u)

    def mean(self) -> float:
        return self.mean_


class LogNormal(Frozen):
    """Log-normal given by its median and 90th percentile (how response times are usually reported)."""

    dist: Literal["lognormal"]
    median: Pos
    p90: Pos

    @model_validator(mode="after")
    def _p90_above_median(self) -> LogNormal:
        if self.p90 <= self.median:
            raise ValueError(f"p90 ({self.p90}) must be greater than median ({self.median})")
        if math.log(self.median) + self.sigma**2 / 2 > _LOG_MAX:  # mean = median·exp(σ²/2) would overflow
            raise ValueError(f"p90 ({self.p90}) is so far above median ({self.median}) that the mean is beyond the "
                             f"largest number (σ = {self.sigma:.3g}) · p90 与中位数相差过大，均值溢出")
        return self

    @cached_property
    def sigma(self) -> float:
        """σ of the underlying normal, computed once per distribution (:meth:`quantile` runs once per draw; pydantic
        keeps a cached property out of the fields, equality and dumps)."""
        return math.log(self.p90 / self.median) / _Z90

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> LogNormal:
        """A copy; with ``update`` its σ is computed again (a copy keeps the cached σ of the median and p90 it had)."""
        copied = super().model_copy(update=update, deep=deep)
        if update:
            copied.__dict__.pop("sigma", None)
        return copied

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    def quantile(self, u: float) -> float:
        return self.median * math.exp(self.sigma * _inv_cdf(u, 0.0, 1.0))

    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class Triangular(Frozen):
    dist: Literal["triangular"]
    low: NonNeg
    mode: NonNeg
    high: NonNeg

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(f"need low <= mode <= high and low < high (got {self.low}, {self.mode}, {self.high})")
        if not math.isfinite(self.mean()):
            raise ValueError("low + mode + high is more than the largest number (the mean would overflow)")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)

    def quantile(self, u: float) -> float:
        lo, mo, hi = self.low, self.mode, self.high
        if u * (hi - lo) < mo - lo:  # below the mode: F(x) = (x − lo)² / ((hi − lo)(mo − lo))
            return lo + math.sqrt(u * (hi - lo) * (mo - lo))
        return hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - mo))

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Uniform(Frozen):
    dist: Literal["uniform"]
    low: NonNeg
    high: NonNeg

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be less than high ({self.high})")
        if not math.isfinite(self.mean()):
            raise ValueError("low + high is more than the largest number (the mean would overflow)")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, u: float) -> float:
        return self.low + (self.high - self.low) * u

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Empirical(Frozen):
    """Resampling of observed values, optionally weighted."""

    dist: Literal["empirical"]
    values: Annotated[list[NonNeg], Field(min_length=1)]
    weights: list[Pos] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(f"weights has {len(self.weights)} entries but values has {len(self.values)}")
        if self.weights is not None and not math.isfinite(sum(self.weights)):
            raise ValueError("weights sum to more than the largest number (scale them down: only their ratios matter)")
        if not math.isfinite(sum(self.values)):
            raise ValueError("values sum to more than the largest number (their mean would overflow)")
        return self

    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self._p())

    def quantile(self, u: float) -> float:
        """The value whose cumulative weight first exceeds ``u`` of the total (values in the order given)."""
        w = self.weights or [1.0] * len(self.values)
        return float(self.values[min(bisect_right(list(accumulate(w)), u * sum(w)), len(w) - 1)])

    def mean(self) -> float:
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        return float(v.mean() if p is None else (v * p).sum())


def _number_means_fixed(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(
            "a distribution needs a 'dist' tag (fixed, exponential, lognormal, triangular, uniform, empirical)"
            " or a plain number"
        )
    return value


Distribution = Annotated[
    Fixed | Exponential | LogNormal | Triangular | Uniform | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_number_means_fixed),
]
"""A non-negative distribution; a bare number is shorthand for ``{dist: fixed, value: N}``."""

ZERO = Fixed(value=0.0)
