"""Putting a finished output in place whole (原子替换): the file-system steps under
:func:`~simulation.experiments.outputs.output_folder` and :func:`~simulation.experiments.outputs.write_file`.

A writer works in a hidden sibling (``.<name>.tmp-XXXX``) that it holds an advisory ``flock`` on; the finished
folder is exchanged with the old one atomically where Linux offers ``renameat2(RENAME_EXCHANGE)``, else the old
one is set aside, the new one moved in and the old one removed. A sibling whose lock is free was left by a
killed writer and is removed by the next one (:func:`remove_stale`).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import sys
from pathlib import Path


def try_lock(fd: int) -> bool:
    """Take the advisory lock of an open temporary file or folder; False if a live process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def fresh_sibling(out: Path, kind: str) -> Path:
    """Create a fresh hidden folder beside ``out`` (``.<name>.<kind>-XXXX``), with the umask's permissions."""
    for _ in range(100):
        p = out.parent / f".{out.name}.{kind}-{secrets.token_hex(4)}"
        try:
            p.mkdir()
            return p
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {out}")


def remove_stale(out: Path) -> list[Path]:
    """Remove what a killed writer left beside ``out``: temporary folders and files whose lock is free
    (their writer is gone; a live writer holds its lock), and folders set aside by a swap that died half-way."""
    removed = []
    live = False
    for p in sorted(out.parent.glob(f".{out.name}.tmp-*")) + sorted(out.parent.glob(f".{out.name}.*.tmp")):
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if not try_lock(fd):
                live = True
                continue
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            removed.append(p)
        finally:
            os.close(fd)
    if not live:  # an old folder set aside while no writer is at work: its swap was killed
        for p in sorted(out.parent.glob(f".{out.name}.old-*")):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the OS cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False  # file system or kernel without the exchange: fall back
    raise OSError(err, os.strerror(err), str(b))


def place_folder(new: Path, out: Path) -> None:
    """Put the finished folder ``new`` at ``out`` whole; whatever was at ``out`` is gone afterwards."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old folder
        return
    aside = fresh_sibling(out, "old")
    os.rmdir(aside)
    os.rename(out, aside)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)
