"""Times in a MSEL (主情景事件清单的时间): one written form means one thing, never guessed from the numbers.

* ``T+H:MM`` or ``T+H:MM:SS`` — scenario time since the drill's start, hours first: ``T+1:20`` is one hour
  twenty minutes (never 80 s); ``T+25min`` is twenty-five minutes; ``T+4800`` is 4,800 s;
* a plain number — seconds of scenario time;
* ``HH:MM`` or ``HH:MM:SS`` without ``T+`` — a clock time of day (``22:40``), turned into scenario time with
  the scenario's ``clock_start`` (the first 22:40 at or after the start);
* an XLSX time cell (Excel ``hh:mm``) is a clock time of day; a duration cell (Excel ``[h]:mm``) is scenario
  time.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")
_ELAPSED_RE = re.compile(r"^(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")
_MINUTES_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:min|m|分钟|分)$", re.I)


def parse_time(v: Any, clock_start: float | None = None) -> Any:
    """A MSEL time cell → scenario seconds (see the module's doc for the forms); blank → None.

    ``clock_start`` (the scenario's time of day at t = 0) turns a clock time of day into scenario time;
    without it a clock time is refused, never read as minutes and seconds."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not a scenario time")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, timedelta):  # an Excel duration cell ([h]:mm)
        return v.total_seconds()
    if isinstance(v, (time, datetime)):  # an Excel time cell (hh:mm): a time of day
        t = v.time() if isinstance(v, datetime) else v
        return _from_clock(t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6, v, clock_start)
    if isinstance(v, str):
        s = v.strip().replace("：", ":")
        elapsed = s[2:].strip() if s[:2].upper() == "T+" else None
        if elapsed is not None:
            m, n = _ELAPSED_RE.match(elapsed), _MINUTES_RE.match(elapsed)
            if m and int(m.group(2)) < 60 and float(m.group(3) or 0) < 60:  # T+0:75 is no time: a typo of what?
                h, mm, ss = m.groups()
                return int(h) * 3600 + int(mm) * 60 + float(ss or 0)
            if n:
                return float(n.group(1)) * 60
            try:
                return float(elapsed)
            except ValueError:
                pass
        else:
            try:
                return float(s)
            except ValueError:
                pass
            m = _CLOCK_RE.match(s)
            if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
                h, mm, ss = m.groups()
                return _from_clock(int(h) * 3600 + int(mm) * 60 + float(ss or 0), v, clock_start)
    raise ValueError(f"{v!r} is not a scenario time (write T+H:MM or T+H:MM:SS since the start, seconds, "
                     "or HH:MM for a clock time of day)")


def _from_clock(seconds_of_day: float, v: Any, clock_start: float | None) -> float:
    if clock_start is None:
        raise ValueError(f"{v!s} is a clock time of day: read the MSEL with its drill (the scenario's start time), "
                         "or write scenario time as T+H:MM")
    return (seconds_of_day - clock_start) % 86400.0


def format_time(t: float | None) -> str:
    if t is None:
        return ""
    t = int(round(t))
    return f"T+{t // 3600}:{t % 3600 // 60:02d}:{t % 60:02d}"
