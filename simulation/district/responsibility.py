"""A responsibility list (权责清单) from XLSX into an arrangement file.

Sheet one is the matrix: columns ``incident_type``/``事件类型`` and ``task``/``任务``, then one column per
role or agency; a cell says ``lead``/``牵头``, ``assist``/``协助`` or ``informed``/``知会`` (blank: none).
A row whose task is ``*`` or ``整体`` gives the incident type's overall lead and who is informed; optional
columns ``dispatch``/``调度方式`` (``own_agency`` or ``nearest``) and ``on_alarm``/``接警即派`` (true/是) carry
a task's own dispatch rule and its dispatch on the alarm. An optional sheet ``hazard_categories``/``隐患权责清单``
is the hidden-hazard list: column ``category``/``隐患类别`` (``production``, ``fire``, ``special_equipment``,
``occupational_health``, ``other``), then one column per role or agency with the same marks; a category row
with no mark is listed for nobody (权属不清), two leads are 职能交叉. An optional sheet ``settings``/``设置``
holds ``key``/``value`` rows for the arrangement's other fields (``relay``, ``fan_out``, ``dispatch``,
``platform`` …; ``title.zh``, ``title.en``, ``doctrine.zh``, ``doctrine.en``). The result is validated as an
:class:`~agencies.arrangement.Arrangement` before anything is written.

:func:`write_responsibility` lays an arrangement out as such a workbook (``linkage district export``); read
back, it gives the same arrangement.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agencies.arrangement import Arrangement
from agencies.catalogue import role_catalogue
from scenarios.errors import InputError
from scenarios.tabular import open_workbook

MARKS = {"lead": "lead", "牵头": "lead", "l": "lead", "assist": "assist", "协助": "assist", "配合": "assist",
         "a": "assist", "informed": "informed", "知会": "informed", "i": "informed"}
WHOLE = ("*", "整体", "事件")
KEY_COLUMNS = {"incident_type": "incident_type", "事件类型": "incident_type", "task": "task", "任务": "task",
               "dispatch": "dispatch", "调度方式": "dispatch", "on_alarm": "on_alarm", "接警即派": "on_alarm"}
SETTINGS_SHEETS = ("settings", "设置")
HAZARD_SHEETS = ("hazard_categories", "隐患权责清单")
CATEGORY_COLUMNS = ("category", "隐患类别")
YES = ("true", "是", "yes", "y", "1")
BILINGUAL = ("title", "doctrine")


def _sheets(path: Path) -> tuple[list[list[str]], list[list[str]], list[list[str]], str]:
    if not path.is_file():
        raise InputError.one(str(path), None, "", "file not found")
    if path.suffix.lower() != ".xlsx":
        raise InputError.one(str(path), None, "", "a responsibility list is an .xlsx workbook")
    wb = open_workbook(path)
    try:
        def rows(ws) -> list[list[str]]:
            return [["" if c is None else str(c).strip() for c in r] for r in ws.iter_rows(values_only=True)]

        matrix = rows(wb.worksheets[0])
        settings = next((rows(wb[n]) for n in SETTINGS_SHEETS if n in wb.sheetnames), [])
        hazard_name = next((n for n in HAZARD_SHEETS if n in wb.sheetnames), "")
        hazards = rows(wb[hazard_name]) if hazard_name else []
    finally:
        wb.close()
    return matrix, settings, hazards, hazard_name


def _parties(path: Path, header: list[str], agencies: set[str]) -> dict[int, str]:
    """Column index → role or agency id, checked against the catalogue and the district's agencies."""
    known = set(role_catalogue()) | agencies
    out = {}
    for i, h in enumerate(header):
        if not h or h in KEY_COLUMNS:
            continue
        if h not in known:
            near = difflib.get_close_matches(h, sorted(known), n=1)
            raise InputError.one(str(path), 1, f"column {i + 1}", f"'{h}' is neither a role nor an agency"
                                 + (f" (did you mean '{near[0]}'?)" if near else ""))
        out[i] = h
    return out


