"""Seeded, named random streams (随机数流).

One run seed → per replication a base key ``SeedSequence(seed, spawn_key=(replication,))``; every
purpose (detection, latency, durations, hazard …) and entity (a channel, a task, a desk) gets its own
counter-based Philox generator keyed by that base XOR a 128-bit BLAKE2 hash of ``purpose/entity``.
Every replication, purpose and entity thus draws from its own stream: two arrangements run with the
same seed see the same incidents and the same draws wherever their behaviour is the same (common
random numbers), and results never depend on how replications are spread over workers.

Streams are created lazily, on their first draw: most entities of a large scenario never draw. A fixed
value (``dist: fixed``) needs no stream at all: :meth:`Streams.draws` hands back the constant. Keys are
hashed once per process (:func:`_entity_key` is cached) and a generator is keyed directly, without the
OS-entropy gathering ``Philox(key=…)`` does for a seed it then discards (:class:`_Key`) — the same
generator state, bit for bit. Most streams draw once per replication: that value comes from one scratch
generator re-keyed to the stream (:meth:`Streams.scratch`), as a single scalar draw where the distribution
allows; only a stream that needs more gets a generator of its own (``tests/unit/test_rng_streams.py`` checks
the draws against the original definition).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from scenarios.distributions import Distribution, Fixed

PURPOSES = frozenset({"detection", "latency", "reliability", "desk", "decision", "turnout", "duration", "hazard",
                      "verify", "stream", "work_order", "access"})
"""The purposes a stream may be drawn for (a typo in a purpose is an error, not a new stream)."""


def _check(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise KeyError(f"unknown random-stream purpose {purpose!r} (known: {', '.join(sorted(PURPOSES))})")


def replication_seed(seed: int, replication: int) -> int:
    """A 32-bit label of one replication's randomness, recorded in the outputs."""
    return base_key(seed, replication)[0] & _M32


# -- the replication's base key: numpy's SeedSequence(seed, spawn_key=(replication,)), in plain integers --------
# numpy's SeedSequence (O'Neill's ``seed_seq_fe`` of randutils, numpy/random/bit_generator.pyx) hashes the
# entropy into a pool of four 32-bit words, then draws the state from the pool. The seed's share of the pool
# does not depend on the replication, so it is mixed once per seed; each replication mixes in its spawn key
# and draws the 2 × 64-bit key — ~10 µs against ~30 µs for numpy's object and its ``errstate`` wrapper.
# ``tests/unit/test_rng_streams.py`` compares the result with numpy's for many seeds and replications.
_M32 = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715


def _words(n: int) -> list[int]:
    """``n`` as little-endian 32-bit words (0 is one word), as SeedSequence reads an integer."""
    out = []
    while True:
        out.append(n & _M32)
        n >>= 32
        if not n:
            return out


def _hashmix(value: int, h: int, mult: int) -> tuple[int, int]:
    """SeedSequence's ``hashmix``: the mixed value and the next hash constant."""
    v = value ^ h
    h = (h * mult) & _M32
    v = (v * h) & _M32
    return v ^ (v >> 16), h


def _mix(pool: list[int], d: int, v: int) -> None:
    """SeedSequence's ``mix(pool[d], v)`` in place."""
    r = (_MIX_L * pool[d] - _MIX_R * v) & _M32
    pool[d] = r ^ (r >> 16)


def _mix_in(pool: list[int], word: int, h: int) -> int:
    """SeedSequence's ``mix(pool[d], hashmix(word))`` into every word of the pool; the new hash constant."""
    for d in range(4):
        v, h = _hashmix(word, h, _MULT_A)
        _mix(pool, d, v)
    return h


@lru_cache(maxsize=64)
def _seed_pool(seed: int) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
    """The pool after the seed's first four words and their cross-mixing, the hash constant, the seed's other words."""
    run = _words(seed)
    run += [0] * (4 - len(run))  # padded to the pool size, as SeedSequence does when a spawn key follows
    h, pool = _INIT_A, []
    for i in range(4):
        v, h = _hashmix(run[i], h, _MULT_A)
        pool.append(v)
    for src in range(4):
        for d in range(4):
            if src != d:
                v, h = _hashmix(pool[src], h, _MULT_A)
                _mix(pool, d, v)
    return tuple(pool), h, tuple(run[4:])


