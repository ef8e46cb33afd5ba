"""A sweep's folder on disk (扫描归档): manifest, points, resumable Parquet parts, recorded failures.

::

    OUT/.linkage-output                                       marker of a Linkage output folder
    OUT/manifest.json                                         written first (with the points, as one folder)
    OUT/points/sweep=<id>/points.parquet                      point, run_seed, one column per factor
    OUT/replications/sweep=<id>/point=<k>/part-<first>.parquet
    OUT/incidents/…   OUT/handoffs/…   OUT/workorders/…       same layout (outputs.SWEEP_TABLES)
    OUT/checksums/sweep=<id>/point=<k>/part-<first>.json      size, rows, SHA-256 of the task's parts
    OUT/errors/point=<k>.json                                 a point whose scenario is invalid

A new sweep's folder (marker, manifest, points) is put in place whole by the one output writer
(:func:`~simulation.experiments.outputs.output_folder`), replacing an earlier Linkage output folder;
then each task's parts are written into it as the task finishes — every file to a temporary name moved
in with ``os.replace``, the checksum record last (it marks the task done) — so a sweep killed at any
instant loses only unfinished tasks and ``resume=True`` runs exactly the missing ones, and a part
damaged later is found (:mod:`simulation.experiments.sweep_integrity`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.errors import InputError
from simulation.experiments.designs import Design
from simulation.experiments.outputs import CANON, MARKER, SWEEP_TABLES, output_folder, write_file, write_marker
from simulation.experiments.sweep_integrity import CHECKSUMS, PartsState, part_file, provenance_changes, write_record

if TYPE_CHECKING:
    from simulation.experiments.sweep import Task

MANIFEST = "manifest.json"
TABLES = SWEEP_TABLES
DEFAULT_BATCH = 25
FORMAT = 2
"""2: checksum records, provenance and the workorders part (format 1 had neither)."""


@dataclass
class SweepStatus:
    """What the parent knows while a sweep runs (passed to a progress callback)."""

    replications_done: int
    replications_total: int
    points_done: int
    points_failed: int
    points_total: int


@dataclass
class SweepResult:
    out: Path
    sweep_id: str
    points: int
    replications: int
    tasks_total: int
    tasks_run: int
    tasks_skipped: int
    failed: dict[int, str] = field(default_factory=dict)
    wall_seconds: float = 0.0
    repaired: dict[tuple[int, int], str] = field(default_factory=dict)
    """Tasks found damaged or unfinished on resume (point, first replication) → why; run again."""
    workers_lost: int = 0
    """Times the local worker pool lost a process (its tasks were run again on new workers)."""

    def load(self):  # noqa: ANN201 - pandas.DataFrame
        from simulation.experiments.results import load_sweep

        return load_sweep(self.out)


# -- files ------------------------------------------------------------------------------------------------


def write_table(path: Path, table: pa.Table) -> None:
    """One Parquet file, written to a temporary name beside it and moved in (a resumable part)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def new_folder(out: Path, manifest: dict, points: pa.Table) -> None:
    """A new sweep's folder — marker, manifest and points — put in place whole."""
    with output_folder(out, "sweep", "sweep") as tmp:
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        write_table(tmp / "points" / f"sweep={manifest['sweep']}" / "points.parquet", points)


def reopen_folder(out: Path, sweep_id: str, points: pa.Table) -> None:
    """A sweep's folder being resumed: its points again (same design), the marker if it predates it."""
    write_table(out / "points" / f"sweep={sweep_id}" / "points.parquet", points)
    if not (out / MARKER).exists():
        write_marker(out, "sweep")


def _normalise(table: pa.Table) -> pa.Table:
    """Give all-null columns a stable type so every part of a table has one schema."""
    for i, f in enumerate(table.schema):
        if table.num_rows and table.column(i).null_count < table.num_rows:
            continue  # has values: its inferred type is the real one
        want = CANON.get(f.name, pa.float64() if f.type == pa.null() else f.type)
        if want != f.type:
            table = table.set_column(i, pa.field(f.name, want), table.column(i).cast(want))
    return table


