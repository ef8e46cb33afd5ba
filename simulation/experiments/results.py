"""Query sweep results with DuckDB (结果查询) — across many sweeps, without loading them into memory.

Views over every sweep folder found under a root (a folder holding ``manifest.json``), over the parts
its checksum records vouch for (hive-partitioned by ``sweep`` and ``point``):

- ``replications`` — one row per replication (the run contract's columns) + ``sweep``, ``point``;
- ``incidents``, ``handoffs``, ``workorders`` — likewise;
- ``points`` — one row per design point: ``sweep``, ``point``, ``run_seed``, one column per factor
  (named by its path, e.g. ``"agencies.street_S3.desk.staff"`` — quote it in SQL).

Example: ``SELECT p."units.0.count", avg(r.t_first_arrival) FROM replications r JOIN points p
USING (sweep, point) GROUP BY 1 ORDER BY 1``.

What a query may read (the SQL sandbox): one ``SELECT`` statement, over the sweep folders under the root
(and folders or files the caller allows with ``allow``) — no other file of the host, no network, no
extension installed or loaded, no ``COPY``, ``ATTACH``, ``SET`` or ``PRAGMA``; the settings are locked.
Before a query runs, every part is checked against its record: a damaged part, the same sweep twice under
the root, or a sweep made by an earlier format is refused in one line — never a silently wrong number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.errors import InputError
from simulation.experiments.outputs import SWEEP_TABLES, is_output_folder

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

TABLES = (*SWEEP_TABLES, "points")
_SORT = {"replications": ("point", "replication"), "incidents": ("point", "replication", "incident"),
         "handoffs": ("point", "replication", "incident", "task"),
         "workorders": ("point", "replication", "incident", "task", "order_no")}


def _lit(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


_BY_POINT = "{'sweep': VARCHAR, 'point': BIGINT}"
_BY_SWEEP = "{'sweep': VARCHAR}"


def _reader(files: list[Path], types: str) -> str:
    listed = "[" + ", ".join(_lit(f.as_posix()) for f in files) + "]"
    return f"read_parquet({listed}, hive_partitioning = true, union_by_name = true, hive_types = {types})"


# -- finding and checking sweeps ---------------------------------------------------------------------------


@dataclass
class FoundSweep:
    """One sweep folder, its verified parts and what is missing from it."""

    folder: Path
    manifest: dict
    parts: dict[str, list[Path]] = field(default_factory=dict)
    tasks_done: int = 0
    tasks_total: int = 0
    failed_points: int = 0

    @property
    def sweep_id(self) -> str:
        return self.manifest["sweep"]

    @property
    def points_file(self) -> Path:
        return self.folder / "points" / f"sweep={self.sweep_id}" / "points.parquet"

    def note(self) -> str | None:
        """A line for a sweep whose rows are not all there (killed and not resumed, or still running)."""
        if self.tasks_done >= self.tasks_total:
            return None
        return (f"{self.folder}: sweep {self.sweep_id} is incomplete — {self.tasks_done} of {self.tasks_total} "
                "tasks finished; only their rows are read (run the sweep again with --resume to complete it)")


def open_sweep(folder: Path) -> FoundSweep:
    """A sweep folder checked part by part (:func:`~simulation.experiments.sweep_integrity.scan_parts`)."""
    from simulation.experiments.sweep_archive import FORMAT, MANIFEST, read_manifest
    from simulation.experiments.sweep_integrity import scan_parts

    folder = Path(folder)
    m = read_manifest(folder)
    where = str(folder / MANIFEST)
    if not isinstance(m, dict) or not isinstance(m.get("sweep"), str) or not isinstance(m.get("points"), list):
        raise InputError.one(where, None, "", "not a manifest written by linkage sweep")
    if m.get("format") != FORMAT:
        raise InputError.one(where, None, "format", f"made by another sweep format ({m.get('format')}, this Linkage "
                             f"reads {FORMAT}): its parts cannot be checked — run the sweep again")
    state = scan_parts(folder, m["sweep"])
    if state.damaged:
        (point, first), why = sorted(state.damaged.items())[0]
        more = f" (and {len(state.damaged) - 1} more damaged tasks)" if len(state.damaged) > 1 else ""
        raise InputError.one(why.split(": ", 1)[0], None, "", f"{why.split(': ', 1)[-1]}{more} — point {point}, "
                             f"replications from {first}; run the sweep again with --resume --out {folder} "
                             "to re-run it")
    found = FoundSweep(folder, m)
    failed = {int(p.stem.split("=", 1)[1]) for p in (folder / "errors").glob("point=*.json")}
    per_point = math.ceil(int(m.get("replications", 1)) / max(int(m.get("batch", 1)), 1))
    found.failed_points = len(failed)
    found.tasks_total = per_point * (len(m["points"]) - len(failed))
    found.tasks_done = sum(1 for k, _ in state.done if k not in failed)
    for (k, _), parts in sorted(state.done.items()):
        if k in failed:
            continue
        for name, path in parts.items():
            found.parts.setdefault(name, []).append(path)
    return found


def find_sweeps(root: str | Path) -> list[FoundSweep]:
    """Every sweep folder under ``root`` (a Linkage output folder with a ``manifest.json``), checked; the same
    sweep twice is refused (its rows would double)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError.one("--root", None, "", f"'{root}' is not a folder")
    seen: dict[str, FoundSweep] = {}
    for manifest in sorted(root.rglob("manifest.json")):
        if not is_output_folder(manifest.parent):
            continue  # someone else's manifest.json (a sweep folder holds Linkage's marker)
        found = open_sweep(manifest.parent)
        other = seen.get(found.sweep_id)
        if other is not None:
            raise InputError.one("--root", None, "", f"sweep {found.sweep_id} is there twice: '{other.folder}' and "
                                 f"'{found.folder}' (a copy) — every row would count twice; move one out of "
                                 "--root, or query each folder with its own --root")
        seen[found.sweep_id] = found
    return list(seen.values())


