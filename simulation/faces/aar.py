"""After-action report (演练评估报告 / AAR-IP): HTML (Jinja2) and Word (.docx), in Chinese or English.

Structure follows AQ/T 9009-2015's evaluation report (演练概况, 评估内容, 存在问题, 改进建议) and HSEEP's
After-Action Report / Improvement Plan: exercise overview; timeline per agency; decision latencies;
hand-off gaps and their stages; expected actions met or missed against their time criteria; the drill
against the plan's automatic play of the same scenario and seed; a Monte-Carlo counterfactual with the
plan's decisions; strengths; improvement items with an owner agency and a due date.
"""

from __future__ import annotations

import math
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from simulation.drill.msel import format_time
from simulation.drill.policy import DrillPolicy
from simulation.drill.session import DrillSession
from simulation.drill.store import DrillStore
from simulation.experiments.metrics import replication_metrics
from simulation.experiments.outputs import is_duration
from simulation.experiments.runner import run
from simulation.faces.aar_text import GAP_PART, STAGE, T, event_text
from simulation.model.engine import Replication
from simulation.model.records import GAP_PARTS

COMPARE = ("t_report", "t_notify_lead", "t_dispatch", "t_first_arrival", "t_control", "t_close",
           "handoff_gap_total", "handoff_gap_max", "ownerless_time", "casualties", "peak_density")
LONG_GAP_S = 900.0


@contextmanager
def _finished(session: DrillSession) -> Iterator[DrillSession]:
    """The session played to its horizon: itself when ended, else a projection on a copy of its log
    (pending decisions fall back to their defaults at their deadlines). The copy is private (0600, in a
    0700 temporary folder) and removed when the report is built, whatever happens."""
    if session.ended:
        yield session
        return
    with tempfile.TemporaryDirectory(prefix="linkage-aar-") as d:
        tmp = Path(d) / f"{session.code}.sqlite"
        store = DrillStore(tmp)
        try:
            with session.lock:
                session.store.db.backup(store.db)
            copy = DrillSession(store)
            copy.play_to_end()
            yield copy
        finally:
            store.close()


def _mins(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x / 60:.1f}"


def build_report(session: DrillSession, lang: str = "zh", replications: int | None = None,
                 today: date | None = None) -> dict[str, Any]:
    """Everything the report says, as plain data (also what the tests check)."""
    lang = "zh" if lang.startswith("zh") else "en"
    with _finished(session) as fin:
        return _report(session, fin, lang, replications, today)


