"""Domain words for the reports (报告用语): tasks, metrics, unit kinds, incident types in zh and en.

The dashboard's locale files (``dashboards/locales/{zh,en}.yaml``) are the one list of these words; the
reports read the same files as data (a report module never imports the dashboard), so a task is called
the same thing on the page and in the after-action report. A scenario's own ids without a word in the
locale (user data) fall back to the scenario's bilingual names, then to the id itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parents[2] / "dashboards" / "locales"
SECTIONS = ("task", "metric", "unit_kind", "incident_type", "detector", "stage", "scenario_name", "hold_reason")
"""The locale sections the reports read (``hold_reason``: why a duty desk held a call, ``holds.DESK_HOLDS``)."""

ACTIONS = {
    "zh": {"skip_metro_stop": "地铁甩站", "restrict_inflow": "限流", "marshals": "疏导人员", "open_exit": "开放出口",
           "suppress": "灭火", "first_attack": "初起扑救", "evacuate": "疏散", "rescue": "搜救", "plug": "堵漏",
           "shelter": "就地避险"},
    "en": {"skip_metro_stop": "trains skip the station", "restrict_inflow": "restrict inflow",
           "marshals": "marshals", "open_exit": "open an exit", "suppress": "fire attack",
           "first_attack": "first attack", "evacuate": "evacuation", "rescue": "rescue", "plug": "plugging",
           "shelter": "shelter in place"},
}
"""Hazard-model interventions (``HazardModel.actions``) as a person says them."""


@cache
def words(lang: str) -> dict[str, dict[str, str]]:
    """Section → id → word, for ``lang`` (zh or en)."""
    from ruamel.yaml import YAML

    f = "zh" if lang.startswith("zh") else "en"
    data = YAML(typ="safe").load((LOCALES / f"{f}.yaml").read_text(encoding="utf-8"))
    out = {s: {str(k): str(v) for k, v in (data.get(s) or {}).items()} for s in SECTIONS}
    out["action"] = ACTIONS[f]
    return out


def word(section: str, ident: Any, lang: str) -> str:
    """The word for ``ident`` in ``section``; the id itself when the locale has none (user data)."""
    if ident is None:
        return "—"
    return words(lang)[section].get(str(ident), str(ident))


LEVELS = {"zh": {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}, "en": {1: "level I", 2: "level II", 3: "level III",
                                                                4: "level IV"}}
DECISION_KIND = {
    "zh": {"response_level": "响应级别", "notify_order": "通知顺序", "settle_owner": "明确责任单位",
           "task_order": "派出力量", "intervention": "处置措施", "raise_level": "调整响应级别",
           "work_order": "工单签收", "whistle": "吹哨报到"},
    "en": {"response_level": "response level", "notify_order": "notification order", "settle_owner": "settle the owner",
           "task_order": "units to send", "intervention": "measure", "raise_level": "raise the level",
           "work_order": "work order", "whistle": "whistle (吹哨报到)"},
}


class Namer:
    """Ids of one scenario as a person reads them, in one language: agencies, tasks, units, decisions."""

    def __init__(self, scenario: Any, lang: str, agencies: dict[str, str]) -> None:
        self.sc, self.lang, self.agencies = scenario, ("zh" if lang.startswith("zh") else "en"), agencies
        self.stations = {s.id: s.name.get(self.lang) for s in scenario.stations if s.name is not None}
        incs = scenario.incidents
        self.incidents = {}
        for i in incs:
            base = self.incident_type(i.type)
            same = [j.id for j in incs if j.type == i.type]
            self.incidents[i.id] = base if len(same) == 1 else f"{base} {same.index(i.id) + 1}"

    def agency(self, a: str | None) -> str:
        return "—" if a is None else self.agencies.get(a, a)

    def incident_type(self, t: str) -> str:
        it = self.sc.incident_types.get(t)
        if t in words(self.lang)["incident_type"] or it is None or it.name is None:
            return word("incident_type", t, self.lang)
        return it.name.get(self.lang)

    def incident(self, i: str | None) -> str:
        return self.incidents.get(i, i or "—")

    def task(self, t: str | None) -> str:
        return word("task", t, self.lang)

    def metric(self, m: str) -> str:
        return word("metric", m, self.lang)

    def units(self, names: list[str]) -> str:
        """``district.agency.station.kindN`` units as 'engine ×3 (station)': kinds counted, no ids repeated."""
        from collections import Counter

        counts: Counter = Counter()
        for u in names:
            parts = u.split(".")
            station, kind = (parts[-2], parts[-1].rstrip("0123456789")) if len(parts) >= 2 else ("", u)
            counts[(self.stations.get(station, ""), kind)] += 1
        sep = "、" if self.lang == "zh" else ", "
        return sep.join(f"{word('unit_kind', k, self.lang)}×{n}" + (f" ({s})" if s else "")
                        for (s, k), n in counts.items())

    def decision(self, kind: str, task: str | None) -> str:
        """A decision point: its kind and the task it concerns (``task_order:crowd1:crowd_control``)."""
        label = DECISION_KIND[self.lang].get(kind, kind)
        if task:
            task_id, _, order = task.partition("#")
            label += f"（{self.task(task_id)}）" if self.lang == "zh" else f" ({self.task(task_id)})"
            if order:
                label += f" #{order}"
        return label

    def decision_key(self, key: str) -> str:
        kind, _, rest = key.partition(":")
        _, _, task = rest.partition(":")
        return self.decision(kind, task or None)

    def value(self, kind: str, v: Any) -> str:
        """A decision's value (a payload) as a phrase, never a dict."""
        zh = self.lang == "zh"
        if not isinstance(v, dict):
            return str(v)
        if kind in ("response_level", "raise_level"):
            return LEVELS[self.lang].get(int(v["level"]), str(v["level"]))
        if kind == "notify_order":
            return " → ".join(self.agency(a) for a in v["targets"]) or ("不通知" if zh else "nobody")
        if kind == "settle_owner":
            return self.agency(v["owner"])
        if kind == "task_order":
            return f"{v['units']} 个单位" if zh else f"{v['units']} unit{'s' if v['units'] != 1 else ''}"
        if kind == "intervention":
            if v.get("action") is None:
                return "不采取措施" if zh else "no measure"
            return word("action", v["action"], self.lang)
        if kind == "work_order":
            return {"sign": "签收", "reject": "退单"}[v["reply"]] if zh else {"sign": "signed", "reject": "rejected"}[
                v["reply"]]
        if kind == "whistle":
            return ("吹哨" if v["call"] else "逐级上报") if zh else ("whistle" if v["call"] else "up the line")
        return "; ".join(f"{k} {x}" for k, x in v.items())
