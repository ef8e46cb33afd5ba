"""Duty desks that held the drill's hand-offs up (值班台受阻), for the after-action report's hand-off section.

The engine records on every hand-off the duty desk that held it longest (``simulation/model/holds.py``, the
``handoffs`` table's ``BLOCK_COLUMNS``): whose desk the message waited at, whose call (or work order) it was,
why — nobody on duty at night, too few at night and all busy, everyone on duty busy — how (the addressee's own
desk, an earlier call on a serial relay's list, the relay's own notice, a desk passing it on), in which part of
the gap, and for how long. The report reads the same records from the drill's own replication, for the same
hand-offs the ``handoffs`` table holds (``TaskRecord.counts_as_handoff``), and says them in words: one sentence
per held hand-off, and first the one desk that held the most minutes in total.

A drill is one replication: every figure here is "in this drill" (本次推演), never a mean. A hand-off counts at
the one desk that held it longest (as the table records it); a wait still going on at the drill's end counts up
to the end and is said to be still going on. The reasons are the dashboard's words (locale ``hold_reason``).
"""

from __future__ import annotations

import math
from typing import Any

from simulation.faces.aar_text import GAP_PART, mins
from simulation.faces.vocab import Namer, word

STAGE_END = {"ownership": "first_dispatch", "signing": "owner_known", "notification": "notified"}
"""The moment that ends each hold stage (``holds.HOLD_STAGES``): NaN means the hold was still on at the end."""

HOLD_TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "holds": "值班台受阻（本次推演）",
        "held": "受阻值班台（分钟，本次推演）",
        "top": "本次推演中，{desk}值班台搁置交接的时间最长：共 {minutes} 分钟，涉及 {n} 项交接（{reasons}）。",
        "none": "本次推演中，没有交接在任何单位的值班台受阻。",
        "note": (
            "受阻时间：各项交接在其受阻最久的值班台上等待的分钟数，按本次推演（一次重复，随机种子 {seed}）计；"
            "至推演结束仍在等待的，计至推演结束。"
        ),
        "row": "{task}（{pair}）：在{desk}值班台受阻——{reason}；{caller}的{what}在此等待 {minutes} 分钟"
               "（本次推演；环节：{stage}）{path}{end}。",
        "what": {"signing": "工单", "ownership": "电话", "notification": "电话"},
        "from": "由{frm}移交",
        "caller": "来电",
        "path": {"own_desk": "", "serial_relay": "；{to}排在逐一通知名单其后，一并等待",
                 "relay_notice": "；这是牵头转发单位本身的通知，其后的通知均未发出", "on_path": "；该值班台为中转"},
        "end": "；至推演结束仍在等待",
        "sep": "、",
        "plan": "按预案决策的 {n} 次重复中（同一情景、同一职责安排），{desk}值班台平均每次重复搁置交接 {mean} 分钟"
                "（{k}/{n} 次重复出现）。",
    },
    "en": {
        "holds": "Duty desks that held hand-offs up (in this drill)",
        "held": "Held at a duty desk (min, this drill)",
        "top": (
            "In this drill, the duty desk of {desk} held hand-offs up longest: {minutes} min in total over {n} "
            "hand-off(s) ({reasons})."
        ),
        "none": "In this drill, no hand-off was held up at any agency's duty desk.",
        "note": (
            "Held time: the minutes each hand-off spent waiting at the duty desk that held it longest, in this drill "
            "(one replication, seed {seed}); a wait still going on at the drill's end counts up to the end."
        ),
        "row": "{task} ({pair}): held at the duty desk of {desk} — {reason}; {caller}'s {what} waited {minutes} min "
               "there in this drill (stage: {stage}){path}{end}.",
        "what": {"signing": "work order", "ownership": "call", "notification": "call"},
        "from": "from {frm}",
        "caller": "a caller",
        "path": {"own_desk": "", "serial_relay": "; {to} came after it on the serial call list and waited with it",
                 "relay_notice": "; it was the relay's own notice, so none of the relay's calls went out",
                 "on_path": "; the desk was passing the message on"},
        "end": "; still waiting at the drill's end",
        "sep": "; ",
        "plan": (
            "Over the plan's {n} replications (same scenario and arrangement, the plan's decisions), the duty desk of "
            "{desk} held hand-offs up {mean} min per replication on average (in {k} of {n} replications)."
        ),
    },
}




def held(t: Any) -> float:
    """Seconds the hand-off ``t`` (a ``TaskRecord``) waited at the desk that held it longest; 0 if none did."""
    x = t.blocked_time
    return 0.0 if t.blocked_by is None or x is None or math.isnan(x) else float(x)


