"""Reading one sweep folder for the sweep explorer (扫描数据): finding sweeps, loading their rows (cached),
per-point statistics and the design's own analysis — through ``simulation.experiments`` only."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from dashboards import state
from scenarios.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
NOT_METRICS = {"sweep", "point", "replication", "seed", "arrangement", "events_processed"}
NEEDED = ("sweep", "design", "factors", "factor_specs", "points", "seed", "replications")
MAX_DEPTH, MAX_FOUND = 4, 200  # bound the search for sweeps under a folder the planner types


# -- reading a sweep ------------------------------------------------------------------------------------------


def find_sweeps(root: Path, max_depth: int = MAX_DEPTH, limit: int = MAX_FOUND) -> list[Path]:
    """Sweep folders (holding ``manifest.json``) under ``root``, at most ``max_depth`` levels down.

    A sweep's own sub-folders hold thousands of ``point=k`` parts and never another sweep: not entered.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if MANIFEST in filenames:
            found.append(here)
            dirnames[:] = []
        elif len(here.relative_to(root).parts) >= max_depth:
            dirnames[:] = []
        else:
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if len(found) >= limit:
            break
    return sorted(found)


def signature(folder: Path) -> tuple[int, int, int, int]:
    """What changes when a sweep grows or is resumed: the manifest's mtime and size, parts, failures."""
    m = (folder / MANIFEST).stat()
    parts = sum(1 for _ in folder.glob("replications/sweep=*/point=*/part-*.parquet"))
    errors = sum(1 for _ in folder.glob("errors/point=*.json"))
    return m.st_mtime_ns, m.st_size, parts, errors


@st.cache_data(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def load(folder: str, sig: tuple) -> tuple[dict, pd.DataFrame, list[dict]]:
    """(manifest, replications with factor columns, failed points) — ``sig`` only keys the cache."""
    from simulation.experiments import load_sweep, read_manifest

    out = Path(folder)
    manifest = read_manifest(out)
    lacking = [k for k in NEEDED if k not in manifest] if isinstance(manifest, dict) else list(NEEDED)
    if lacking:
        raise InputError.one(str(out / MANIFEST), None, lacking[0], "missing: not a manifest written by linkage sweep")
    if not all(isinstance(p, dict) and "point" in p and isinstance(p.get("values"), dict) for p in manifest["points"]) \
            or not all(isinstance(s, dict) and "path" in s for s in manifest["factor_specs"]):
        raise InputError.one(str(out / MANIFEST), None, "points", "malformed: not a manifest written by linkage sweep")
    errors = []
    for p in sorted(out.glob("errors/point=*.json"), key=lambda p: int(p.stem.split("=", 1)[1])):
        info = json.loads(p.read_text(encoding="utf-8"))
        errors.append(
            {"point": int(info["point"]), "values": info.get("values", {}), "error": str(info.get("error", ""))}
        )
    return manifest, load_sweep(out), errors


def metrics_of(df: pd.DataFrame, factors: list[str]) -> list[str]:
    """Numeric result columns, in the run contract's order (as ``simulation.experiments.analysis.point_means``
    takes them)."""
    import pandas as pd

    return [c for c in df.columns if c not in NOT_METRICS and c not in factors and pd.api.types.is_numeric_dtype(df[c])]


def shown(v: Any) -> Any:
    """A factor's level for a table: a number or word as it is, a list or mapping as JSON, nothing as None
    (the page writes it "—"; JSON would have written "null")."""
    if v is None:
        return None
    return v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else json.dumps(v, ensure_ascii=False)


def point_stats(manifest: dict, df: pd.DataFrame, metric: str | None, errors: list[dict]) -> pd.DataFrame:
    """One row per design point: point, run_seed, factor values, status, replications, mean and 95 % CI
    of ``metric`` (its own unit; ``simulation.experiments.metrics.summarize``, a t-interval over non-null values)."""
    import pandas as pd

    from simulation.experiments import summarize

    factors = [s["path"] for s in manifest["factor_specs"]]
    failed = {e["point"] for e in errors}
    groups = dict(tuple(df.groupby("point"))) if not df.empty else {}
    rows = []
    for p in manifest["points"]:
        k = int(p["point"])
        g = groups.get(k)
        n_rep = 0 if g is None else len(g)
        status = (
            "failed"
            if k in failed
            else "pending"
            if n_rep == 0
            else "done"
            if n_rep >= manifest["replications"]
            else "partial"
        )
        row = {"point": k, "run_seed": p.get("run_seed"), **{f: shown(p["values"].get(f)) for f in factors},
               "status": status, "replications": n_rep}
        if "arrangement" not in factors and g is not None and "arrangement" in g:
            row["arrangement"] = g["arrangement"].iloc[0]
        s = summarize([None if pd.isna(v) else float(v) for v in g[metric]]) if metric and g is not None else {"n": 0}
        row.update(
            mean=s.get("mean"), ci_low=(s.get("ci95") or [None, None])[0], ci_high=(s.get("ci95") or [None, None])[1]
        )
        rows.append(row)
    return pd.DataFrame(rows)


def factor_frame(points: list[dict], factors: list[Any]) -> pd.DataFrame:
    """The design's factor values as PRIM takes them (numeric, or category text), as ``analyze`` builds them."""
    import pandas as pd

    return pd.DataFrame({f.path: [p[f.path] if f.numeric or isinstance(p[f.path], str) else json.dumps(p[f.path])
                                  for p in points] for f in factors})


def design_analysis(manifest: dict, y: np.ndarray) -> tuple[str, pd.DataFrame | None, str | None]:
    """(kind, table, problem key) of the design's own method on per-point means ``y`` (NaN where none)."""
    import pandas as pd

    from simulation.experiments import parse_factors, sobol_indices, tornado

    factors = parse_factors(manifest["factors"])
    points = [p["values"] for p in manifest["points"]]
    kind = manifest["design"]
    if kind == "sobol":
        if np.isnan(y).any():
            return "sobol", None, "sweep.sobol_missing"
        return (
            "sobol",
            sobol_indices(
                y,
                [f.path for f in factors],
                calc_second_order=manifest.get("calc_second_order", False),
                seed=manifest["seed"],
            ),
            None,
        )
    if kind == "grid":
        return "tornado", tornado(points, y, factors), None
    X, ok = factor_frame(points, factors), ~np.isnan(y)
    rows = [{"factor": f.path, "spearman": pd.Series(X[f.path][ok]).corr(pd.Series(y[ok]), method="spearman")}
            for f in factors if f.numeric]
    return "spearman", pd.DataFrame(rows, columns=["factor", "spearman"]), None
