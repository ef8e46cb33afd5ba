"""Sensitivity analysis and scenario discovery of a sweep (敏感性分析与情景发现).

Every method works on the per-point mean of one metric (mean over the point's replications):

- ``sobol`` designs: first-order and total Sobol' indices; ``grid`` designs: a one-at-a-time tornado
  (both in :mod:`simulation.experiments.sensitivity`, which says how);
- any design, given a target: PRIM (Friedman & Fisher 1999) peels the factor space towards the points
  whose metric *misses* the target and exports the box(es) as rules; ``lhs`` designs also get Spearman
  rank correlations.

Charts are Altair (Vega-Lite). With ``vl-convert-python`` installed they are saved as self-contained
HTML (``inline=True``); without it Altair's HTML would load Vega from a CDN, so the Vega-Lite JSON spec
(``*.vl.json``) is written instead — open it in any Vega-Lite viewer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from scenarios.errors import InputError
from simulation.experiments.designs import Factor, parse_factors
from simulation.experiments.discovery import Box, PrimResult, misses, parse_target, prim
from simulation.experiments.outputs import check_out, output_folder, write_file
from simulation.experiments.sensitivity import sobol_indices, tornado

__all__ = ["Analysis", "Box", "PrimResult", "analyze", "misses", "parse_target", "point_means", "prim",
           "save_chart", "sobol_indices", "tornado"]


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
    chart.save(str(path), inline=True)
    return path


def _atomic_text(path: Path, text: str) -> None:
    write_file(path, text)


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
    import pandas as pd

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
    import pandas as pd

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
    import pandas as pd

    out = Path(out)
    tgt = parse_target(target) if target is not None else None
    manifest, factors, y = point_means(out, metric)
    check_out(out / "analysis" / metric, "analyze", "OUT")  # before the analysis: a read-only sweep folder
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
    import pandas as pd

    cols = {}
    for f in factors:
        vals = [p[f.path] for p in points]
        cols[f.path] = vals if f.numeric else [v if isinstance(v, str) else json.dumps(v) for v in vals]
    return pd.DataFrame(cols)


def _write(folder: Path, tables: dict[str, pd.DataFrame], charts: dict[str, Any]) -> list[Path]:
    """The analysis folder as one output folder: an earlier analysis of the metric is replaced whole."""
    names = []
    with output_folder(folder, "analyze", "analyze") as tmp:
        for name, df in tables.items():
            (tmp / f"{name}.csv").write_text(df.to_csv(index=False), encoding="utf-8")
            names.append(f"{name}.csv")
        for name, chart in charts.items():
            names.append(save_chart(chart, tmp / name).name)
    return [folder / n for n in names]