def base_key(seed: int, replication: int) -> tuple[int, int]:
    """``SeedSequence(seed, spawn_key=(replication,)).generate_state(2, dtype=np.uint64)`` as two Python ints."""
    if type(seed) is not int or type(replication) is not int or seed < 0 or replication < 0:
        b0, b1 = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(2, dtype=np.uint64).tolist()
        return b0, b1
    start, h, extra = _seed_pool(seed)
    pool = list(start)
    for word in (*extra, *_words(replication)):
        h = _mix_in(pool, word, h)
    h, st = _INIT_B, []
    for i in range(4):
        v, h = _hashmix(pool[i], h, _MULT_B)
        st.append(v)
    return st[0] | st[1] << 32, st[2] | st[3] << 32


@lru_cache(maxsize=1 << 16)
def _entity_key(purpose: str, entity: str) -> tuple[int, int]:
    """The 128-bit key of ``purpose/entity`` as two 64-bit words (little-endian, as ``np.uint64`` reads them)."""
    digest = hashlib.blake2b(f"{purpose}/{entity}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


class _Key(ISeedSequence):
    """Hands ``Philox`` its key as the seed sequence's state: ``Philox(_Key(k))`` is ``Philox(key=k)``
    (counter 0) without the throw-away ``SeedSequence()`` that gathers OS entropy on every stream."""

    __slots__ = ("key",)

    def __init__(self, key: np.ndarray) -> None:
        self.key = key

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        assert n_words == 2 and dtype == np.uint64, "Philox asks for its 2 × 64-bit key"
        return self.key


FIRST = 4
"""Size of a stream's first buffer of draws, for a distribution without a single ``draw`` (Empirical)."""

_ZERO4 = (0, 0, 0, 0)


class Constant:
    """A fixed value's draws: no stream, no buffer (most durations and delays of a scenario are fixed)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


class Draws:
    """Buffered draws of one distribution from one named stream.

    Most streams draw once or a few times per replication. Their first values come from the replication's
    scratch generator re-keyed to this stream (:meth:`Streams.scratch`: ~1 µs, against ~10 µs to build a
    generator): the very first as one scalar draw where the distribution offers ``draw`` (its values do not
    depend on how many are drawn at once), then a first buffer of :data:`FIRST` (drawn again from the
    stream's start; the value already used is skipped). A stream that needs more gets a generator of its
    own, which replays that first buffer to reach the same point of the stream, then draws in buffers of 16
    and 64 (``numpy`` call overhead off the hot path) — the same values, bit for bit.
    """

    __slots__ = ("_dist", "_streams", "_purpose", "_entity", "_one", "_rng", "_buf", "_i", "_size", "_stage")

    def __init__(self, dist: Distribution, streams: Streams, purpose: str, entity: str) -> None:
        self._dist, self._streams, self._purpose, self._entity = dist, streams, purpose, entity
        self._one = getattr(dist, "draw", None)  # one value without an array (sequential distributions)
        self._rng: np.random.Generator | None = None
        self._buf: list[float] = []
        self._i, self._size = 0, 16
        self._stage = 0 if self._one is not None else 1  # 0: the first value next, as a scalar draw

    def __call__(self) -> float:
        i = self._i
        if i < len(self._buf):
            self._i = i + 1
            return self._buf[i]
        return self._more()

    def _more(self) -> float:
        stage = self._stage
        if stage < 2:  # from the stream's start on the scratch generator: one value, then the first buffer
            self._stage = stage + 1
            scratch = self._streams.scratch(self._purpose, self._entity)
            if stage == 0:
                return self._one(scratch)  # type: ignore[misc]
            self._buf = self._dist.sample(scratch, FIRST).tolist()
            self._i = 1 + (self._one is not None)  # past the scalar already used, if there was one
            return self._buf[self._i - 1]
        rng = self._rng
        if rng is None:
            rng = self._rng = self._streams.generator(self._purpose, self._entity)
            self._dist.sample(rng, FIRST)  # replay the first buffer (drawn on the scratch generator)
        self._buf, self._i = self._dist.sample(rng, self._size).tolist(), 1
        self._size = 64
        return self._buf[0]


class Uniforms:
    """Buffered U(0,1) draws (for reliability and detector coverage), as :class:`Draws` does: the first value
    as one scalar draw on the scratch generator, then a first buffer of 64 there, then a generator of its own
    (replaying that buffer) in buffers of 64."""

    __slots__ = ("_streams", "_purpose", "_entity", "_rng", "_buf", "_i", "_stage")

    def __init__(self, streams: Streams, purpose: str, entity: str) -> None:
        self._streams, self._purpose, self._entity = streams, purpose, entity
        self._rng: np.random.Generator | None = None
        self._buf: list[float] = []
        self._i = self._stage = 0

    def __call__(self) -> float:
        i = self._i
        if i < len(self._buf):
            self._i = i + 1
            return self._buf[i]
        stage = self._stage
        if stage < 2:
            self._stage = stage + 1
            scratch = self._streams.scratch(self._purpose, self._entity)
            if stage == 0:
                return scratch.random()
            self._buf, self._i = scratch.random(64).tolist(), 2  # past the first value, already used
            return self._buf[1]
        rng = self._rng
        if rng is None:
            rng = self._rng = self._streams.generator(self._purpose, self._entity)
            rng.random(64)  # replay the first buffer
        self._buf, self._i = rng.random(64).tolist(), 1
        return self._buf[0]


class Streams:
    """All named streams of one replication; created lazily, one per (purpose, entity)."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed, self.replication = seed, replication
        self._b0, self._b1 = base_key(seed, replication)  # as Python ints: XOR with an entity key costs no numpy call
        self._draws: dict[tuple[str, str], Draws] = {}
        self._unis: dict[tuple[str, str], Uniforms] = {}
        self._scratch_bits: np.random.Philox | None = None
        self._scratch: np.random.Generator | None = None

    def generator(self, purpose: str, entity: str) -> np.random.Generator:
        """A generator of its own for the stream ``purpose/entity``, at the stream's start."""
        _check(purpose)
        return np.random.Generator(np.random.Philox(_Key(np.array(self._key(purpose, entity), dtype=np.uint64))))

    def _key(self, purpose: str, entity: str) -> tuple[int, int]:
        """The stream's Philox key: the replication's base XOR the entity's hash."""
        k0, k1 = _entity_key(purpose, entity)
        return self._b0 ^ k0, self._b1 ^ k1

    def scratch(self, purpose: str, entity: str) -> np.random.Generator:
        """The replication's one scratch generator, set to the start of stream ``purpose/entity`` — for a
        draw used at once (the next call re-keys it): the state a fresh ``Philox(key=…)`` has, without
        building one. (``purpose`` was checked when the stream's :class:`Draws` or :class:`Uniforms` was made.)"""
        key = self._key(purpose, entity)
        if self._scratch_bits is None:
            self._scratch_bits = np.random.Philox(_Key(np.array(key, dtype=np.uint64)))
            self._scratch = np.random.Generator(self._scratch_bits)
        else:  # plain ints and tuples: the state setter indexes them far faster than numpy arrays
            self._scratch_bits.state = {"bit_generator": "Philox", "state": {"counter": _ZERO4, "key": key},
                                        "buffer": _ZERO4, "buffer_pos": 4, "has_uint32": 0, "uinteger": 0}
        return self._scratch  # type: ignore[return-value]

    def draws(self, purpose: str, entity: str, dist: Distribution) -> Draws | Constant:
        if type(dist) is Fixed:  # the value Fixed.sample would give, without a stream
            _check(purpose)
            return Constant(float(dist.value))
        k = (purpose, entity)
        d = self._draws.get(k)
        if d is None:
            _check(purpose)
            d = self._draws[k] = Draws(dist, self, purpose, entity)
        return d

    def uniforms(self, purpose: str, entity: str) -> Uniforms:
        k = (purpose, entity)
        u = self._unis.get(k)
        if u is None:
            _check(purpose)
            u = self._unis[k] = Uniforms(self, purpose, entity)
        return u
