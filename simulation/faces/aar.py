"""After-action report (演练评估报告 / AAR-IP): HTML (Jinja2) and Word (.docx), in Chinese or English.

Structure follows AQ/T 9009-2015's evaluation report (演练概况, 评估内容, 存在问题, 改进建议) and HSEEP's
After-Action Report / Improvement Plan: exercise overview; timeline per agency; decision latencies;
hand-off gaps and their stages, with the duty desk that held each hand-off up, whose call it was, why
and for how long (``aar_holds``); expected actions met or missed against their time criteria; the drill
against the plan's automatic play of the same scenario and seed; a Monte-Carlo counterfactual with the
plan's decisions; strengths; improvement items with an owner agency and a due date.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from simulation.drill.msel import format_time
from simulation.drill.session import DrillSession
from simulation.drill.store import DrillStore
from simulation.experiments.metrics import replication_metrics
from simulation.faces.aar_holds import desk_holds, held_cell
from simulation.faces.aar_plan import comparison, counterfactual, delivered_by_hand, plan_play
from simulation.faces.aar_score import findings, score_expected
from simulation.faces.aar_text import GAP_PART, STAGE, T, event_text, mins
from simulation.faces.vocab import Namer
from simulation.model.records import GAP_PARTS

SKIP_KINDS = ("clock", "note", "set_default", "set_deadline", "deliver")
TIMELINE_STAGES = ("notified", "decided", "unit_assigned", "arrived", "started", "done")


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
            copy = DrillSession(store, session.wall_clock)
            copy.play_to_end()
            yield copy
        finally:
            store.close()




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
    names = {a.id: _agency_name(a, fin.world.graph.graph.nodes[a.id][f"name_{lang}"], lang) for a in sc.agencies}
    nm = Namer(sc, lang, names)
    played = {a for s in fin.seats.values() if s["role"] == "player" for a in s["agencies"]}
    today = today or date.today()
    created = datetime.fromisoformat(fin.meta["created"]).date()

    by_hand = delivered_by_hand(events)
    drill = replication_metrics(rep)
    plan = plan_play(fin, by_hand)
    comp = comparison(drill, plan, nm)
    n = replications or spec.counterfactual_replications
    cf = counterfactual(fin, n, by_hand, drill, plan, nm, L)
    decisions = _decisions(events, nm)
    handoffs = _handoffs(rep, sc, nm)
    expected = score_expected(fin.msel, events, played, nm)
    notes = _notes(events, nm)
    strengths, improvements = findings(decisions, expected, handoffs, comp, notes, played, nm, L, created)
    return {
        "lang": lang,
        "L": L,
        "title": spec.title.get(lang),
        "code": fin.code,
        "scenario": nm.incident_type(sc.primary_incident().type) if sc.primary_incident() else sc.name,
        "description": sc.description.get(lang),
        "arrangement": sc.arrangement.title.get(lang) if sc.arrangement.title else sc.arrangement.name,
        "seed": spec.seed,
        "created": fin.meta["created"],
        "generated": today.isoformat(),
        "projected": not session.ended,
        "played_until": format_time(session.now),
        "parent": fin.meta.get("parent"),
        "seats": [{"seat": s["seat"], "role": L["roles"][s["role"]], "agencies": "、".join(
            nm.agency(a) for a in s["agencies"]) if lang == "zh" else ", ".join(nm.agency(a) for a in s["agencies"])}
            for s in fin.seats.values()],
        "timeline": _timeline(events, nm),
        "decisions": decisions,
        "handoffs": handoffs,
        "holds": desk_holds(rep, nm, spec.seed, cf["holds"], n),
        "expected": expected,
        "comparison": comp,
        "plan_injects": L["plan_injects"].format(injects=", ".join(sorted(by_hand))) if by_hand else "",
        "counterfactual": cf,
        "casualties_mc": cf["casualties_mc"],
        "strengths": strengths,
        "improvements": improvements,
        "notes": notes,
        "stage_names": STAGE[lang],
        "gap_part_names": GAP_PART[lang],
    }


def _agency_name(a: Any, role_name: str, lang: str) -> str:
    """An agency's own name, else its role's with its streets (街道办事处（S3）) — the dashboard's rule, so that the
    four street offices of a district are four names."""
    if a.name:
        return a.name.get(lang)
    if not a.jurisdiction:
        return role_name
    streets = a.jurisdiction
    return f"{role_name}（{'、'.join(streets)}）" if lang == "zh" else f"{role_name} ({', '.join(streets)})"


def _timeline(events: list[dict], nm: Namer) -> dict[str, list[dict]]:
    """Per agency (按单位的时间线), in order of each agency's first event."""
    out: dict[str, list[dict]] = {}
    for r in events:
        if r["agency"] is None or r["kind"] in SKIP_KINDS:
            continue
        if r["kind"] == "task" and r["payload"]["stage"] not in TIMELINE_STAGES:
            continue
        out.setdefault(r["agency"], []).append({"t": format_time(r["sim_time"]), "sim_time": r["sim_time"],
                                                "kind": r["kind"], "text": event_text(r, nm),
                                                "fallback": r["fallback"]})
    return {nm.agency(a): rows for a, rows in sorted(out.items(), key=lambda kv: kv[1][0]["sim_time"])}


