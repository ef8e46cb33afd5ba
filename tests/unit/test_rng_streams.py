"""Named streams give the draws a generator of their own would give (issue 17: speed without new draws).

The reference is the stream as first defined: ``Generator(Philox(key=base ^ BLAKE2(purpose/entity)))``,
drawn in buffers of 4, 16, 64, 64 … (``Draws``) or 64 (``Uniforms``). The engine now draws each stream's
first values (a single scalar draw where the distribution has ``draw``, then a first buffer) on one scratch
generator re-keyed per stream and builds a stream's own generator only for more, replaying the first; fixed
values draw from no stream. Streams are drawn interleaved, so a
re-keyed scratch generator that leaked state from one stream into another would show.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from scenarios.distributions import Empirical, Exponential, Fixed, LogNormal, Triangular, Uniform
from simulation.model.rng import Streams


def reference(seed: int, replication: int, purpose: str, entity: str) -> np.random.Generator:
    base = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(2, dtype=np.uint64)
    digest = hashlib.blake2b(f"{purpose}/{entity}".encode(), digest_size=16).digest()
    return np.random.Generator(np.random.Philox(key=base ^ np.frombuffer(digest, dtype=np.uint64)))


def reference_draws(rng: np.random.Generator, dist, n: int) -> list[float]:
    out, size = [], 4
    while len(out) < n:
        out += dist.sample(rng, size).tolist()
        size = min(size * 4, 64)
    return out[:n]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 20, 21, 64, 65, 150])
def test_draws_and_uniforms_equal_a_generator_of_their_own(n: int) -> None:
    dists = {"a": LogNormal(dist="lognormal", median=60, p90=240),
             "b": Triangular(dist="triangular", low=1, mode=2, high=5),
             "c": LogNormal(dist="lognormal", median=5, p90=9),
             # a first value as a single draw (``draw``) and an Empirical choice (a first buffer): both paths
             "d": Exponential(dist="exponential", mean=30),
             "e": Uniform(dist="uniform", low=2, high=9),
             "f": Empirical(dist="empirical", values=[1, 5, 20]),
             "g": Empirical(dist="empirical", values=[1, 5, 20], weights=[1, 1, 3])}
    s = Streams(17, 3)
    draws = {e: s.draws("latency", e, d) for e, d in dists.items()}
    unis = {e: s.uniforms("reliability", e) for e in ("u", "v")}
    got: dict[str, list[float]] = {e: [] for e in (*dists, *unis)}
    for _ in range(n):  # interleaved: every call may re-key the scratch generator
        for e, f in (*draws.items(), *unis.items()):
            got[e].append(f())
    for e, d in dists.items():
        assert got[e] == reference_draws(reference(17, 3, "latency", e), d, n), e
    for e in unis:
        rng = reference(17, 3, "reliability", e)
        want = [v for _ in range(-(-n // 64)) for v in rng.random(64).tolist()][:n]
        assert got[e] == want, e


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
