"""A table on a dashboard page (表格): missing cells read "—", explained by a one-line legend under it.

Streamlit writes a missing cell (None, NaN) as the word "None"; a planner reads that as a value. Every
read-only table of the pages goes through :func:`show`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboards import numbers
from dashboards.i18n import t


def show(df: Any, key: str, where: Any = st, **kwargs: Any) -> None:
    """``where.dataframe`` of ``df`` with missing cells as "—", and the legend when any cell reads "—"."""
    shown = numbers.blanks(df)
    where.dataframe(shown, key=key, **kwargs)
    if numbers.has_blanks(shown):
        where.caption(t("common.missing_legend"))
