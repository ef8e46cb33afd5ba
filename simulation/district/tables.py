"""The planner's own tables from CSV or XLSX: agencies, stations, duty rosters (值班表), contacts (通讯录).

Each table has fixed columns with an English and a Chinese header (either may be used; the templates
under ``simulation/district/templates/`` ship both). A header that is neither is refused naming the file,
the column letter and the nearest known name; a bad cell names the file, the row and the column.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.errors import InputError
from scenarios.tabular import csv_text, open_workbook

TABLES: dict[str, dict[str, tuple[str, bool]]] = {
    "agencies": {
        "id": ("编号", True), "role": ("角色", True), "name_zh": ("中文名称", False), "name_en": ("英文名称", False),
        "parent": ("上级单位", False), "streets": ("辖区街道", False),
        "handling_median_s": ("接报处理中位数秒", False), "handling_p90_s": ("接报处理P90秒", False),
        "decision_s": ("决策时间秒", False),
    },
    "stations": {
        "id": ("编号", True), "agency": ("所属单位", True), "name_zh": ("中文名称", False),
        "name_en": ("英文名称", False), "lon": ("经度", False), "lat": ("纬度", False), "grid": ("网格", False),
        "units": ("力量", False),
    },
    "rosters": {"agency": ("单位", True), "shift": ("班次", True), "staff": ("在岗人数", True)},
    "contacts": {
        "from": ("发起单位", True), "to": ("接收单位", True), "kind": ("类型", False), "medium": ("方式", False),
        "latency_median_s": ("时延中位数秒", False), "latency_p90_s": ("时延P90秒", False),
        "reliability": ("接通率", False), "both_ways": ("双向", False),
    },
    "incident_log": {  # a 119/110/120/12345 log for `linkage calibrate` (simulation/district/incident_log.py)
        "incident_id": ("事件编号", True), "service": ("接警台", True), "type": ("事件类型", False),
        "grid": ("网格", True), "street": ("街道", False), "station": ("出动站点", False),
        "call_time": ("接警时间", True), "dispatch_time": ("调派时间", False), "left_time": ("出动时间", False),
        "arrival_time": ("到场时间", False),
        "action_time": ("开始处置时间", False), "close_time": ("结束时间", False),
    },
    "workorder_log": {  # a 12345 export for `linkage calibrate --orders` (simulation/district/workorder_log.py)
        "order_id": ("工单编号", True), "dispatch_no": ("派单序号", True), "type": ("事件类型", False),
        "task": ("任务", False), "grid": ("网格", True), "agency": ("承办单位", True), "status": ("状态", True),
        "ruling": ("审定", False), "dispatch_time": ("派单时间", True), "sign_time": ("签收时间", False),
        "reject_time": ("退单时间", False), "reject_reason": ("退单理由", False),
        "redispatch_time": ("改派时间", False), "withdraw_time": ("撤回时间", False), "close_time": ("办结时间", False),
    },
}
"""Table → column (English header) → (Chinese header, required)."""
DAY = ("day", "白班", "日班")
NIGHT = ("night", "夜班")


@dataclass
class Row:
    """One data row: its line in the file (CSV line or XLSX row) and its cells by English column name."""

    line: int
    cells: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.cells.get(key, "").strip()


def _raw_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise InputError.one(str(path), None, "", "file not found")
    if path.suffix.lower() == ".xlsx":
        wb = open_workbook(path)
        try:
            ws = wb.worksheets[0]
            return [["" if c is None else _cell_text(c) for c in r] for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    if path.suffix.lower() != ".csv":
        raise InputError.one(str(path), None, "", "expected a .csv or .xlsx file")
    reader = csv.reader(io.StringIO(csv_text(path), newline=""))
    try:
        return [list(r) for r in reader]
    except csv.Error as e:  # a cell past the csv module's field limit (131,072 characters): no table has one
        raise InputError.one(str(path), reader.line_num, "",
                             f"not a readable CSV table: {e} · 无法读取的 CSV 表格") from None


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _column_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def read_table(path: Path, table: str) -> list[Row]:
    """The rows of one table; headers in English or Chinese; blank rows skipped."""
    spec = TABLES[table]
    raw = _raw_rows(path)
    if not raw or not any(c.strip() for c in raw[0]):
        raise InputError.one(str(path), 1, "", f"no header row (a {table} table starts with its column names)")
    names = {en: en for en in spec} | {zh: en for en, (zh, _) in spec.items()}
    cols: dict[int, str] = {}
    for i, h in enumerate(raw[0]):
        h = h.strip()
        if not h:
            continue
        if h not in names:
            near = difflib.get_close_matches(h, list(names), n=1, cutoff=0.5)
            hint = f"did you mean '{near[0]}'? " if near else ""
            known = ", ".join(f"{en}/{zh}" for en, (zh, _) in spec.items())
            raise InputError.one(str(path), 1, f"column {_column_letter(i)}",
                                 f"unknown {table} column '{h}' ({hint}columns: {known})")
        twice = next((j for j, en in cols.items() if en == names[h]), None)
        if twice is not None:  # the later column would silently replace the earlier one in every row
            raise InputError.one(str(path), 1, f"column {_column_letter(i)}",
                                 f"{table} column '{names[h]}' is also column {_column_letter(twice)} · 表头列重复")
        cols[i] = names[h]
    for en, (zh, required) in spec.items():
        if required and en not in cols.values():
            raise InputError.one(str(path), 1, en, f"missing required {table} column '{en}' ({zh})")
    rows = []
    for n, r in enumerate(raw[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        extra = next((i for i, c in enumerate(r) if i not in cols and c.strip()), None)
        if extra is not None:  # a value under no header (a comma inside an unquoted cell, a shifted row): never dropped
            raise InputError.one(str(path), n, f"column {_column_letter(extra)}",
                                 f"value {r[extra].strip()[:40]!r} has no column header (the header has "
                                 f"{len(raw[0])} columns) · 该单元格没有对应的表头列")
        row = Row(n, {cols[i]: c for i, c in enumerate(r) if i in cols})
        for en, (_zh, required) in spec.items():
            if required and not row.get(en):
                raise InputError.one(str(path), n, f"{table}.{en}", "empty cell in a required column")
        rows.append(row)
    return rows


def number(path: Path, row: Row, key: str, table: str, low: float = 0.0, high: float = 1e9) -> float | None:
    """A numeric cell (blank → None) within [low, high], else one error line naming row and column."""
    text = row.get(key)
    if not text:
        return None
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not (low <= v <= high):
        raise InputError.one(str(path), row.line, f"{table}.{key}", f"{text!r} is not a number in [{low:g}, {high:g}]")
    return v


def shift_of(path: Path, row: Row) -> str:
    s = row.get("shift").lower()
    if s in DAY:
        return "day"
    if s in NIGHT:
        return "night"
    raise InputError.one(str(path), row.line, "rosters.shift", f"unknown shift '{row.get('shift')}' "
                         "(day/白班 or night/夜班)")


def parse_units(path: Path, row: Row) -> list[tuple[str, int, float | None]]:
    """``engine:3@60; ladder:1`` → [(kind, count, turnout seconds or None)]."""
    out = []
    for part in row.get("units").replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        kind, _, rest = part.partition(":")
        count, _, turnout = rest.partition("@")
        try:
            n = int(count or 1)
            t = float(turnout) if turnout else None
        except ValueError:
            n, t = 0, None
        if not kind.strip() or n < 1 or (t is not None and not (math.isfinite(t) and t >= 0)):
            raise InputError.one(str(path), row.line, "stations.units",
                                 f"'{part}' is not KIND:COUNT or KIND:COUNT@TURNOUT_SECONDS")
        out.append((kind.strip(), n, t))
    return out


def write_templates(folder: Path) -> list[Path]:
    """Empty CSV and XLSX templates of every table, one set with English and one with Chinese headers."""
    from openpyxl import Workbook

    written = []
    for lang in ("en", "zh"):
        d = folder / lang
        d.mkdir(parents=True, exist_ok=True)
        for table, spec in TABLES.items():
            header = [en if lang == "en" else zh for en, (zh, _) in spec.items()]
            p = d / f"{table}.csv"
            with p.open("w", encoding="utf-8-sig", newline="") as f:
                csv.writer(f).writerow(header)
            wb = Workbook()
            wb.active.title = table
            wb.active.append(header)
            x = d / f"{table}.xlsx"
            wb.save(x)
            written += [p, x]
    return written


def checked_row(path: Path, row: Row, table: str, model: type, doc: dict, column: str | None = None) -> dict:
    """``doc``, built from one row of ``table``, as the scenario's ``model`` would take it — a value the scenario
    refuses (a unit count over its limit, a name too long) is named here, on the row's line, not later on the
    district file that was never written. ``column``: the table's column the whole ``doc`` came from."""
    from pydantic import ValidationError

    from scenarios.problems import validation_problems

    try:
        model.model_validate(doc)
    except ValidationError as e:
        first = validation_problems(e, doc, str(path))[0]  # the scenario's own wording of the refusal
        raise InputError.one(str(path), row.line, f"{table}.{column or first.path}", first.message) from None
    return doc

