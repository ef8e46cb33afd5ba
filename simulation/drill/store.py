"""Crash-safe drill log (推演记录): one SQLite file per session, WAL mode, append-only.

Tables: ``meta`` (the session's definition, written once), ``seats`` (seat → role, agencies, the PIN's
scrypt hash, see :mod:`simulation.drill.pins`), ``tokens`` (hashed session tokens issued on joining, deleted
on leaving or a PIN reissue, expired by age) and ``events`` — the log itself. Every inject,
message and decision is one ``events`` row, committed (``synchronous=FULL``) before the request that
caused it is answered. Rows are never updated or deleted (triggers refuse it). ``input`` rows (players'
and the facilitator's requests: decisions, clock steps, manual injects …) are what a restart replays;
the other rows are what the engine produced, keyed so that a replay writes each of them once.

The file (and SQLite's ``-wal``/``-shm`` beside it, which SQLite creates with the file's mode) is readable
by its owner only (0600). One process at a time serves a folder of sessions (:class:`FolderLock`): two
writers would each replay the log and then append diverging records to it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulation.drill.pins import hash_pin
from simulation.drill.policy import DrillError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seats (seat TEXT PRIMARY KEY, role TEXT NOT NULL, agencies TEXT NOT NULL,
                                  pin_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token_hash TEXT PRIMARY KEY, seat TEXT NOT NULL REFERENCES seats(seat),
                                   issued REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT UNIQUE,
    kind TEXT NOT NULL,
    input INTEGER NOT NULL,
    sim_time REAL NOT NULL,
    wall_time REAL NOT NULL,
    actor TEXT,
    agency TEXT,
    payload TEXT NOT NULL,
    fallback INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_agency ON events(agency);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the drill log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the drill log is append-only'); END;
"""


def digest(secret: str, salt: str) -> str:
    """A session token's hash. A token carries 192 random bits, so a fast hash suffices (unlike a PIN)."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class FolderBusy(DrillError):
    """Another process serves this folder of sessions."""


class FolderLock:
    """An exclusive ``flock`` on ``DIR/.drill.lock`` for as long as this object lives (released by the OS
    when the process dies, so a killed server never leaves a stale lock)."""

    def __init__(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = d / ".drill.lock"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(self._fd)
            raise FolderBusy(f"{d}: another drill process (pid {holder}) serves this folder; stop it first "
                             "(one writer per session folder)") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = -1


def _private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only, or make an existing one so (sessions made before 0600)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if p.exists():
                os.chmod(p, 0o600)


class DrillStore:
    """The SQLite file of one drill session (thread-safe: one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        _private_file(self.path)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- meta and seats -------------------------------------------------------------------------

    def write_meta(self, items: dict[str, Any]) -> None:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("INSERT INTO meta(key, value) VALUES (?, ?)",
                                    [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def meta(self) -> dict[str, Any]:
        with self._lock:
            return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    def add_seats(self, seats: Iterable[tuple[str, str, list[str], str]]) -> None:
        """(seat, role, agencies, pin) rows; only the PIN's salted scrypt hash is kept."""
        rows = [(s, r, json.dumps(a), hash_pin(pin)) for s, r, a, pin in seats]
        with self._lock:
            self.db.executemany("INSERT INTO seats(seat, role, agencies, pin_hash) VALUES (?, ?, ?, ?)", rows)

    def pin_hash(self, seat: str) -> str | None:
        """The seat's current PIN hash, read from the file (a PIN reissued by another process counts at once)."""
        with self._lock:
            row = self.db.execute("SELECT pin_hash FROM seats WHERE seat = ?", (seat,)).fetchone()
        return row[0] if row else None

    def set_pin(self, seat: str, pin: str, keep_token: str | None = None) -> None:
        """Reissue a seat's PIN: store the new hash and revoke the seat's tokens (but ``keep_token``'s hash)."""
        h = hash_pin(pin)
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("UPDATE seats SET pin_hash = ? WHERE seat = ?", (h, seat))
                self.db.execute("DELETE FROM tokens WHERE seat = ? AND token_hash != ?", (seat, keep_token or ""))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def rehash_pin(self, seat: str, pin: str) -> None:
        """Replace an old-form hash by the slow one (after a successful join with ``pin``)."""
        h = hash_pin(pin)
        with self._lock:
            self.db.execute("UPDATE seats SET pin_hash = ? WHERE seat = ?", (h, seat))

    def seats(self) -> dict[str, dict]:
        with self._lock:
            rows = self.db.execute("SELECT seat, role, agencies, pin_hash FROM seats").fetchall()
        return {s: {"seat": s, "role": r, "agencies": json.loads(a), "pin_hash": h} for s, r, a, h in rows}

    def add_token(self, token_hash: str, seat: str) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO tokens(token_hash, seat, issued) VALUES (?, ?, ?)", (token_hash, seat, time.time())
            )

    def seat_of_token(self, token_hash: str, max_age_s: float) -> tuple[str | None, bool]:
        """(seat, expired) of a token; (None, False) for a token never issued or revoked."""
        with self._lock:
            row = self.db.execute("SELECT seat, issued FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        if row is None:
            return None, False
        return row[0], time.time() - row[1] > max_age_s

    def revoke_token(self, token_hash: str) -> bool:
        with self._lock:
            return self.db.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,)).rowcount > 0

    # -- the log --------------------------------------------------------------------------------

    def append(self, rec: dict, is_input: bool) -> int | None:
        """Append one record (committed before returning); a record whose key is logged already is skipped."""
        with self._lock:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO events(key, kind, input, sim_time, wall_time, actor, agency, payload, fallback)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.get("key"), rec["kind"], int(is_input), float(rec["sim_time"]), rec.get("wall_time", time.time()),
                 rec.get("actor"), rec.get("agency"), json.dumps(rec.get("payload", {}), ensure_ascii=False),
                 int(bool(rec.get("fallback")))))
            return cur.lastrowid if cur.rowcount else None

    def append_many(self, recs: list[dict]) -> None:
        if not recs:
            return
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for r in recs:
                    self.db.execute(
                        "INSERT OR IGNORE INTO events"
                        "(key, kind, input, sim_time, wall_time, actor, agency, payload, fallback)"
                        " VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)",
                        (
                            r.get("key"),
                            r["kind"],
                            float(r["sim_time"]),
                            r.get("wall_time", time.time()),
                            r.get("actor"),
                            r.get("agency"),
                            json.dumps(r.get("payload", {}), ensure_ascii=False),
                            int(bool(r.get("fallback"))),
                        ),
                    )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def events(self, inputs_only: bool = False, since: int = 0) -> list[dict]:
        q = (
            "SELECT seq, key, kind, input, sim_time, wall_time, actor, agency, payload, fallback"
            " FROM events WHERE seq > ?"
        )
        if inputs_only:
            q += " AND input = 1"
        with self._lock:
            rows = self.db.execute(q + " ORDER BY seq", (since,)).fetchall()
        return [
            {
                "seq": s,
                "key": k,
                "kind": kd,
                "input": bool(i),
                "sim_time": t,
                "wall_time": w,
                "actor": a,
                "agency": ag,
                "payload": json.loads(p),
                "fallback": bool(f),
            }
            for s, k, kd, i, t, w, a, ag, p, f in rows
        ]

    def has_key(self, key: str) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None
