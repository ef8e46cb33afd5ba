"""Role-based views and the drill's server-side API (角色视图与权限).

Every request carries a session token issued on joining a seat with its PIN; the seat — never the
request — says which agencies a person plays. A player sees only what their agencies know (reports and
notifications received, injects addressed to them, their own units, tasks and pending decisions) and can
act only for them; the facilitator (导调) sees and steers everything; evaluators (评估) and observers
(观摩) see everything and cannot change the simulation (evaluators may write observations). All checks
are here, on the server side: a page or a crafted HTTP request gets the same answer.

:class:`DrillService` exposes three calls — ``join``, ``view``, ``act`` — used alike by the HTTP server
(:mod:`simulation.faces.drill_server`) and in-process by the dashboard.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from simulation.drill.msel import format_time  # re-exported: the dashboards show drill times with it
from simulation.drill.pins import needs_rehash, new_pin, verify_pin
from simulation.drill.policy import DrillError
from simulation.drill.session import DrillSession
from simulation.drill.store import DrillStore, FolderLock, digest
from simulation.faces.drill_labels import labels as drill_labels
from simulation.model.records import TASK_STAGES

CODE_RE = re.compile(r"^[A-Z2-9]{6}$")
PLAYER_KINDS = ("report", "notified", "task", "inject", "message", "ask", "decision", "ack", "notify")
OBSERVER_KINDS = (*PLAYER_KINDS, "clock", "end", "deliver")
PLAYER_ACTIONS = ("decide", "notify", "message", "ack")
FACILITATOR_ACTIONS = ("clock", "deliver", "set_default", "set_deadline", "note", "reissue_pin")
EVALUATOR_ACTIONS = ("note",)
MAX_FAILED_JOINS = 5
LOCKOUT_S = 300.0
MAX_TRACKED_ADDRESSES = 10_000
TOKEN_TTL_S = 12 * 3600.0
"""A token lasts one drill day; after that the seat joins again with its PIN."""
MAX_REPORT_REPLICATIONS = 200
"""Counterfactual replications one report request may ask for (the CLI's ``drill export -n`` has no cap)."""
WRONG_JOIN = "wrong session code, seat or PIN"
LOCKED_OUT = "too many failed attempts from this address; wait five minutes"
_IMAGE_RE = re.compile(r"!\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_HTML_IMG_RE = re.compile(r"<\s*img\b[^>]*>", re.I)


class AccessDenied(DrillError):
    """Unknown or forged token, wrong PIN, or an action this seat may not take."""


class Busy(DrillError):
    """A bounded job (the after-action report) is running already; try again shortly."""


class DrillService:
    """Sessions of one drill folder, with joining, authorisation and role-filtered views.

    ``exclusive`` (serving: the HTTP server, the in-process pages) holds the folder's single-writer lock
    for the life of the service; read-only commands (``drill show``, ``export``) pass ``False``.
    """

    def __init__(self, directory: str | Path, exclusive: bool = True, token_ttl_s: float = TOKEN_TTL_S) -> None:
        self.dir = Path(directory)
        self.folder_lock = FolderLock(self.dir) if exclusive else None
        self.token_ttl_s = token_ttl_s
        self._sessions: dict[str, DrillSession] = {}
        self._lock = threading.Lock()
        self._failed: dict[str, list[float]] = {}
        self._failed_lock = threading.Lock()
        self._report_slot = threading.Lock()

    def session(self, code: str) -> DrillSession:
        s = self._find(code)
        if s is None:
            raise AccessDenied("unknown session code")
        return s

    def _find(self, code: Any) -> DrillSession | None:
        if not isinstance(code, str) or not CODE_RE.match(code):
            return None
        with self._lock:
            s = self._sessions.get(code)
            if s is None:
                path = self.dir / f"{code}.sqlite"
                if not path.is_file():
                    return None
                s = self._sessions[code] = DrillSession(DrillStore(path))
            return s

    def close(self) -> None:
        """Let another process serve the folder (the lock also goes when the process ends)."""
        if self.folder_lock is not None:
            self.folder_lock.release()

    def adopt(self, session: DrillSession) -> None:
        """Serve a session opened elsewhere in this process (e.g. just created)."""
        with self._lock:
            self._sessions[session.code] = session

    # -- joining: per-address lockout ----------------------------------------------------------

    def _recent_failures(self, who: str) -> list[float]:
        now = time.time()
        with self._failed_lock:
            recent = [t for t in self._failed.get(who, []) if now - t < LOCKOUT_S]
            if recent:
                self._failed[who] = recent
            else:
                self._failed.pop(who, None)
            return recent

    def _fail(self, who: str) -> None:
        with self._failed_lock:
            if len(self._failed) >= MAX_TRACKED_ADDRESSES and who not in self._failed:
                self._failed.pop(next(iter(self._failed)))  # oldest first: the table's memory stays bounded
            self._failed.setdefault(who, []).append(time.time())

    def join(self, code: Any, seat: Any, pin: Any, client: str | None = None) -> dict:
        """Exchange a seat's PIN for a session token (returned once; only its hash is stored).

        Failed attempts count per client address (``client``; the in-process pages pass the browser's):
        five within five minutes lock that address out, while a correct PIN from another address is still
        accepted, so a stranger cannot lock the facilitator out. An unknown session code counts and
        answers exactly like a wrong PIN (same message, same status, a dummy hash checked all the same)."""
        who = client or "local"
        if len(self._recent_failures(who)) >= MAX_FAILED_JOINS:
            raise AccessDenied(LOCKED_OUT)
        s = self._find(code)
        stored = s.store.pin_hash(seat) if s is not None and isinstance(seat, str) else None
        if not verify_pin(pin if isinstance(pin, str) else "", stored, code if isinstance(code, str) else ""):
            self._fail(who)
            raise AccessDenied(WRONG_JOIN)
        if needs_rehash(stored):
            s.store.rehash_pin(seat, pin)
        info = s.seats[seat]
        token = f"{code}.{secrets.token_urlsafe(24)}"
        s.store.add_token(digest(token, code), seat)
        return {"token": token, "code": code, "seat": seat, "role": info["role"], "agencies": info["agencies"]}

    def authorize(self, token: Any) -> tuple[DrillSession, dict]:
        if not isinstance(token, str) or token.count(".") != 1:
            raise AccessDenied("missing or malformed token")
        code = token.split(".", 1)[0]
        s = self.session(code)
        seat, expired = s.store.seat_of_token(digest(token, code), self.token_ttl_s)
        if seat is None:
            raise AccessDenied("unknown token")
        if expired:
            s.store.revoke_token(digest(token, code))
            raise AccessDenied("the session token has expired; join again with the seat's PIN")
        return s, s.seats[seat]

    def leave(self, token: Any) -> dict:
        """Revoke this token (the "Leave" button): it is refused from now on, here and after a restart."""
        s, _ = self.authorize(token)
        s.store.revoke_token(digest(token, s.code))
        return {"ok": True}

    # -- the three calls ------------------------------------------------------------------------

    def view(self, token: Any) -> dict:
        s, seat = self.authorize(token)
        with s.lock:
            if seat["role"] == "player":
                return player_view(s, seat)
            return control_view(s, seat, full=seat["role"] in ("facilitator", "evaluator"))

    def act(self, token: Any, action: str, payload: dict | None = None) -> dict:
        s, seat = self.authorize(token)
        payload = payload if isinstance(payload, dict) else {}
        allowed = {"player": PLAYER_ACTIONS, "facilitator": FACILITATOR_ACTIONS, "evaluator": EVALUATOR_ACTIONS}.get(
            seat["role"], ()
        )
        if action not in allowed:
            raise AccessDenied(f"a {seat['role']} may not '{action}'")
        actor, agencies = seat["seat"], list(seat["agencies"])
        if action == "reissue_pin":
            target = str(payload.get("seat"))
            pin = reissue_pin(s, actor, target, keep_token=digest(token, s.code))
            return {"ok": True, "seat": target, "pin": pin, "now": s.now}
        if action == "decide":
            rec = s.decide(actor, agencies, str(payload.get("key")), payload.get("value"))
        elif action == "notify":
            rec = s.notify(actor, agencies, payload)
        elif action == "message":
            rec = s.message(actor, agencies, payload)
        elif action == "ack":
            rec = s.ack(actor, agencies, str(payload.get("inject")))
        elif action == "clock":
            v = payload.get("value")
            return {"now": s.clock(actor, str(payload.get("mode")), None if v is None else _number(v))}
        elif action == "deliver":
            rec = s.deliver(actor, str(payload.get("inject")))
        elif action == "set_default":
            rec = s.set_default(actor, str(payload.get("target")), payload.get("value"))
        elif action == "set_deadline":
            rec = s.set_deadline(actor, str(payload.get("kind")), _number(payload.get("seconds")))
        else:
            rec = s.note(actor, payload)
        return {"ok": True, "key": rec["key"], "now": s.now}

    def report(self, token: Any, fmt: str = "html", lang: str = "zh", n: int | None = None) -> bytes:
        """The after-action report (facilitator and evaluators only), as HTML or .docx bytes. One report
        is prepared at a time, with at most ``MAX_REPORT_REPLICATIONS`` counterfactual replications."""
        import tempfile

        from simulation.faces.aar import build_report, write_docx, write_html

        s, seat = self.authorize(token)
        if seat["role"] not in ("facilitator", "evaluator"):
            raise AccessDenied("only the facilitator and evaluators read the report")
        if fmt not in ("html", "docx") or lang not in ("zh", "en"):
            raise DrillError("format is html or docx; language zh or en")
        n = n or s.spec.counterfactual_replications
        if not 2 <= n <= MAX_REPORT_REPLICATIONS:
            raise DrillError(f"a report from the server runs 2 … {MAX_REPORT_REPLICATIONS} replications "
                             f"(asked for {n}; `linkage drill export -n` on the server machine has no cap)")
        if not self._report_slot.acquire(blocking=False):
            raise Busy("another report is being prepared; try again in a minute")
        try:
            data = build_report(s, lang, replications=n)
            with tempfile.TemporaryDirectory(prefix="linkage-aar-") as d:
                out = Path(d) / f"aar.{fmt}"
                (write_html if fmt == "html" else write_docx)(data, out)
                return out.read_bytes()
        finally:
            self._report_slot.release()


def reissue_pin(s: DrillSession, actor: str, seat_id: str, keep_token: str | None = None) -> str:
    """A new PIN for a seat (shown once): the old one stops working and the seat's tokens are revoked
    (``keep_token``'s hash excepted: the facilitator's own login). Logged as an audit record, not a
    simulation input (a replay has nothing to do with it)."""
    with s.lock:
        if seat_id not in s.seats:
            raise DrillError(f"no seat '{seat_id}' in this session")
        pin = new_pin()
        s.store.set_pin(seat_id, pin, keep_token)
        s.store.append({"key": f"pin:{uuid.uuid4().hex}", "kind": "pin_reissued", "sim_time": s.now,
                        "actor": actor, "payload": {"seat": seat_id}}, is_input=False)
        return pin


def _number(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise DrillError(f"{v!r} is not a number") from None
    if not math.isfinite(x):
        raise DrillError("a number must be finite")
    return x


# -- views ----------------------------------------------------------------------------------------


def _clock(s: DrillSession) -> dict:
    return {"now": s.now, "label": format_time(s.now), "horizon": s.horizon, "ended": s.ended,
            "clock_start": s.scenario.clock_start, "title": s.spec.title.model_dump(), "code": s.code}


def plain_text(text: Any) -> Any:
    """Text shown on players' pages without what would make their browsers fetch from elsewhere: a
    markdown image (``![alt](url)``, ``![alt][ref]``) becomes its alt text, an HTML ``<img>`` goes, and any
    ``![`` left (nested brackets, odd forms) is broken up so that no image syntax remains."""
    if not isinstance(text, str):
        return text
    return _HTML_IMG_RE.sub("", _IMAGE_RE.sub(lambda m: m.group(1), text)).replace("![", "! [")


def _public_event(r: dict, full: bool) -> dict:
    out = {k: r[k] for k in ("seq", "kind", "sim_time", "wall_time", "actor", "agency", "fallback")}
    p = dict(r["payload"])
    if not full and r["kind"] == "inject":
        p.pop("expected", None)  # evaluation criteria and effects are for controllers, not players
        p.pop("effect", None)
    for k in ("zh", "en", "text"):  # inject texts (MSEL authors) and messages (players) alike
        if k in p:
            p[k] = plain_text(p[k])
    out["payload"] = p
    return out


def _units(s: DrillSession, agencies: set[str] | None) -> list[dict]:
    busy = {}
    for t in s.rep.tasks:
        if t.status != "done":
            for u in t.units:
                busy[u] = f"{t.incident}/{t.task}"
    return [{"unit": u.name, "kind": u.kind, "agency": u.agency, "station": u.station,
             "free": s.rep.unit_is_free(u.index), "task": busy.get(u.name)}
            for u in s.world.units if agencies is None or u.agency in agencies]


def _tasks(s: DrillSession, agencies: set[str] | None) -> list[dict]:
    out = []
    for t in s.rep.tasks:
        if agencies is not None and t.owner not in agencies:
            continue
        stages = {k: (None if math.isnan(getattr(t, k)) else getattr(t, k))
                  for k in TASK_STAGES}
        out.append({"incident": t.incident, "task": t.task, "owner": t.owner, "status": t.status,
                    "units": list(t.units), **stages})
    return out


def player_view(s: DrillSession, seat: dict) -> dict:
    """What one player seat may see: its agencies' messages, units, tasks and pending decisions."""
    mine = set(seat["agencies"])
    events = [_public_event(r, full=False) for r in s.store.events()
              if r["agency"] in mine and r["kind"] in PLAYER_KINDS]
    events.sort(key=lambda e: (e["sim_time"], e["seq"]))
    incidents = sorted({e["payload"]["incident"] for e in events if e["kind"] in ("report", "notified")})
    pending = [p.public() for p in s.policy.pending.values() if not p.resolved and p.agency in mine]
    return {"role": "player", "seat": seat["seat"], "agencies": sorted(mine), "clock": _clock(s),
            "messages": events, "pending": pending, "units": _units(s, mine), "tasks": _tasks(s, mine),
            "incidents": incidents, "agency_names": _names(s, None), "labels": _labels(s)}


def control_view(s: DrillSession, seat: dict, full: bool = True) -> dict:
    """Facilitator and evaluators (``full``): everything, read-only unless facilitator. Observers (观摩)
    watch what has happened: delivered injects without their expected actions or effects, no MSEL rows
    not yet released, no evaluators' notes, no defaults or deadlines."""
    events = [_public_event(r, full=full) for r in s.store.events() if full or r["kind"] in OBSERVER_KINDS]
    events.sort(key=lambda e: (e["sim_time"], e["seq"]))
    pending = [p.public() for p in s.policy.pending.values() if not p.resolved]
    injects = []
    for inj in s.msel.injects:
        at = s.policy.delivered.get(inj.id)
        if not full and at is None:
            continue
        row = {**inj.row(), "at": inj.time, "delivered_at": at, "manual": inj.manual}
        row["inject_zh"], row["inject_en"] = plain_text(row["inject_zh"]), plain_text(row["inject_en"])
        if not full:
            for k in ("expected_actions", "effect", "objective", "notes"):
                row.pop(k)
        injects.append(row)
    hazards = {}
    for st in s.rep.incident_states:
        if st.hazard is not None and s.now >= st.spec.onset:
            hazards[st.spec.id] = {k: float(v) for k, v in st.hazard.state(max(s.now - st.spec.onset, 1.0)).items()}
    agencies = []
    for a in s.scenario.agencies:
        agencies.append(
            {
                "agency": a.id,
                "seat": s.policy.players.get(a.id),
                "notified": sorted(
                    st.spec.id for st in s.rep.incident_states if st.knows(a.id)
                ),
                "tasks": [f"{t.task}:{t.status}" for t in s.rep.tasks if t.owner == a.id],
                "pending": sum(1 for p in s.policy.pending.values() if p.agency == a.id and not p.resolved),
                "units_busy": sum(1 for u in s.world.units if u.agency == a.id and not s.rep.unit_is_free(u.index)),
                "units": sum(1 for u in s.world.units if u.agency == a.id),
            }
        )
    seats = [{"seat": x["seat"], "role": x["role"], "agencies": x["agencies"]} for x in s.seats.values()]
    return {"role": seat["role"], "seat": seat["seat"], "read_only": seat["role"] != "facilitator", "clock": _clock(s),
            "messages": events, "pending": pending, "injects": injects, "hazards": hazards, "agencies": agencies,
            "seats": seats, "tasks": _tasks(s, None), "units": _units(s, None),
            "defaults": dict(s.policy.defaults) if full else {}, "deadlines": dict(s.policy.deadlines) if full else {},
            "agency_names": _names(s, None), "labels": _labels(s)}


def _labels(s: DrillSession) -> dict:
    """Every id of this drill named in zh and en (:mod:`simulation.faces.drill_labels`), made once a session."""
    if not hasattr(s, "labels"):
        s.labels = drill_labels(s.scenario, s.world)
    return s.labels


def _names(s: DrillSession, agencies: set[str] | None) -> dict[str, dict]:
    g = s.world.graph.graph
    return {a: {"zh": g.nodes[a].get("name_zh", a), "en": g.nodes[a].get("name_en", a)}
            for a in s.world.graph.agency if agencies is None or a in agencies}
