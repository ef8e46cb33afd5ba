"""Seeded, named random streams (随机数流).

One run seed → ``SeedSequence(seed, spawn_key=(replication, purpose, entity))``: every replication,
every purpose (detection, latency, durations, hazard …) and every entity (a channel, a task, a desk)
draws from its own generator. Two arrangements run with the same seed therefore see the same
incidents and the same draws wherever their behaviour is the same (common random numbers), and results
never depend on how replications are spread over workers.
"""

from __future__ import annotations

import zlib

import numpy as np

from scenarios.distributions import Distribution

PURPOSES = {"onset": 1, "detection": 2, "latency": 3, "reliability": 4, "desk": 5, "decision": 6,
            "turnout": 7, "duration": 8, "hazard": 9, "verify": 10, "stream": 11, "escalation": 12}


def replication_seed(seed: int, replication: int) -> int:
    """A 32-bit label of one replication's randomness, recorded in the outputs."""
    return int(np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(1)[0])


def _key(entity: str) -> int:
    return zlib.crc32(entity.encode("utf-8"))


class Draws:
    """Buffered draws of one distribution from one named stream (refilled 64 at a time).

    The buffer keeps ``numpy`` call overhead off the engine's hot path: a draw is a list index.
    """

    __slots__ = ("_dist", "_rng", "_buf", "_i")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._dist, self._rng, self._buf, self._i = dist, rng, [], 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._dist.sample(self._rng, 64).tolist()
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
        self._draws: dict[tuple[str, str], Draws] = {}
        self._unis: dict[tuple[str, str], Uniforms] = {}

    def generator(self, purpose: str, entity: str) -> np.random.Generator:
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, PURPOSES[purpose], _key(entity)))
        return np.random.Generator(np.random.PCG64(ss))

    def draws(self, purpose: str, entity: str, dist: Distribution) -> Draws:
        k = (purpose, entity)
        d = self._draws.get(k)
        if d is None:
            d = self._draws[k] = Draws(dist, self.generator(purpose, entity))
        return d

    def uniforms(self, purpose: str, entity: str) -> Uniforms:
        k = (purpose, entity)
        u = self._unis.get(k)
        if u is None:
            u = self._unis[k] = Uniforms(self.generator(purpose, entity))
        return u