def hold_rows(rep: Any, nm: Namer) -> list[dict]:
    """Every hand-off of the drill's replication held at a duty desk, in the order of the ``handoffs`` table."""
    H = HOLD_TEXT[nm.lang]
    out = []
    for t in rep.tasks:
        if not t.counts_as_handoff or math.isnan(t.available) or held(t) <= 0:
            continue
        stage = t.block_stage
        still = stage in STAGE_END and math.isnan(getattr(t, STAGE_END[stage]))
        to = nm.agency(t.owner) if t.owner else None
        frm = nm.agency(t.from_agency) if t.from_agency else None
        pair = f"{frm} → {to}" if frm and to else H["from"].format(frm=frm) if frm else to or "—"
        row = {"task": nm.task(t.task), "task_id": t.task, "from": frm or "—", "to": to or "—", "to_id": t.owner,
               "desk": nm.agency(t.blocked_by), "desk_id": t.blocked_by,
               "caller": nm.agency(t.blocked_caller) if t.blocked_caller else H["caller"],
               "caller_id": t.blocked_caller, "reason_id": t.block_reason,
               "reason": word("hold_reason", t.block_reason, nm.lang), "path_id": t.block_path,
               "stage_id": stage, "stage": GAP_PART[nm.lang].get(stage, stage), "held_s": held(t),
               "minutes": mins(held(t)), "to_end": still}
        path = H["path"].get(t.block_path, "").format(to=to or ("—" if nm.lang == "zh" else "the owner"))
        row["sentence"] = H["row"].format(task=row["task"], pair=pair, desk=row["desk"], reason=row["reason"],
                                          caller=row["caller"], what=H["what"].get(stage, H["what"]["notification"]),
                                          minutes=row["minutes"], stage=row["stage"], path=path,
                                          end=H["end"] if still else "")
        out.append(row)
    return out


def by_desk(rows: list[dict], lang: str) -> list[dict]:
    """Per desk: the minutes it held hand-offs up in total, how many, and why — the most minutes first."""
    acc: dict[str, dict] = {}
    for r in rows:
        d = acc.setdefault(r["desk_id"], {"desk": r["desk"], "desk_id": r["desk_id"], "held_s": 0.0, "n": 0,
                                          "reason_ids": []})
        d["held_s"] += r["held_s"]
        d["n"] += 1
        if r["reason_id"] not in d["reason_ids"]:
            d["reason_ids"].append(r["reason_id"])
    out = sorted(acc.values(), key=lambda d: (-d["held_s"], d["desk"]))
    for d in out:
        d["minutes"] = mins(d["held_s"])
        d["reasons"] = HOLD_TEXT[lang]["sep"].join(word("hold_reason", x, lang) for x in d["reason_ids"])
    return out


def plan_holds(rows: list[dict], desk: str, n: int) -> dict[str, Any]:
    """``desk``'s holds over the plan's ``n`` replications (the counterfactual's ``handoffs`` rows with a hold):
    seconds per replication on average, and in how many replications it held any hand-off up."""
    mine = [r for r in rows if r["blocked_by"] == desk]
    return {"n": n, "held_s_mean": sum(r["blocked_time"] for r in mine) / max(n, 1),
            "k": len({r["replication"] for r in mine})}


def desk_holds(rep: Any, nm: Namer, seed: int, plan_rows: list[dict] = (), n: int = 0) -> dict[str, Any]:
    """The hand-off section's desk holds: ``rows`` (one per held hand-off, with its sentence), ``desks`` (per
    desk, most minutes first), ``top`` (that desk, or None), ``top_sentence``, ``note`` (the condition), and
    ``plan``/``plan_sentence``: the same desk over the plan's ``n`` replications (``plan_rows``), if any."""
    H = HOLD_TEXT[nm.lang]
    rows = hold_rows(rep, nm)
    desks = by_desk(rows, nm.lang)
    top = desks[0] if desks else None
    sentence = H["top"].format(desk=top["desk"], minutes=top["minutes"], n=top["n"], reasons=top["reasons"]) \
        if top else H["none"]
    plan = plan_holds(list(plan_rows), top["desk_id"], n) if top and n else None
    plan_sentence = H["plan"].format(n=n, desk=top["desk"], mean=mins(plan["held_s_mean"]),
                                     k=plan["k"]) if plan else ""
    return {"L": H, "rows": rows, "desks": desks, "top": top, "top_sentence": sentence,
            "note": H["note"].format(seed=seed), "plan": plan, "plan_sentence": plan_sentence}


def held_cell(t: Any, nm: Namer) -> str:
    """The hand-off table's cell: the desk that held the hand-off and its minutes in this drill, or '—'."""
    return f"{nm.agency(t.blocked_by)} {mins(held(t))}" if held(t) > 0 else "—"
