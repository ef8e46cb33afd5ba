"""Master scenario events list (MSEL, 主情景事件清单): the injects of a drill.

An inject (情景注入) is delivered at a scenario time (``T+15:00``) and/or when a condition holds
("when the plume reaches grid X", "if no cordon by T+15 min"), to one recipient agency, with a text in
Chinese and English, the actions players are expected to take with time criteria (HSEEP exercise
evaluation guide; AQ/T 9009 评估) and an optional effect on the simulation (a crowd surge, a hazard
parameter that changes, an intervention somebody outside the players makes).

Text forms (used by CSV/XLSX columns and accepted in YAML):

- ``time`` — one form means one thing (never guessed from the numbers):

  * ``T+H:MM`` or ``T+H:MM:SS`` — scenario time since the drill's start, hours first: ``T+1:20`` is one
    hour twenty minutes (never 80 s), ``T+0:40:00`` forty minutes; ``T+25min`` is twenty-five minutes;
  * a plain number — seconds of scenario time (``4800``);
  * ``HH:MM`` or ``HH:MM:SS`` without ``T+`` — a clock time of day (``22:40``), turned into scenario time
    with the scenario's ``clock_start`` (the next 22:40 at or after the start);
  * in an XLSX: a time cell (Excel ``hh:mm``) is a clock time of day, a duration cell (Excel ``[h]:mm``)
    is scenario time, a number is seconds.
- column headers in English (``id``, ``time`` …) or Chinese (``编号``, ``时间``, ``接收单位`` …, see
  :data:`simulation.drill.msel_io.HEADERS`).
- ``trigger``: ``started:TASK`` · ``done:TASK`` · ``notified:AGENCY`` · ``hazard:METRIC>=VALUE`` (or ``<=``)
  · ``reaches:GRID`` (plume front), each optionally prefixed with ``not`` (``not started:cordon``). The
  condition is checked at ``time`` (default 0) and then every ``poll_s`` seconds; the inject goes out the
  first time it holds.
- ``expected_actions``: ``AGENCY:ACTION<=MINUTES`` items separated by ``;``. ACTION is one of
  ``response_level``, ``notify_order``, ``settle_owner.TASK``, ``task_order.TASK``, ``intervention.TASK``,
  ``started.TASK``, ``done.TASK``, ``notify.AGENCY``, ``message``, ``ack`` (acknowledging this inject).
- ``effect``: items separated by ``;``: ``surge:PERSONS/SECONDS`` (crowd: extra arrivals, e.g. a train),
  ``set:FIELD=VALUE`` (a hazard parameter from now on), ``intervention:ACTION k=v …`` (a measure taken by
  somebody outside the drill; a list is ``k=[a,b]`` or ``k=a,b``). The drill check refuses an intervention
  or argument the incident's hazard model does not have (:func:`scenarios.checks.intervention_problem`, the
  scenario's own check), so a drill never fails on one mid-session.

The model is here; reading and writing CSV/XLSX files is :mod:`simulation.drill.msel_io`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, ValidationInfo

from agencies.base import Bilingual, Frozen, Ident
from simulation.drill.msel_time import format_time, parse_time

__all__ = ["format_time", "parse_time"]  # their home is msel_time; many callers import them from here

COLUMNS = ("id", "time", "trigger", "incident", "from", "to", "method", "inject_zh", "inject_en",
           "expected_actions", "effect", "objective", "notes")
"""MSEL columns (HSEEP: event number, scenario time, from, to, method, inject, expected action, objective)."""

ACTION_KINDS = ("response_level", "notify_order", "settle_owner", "task_order", "intervention", "started",
                "done", "notify", "message", "ack")
_EXPECT_RE = re.compile(
    r"^\s*([A-Za-z][\w\-]*)\s*:\s*([a-z_]+)(?:\.([A-Za-z][\w\-]*))?\s*<=\s*(\d+(?:\.\d+)?)\s*(?:min)?\s*$"
)
_TRIGGER_RE = re.compile(r"^\s*(not\s+)?(started|done|notified|reaches|hazard)\s*:\s*(.+?)\s*$", re.I)
_HAZARD_RE = re.compile(r"^([a-z_]+)\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)$")


def _time(v: Any, info: ValidationInfo) -> Any:
    return parse_time(v, (info.context or {}).get("clock_start"))


class ExpectedAction(Frozen):
    """An action a player agency should take, within ``within_s`` of the inject (时间标准)."""

    agency: Ident
    action: Literal[ACTION_KINDS]  # type: ignore[valid-type]
    target: Ident | None = None
    within_s: Annotated[float, Field(gt=0)]

    @property
    def label(self) -> str:
        return f"{self.action}.{self.target}" if self.target else self.action

    def text(self) -> str:
        return f"{self.agency}:{self.label}<={self.within_s / 60:g}"


class Trigger(Frozen):
    kind: Literal["started", "done", "notified", "reaches", "hazard"]
    arg: str
    negate: bool = False
    op: Literal[">=", "<="] | None = None
    value: float | None = None

    def text(self) -> str:
        body = f"{self.arg}{self.op}{self.value:g}" if self.kind == "hazard" else self.arg
        return ("not " if self.negate else "") + f"{self.kind}:{body}"


class Effect(Frozen):
    kind: Literal["surge", "set", "intervention"]
    persons: Annotated[float, Field(gt=0, le=100_000)] | None = None
    over_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    field: Ident | None = None
    value: float | str | None = None
    action: Ident | None = None
    args: dict[Ident, float | str | list[str]] = Field(default_factory=dict)
    """An intervention's keyword arguments (checked against the incident's hazard model with the drill)."""

    def text(self) -> str:
        if self.kind == "surge":
            return f"surge:{self.persons:g}/{self.over_s:g}"
        if self.kind == "set":
            return f"set:{self.field}={self.value}"
        return "intervention:" + " ".join([self.action or "", *(f"{k}={_arg_text(v)}" for k, v in self.args.items())])


def _arg_text(v: float | str | list[str]) -> str:
    return "[" + ",".join(v) + "]" if isinstance(v, list) else str(v)


def _arg(s: str) -> float | str | list[str]:
    """An intervention argument's text: ``[a,b]`` or ``a,b`` is a list (grids, links), else a number or a word."""
    if (s.startswith("[") and s.endswith("]")) or "," in s:
        return [x.strip() for x in s.strip("[]").split(",") if x.strip()]
    return _num(s)


