"""The sweep page's tables (扫描结果表), as shown and as downloaded: the page's language in every header,
times in minutes (the header says so), statuses in words, and nothing missing written "None" or "null".

One frame per table serves both: the page shows it with missing cells as "—" (:mod:`dashboards.table`),
the CSV keeps them empty (a spreadsheet's blank), so the numbers downloaded are the numbers shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dashboards.i18n import label, t

if TYPE_CHECKING:
    import pandas as pd

ANALYSIS_COLS = {"factor": "col_factor", "S1": "s1", "S1_conf": "col_s1_conf", "ST": "st", "ST_conf": "col_st_conf",
                 "low": "col_low", "high": "col_high", "baseline_level": "col_baseline_level",
                 "at_low": "col_at_low", "at_high": "col_at_high", "baseline": "col_baseline", "swing": "col_swing",
                 "spearman": "col_spearman"}
TORNADO_TIMES = ("at_low", "at_high", "baseline", "swing")
"""Tornado columns in the metric's unit (minutes for a time)."""


def csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8-sig")  # BOM: spreadsheet programs then read Chinese text right


def unit(what: str, scale: float) -> str:
    """``what (min)`` for a time (``scale`` 60), else ``what``."""
    return t("common.with_unit", what=what, unit=t("common.min")) if scale == 60 else what


def level(v: Any) -> Any:
    """A factor's level: a number or a word stays; nothing is missing (None), a list or mapping is JSON."""
    import json

    if v is None or isinstance(v, (int, float, str)) and not isinstance(v, bool):
        return v
    return json.dumps(v, ensure_ascii=False)


def points(stats: pd.DataFrame, factors: list[str], metric: str | None, scale: float) -> pd.DataFrame:
    """One row per design point: its seed, factor values, status, replications, and the metric's mean and
    95 % interval in the shown unit."""
    import pandas as pd

    out = pd.DataFrame({t("sweep.col_point"): stats["point"], t("sweep.col_seed"): stats["run_seed"]})
    for f in factors:
        # the factor's path (a field of the scenario file) heads the column as typed; its levels as written
        out[f] = [None if v is None else str(level(v)) for v in stats[f]]
    out[t("sweep.col_status")] = [t(f"sweep.status.{s}") for s in stats["status"]]
    out[t("sweep.col_n")] = stats["replications"]
    if metric:
        name = label("metric", metric)
        for col, key in (("mean", "sweep.csv_mean"), ("ci_low", "sweep.csv_ci_low"), ("ci_high", "sweep.csv_ci_high")):
            out[unit(t(key, metric=name), scale)] = (pd.to_numeric(stats[col], errors="coerce") / scale).round(2)
    return out


def failed(errors: list[dict], factors: list[str]) -> pd.DataFrame:
    """The failed points with their factor values and the loader's message (verbatim, as on the command line)."""
    import pandas as pd

    return pd.DataFrame([{t("sweep.col_point"): e["point"], **{f: level(e["values"].get(f)) for f in factors},
                          t("sweep.col_error"): e["error"]} for e in errors])


def analysis(kind: str, table: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Sobol' indices, tornado or Spearman table with the page's headers; the tornado's means in minutes."""
    view = table.copy()
    if kind == "tornado":
        for c in TORNADO_TIMES:
            view[c] = view[c] / scale
    view = view.astype({c: object for c in ("low", "high", "baseline_level") if c in view})
    for c in ("low", "high", "baseline_level"):
        if c in view:
            view[c] = [level(v) for v in view[c]]
    names = {c: unit(t(f"sweep.{k}"), scale) if kind == "tornado" and c in TORNADO_TIMES else t(f"sweep.{k}")
             for c, k in ANALYSIS_COLS.items()}
    return view.rename(columns=names).round(3)


def prim_boxes(boxes: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Each PRIM box's limits per factor with its coverage, density, mass and points (for the CSV)."""
    merged = boxes.merge(summary.drop(columns="rule", errors="ignore"), on="box")
    names = {"box": "col_box", "factor": "col_factor", "low": "col_low_limit", "high": "col_high_limit",
             "values": "col_values", "coverage": "col_coverage", "density": "col_density", "mass": "col_mass",
             "points": "col_points"}
    return merged.rename(columns={c: t(f"sweep.{k}") for c, k in names.items() if c in merged})
