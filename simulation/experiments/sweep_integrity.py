"""What a sweep was made from, and whether its parts are still what was written (扫描归档完整性).

A researcher's results must never be silently mixed. Two records make that checkable:

- **Provenance** (in ``manifest.json``): the code (git commit where there is one, and a hash of the engine's
  sources — what actually ran), the Python and dependency versions, and the SHA-256 of every input file
  the scenario documents were read from (the scenario, its ``extends`` chain, arrangement files) together
  with a hash of each merged document. ``--resume`` refuses when any of what computes the numbers changed
  since the sweep began: an arrangement edited between a kill and a resume would otherwise be mixed into
  the old points.
- **Checksums** (``checksums/sweep=<id>/point=<k>/part-<first>.json``, written after a task's parts): size,
  rows and SHA-256 of each part. A task is done only when its record is there and every part it lists
  matches; ``--resume`` re-runs any other task (a truncated, zero-byte or missing part, a missing incidents
  part), and ``results`` / ``analyze`` refuse a part that changed after it was written.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

import pyarrow.parquet as pq

from simulation.experiments.outputs import SWEEP_TABLES, write_file

ROOT = Path(__file__).resolve().parents[2]
CODE = ("agencies", "scenarios", "simulation/model", "simulation/experiments")
"""Where the code that computes a sweep's numbers lives (the faces only show them)."""
COMPUTING = ("simpy", "networkx", "numpy", "scipy", "pydantic", "ruamel.yaml", "pyarrow", "SALib", "scikit-learn")
"""Dependencies whose version can change a sweep's numbers or its design: a resume refuses when one changed."""
CHECKSUMS = "checksums"


# -- provenance -------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_hash() -> str:
    """SHA-256 over the engine's source and bundled YAML files (path and bytes), in sorted order."""
    h = hashlib.sha256()
    for top in CODE:
        for p in sorted((ROOT / top).rglob("*")):
            if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts:
                h.update(p.relative_to(ROOT).as_posix().encode() + b"\0")
                h.update(p.read_bytes())
    return h.hexdigest()


