"""Reading the tables people bring (人工表格): a CSV file's text and an Excel workbook, each refused in one line
naming the file (and the line of a bad byte) when it is not what its name says — shared by the district import,
the calibration logs and a drill's MSEL."""

from __future__ import annotations

import zipfile
from pathlib import Path

from scenarios.errors import InputError


def open_workbook(path: Path):
    """``path`` opened read-only with openpyxl; a file that is no XLSX workbook (a CSV or an old .xls renamed, a
    damaged download) is one line naming it instead of openpyxl's traceback."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as e:  # KeyError: a zip without a workbook part
        raise InputError.one(str(path), None, "", f"not an Excel .xlsx workbook ({type(e).__name__}): save it as "
                             ".xlsx or .csv · 不是 Excel .xlsx 工作簿，请另存为 .xlsx 或 .csv") from None


def csv_text(path: Path) -> str:
    """A CSV file's text (UTF-8, with or without BOM). Other bytes — a GBK file saved by Chinese Excel as plain
    'CSV', UTF-16 — are refused on the line of the first bad byte, never guessed at."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise InputError.one(str(path), line, "", f"not UTF-8 text: byte 0x{raw[e.start]:02x} (save the table as "
                             "'CSV UTF-8' · 请将表格另存为“CSV UTF-8”格式)") from None
