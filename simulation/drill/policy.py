"""The drill policy (推演决策): human players answer the engine's decision points for their agencies.

For an agency played by a person, a decision point returns a SimPy event; the session succeeds it when
the player decides, or — when the decision's deadline passes — with the plan's default (or the
facilitator's override), recorded as a fallback (超时按预案默认处置). Agencies nobody plays answer at once
like :class:`~simulation.model.policy.AutomaticPolicy`, so a drill without players *is* the plan's automatic play.

The policy also runs the MSEL inside the replication's environment (timed and triggered injects, their
effects), so an automatic Monte-Carlo run with this policy sees the same exercise world as the drill.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from simulation.drill.msel import Effect, Inject, Msel
from simulation.model.policy import AutomaticPolicy, IncidentView
from simulation.model.world import Unit, World

DECISION_KINDS = ("response_level", "notify_order", "settle_owner", "task_order", "intervention", "raise_level",
                  "work_order", "whistle")
DEFAULT_DEADLINE_S = 300.0


class DrillError(ValueError):
    """A request the drill refuses (bad value, not yours, already decided): shown to the person as is."""


@dataclass
class Pending:
    """A decision a player owes (待决事项)."""

    key: str
    kind: str
    incident: str
    task: str | None
    agency: str
    seat: str
    asked_at: float
    deadline_at: float
    plan: dict  # the plan's answer as a payload
    options: dict
    event: simpy.Event = field(repr=False)
    resolved: bool = False

    def public(self) -> dict:
        return {"key": self.key, "kind": self.kind, "incident": self.incident, "task": self.task,
                "agency": self.agency, "asked_at": self.asked_at, "deadline_at": self.deadline_at,
                "plan": self.plan, "options": self.options}


class DrillPolicy(AutomaticPolicy):
    """Players' seats answer for their agencies; everybody else follows the plan."""

    def __init__(self, world: World, msel: Msel, players: dict[str, str] | None = None,
                 deadlines: dict[str, float] | None = None, defaults: dict[str, dict] | None = None,
                 poll_s: float = 30.0, delivered_by_hand: dict[str, float] | None = None) -> None:
        super().__init__(world)
        self.by_hand = dict(delivered_by_hand or {})
        """Inject id → scenario time the facilitator delivered it by hand in a drill: the plan's automatic play
        of that drill delivers it at the same time, so drill and plan meet the same exercise world."""
        self.msel = msel
        self.players = dict(players or {})  # agency -> seat id
        self.deadlines = dict(deadlines or {})
        self.defaults = dict(defaults or {})  # kind or key -> payload (facilitator's fallback)
        self.poll_s = poll_s
        self.pending: dict[str, Pending] = {}
        self.outbox: list[dict] = []  # derived records (asks, fallbacks, injects) for the session's log
        self.delivered: dict[str, float] = {}
        self.attention = False  # something a person should see happened (the facilitator's 'step' stops)
        self.rep: Any = None

    # -- wiring ------------------------------------------------------------------------------------

    def bind(self, rep: Any) -> None:
        """Called by ``Replication.start``: schedule the timed and triggered injects."""
        self.rep = rep
        for inj in self.msel.injects:
            if not inj.manual:
                rep.env.process(self._inject_process(inj))
        for inject_id, at in sorted(self.by_hand.items(), key=lambda kv: kv[1]):
            rep.env.process(self._by_hand_process(self.msel.get(inject_id), at))

    def incident_state(self, incident: str | None) -> Any:
        sc = self.world.scenario
        inc = incident or (sc.primary_incident().id if sc.primary_incident() else None)
        return self.rep.incident_state(inc) if inc is not None else None

    def _now(self) -> float:
        return float(self.rep.env.now) if self.rep is not None else 0.0

    def record(self, kind: str, key: str, agency: str | None, payload: dict, actor: str = "engine",
                fallback: bool = False) -> None:
        self.outbox.append({"key": key, "kind": kind, "sim_time": self._now(), "actor": actor, "agency": agency,
                            "payload": payload, "fallback": fallback})

    # -- decision points ---------------------------------------------------------------------------

    def response_level(self, view: IncidentView) -> Any:
        st = self.incident_state(view.incident)
        agency = st.rec.receiver if st is not None else None
        return self._ask("response_level", view.incident, None, agency, {"level": view.severity},
                         {"levels": [1, 2, 3, 4], "severity": view.severity, "type": view.type, "grid": view.grid})

    def notify_order(self, view: IncidentView, relay: str, targets: Sequence[str]) -> Any:
        return self._ask("notify_order", view.incident, None, relay, {"targets": list(targets)},
                         {"targets": list(targets)})

    def settle_owner(self, view: IncidentView, task: str, superior: str, candidates: Sequence[str]) -> Any:
        return self._ask("settle_owner", view.incident, task, superior, {"owner": candidates[0]},
                         {"candidates": list(candidates)})

    def task_order(self, view: IncidentView, task: str, owner: str, unit_kind: str | None, count: int) -> Any:
        n_kind = len(self.world.units_by_kind.get(unit_kind, ())) if unit_kind else 0
        return self._ask("task_order", view.incident, task, owner, {"units": count if unit_kind else 0},
                         {"unit_kind": unit_kind, "planned": count, "max": n_kind})

    def intervention(self, view: IncidentView, task: str, owner: str, action: str, args: dict) -> Any:
        st = self.incident_state(view.incident)
        actions = list(getattr(st.hazard, "actions", ())) if st is not None else []
        return self._ask("intervention", view.incident, task, owner, {"action": action, "args": dict(args)},
                         {"actions": actions, "planned": action, "args": dict(args)})

    def raise_level(self, view: IncidentView, level: int, reason: str) -> Any:
        st = self.incident_state(view.incident)
        agency = (st.command_post or st.lead) if st is not None else None
        return self._ask("raise_level", view.incident, reason, agency, {"level": max(1, level - 1)},
                         {"levels": list(range(1, level + 1)), "current": level, "reason": reason})

    def work_order_reply(self, view: IncidentView, task: str, agency: str, order_no: int, reason: str | None) -> Any:
        if agency not in self.players:
            return None  # agencies nobody plays answer as the scenario's probabilities say
        return self._ask("work_order", view.incident, f"{task}#{order_no}", agency, {"reply": "sign"},
                         {"replies": ["sign", "reject"], "task": task, "reason": reason})

    def whistle(self, view: IncidentView, task: str, owner: str, holder: str, allowed: bool) -> Any:
        if not allowed:
            return False  # without 吹哨报到 in the arrangement there is no whistle to blow
        return self._ask("whistle", view.incident, task, owner, {"call": True}, {"holder": holder})

    def _ask(self, kind: str, incident: str, task: str | None, agency: str | None, plan: dict, options: dict) -> Any:
        seat = self.players.get(agency) if agency is not None else None
        if seat is None or self.rep is None:
            return self.to_value(kind, plan)
        env = self.rep.env
        key = f"{kind}:{incident}" + (f":{task}" if task else "")
        deadline = float(self.deadlines.get(kind, DEFAULT_DEADLINE_S))
        p = Pending(key, kind, incident, task, agency, seat, env.now, env.now + deadline, plan, options, env.event())
        self.pending[key] = p
        env.timeout(deadline).callbacks.append(lambda _e, k=key: self._expire(k))
        self.record("ask", f"ask:{key}", agency, p.public())
        self.attention = True
        return p.event

    def _expire(self, key: str) -> None:
        p = self.pending[key]
        if p.resolved:
            return
        payload = p.plan
        override = self.defaults.get(key) or self.defaults.get(p.kind)
        if override is not None:
            try:
                self.validate(p, override)
                payload = override
            except DrillError:
                pass  # a facilitator's default that does not fit this decision: the plan's answer stands
        self.resolve(key, payload)
        self.record("decision", f"decision:{key}", p.agency, {"decision": key, "kind": p.kind, "value": payload,
                     "asked_at": p.asked_at}, actor="fallback", fallback=True)

    def resolve(self, key: str, payload: dict) -> None:
        """Give the engine the answer to a pending decision (validated by the caller)."""
        p = self.pending[key]
        p.resolved = True
        p.event.succeed(self.to_value(p.kind, payload))
        self.attention = True

    # -- payload <-> engine values -----------------------------------------------------------------

    def to_value(self, kind: str, payload: dict) -> Any:
        if kind == "response_level":
            return int(payload["level"])
        if kind == "notify_order":
            return list(payload["targets"])
        if kind == "settle_owner":
            return payload["owner"]
        if kind == "task_order":
            return int(payload["units"])
        if kind == "intervention":
            return (payload.get("action"), dict(payload.get("args") or {}))
        if kind == "raise_level":
            return int(payload["level"])
        if kind == "work_order":
            return str(payload["reply"])
        if kind == "whistle":
            return bool(payload["call"])
        raise DrillError(f"unknown decision kind '{kind}'")

    def validate(self, p: Pending, payload: Any) -> dict:
        """Check a payload against what this decision allows; returns the normalised payload."""
        if not isinstance(payload, dict):
            raise DrillError("a decision is a JSON object")
        o = p.options
        try:
            if p.kind == "whistle":
                if not isinstance(payload.get("call"), bool):
                    raise DrillError(f"call is true (吹哨: {o['holder']} to the scene) or false (go up the line)")
                return {"call": payload["call"]}
            if p.kind == "work_order":
                if payload.get("reply") not in o["replies"]:
                    raise DrillError(f"reply must be one of {o['replies']} (签收 sign / 退单 reject)")
                return {"reply": payload["reply"]}
            if p.kind in ("response_level", "raise_level"):
                lv = int(payload.get("level"))
                if lv not in o["levels"]:
                    raise DrillError(f"level must be one of {o['levels']} (I=1 … IV=4)")
                return {"level": lv}
            if p.kind == "notify_order":
                t = payload.get("targets")
                if not isinstance(t, list) or any(x not in o["targets"] for x in t) or len(set(t)) != len(t):
                    raise DrillError(f"targets must be distinct agencies among {o['targets']}")
                return {"targets": [str(x) for x in t]}
            if p.kind == "settle_owner":
                if payload.get("owner") not in o["candidates"]:
                    raise DrillError(f"owner must be one of {o['candidates']}")
                return {"owner": payload["owner"]}
            if p.kind == "task_order":
                n = int(payload.get("units"))
                if o["unit_kind"] is None:
                    return {"units": 0}
                # The plan's own count is always an answer (a raised level may ask for more units than the
                # district has; the engine sends the free ones, as it does without players).
                top = max(o["max"], o["planned"], 1)
                if not 1 <= n <= top:
                    raise DrillError(f"units must be between 1 and {top} ({o['unit_kind']})")
                return {"units": n}
            if p.kind == "intervention":
                action, args = payload.get("action"), payload.get("args") or {}
                if action is None:
                    return {"action": None, "args": {}}
                if action not in o["actions"] or not isinstance(args, dict):
                    raise DrillError(f"action must be one of {o['actions']} (or null for no measure)")
                st = self.incident_state(p.incident)
                try:  # try it on a copy: a bad argument must be refused now, not crash the engine later
                    copy.deepcopy(st.hazard).intervene(action, self._now() - st.spec.onset, **args)
                except (TypeError, ValueError) as e:
                    raise DrillError(f"{action}: {e}") from None
                return {"action": action, "args": args}
        except (TypeError, ValueError, KeyError) as e:
            if isinstance(e, DrillError):
                raise
            raise DrillError(f"malformed {p.kind} decision: give the fields its options name") from None
        raise DrillError(f"unknown decision kind '{p.kind}'")

    def choose_units(self, view: IncidentView, task: str, count: int, candidates: Sequence[Unit]) -> list[Unit]:
        return list(candidates[:count])  # the engine cannot wait here; players choose how many in task_order

    # -- injects -----------------------------------------------------------------------------------

    def _inject_process(self, inj: Inject) -> Generator:
        env, horizon = self.rep.env, self.world.scenario.horizon
        t0 = inj.time or 0.0
        if t0 > env.now:
            yield env.timeout(t0 - env.now)
        if inj.trigger is not None:
            while not self.holds(inj):
                if env.now + self.poll_s >= horizon:
                    return
                yield env.timeout(self.poll_s)
        if inj.id not in self.delivered:
            self.deliver(inj, "msel")

    def _by_hand_process(self, inj: Inject, at: float) -> Generator:
        env = self.rep.env
        if at > env.now:
            yield env.timeout(at - env.now)
        if inj.id not in self.delivered:
            self.deliver(inj, "facilitator")

    def holds(self, inj: Inject) -> bool:
        """Whether the inject's trigger condition holds now."""
        tr = inj.trigger
        st = self.incident_state(inj.incident)
        if tr is None:
            return True
        if st is None:
            return tr.negate
        now = self._now()
        if tr.kind in ("started", "done"):
            rec = next((t for t in self.rep.tasks if t.incident == st.spec.id and t.task == tr.arg), None)
            val = math.nan if rec is None else getattr(rec, tr.kind)
            ok = not math.isnan(val)
        elif tr.kind == "notified":
            ev = st.notified.get(tr.arg)
            ok = ev is not None and ev.triggered
        elif st.hazard is None or now < st.spec.onset:
            ok = False
        elif tr.kind == "reaches":
            ids = list(getattr(getattr(st.hazard, "site", None), "grid_ids", []))
            ok = tr.arg in ids and float(st.hazard.arrival[ids.index(tr.arg)]) <= now - st.spec.onset
        else:
            v = self._hazard_metric(st, tr.arg, now - st.spec.onset)
            ok = v is not None and (v >= tr.value if tr.op == ">=" else v <= tr.value)
        return ok != tr.negate

    def _hazard_metric(self, st: Any, metric: str, t: float) -> float | None:
        return st.hazard.measure(metric, t, self.world.scenario.horizon - st.spec.onset)

    def deliver(self, inj: Inject, actor: str) -> None:
        """Deliver an inject now: record it for its recipient and apply its effects."""
        st = self.incident_state(inj.incident)
        self.delivered[inj.id] = self._now()
        for eff in inj.effect:
            apply_effect(st, eff, self._now())
        self.record(
            "inject",
            f"inject:{inj.id}",
            inj.to,
            {
                "inject": inj.id,
                "from": inj.from_,
                "method": inj.method,
                "zh": inj.text.zh,
                "en": inj.text.en,
                "expected": [e.text() for e in inj.expected],
                "effect": [e.text() for e in inj.effect],
            },
            actor=actor,
        )
        self.attention = True


