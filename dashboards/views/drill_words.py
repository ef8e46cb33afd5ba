"""Words of the drill pages (推演界面用语): the ids in a seat's view turned into names, and its tables with
the page language's headers — an agency, unit, station, task, incident, action or decision kind is never
shown by its id (the drill service sends the names with the view: ``view["labels"]``).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from dashboards.i18n import catalogue, has, t
from simulation.faces.drill_service import format_time

AGENCY_KEYS = ("agency", "owner", "from", "to", "receiver", "holder", "target", "by")
STAGES = ("available", "owner_known", "notified", "decided", "unit_assigned", "arrived", "started", "done")


def full(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


def page_words(page: str) -> dict[str, dict[str, str]]:
    """A drill page's fixed words, ``drill_page.<page>.*`` of the locales (the house's one home for words), by
    the drill pages' language code (``zh``/``en``): ``page_words("player")["zh"]["join"]`` → ``加入``."""
    prefix = f"drill_page.{page}."
    return {lang: {k[len(prefix):]: v for k, v in catalogue(full(lang)).items() if k.startswith(prefix)}
            for lang in ("zh", "en")}


def name(view: dict, section: str, ident: Any, lang: str) -> str:
    """``ident`` of ``section`` (agency, unit, task, incident, action, decision, unit_kind) in ``lang``."""
    if ident is None:
        return "—"
    table = view["agency_names"] if section == "agency" else view.get("labels", {}).get(section, {})
    got = table.get(str(ident))
    return got[lang] if got else str(ident)


def word(key: str, lang: str) -> str:
    """A fixed word of the drill pages: ``drill_word.<key>`` of the locale, else the column's label."""
    for k in (f"drill_word.{key}", f"column.{key}"):
        if has(k, full(lang)):
            return t(k, full(lang))
    return key


def header(col: str, lang: str) -> str:
    return word(col, lang)


def value(view: dict, key: str, v: Any, lang: str) -> Any:
    """A payload value as a person reads it: names for ids, minutes-and-seconds for times, words for kinds."""
    if isinstance(v, list):
        return "、".join(str(value(view, key, x, lang)) for x in v) if lang == "zh" else ", ".join(
            str(value(view, key, x, lang)) for x in v)
    if key in AGENCY_KEYS or key == "targets" or key == "candidates":
        return name(view, "agency", v, lang)
    if key in ("task", "incident", "unit_kind", "action"):
        return name(view, key, v, lang)
    if key in ("units", "unit") and isinstance(v, str):
        return name(view, "unit", v, lang)
    if key in ("stage", "status", "kind", "method", "type", "mode"):
        return word(f"{key}_{v}", lang) if has(f"drill_word.{key}_{v}", full(lang)) else (
            name(view, "decision", v, lang) if key == "kind" else word(str(v), lang))
    if key in STAGES or key.endswith("_at") or key == "t_detect":
        return "—" if v is None else format_time(v)
    return v


def describe(view: dict, payload: dict, lang: str) -> str:
    """A payload (or a decision's plan) as words: ``任务: 人群管控 · 派出数量: 6`` rather than ``{'units': 6}``."""
    parts = []
    for k, v in payload.items():
        if k in ("zh", "en", "options", "plan", "id", "seq") or v in (None, "", [], {}):
            continue
        shown = value(view, k, v, lang)
        if isinstance(shown, dict):
            shown = json.dumps(shown, ensure_ascii=False)
        parts.append(f"{header(k, lang)}: {shown}")
    return " · ".join(parts)


def frame(view: dict, rows: list[dict], lang: str, drop: tuple[str, ...] = (), raw: bool = False) -> pd.DataFrame:
    """Rows of the view as a table with the language's headers and names for every id (``raw``: the values
    are words already, only the headers change)."""
    out = [{header(k, lang): v if raw else value(view, k, v, lang) for k, v in r.items() if k not in drop}
           for r in rows]
    return pd.DataFrame(out)


def task_status(view: dict, text: str, lang: str) -> str:
    """``crowd_control:done`` → ``人群管控（已完成）``."""
    task, _, status = text.partition(":")
    shown = word(f"status_{status}", lang)
    what = name(view, "task", task, lang)
    return f"{what}（{shown}）" if lang == "zh" else f"{what} ({shown})"


TRIGGER_SECTION = {"started": "task", "done": "task", "notified": "agency"}


def trigger(view: dict, text: str | None, lang: str) -> str:
    """An inject's trigger in words, its task, agency or hazard measure named (``not started:cordon`` →
    ``尚未开始：警戒``; ``hazard:density>=4`` → ``灾害指标：人群密度（人/平方米） >= 4``)."""
    import re

    if not text:
        return ""
    head, _, ident = text.partition(":")
    parts = head.split()
    kind = parts[-1] if parts else ""
    negated = len(parts) > 1 and parts[0] == "not"
    words = word(f"trigger_{'not_' if negated else ''}{kind}", lang)
    section = TRIGGER_SECTION.get(kind)
    if section:
        return f"{words}: {name(view, section, ident.strip(), lang)}"
    m = re.match(r"^\s*([a-z_]+)\s*(>=|<=)\s*(.+)$", ident)
    if kind == "hazard" and m:
        return f"{words}: {header(m.group(1), lang)} {m.group(2)} {m.group(3)}"
    return f"{words}: {ident.strip()}"


def busy(view: dict, text: str | None, lang: str) -> str:
    """A unit's task ``crowd1/crowd_control`` → ``拥挤踩踏 · 人群管控``; "—" when free."""
    if not text:
        return "—"
    inc, _, task = text.partition("/")
    return f"{name(view, 'incident', inc, lang)} · {name(view, 'task', task, lang)}"


def actor(who: str | None, lang: str) -> str:
    """Who logged a record: a seat (its name, as typed to join), or the MSEL's own schedule."""
    if who is None:
        return "—"
    return word(f"actor_{who}", lang) if has(f"drill_word.actor_{who}", full(lang)) else who