def _decisions(events: list[dict], nm: Namer) -> list[dict]:
    """Decision latencies (决策用时): asked → decided in scenario time, and in wall-clock time (the player's)."""
    asks = {r["key"][4:]: r for r in events if r["kind"] == "ask"}
    out = []
    for r in events:
        if r["kind"] != "decision":
            continue
        key = r["payload"]["decision"]
        ask = asks.get(key)
        plan = ask["payload"]["plan"] if ask else None
        wall = (r["wall_time"] - ask["wall_time"]) if ask and not r["fallback"] else None
        out.append({"key": key, "label": nm.decision_key(key), "kind": r["payload"]["kind"],
                    "agency": nm.agency(r["agency"]), "agency_id": r["agency"],
                    "asked": format_time(r["payload"]["asked_at"]), "decided": format_time(r["sim_time"]),
                    "latency_s": r["sim_time"] - r["payload"]["asked_at"], "wall_s": wall,
                    "wall_min": mins(wall), "fallback": r["fallback"],
                    "value": nm.value(r["payload"]["kind"], r["payload"]["value"]),
                    "as_plan": r["payload"]["value"] == plan})
    return out


def _handoffs(rep: Any, sc: Any, nm: Namer) -> list[dict]:
    """Hand-offs (交接间隙) and their stages: the hand-offs of the ``handoffs`` table (another agency's work
    before the task, a disputed owner, or a work order), with the duty desk that held each up (``held``)."""
    out = []
    for t in rep.tasks:
        if not t.counts_as_handoff or math.isnan(t.available):
            continue
        parts = dict(zip(GAP_PARTS, t.gap_parts()))
        gap = (t.started if not math.isnan(t.started) else sc.horizon) - t.available
        out.append({"task": nm.task(t.task), "from": nm.agency(t.from_agency), "to": nm.agency(t.owner),
                    "to_id": t.owner, "gap_s": gap, "censored": math.isnan(t.started),
                    "parts": {k: mins(v) for k, v in parts.items()}, "escalated": t.escalated,
                    "held": held_cell(t, nm)})
    return out


def _notes(events: list[dict], nm: Namer) -> list[dict]:
    """Evaluators' notes (评估记录) with their rating, core capability, corrective action and praise."""
    return [{"t": format_time(r["sim_time"]), "actor": r["actor"], "text": r["payload"]["text"],
             "agency": nm.agency(r["agency"]), "agency_id": r["agency"],
             "improvement": bool(r["payload"].get("improvement")), "strength": bool(r["payload"].get("strength")),
             "rating": r["payload"].get("rating") or None, "capability": r["payload"].get("capability") or "",
             "corrective": r["payload"].get("corrective") or ""}
            for r in events if r["kind"] == "note"]


def write_html(data: dict, path: str | Path) -> None:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["mins"] = mins
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