def read_responsibility(path: Path, name: str, agencies: set[str] = frozenset()) -> dict[str, Any]:
    """The arrangement document a responsibility list describes (validated)."""
    matrix, settings, hazards, hazard_sheet = _sheets(path)
    if not matrix:
        raise InputError.one(str(path), 1, "", "the first sheet is empty")
    header = matrix[0]
    where = {KEY_COLUMNS[h]: i for i, h in enumerate(header) if h in KEY_COLUMNS}
    for key in ("incident_type", "task"):
        if key not in where:
            names = [k for k, v in KEY_COLUMNS.items() if v == key]
            near = next((h for h in header if h and difflib.get_close_matches(h, names, n=1, cutoff=0.5)), None)
            near = [near] if near else []
            raise InputError.one(str(path), 1, key, f"missing column '{key}'"
                                 + (f" (found '{near[0]}': misspelled?)" if near else ""))
    parties = _parties(path, header, set(agencies))
    types: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(matrix[1:], start=2):
        if not any(row):
            continue
        itype, task = row[where["incident_type"]], row[where["task"]]
        if not itype or not task:
            raise InputError.one(str(path), n, "incident_type" if not itype else "task", "empty cell")
        marks = _marks(path, n, row, parties)
        entry = types.setdefault(itype, {"tasks": {}})
        if task not in WHOLE:
            marks |= _task_options(path, n, row, where)
        if task in WHOLE:
            leads = marks.get("lead", [])
            if len(leads) != 1:
                raise InputError.one(str(path), n, f"{itype}.lead", f"the whole-incident row needs one lead (has "
                                     f"{len(leads)})")
            entry["lead"] = leads[0]
            if marks.get("informed"):
                entry["informed"] = marks["informed"]
        else:
            entry["tasks"][task] = marks
    for itype, entry in types.items():
        if "lead" not in entry:
            raise InputError.one(str(path), None, f"{itype}.lead", f"no '*'/整体 row gives incident type "
                                 f"'{itype}' its overall lead")
    doc: dict[str, Any] = {"name": name, **_settings(path, settings), "incident_types": types}
    if hazard_sheet:
        doc["hazard_categories"] = _hazards(path, hazard_sheet, hazards, set(agencies))
    try:
        Arrangement.model_validate(doc)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        raise InputError.one(str(path), None, ".".join(map(str, first["loc"])), first["msg"]) from None
    return doc


def _marks(path: Path, n: int, row: list[str], parties: dict[int, str]) -> dict[str, list[str]]:
    """The row's marks; a number after a mark (牵头1, 牵头2 / lead1 …) orders several parties with the same
    mark (the first of two leads is the one a dispatcher sends a hidden hazard to first), else column order."""
    import math
    import re

    found: dict[str, list[tuple[float, int, str]]] = {}
    for i, who in parties.items():
        cell = row[i] if i < len(row) else ""
        if not cell:
            continue
        word, num = re.fullmatch(r"(.*?)\s*(\d*)", cell).groups()
        mark = MARKS.get(word.lower())
        if mark is None:
            raise InputError.one(str(path), n, who, f"'{cell}' is not lead/牵头, assist/协助 or informed/知会")
        found.setdefault(mark, []).append((int(num) if num else math.inf, i, who))
    return {mark: [who for *_, who in sorted(v)] for mark, v in found.items()}


def _task_options(path: Path, n: int, row: list[str], where: dict[str, int]) -> dict[str, Any]:
    """A task's own dispatch rule and its dispatch on the alarm (一键调度), when the columns are there."""
    out: dict[str, Any] = {}
    cell = lambda key: row[where[key]] if key in where and where[key] < len(row) else ""  # noqa: E731
    if cell("dispatch"):
        out["dispatch"] = cell("dispatch")
    if cell("on_alarm"):
        if cell("on_alarm").lower() not in (*YES, "false", "否", "no", "n", "0"):
            raise InputError.one(str(path), n, "on_alarm", f"'{cell('on_alarm')}' is not true/是 or false/否")
        if cell("on_alarm").lower() in YES:
            out["on_alarm"] = True
    return out


