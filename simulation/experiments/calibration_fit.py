"""Maximum-likelihood fits of the engine's parameters, with confidence intervals that hold together (标定).

Each :class:`Estimate` is one number the engine uses (a stream's rate, a desk's handling median …) with
what its interval needs; :func:`set_intervals` then gives every estimate of a fit its interval at one
family-wise level (Bonferroni: with ``m`` intervals each is built at ``1 − α/m``), so "every true value lies
inside its interval" has the stated confidence for the whole fit, not for each number alone.

* Poisson counts (calls per hour of day): exact Garwood intervals from the χ² quantiles
  (Garwood 1936, *Biometrika* 28:437); the rate's MLE is count ÷ exposure.
* Log-normal times (the engine's ``{dist: lognormal, median, p90}``): MLE μ̂, σ̂ of the log times; the
  observed information gives var μ̂ = σ²/n, var σ̂ = σ²/2n (independent), so log median = μ and
  log p90 = μ + z₉₀σ have normal intervals on the log scale.
* Exponential times: the MLE is the mean, its exact interval 2S/χ²₂ₙ (Epstein and Sobel 1953).
* Uniform times (a turnout drawn between two bounds): the MLE is (min, max); with R = max − min the pivot
  (min − low)/R has P(> c) = (1 + c)^−(n−1) whatever the bounds (the joint density of the extremes), so
  low ∈ [min − cR, min] and high ∈ [max, max + cR] are exact one-sided intervals; each widened by the log's
  one-second resolution.
* A fixed time (every interval the same to the log's resolution): the interval is the observed [min, max].
* A log-normal time seen only after a known delay, and sometimes only as "longer than" (a work order's
  decision, 签收/退单: the log shows dispatch → answer, the order's way to the agency's desk included; an
  order withdrawn or still open is censored): the likelihood of each time mixes the log-normal over that
  delay's quantiles (its distribution from the engine at the export's load), a censored one by the survival
  function; MLE by Nelder–Mead, intervals from the observed information (a numerical Hessian).
* A share (an order rejected, 退单率): binomial MLE k/n with the Wilson score interval (Wilson 1927,
  *JASA* 22:209).
* The road level (a scale ``s`` on the district's free-flow travel times): a Gaussian MLE with one error
  variance per service, maximised over ``s`` with the variances profiled out; its interval from the
  profile likelihood's curvature (the observed information of ``s``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

Z90 = 1.2815515655446004
"""z-score of the 90th percentile (the engine's log-normal is given by median and p90)."""
RESOLUTION = 1.0
"""A log's times are whole seconds: an interval between two of them carries ±1 s of rounding."""


@dataclass
class Estimate:
    """One fitted number: where it goes in the scenario, its value, and how its interval is built.

    ``kind`` is ``poisson`` (``a`` = count, ``b`` = exposure), ``log`` (``a`` = log value, ``b`` = its
    standard error), ``normal`` (``a`` = value, ``b`` = standard error), ``chi2_mean`` (``a`` = n,
    ``b`` = sum), ``uniform_low`` / ``uniform_high`` (``a`` = the sample's min / max, ``b`` = its range),
    ``binomial`` (``a`` = successes, ``b`` = trials), ``bounds`` (``a``, ``b`` = the observed min and max of a
    fixed time: no sampling error) or ``point`` (no interval)."""

    path: str
    what: str
    value: float
    n: int
    kind: str
    a: float = 0.0
    b: float = 0.0
    scale: float = 1.0
    low: float = math.nan
    high: float = math.nan
    extra: dict = field(default_factory=dict)

    def covers(self, x: float) -> bool:
        return self.low <= x <= self.high


def set_intervals(estimates: list[Estimate], confidence: float) -> float:
    """Give every estimate its interval at family-wise ``confidence``; returns the per-interval level."""
    from scipy import stats

    m = max(1, sum(e.kind not in ("point", "bounds") for e in estimates))
    alpha = (1.0 - confidence) / m
    z = float(stats.norm.ppf(1.0 - alpha / 2))
    for e in estimates:
        if e.kind == "poisson":
            lo = stats.chi2.ppf(alpha / 2, 2 * e.a) / 2 if e.a > 0 else 0.0
            hi = stats.chi2.ppf(1 - alpha / 2, 2 * e.a + 2) / 2
            e.low, e.high = e.scale * lo / e.b, e.scale * hi / e.b
        elif e.kind == "log":
            e.low, e.high = math.exp(e.a - z * e.b), math.exp(e.a + z * e.b)
        elif e.kind == "normal":
            e.low, e.high = e.a - z * e.b, e.a + z * e.b
        elif e.kind in ("uniform_low", "uniform_high"):
            c = alpha ** (-1.0 / max(e.n - 1, 1)) - 1.0  # P((min − low)/R > c) = (1 + c)^−(n−1) = α
            if e.kind == "uniform_low":
                e.low, e.high = max(e.a - c * e.b - RESOLUTION, 0.0), e.a + RESOLUTION
            else:
                e.low, e.high = e.a - RESOLUTION, e.a + c * e.b + RESOLUTION
        elif e.kind == "binomial":
            e.low, e.high = wilson(e.a, e.b, z)
        elif e.kind == "bounds":
            e.low, e.high = e.a, e.b
        elif e.kind == "chi2_mean":
            n, s = e.a, e.b
            e.low = 2 * s / stats.chi2.ppf(1 - alpha / 2, 2 * n)
            e.high = 2 * s / stats.chi2.ppf(alpha / 2, 2 * n)
        else:
            e.low = e.high = e.value
    return 1.0 - alpha


def wilson(k: float, n: float, z: float) -> tuple[float, float]:
    """The Wilson score interval of a share k/n at normal quantile ``z``."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def share(path: str, what: str, k: int, n: int) -> Estimate:
    """A binomial share (an order rejected): MLE k/n, Wilson interval later."""
    return Estimate(path, what, k / n if n else math.nan, n, "binomial", float(k), float(n))


def poisson_rate(path: str, what: str, count: int, exposure: float, scale: float = 1.0) -> Estimate:
    """Events per unit of ``exposure`` (× ``scale``): MLE count ÷ exposure, exact interval later."""
    return Estimate(path, what, scale * count / exposure, count, "poisson", float(count), exposure, scale)


@dataclass
class TimeFit:
    """A duration's fitted family: the engine's distribution mapping and its estimates."""

    dist: dict
    estimates: list[Estimate]
    aic: dict[str, float]


def _positive(x: np.ndarray) -> np.ndarray:
    # A zero interval (two stamps in the same second) is "less than the log's resolution": half of it.
    return np.maximum(np.asarray(x, dtype=float), RESOLUTION / 2)


def lognormal(path: str, what: str, x: np.ndarray) -> TimeFit:
    """Log-normal MLE: median e^μ̂ and p90 e^(μ̂+z₉₀σ̂), log-scale intervals from the observed information."""
    lx = np.log(_positive(x))
    n = lx.size
    mu, sigma = float(lx.mean()), float(lx.std())
    median, p90 = math.exp(mu), math.exp(mu + Z90 * sigma)
    ests = [
        Estimate(f"{path}.median", f"{what} median", median, n, "log", mu, sigma / math.sqrt(n)),
        Estimate(f"{path}.p90", f"{what} p90", p90, n, "log", mu + Z90 * sigma,
                 sigma * math.sqrt(1 / n + Z90**2 / (2 * n))),
    ]
    loglik = float(-n / 2 * math.log(2 * math.pi * sigma**2) - n / 2 - lx.sum())
    return TimeFit({"dist": "lognormal", "median": _round(median), "p90": _round(p90)}, ests,
                   {"lognormal": 4 - 2 * loglik})


def exponential(path: str, what: str, x: np.ndarray) -> TimeFit:
    x = _positive(x)
    n, s = x.size, float(x.sum())
    mean = s / n
    loglik = -n * math.log(mean) - n
    return TimeFit({"dist": "exponential", "mean": _round(mean)},
                   [Estimate(f"{path}.mean", f"{what} mean", mean, n, "chi2_mean", float(n), s)],
                   {"exponential": 2 - 2 * loglik})


def uniform(path: str, what: str, x: np.ndarray) -> TimeFit:
    """Uniform MLE (min, max); exact intervals from the extremes' pivot (see the module's notes)."""
    x = np.asarray(x, dtype=float)
    lo, hi = float(x.min()), float(x.max())
    r = hi - lo
    loglik = -x.size * math.log(max(r, RESOLUTION))
    return TimeFit({"dist": "uniform", "low": _round(lo), "high": _round(hi)},
                   [Estimate(f"{path}.low", f"{what} low", lo, x.size, "uniform_low", lo, r),
                    Estimate(f"{path}.high", f"{what} high", hi, x.size, "uniform_high", hi, r)],
                   {"uniform": 4 - 2 * loglik})


def duration(path: str, what: str, x: np.ndarray, with_uniform: bool = False) -> TimeFit:
    """The engine's family that fits ``x`` best: fixed when every value is the same (to the log's
    resolution; its interval the observed min and max), else log-normal or exponential — or uniform, with
    ``with_uniform`` (a turnout) — whichever has the lowest AIC (all reported)."""
    x = np.asarray(x, dtype=float)
    if np.ptp(x) <= RESOLUTION:
        v = float(np.median(x))
        return TimeFit({"dist": "fixed", "value": _round(v)},
                       [Estimate(path, what, v, x.size, "bounds", float(x.min()), float(x.max()))], {})
    fits = [(lognormal(path, what, x), "lognormal"), (exponential(path, what, x), "exponential")]
    if with_uniform:
        fits.append((uniform(path, what, x), "uniform"))
    best = min(fits, key=lambda f: f[0].aic[f[1]])[0]
    return TimeFit(best.dist, best.estimates, {k: v for f, _ in fits for k, v in f.aic.items()})


def lognormal_after(path: str, what: str, groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> TimeFit:
    """Log-normal MLE of ``D`` from ``x = D + T`` per group ``(x observed, x censored, quantiles of T)``: a
    censored ``x`` says only ``D + T > x``. Median and p90 with log-scale intervals from the observed
    information (the inverse of the negative log-likelihood's Hessian in μ, σ)."""
    from scipy import optimize, stats

    def loglik(mu: float, sigma: float) -> float:
        if sigma <= 0:
            return -math.inf
        total = 0.0
        for x, c, t in groups:
            for values, dens, before in ((x, stats.lognorm.pdf, 0.0), (c, stats.lognorm.sf, 1.0)):
                if values.size:  # ``before``: the density (0) or survival (1) where D would be negative
                    d = values[:, None] - t[None, :]
                    p = np.where(d > 0, dens(np.maximum(d, 1e-9), sigma, scale=math.exp(mu)), before)
                    total += float(np.log(np.maximum(p.mean(axis=1), 1e-300)).sum())
        return total

    seen = np.concatenate([x - t.mean() for x, _c, t in groups])
    start = np.log(_positive(seen[seen > 0])) if (seen > 0).any() else np.zeros(1)
    res = optimize.minimize(lambda th: -loglik(th[0], math.exp(th[1])),
                            [float(start.mean()), math.log(max(float(start.std()), 0.05))], method="Nelder-Mead",
                            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
    mu, sigma = float(res.x[0]), math.exp(float(res.x[1]))
    cov = np.linalg.inv(-_hessian(lambda a, b: loglik(a, b), mu, sigma))
    n = int(sum(x.size + c.size for x, c, _t in groups))
    se_p90 = math.sqrt(max(cov[0, 0] + Z90**2 * cov[1, 1] + 2 * Z90 * cov[0, 1], 0.0))
    median, p90 = math.exp(mu), math.exp(mu + Z90 * sigma)
    return TimeFit({"dist": "lognormal", "median": _round(median), "p90": _round(p90)},
                   [Estimate(f"{path}.median", f"{what} median", median, n, "log", mu, math.sqrt(cov[0, 0])),
                    Estimate(f"{path}.p90", f"{what} p90", p90, n, "log", mu + Z90 * sigma, se_p90)],
                   {"lognormal": 4 + 2 * float(res.fun)})


def _hessian(f, a: float, b: float) -> np.ndarray:
    """Central-difference Hessian of ``f(a, b)``."""
    ha, hb = 1e-4 * max(abs(a), 1.0), 1e-4 * max(abs(b), 1e-2)
    faa = (f(a + ha, b) - 2 * f(a, b) + f(a - ha, b)) / ha**2
    fbb = (f(a, b + hb) - 2 * f(a, b) + f(a, b - hb)) / hb**2
    fab = (f(a + ha, b + hb) - f(a + ha, b - hb) - f(a - ha, b + hb) + f(a - ha, b - hb)) / (4 * ha * hb)
    return np.array([[faa, fab], [fab, fbb]])


def road_level(y: np.ndarray, tau: np.ndarray, group: np.ndarray) -> tuple[float, float, dict]:
    """MLE of ``s`` in ``y = s·τ + e``, ``e ~ N(0, v_g)`` per group ``g`` (a service: its units' turnout varies
    differently), each variance floored at the log's rounding (1/6 s² for a difference of two stamps in whole
    seconds). ``s`` maximises the profile likelihood (each ``v_g`` at its MLE given ``s``): a grid over the
    groups' own least-squares slopes, then a bounded refinement; its standard error from the profile's
    curvature (the observed information of ``s`` with the variances profiled out). Returns (s, se, v by group)."""
    from scipy.optimize import minimize_scalar

    groups = sorted(set(group.tolist()))
    parts = [(tau[group == g], y[group == g]) for g in groups]
    floor = RESOLUTION**2 / 6

    def loglik(s: float) -> float:
        total = 0.0
        for t, x in parts:
            ss = float(((x - s * t) ** 2).sum())
            v = max(ss / t.size, floor)
            total += -t.size / 2 * math.log(v) - ss / (2 * v)
        return total

    slopes = [float((t * x).sum() / (t * t).sum()) for t, x in parts if (t * t).sum() > 0]
    lo, hi = min(slopes) * 0.9 - 1e-9, max(slopes) * 1.1 + 1e-9
    grid = np.linspace(lo, hi, 2001)
    k = int(np.argmax([loglik(s) for s in grid]))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    s = float(minimize_scalar(lambda s: -loglik(s), bounds=(a, b), method="bounded",
                              options={"xatol": 1e-12 * max(abs(grid[k]), 1.0)}).x)
    curvature, v = 0.0, {}
    for g, (t, x) in zip(groups, parts):
        e = x - s * t
        ss = float((e**2).sum())
        n = t.size
        v[g] = max(ss / n, floor)
        if ss / n > floor:  # variance at its MLE: d²/ds² of −n/2·log(Σe²/n)
            d1, d2 = -2 * float((t * e).sum()), 2 * float((t * t).sum())
            curvature += -n / 2 * (d2 / ss - d1**2 / ss**2)
        else:  # variance held at the floor: d²/ds² of −Σe²/2v
            curvature += -float((t * t).sum()) / v[g]
    return s, math.sqrt(-1.0 / curvature) if curvature < 0 else math.inf, v


def _round(v: float) -> float:
    """Seconds to 0.1 s in the overlay (finer than any log's resolution)."""
    return round(float(v), 1)
