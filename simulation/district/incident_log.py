"""An incident log from 119/110/120 or 12345 (接处警记录), read for ``linkage calibrate``.

One row per incident, columns with an English or a Chinese header (the ``incident_log`` table of
:mod:`simulation.district.tables`; templates under ``simulation/district/templates/``): incident id (事件编号),
service (接警台: 119, 110, 120 or 12345), incident type (事件类型, optional), grid (网格), street (街道),
the station of the first unit on scene (出动站点, optional), and the times — call received (接警时间),
dispatched (调派时间), left the station (出动时间, optional: the first unit on scene rolls out; without it the
turnout is not fitted), arrived (到场时间), first action (开始处置时间) and closed (结束时间). A time is
``YYYY-MM-DD HH:MM:SS`` (``T`` or ``/`` also read, fractions of a second kept) or a spreadsheet date cell;
later times may be blank (a call cancelled before dispatch), never out of order.

Every row is checked here and nothing is returned until all are: a bad row is one line naming the file,
the row and the column. Whether a grid, a station or a type exists is the scenario's to say, checked by
the calibration against it (:mod:`simulation.experiments.calibration`).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from scenarios.errors import InputError
from simulation.district.tables import Row, read_table

SERVICES = ("119", "110", "120", "12345")
"""The intake services a log may come from (火警 119, 报警 110, 急救 120, 市民热线 12345)."""
TIMES = ("call_time", "dispatch_time", "left_time", "arrival_time", "action_time", "close_time")
"""The times of one incident, in the order they must come."""
TABLE = "incident_log"
_CLOCK = re.compile(r"[ T]\d{1,2}:\d{2}")
"""A time of day after the date: hours and minutes at least."""


def parse_time(path: Path, row: Row, key: str, table: str = TABLE) -> datetime | None:
    """The cell as a local time (blank → None), else one error line naming the file, row and column."""
    text = row.get(key)
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise InputError.one(str(path), row.line, f"{table}.{key}",
                             f"{text!r} is not a time (YYYY-MM-DD HH:MM:SS)") from None
    if t.tzinfo is not None:
        raise InputError.one(str(path), row.line, f"{table}.{key}",
                             f"{text!r} carries a time zone: give the district's local time without one")
    if not _CLOCK.search(text):  # '2026-03-02' alone reads as midnight: a silent wrong interval
        raise InputError.one(str(path), row.line, f"{table}.{key}",
                             f"{text!r} has a date but no time of day (YYYY-MM-DD HH:MM:SS) · 缺少时刻")
    return t


def _record(path: Path, row: Row) -> dict:
    service = row.get("service").removesuffix(".0")
    if service not in SERVICES:
        raise InputError.one(str(path), row.line, f"{TABLE}.service",
                             f"unknown service '{row.get('service')}' (one of {', '.join(SERVICES)})")
    rec: dict = {"line": row.line, "incident": row.get("incident_id"), "service": service,
                 "type": row.get("type") or None, "grid": row.get("grid"), "street": row.get("street") or None,
                 "station": row.get("station") or None}
    earlier: list[tuple[str, datetime]] = []
    for key in TIMES:
        t = parse_time(path, row, key)
        rec[key.removesuffix("_time")] = t
        if t is None:
            continue
        before = next(((k, e) for k, e in earlier if t < e), None)  # the first earlier time it precedes
        if before is not None:
            raise InputError.one(str(path), row.line, f"{TABLE}.{key}",
                                 f"{t:%Y-%m-%d %H:%M:%S} is before {before[0]} {before[1]:%Y-%m-%d %H:%M:%S}")
        earlier.append((key, t))
    return rec


def read_incident_log(path: str | Path) -> list[dict]:
    """The log's incidents as plain records (``line``, ``incident``, ``service``, ``type``, ``grid``, ``street``,
    ``station`` and the times ``call``, ``dispatch``, ``left``, ``arrival``, ``action``, ``close`` as datetimes or
    None; ``left`` is None throughout for a log without that column)."""
    path = Path(path)
    rows = read_table(path, TABLE)
    if not rows:
        raise InputError.one(str(path), None, "", "the log has no rows (one row per incident under the header)")
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        rec = _record(path, row)
        if rec["incident"] in seen:
            raise InputError.one(str(path), row.line, f"{TABLE}.incident_id",
                                 f"incident '{rec['incident']}' is also on row {seen[rec['incident']]}")
        seen[rec["incident"]] = row.line
        out.append(rec)
    return out