def _hazards(path: Path, sheet: str, rows: list[list[str]], agencies: set[str]) -> dict[str, dict[str, list[str]]]:
    """The hidden-hazard list (隐患权责清单): category → lead/assist/informed (no mark: listed for nobody)."""
    from typing import get_args

    from scenarios.defect_loop import Category

    where = f"{path}[{sheet}]"
    if not rows or not rows[0] or rows[0][0] not in CATEGORY_COLUMNS:
        found = rows[0][0] if rows and rows[0] else ""
        raise InputError.one(where, 1, "category", f"the first column must be 'category'/'隐患类别' (found '{found}')")
    parties = _parties(Path(where), ["", *rows[0][1:]], agencies)  # column 1 is the category
    known = get_args(Category)
    out: dict[str, dict[str, list[str]]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        cat = row[0]
        if cat not in known:
            near = difflib.get_close_matches(cat, known, n=1)
            raise InputError.one(where, n, "category", f"'{cat}' is not a hazard category ({', '.join(known)})"
                                 + (f" (did you mean '{near[0]}'?)" if near else ""))
        if cat in out:
            raise InputError.one(where, n, "category", f"'{cat}' is listed twice")
        out[cat] = _marks(Path(where), n, row, parties)
    return out


def _settings(path: Path, rows: list[list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[0]:
            continue
        key, value = row[0], row[1]
        if key.split(".")[0] in BILINGUAL and key.count(".") == 1:  # title.zh, doctrine.en …
            out.setdefault(key.split(".")[0], {})[key.split(".")[1]] = value
        elif value.lower() in ("true", "false", "是", "否"):
            out[key] = value.lower() in ("true", "是")
        elif key == "escalation_decision":
            try:
                out[key] = float(value)
            except ValueError:
                raise InputError.one(str(path), n, f"settings.{key}", f"'{value}' is not seconds") from None
        else:
            out[key] = value or None
    return out


# -- writing ---------------------------------------------------------------------------------------------

MARK_WORDS = {"lead": "牵头", "assist": "协助", "informed": "知会"}


def _parties_of(arr: dict[str, Any]) -> list[str]:
    """Every role or agency the arrangement names, in the order it names them (the matrix's columns)."""
    out: list[str] = []
    names = [w for it in arr.get("incident_types", {}).values()
             for w in [it["lead"], *it.get("informed", [])]
             + [x for t in it.get("tasks", {}).values() for k in MARK_WORDS for x in t.get(k, [])]]
    names += [x for c in arr.get("hazard_categories", {}).values() for k in MARK_WORDS for x in c.get(k, [])]
    for who in names:
        if who not in out:
            out.append(who)
    return out


def _cells(assignment: dict[str, Any]) -> dict[str, str]:
    """Party → its mark; where several share a mark, numbered in the arrangement's order (牵头1, 牵头2)."""
    cell: dict[str, str] = {}
    for mark in ("informed", "assist", "lead"):  # lead last: it wins where a party is listed twice
        who = assignment.get(mark, [])
        cell |= {w: MARK_WORDS[mark] + (str(k) if len(who) > 1 else "") for k, w in enumerate(who, start=1)}
    return cell


def write_responsibility(arr: dict[str, Any], out: Path) -> Path:
    """Lay the arrangement document ``arr`` (plain, as YAML holds it) out as a 权责清单 workbook: the matrix
    (with the dispatch columns when a task has its own rule), the hidden-hazard list when it has one, and the
    settings; written whole (a temporary sibling, then renamed)."""
    import os

    from openpyxl import Workbook

    parties = _parties_of(arr)
    types = arr.get("incident_types", {})
    extra = [k for k in ("dispatch", "on_alarm") if any(t.get(k) for it in types.values()
                                                        for t in it.get("tasks", {}).values())]
    wb = Workbook()
    ws = wb.active
    ws.title = "权责清单"
    ws.append(["事件类型", "任务", *[{"dispatch": "调度方式", "on_alarm": "接警即派"}[k] for k in extra], *parties])
    for name, it in types.items():
        whole = _cells({"informed": it.get("informed", [])}) | {it["lead"]: MARK_WORDS["lead"]}
        ws.append([name, WHOLE[1], *[""] * len(extra), *[whole.get(p, "") for p in parties]])
        for task, t in it.get("tasks", {}).items():
            opts = [t.get("dispatch") or "" if k == "dispatch" else ("是" if t.get("on_alarm") else "") for k in extra]
            ws.append([name, task, *opts, *[_cells(t).get(p, "") for p in parties]])
    if arr.get("hazard_categories"):
        hz = wb.create_sheet(HAZARD_SHEETS[1])
        hz.append([CATEGORY_COLUMNS[1], *parties])
        for cat, c in arr["hazard_categories"].items():
            hz.append([cat, *[_cells(c or {}).get(p, "") for p in parties]])
    st = wb.create_sheet(SETTINGS_SHEETS[1])
    st.append(["key", "value"])
    for key, value in arr.items():
        if key in BILINGUAL and isinstance(value, dict):
            for lang, text in value.items():
                st.append([f"{key}.{lang}", text])
        elif key not in ("name", "incident_types", "hazard_categories") and value is not None:
            st.append([key, str(value).lower() if isinstance(value, bool) else value])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.xlsx")
    wb.save(tmp)
    os.replace(tmp, out)
    return out
