"""Validation of the sweep analysis against functions whose answers are known.

Sobol' indices: the Ishigami function f(x) = sin x1 + a sin² x2 + b x3⁴ sin x1, xi ~ U(−π, π), with
a = 7, b = 0.1 (Ishigami & Homma 1990, "An importance quantification technique in uncertainty analysis
for computer models", ISUMA '90; values tabulated in Saltelli et al. 2008, *Global Sensitivity
Analysis: The Primer*, Wiley, §4.6): S1 = 0.3139, 0.4424, 0 and ST = 0.5576, 0.4424, 0.2437.
The analytic variances are recomputed below from the closed form, so the quoted figures are checked too.

Tornado and PRIM: synthetic functions with a known answer (a linear/product model on a grid; a miss
region that is an axis-aligned box).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.analysis import misses, parse_target, prim, sobol_indices, tornado
from simulation.experiments.designs import make_design, parse_factors

A, B = 7.0, 0.1
PI = math.pi


def ishigami_truth() -> tuple[np.ndarray, np.ndarray]:
    v1 = 0.5 * (1 + B * PI**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * PI**8 * (1 / 18 - 1 / 50)
    v = A**2 / 8 + B * PI**4 / 5 + B**2 * PI**8 / 18 + 0.5
    return np.array([v1 / v, v2 / v, 0.0]), np.array([(v1 + v13) / v, v2 / v, v13 / v])


def test_closed_form_matches_published_values() -> None:
    s1, st = ishigami_truth()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sobol_indices_of_ishigami(seed: int) -> None:
    """N = 4096 base samples (20,480 evaluations) through the sweep's own sobol design and analysis.

    Tolerance: each estimate must lie within its own 95 % bootstrap half-width of the analytic value
    (at this N the half-widths are 0.014–0.044; scrambled Sobol' points usually do better than that
    Monte-Carlo bound), and within 0.05 absolutely, which is tight enough that swapping any two factors'
    indices, or missing x3's pure interaction (S1 ≈ 0, ST ≈ 0.24), fails.
    """
    factors = parse_factors([f"x{i}={-PI!r}..{PI!r}" for i in (1, 2, 3)])
    design = make_design(factors, "sobol", 4096, seed)
    assert len(design.points) == 4096 * (3 + 2)
    x = np.array([[p[f.path] for f in factors] for p in design.points])
    assert x.min() >= -PI and x.max() <= PI
    y = np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])
    df = sobol_indices(y, [f.path for f in factors], seed=seed)
    s1, st = ishigami_truth()
    for est, conf, truth in ((df["S1"], df["S1_conf"], s1), (df["ST"], df["ST_conf"], st)):
        err = np.abs(est.to_numpy() - truth)
        assert (err <= conf.to_numpy()).all(), (est.to_numpy(), truth, conf.to_numpy())
        assert (err <= 0.05).all()
        assert (conf.to_numpy() < 0.06).all()  # the tolerance itself is meaningful


def test_sobol_design_is_seeded() -> None:
    factors = parse_factors(["x=0.0..1.0", "y=a,b,c", "z=1..4"])
    d1, d2, d3 = (make_design(factors, "sobol", 16, s) for s in (5, 5, 6))
    assert d1.points == d2.points and d1.points != d3.points
    assert {p["y"] for p in d1.points} == {"a", "b", "c"} and {p["z"] for p in d1.points} <= {1, 2, 3, 4}


def test_tornado_on_a_known_grid() -> None:
    """y = 3a + a·b on a full grid: one-at-a-time effects around the middle levels are exact."""
    factors = parse_factors(["a=0..4", "b=10,20,30", "c=[x, y]"])
    design = make_design(factors, "grid")
    assert len(design.points) == 5 * 3 * 2
    y = [3 * p["a"] + p["a"] * p["b"] for p in design.points]
    t = tornado(design.points, y, factors).set_index("factor")
    # baseline: a = 2 (middle of 0..4), b = 20, c = x (lower middle of two levels)
    assert t.loc["a", "baseline"] == 3 * 2 + 2 * 20
    assert (t.loc["a", "at_low"], t.loc["a", "at_high"]) == (0, 3 * 4 + 4 * 20)
    assert (t.loc["b", "at_low"], t.loc["b", "at_high"]) == (6 + 20, 6 + 60)
    assert t.loc["c", "swing"] == 0
    assert list(t.index) == ["a", "b", "c"]  # sorted by |swing|: 92, 40, 0


def test_prim_recovers_a_known_box() -> None:
    """Misses exactly in 0.2 ≤ a ≤ 0.6, b ≥ 0.5 (c irrelevant) on a 2,000-point Latin hypercube.

    PRIM peels 5 % of the in-box points per step, so a face can stop short of the true edge by about one
    peel: the limits must be within 0.05 of the truth; coverage and density ≥ 0.9.
    """
    factors = parse_factors(["a=0.0..1.0", "b=0.0..1.0", "c=0.0..1.0"])
    design = make_design(factors, "lhs", 2000, 3)
    X = pd.DataFrame(design.points)
    miss = ((X["a"] >= 0.2) & (X["a"] <= 0.6) & (X["b"] >= 0.5)).to_numpy()
    res = prim(X, miss)
    first = res.summary.iloc[0]
    assert first["coverage"] >= 0.9 and first["density"] >= 0.9
    box = res.boxes[res.boxes["box"] == 1].set_index("factor")
    assert set(box.index) == {"a", "b"}
    assert abs(box.loc["a", "low"] - 0.2) < 0.05 and abs(box.loc["a", "high"] - 0.6) < 0.05
    assert abs(box.loc["b", "low"] - 0.5) < 0.05 and pd.isna(box.loc["b", "high"])  # open upwards
    assert len(res.summary) == 1  # nothing else is mostly misses


def test_prim_with_a_categorical_factor() -> None:
    factors = parse_factors(["load=0.0..1.0", "arrangement=sectoral_lead,integrated_grid,unified_command"])
    design = make_design(factors, "lhs", 600, 1)
    X = pd.DataFrame(design.points)
    miss = ((X["load"] > 0.7) & (X["arrangement"] == "sectoral_lead")).to_numpy()
    res = prim(X, miss)
    box = res.boxes[res.boxes["box"] == 1].set_index("factor")
    assert box.loc["arrangement", "values"] == "sectoral_lead"
    assert abs(box.loc["load", "low"] - 0.7) < 0.05
    assert res.summary.iloc[0]["density"] >= 0.9


def test_targets() -> None:
    assert parse_target("600") == ("<=", 600.0) and parse_target(">= 0.9") == (">=", 0.9)
    y = np.array([500.0, 600.0, 700.0])
    assert misses(y, parse_target("600")).tolist() == [False, False, True]
    assert misses(y, parse_target(">600")).tolist() == [True, True, False]