# -- the connection ---------------------------------------------------------------------------------------


def connect(root: str | Path, allow: tuple[str | Path, ...] = ()) -> duckdb.DuckDBPyConnection:
    """An in-memory, sandboxed DuckDB connection with the views above over the sweeps under ``root``;
    ``allow``: more folders or files the SQL may read (nothing else of the host, never the network)."""
    return _connect(find_sweeps(root), allow)


def _connect(sweeps: list[FoundSweep], allow: tuple[str | Path, ...] = ()) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    for name in SWEEP_TABLES:
        files = [p for s in sweeps for p in s.parts.get(name, [])]
        if files:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {_reader(files, _BY_POINT)}")
    points = [s.points_file for s in sweeps if s.points_file.is_file()]
    if points:
        con.execute(f"CREATE VIEW points AS SELECT * FROM {_reader(points, _BY_SWEEP)}")
    _sandbox(con, [s.folder for s in sweeps], allow)
    return con


def _sandbox(con: duckdb.DuckDBPyConnection, folders: list[Path], allow: tuple[str | Path, ...]) -> None:
    """Only the sweep folders (and what the caller allows) are readable; no network, no extensions; locked."""
    dirs, files = [], []
    for p in (*folders, *(Path(a) for a in allow)):
        full = Path(p).resolve()
        if full.is_dir():
            dirs.append(full.as_posix().rstrip("/") + "/")
        elif full.exists():
            files.append(full.as_posix())
        else:
            raise InputError.one("--allow-read", None, "", f"'{p}' does not exist")
    con.execute("SET allowed_directories = " + "[" + ", ".join(_lit(d) for d in dirs) + "]")
    con.execute("SET allowed_paths = " + "[" + ", ".join(_lit(f) for f in files) + "]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _one_select(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise InputError.one("QUERY", None, "", str(e).splitlines()[0]) from None
    kinds = [str(s.type).rsplit(".", 1)[-1] for s in statements]
    if kinds != ["SELECT"]:
        got = ", ".join(kinds) or "none"
        raise InputError.one("QUERY", None, "", f"one SELECT statement is run, nothing else (got {got}): "
                             "linkage results reads the sweeps under --root and writes nothing")


def query(sql: str, root: str | Path, allow: tuple[str | Path, ...] = ()) -> pd.DataFrame:
    """Run ``sql`` (one SELECT) over the views of :func:`connect`; bad SQL, or SQL reaching outside the
    sandbox, raises :class:`InputError` (one line)."""
    return query_sweeps(sql, find_sweeps(root), allow)


def query_sweeps(sql: str, sweeps: list[FoundSweep], allow: tuple[str | Path, ...] = ()) -> pd.DataFrame:
    import duckdb

    con = _connect(sweeps, allow)
    try:
        _one_select(con, sql)
        return con.execute(sql).df()
    except duckdb.PermissionException as e:
        msg = str(e).splitlines()[0]
        raise InputError.one("QUERY", None, "", f"{msg} — results reads only the sweeps under --root "
                             "(add a folder or file with --allow-read; never the network)") from None
    except duckdb.Error as e:
        have = [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
        msg = str(e).splitlines()[0]
        raise InputError.one(
            "QUERY", None, "", f"{msg} (views here: {', '.join(have) or 'none — no sweep under --root'})"
        ) from None
    finally:
        con.close()


def load_sweep(out: str | Path, table: str = "replications") -> pd.DataFrame:
    """One sweep's rows with the factor values of their point, sorted by point and replication.

    Only parts its checksum records vouch for are read; a damaged part is refused (:func:`open_sweep`).
    Failed points have no rows (see ``OUT/errors``). Factor columns come first, named by path; a factor
    that is also a result column (``arrangement``) keeps the result column.
    """
    import duckdb
    import pandas as pd

    if table not in _SORT:
        raise ValueError(f"table must be one of {', '.join(_SORT)}")
    found = open_sweep(Path(out))
    files = found.parts.get(table, [])
    if not files:
        return pd.DataFrame()
    con = duckdb.connect(":memory:")
    try:
        rows = _reader(files, _BY_POINT)
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rows}").fetchall()]
        factors = [f for f in (s["path"] for s in found.manifest["factor_specs"]) if f not in cols]
        pts = _lit(found.points_file.as_posix())
        fsel = "".join(f', p."{f}"' for f in factors)
        rsel = ", ".join(f'r."{c}"' for c in cols if c not in ("sweep", "point"))
        order = ", ".join(f'r."{c}"' for c in _SORT[table])
        sql = (f"SELECT r.sweep, r.point{fsel}, {rsel} FROM {rows} r "
               f"JOIN read_parquet({pts}) p ON p.point = r.point ORDER BY {order}")
        df = con.execute(sql).df()
    finally:
        con.close()
    return df.reset_index(drop=True)
