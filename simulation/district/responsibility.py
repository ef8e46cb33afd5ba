"""A responsibility list (权责清单) from XLSX into an arrangement file.

Sheet one is the matrix: columns ``incident_type``/``事件类型`` and ``task``/``任务``, then one column per
role or agency; a cell says ``lead``/``牵头``, ``assist``/``协助`` or ``informed``/``知会`` (blank: none).
A row whose task is ``*`` or ``整体`` gives the incident type's overall lead and who is informed. An
optional sheet ``settings``/``设置`` holds ``key``/``value`` rows for the arrangement's other fields
(``relay``, ``fan_out``, ``dispatch``, ``platform`` …). The result is validated as an
:class:`~agencies.arrangement.Arrangement` before anything is written.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agencies.arrangement import Arrangement
from agencies.catalogue import role_catalogue
from scenarios.errors import InputError

MARKS = {"lead": "lead", "牵头": "lead", "l": "lead", "assist": "assist", "协助": "assist", "配合": "assist",
         "a": "assist", "informed": "informed", "知会": "informed", "i": "informed"}
WHOLE = ("*", "整体", "事件")
KEY_COLUMNS = {"incident_type": "incident_type", "事件类型": "incident_type", "task": "task", "任务": "task"}
SETTINGS_SHEETS = ("settings", "设置")


def _sheets(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    from openpyxl import load_workbook

    if not path.is_file():
        raise InputError.one(str(path), None, "", "file not found")
    if path.suffix.lower() != ".xlsx":
        raise InputError.one(str(path), None, "", "a responsibility list is an .xlsx workbook")
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        def rows(ws) -> list[list[str]]:
            return [["" if c is None else str(c).strip() for c in r] for r in ws.iter_rows(values_only=True)]

        matrix = rows(wb.worksheets[0])
        settings = next((rows(wb[n]) for n in SETTINGS_SHEETS if n in wb.sheetnames), [])
    finally:
        wb.close()
    return matrix, settings


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
    matrix, settings = _sheets(path)
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
    try:
        Arrangement.model_validate(doc)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        raise InputError.one(str(path), None, ".".join(map(str, first["loc"])), first["msg"]) from None
    return doc


def _marks(path: Path, n: int, row: list[str], parties: dict[int, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i, who in parties.items():
        cell = row[i] if i < len(row) else ""
        if not cell:
            continue
        mark = MARKS.get(cell.lower())
        if mark is None:
            raise InputError.one(str(path), n, who, f"'{cell}' is not lead/牵头, assist/协助 or informed/知会")
        out.setdefault(mark, []).append(who)
    return out


def _settings(path: Path, rows: list[list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[0]:
            continue
        key, value = row[0], row[1]
        if value.lower() in ("true", "false", "是", "否"):
            out[key] = value.lower() in ("true", "是")
        elif key == "escalation_decision":
            try:
                out[key] = float(value)
            except ValueError:
                raise InputError.one(str(path), n, f"settings.{key}", f"'{value}' is not seconds") from None
        else:
            out[key] = value or None
    return out