def _report(session: DrillSession, fin: DrillSession, lang: str, replications: int | None,
            today: date | None) -> dict[str, Any]:
    """The report of ``session``, read from ``fin`` (the session itself, or its projection to the horizon)."""
    L = T[lang]
    rep, spec, sc = fin.rep, fin.spec, fin.scenario
    events = sorted(fin.store.events(), key=lambda r: (r["sim_time"], r["seq"]))
    names = {
        a.id: (a.name.get(lang) if a.name else fin.world.graph.graph.nodes[a.id][f"name_{lang}"]) for a in sc.agencies
    }
    today = today or date.today()
    created = datetime.fromisoformat(fin.meta["created"]).date()

    # Timeline per agency (按单位的时间线).
    timeline: dict[str, list[dict]] = {}
    for r in events:
        if r["agency"] is None or r["kind"] in ("clock", "note", "set_default", "set_deadline", "deliver"):
            continue
        if r["kind"] == "task" and r["payload"]["stage"] not in (
            "notified",
            "decided",
            "unit_assigned",
            "arrived",
            "started",
            "done",
        ):
            continue
        timeline.setdefault(r["agency"], []).append(
            {
                "t": format_time(r["sim_time"]),
                "sim_time": r["sim_time"],
                "kind": r["kind"],
                "text": event_text(r, lang),
                "fallback": r["fallback"],
            }
        )
    timeline = {names.get(a, a): rows for a, rows in sorted(timeline.items(), key=lambda kv: kv[1][0]["sim_time"])}

    # Decision latencies (决策用时): asked → decided, in scenario time and wall time.
    asks = {r["key"][4:]: r for r in events if r["kind"] == "ask"}
    decisions = []
    for r in events:
        if r["kind"] != "decision":
            continue
        key = r["payload"]["decision"]
        ask = asks.get(key)
        plan = ask["payload"]["plan"] if ask else None
        decisions.append(
            {
                "key": key,
                "kind": r["payload"]["kind"],
                "agency": names.get(r["agency"], r["agency"]),
                "asked": format_time(r["payload"]["asked_at"]),
                "decided": format_time(r["sim_time"]),
                "latency_s": r["sim_time"] - r["payload"]["asked_at"],
                "wall_s": (r["wall_time"] - ask["wall_time"]) if ask and not r["fallback"] else None,
                "fallback": r["fallback"],
                "value": r["payload"]["value"],
                "as_plan": r["payload"]["value"] == plan,
            }
        )

    # Hand-offs (交接间隙) and their stages.
    handoffs = []
    for t in rep.tasks:
        if not (t.is_handoff or t.escalated) or math.isnan(t.available):
            continue
        parts = dict(zip(GAP_PARTS, t.gap_parts()))
        gap = (t.started if not math.isnan(t.started) else sc.horizon) - t.available
        handoffs.append({"task": t.task, "from": names.get(t.from_agency, t.from_agency or "—"),
                         "to": names.get(t.owner, t.owner or "—"), "to_id": t.owner, "gap_s": gap,
                         "censored": math.isnan(t.started), "parts": {k: _mins(v) for k, v in parts.items()},
                         "escalated": t.escalated})

    # Expected actions against their time criteria (HSEEP EEG; AQ/T 9009 评估).
    expected = _expected(fin, events, names, lang)

    # The drill against the plan's automatic play of the same scenario and seed (same random draws).
    auto_policy = DrillPolicy(fin.world, fin.msel, poll_s=spec.poll_s)
    auto = replication_metrics(Replication(fin.world, spec.seed, 0, auto_policy).run())
    drill = replication_metrics(rep)
    comparison = [{"metric": m, "drill": drill.get(m), "plan": auto.get(m), "minutes": is_duration(m)}
                  for m in COMPARE if m in drill or m in auto]

    # Monte-Carlo counterfactual with the plan's decisions (simulation.experiments.runner.run).
    n = replications or spec.counterfactual_replications
    mc = run(sc, n, spec.seed, world=fin.world, policy_factory=lambda w: DrillPolicy(w, fin.msel, poll_s=spec.poll_s))
    cf = _counterfactual(mc.replications.column("t_control").to_pylist(), drill.get("t_control"), n, L)
    cas = (
        [x for x in mc.replications.column("casualties").to_pylist() if x is not None]
        if "casualties" in mc.replications.column_names
        else []
    )

    strengths, improvements = _findings(decisions, expected, handoffs, comparison, fin, names, L, created)
    return {
        "lang": lang,
        "L": L,
        "title": spec.title.get(lang),
        "code": fin.code,
        "scenario": sc.name,
        "description": sc.description.get(lang),
        "arrangement": sc.arrangement.name,
        "seed": spec.seed,
        "created": fin.meta["created"],
        "generated": today.isoformat(),
        "projected": not session.ended,
        "played_until": format_time(session.now),
        "parent": fin.meta.get("parent"),
        "seats": [
            {
                "seat": s["seat"],
                "role": L["roles"][s["role"]],
                "agencies": ", ".join(names.get(a, a) for a in s["agencies"]),
            }
            for s in fin.seats.values()
        ],
        "timeline": timeline,
        "decisions": decisions,
        "handoffs": handoffs,
        "expected": expected,
        "comparison": comparison,
        "counterfactual": cf,
        "casualties_mc": (statistics.fmean(cas) if cas else None),
        "strengths": strengths,
        "improvements": improvements,
        "notes": [
            {
                "t": format_time(r["sim_time"]),
                "actor": r["actor"],
                "text": r["payload"]["text"],
                "agency": names.get(r["agency"], r["agency"] or "—"),
            }
            for r in events
            if r["kind"] == "note"
        ],
        "stage_names": STAGE[lang],
        "gap_part_names": GAP_PART[lang],
    }


