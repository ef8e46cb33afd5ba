"""Sensitivity analysis and scenario discovery of a sweep (敏感性分析与情景发现).

Every method works on the per-point mean of one metric (mean over the point's replications):

- ``sobol`` designs: first-order and total Sobol' indices with SALib (Saltelli 2010 / Jansen
  estimators, bootstrap 95 % intervals). On a stochastic model the replication noise adds variance no
  factor explains, so more replications per point sharpen the indices.
- ``grid`` designs: a one-at-a-time tornado. Baseline = every factor at its middle level (the lower
  middle for an even count; the first value for a two-value list); each factor in turn is set to its
  first and last level with the others at baseline.
- any design, given a target: PRIM (Friedman & Fisher 1999) peels the factor space towards the points
  whose metric *misses* the target and exports the box(es) as rules; ``lhs`` designs also get Spearman
  rank correlations.

Charts are Altair (Vega-Lite). With ``vl-convert-python`` installed they are saved as self-contained
HTML (``inline=True``); without it Altair's HTML would load Vega from a CDN, so the Vega-Lite JSON spec
(``*.vl.json``) is written instead — open it in any Vega-Lite viewer.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.errors import InputError
from simulation.experiments.designs import Factor, parse_factors

_TARGET = re.compile(r"^\s*(<=|>=|<|>)?\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$")


# -- targets ----------------------------------------------------------------------------------------------


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


# -- Sobol ------------------------------------------------------------------------------------------------


def sobol_indices(y: Sequence[float], names: Sequence[str], *, calc_second_order: bool = False, seed: int = 0,
                  num_resamples: int = 200) -> pd.DataFrame:
    """S1 and ST (with 95 % bootstrap half-widths) from outputs in SALib's Saltelli order."""
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    si = sobol.analyze(problem, y, calc_second_order=calc_second_order, num_resamples=num_resamples,
                       conf_level=0.95, seed=seed)
    return pd.DataFrame({"factor": list(names), "S1": si["S1"], "S1_conf": si["S1_conf"],
                         "ST": si["ST"], "ST_conf": si["ST_conf"]})


# -- tornado ----------------------------------------------------------------------------------------------


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def tornado(points: Sequence[dict[str, Any]], y: Sequence[float], factors: Sequence[Factor]) -> pd.DataFrame:
    """One-at-a-time effects on a grid: the metric at each factor's first and last level, others at baseline."""
    y = np.asarray(y, dtype=float)
    levels = {f.path: f.levels() for f in factors}
    base = {p: lv[(len(lv) - 1) // 2] for p, lv in levels.items()}
    index = {tuple(_key(pt[f.path]) for f in factors): i for i, pt in enumerate(points)}

    def at(**over: Any) -> float:
        i = index.get(tuple(_key(over.get(f.path, base[f.path])) for f in factors))
        return float("nan") if i is None else float(y[i])

    rows = []
    baseline = at()
    for f in factors:
        lo, hi = levels[f.path][0], levels[f.path][-1]
        y_lo, y_hi = at(**{f.path: lo}), at(**{f.path: hi})
        rows.append({"factor": f.path, "low": _show(lo), "high": _show(hi), "baseline_level": _show(base[f.path]),
                     "at_low": y_lo, "at_high": y_hi, "baseline": baseline, "swing": y_hi - y_lo})
    df = pd.DataFrame(rows)
    return df.iloc[np.argsort(-np.nan_to_num(np.abs(df["swing"].to_numpy()), nan=-1), kind="stable")].reset_index(
        drop=True
    )


def _show(v: Any) -> Any:
    return v if isinstance(v, (int, float, str)) else json.dumps(v, ensure_ascii=False)


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


# -- charts -----------------------------------------------------------------------------------------------


def save_chart(chart: Any, stem: Path) -> Path:
    """Self-contained HTML when ``vl-convert-python`` is present; else the Vega-Lite JSON spec (no CDN)."""
    try:
        import vl_convert  # noqa: F401
    except ImportError:
        path = stem.with_name(stem.name + ".vl.json")
        _atomic_text(path, chart.to_json())
        return path
    path = stem.with_name(stem.name + ".html")
    tmp = path.with_name(f".{path.name}.tmp.html")
    chart.save(str(tmp), inline=True)
    os.replace(tmp, path)
    return path


def _atomic_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _sobol_chart(df: pd.DataFrame, metric: str) -> Any:
    import altair as alt

    long = df.melt(id_vars="factor", value_vars=["S1", "ST"], var_name="index", value_name="value")
    conf = df.melt(id_vars="factor", value_vars=["S1_conf", "ST_conf"], var_name="index", value_name="conf")
    long["conf"] = conf["conf"].to_numpy()
    long["lo"], long["hi"] = long["value"] - long["conf"], long["value"] + long["conf"]
    base = alt.Chart(long).encode(y=alt.Y("factor:N", title="factor 因素"), yOffset="index:N", color="index:N")
    return (base.mark_bar().encode(x=alt.X("value:Q", title=f"Sobol index of {metric} (S1 一阶, ST 总效应)"))
            + base.mark_rule().encode(x="lo:Q", x2="hi:Q")).properties(title=f"Sobol indices · {metric}")


def _tornado_chart(df: pd.DataFrame, metric: str) -> Any:
    import altair as alt

    long = pd.concat([df.assign(level="low", value=df["at_low"]), df.assign(level="high", value=df["at_high"])])
    order = list(df["factor"])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("factor:N", sort=order, title="factor 因素"), x=alt.X("value:Q", title=f"mean {metric} 均值"),
        x2="baseline:Q", color="level:N", tooltip=["factor", "low", "high", "at_low", "at_high", "baseline"],
    ).properties(title=f"Tornado (one at a time) 龙卷风图 · {metric}")


def _prim_chart(traj: pd.DataFrame) -> Any:
    import altair as alt

    return alt.Chart(traj).mark_circle(size=60).encode(
        x=alt.X("coverage:Q", title="coverage 覆盖率"), y=alt.Y("density:Q", title="density 密度"),
        color="box:N", shape="chosen:N", tooltip=["box", "step", "coverage", "density", "mass", "rule"],
    ).properties(title="PRIM peeling trajectory 剥离轨迹")


# -- a sweep's analysis -----------------------------------------------------------------------------------


@dataclass
class Analysis:
    metric: str
    design: str
    tables: dict[str, pd.DataFrame]
    files: list[Path]
    notes: list[str]


def point_means(out: str | Path, metric: str) -> tuple[dict, list[Factor], np.ndarray]:
    """(manifest, factors, per-point mean of ``metric``) — NaN at failed points and where it is always null."""
    from simulation.experiments.results import load_sweep
    from simulation.experiments.sweep import read_manifest

    manifest = read_manifest(Path(out))
    factors = parse_factors(manifest["factors"])
    df = load_sweep(out)
    n = len(manifest["points"])
    if df.empty:
        raise InputError.one(str(out), None, "", "the sweep has no results yet (every point failed or none finished)")
    skip = {"sweep", "point", "replication", "seed", "arrangement", "events_processed", *(f.path for f in factors)}
    have = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]
    if metric not in have:
        raise InputError.one("--metric", None, "", f"unknown metric '{metric}' (have: {', '.join(have)})")
    means = df.groupby("point")[metric].mean().reindex(range(n))
    return manifest, factors, means.to_numpy(dtype=float)


