"""How the planner pages write a number (数字的写法): minutes, percentages, conditions and their ``n``.

One place for what every card, table, export and report does with a metric: durations in minutes, shares
(``outputs.SHARES``) as percentages and their differences in percentage points, and a conditional metric
(``outputs.CONDITIONS``) always with its condition and ``n`` — "t_control over the 10 of 50 replications
brought under control" — in the words of ``condition.<share>`` of the locale.
"""

from __future__ import annotations

import math
from typing import Any

from dashboards.i18n import label, t
from simulation.experiments import CONDITIONS, SHARES, is_duration


def missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def value(metric: str, v: Any, lang: str | None = None) -> str:
    """A metric's value: minutes for a duration, a percentage for a share, else one decimal."""
    if missing(v):
        return "—"
    if metric in SHARES:
        return f"{100 * v:.0f}%"
    return f"{v / 60:.1f}" if is_duration(metric) else f"{v:.1f}"


def diff(metric: str, v: Any, lang: str | None = None) -> str:
    """A signed difference: minutes, or percentage points for a share."""
    if missing(v):
        return "—"
    if metric in SHARES:
        return f"{100 * v:+.0f} {t('common.pp', lang)}"
    return f"{v / 60:+.1f}" if is_duration(metric) else f"{v:+.1f}"


def name(metric: str, lang: str | None = None) -> str:
    """The metric's label with its unit (min, %)."""
    base = label("metric", metric, lang)
    if is_duration(metric):
        return t("common.with_unit", lang, what=base, unit=t("common.min", lang))
    if metric in SHARES:
        return t("common.with_unit", lang, what=base, unit="%")
    return base


def condition(metric: str, n: int, total: int, both: bool = False, lang: str | None = None) -> str:
    """'' for an unconditional metric; else 'over the n of total replications brought under control'."""
    share = CONDITIONS.get(metric)
    if share is None:
        return ""
    return t(f"condition.{share}{'_both' if both else ''}", lang, n=n, total=total)


DASH = "—"


def blanks(df: Any) -> Any:
    """A table for the page with every missing cell written ``—`` (Streamlit writes a missing cell as
    "None"). A column with a missing cell becomes text (a table column has one type); the others keep their
    numbers. Pair it with :func:`has_blanks` and the ``common.missing_legend`` caption."""
    out = df.copy()
    for col in out.columns:
        miss = out[col].isna()
        if miss.any():
            out[col] = [DASH if m else _cell(v) for v, m in zip(out[col], miss)]
    return out


def _cell(v: Any) -> str:
    return format(v, "g") if isinstance(v, float) else str(v)


def has_blanks(df: Any) -> bool:
    return any((df[c].astype(object) == DASH).any() for c in df.columns)
