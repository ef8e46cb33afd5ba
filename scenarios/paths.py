"""Where a scenario's files are (路径解析与约束): the bundled libraries, and the confinement of every path
written inside a scenario — ``extends``, a file ``arrangement``, a district's grid table and road network —
to the referencing file's folder and the bundled libraries (:func:`confined`), so that a shared or uploaded
file cannot make Linkage read any other file on the host. The loader (:mod:`scenarios.loader`) uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.errors import InputError
from scenarios.yamlsrc import SrcDict

SCENARIO_LIBRARY = Path(__file__).parent / "library"
AGENCY_LIBRARY = Path(__file__).resolve().parent.parent / "agencies" / "library"
ARRANGEMENT_LIBRARY = Path(__file__).resolve().parent.parent / "agencies" / "arrangements"


def bundled_scenarios() -> list[Path]:
    return sorted(p for p in SCENARIO_LIBRARY.glob("*.yaml"))


def bundled_arrangements() -> list[Path]:
    return sorted(ARRANGEMENT_LIBRARY.glob("*.yaml"))


LIBRARIES = (SCENARIO_LIBRARY, AGENCY_LIBRARY, ARRANGEMENT_LIBRARY)
"""The bundled libraries a file may reference besides its own folder."""


def real_file(p: Path, name: str, line: int | None, field: str) -> Path | None:
    """``p`` with every symlink resolved; ``None`` if nothing is there; a symlink loop is refused."""
    try:
        real = p.resolve(strict=True)
    except FileNotFoundError:
        return None
    except (OSError, RuntimeError) as e:  # ELOOP (RuntimeError before Python 3.13) or an unreadable folder
        why = "a symlink loop" if "loop" in str(e).lower() or getattr(e, "errno", None) == 40 else (
            getattr(e, "strerror", None) or str(e))
        raise InputError.one(name, line, field, f"cannot follow '{p}': {why}") from None
    return real if real.is_file() else None


def confined(ref: str, here: Path, name: str, line: int | None, field: str,
             libraries: tuple[Path, ...] = LIBRARIES) -> Path | None:
    """The file ``ref`` names from a file in ``here``'s folder: beside it (or below), else in a bundled library.

    Confinement (what a scenario path may reference): after resolving symlinks, the file must lie inside the
    referencing file's folder or inside one of ``libraries``; absolute paths, ``..`` and symlinks leading
    elsewhere are refused, so a shared or uploaded file cannot make Linkage read (and echo the keys of) any
    other file on the host. ``None`` when the name is found nowhere."""
    folder = here.parent.resolve()
    roots = (folder, *(lib.resolve() for lib in libraries))
    outside = None
    for base in roots:
        real = real_file(base / ref, name, line, field)
        if real is None:
            continue
        if any(real.is_relative_to(root) for root in roots):
            return real
        outside = outside or real
    if outside is not None or Path(ref).is_absolute() or ".." in Path(ref).parts:
        raise InputError.one(name, line, field, f"'{ref}' lies outside the file's folder and the bundled libraries "
                             "(a scenario may reference only files beside it, below it, or bundled with Linkage)")
    return None


def display(p: Path) -> Path:
    """A path relative to the working directory when it lies below it (shorter error lines)."""
    try:
        return p.relative_to(Path.cwd())
    except (ValueError, OSError):  # not below it, or the working directory is gone
        return p


def find_arrangement(ref: str, here: Path | None = None, name: str = "", line: int | None = None,
                     path: str = "arrangement") -> Path | None:
    """The arrangement file ``ref`` names. From a scenario file (``here``): confined to its folder and the
    bundled libraries (:func:`confined`); from the command line: a file as given, else a bundled name."""
    if not ref.endswith((".yaml", ".yml")):
        ref_file = f"{ref}.yaml"
        lib = real_file(ARRANGEMENT_LIBRARY / ref_file, name or ref, line, path) if "/" not in ref else None
        if lib is not None and lib.is_relative_to(ARRANGEMENT_LIBRARY.resolve()):
            return lib
        return None
    if here is not None:
        return confined(ref, here, name, line, path, (ARRANGEMENT_LIBRARY,))
    return next((c for c in (Path(ref), ARRANGEMENT_LIBRARY / ref) if real_file(c, name or ref, line, path)), None)


GRID_COLUMNS = ("id", "street", "community", "x", "y", "households", "population", "grid_workers", "name", "lon",
                "lat", "road_node", "access_s", "station_area")
"""Columns of a district's grid table (``city.explicit.grids_file``) that are grid fields."""


def anchor_side_files(doc: SrcDict) -> None:
    """A district's grid table and road network, named relative to the district file, are read beside it;
    the grid table fills ``city.explicit.grids``."""
    city = doc.get("city")
    explicit = city.get("explicit") if isinstance(city, dict) else None
    if not isinstance(explicit, SrcDict):
        return
    grids_file = _side_file(explicit, "grids_file", "city.explicit.grids_file")
    if grids_file is not None:
        explicit["grids"] = read_grid_table(grids_file)
        explicit.src["grids"] = explicit.src["grids_file"]
    rn = explicit.get("road_network")
    if isinstance(rn, SrcDict):
        _side_file(rn, "file", "city.explicit.road_network.file")


def _side_file(node: SrcDict, key: str, path: str) -> str | None:
    """The side file ``node[key]`` names, confined like ``extends`` (:func:`confined`: beside the file that
    names it, below it, or bundled) — an uploaded district cannot make Linkage read any file on the host."""
    if not isinstance(node.get(key), str):
        return None
    src, line = node.src.get(key, (".", None))
    found = confined(node[key], Path(src), str(src), line, path)
    if found is None:
        raise InputError.one(str(src), line, path, f"file '{node[key]}' not found (looked beside the file and in "
                             "the bundled libraries)")
    node[key] = str(display(found))
    return node[key]


def read_grid_table(file: str) -> list[dict[str, Any]]:
    """The grid rows of a district's Parquet grid table (empty cells left out: the field's default)."""
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(file).names)
        if "id" not in names:
            raise InputError.one(file, None, "id", "a grid table needs an 'id' column")
        table = pq.read_table(file, columns=[c for c in GRID_COLUMNS if c in names])
    except (OSError, ValueError) as e:  # not Parquet (pyarrow's ArrowInvalid is a ValueError), unreadable
        raise InputError.one(file, None, "", f"not a readable Parquet grid table ({str(e).splitlines()[0]})") from None
    return [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]

