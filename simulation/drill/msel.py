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
  :data:`HEADERS`).
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
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError, ValidationInfo

from agencies.base import Bilingual, Frozen, Ident
from scenarios.errors import InputError, Problem
from simulation.drill.msel_time import format_time, parse_time

__all__ = ["format_time", "parse_time"]  # their home is msel_time; many callers import them from here

COLUMNS = ("id", "time", "trigger", "incident", "from", "to", "method", "inject_zh", "inject_en",
           "expected_actions", "effect", "objective", "notes")
"""MSEL columns (HSEEP: event number, scenario time, from, to, method, inject, expected action, objective)."""

HEADERS = {
    "编号": "id", "序号": "id", "注入编号": "id", "event_number": "id", "event_no": "id",
    "时间": "time", "情景时间": "time", "注入时间": "time", "scenario_time": "time",
    "触发条件": "trigger", "条件": "trigger",
    "事件": "incident", "事件编号": "incident",
    "发出方": "from", "来源": "from", "发送方": "from",
    "接收方": "to", "接收单位": "to", "发往": "to",
    "方式": "method", "传递方式": "method", "注入方式": "method",
    "注入内容": "inject_zh", "注入内容（中文）": "inject_zh", "注入内容(中文)": "inject_zh", "内容": "inject_zh",
    "注入内容（英文）": "inject_en", "注入内容(英文)": "inject_en", "英文": "inject_en", "inject": "inject_en",
    "预期行动": "expected_actions", "预期行动及时限": "expected_actions", "expected_action": "expected_actions",
    "效果": "effect", "影响": "effect", "情景影响": "effect",
    "目标": "objective", "演练目标": "objective",
    "备注": "notes", "说明": "notes",
}
"""Header aliases (Chinese MSEL templates, HSEEP's English names) → the MSEL columns."""
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


def column_of(header: Any) -> str | None:
    """A header cell → its MSEL column (English or Chinese name); None when unknown."""
    key = str(header or "").strip().lower().replace(" ", "_")
    if key in COLUMNS:
        return key
    return HEADERS.get(key) or HEADERS.get(str(header or "").strip())


def check_header(header: list[Any], name: str, line: int | None = 1) -> None:
    """One line for the whole header (not one per row): unknown or repeated columns, or no ``id``/``to``."""
    cols = [column_of(h) for h in header]
    unknown = [str(h) for h, c in zip(header, cols) if c is None and str(h or "").strip()]
    twice = sorted({c for c in cols if c is not None and cols.count(c) > 1})
    missing = [c for c in ("id", "to") if c not in cols]
    msg = []
    if unknown:
        msg.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
    if twice:
        msg.append(f"column{'s' if len(twice) > 1 else ''} {', '.join(twice)} given twice")
    if missing:
        msg.append(f"no {' or '.join(missing)} column")
    if msg:
        zh = "编号, 时间, 触发条件, 事件, 发出方, 接收单位, 方式, 注入内容, 注入内容（英文）, 预期行动, 效果, " \
             "目标, 备注"
        raise InputError.one(name, line, "header", "; ".join(msg) + f" (known: {', '.join(COLUMNS)}, or {zh})")


