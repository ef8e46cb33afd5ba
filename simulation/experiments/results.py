"""Query sweep results with DuckDB (结果查询) — across many sweeps, without loading them into memory.

Views over every sweep folder found under a root (``ROOT/**/<table>/**/*.parquet``, hive-partitioned
by ``sweep`` and ``point``):

- ``replications`` — one row per replication (the run contract's columns) + ``sweep``, ``point``;
- ``incidents``, ``handoffs`` — likewise;
- ``points`` — one row per design point: ``sweep``, ``point``, ``run_seed``, one column per factor
  (named by its path, e.g. ``"agencies.street_S3.desk.staff"`` — quote it in SQL).

Example: ``SELECT p."units.0.count", avg(r.t_first_arrival) FROM replications r JOIN points p
USING (sweep, point) GROUP BY 1 ORDER BY 1``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.errors import InputError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

TABLES = ("replications", "incidents", "handoffs", "points")
_SORT = {"replications": ("point", "replication"), "incidents": ("point", "replication", "incident"),
         "handoffs": ("point", "replication", "incident", "task")}


def _lit(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


_BY_POINT = "{'sweep': VARCHAR, 'point': BIGINT}"


def _reader(pattern: str, types: str) -> str:
    return f"read_parquet({_lit(pattern)}, hive_partitioning = true, union_by_name = true, hive_types = {types})"


def connect(root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views above over the sweeps under ``root``."""
    import duckdb

    root = Path(root)
    if not root.is_dir():
        raise InputError.one("--root", None, "", f"'{root}' is not a folder")
    con = duckdb.connect(":memory:")
    for name in TABLES:
        if name == "points":
            sample, pattern = "**/points/sweep=*/*.parquet", f"{root.as_posix()}/**/points/*/*.parquet"
        else:
            sample, pattern = f"**/{name}/sweep=*/point=*/*.parquet", f"{root.as_posix()}/**/{name}/*/*/*.parquet"
        if next(root.glob(sample), None) is None:
            continue
        types = _BY_POINT if name != "points" else "{'sweep': VARCHAR}"
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {_reader(pattern, types)}")
    return con


def query(sql: str, root: str | Path) -> pd.DataFrame:
    """Run ``sql`` over the views of :func:`connect`; a bad query raises :class:`InputError` (one line)."""
    import duckdb

    con = connect(root)
    try:
        return con.execute(sql).df()
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

    Failed points have no rows (see ``OUT/errors``). Factor columns come first, named by path; a factor
    that is also a result column (``arrangement``) keeps the result column.
    """
    import duckdb
    import pandas as pd

    out = Path(out)
    if table not in _SORT:
        raise ValueError(f"table must be one of {', '.join(_SORT)}")
    manifest = (
        json.loads((out / "manifest.json").read_text(encoding="utf-8")) if (out / "manifest.json").exists() else None
    )
    if manifest is None:
        raise InputError.one(str(out), None, "", "no manifest.json: not a sweep folder")
    sweep_id = manifest["sweep"]
    parts = out / table / f"sweep={sweep_id}"
    if next(parts.glob("point=*/*.parquet"), None) is None:
        return pd.DataFrame()
    con = duckdb.connect(":memory:")
    try:
        rows = _reader(f"{parts.as_posix()}/*/*.parquet", _BY_POINT)
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rows}").fetchall()]
        factors = [f for f in (s["path"] for s in manifest["factor_specs"]) if f not in cols]
        pts = _lit(f"{(out / 'points' / f'sweep={sweep_id}').as_posix()}/points.parquet")
        fsel = "".join(f', p."{f}"' for f in factors)
        rsel = ", ".join(f'r."{c}"' for c in cols if c not in ("sweep", "point"))
        order = ", ".join(f'r."{c}"' for c in _SORT[table])
        sql = (f"SELECT r.sweep, r.point{fsel}, {rsel} FROM {rows} r "
               f"JOIN read_parquet({pts}) p ON p.point = r.point ORDER BY {order}")
        df = con.execute(sql).df()
    finally:
        con.close()
    return df.reset_index(drop=True)