def apply_effect(st: Any, eff: Effect, now: float) -> None:
    """Change the exercise world: a crowd surge, a hazard parameter, an outside intervention."""
    hz = st.hazard if st is not None else None
    if hz is None:
        raise DrillError(f"effect {eff.text()}: the incident has no hazard model")
    t = max(0.0, now - st.spec.onset)
    if eff.kind == "intervention":
        hz.intervene(eff.action, t, **eff.args)
        return
    p = hz.p
    if eff.kind == "surge":
        if not hasattr(p, "inflow"):
            raise DrillError(f"effect {eff.text()}: only a crowd hazard has arrivals to surge")
        extra, end = eff.persons / eff.over_s, t + eff.over_s
        pts = sorted({s.t for s in p.inflow} | {t, end})

        def rate(x: float) -> float:
            r = 0.0
            for s in p.inflow:
                if s.t <= x:
                    r = s.rate_p_s
            return r

        update = {"inflow": [{"t": b, "rate_p_s": rate(b) + (extra if t <= b < end else 0.0)} for b in pts]}
    else:
        if eff.field not in type(p).model_fields or eff.field == "model":
            raise DrillError(f"effect {eff.text()}: '{eff.field}' is not a parameter of the {hz.kind} model")
        update = {eff.field: eff.value}
    hz.override(**update)  # rebuilt with the new parameters; the interventions so far are replayed
