"""Reading and writing a MSEL (主情景事件清单) as CSV or XLSX: Chinese or English headers, one line per
problem naming file, row and column; written back so that a spreadsheet never runs a cell as a formula.

The time, trigger, expected-action and effect forms are described in :mod:`simulation.drill.msel`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scenarios.errors import InputError, Problem
from scenarios.tabular import csv_text, open_workbook
from simulation.drill.msel import COLUMNS, Inject, Msel

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


def _xlsx_row(header: list[str], cells: tuple) -> dict[Any, Any]:
    """A sheet row by header; cells right of the header under the key ``None``, as csv.DictReader keeps them."""
    row: dict[Any, Any] = dict(zip(header, cells))
    if len(cells) > len(header):
        row[None] = list(cells[len(header):])
    return row


def validate_rows(rows: list[tuple[int | None, dict[str, Any]]], name: str,
                   clock_start: float | None = None) -> Msel:
    problems: list[Problem] = []
    injects: list[Inject] = []
    lines: dict[str, int | None] = {}
    for line, row in rows:
        beyond = [v for v in row.get(None) or [] if str(v if v is not None else "").strip()]
        if beyond:  # values right of the last header (an unquoted comma in a cell): never silently dropped
            problems.append(Problem(name, line, f"injects[{row.get('id') or row.get('编号') or line}]",
                                    f"{len(beyond)} value(s) beyond the header's columns, first "
                                    f"{str(beyond[0])[:40]!r} (a comma inside an unquoted cell?) · 超出表头列"))
            continue
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
        it = open_workbook(p).worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        check_header(header, name)
        rows = [(i, _xlsx_row(header, r)) for i, r in enumerate(it, start=2) if any(c not in (None, "") for c in r)]
    elif p.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(csv_text(p), newline=""))
        rows, done = [], 0  # done: the last line of the last row read; a bad row starts on the next
        try:
            check_header(list(reader.fieldnames or []), name)
            done = reader.line_num
            for r in reader:
                if any((v or "").strip() for v in r.values() if isinstance(v, str)) or r.get(None):
                    rows.append((reader.line_num, r))
                done = reader.line_num
        except csv.Error as e:  # a cell past the csv module's field limit (131,072 characters)
            raise InputError.one(name, done + 1, "", f"not a readable CSV table: {e} · 无法读取的 CSV 表格") from None
    else:
        raise InputError.one(name, None, "", "a MSEL file must be .csv or .xlsx")
    return validate_rows(rows, name, clock_start)


def msel_from_data(items: list[Any], name: str, clock_start: float | None = None) -> Msel:
    """A MSEL written inline in a drill YAML (a list of inject mappings)."""
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError.one(name, None, f"msel[{i}]", "each inject must be a mapping")
        line = getattr(items, "src", [(name, None)] * len(items))[i][1] if hasattr(items, "src") else None
        rows.append((line, dict(item)))
    return validate_rows(rows, name, clock_start)


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
