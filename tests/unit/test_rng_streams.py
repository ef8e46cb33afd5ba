"""Named streams draw what their definition says (issue 17: counter-based streams).

The definition, written out here independently of ``rng.py``: the replication's base key is numpy's
``SeedSequence(seed, spawn_key=(replication,))`` state (2 × 64 bits), the entity's key the 128-bit BLAKE2 hash
of ``purpose/entity``; the stream's 64-bit key XORs all four words; its i-th value (i = 1, 2, …) is SplitMix64's
finaliser of ``key + i·γ`` mod 2⁶⁴, its top 52 bits centred in (0, 1), through the distribution's inverse CDF
(scipy's ``ppf`` here); a coin stream (``uniforms``) is the stream of ``purpose/entity#coin``. Streams are drawn
interleaved, so one stream's state leaking into another would show.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from scipy import stats

from scenarios.distributions import Empirical, Exponential, Fixed, LogNormal, Triangular, Uniform
from simulation.model.rng import Streams

M64 = (1 << 64) - 1


def reference_uniforms(seed: int, replication: int, purpose: str, entity: str, n: int) -> list[float]:
    b0, b1 = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(2, dtype=np.uint64).tolist()
    digest = hashlib.blake2b(f"{purpose}/{entity}".encode(), digest_size=16).digest()
    k0, k1 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")
    key, out = b0 ^ b1 ^ k0 ^ k1, []
    for i in range(1, n + 1):
        z = (key + i * 0x9E3779B97F4A7C15) & M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        out.append(((z >> 12) + 0.5) / 2.0**52)
    return out


def ppf(dist, u: float) -> float:
    """The distribution's inverse CDF by scipy (the empirical one by its cumulative weights)."""
    if isinstance(dist, Exponential):
        return float(stats.expon(scale=dist.mean_).ppf(u))
    if isinstance(dist, LogNormal):
        return float(stats.lognorm(s=dist.sigma, scale=dist.median).ppf(u))
    if isinstance(dist, Triangular):
        c = (dist.mode - dist.low) / (dist.high - dist.low)
        return float(stats.triang(c, loc=dist.low, scale=dist.high - dist.low).ppf(u))
    if isinstance(dist, Uniform):
        return float(stats.uniform(loc=dist.low, scale=dist.high - dist.low).ppf(u))
    w = np.asarray(dist.weights or [1.0] * len(dist.values))
    return float(dist.values[int(np.searchsorted(np.cumsum(w) / w.sum(), u, side="right"))])


@pytest.mark.parametrize("n", [1, 2, 5, 64, 150])
def test_draws_and_uniforms_follow_the_definition(n: int) -> None:
    dists = {"a": LogNormal(dist="lognormal", median=60, p90=240),
             "b": Triangular(dist="triangular", low=1, mode=2, high=5),
             "c": LogNormal(dist="lognormal", median=5, p90=9),
             "d": Exponential(dist="exponential", mean=30),
             "e": Uniform(dist="uniform", low=2, high=9),
             "f": Empirical(dist="empirical", values=[1, 5, 20]),
             "g": Empirical(dist="empirical", values=[1, 5, 20], weights=[1, 1, 3])}
    s = Streams(17, 3)
    draws = {e: s.draws("latency", e, d) for e, d in dists.items()}
    unis = {e: s.uniforms("reliability", e) for e in ("u", "v")}
    got: dict[str, list[float]] = {e: [] for e in (*dists, *unis)}
    for _ in range(n):  # interleaved
        for e, f in (*draws.items(), *unis.items()):
            got[e].append(f())
    for e, d in dists.items():
        want = [ppf(d, u) for u in reference_uniforms(17, 3, "latency", e, n)]
        assert got[e] == pytest.approx(want, rel=1e-12, abs=1e-12), e
    for e in unis:
        assert got[e] == reference_uniforms(17, 3, "reliability", e + "#coin", n), e


