"""Experiment designs for sweeps (试验设计): factors from ``--vary PATH=SPEC`` and the points they span.

A *factor* is one scenario field (any ``--set`` path; list items by index or ``id``) or the
arrangement itself, with a SPEC:

- a value list: ``[1, 2, 3]`` (YAML flow list, so values may be mappings) or ``a,b,c``;
- a range ``lo..hi``: continuous when a bound is written as a float (``0.5..0.9``, ``30.0..300``),
  integer when both bounds are integers (``1..4``); for ``grid`` a range needs levels: an integer
  range without ``:k`` takes every integer (at most 100 of them), otherwise ``lo..hi:k`` gives ``k`` evenly
  spaced levels
  (``30..300:4`` → 30, 120, 210, 300);
- ``arrangement=sectoral_lead,integrated_grid`` varies the responsibility arrangement.

Designs:

- ``grid`` — full factorial, last factor varying fastest;
- ``lhs`` — Latin hypercube (``scipy.stats.qmc.LatinHypercube``) of ``samples`` points;
- ``sobol`` — Saltelli's scheme as SALib lays it out (``SALib.sample.sobol.sample``, scrambled Sobol'
  sequence, ``calc_second_order=False``): ``samples`` = N base samples (a power of two) give
  N·(D+2) points in SALib's order, so ``SALib.analyze.sobol`` can compute first-order and total indices
  from the point means without any reordering.

lhs/sobol sample the unit cube and map each coordinate u to the factor: a continuous range to
lo + u·(hi−lo), an integer range to lo + ⌊u·(hi−lo+1)⌋, a value list to item ⌊u·k⌋ (each level
equally likely). The unit-cube draws are seeded from the sweep seed, so a design is reproducible.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from scenarios.errors import InputError, Problem
from scenarios.yamlsrc import load_text, to_plain

DesignKind = Literal["grid", "lhs", "sobol"]
DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol")
DEFAULT_SAMPLES = {"lhs": 32, "sobol": 64}
MAX_POINTS = 1_000_000
MAX_INTEGER_LEVELS = 100  # an integer range without :k takes every integer up to this many
VARY = "--vary"
_DESIGN_ENTROPY = 0x5EED_DE51  # keeps design draws apart from the per-point run seeds


def _err(expr: str, message: str) -> InputError:
    return InputError.one(VARY, None, expr, message)


@dataclass(frozen=True)
class Factor:
    """One varied field: a list of values or a numeric range (因素)."""

    path: str
    spec: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False
    steps: int | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def is_arrangement(self) -> bool:
        return self.path == "arrangement"

    @property
    def numeric(self) -> bool:
        return self.is_range or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.values)

    @property
    def expr(self) -> str:
        return f"{self.path}={self.spec}"

    def levels(self) -> list[Any]:
        """The grid levels of this factor."""
        if not self.is_range:
            return list(self.values)
        lo, hi = self.low, self.high
        if self.steps is None:
            if not self.integer:
                raise _err(self.expr, "a continuous range needs a number of levels for grid: lo..hi:k")
            if hi - lo + 1 > MAX_INTEGER_LEVELS:
                raise _err(self.expr, f"{int(hi - lo + 1)} integer levels is too many for grid; give a count: lo..hi:k")
            return list(range(int(lo), int(hi) + 1))
        xs = np.linspace(lo, hi, self.steps)
        if self.integer:
            return sorted({int(round(x)) for x in xs})
        return [float(x) for x in xs]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map unit-cube coordinates to values of this factor."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, np.nextafter(1.0, 0.0))
        if not self.is_range:
            idx = np.floor(u * len(self.values)).astype(int)
            return [self.values[i] for i in idx]
        if self.integer:
            span = int(self.high - self.low) + 1
            return [int(self.low) + int(k) for k in np.floor(u * span)]
        return [float(x) for x in self.low + u * (self.high - self.low)]

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "spec": self.spec}
        if self.is_range:
            d.update(low=self.low, high=self.high, integer=self.integer, steps=self.steps)
        else:
            d["values"] = list(self.values)
        return d


def _number(text: str) -> int | float | None:
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        x = float(t)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _scalar(text: str, expr: str) -> Any:
    value = to_plain(load_text(text.strip() or "null", VARY))
    if isinstance(value, (dict, list)):
        raise _err(expr, f"'{text.strip()}' is not a plain value; write the list as [..] to use mappings")
    return value


def parse_factor(expr: str) -> Factor:
    """Parse ``PATH=SPEC``; raise :class:`InputError` (one line naming ``--vary``) when malformed."""
    if "=" not in expr:
        raise _err(expr, "expected PATH=SPEC (e.g. horizon=7200,14400 or units.0.count=1..4)")
    path, spec = (s.strip() for s in expr.split("=", 1))
    if not path or any(not p for p in path.split(".")):
        raise _err(expr, "empty segment in path")
    if not spec:
        raise _err(expr, "empty SPEC: give values (a,b,c or [a, b]) or a range lo..hi")
    if spec.startswith("["):
        try:
            values = to_plain(load_text(spec, VARY))
        except InputError as e:
            raise _err(expr, f"cannot read the value list: {e.problems[0].message}") from None
        if not isinstance(values, list):
            raise _err(expr, "a value list must be a YAML flow list like [1, 2, 3]")
        return _values_factor(path, spec, values, expr)
    if ".." in spec:
        return _range_factor(path, spec, expr)
    return _values_factor(path, spec, [_scalar(item, expr) for item in spec.split(",")], expr)


def _values_factor(path: str, spec: str, values: list[Any], expr: str) -> Factor:
    if not values:
        raise _err(expr, "the value list is empty")
    seen = [json.dumps(v, sort_keys=True) for v in values]
    if len(set(seen)) != len(seen):
        raise _err(expr, "the value list repeats a value")
    if path == "arrangement" and not all(isinstance(v, str) and v for v in values):
        raise _err(expr, "arrangement values must be arrangement names or files")
    return Factor(path, spec, tuple(values))


def _range_factor(path: str, spec: str, expr: str) -> Factor:
    if path == "arrangement":
        raise _err(expr, "arrangement takes a list of names, not a range")
    body, steps = spec, None
    if ":" in spec:
        body, k = spec.rsplit(":", 1)
        if not k.strip().isdigit() or int(k) < 2:
            raise _err(expr, f"the level count after ':' must be an integer ≥ 2 (got '{k}')")
        steps = int(k)
    lo_s, _, hi_s = body.partition("..")
    lo, hi = _number(lo_s), _number(hi_s)
    if lo is None or hi is None:
        raise _err(expr, f"range bounds must be numbers (got '{lo_s.strip()}' and '{hi_s.strip()}')")
    if not lo < hi:
        raise _err(expr, f"range must have lo < hi (got {lo}..{hi})")
    integer = isinstance(lo, int) and isinstance(hi, int)
    return Factor(path, spec, low=lo, high=hi, integer=integer, steps=steps)


def parse_factors(exprs: Iterable[str | Factor]) -> list[Factor]:
    factors = [e if isinstance(e, Factor) else parse_factor(e) for e in exprs]
    if not factors:
        raise InputError.one(VARY, None, "", "give at least one --vary PATH=SPEC")
    paths = [f.path for f in factors]
    dup = next((p for p in paths if paths.count(p) > 1), None)
    if dup is not None:
        raise _err(dup, "this path is varied twice")
    return factors


@dataclass
class Design:
    """The points of a design: ``points[k]`` maps factor path → value for point ``k``."""

    kind: str
    factors: list[Factor]
    samples: int | None
    seed: int
    points: list[dict[str, Any]] = field(default_factory=list)
    calc_second_order: bool = False

    @property
    def names(self) -> list[str]:
        return [f.path for f in self.factors]

    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem over the unit cube the design was drawn from."""
        return {"num_vars": len(self.factors), "names": self.names, "bounds": [[0.0, 1.0]] * len(self.factors)}


