"""Scenario discovery with PRIM (情景发现; Friedman & Fisher 1999): where in factor space a metric misses
its target. Targets are requirements like ``"<=600"`` (:func:`parse_target`, :func:`misses`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from scenarios.errors import InputError

_TARGET = re.compile(r"^\s*(<=|>=|<|>)?\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_target(text: str) -> tuple[str, float]:
    """``"600"`` or ``"<=600"`` (the metric should stay at or below 600), ``">=0.9"``, ``"<"``, ``">"``."""
    m = _TARGET.match(str(text))
    if not m:
        raise InputError.one("--target", None, "", f"expected a number with an optional <=, <, >= or > (got '{text}')")
    return m.group(1) or "<=", float(m.group(2))


def misses(y: np.ndarray, target: tuple[str, float]) -> np.ndarray:
    """True where a value misses the target."""
    op, t = target
    ok = {"<=": y <= t, "<": y < t, ">=": y >= t, ">": y > t}[op]
    return ~ok



# -- PRIM -------------------------------------------------------------------------------------------------


@dataclass
class Box:
    """A PRIM box: numeric limits and allowed categories; only restricted factors appear."""

    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    allowed: dict[str, list[Any]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # the data's own range, for display

    def bounds(self, c: str) -> tuple[float | None, float | None]:
        """The restricted side(s) of a numeric limit; None where the box reaches the data's edge."""
        lo, hi = self.limits[c]
        rlo, rhi = self.ranges.get(c, (None, None))
        return (None if lo == rlo else lo), (None if hi == rhi else hi)

    def contains(self, X: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(X), dtype=bool)
        for c, (lo, hi) in self.limits.items():
            x = X[c].to_numpy(dtype=float)
            inside &= (x >= lo) & (x <= hi)
        for c, vals in self.allowed.items():
            inside &= X[c].isin(vals).to_numpy()
        return inside

    def rule(self) -> str:
        parts = []
        for c in self.limits:
            lo, hi = self.bounds(c)
            parts.append(f"{c} ≥ {lo:g}" if hi is None else f"{c} ≤ {hi:g}" if lo is None else f"{lo:g} ≤ {c} ≤ {hi:g}")
        parts += [f"{c} ∈ {{{', '.join(map(str, v))}}}" for c, v in self.allowed.items()]
        return " and ".join(parts) or "(everywhere)"


@dataclass
class PrimResult:
    boxes: pd.DataFrame  # one row per (box, restricted factor)
    summary: pd.DataFrame  # one row per box: rule, coverage, density, mass
    trajectory: pd.DataFrame  # every peel of every box
    found: list[Box]


