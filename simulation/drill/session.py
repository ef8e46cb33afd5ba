"""A drill session (推演场次): the engine as referee, driven by players' decisions, logged to SQLite.

The engine is deterministic given (scenario, seed, decisions), so a session *is* its definition plus its
log of inputs: clock steps, decisions, copy-notifications, messages, manual injects, the facilitator's
defaults. Every input is validated against the live state, committed to the log, then applied. Opening a
session (after a crash, or in another process) rebuilds the replication and replays the inputs at their
scenario times — each clock step processes every event up to its time — which gives back the same state.
A branch is a new session whose log copies the parent's inputs before time T ("what if we had…").
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scenarios.schema import Scenario
from simulation.drill.msel import Msel
from simulation.drill.policy import DECISION_KINDS, DrillError, DrillPolicy
from simulation.drill.session_log import engine_records, write_session_file
from simulation.drill.spec import DrillSpec
from simulation.drill.store import DrillStore
from simulation.model.engine import Replication
from simulation.model.world import build_world

RATINGS = ("P", "S", "M", "U")
SIM_INPUTS = ("clock", "decision", "notify", "message", "deliver", "set_default", "set_deadline", "end")


class DrillSession:
    """One live drill: a :class:`Replication` stepped by the facilitator, answered by players."""

    def __init__(self, store: DrillStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.wall_clock = clock
        """Wall clock (seconds): when a decision was put to a player and when they answered (决策实际用时).
        The scenario clock stands still while players think, so only this clock measures them."""
        self.lock = threading.RLock()
        meta = store.meta()
        self.code: str = meta["code"]
        self.meta = meta
        self.spec = DrillSpec.model_validate(meta["spec"])
        self.scenario = Scenario.model_validate(meta["scenario"])
        self.msel = Msel.model_validate(meta["msel"])
        self.seats: dict[str, dict] = store.seats()
        self.world = build_world(self.scenario)
        players = {a: s["seat"] for s in self.seats.values() if s["role"] == "player" for a in s["agencies"]}
        self.policy = DrillPolicy(self.world, self.msel, players, dict(self.spec.deadlines), dict(self.spec.defaults),
                                  self.spec.poll_s)
        self.rep = Replication(self.world, self.spec.seed, 0, self.policy, trace=True)
        self.rep.start()
        self.ended = False
        self._seen: set[str] = set()
        self._replay()

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def create(cls, spec: DrillSpec, scenario: Scenario, msel: Msel, directory: str | Path,
               parent: str | None = None, branched_at: float | None = None,
               clock: Callable[[], float] = time.time) -> tuple[DrillSession, dict[str, str]]:
        """A new session file in ``directory``; returns the session and each seat's PIN (shown once)."""
        path, pins = write_session_file(spec, scenario, msel, directory, parent, branched_at)
        return cls(DrillStore(path), clock), pins

    def branch(self, at: float, directory: str | Path) -> tuple[DrillSession, dict[str, str]]:
        """A new session that replays this one's inputs before scenario time ``at``, then stops at ``at``."""
        with self.lock:
            if not 0 <= at <= self.now:
                raise DrillError(f"branch time must be within 0 … {self.now:.0f} s (the time played so far)")
            spec = self.spec
            child, pins = DrillSession.create(
                spec, self.scenario, self.msel, directory, parent=self.code, branched_at=at, clock=self.wall_clock
            )
            keep = [r for r in self.store.events(inputs_only=True) if r["sim_time"] < at and r["kind"] != "end"]
            for r in keep:
                child.store.append({**r, "key": r["key"]}, is_input=True)
            child.store.append(
                {
                    "key": f"clock:{uuid.uuid4().hex}",
                    "kind": "clock",
                    "sim_time": at,
                    "actor": "facilitator",
                    "payload": {"until": at, "branch": True},
                },
                is_input=True,
            )
        fresh = DrillSession(DrillStore(child.store.path), self.wall_clock)
        child.store.close()
        return fresh, pins

    # -- state ----------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return float(self.rep.env.now)

    @property
    def horizon(self) -> float:
        return float(self.scenario.horizon)

    def seat(self, seat_id: str) -> dict:
        return self.seats[seat_id]

    # -- clock ----------------------------------------------------------------------------------

    def _advance_to(self, until: float, stop_on_attention: bool = False) -> None:
        """Process every event up to ``until`` (before the horizon; at it, like ``Replication.run``)."""
        env = self.rep.env
        until = min(until, self.horizon)
        self.policy.attention = False

        def due() -> bool:
            t = env.peek()
            return t < until or (t == until and until < self.horizon)

        while due():
            env.step()
            if stop_on_attention and self.policy.attention:
                while env.peek() == env.now:  # finish this instant, so a replay can stop at the same place
                    env.step()
                return
        if env.now < until:
            env.run(until=until)

    def _next_stop(self, mode: str, value: float | None) -> float:
        if mode == "until":
            if value is None or not math.isfinite(value):
                raise DrillError("give the scenario time to run until")
            return float(value)
        if mode == "forward":
            if value is None or not value > 0:
                raise DrillError("fast-forward by a positive number of seconds")
            return self.now + float(value)
        if mode == "step":
            return self.horizon
        raise DrillError(f"unknown clock mode '{mode}' (step, until, forward, end)")

    def clock(self, actor: str, mode: str, value: float | None = None) -> float:
        """Facilitator's clock: step (to the next decision or inject), until T, forward by S, end."""
        with self.lock:
            self._check_open()
            if mode == "end":
                self._log_input("end", actor, None, {})
                self.play_to_end()
                self._flush()
                return self.now
            target = self._next_stop(mode, value)
            if target <= self.now:
                raise DrillError(f"the clock is at {self.now:.0f} s already")
            self._advance_to(target, stop_on_attention=(mode == "step"))
            self._log_input("clock", actor, None, {"until": self.now, "mode": mode})
            self._flush()
            return self.now

    def play_to_end(self) -> None:
        """Run the exercise world to its horizon (pending decisions fall back to their defaults) and close it."""
        self._advance_to(self.horizon)
        self.rep.finish()
        self.ended = True

    # -- players' and controllers' inputs -------------------------------------------------------

    def decide(self, actor: str, agencies: list[str], key: str, payload: Any) -> dict:
        with self.lock:
            self._check_open()
            p = self.policy.pending.get(key)
            if p is None:
                raise DrillError(f"no decision '{key}' is waiting")
            if p.agency not in agencies:
                raise DrillError(f"decision '{key}' belongs to another agency")
            if p.resolved:
                raise DrillError(f"decision '{key}' is taken already (at its deadline the plan's default applied)")
            value = self.policy.validate(p, payload)
            rec = self._log_input("decision", actor, p.agency, {"decision": key, "kind": p.kind, "value": value,
                                                                 "asked_at": p.asked_at}, key=f"decision:{key}")
            self.policy.resolve(key, value)
            self._flush()
            return rec

    def notify(self, actor: str, agencies: list[str], payload: dict) -> dict:
        """Copy-notify (抄告) another agency of an incident one of your agencies knows of."""
        with self.lock:
            self._check_open()
            st, src, dst = self._check_route(agencies, payload)
            if not st.notified.get(src) or not st.notified[src].triggered:
                raise DrillError(f"'{src}' has not been told of incident '{st.spec.id}' yet")
            rec = self._log_input("notify", actor, src, {"incident": st.spec.id, "from": src, "to": dst})
            self._apply_notify(rec["payload"])
            self._flush()
            return rec

    def message(self, actor: str, agencies: list[str], payload: dict) -> dict:
        """A message over the coordination graph (request support, information): latency and duty desks apply."""
        with self.lock:
            self._check_open()
            st, src, dst = self._check_route(agencies, payload)
            text = str(payload.get("text", "")).strip()
            if not text or len(text) > 2000:
                raise DrillError("a message needs a text (at most 2000 characters)")
            kind = payload.get("kind", "info")
            if kind not in ("info", "request_support"):
                raise DrillError("message kind is 'info' or 'request_support'")
            body = {"incident": st.spec.id, "from": src, "to": dst, "text": text, "kind": kind, "id": uuid.uuid4().hex}
            rec = self._log_input("message", actor, src, body)
            self._apply_message(body)
            self._flush()
            return rec

    def ack(self, actor: str, agencies: list[str], inject_id: str) -> dict:
        with self.lock:
            self._check_open()
            inj = self.msel.get(inject_id)
            if inj is None or inject_id not in self.policy.delivered or inj.to not in agencies:
                raise DrillError(f"no inject '{inject_id}' was delivered to you")
            if self.store.has_key(f"ack:{inject_id}"):
                raise DrillError(f"inject '{inject_id}' is acknowledged already")
            return self._log_input("ack", actor, inj.to, {"inject": inject_id}, key=f"ack:{inject_id}")

    def deliver(self, actor: str, inject_id: str) -> dict:
        with self.lock:
            self._check_open()
            inj = self.msel.get(inject_id)
            if inj is None:
                raise DrillError(f"no inject '{inject_id}' in the MSEL")
            if inject_id in self.policy.delivered:
                raise DrillError(f"inject '{inject_id}' was delivered already")
            rec = self._log_input("deliver", actor, inj.to, {"inject": inject_id})
            self.policy.deliver(inj, actor)
            self._flush()
            return rec

    def set_default(self, actor: str, target: str, payload: dict) -> dict:
        """The facilitator's default for a decision kind or one decision key (used when its deadline passes)."""
        with self.lock:
            self._check_open()
            if target not in DECISION_KINDS and target not in self.policy.pending:
                raise DrillError(
                    f"'{target}' is neither a decision kind ({', '.join(DECISION_KINDS)}) nor a waiting decision"
                )
            if target in self.policy.pending:
                payload = self.policy.validate(self.policy.pending[target], payload)
            elif not isinstance(payload, dict):
                raise DrillError("a default is a JSON object")
            rec = self._log_input("set_default", actor, None, {"target": target, "value": payload})
            self.policy.defaults[target] = payload
            return rec

    def set_deadline(self, actor: str, kind: str, seconds: float) -> dict:
        with self.lock:
            self._check_open()
            if kind not in DECISION_KINDS or not (isinstance(seconds, (int, float)) and 0 < seconds <= 86400):
                raise DrillError(f"a deadline is a decision kind ({', '.join(DECISION_KINDS)}) and 1 s … 1 day")
            rec = self._log_input("set_deadline", actor, None, {"kind": kind, "seconds": float(seconds)})
            self.policy.deadlines[kind] = float(seconds)
            return rec

    def note(self, actor: str, payload: dict) -> dict:
        """An evaluator's observation (评估记录): ``improvement`` items go to the improvement plan with their
        ``corrective`` action; ``strength`` (praise) goes to the strengths; ``rating`` is HSEEP's P/S/M/U for
        the ``capability`` observed (M and U raise an improvement item, P is a strength). Taken while the drill
        runs only: after the end the report may have been handed out, and it must stay what it said."""
        with self.lock:
            self._check_open()
            text = str(payload.get("text", "")).strip()
            if not text or len(text) > 4000:
                raise DrillError("a note needs a text (at most 4000 characters)")
            agency = payload.get("agency")
            if agency is not None and (not isinstance(agency, str) or agency not in self.world.graph.agency):
                raise DrillError(f"unknown agency '{agency}'")
            rating = payload.get("rating") or None
            if rating is not None and rating not in RATINGS:
                raise DrillError(f"rating must be one of {', '.join(RATINGS)} (HSEEP: performed without challenges, "
                                 "with some, with major challenges, unable to be performed)")
            body = {"text": text, "agency": agency, "improvement": bool(payload.get("improvement")),
                    "strength": bool(payload.get("strength")), "rating": rating,
                    "capability": str(payload.get("capability") or "")[:200],
                    "corrective": str(payload.get("corrective") or "")[:1000]}
            return self._log_input("note", actor, agency, body)

    # -- helpers --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.ended:
            raise DrillError("the drill has ended")

    def _check_route(self, agencies: list[str], payload: Any) -> tuple[Any, str, str]:
        if not isinstance(payload, dict):
            raise DrillError("a request is a JSON object")
        src, dst, inc = payload.get("from"), payload.get("to"), payload.get("incident")
        if not all(isinstance(x, str) for x in (src, dst)) or not isinstance(inc, (str, type(None))):
            raise DrillError("from, to and incident are names (text)")
        if src not in agencies:
            raise DrillError("you can only send from an agency you play")
        if dst not in self.world.graph.agency or dst == src:
            raise DrillError(f"unknown recipient '{dst}'")
        st = self.policy.incident_state(inc)
        if st is None or math.isnan(st.rec.t_report):
            raise DrillError("no such incident has been reported yet")
        if self.world.graph.path(src, dst) is None:
            raise DrillError(f"no channel leads from '{src}' to '{dst}'")
        return st, src, dst

    def _apply_notify(self, body: dict) -> None:
        st = self.policy.incident_state(body["incident"])
        self.rep.copy_notify(st, body["from"], body["to"])

    def _apply_message(self, body: dict) -> None:
        def carry() -> Any:
            yield from self.rep.message(body["from"], body["to"])
            self.policy.record("message", f"delivered:{body['id']}", body["to"], body, actor=body["from"])
            self.policy.attention = True

        self.rep.env.process(carry())

    def _log_input(self, kind: str, actor: str, agency: str | None, payload: dict, key: str | None = None) -> dict:
        rec = {"key": key or f"{kind}:{uuid.uuid4().hex}", "kind": kind, "sim_time": self.now, "actor": actor,
               "agency": agency, "payload": payload, "wall_time": self.wall_clock()}
        if self.store.append(rec, is_input=True) is None:
            raise DrillError(f"'{rec['key']}' is logged already")
        return rec

    def _replay(self) -> None:
        """Re-apply the logged inputs in order at their scenario times: the state before the crash."""
        for r in self.store.events(inputs_only=True):
            kind, body = r["kind"], r["payload"]
            if kind == "clock":
                self._advance_to(body["until"])
            elif kind == "end":
                self.play_to_end()
                continue
            if kind in SIM_INPUTS and kind != "clock" and abs(self.now - r["sim_time"]) > 1e-6:
                raise DrillError(f"session {self.code}: log record {r['seq']} at {r['sim_time']} s does not match "
                                 f"the replayed clock {self.now} s")
            if kind == "decision":
                self.policy.resolve(body["decision"], body["value"])
            elif kind == "notify":
                self._apply_notify(body)
            elif kind == "message":
                self._apply_message(body)
            elif kind == "deliver":
                self.policy.deliver(self.msel.get(body["inject"]), r["actor"])
            elif kind == "set_default":
                self.policy.defaults[body["target"]] = body["value"]
            elif kind == "set_deadline":
                self.policy.deadlines[body["kind"]] = body["seconds"]
        self._seen = {r["key"] for r in self.store.events() if r["key"]}
        self._flush()

    def _flush(self) -> None:
        """Log what the engine produced since the last look: reports, notifications, task stages, outbox."""
        recs = engine_records(self.rep, self.policy)
        now = self.wall_clock()  # what the engine produced became visible to the players now (an ask, an inject)
        new = [{"wall_time": now, **r} for r in recs if r["key"] not in self._seen]
        self.store.append_many(new)
        self._seen.update(r["key"] for r in new)
