"""Seeded, named random streams (随机数流).

One run seed → per replication a base key ``SeedSequence(seed, spawn_key=(replication,))``; every
purpose (detection, latency, durations, hazard …) and entity (a channel, a task, a desk) gets its own
stream, keyed by that base and a 128-bit BLAKE2 hash of ``purpose/entity``.
Every replication, purpose and entity thus draws from its own stream: two arrangements run with the
same seed see the same incidents and the same draws wherever their behaviour is the same (common
random numbers), and results never depend on how replications are spread over workers.

The engine's single draws (a duration, a latency, a desk's handling, a coin for loss or refusal) come from
*counter-based* streams (:class:`Draws`, :class:`Uniforms`): the stream's i-th value is SplitMix64 of
``key + i·γ``, its top 52 bits centred in (0, 1), put through the distribution's inverse CDF — a few integer
operations, no generator object. A coin stream (:meth:`Streams.uniforms`) is keyed apart from the value stream
of the same purpose and entity.
Bulk draws (a day's routine arrivals, the hazard loop) come from a Philox ``numpy`` generator of the same
purpose and entity (:meth:`Streams.generator`), keyed directly, without the OS-entropy gathering
``Philox(key=…)`` does for a seed it then discards (:class:`_Key`). Streams are created lazily, on their first
draw; a fixed value (``dist: fixed``) needs no stream at all; entity keys are hashed once per process
(:func:`_entity_key` is cached).

The counter-based streams replaced per-stream Philox generators on 2026-12-01 (issue 17): a deliberate change
of draws — every seeded figure changed once, and the documentation's figures were regenerated with it.
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


_WORDS: dict[tuple[str, str], int] = {}
"""``(purpose, entity)`` → :func:`_entity_word`, looked up with the tuple a stream is already filed under (an
``lru_cache`` would build and hash its own key: ~60 look-ups a replication). Bounded like that cache was."""


def _entity_word(purpose: str, entity: str, k: tuple[str, str] | None = None) -> int:
    """The entity's 128-bit hash folded to one 64-bit word (the counter-based stream's share of its key);
    ``k``: ``(purpose, entity)`` when the caller has it."""
    k = (purpose, entity) if k is None else k
    w = _WORDS.get(k)
    if w is None:
        if len(_WORDS) >= 1 << 16:
            _WORDS.clear()
        k0, k1 = _entity_key(purpose, entity)
        w = _WORDS[k] = k0 ^ k1
    return w


class _Key(ISeedSequence):
    """Hands ``Philox`` its key as the seed sequence's state: ``Philox(_Key(k))`` is ``Philox(key=k)``
    (counter 0) without the throw-away ``SeedSequence()`` that gathers OS entropy on every stream."""

    __slots__ = ("key",)

    def __init__(self, key: np.ndarray) -> None:
        self.key = key

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        assert n_words == 2 and dtype == np.uint64, "Philox asks for its 2 × 64-bit key"
        return self.key


# -- counter-based streams: SplitMix64 (Steele, Lea & Flood 2014; Vigna's splitmix64.c) ----------------------
# A stream's i-th value (i = 1, 2, …) is the SplitMix64 finaliser of ``key + i·γ``, turned into a uniform in
# (0, 1) and put through the distribution's inverse CDF. No generator object, no numpy call: a stream costs a
# few integer operations per value, and its values depend only on its key and its index (common random numbers
# per purpose and entity, whatever else was drawn). ``tests/validation/test_rng_counter.py`` checks the
# reference outputs, the distributions (KS against scipy) and the independence of neighbouring streams.
_M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
"""SplitMix64's increment: the odd integer nearest 2⁶⁴/φ."""
_C1, _C2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_UNIT = 2.0**-52


def splitmix64(z: int) -> int:
    """SplitMix64's output function (``mix64`` variant 13 of Stafford's finalisers) of a 64-bit word."""
    z = ((z ^ (z >> 30)) * _C1) & _M64
    z = ((z ^ (z >> 27)) * _C2) & _M64
    return z ^ (z >> 31)


def unit(z: int) -> float:
    """A uniform in the open interval (0, 1) from a 64-bit word: its top 52 bits, centred in their cell of width
    2⁻⁵² — exact in a double (k + ½ for k < 2⁵² needs 53 bits), so never 0 or 1 and the inverse CDF of an
    unbounded distribution is always finite. (53 bits centred would round to even above ½ and give 1.0 for the
    top word.)"""
    return ((z >> 12) + 0.5) * _UNIT


COIN = "#coin"
"""Suffix of a coin stream's entity (:meth:`Streams.uniforms`)."""


class Constant:
    """A fixed value's draws: no stream (most durations and delays of a scenario are fixed)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


_CONSTANTS: dict[float, Constant] = {}
"""Fixed values' :class:`Constant` by value (immutable, so shared by every replication; bounded)."""


