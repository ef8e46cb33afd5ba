"""Rich consoles for the CLI: on a terminal, its width; piped into a file or a log, wide enough that
tables are never cut to 80 columns (a planner's log should hold every column, untruncated)."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

PIPED_WIDTH = 160


def make_console(stderr: bool = False, **kw: Any) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    return Console(stderr=stderr, width=PIPED_WIDTH if piped else None, **kw)