def analyze(out: str | Path, metric: str, target: str | None = None, *, charts: bool = True) -> Analysis:
    """Sobol (sobol design) or tornado (grid), Spearman (lhs), PRIM when ``target`` is given; files under
    ``OUT/analysis/<metric>/`` (CSV tables, charts)."""
    out = Path(out)
    tgt = parse_target(target) if target is not None else None
    manifest, factors, y = point_means(out, metric)
    kind, points = manifest["design"], [p["values"] for p in manifest["points"]]
    tables: dict[str, pd.DataFrame] = {}
    chart_specs: dict[str, Any] = {}
    notes: list[str] = []
    missing = np.nonzero(np.isnan(y))[0]
    if kind == "sobol":
        if missing.size:
            raise InputError.one("--metric", None, "", f"{metric} has no value at {missing.size} point(s) "
                                 f"(e.g. {', '.join(map(str, missing[:5]))}); Sobol indices need every point")
        tables["sobol"] = sobol_indices(
            y,
            [f.path for f in factors],
            calc_second_order=manifest.get("calc_second_order", False),
            seed=manifest["seed"],
        )
        chart_specs["sobol"] = _sobol_chart(tables["sobol"], metric)
    elif kind == "grid":
        tables["tornado"] = tornado(points, y, factors)
        chart_specs["tornado"] = _tornado_chart(tables["tornado"], metric)
    else:
        X = _factor_frame(points, factors)
        rows = [{"factor": f.path, "spearman": pd.Series(X[f.path]).corr(pd.Series(y), method="spearman")}
                for f in factors if pd.api.types.is_numeric_dtype(X[f.path])]
        tables["spearman"] = pd.DataFrame(rows, columns=["factor", "spearman"])
    if missing.size:
        notes.append(f"{missing.size} point(s) without a value of {metric} are left out")
    if tgt is not None:
        ok = ~np.isnan(y)
        X = _factor_frame(points, factors)[ok]
        miss = misses(y[ok], tgt)
        notes.append(f"{int(miss.sum())} of {int(ok.sum())} points miss the target {metric} {tgt[0]} {tgt[1]:g}")
        if miss.any() and not miss.all():
            res = prim(X, miss)
            tables.update(prim_boxes=res.boxes, prim_summary=res.summary, prim_trajectory=res.trajectory)
            chart_specs["prim"] = _prim_chart(res.trajectory)
        else:
            notes.append("no region to discover: " + ("every point misses" if miss.any() else "no point misses"))
    files = _write(out / "analysis" / metric, tables, chart_specs if charts else {})
    return Analysis(metric, kind, tables, files, notes)


def _factor_frame(points: Sequence[dict[str, Any]], factors: Sequence[Factor]) -> pd.DataFrame:
    cols = {}
    for f in factors:
        vals = [p[f.path] for p in points]
        cols[f.path] = vals if f.numeric else [v if isinstance(v, str) else json.dumps(v) for v in vals]
    return pd.DataFrame(cols)


def _write(folder: Path, tables: dict[str, pd.DataFrame], charts: dict[str, Any]) -> list[Path]:
    files = []
    for name, df in tables.items():
        path = folder / f"{name}.csv"
        _atomic_text(path, df.to_csv(index=False))
        files.append(path)
    for name, chart in charts.items():
        files.append(save_chart(chart, folder / name))
    return files
