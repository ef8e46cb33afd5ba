"""Seeded, named random streams (随机数流).

One run seed → per replication a base key ``SeedSequence(seed, spawn_key=(replication,))``; every
purpose (detection, latency, durations, hazard …) and entity (a channel, a task, a desk) gets its own
counter-based Philox generator keyed by that base XOR a 128-bit BLAKE2 hash of ``purpose/entity``.
Every replication, purpose and entity thus draws from its own stream: two arrangements run with the
same seed see the same incidents and the same draws wherever their behaviour is the same (common
random numbers), and results never depend on how replications are spread over workers.

Streams are created lazily, on their first draw: most entities of a large scenario never draw.
"""

from __future__ import annotations

import hashlib

import numpy as np

from scenarios.distributions import Distribution

PURPOSES = frozenset({"detection", "latency", "reliability", "desk", "decision", "turnout", "duration", "hazard",
                      "verify", "stream", "work_order", "access"})
"""The purposes a stream may be drawn for (a typo in a purpose is an error, not a new stream)."""


def replication_seed(seed: int, replication: int) -> int:
    """A 32-bit label of one replication's randomness, recorded in the outputs."""
    return int(np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(1)[0])


def _entity_key(purpose: str, entity: str) -> np.ndarray:
    digest = hashlib.blake2b(f"{purpose}/{entity}".encode(), digest_size=16).digest()
    return np.frombuffer(digest, dtype=np.uint64)


class Draws:
    """Buffered draws of one distribution from one named stream.

    The generator is made on the first draw; the buffer starts small (most streams draw once or twice
    per replication) and grows to 64, keeping ``numpy`` call overhead off the engine's hot path.
    """

    __slots__ = ("_dist", "_streams", "_purpose", "_entity", "_rng", "_buf", "_i", "_size")

    def __init__(self, dist: Distribution, streams: Streams, purpose: str, entity: str) -> None:
        self._dist, self._streams, self._purpose, self._entity = dist, streams, purpose, entity
        self._rng: np.random.Generator | None = None
        self._buf: list[float] = []
        self._i, self._size = 0, 4

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            if self._rng is None:
                self._rng = self._streams.generator(self._purpose, self._entity)
            self._buf = self._dist.sample(self._rng, self._size).tolist()
            self._size = min(self._size * 4, 64)
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v


class Uniforms:
    """Buffered U(0,1) draws (for reliability and detector coverage)."""

    __slots__ = ("_rng", "_buf", "_i")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng, self._buf, self._i = rng, [], 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.random(64).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v


class Streams:
    """All named streams of one replication; created lazily, one per (purpose, entity)."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed, self.replication = seed, replication
        self._base = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(2, dtype=np.uint64)
        self._draws: dict[tuple[str, str], Draws] = {}
        self._unis: dict[tuple[str, str], Uniforms] = {}

    def generator(self, purpose: str, entity: str) -> np.random.Generator:
        if purpose not in PURPOSES:
            raise KeyError(f"unknown random-stream purpose {purpose!r} (known: {', '.join(sorted(PURPOSES))})")
        return np.random.Generator(np.random.Philox(key=self._base ^ _entity_key(purpose, entity)))

    def draws(self, purpose: str, entity: str, dist: Distribution) -> Draws:
        k = (purpose, entity)
        d = self._draws.get(k)
        if d is None:
            d = self._draws[k] = Draws(dist, self, purpose, entity)
        return d

    def uniforms(self, purpose: str, entity: str) -> Uniforms:
        k = (purpose, entity)
        u = self._unis.get(k)
        if u is None:
            u = self._unis[k] = Uniforms(self.generator(purpose, entity))
        return u