def _row_to_doc(row: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for k, v in row.items():
        if k is None:
            continue
        key = column_of(k) or str(k).strip().lower().replace(" ", "_")
        if isinstance(v, str):
            v = _unescape(v.strip())
        if v is None or v == "":
            continue
        doc[key] = v
    zh, en = doc.pop("inject_zh", None), doc.pop("inject_en", None)
    if zh is not None or en is not None:
        doc["text"] = {"zh": str(zh or en), "en": str(en or zh)}
    if "expected_actions" in doc:
        doc["expected"] = doc.pop("expected_actions")
    if "id" in doc:
        doc["id"] = str(doc["id"]).removesuffix(".0") if isinstance(doc["id"], float) else str(doc["id"])
    for k in ("objective", "notes", "method", "from", "to", "incident"):
        if k in doc:
            doc[k] = str(doc[k])
    return doc


def _validate_rows(rows: list[tuple[int | None, dict[str, Any]]], name: str,
                   clock_start: float | None = None) -> Msel:
    problems: list[Problem] = []
    injects: list[Inject] = []
    lines: dict[str, int | None] = {}
    for line, row in rows:
        doc = _row_to_doc(row)
        unknown = [k for k in doc if k not in {"id", "time", "trigger", "incident", "from", "to", "method", "text",
                                                  "expected", "effect", "objective", "notes"}]
        for k in unknown:
            problems.append(
                Problem(
                    name, line, f"injects[{doc.get('id', line)}].{k}", f"unknown column (known: {', '.join(COLUMNS)})"
                )
            )
        if unknown:
            continue
        try:
            injects.append(Inject.model_validate(doc, context={"clock_start": clock_start}))
            lines.setdefault(injects[-1].id, line)
        except ValidationError as e:
            for err in e.errors(include_url=False):
                path = ".".join(str(x) for x in err["loc"] if not str(x).startswith("function-"))
                problems.append(
                    Problem(
                        name, line, f"injects[{doc.get('id', line)}].{path}", err["msg"].removeprefix("Value error, ")
                    )
                )
    seen: set[str] = set()
    for inj in injects:
        if inj.id in seen:
            problems.append(Problem(name, lines.get(inj.id), f"injects[{inj.id}].id",
                                    f"inject '{inj.id}' is defined twice"))
        seen.add(inj.id)
    if problems:
        raise InputError(problems)
    msel = Msel(injects=injects)
    msel._lines.update(lines)
    return msel


def read_msel(path: str | Path, clock_start: float | None = None) -> Msel:
    """Read a MSEL from CSV (UTF-8, with or without BOM) or XLSX (first sheet); errors name file:row.

    ``clock_start``: the scenario's time of day at t = 0, for clock-time cells (``22:40``)."""
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise InputError.one(name, None, "", "no such MSEL file")
    if p.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            ws = load_workbook(p, read_only=True, data_only=True).worksheets[0]
        except Exception as e:  # a corrupt or non-Excel file: one clear line
            raise InputError.one(name, None, "", f"not a readable XLSX workbook ({type(e).__name__})") from None
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        check_header(header, name)
        rows = [(i, dict(zip(header, r))) for i, r in enumerate(it, start=2) if any(c not in (None, "") for c in r)]
    elif p.suffix.lower() == ".csv":
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError.one(name, None, "", "not UTF-8 text (save the CSV as UTF-8)") from None
        reader = csv.DictReader(io.StringIO(text))
        check_header(list(reader.fieldnames or []), name)
        rows = [
            (reader.line_num, r) for r in reader if any((v or "").strip() for v in r.values() if isinstance(v, str))
        ]
    else:
        raise InputError.one(name, None, "", "a MSEL file must be .csv or .xlsx")
    return _validate_rows(rows, name, clock_start)


def msel_from_data(items: list[Any], name: str, clock_start: float | None = None) -> Msel:
    """A MSEL written inline in a drill YAML (a list of inject mappings)."""
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError.one(name, None, f"msel[{i}]", "each inject must be a mapping")
        line = getattr(items, "src", [(name, None)] * len(items))[i][1] if hasattr(items, "src") else None
        rows.append((line, dict(item)))
    return _validate_rows(rows, name, clock_start)


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program read a cell as a formula (OWASP, "CSV Injection")."""


def csv_cell(text: str) -> str:
    """A CSV field a spreadsheet shows as text: a formula-like lead gets a ``'`` (read back by ``_unescape``)."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def _unescape(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("'") and v[1:].startswith(FORMULA_LEADS):
        return v[1:]
    return v


def _write_xlsx(rows: list[dict[str, str]], tmp: Path) -> None:
    """Every cell a string cell (never a formula, whatever its first character); formula-like ones also carry
    Excel's quote prefix, so that editing the cell in Excel keeps it text."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    wb = Workbook()
    ws = wb.active
    ws.title = "MSEL"
    ws.append(list(COLUMNS))
    for i, r in enumerate(rows, start=2):
        for j, col in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=i, column=j)
            cell.value = r[col]
            cell.data_type = TYPE_STRING
            if r[col].startswith(FORMULA_LEADS):
                cell.quotePrefix = True
    wb.save(tmp)


def write_msel(msel: Msel, path: str | Path) -> None:
    """Write CSV (UTF-8 with BOM, so spreadsheet programs show Chinese) or XLSX with the MSEL columns. Text
    that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@``) stays text."""
    p = Path(path)
    rows = [i.row() for i in msel.injects]
    tmp = p.with_name(f".{p.name}.tmp")
    if p.suffix.lower() == ".xlsx":
        _write_xlsx(rows, tmp)
    elif p.suffix.lower() == ".csv":
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(COLUMNS))
            w.writeheader()
            w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)
    else:
        raise InputError.one(str(path), None, "", "export a MSEL as .csv or .xlsx")
    tmp.replace(p)
