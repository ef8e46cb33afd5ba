"""Crash-safe drill log (推演记录): one SQLite file per session, WAL mode, append-only.

Tables: ``meta`` (the session's definition, written once), ``seats`` (seat → role, agencies, hashed PIN),
``tokens`` (hashed session tokens issued on joining) and ``events`` — the log itself. Every inject,
message and decision is one ``events`` row, committed (``synchronous=FULL``) before the request that
caused it is answered. Rows are never updated or deleted (triggers refuse it). ``input`` rows (players'
and the facilitator's requests: decisions, clock steps, manual injects …) are what a restart replays;
the other rows are what the engine produced, keyed so that a replay writes each of them once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class DrillStore:
    """The SQLite file of one drill session (thread-safe: one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
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

    def add_seats(self, seats: Iterable[tuple[str, str, list[str], str]], salt: str) -> None:
        """(seat, role, agencies, pin) rows; only the PIN's hash is kept."""
        with self._lock:
            self.db.executemany("INSERT INTO seats(seat, role, agencies, pin_hash) VALUES (?, ?, ?, ?)",
                                [(s, r, json.dumps(a), digest(pin, salt)) for s, r, a, pin in seats])

    def seats(self) -> dict[str, dict]:
        with self._lock:
            rows = self.db.execute("SELECT seat, role, agencies, pin_hash FROM seats").fetchall()
        return {s: {"seat": s, "role": r, "agencies": json.loads(a), "pin_hash": h} for s, r, a, h in rows}

    def add_token(self, token_hash: str, seat: str) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO tokens(token_hash, seat, issued) VALUES (?, ?, ?)", (token_hash, seat, time.time())
            )

    def seat_of_token(self, token_hash: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT seat FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return row[0] if row else None

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
