"""Scoring a drill (演练评估打分): expected actions against when the player could act, strengths, improvements.

An expected action's time criterion (HSEEP exercise evaluation guide; AQ/T 9009 时间标准) runs from the
later of two moments: the inject's delivery, and the moment the engine first let that agency take the
action (the decision was put to it, the task reached it, it was told of the incident). A player is not
late for a decision the engine offered 25 minutes after the inject. An action taken before its inject
is scored as such (``before_inject``), never as met with a negative delay.

Improvement items (改进计划) are raised only against agencies a person played — what the plan's automatic
play did is the plan's, not a player's — or, for an evaluator's note about the exercise as a whole, the
exercise planning team. Evaluators' notes carry an HSEEP rating (P/S/M/U), a core capability, a
corrective action, or praise; praise and P ratings become strengths.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from simulation.drill.msel import format_time
from simulation.faces.vocab import Namer

DECISION_ACTIONS = ("response_level", "notify_order", "settle_owner", "task_order", "intervention")
LONG_GAP_S = 900.0
ACTION_WORDS = {
    "zh": {"ack": "签收注入", "message": "发送消息", "started": "开始处置", "done": "完成", "notify": "抄告"},
    "en": {"ack": "acknowledge the inject", "message": "send a message", "started": "start", "done": "finish",
           "notify": "copy-notify"},
}


def action_label(e: Any, nm: Namer) -> str:
    """An expected action as a person says it: 'units to send (crowd control)', 'copy-notify Street office'."""
    if e.action in DECISION_ACTIONS:
        return nm.decision(e.action, e.target)
    base = ACTION_WORDS[nm.lang][e.action]
    if e.action in ("started", "done"):
        return f"{base}{nm.task(e.target)}" if nm.lang == "zh" else f"{base} {nm.task(e.target)}"
    if e.action == "notify":
        return f"{base}{nm.agency(e.target)}" if nm.lang == "zh" else f"{base} {nm.agency(e.target)}"
    return base


def could_act(events: list[dict], e: Any, at: float) -> float | None:
    """When the agency could first take the action, not before the inject; None if the engine never offered it."""
    first: float | None = None
    for r in events:
        k, p = r["kind"], r["payload"]
        if r["agency"] != e.agency:
            continue
        if e.action in DECISION_ACTIONS and k == "ask" and p["kind"] == e.action and (
                e.target is None or p.get("task") == e.target):
            first = r["sim_time"]
        elif e.action in ("started", "done") and k == "task" and p["task"] == e.target and p["stage"] == "notified":
            first = r["sim_time"]
        elif e.action == "notify" and k == "notified":
            first = r["sim_time"]
        elif e.action in ("ack", "message"):
            first = at
        if first is not None:
            return max(first, at)
    return None


def first_match(events: list[dict], e: Any, inject: str) -> float | None:
    """Earliest time the player's agency took the action (a fallback is not the player's action)."""
    for r in events:
        k, p = r["kind"], r["payload"]
        if r["agency"] != e.agency or r["fallback"]:
            continue
        if e.action == "ack" and k == "ack" and p.get("inject") == inject:
            return r["sim_time"]
        if k == "decision" and r["actor"] != "fallback" and p["kind"] == e.action and (
                e.target is None or p["decision"].endswith(f":{e.target}")):
            return r["sim_time"]
        if k == "task" and e.action in ("started", "done") and p["task"] == e.target and p["stage"] == e.action:
            return r["sim_time"]
        if k == "notify" and e.action == "notify" and p["to"] == e.target:
            return r["sim_time"]
        if k == "message" and e.action == "message" and r["input"]:
            return r["sim_time"]
    return None


def score_expected(msel: Any, events: list[dict], played: set[str], nm: Namer) -> list[dict]:
    """Every expected action of a played agency: met, late, missed, done before the inject, never offered."""
    zh = nm.lang == "zh"
    delivered = {r["payload"]["inject"]: r["sim_time"] for r in events if r["kind"] == "inject"}
    out = []
    for inj in msel.injects:
        for e in inj.expected:
            if e.agency not in played:
                continue  # the plan's automatic play is not scored (the MSEL check refuses such rows)
            at = delivered.get(inj.id)
            row = {"inject": inj.id, "agency": nm.agency(e.agency), "agency_id": e.agency,
                   "action": action_label(e, nm),
                   "criterion": f"≤{e.within_s / 60:g} 分钟" if zh else f"≤ {e.within_s / 60:g} min",
                   "delivered": format_time(at) if at is not None else "—", "could_act": "—", "when": "—",
                   "after_s": None}
            if at is None:
                out.append({**row, "status": "not_delivered"})
                continue
            when, could = first_match(events, e, inj.id), could_act(events, e, at)
            row.update(when=format_time(when) if when is not None else "—",
                       could_act=format_time(could) if could is not None else "—")
            if when is not None and when < at:
                status = "before_inject"
            elif when is None:
                status = "missed" if could is not None else "not_offered"
            else:
                row["after_s"] = when - (could if could is not None else at)
                status = "met" if row["after_s"] <= e.within_s else "late"
            out.append({**row, "status": status})
    return out


def findings(decisions: list, expected: list, handoffs: list, comparison: list, notes: list[dict],
             played: set[str], nm: Namer, L: dict, created: date) -> tuple[list[str], list[dict]]:
    """Strengths and the improvement plan (owner: a played agency, or the exercise planning team)."""
    strengths, items = [], []

    def item(issue: str, action: str, owner: str, priority: int, capability: str = "") -> None:
        items.append({"issue": issue, "action": action, "owner": owner, "priority": priority,
                      "capability": capability})

    for e in expected:
        if e["status"] == "met":
            strengths.append(L["s_met"].format(agency=e["agency"], action=e["action"], inject=e["inject"],
                                               after=f"{e['after_s'] / 60:.1f}", criterion=e["criterion"]))
        elif e["status"] in ("missed", "late"):
            item(L["i_" + e["status"]].format(action=e["action"], inject=e["inject"], criterion=e["criterion"]),
                 L["a_expected"].format(action=e["action"]), e["agency"], 1)
    for d in decisions:
        if d["fallback"]:
            item(L["i_fallback"].format(key=d["label"]), L["a_fallback"], d["agency"], 1)
    taken = [d for d in decisions if not d["fallback"]]
    if taken and not any(d["fallback"] for d in decisions):
        strengths.append(L["s_nofallback"].format(n=len(taken)))
    for h in handoffs:
        if h["gap_s"] > LONG_GAP_S and h["to_id"] in played:
            item(L["i_gap"].format(task=h["task"], frm=h["from"], to=h["to"], gap=f"{h['gap_s'] / 60:.1f}"),
                 L["a_gap"], h["to"], 2)
    for c in comparison:
        d, p = c["drill"], c["plan"]
        if d is not None and p is not None and c["metric_id"] in ("t_control", "casualties") and d < p:
            strengths.append(L["s_better"].format(metric=c["metric"], drill=c["drill_text"], plan=c["plan_text"]))
    for n in notes:
        rating, cap = n.get("rating"), n.get("capability") or ""
        if n.get("strength") or rating == "P":
            strengths.append(L["s_praise"].format(text=n["text"]))
        if n.get("improvement") or rating in ("M", "U"):
            owner = n["agency_id"] if n["agency_id"] in played else None
            if n.get("corrective"):
                action = n["corrective"]
            elif rating in ("M", "U") and cap:
                action = L["a_rating"].format(capability=cap, rating=rating, text=n["text"])
            else:
                action = L["a_note_capability"].format(capability=cap) if cap else L["a_note"]
            issue = n["text"] if owner or n["agency_id"] is None else f"{n['agency']}: {n['text']}"
            item(issue, action, n["agency"] if owner else L["owner_team"], 2 if rating != "U" else 1, cap)
    for i, it in enumerate(items, 1):
        it["no"] = i
        it["due"] = (created + timedelta(days=30 * it["priority"])).isoformat()
    return strengths, items
