"""Tables as a person downloads them (导出): the page's language, minutes, names instead of ids.

The CSV a planner opens in a spreadsheet carries the headers of the page's language (``column.*``,
``metric.*``, ``stage.*`` of the locale), times in minutes (the header says so), shares in per cent, and
agency, task, stage, metric and verdict names instead of ids. The Parquet download stays the machine
contract (``simulation/experiments/outputs.py``: ids and seconds) for tools that read it.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pyarrow as pa

from dashboards import numbers
from dashboards.i18n import has, label, t
from simulation.experiments import SHARES, is_duration

SECONDS = {"available", "owner_known", "notified", "decided", "unit_assigned", "arrived", "started", "done",
           "first_dispatch", "arbitration_start", "arbitrated", "last_dispatch", "powers_requested",
           "powers_present", "gap", "queue_wait", "t_start", "seconds_mean", "blocked_time"}
"""Columns in seconds of simulated time besides the metrics (``is_duration``) and the gap parts."""
AGENCY_COLUMNS = ("from_agency", "to_agency", "owner", "receiver", "lead", "enforcer", "command_post", "blocked_by",
                  "blocked_caller")
WORD_COLUMNS = {"block_reason": "stage", "block_stage": "stage", "block_path": "hold_path"}
"""Columns whose values are words of a locale section (a desk hold's reason, gap part and place)."""
PER_ROW = ("mean_baseline", "mean_arrangement", "diff_mean", "ci_low", "ci_high", "ci_low_unpaired",
           "ci_high_unpaired")
"""Comparison columns whose unit is the row's metric's."""


def _is_seconds(col: str) -> bool:
    return col in SECONDS or is_duration(col) or has(f"stage.{col}")


def header(col: str, lang: str) -> str:
    for key in (f"column.{col}", f"metric.{col}", f"stage.{col}"):
        if has(key, lang):
            base = t(key, lang)
            break
    else:
        base = col
    if _is_seconds(col):
        return t("common.with_unit", lang, what=base, unit=t("common.min", lang))
    return base


def localized(tbl: pa.Table, lang: str, names: dict[str, str], arms: dict[str, str]) -> pd.DataFrame:
    """``tbl`` with the language's headers, minutes, per cent and names."""
    df = tbl.to_pandas()
    out = pd.DataFrame(index=df.index)
    per_row = "metric" in df.columns and any(c in df.columns for c in PER_ROW)
    for col in df.columns:
        v = df[col]
        if per_row and col in PER_ROW:
            v = [_per_row(m, x) for m, x in zip(df["metric"], v)]
        elif col in SHARES:
            v = v * 100
        elif col == "share":
            v = (v * 100).round(1)
        elif _is_seconds(col) and pd.api.types.is_numeric_dtype(v):
            v = (v / 60).round(2)
        elif col in AGENCY_COLUMNS:
            v = v.map(lambda a: names.get(a, a) if isinstance(a, str) else a)
        elif col in ("arrangement", "baseline"):
            v = v.map(lambda a: arms.get(a, a))
        elif col == "metric":
            v = v.map(lambda m: numbers.name(m, lang))
        elif col in ("task", "stage", "verdict"):
            v = v.map(lambda x, c=col: label(c, x, lang) if isinstance(x, str) else x)
        elif col in WORD_COLUMNS:
            v = v.map(lambda x, c=WORD_COLUMNS[col]: label(c, x, lang) if isinstance(x, str) else x)
        out[header(col, lang) if col not in SHARES else numbers.name(col, lang)] = v
    return out


def _per_row(metric: str, x: Any) -> Any:
    if numbers.missing(x):
        return None
    if metric in SHARES:
        return round(100 * x, 1)
    return round(x / 60, 2) if is_duration(metric) else x


def csv_bytes(tbl: pa.Table, lang: str, names: dict[str, str], arms: dict[str, str]) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs show Chinese headers."""
    buf = io.StringIO()
    localized(tbl, lang, names, arms).to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