def git_commit() -> str | None:
    """The checkout's commit (``+dirty`` when files differ from it); None outside a git checkout."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def dependency_versions() -> dict[str, str]:
    """Installed version of every dependency of the ``linkage`` distribution (and Python's)."""
    try:
        names = [re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requires("linkage") or () if "extra ==" not in r]
    except PackageNotFoundError:
        names = list(COMPUTING)
    out = {"python": platform.python_version()}
    for n in sorted(set(names) | set(COMPUTING), key=str.lower):
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = "not installed"
    return out


def input_files(doc: object) -> list[str]:
    """Every file a merged document's keys were read from (its ``(file, line)`` records, when it has them)."""
    found: dict[str, None] = {}

    def walk(node: object) -> None:
        src = getattr(node, "src", None)
        if isinstance(src, dict):
            records: Iterable = src.values()
        elif isinstance(src, list):
            records = src
        else:
            records = ()
        for rec in records:
            if isinstance(rec, tuple) and rec and isinstance(rec[0], str) and Path(rec[0]).is_file():
                found[str(Path(rec[0]).resolve())] = None
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            walk(child)

    walk(doc)
    return sorted(found)


def document_hash(doc: dict) -> str:
    from scenarios.yamlsrc import to_plain

    blob = json.dumps(to_plain(doc), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def provenance(docs: dict[str | None, dict], files: Iterable[str]) -> dict:
    """The manifest's ``provenance``: code, versions, input files and merged documents (see module doc)."""
    return {
        "commit": git_commit(),
        "code_sha256": code_hash(),
        "dependencies": dependency_versions(),
        "inputs": {f: sha256_file(Path(f)) for f in files},
        "documents": {str(k): document_hash(d) for k, d in docs.items()},
    }


def provenance_changes(old: dict | None, new: dict) -> list[str]:
    """What changed since the sweep began, among what computes its numbers (empty: safe to resume)."""
    if not old:
        return ["the manifest has no provenance (made by an earlier Linkage)"]
    out = []
    for path, digest in new["inputs"].items():
        was = old.get("inputs", {}).get(path)
        if was is None:
            out.append(f"input file {path} was not read when the sweep began")
        elif was != digest:
            out.append(f"input file {path} changed (sha256 {was[:12]}… → {digest[:12]}…)")
    for path in set(old.get("inputs", {})) - set(new["inputs"]):
        out.append(f"input file {path} is no longer read")
    if not out and old.get("documents") != new["documents"]:
        out.append("the merged scenario documents differ")
    if old.get("code_sha256") != new["code_sha256"]:
        out.append(f"the engine's code changed (commit {old.get('commit')} → {new['commit']})")
    deps = old.get("dependencies", {})
    for name in ("python", *COMPUTING):
        if deps.get(name) != new["dependencies"].get(name):
            out.append(f"{name} {deps.get(name)} → {new['dependencies'].get(name)}")
    return out


# -- checksums of parts -----------------------------------------------------------------------------------


def record_path(out: Path, sweep_id: str, point: int, first: int) -> Path:
    return out / CHECKSUMS / f"sweep={sweep_id}" / f"point={point}" / f"part-{first}.json"


def write_record(out: Path, sweep_id: str, point: int, first: int, parts: dict[str, Path]) -> None:
    """The task's checksum record, written after its parts: from now on the task counts as done."""
    entry = {name: {"file": p.relative_to(out).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p),
                    "rows": pq.ParquetFile(p).metadata.num_rows} for name, p in parts.items()}
    write_file(record_path(out, sweep_id, point, first), json.dumps({"parts": entry}, indent=1))


def check_record(out: Path, record: Path) -> str | None:
    """None if every part the record lists is there with its size and SHA-256; else what is wrong."""
    try:
        parts = json.loads(record.read_text(encoding="utf-8"))["parts"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"{record}: unreadable checksum record ({e})"
    if set(parts) != set(SWEEP_TABLES):
        return f"{record}: lists {', '.join(sorted(parts))}, a task has {', '.join(SWEEP_TABLES)}"
    for name, want in parts.items():
        p = out / want["file"]
        try:
            size = p.stat().st_size
        except FileNotFoundError:
            return f"{p}: missing {name} part"
        if size != want["bytes"]:
            return f"{p}: {size} bytes, {want['bytes']} when written (truncated or replaced)"
        if sha256_file(p) != want["sha256"]:
            return f"{p}: checksum differs from the one recorded when it was written"
    return None


@dataclass
class PartsState:
    """A sweep folder's tasks as found on disk."""

    done: dict[tuple[int, int], dict[str, Path]] = field(default_factory=dict)
    """Verified tasks → their part files by table."""
    damaged: dict[tuple[int, int], str] = field(default_factory=dict)
    """Tasks with a checksum record that no longer matches → what is wrong."""
    unfinished: set[tuple[int, int]] = field(default_factory=set)
    """Tasks with parts but no record (killed while writing them)."""


def _key(p: Path) -> tuple[int, int]:
    return int(p.parent.name.split("=", 1)[1]), int(p.stem.split("-", 1)[1])


def scan_parts(out: Path, sweep_id: str) -> PartsState:
    """Every task of a sweep: verified against its checksum record, damaged, or unfinished."""
    state = PartsState()
    for rec in sorted((out / CHECKSUMS / f"sweep={sweep_id}").glob("point=*/part-*.json")):
        key = _key(rec)
        problem = check_record(out, rec)
        if problem is None:
            state.done[key] = {t: part_file(out, t, sweep_id, *key) for t in SWEEP_TABLES}
        else:
            state.damaged[key] = problem
    for name in SWEEP_TABLES:
        for p in (out / name / f"sweep={sweep_id}").glob("point=*/part-*.parquet"):
            key = _key(p)
            if key not in state.done and key not in state.damaged:
                state.unfinished.add(key)
    return state


def part_file(out: Path, table: str, sweep_id: str, point: int, first: int) -> Path:
    return out / table / f"sweep={sweep_id}" / f"point={point}" / f"part-{first}.parquet"


def drop_task(out: Path, sweep_id: str, point: int, first: int) -> None:
    """Remove a task's record (first: it is no longer done), then its parts."""
    record_path(out, sweep_id, point, first).unlink(missing_ok=True)
    for name in SWEEP_TABLES:
        part_file(out, name, sweep_id, point, first).unlink(missing_ok=True)


def lock_folder(out: Path) -> int | None:
    """An advisory lock on a sweep folder for one writer; the open descriptor, or None if another holds it."""
    import fcntl

    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