part_path = part_file


def write_task(out: Path, sweep_id: str, point: int, first: int, tables: dict[str, pa.Table]) -> int:
    """A finished task's parts, then its checksum record (the mark that it is done); the bytes of the parts."""
    parts = {}
    for name in TABLES:
        parts[name] = part_path(out, name, sweep_id, point, first)
        write_table(parts[name], _normalise(tables[name]))
    write_record(out, sweep_id, point, first, parts)
    return sum(p.stat().st_size for p in parts.values())


def _points_table(design: Design, seeds: list[int]) -> pa.Table:
    cols: dict[str, pa.Array] = {"point": pa.array(range(len(design.points)), pa.int64()),
                                 "run_seed": pa.array(seeds, pa.int64())}
    for f in design.factors:
        vals = [p[f.path] for p in design.points]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            cols[f.path] = pa.array(vals, pa.int64())
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            cols[f.path] = pa.array([float(v) for v in vals], pa.float64())
        elif all(isinstance(v, str) for v in vals):
            cols[f.path] = pa.array(vals, pa.string())
        else:
            cols[f.path] = pa.array([json.dumps(v, ensure_ascii=False) for v in vals], pa.string())
    return pa.table(cols)


def read_manifest(out: Path) -> dict:
    path = Path(out) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.one(str(out), None, "", f"no {MANIFEST}: not a sweep folder") from None
    except (OSError, ValueError) as e:
        raise InputError.one(str(path), None, "", f"cannot read the manifest: {e}") from None


# -- manifest ---------------------------------------------------------------------------------------------

_IDENTITY = (
    "scenario_hash",
    "factors",
    "design",
    "samples",
    "seed",
    "common_seeds",
    "replications",
    "batch",
    "version",
)


def _check_resume(old: dict, new: dict, out: Path) -> None:
    where = str(out / MANIFEST)
    if old.get("format") != FORMAT:
        raise InputError.one(
            where, None, "format", f"made by another sweep format ({old.get('format')}); cannot resume"
        )
    for key in _IDENTITY:
        if old.get(key) != new[key]:
            raise InputError.one(
                where,
                None,
                key,
                f"--resume: the sweep in this folder has {json.dumps(old.get(key))}, "
                f"the command gives {json.dumps(new[key])}; resume with the same arguments or use a new --out",
            )
    if old.get("points") != new["points"]:
        raise InputError.one(
            where, None, "points", "--resume: the design's points differ from the manifest's (another scipy/SALib?)"
        )
    changes = provenance_changes(old.get("provenance"), new["provenance"])
    if changes:
        more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
        raise InputError.one(
            where, None, "provenance",
            f"--resume refused: {changes[0]}{more} since the sweep began — its results would mix two models; "
            "restore it, or run a new sweep in another --out",
        )


def repair_list(state: PartsState) -> dict[tuple[int, int], str]:
    """Tasks to run again: damaged (record no longer matches) or unfinished (parts without a record)."""
    out = dict(state.damaged)
    for key in sorted(state.unfinished):
        out.setdefault(key, "parts without a checksum record (killed while writing them)")
    return out


def _drop_point(out: Path, sweep_id: str, point: int) -> None:
    shutil.rmtree(out / CHECKSUMS / f"sweep={sweep_id}" / f"point={point}", ignore_errors=True)  # not done: first
    for table in TABLES:
        shutil.rmtree(out / table / f"sweep={sweep_id}" / f"point={point}", ignore_errors=True)


def _record_failure(out: Path, sweep_id: str, des: Design, t: Task, error: str) -> None:
    """errors/point=<k>.json first, then remove any part of the point: a failed point has no rows."""
    info = {"point": t.point, "values": des.points[t.point], "run_seed": t.run_seed, "first_replication": t.first,
            "error": error}
    write_file(out / "errors" / f"point={t.point}.json", json.dumps(info, indent=1, ensure_ascii=False).encode())
    _drop_point(out, sweep_id, t.point)
