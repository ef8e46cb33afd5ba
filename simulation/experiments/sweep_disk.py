"""Keeping a sweep from filling its disk (磁盘空间).

A sweep's size is only known as it runs (Parquet compresses each table by its contents): a routine-heavy
district writes about a hundred bytes per incident, a flagship a few kilobytes, and a sweep of millions of
incidents can need tens of gigabytes. After each finished task the sweep projects what its remaining
replications would need at the rate written so far (:class:`DiskBudget`); if that would leave less than the
reserve free on the output's disk, it stops with one line — the finished parts are kept, and ``--resume``
goes on once there is room. ``LINKAGE_DISK_RESERVE`` sets the reserve (bytes, or with a K, M, G or T suffix;
``0`` turns the check off).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from simulation.experiments.api import bad_parameter

RESERVE_ENV = "LINKAGE_DISK_RESERVE"
DEFAULT_RESERVE = 256 * 2**20
"""Bytes a sweep leaves free on its disk unless ``LINKAGE_DISK_RESERVE`` says otherwise (256 MiB)."""
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def reserve() -> int:
    """The reserve in bytes, from ``LINKAGE_DISK_RESERVE`` (a bad value is refused in one line)."""
    raw = os.environ.get(RESERVE_ENV, "").strip()
    if not raw:
        return DEFAULT_RESERVE
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", raw, flags=re.IGNORECASE)
    if m is None:
        raise bad_parameter("sweep", RESERVE_ENV, f"{raw!r} is not a size (bytes, or e.g. 500M, 2G; 0 turns it off)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def size(n: float) -> str:
    """Bytes for a person: 1.2 GB, 340 MB, 12 KB (powers of 1,024)."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


@dataclass
class DiskBudget:
    """What a sweep has written so far, and whether the rest fits on the output's disk."""

    out: Path
    reserve: int
    written: int = 0
    replications: int = 0

    def wrote(self, nbytes: int, replications: int) -> None:
        self.written += nbytes
        self.replications += replications

    def shortfall(self, remaining: int, free: int | None = None) -> str | None:
        """Why the ``remaining`` replications would not fit, or ``None`` if they would (or nothing is known yet).

        ``free``: the disk's free bytes (read from the output's file system when not given)."""
        if self.reserve <= 0 or remaining <= 0 or self.replications <= 0:
            return None
        per = self.written / self.replications
        need = per * remaining
        if free is None:
            free = shutil.disk_usage(self.out).free
        if need <= free - self.reserve:
            return None
        return (f"the sweep stopped before its disk fills: the {remaining:,} replications left would need about "
                f"{size(need)} more at the {size(per)} per replication written so far, and {size(free)} is free "
                f"({RESERVE_ENV} keeps {size(self.reserve)} free) — the finished parts are kept: free some space "
                "(or lower the reserve), then run again with --resume")

    def check(self, remaining: int) -> None:
        """Stop the sweep (one line, naming the output folder) if the rest would not fit."""
        why = self.shortfall(remaining)
        if why is not None:
            raise bad_parameter("sweep", "out", why)
