"""Labels of the planner dashboard in two languages (界面文字：简体中文 / English).

Every text the app shows comes from ``dashboards/locales/{zh,en}.yaml`` by key, or from the data's own
bilingual fields (scenario descriptions, agency and station names, the role catalogue). A key missing
from one language is an error in the tests, not a silent fallback to the other language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from agencies.base import Bilingual
from agencies.catalogue import role_catalogue

LOCALES = Path(__file__).parent / "locales"
LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
LANG_KEY = "lang"
"""Session-state key of the sidebar language toggle."""


def _file(lang: str) -> str:
    return "zh" if lang.startswith("zh") else "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All labels of one language, flattened to dotted keys (``scenario.title``)."""
    data = YAML(typ="safe").load((LOCALES / f"{_file(lang)}.yaml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = str(node)

    walk("", data)
    return out


def current() -> str:
    """The language chosen in the sidebar (default 简体中文)."""
    import streamlit as st

    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **fmt: Any) -> str:
    """The label ``key`` in ``lang`` (default: the session's), formatted with ``fmt``."""
    lang = lang or current()
    text = catalogue(lang).get(key)
    if text is None:
        raise KeyError(f"missing label '{key}' in {_file(lang)}.yaml")
    return text.format(**fmt) if fmt else text


def has(key: str, lang: str | None = None) -> bool:
    return key in catalogue(lang or current())


def label(prefix: str, ident: str, lang: str | None = None) -> str:
    """A domain id's label (``task.fire_attack``); the id itself when the locale has none (user data)."""
    key = f"{prefix}.{ident}"
    return t(key, lang) if has(key, lang) else ident


def text(b: Bilingual | dict | None, lang: str | None = None, default: str = "") -> str:
    """A bilingual field of the data ({zh, en}) in the chosen language."""
    if b is None:
        return default
    lang = lang or current()
    if isinstance(b, dict):
        return str(b.get("zh" if lang.startswith("zh") else "en", default))
    return b.get(lang)


def role_name(role: str, lang: str | None = None) -> str:
    r = role_catalogue().get(role)
    return r.name(lang or current()) if r else role


def agency_name(agency: Any, lang: str | None = None) -> str:
    """An agency's own name, else its role's name (with its streets where several share a role)."""
    lang = lang or current()
    if getattr(agency, "name", None) is not None:
        return agency.name.get(lang)
    base = role_name(agency.role, lang)
    if agency.jurisdiction:
        return (
            f"{base}（{'、'.join(agency.jurisdiction)}）"
            if lang.startswith("zh")
            else f"{base} ({', '.join(agency.jurisdiction)})"
        )
    return base


def agency_names(scenario: Any, lang: str | None = None) -> dict[str, str]:
    """Agency id → display name for every agency of a scenario."""
    return {a.id: agency_name(a, lang) for a in scenario.agencies}


def minutes(seconds: float | None, digits: int = 1) -> str:
    return "—" if seconds is None else f"{seconds / 60:.{digits}f}"