def _peel_candidates(X: pd.DataFrame, inside: np.ndarray, alpha: float) -> list[tuple[np.ndarray, str, Any]]:
    import pandas as pd

    cands = []
    for c in X.columns:
        col = X[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            x = col.to_numpy(dtype=float)
            xsort = np.sort(x[inside])
            xs = np.unique(xsort)
            if xs.size < 2:
                continue
            k = max(1, int(np.ceil(alpha * xsort.size)))
            lo_cut = max(xsort[min(k, xsort.size - 1)], xs[1])  # ties at the minimum: drop the lowest level
            hi_cut = min(xsort[max(xsort.size - 1 - k, 0)], xs[-2])
            cands.append((inside & (x >= lo_cut), c, ("lo", float(lo_cut))))
            cands.append((inside & (x <= hi_cut), c, ("hi", float(hi_cut))))
        else:
            present = pd.unique(col[inside])
            if len(present) < 2:
                continue
            for v in present:
                cands.append((inside & (col != v).to_numpy(), c, ("drop", v)))
    return cands


def _apply(box: Box, X: pd.DataFrame, c: str, move: tuple[str, Any]) -> Box:
    import pandas as pd

    limits, allowed = dict(box.limits), {k: list(v) for k, v in box.allowed.items()}
    ranges = dict(box.ranges)
    kind, v = move
    if kind in ("lo", "hi"):
        x = X[c].to_numpy(dtype=float)
        ranges.setdefault(c, (float(np.min(x)), float(np.max(x))))
        lo, hi = limits.get(c, ranges[c])
        limits[c] = (v, hi) if kind == "lo" else (lo, v)
    else:
        cur = allowed.get(c, list(pd.unique(X[c])))
        allowed[c] = [u for u in cur if u != v]
    return Box(limits, allowed, ranges)


def _one_box(X: pd.DataFrame, miss: np.ndarray, active: np.ndarray, total_miss: int, alpha: float,
             min_mass: float, threshold: float | None, box_id: int) -> tuple[Box, list[dict]]:
    n = len(X)
    inside, box = active.copy(), Box()
    traj = [(box, inside)]
    while True:
        best = None
        for cand, c, move in _peel_candidates(X, inside, alpha):
            k = int(cand.sum())
            if k == 0 or k / n < min_mass:
                continue
            score = (miss[cand].mean(), k)
            if best is None or score > best[0]:
                best = (score, cand, c, move)
        if best is None:
            break
        _, inside, c, move = best
        box = _apply(box, X, c, move)
        traj.append((box, inside))
    rows = []
    for step, (b, ins) in enumerate(traj):
        tp = int(miss[ins].sum())
        rows.append(
            {
                "box": box_id,
                "step": step,
                "coverage": tp / max(total_miss, 1),
                "density": tp / max(int(ins.sum()), 1),
                "mass": ins.sum() / n,
                "restricted": len(b.limits) + len(b.allowed),
                "rule": b.rule(),
            }
        )
    if threshold is not None:
        ok = [r for r in rows if r["density"] >= threshold]
        pick = max(ok, key=lambda r: (r["coverage"], -r["step"])) if ok else max(rows, key=lambda r: r["density"])
    else:  # balance coverage and density: their product peaks where the box fits the misses
        pick = max(rows, key=lambda r: (r["coverage"] * r["density"], -r["step"]))
    for r in rows:
        r["chosen"] = r is pick
    return traj[pick["step"]][0], rows


def prim(X: pd.DataFrame, miss: Sequence[bool], *, alpha: float = 0.05, min_mass: float = 0.05,
         threshold: float | None = None, max_boxes: int = 3) -> PrimResult:
    """Patient Rule Induction Method: boxes of factor space where ``miss`` is concentrated.

    Peeling removes the ``alpha`` share of in-box points from one face (numeric factors) or one category
    at a time, keeping the peel with the highest miss share, until the box holds < ``min_mass`` of the
    points. The box kept is the one on the peeling path that maximises coverage × density (or, given
    ``threshold``, the largest coverage with density ≥ threshold). Points in a box are then set aside and
    the next box is sought (covering) while it is still mostly misses (density ≥ 0.5).
    """
    import pandas as pd

    miss = np.asarray(miss, dtype=bool)
    X = X.reset_index(drop=True)
    total = int(miss.sum())
    active = np.ones(len(X), dtype=bool)
    found, traj, box_rows, summary = [], [], [], []
    for b in range(1, max_boxes + 1):
        rest = int(miss[active].sum())
        if rest < 2 or active.sum() / len(X) < min_mass:
            break
        box, rows = _one_box(X, miss, active, total, alpha, min_mass, threshold, b)
        ins = box.contains(X) & active
        density = miss[ins].mean() if ins.any() else 0.0
        if found and (density < 0.5 or miss[ins].sum() < 2):  # later boxes must still be mostly misses
            break
        traj += rows
        found.append(box)
        summary.append({"box": b, "rule": box.rule(), "coverage": miss[ins].sum() / max(total, 1), "density": density,
                        "mass": ins.sum() / len(X), "points": int(ins.sum())})
        for c in box.limits:
            lo, hi = box.bounds(c)
            box_rows.append({"box": b, "factor": c, "low": lo, "high": hi, "values": None})
        for c, vals in box.allowed.items():
            box_rows.append({"box": b, "factor": c, "low": None, "high": None, "values": ", ".join(map(str, vals))})
        active &= ~ins
    cols = ["box", "factor", "low", "high", "values"]
    return PrimResult(pd.DataFrame(box_rows, columns=cols), pd.DataFrame(summary), pd.DataFrame(traj), found)