def design_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, _DESIGN_ENTROPY]))


def make_design(factors: Sequence[Factor], kind: str = "grid", samples: int | None = None, seed: int = 0) -> Design:
    """Points of a ``grid``, ``lhs`` or ``sobol`` design over ``factors``."""
    if kind not in DESIGNS:
        raise InputError.one("--design", None, "", f"unknown design '{kind}' (choose: {', '.join(DESIGNS)})")
    factors = list(factors)
    if kind == "grid":
        levels = [f.levels() for f in factors]
        total = math.prod(len(lv) for lv in levels)
        if total > MAX_POINTS:
            raise InputError.one(
                "--vary", None, "", f"the grid has {total:,} points (more than {MAX_POINTS:,}); use lhs or fewer levels"
            )
        pts = [dict(zip((f.path for f in factors), combo)) for combo in itertools.product(*levels)]
        return Design(kind, factors, None, seed, pts)
    n = DEFAULT_SAMPLES[kind] if samples is None else samples
    if n < 1:
        raise InputError.one("--samples", None, "", f"must be at least 1 (got {n})")
    rng = design_rng(seed)
    if kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(factors), rng=rng).random(n)
    else:
        if n & (n - 1):
            up = 1 << (n - 1).bit_length()
            raise InputError.one("--samples", None, "", f"sobol needs a power of two base samples (got {n}; try {up})")
        from SALib.sample import sobol as salib_sobol

        d = Design(kind, factors, n, seed)
        unit = salib_sobol.sample(d.salib_problem(), n, calc_second_order=False, scramble=True,
                                  seed=int(rng.integers(2**31 - 1)))
    if unit.shape[0] > MAX_POINTS:
        raise InputError.one("--samples", None, "", f"{unit.shape[0]:,} points is more than {MAX_POINTS:,}")
    cols = [f.from_unit(unit[:, j]) for j, f in enumerate(factors)]
    pts = [{f.path: cols[j][i] for j, f in enumerate(factors)} for i in range(unit.shape[0])]
    return Design(kind, factors, n, seed, pts)


def point_seed(sweep_seed: int, point: int) -> int:
    """The run seed of one point: ``SeedSequence(sweep_seed, spawn_key=(point,))`` → 32 bits."""
    return int(np.random.SeedSequence(sweep_seed, spawn_key=(point,)).generate_state(1)[0])


def point_sets(point: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """(arrangement, ``--set`` expressions) that make a point's scenario; values written as JSON (valid YAML)."""
    arrangement = point.get("arrangement")
    sets = tuple(f"{p}={json.dumps(v, ensure_ascii=False)}" for p, v in point.items() if p != "arrangement")
    return arrangement, sets


def path_problems(problems: list[Problem], factor: Factor) -> list[Problem]:
    """The problems of a trial load that say the *path* is wrong (not the value): shown as ``--vary``."""
    bad = ("no such field", "no item", "cannot descend", "empty segment", "unknown field")
    out = []
    for p in problems:
        if p.file == "--set" and p.message.startswith(bad) or p.message == "unknown field":
            out.append(Problem(VARY, None, p.path or factor.path, p.message))
    return out