class Draws:
    """Draws of one distribution from one named stream: the inverse CDF of the stream's next uniform."""

    __slots__ = ("_quantile", "_state")

    def __init__(self, dist: Distribution, key: int) -> None:
        self._quantile = dist.quantile
        self._state = key

    def __call__(self) -> float:
        z = self._state = (self._state + GAMMA) & _M64
        z = ((z ^ (z >> 30)) * _C1) & _M64  # splitmix64, inlined: this is the engine's hottest draw
        z = ((z ^ (z >> 27)) * _C2) & _M64
        return self._quantile((((z ^ (z >> 31)) >> 12) + 0.5) * _UNIT)


class Uniforms:
    """U(0, 1) draws from one named stream (reliability, detector coverage, refusals)."""

    __slots__ = ("_state",)

    def __init__(self, key: int) -> None:
        self._state = key

    def __call__(self) -> float:
        z = self._state = (self._state + GAMMA) & _M64
        z = ((z ^ (z >> 30)) * _C1) & _M64
        z = ((z ^ (z >> 27)) * _C2) & _M64
        return (((z ^ (z >> 31)) >> 12) + 0.5) * _UNIT


class Streams:
    """All named streams of one replication; created lazily, one per (purpose, entity)."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed, self.replication = seed, replication
        self._b0, self._b1 = base_key(seed, replication)  # as Python ints: XOR with an entity key costs no numpy call
        self._b = self._b0 ^ self._b1
        # A stream drawn only through :meth:`draw` (most are: one value a replication) is kept as its counter, an
        # int; :meth:`draws` turns it into a :class:`Draws` where it left off when a caller wants the callable.
        self._draws: dict[tuple[str, str], Draws | int] = {}
        self._unis: dict[tuple[str, str], Uniforms] = {}

    def generator(self, purpose: str, entity: str) -> np.random.Generator:
        """A ``numpy`` generator of its own for the stream ``purpose/entity`` — for bulk draws (a day's routine
        arrivals, the hazard loop): Philox keyed by the replication's base XOR the entity's hash."""
        _check(purpose)
        k0, k1 = _entity_key(purpose, entity)
        key = np.array((self._b0 ^ k0, self._b1 ^ k1), dtype=np.uint64)
        return np.random.Generator(np.random.Philox(_Key(key)))

    def key(self, purpose: str, entity: str) -> int:
        """The 64-bit key of the counter-based stream ``purpose/entity``: the replication's base and the entity's
        hash, each folded to 64 bits, XORed (the finaliser mixes every value drawn, so no further mixing is
        needed; two streams coincide only if their 64-bit keys differ by a multiple of γ within their length)."""
        return self._b ^ _entity_word(purpose, entity)

    def draws(self, purpose: str, entity: str, dist: Distribution) -> Draws | Constant:
        if type(dist) is Fixed:  # the value Fixed.sample would give, without a stream
            if purpose not in PURPOSES:
                _check(purpose)
            c = _CONSTANTS.get(dist.value)
            if c is None:  # one object per value: a replication asks for ~40 fixed values
                if len(_CONSTANTS) >= 4096:
                    _CONSTANTS.clear()
                c = _CONSTANTS[dist.value] = Constant(float(dist.value))
            return c
        k = (purpose, entity)
        d = self._draws.get(k)
        if d is None:
            _check(purpose)
            d = self._draws[k] = Draws(dist, self._b ^ _entity_word(purpose, entity, k))  # self.key, inlined
        elif type(d) is int:  # drawn so far by draw(): the callable goes on from that counter
            d = self._draws[k] = Draws(dist, d)
        return d

    def draw(self, purpose: str, entity: str, dist: Distribution) -> float:
        """The next value of the stream ``purpose/entity`` — ``draws(purpose, entity, dist)()``, for the many
        streams a replication draws once (a task's duration, a decision): ``draws`` written out, one call fewer."""
        if type(dist) is Fixed:  # Constant(…)() without the object
            if purpose not in PURPOSES:
                _check(purpose)
            return float(dist.value)
        k = (purpose, entity)
        z = self._draws.get(k)
        if z is None:
            _check(purpose)
            z = self._b ^ _entity_word(purpose, entity, k)  # self.key, with the tuple the stream is filed under
        elif type(z) is not int:
            return z()
        z = self._draws[k] = (z + GAMMA) & _M64  # Draws.__call__ on the counter kept as an int
        z = ((z ^ (z >> 30)) * _C1) & _M64
        z = ((z ^ (z >> 27)) * _C2) & _M64
        return dist.quantile((((z ^ (z >> 31)) >> 12) + 0.5) * _UNIT)

    def uniforms(self, purpose: str, entity: str) -> Uniforms:
        """The coin stream of ``purpose/entity`` — keyed as ``purpose/entity#coin``, never the key of a value
        stream of the same name: a detector's coin (does it notice?) and its delay must not share their uniforms
        (they did until 2026-12-01: a detector that noticed always drew its delay from the lowest part of its
        distribution)."""
        k = (purpose, entity)
        u = self._unis.get(k)
        if u is None:
            _check(purpose)
            u = self._unis[k] = Uniforms(self.key(purpose, entity + COIN))
        return u