def test_a_stream_asked_for_again_goes_on_where_it_was() -> None:
    s = Streams(5, 1)
    d = LogNormal(dist="lognormal", median=60, p90=240)
    first = s.draws("duration", "x", d)()
    assert s.draws("duration", "x", d)() != first  # the second value, not the first again
    assert Streams(5, 1).draws("duration", "x", d)() == first  # the same seed: the same first value


def test_a_fixed_value_needs_no_stream_and_a_typo_in_a_purpose_is_refused() -> None:
    s = Streams(1, 0)
    f = s.draws("duration", "x", Fixed(dist="fixed", value=30))
    assert [f(), f()] == [30.0, 30.0] and isinstance(f(), float)
    with pytest.raises(KeyError):
        s.draws("durations", "x", Fixed(dist="fixed", value=30))
    with pytest.raises(KeyError):
        s.uniforms("relability", "x")


@pytest.mark.parametrize("seed", [0, 1, 7, 11, 2**32 - 1, 2**32, 2**40 + 5, 2**130 + 3, 123456789])
def test_base_key_is_numpys_seed_sequence(seed: int) -> None:
    """The replication's base key, hashed in plain integers (``rng.base_key``), is numpy's
    ``SeedSequence(seed, spawn_key=(replication,))`` state word for word — for seeds of one to five 32-bit
    words and replications beyond 32 bits — and the recorded 32-bit label is its first word."""
    from simulation.model.rng import base_key, replication_seed

    for r in (0, 1, 5, 399, 2**32 - 1, 2**33 + 7):
        ss = np.random.SeedSequence(seed, spawn_key=(r,))
        assert base_key(seed, r) == tuple(ss.generate_state(2, dtype=np.uint64).tolist()), (seed, r)
        assert replication_seed(seed, r) == int(ss.generate_state(1)[0])


def test_draw_is_draws_called_once_and_shares_its_stream() -> None:
    d = LogNormal(dist="lognormal", median=60, p90=240)
    a, b = Streams(9, 2), Streams(9, 2)
    # the stream goes on whichever way it is drawn: draw, draw, the callable, draw again
    one = [a.draw("duration", "t", d), a.draw("duration", "t", d), a.draws("duration", "t", d)(),
           a.draw("duration", "t", d)]
    f = b.draws("duration", "t", d)
    assert one == [f(), f(), f(), f()]
    assert a.draw("duration", "fixed", Fixed(dist="fixed", value=12)) == 12.0
    assert type(a.draw("duration", "fixed", Fixed(dist="fixed", value=12))) is float
    with pytest.raises(KeyError):
        a.draw("durations", "t", d)
    with pytest.raises(KeyError):
        a.draw("durations", "t", Fixed(dist="fixed", value=12))


def test_the_lognormal_quantile_is_the_standard_librarys_normal_quantile() -> None:
    """``LogNormal.quantile`` calls the C function behind ``statistics.NormalDist.inv_cdf`` directly: the same values
    to the bit, and the same refusal outside (0, 1)."""
    from statistics import NormalDist

    d = LogNormal(dist="lognormal", median=60, p90=240)
    rng = np.random.default_rng(3)
    for u in [*rng.random(2000).tolist(), 1e-300, 0.075, 0.5, 0.925, 1 - 2**-53]:
        assert d.quantile(u) == 60 * math.exp(math.log(240 / 60) / 1.2815515655446004 * NormalDist().inv_cdf(u))
    for u in (0.0, 1.0):
        with pytest.raises(ValueError):
            d.quantile(u)


def test_a_lognormal_copied_with_new_parameters_computes_its_sigma_again() -> None:
    """σ is cached on the distribution; a copy with another median or p90 must not keep the old one."""
    d = LogNormal(dist="lognormal", median=20, p90=60)
    first = d.quantile(0.3)  # σ cached
    e = d.model_copy(update={"median": 30})
    assert e.sigma == math.log(60 / 30) / 1.2815515655446004 != d.sigma
    assert e.quantile(0.3) == LogNormal(dist="lognormal", median=30, p90=60).quantile(0.3) != first
    assert d == LogNormal(dist="lognormal", median=20, p90=60) and "sigma" not in d.model_dump()
