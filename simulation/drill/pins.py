"""Seat PINs (席位口令): new PINs, and their slow salted hashes (scrypt) as kept in the session file.

A PIN is six digits, read aloud in the training room, so its strength against someone holding the file
comes from the hash alone: each seat's PIN is hashed with its own random 16-byte salt by scrypt with the
parameters of the OWASP Password Storage Cheat Sheet's scrypt table (N=2**14, r=8, p=5: 16 MiB and about
0.2 s on this machine per guess), so trying all 10**6 PINs of one seat costs days of CPU instead of the
1.2 s that the former unsalted SHA-256 of "CODE:PIN" cost for all six seats.

Stored form: ``scrypt$N$r$p$SALT_HEX$HASH_HEX``. A hash in the old form (64 hex digits of SHA-256) still
verifies, and is replaced by the slow form at the first successful join (see ``needs_rehash``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 5
SALT_BYTES, KEY_BYTES = 16, 32
PIN_DIGITS = 6
_MAXMEM = 64 * 2**20
_KDF_SLOTS = threading.BoundedSemaphore(2)  # at most two 16 MiB hashes at once, whatever the number of requests
_DUMMY: list[str] = []


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    with _KDF_SLOTS:
        return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=KEY_BYTES)


def hash_pin(pin: str) -> str:
    """The stored form of ``pin``: scrypt with a fresh random salt."""
    salt = os.urandom(SALT_BYTES)
    key = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def legacy_digest(pin: str, code: str) -> str:
    """The hash of sessions made before scrypt (unsalted SHA-256 of "CODE:PIN"); verified, never written."""
    return hashlib.sha256(f"{code}:{pin}".encode()).hexdigest()


def verify_pin(pin: str, stored: str | None, code: str) -> bool:
    """Whether ``pin`` matches ``stored``; with no stored hash (unknown seat or session) a dummy hash is
    checked all the same, so that the answer takes as long as for a real seat."""
    if not _DUMMY:
        _DUMMY.append(hash_pin(new_pin()))
    target = stored or _DUMMY[0]
    if target.startswith("scrypt$"):
        try:
            _, n, r, p, salt, key = target.split("$")
            ok = hmac.compare_digest(_scrypt(pin, bytes.fromhex(salt), int(n), int(r), int(p)), bytes.fromhex(key))
        except ValueError:
            return False
    else:
        ok = hmac.compare_digest(legacy_digest(pin, code), target)
    return ok and stored is not None


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$")