def _expected(fin: DrillSession, events: list[dict], names: dict, lang: str) -> list[dict]:
    out = []
    delivered = {r["payload"]["inject"]: r["sim_time"] for r in events if r["kind"] == "inject"}
    for inj in fin.msel.injects:
        for e in inj.expected:
            at = delivered.get(inj.id)
            row = {"inject": inj.id, "agency": names.get(e.agency, e.agency), "agency_id": e.agency, "action": e.label,
                   "criterion": f"≤ {e.within_s / 60:g} min", "delivered": format_time(at) if at is not None else "—"}
            if at is None:
                out.append({**row, "status": "not_delivered", "when": "—"})
                continue
            when = _first_match(events, e, inj.id, at)
            status = (
                "met" if when is not None and when <= at + e.within_s else ("late" if when is not None else "missed")
            )
            out.append({**row, "status": status, "when": format_time(when) if when is not None else "—",
                        "after_s": None if when is None else when - at})
    return out


def _first_match(events: list[dict], e: Any, inject: str, at: float) -> float | None:
    """Earliest time the expected action happened (a fallback is not the player's action)."""
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


def _counterfactual(values: list, drill_value: float | None, n: int, L: dict) -> dict:
    xs = [v for v in values if v is not None]
    out: dict[str, Any] = {"n": n, "controlled": len(xs), "drill": _mins(drill_value)}
    if len(xs) >= 2:
        m, sd = statistics.fmean(xs), statistics.stdev(xs)
        out.update(mean=_mins(m), sd=_mins(sd), p10=_mins(sorted(xs)[int(0.1 * (len(xs) - 1))]),
                   p90=_mins(sorted(xs)[int(0.9 * (len(xs) - 1))]))
        share = None if drill_value is None else sum(x <= drill_value for x in xs) / len(xs)
        out["share_faster"] = None if share is None else f"{100 * share:.0f}%"
        out["sentence"] = L["cf_sentence"].format(mean=out["mean"], sd=out["sd"], n=n, k=len(xs), drill=out["drill"])
    else:
        out["sentence"] = L["cf_none"].format(n=n, k=len(xs), drill=out["drill"])
    return out


def _findings(decisions: list, expected: list, handoffs: list, comparison: list, fin: DrillSession,
              names: dict, L: dict, created: date) -> tuple[list[str], list[dict]]:
    strengths, items = [], []
    for e in expected:
        if e["status"] == "met":
            strengths.append(L["s_met"].format(agency=e["agency"], action=e["action"], inject=e["inject"],
                                               after=_mins(e["after_s"]), criterion=e["criterion"]))
        elif e["status"] in ("missed", "late"):
            items.append(
                {
                    "issue": L["i_" + e["status"]].format(
                        action=e["action"], inject=e["inject"], criterion=e["criterion"]
                    ),
                    "action": L["a_expected"].format(action=e["action"]),
                    "owner": e["agency"],
                    "priority": 1,
                }
            )
    for d in decisions:
        if d["fallback"]:
            items.append(
                {
                    "issue": L["i_fallback"].format(key=d["key"]),
                    "action": L["a_fallback"],
                    "owner": d["agency"],
                    "priority": 1,
                }
            )
    fast = [d for d in decisions if not d["fallback"]]
    if fast and not any(d["fallback"] for d in decisions):
        strengths.append(L["s_nofallback"].format(n=len(fast)))
    for h in handoffs:
        if h["gap_s"] > LONG_GAP_S:
            items.append({"issue": L["i_gap"].format(task=h["task"], frm=h["from"], to=h["to"], gap=_mins(h["gap_s"])),
                          "action": L["a_gap"], "owner": h["to"], "priority": 2})
    for c in comparison:
        d, p = c["drill"], c["plan"]
        if d is not None and p is not None and c["metric"] in ("t_control", "casualties") and d < p:
            strengths.append(L["s_better"].format(metric=c["metric"]))
    for r in fin.store.events():
        if r["kind"] == "note" and r["payload"].get("improvement"):
            items.append({"issue": r["payload"]["text"], "action": r["payload"].get("capability") or L["a_note"],
                          "owner": names.get(r["agency"], r["agency"] or "—"), "priority": 2})
    for i, it in enumerate(items, 1):
        it["no"] = i
        it["due"] = (created + timedelta(days=30 * it["priority"])).isoformat()
    return strengths, items


def write_html(data: dict, path: str | Path) -> None:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["mins"] = _mins
    html = env.get_template("aar.html.j2").render(**data)
    _atomic(path, html.encode("utf-8"))


def write_docx(data: dict, path: str | Path) -> None:
    from simulation.faces.aar_docx import render_docx

    _atomic(path, render_docx(data))


def _atomic(path: str | Path, blob: bytes) -> None:
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_bytes(blob)
    tmp.replace(p)
