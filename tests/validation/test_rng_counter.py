"""Validation of the counter-based named streams (``simulation/model/rng.py``, issue 17) against published
values and first principles — not against the code's own shape (``tests/unit/test_rng_streams.py`` does that).

Sources of the reference values (found 2026-12-01 with the helper's code and page search):
- Rosetta Code, "Pseudo-random numbers/Splitmix64" (https://rosettacode.org/wiki/Pseudo-random_numbers/Splitmix64):
  the first five outputs for seed 1234567, and the counts of ``floor(5 · next_float())`` over 100 000 draws
  from seed 987654321 (the same figures are asserted by independent test suites found by code search).
- Apache Commons Math, ``src/test/java/org/apache/commons/math4/rng/internal/source64/SplitMix64Test.java``
  (``testReferenceCode``: outputs of Vigna's reference ``splitmix64.c`` for seed 0x1a2b3c4d5e6f7531).

Significance: every statistical check is two-sided at α = ALPHA / N_TESTS (Bonferroni over the N_TESTS checks
of this file, family-wise ALPHA = 1e-4): a p-value must lie in (α/2, 1 − α/2). A p-value near 1 is a failure
too: a too-even sample is what the bare Weyl sequence ``key + i·γ`` gives when the finaliser is missing.
A correlation coefficient of n independent pairs has standard error 1/√n, so |r| < z/√n with z = Φ⁻¹(1 − α/2)
(≈ 4.58). Seeds are fixed: the file is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scenarios.distributions import Empirical, Exponential, LogNormal, Triangular, Uniform
from simulation.model.rng import GAMMA, Draws, Streams, Uniforms, splitmix64, unit

M64 = (1 << 64) - 1
ALPHA = 1e-4
N_TESTS = 21  # 4 uniformity + 6 distributions + 5 pairs × (Pearson, Spearman) + 1 coin/draw
A = ALPHA / N_TESTS
Z = float(stats.norm.isf(A / 2))
SEED, N = 20261201, 5000
EXP = Exponential(dist="exponential", mean=30)
LOGN = LogNormal(dist="lognormal", median=60, p90=240)
TRI = Triangular(dist="triangular", low=1, mode=2, high=5)
UNI = Uniform(dist="uniform", low=2, high=9)
EMP = Empirical(dist="empirical", values=[1, 5, 20])
EMPW = Empirical(dist="empirical", values=[3, 7, 12, 30], weights=[1, 2, 3, 4])


def p_ok(p: float) -> bool:
    return A / 2 < p < 1 - A / 2


def firsts(purpose: str, dist=None, replication: int = 0, fmt: str = "task{}", n: int = N) -> np.ndarray:
    """The first value of n different entities' streams — the engine's typical use (most streams draw once)."""
    s = Streams(SEED, replication)
    if dist is None:
        return np.array([s.uniforms(purpose, fmt.format(k))() for k in range(n)])
    return np.array([s.draws(purpose, fmt.format(k), dist)() for k in range(n)])


def one_stream(n: int = 20_000) -> np.ndarray:
    u = Streams(SEED, 3).uniforms("reliability", "hop:110->119")
    return np.array([u() for _ in range(n)])


# -- 1. reference outputs ------------------------------------------------------------------------------------
ROSETTA_1234567 = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431,
                   16408922859458223821]
APACHE_SEED = 0x1A2B3C4D5E6F7531
APACHE = [0x4141302768C9E9D0, 0x64DF48C4EAB51B1A, 0x4E723B53DBD901B3, 0xEAD8394409DD6454,
          0x3EF60E485B412A0A, 0xB2A23AEE63AECF38, 0x6CC3B8933C4FA332, 0x9C9E75E031E6FCCB]


@pytest.mark.parametrize(("seed", "expected"), [(1234567, ROSETTA_1234567), (APACHE_SEED, APACHE)],
                         ids=["rosetta-1234567", "apache-commons"])
def test_splitmix64_reproduces_the_published_outputs(seed: int, expected: list[int]) -> None:
    """SplitMix64 (Vigna's splitmix64.c: ``state += γ; return mix(state)``): ``rng.splitmix64`` of the states
    seed + i·γ, i = 1…, equals the published outputs (Rosetta Code for 1234567; Apache Commons Math's
    SplitMix64Test for 0x1a2b3c4d5e6f7531) — the mixing constants, shifts and γ are the reference ones."""
    assert [splitmix64((seed + i * GAMMA) & M64) for i in range(1, len(expected) + 1)] == expected


def test_unit_reproduces_the_published_histogram() -> None:
    """Rosetta Code's second vector: from seed 987654321, floor(5 · next_float()) over 100 000 draws counts
    20027, 19892, 20073, 19978, 20030 — the stream's i-th value is SplitMix64's i-th output, and ``unit`` keeps
    its top bits (a centred 53-bit value falls in the same fifth as next_int / 2⁶⁴)."""
    u = Uniforms(987654321)
    assert np.bincount([int(5 * u()) for _ in range(100_000)], minlength=5).tolist() == [20027, 19892, 20073,
                                                                                        19978, 20030]


# -- 2. uniformity -------------------------------------------------------------------------------------------
def test_one_stream_is_uniform() -> None:
    """20 000 values of one stream: KS against U(0, 1), and χ² over 64 equal bins (312.5 expected per bin)."""
    u = one_stream()
    ks = stats.kstest(u, "uniform")
    chi = stats.chisquare(np.bincount((u * 64).astype(int), minlength=64))
    assert p_ok(ks.pvalue), ks
    assert p_ok(chi.pvalue), chi


def test_first_values_across_entities_are_uniform() -> None:
    """The first value of 5 000 entities' streams (one replication): KS against U(0, 1)."""
    ks = stats.kstest(firsts("reliability"), "uniform")
    assert p_ok(ks.pvalue), ks


def test_first_values_across_replications_are_uniform() -> None:
    """The first value of one entity's stream in 5 000 replications: KS against U(0, 1)."""
    u = [Streams(SEED, r).uniforms("detection", "inc0.sensor0")() for r in range(N)]
    ks = stats.kstest(u, "uniform")
    assert p_ok(ks.pvalue), ks


# -- 3. each distribution through Streams.draws ----------------------------------------------------------------
SCIPY = {
    "exponential": (EXP, stats.expon(scale=30)),
    # σ from its definition, p90 = median · exp(σ · Φ⁻¹(0.9)), with scipy's Φ⁻¹ (not the module's constant)
    "lognormal": (LOGN, stats.lognorm(s=math.log(240 / 60) / stats.norm.ppf(0.9), scale=60)),
    "triangular": (TRI, stats.triang((2 - 1) / (5 - 1), loc=1, scale=4)),
    "uniform": (UNI, stats.uniform(loc=2, scale=7)),
}


@pytest.mark.parametrize("name", list(SCIPY))
def test_continuous_distributions_match_scipy(name: str) -> None:
    """The first values of 5 000 entities' streams (other entities for each distribution, so the four samples
    are independent): KS against scipy's own distribution of the same parameters."""
    dist, ref = SCIPY[name]
    ks = stats.kstest(firsts("duration", dist, fmt=name + ".task{}"), ref.cdf)
    assert p_ok(ks.pvalue), ks


@pytest.mark.parametrize(("dist", "probs"), [(EMP, [1 / 3] * 3), (EMPW, [0.1, 0.2, 0.3, 0.4])],
                         ids=["unweighted", "weighted"])
def test_empirical_matches_its_weights(dist: Empirical, probs: list[float]) -> None:
    """The first values of 5 000 entities' streams: χ² of the counts of each value against N · weight / Σ."""
    x = firsts("decision", dist)
    counts = [int((x == v).sum()) for v in dist.values]
    assert sum(counts) == N
    chi = stats.chisquare(counts, [N * p for p in probs])
    assert p_ok(chi.pvalue), chi


# -- 4. independence -----------------------------------------------------------------------------------------
def _pairs(kind: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "neighbouring entities":  # task k and task k+1, same purpose and replication
        u = firsts("decision", fmt="inc7.task{}", n=N + 1)
        return u[:-1], u[1:]
    if kind == "neighbouring replications, many entities":  # every entity in replication 0 and in 1
        return firsts("latency"), firsts("latency", replication=1)
    if kind == "neighbouring replications, one entity":  # replication r and r+1
        u = np.array([Streams(SEED, r).uniforms("desk", "centre_110")() for r in range(N + 1)])
        return u[:-1], u[1:]
    if kind == "lag 1 within a stream":
        u = one_stream(N + 1)
        return u[:-1], u[1:]
    return firsts("latency"), firsts("reliability")  # the same entities under two purposes


@pytest.mark.parametrize("kind", ["neighbouring entities", "neighbouring replications, many entities",
                                  "neighbouring replications, one entity", "lag 1 within a stream",
                                  "two purposes"])
def test_streams_are_uncorrelated(kind: str) -> None:
    """Under independence Pearson's and Spearman's r have standard error 1/√n: |r| < z/√n (z from the
    Bonferroni α above) for n = 5 000 pairs of streams' values."""
    u, v = _pairs(kind)
    bound = Z / math.sqrt(len(u))
    pearson, spearman = stats.pearsonr(u, v).statistic, stats.spearmanr(u, v).statistic
    assert abs(pearson) < bound and abs(spearman) < bound, (pearson, spearman, bound)


def test_a_coin_and_a_draw_of_one_entity_are_independent() -> None:
    """The engine's detector (``Incident._detect``): a coin ``uniforms("detection", e)() < p`` decides
    whether detector e notices, then ``draw("detection", e, delay)`` gives its delay. The delay of a detector
    that noticed must follow its distribution (independence of the two decisions): KS against scipy's expon."""
    s, delays = Streams(SEED, 0), []
    for k in range(N):
        e = f"inc{k}.sensor0"
        if s.uniforms("detection", e)() < 0.5:
            delays.append(s.draw("detection", e, EXP))
    ks = stats.kstest(delays, stats.expon(scale=30).cdf)
    assert p_ok(ks.pvalue), (ks, len(delays), float(np.median(delays)))


# -- 5. common random numbers --------------------------------------------------------------------------------
def test_a_streams_values_do_not_depend_on_other_streams() -> None:
    """Common random numbers: stream A drawn alone, or interleaved with 50 other streams (draws, draw,
    uniforms and a bulk Philox generator), gives identical values; so does a second ``Streams`` of the same seed
    and replication; another seed or replication gives different values."""
    def stream_a(s: Streams, others: int) -> list[float]:
        a, u, out = s.draws("duration", "inc1.A", LOGN), s.uniforms("reliability", "inc1.A"), []
        for i in range(20):
            for j in range(others):
                s.draw("duration", f"inc1.other{j}", EXP)
                s.uniforms("reliability", f"inc1.other{j}")()
                s.generator("hazard", f"other{i}.{j}").random(3)
            out += [a(), u(), s.draw("latency", "inc1.A", TRI)]
        return out

    alone = stream_a(Streams(SEED, 4), 0)
    assert stream_a(Streams(SEED, 4), 50) == alone
    assert stream_a(Streams(SEED, 4), 0) == alone
    for other in (Streams(SEED + 1, 4), Streams(SEED, 5)):
        assert all(x != y for x, y in zip(stream_a(other, 0), alone, strict=True))


# -- 6. edges ------------------------------------------------------------------------------------------------
DISTS = [EXP, LOGN, TRI, UNI, EMP, EMPW]


@pytest.mark.parametrize("z", [0, 1, 1 << 63, (1 << 64) - (1 << 11), M64], ids=["0", "1", "2^63", "2^64-2^11",
                                                                                 "2^64-1"])
def test_unit_stays_inside_the_open_interval_and_quantiles_stay_finite(z: int) -> None:
    """``unit`` promises the open interval (0, 1), so that an unbounded distribution's inverse CDF never sees
    0 or 1; at the extreme words (0 and 2⁶⁴ − 1, and the smallest word whose top 53 bits are all ones) every
    distribution's quantile is finite (exponential and log-normal tails included), and the draw machinery
    (``Draws``, whose state is key + γ) gives the same value."""
    u = unit(z)
    assert 0.0 < u < 1.0, u
    for dist in DISTS:
        q = dist.quantile(u)
        assert math.isfinite(q) and q >= 0, (dist, q)
        assert Draws(dist, (splitmix64_inverse(z) - GAMMA) & M64)() == q


def splitmix64_inverse(x: int) -> int:
    """The word whose SplitMix64 finaliser is ``x`` (each step of the finaliser is invertible)."""
    x = x ^ (x >> 31) ^ (x >> 62)
    x = (x * pow(0x94D049BB133111EB, -1, 1 << 64)) & M64
    x = x ^ (x >> 27) ^ (x >> 54)
    x = (x * pow(0xBF58476D1CE4E5B9, -1, 1 << 64)) & M64
    return x ^ (x >> 30) ^ (x >> 60)
