"""A 12345 work-order export (12345工单导出), read for ``linkage calibrate --orders``.

One row per dispatch (派单): a case (工单编号 ``order_id``) sent to one agency; a rejected order that is sent on
(改派) is a second row of the same case with the next ``dispatch_no`` (派单序号, 1 for the first dispatch). Columns
with an English or a Chinese header (the ``workorder_log`` table of :mod:`simulation.district.tables`):
incident type (事件类型, optional), task (任务, optional: the type's one work-order task), grid (网格), the
agency the order went to (承办单位, the scenario's agency id), status (状态, one of :data:`STATUSES`), whether the
order was issued on a superior's ruling (审定, optional: 是/否, yes/no — a ruling binds, so it cannot be
refused and says nothing about signing), and the times — dispatched (派单时间), signed (签收时间), rejected
(退单时间) with its reason (退单理由, optional), re-dispatched (改派时间: when the rejected case was sent on),
withdrawn (撤回时间: supervision 督办 took the order to the superior before the agency answered) and closed
(办结时间).

Every row is checked here and nothing is returned until all are: a bad row is one line naming the file, the
row and the column. Whether a type, task, grid or agency exists is the scenario's to say
(:mod:`simulation.experiments.calibration_orders`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scenarios.errors import InputError
from simulation.district.incident_log import parse_time
from simulation.district.tables import Row, read_table

TABLE = "workorder_log"
STATUSES = {
    "dispatched": ("dispatched", "待签收", "已派单", "派单"),
    "signed": ("signed", "已签收", "签收"),
    "rejected": ("rejected", "已退单", "退单"),
    "redispatched": ("redispatched", "已改派", "改派"),
    "withdrawn": ("withdrawn", "已撤回", "撤回"),
    "closed": ("closed", "已办结", "办结"),
}
"""Status → the words an export may use for it (English, Chinese)."""
NEEDS = {"signed": ("sign_time",), "closed": ("sign_time", "close_time"), "rejected": ("reject_time",),
         "redispatched": ("reject_time", "redispatch_time"), "withdrawn": ("withdraw_time",), "dispatched": ()}
"""The times each status needs."""
TIMES = ("dispatch_time", "sign_time", "reject_time", "redispatch_time", "withdraw_time", "close_time")
AFTER = {"sign_time": "dispatch_time", "reject_time": "dispatch_time", "redispatch_time": "reject_time",
         "withdraw_time": "dispatch_time", "close_time": "sign_time"}
"""Each time and the one it cannot precede."""
YES, NO = ("yes", "是", "y", "1", "true"), ("no", "否", "n", "0", "false", "")


def _err(path: Path, row: Row, key: str, message: str) -> InputError:
    return InputError.one(str(path), row.line, f"{TABLE}.{key}", message)


def _status(path: Path, row: Row) -> str:
    text = row.get("status")
    for status, words in STATUSES.items():
        if text.lower() in words:
            return status
    known = ", ".join(f"{w[0]}/{w[1]}" for w in STATUSES.values())
    raise _err(path, row, "status", f"unknown status '{text}' (one of {known})")


def _record(path: Path, row: Row) -> dict:
    status = _status(path, row)
    ruling = row.get("ruling").lower()
    if ruling not in YES + NO:
        raise _err(path, row, "ruling", f"'{row.get('ruling')}' is not yes/是 or no/否")
    try:
        number = int(row.get("dispatch_no").removesuffix(".0"))
    except ValueError:
        number = 0
    if number < 1:
        raise _err(path, row, "dispatch_no", f"'{row.get('dispatch_no')}' is not a whole number from 1")
    times: dict[str, datetime | None] = {k: parse_time(path, row, k, TABLE) for k in TIMES}
    for key, before in AFTER.items():
        t, b = times[key], times[before]
        if t is not None and b is not None and t < b:
            raise _err(path, row, key, f"{t:%Y-%m-%d %H:%M:%S} is before {before} {b:%Y-%m-%d %H:%M:%S}")
    if times["sign_time"] is not None and times["reject_time"] is not None:
        raise _err(path, row, "reject_time", "an order is signed or rejected, not both (a re-dispatch is a new row)")
    for key in NEEDS[status]:
        if times[key] is None:
            raise _err(path, row, key, f"status '{row.get('status')}' needs {key}")
    return {"line": row.line, "order": row.get("order_id"), "no": number, "type": row.get("type") or None,
            "task": row.get("task") or None, "grid": row.get("grid"), "agency": row.get("agency"),
            "status": status, "ruling": ruling in YES, "reason": row.get("reject_reason") or None,
            **{k.removesuffix("_time"): v for k, v in times.items()}}


def read_workorder_log(path: str | Path) -> list[dict]:
    """The export's orders as plain records (``line``, ``order``, ``no``, ``type``, ``task``, ``grid``, ``agency``,
    ``status``, ``ruling``, ``reason`` and the times ``dispatch``, ``sign``, ``reject``, ``redispatch``,
    ``withdraw``, ``close`` as datetimes or None)."""
    path = Path(path)
    rows = read_table(path, TABLE)
    if not rows:
        raise InputError.one(str(path), None, "", "the export has no rows (one row per dispatch under the header)")
    seen: dict[tuple[str, int], int] = {}
    out = []
    for row in rows:
        rec = _record(path, row)
        key = (rec["order"], rec["no"])
        if key in seen:
            raise _err(path, row, "dispatch_no", f"order '{key[0]}' dispatch {key[1]} is also on row {seen[key]}")
        seen[key] = row.line
        out.append(rec)
    return out