def _items(v: Any) -> Any:
    if v is None:
        return []
    if isinstance(v, str):
        return [s for s in (x.strip() for x in v.split(";")) if s]
    return v


def _num(s: str) -> float | str:
    try:
        return float(s)
    except ValueError:
        return s


def _expected(v: Any) -> Any:
    out = []
    for item in _items(v):
        if isinstance(item, str):
            m = _EXPECT_RE.match(item)
            if not m:
                raise ValueError(
                    f"expected action {item!r} is not AGENCY:ACTION<=MINUTES (e.g. police:task_order.crowd_control<=10)"
                )
            agency, action, target, minutes = m.groups()
            if action not in ACTION_KINDS:
                raise ValueError(
                    f"expected action {item!r}: unknown action '{action}' (known: {', '.join(ACTION_KINDS)})"
                )
            item = {"agency": agency, "action": action, "target": target, "within_s": float(minutes) * 60}
        out.append(item)
    return out


def _trigger(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    if not v.strip():
        return None
    m = _TRIGGER_RE.match(v)
    if not m:
        raise ValueError(
            f"trigger {v!r} is not one of started:TASK, done:TASK, notified:AGENCY, reaches:GRID, "
            "hazard:METRIC>=VALUE (optionally 'not …')"
        )
    neg, kind, arg = m.groups()
    out: dict[str, Any] = {"kind": kind.lower(), "arg": arg, "negate": bool(neg)}
    if out["kind"] == "hazard":
        h = _HAZARD_RE.match(arg.replace(" ", ""))
        if not h:
            raise ValueError(f"trigger {v!r}: write hazard:METRIC>=VALUE or hazard:METRIC<=VALUE")
        out.update(arg=h.group(1), op=h.group(2), value=float(h.group(3)))
    return out


def _effects(v: Any) -> Any:
    out = []
    for item in _items(v):
        if isinstance(item, str):
            kind, _, body = item.partition(":")
            kind, body = kind.strip(), body.strip()
            if kind == "surge":
                persons, _, over = body.partition("/")
                try:
                    item = {"kind": "surge", "persons": float(persons), "over_s": float(over or 60)}
                except ValueError:
                    raise ValueError(f"effect {item!r}: write surge:PERSONS/SECONDS (e.g. surge:1500/60)") from None
            elif kind == "set":
                f, eq, val = body.partition("=")
                if not eq:
                    raise ValueError(f"effect {item!r}: write set:FIELD=VALUE")
                item = {"kind": "set", "field": f.strip(), "value": _num(val.strip())}
            elif kind == "intervention":
                words = body.split()
                if not words:
                    raise ValueError(f"effect {item!r}: write intervention:ACTION k=v …")
                args = {}
                for w in words[1:]:
                    k, eq, val = w.partition("=")
                    if not eq:
                        raise ValueError(f"effect {item!r}: argument {w!r} is not k=v")
                    args[k] = _arg(val)
                item = {"kind": "intervention", "action": words[0], "args": args}
            else:
                raise ValueError(f"effect {item!r}: unknown kind '{kind}' (known: surge, set, intervention)")
        out.append(item)
    return out


class Inject(Frozen):
    """One MSEL row (注入): when, to whom, what it says, what players should do, what it changes."""

    id: Ident
    time: Annotated[Annotated[float, Field(ge=0)] | None, BeforeValidator(_time)] = None
    trigger: Annotated[Trigger | None, BeforeValidator(_trigger)] = None
    incident: Ident | None = None
    """Incident the inject concerns (default: the scenario's primary incident)."""
    from_: str = Field("controller", alias="from")
    to: Ident
    method: str = "phone"
    text: Bilingual
    expected: Annotated[list[ExpectedAction], BeforeValidator(_expected)] = Field(default_factory=list)
    effect: Annotated[list[Effect], BeforeValidator(_effects)] = Field(default_factory=list)
    objective: str = ""
    notes: str = ""

    @property
    def manual(self) -> bool:
        """Neither a time nor a trigger: the facilitator delivers it by hand."""
        return self.time is None and self.trigger is None

    def row(self) -> dict[str, str]:
        return {"id": self.id, "time": format_time(self.time), "trigger": self.trigger.text() if self.trigger else "",
                "incident": self.incident or "", "from": self.from_, "to": self.to, "method": self.method,
                "inject_zh": self.text.zh, "inject_en": self.text.en,
                "expected_actions": "; ".join(e.text() for e in self.expected),
                "effect": "; ".join(e.text() for e in self.effect), "objective": self.objective, "notes": self.notes}


class Msel(Frozen):
    injects: list[Inject] = Field(default_factory=list)
    _lines: dict[str, int | None] = PrivateAttr(default_factory=dict)
    """Inject id → row of the file it came from (for the drill check's messages)."""

    def line(self, inject_id: str) -> int | None:
        return self._lines.get(inject_id)

    def get(self, inject_id: str) -> Inject | None:
        return next((i for i in self.injects if i.id == inject_id), None)
