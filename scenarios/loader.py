"""Load a scenario: read YAML → resolve ``extends`` and the arrangement → apply ``--set`` → validate.

Phases (desmod-style): *read* (safe YAML with line records) → *resolve* (``extends`` chain, bundled
arrangement by name) → *override* (``--set PATH=VALUE``) → *validate* (pydantic). Every failure is an
:class:`~scenarios.errors.InputError` whose lines read ``FILE:LINE: field.path: message``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agencies.arrangement import Arrangement
from agencies.base import ID_PATTERN, RefError
from scenarios.errors import InputError, Problem
from scenarios.schema import Scenario
from scenarios.yamlsrc import SrcDict, SrcList, deep_merge, load_file, load_text, to_plain

SCENARIO_LIBRARY = Path(__file__).parent / "library"
AGENCY_LIBRARY = Path(__file__).resolve().parent.parent / "agencies" / "library"
ARRANGEMENT_LIBRARY = Path(__file__).resolve().parent.parent / "agencies" / "arrangements"
SET_SRC = "--set"


def bundled_scenarios() -> list[Path]:
    return sorted(p for p in SCENARIO_LIBRARY.glob("*.yaml"))


def bundled_arrangements() -> list[Path]:
    return sorted(ARRANGEMENT_LIBRARY.glob("*.yaml"))


MAX_EXTENDS = 32
"""Longest ``extends`` chain (a scenario needs two or three files; a longer chain is a loop in disguise)."""
LIBRARIES = (SCENARIO_LIBRARY, AGENCY_LIBRARY, ARRANGEMENT_LIBRARY)
"""The bundled libraries a file may reference besides its own folder."""


def _real(p: Path, name: str, line: int | None, field: str) -> Path | None:
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
        real = _real(base / ref, name, line, field)
        if real is None:
            continue
        if any(real.is_relative_to(root) for root in roots):
            return real
        outside = outside or real
    if outside is not None or Path(ref).is_absolute() or ".." in Path(ref).parts:
        raise InputError.one(name, line, field, f"'{ref}' lies outside the file's folder and the bundled libraries "
                             "(a scenario may reference only files beside it, below it, or bundled with Linkage)")
    return None


def _resolve_extends(ref: str, here: Path, name: str, line: int | None) -> Path:
    found = confined(ref, here, name, line, "extends", (SCENARIO_LIBRARY, AGENCY_LIBRARY))
    if found is None:
        raise InputError.one(
            name, line, "extends", f"cannot find '{ref}' (looked beside the file and in the bundled library)"
        )
    return found


def _read_with_extends(path: Path, chain: tuple[Path, ...] = ()) -> SrcDict:
    data = load_file(path)
    name = str(path)
    here = _real(path, name, None, "") or path.resolve()
    if not isinstance(data, SrcDict):
        raise InputError.one(name, 1, "", _not_a_mapping("a scenario file", data))
    if "extends" not in data:
        return data
    ref = data["extends"]
    line = data.src["extends"][1]
    if not isinstance(ref, str):
        raise InputError.one(name, line, "extends", "must be a file name")
    if len(chain) + 1 >= MAX_EXTENDS:
        raise InputError.one(name, line, "extends", f"the extends chain is longer than {MAX_EXTENDS} files "
                             f"(started at {chain[0].name if chain else here.name}); shorten it")
    target = _resolve_extends(ref, here, name, line)
    if target in chain or target == here:
        cycle = " -> ".join(p.name for p in (*chain, here, target))
        raise InputError.one(name, line, "extends", f"cycle in extends: {cycle}")
    base = _read_with_extends(_display(target), (*chain, here))
    own = SrcDict()
    for k, v in data.items():
        if k != "extends":
            own[k] = v
            own.src[k] = data.src[k]
    return deep_merge(base, own)


def replaced_lists(path: str | Path) -> list[str]:
    """Lists an ``extends`` file gives that *replace* the extended file's list (extends merges mappings, not
    lists) — ``FILE:LINE: field: …`` warnings, so adding one channel does not silently drop the other 81.
    Nested mappings are followed (``city.grids``); an empty file or one without ``extends`` has none."""
    p = Path(path)
    try:
        data = load_file(p)
    except InputError:
        return []
    if not isinstance(data, SrcDict) or not isinstance(data.get("extends"), str):
        return []
    try:
        base = _read_with_extends(_resolve_extends(data["extends"], p.resolve(), str(p), None))
    except InputError:
        return []
    out: list[str] = []

    def walk(own: Any, old: Any, where: str) -> None:
        if not (isinstance(own, dict) and isinstance(old, dict)):
            return
        for k, v in own.items():
            if k == "extends" or k not in old:
                continue
            at = f"{where}.{k}" if where else str(k)
            if isinstance(v, list) and isinstance(old[k], list) and len(old[k]) > len(v):
                line = own.src.get(k, (str(p), None))[1] if isinstance(own, SrcDict) else None
                out.append(f"{p}:{line}: {at}: these {len(v)} item(s) replace the {len(old[k])} of "
                           f"'{data['extends']}' (extends merges mappings but replaces lists): list every item to "
                           f"keep, or change one with --set {at}.N…")
            walk(v, old[k], at)

    walk(data, base, "")
    return out


def _not_a_mapping(what: str, data: Any) -> str:
    if data is None:
        return f"the file is empty ({what} must be a YAML mapping of fields)"
    kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
    return f"{what} must be a YAML mapping of fields (got {kind})"


def _display(p: Path) -> Path:
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
        lib = _real(ARRANGEMENT_LIBRARY / ref_file, name or ref, line, path) if "/" not in ref else None
        if lib is not None and lib.is_relative_to(ARRANGEMENT_LIBRARY.resolve()):
            return lib
        return None
    if here is not None:
        return confined(ref, here, name, line, path, (ARRANGEMENT_LIBRARY,))
    return next((c for c in (Path(ref), ARRANGEMENT_LIBRARY / ref) if _real(c, name or ref, line, path)), None)


def read_arrangement(ref: str, here: Path | None, name: str, line: int | None, path: str = "arrangement") -> SrcDict:
    found = find_arrangement(ref, here, name, line, path)
    if found is None:
        known = ", ".join(p.stem for p in bundled_arrangements())
        raise InputError.one(name, line, path, f"unknown arrangement '{ref}' (bundled: {known})")
    data = load_file(_display(found.resolve()))
    if not isinstance(data, SrcDict):
        raise InputError.one(str(found), 1, "", _not_a_mapping("an arrangement file", data))
    return data


def load_arrangement(ref: str) -> Arrangement:
    """Load and validate one arrangement file or bundled name on its own."""
    data = read_arrangement(ref, None, ref, None, "")
    name = str(find_arrangement(ref, None, ref, None, ""))
    try:
        return Arrangement.model_validate(to_plain(data))
    except ValidationError as e:
        raise InputError(validation_problems(e, data, name)) from None


GRID_COLUMNS = ("id", "street", "community", "x", "y", "households", "population", "grid_workers", "name", "lon",
                "lat", "road_node", "access_s")
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
    node[key] = str(_display(found))
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


# -- --set PATH=VALUE ----------------------------------------------------------------------------------


def parse_set(expr: str) -> tuple[list[str], Any]:
    if "=" not in expr:
        raise InputError.one(SET_SRC, None, expr, "expected PATH=VALUE")
    path, raw = expr.split("=", 1)
    parts = [p for p in path.strip().split(".")]
    if not path.strip() or any(not p for p in parts):
        raise InputError.one(
            SET_SRC,
            None,
            path.strip() or expr,
            "empty segment in path (expected PATH=VALUE with PATH like agencies.police.desk.staff)",
        )
    try:
        value = load_text(raw if raw.strip() else "null", SET_SRC)
    except InputError as e:
        # The value is a one-line YAML snippet: "FILE:LINE" would mislead, so name the path instead.
        msg = "; ".join(p.message for p in e.problems)
        raise InputError.one(SET_SRC, None, path.strip(), f"value {raw!r} is not valid: {msg}") from None
    return parts, value


def _from_set(value: Any) -> Any:
    """A ``--set`` value's nested keys and items come from the command line, not from line 1 of a file."""
    if isinstance(value, SrcDict):
        value.src = {k: (SET_SRC, None) for k in value}
    elif isinstance(value, SrcList):
        value.src = [(SET_SRC, None)] * len(value)
    for v in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        _from_set(v)
    return value


def apply_set(doc: SrcDict, expr: str) -> None:
    """Set a field by dotted path; list items are addressed by index or by their ``id``."""
    parts, value = parse_set(expr)
    value = _from_set(value)
    node: Any = doc
    for i, seg in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        if isinstance(node, dict):
            if last:
                node[seg] = value
                if isinstance(node, SrcDict):
                    node.src[seg] = (SET_SRC, None)
                return
            if seg not in node:
                raise InputError.one(
                    SET_SRC, None, where, f"no such field (have: {', '.join(map(str, node)) or 'nothing'})"
                )
            node = node[seg]
        elif isinstance(node, list):
            idx = _list_index(node, seg)
            if idx is None:
                ids = [str(x.get("id")) for x in node if isinstance(x, dict) and "id" in x]
                raise InputError.one(
                    SET_SRC,
                    None,
                    where,
                    f"no item '{seg}' (give an index 0..{len(node) - 1}"
                    + (f" or an id: {', '.join(ids)})" if ids else ")"),
                )
            if last:
                node[idx] = value
                if isinstance(node, SrcList):
                    node.src[idx] = (SET_SRC, None)
                return
            node = node[idx]
        else:
            raise InputError.one(SET_SRC, None, where, "cannot descend into a plain value")


def _list_index(node: list, seg: str) -> int | None:
    if seg.lstrip("-").isdigit():
        idx = int(seg)
        return idx if 0 <= idx < len(node) else None
    return next((i for i, x in enumerate(node) if isinstance(x, dict) and x.get("id") == seg), None)


# -- validation errors → lines -------------------------------------------------------------------------


UNION_TAGS = frozenset({"fixed", "exponential", "lognormal", "triangular", "uniform", "empirical",  # dist
                        "fire", "plume", "crowd",  # hazard models
                        "function-after", "function-before"})
"""Segments pydantic adds to an error location for tagged unions; they name no key of the document."""


def _locate(doc: Any, loc: tuple, default: str) -> tuple[str, int | None, str]:
    """Walk ``loc`` through the Src tree; return (file, line, readable path) of the deepest match."""
    node, src, names = doc, (default, None), []
    for seg in loc:
        if isinstance(node, dict) and seg in node:
            src = node.src.get(seg, src) if isinstance(node, SrcDict) else src
            names.append(str(seg))
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            src = node.src[seg] if isinstance(node, SrcList) else src
            item = node[seg]
            label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else seg
            names[-1:] = [f"{names[-1]}[{label}]"] if names else [f"[{label}]"]
            node = item
        elif isinstance(seg, str) and seg in UNION_TAGS:
            continue  # union tags pydantic adds to the location
        elif seg == "value" and isinstance(node, (int, float)) and not isinstance(node, bool):
            continue  # a bare number is shorthand for {dist: fixed, value: N}: the path ends at the number
        else:
            names.append(str(seg))
            node = None
    return src[0], src[1], ".".join(names)


def validation_problems(err: ValidationError, doc: Any, default: str) -> list[Problem]:
    """One :class:`Problem` per pydantic error, with the YAML line of the field at fault where known."""
    out = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        ctx_err = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_err, RefError):
            loc = loc + ctx_err.path
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "finite_number":
            msg = f"must be a finite number (got {e.get('input')}; NaN and infinity are not allowed)"
        elif e["type"] == "string_pattern_mismatch" and (e.get("ctx") or {}).get("pattern") == ID_PATTERN:
            msg = (
                f"{e.get('input')!r} is not an id "
                "(letters, digits, '_' and '-', starting with a letter; no spaces or dots)"
            )
        elif e["type"] == "union_tag_invalid":
            msg = msg.replace("Input tag", "tag").replace("found using 'dist'", "(dist)")
        file, line, path = _locate(doc, loc, default)
        out.append(Problem(file, line, path, msg))
    seen, uniq = set(), []
    for p in out:  # one line per problem
        if (p.file, p.line, p.path, p.message) not in seen:
            seen.add((p.file, p.line, p.path, p.message))
            uniq.append(p)
    return uniq


# -- public API -------------------------------------------------------------------------------------------


def read_document(path: str | Path, arrangement: str | None = None, sets: Iterable[str] = ()) -> SrcDict:
    """The merged, overridden raw document (before validation)."""
    p = Path(path)
    doc = _read_with_extends(p)
    anchor_side_files(doc)
    name = str(p)
    if arrangement is not None:
        doc["arrangement"] = read_arrangement(arrangement, None, "--arrangement", None)
        found = find_arrangement(arrangement, None, "--arrangement", None)
        doc.src["arrangement"] = (str(_display(found.resolve())), 1)  # type: ignore[union-attr]
    elif isinstance(doc.get("arrangement"), str):
        src = doc.src.get("arrangement", (name, None))
        doc["arrangement"] = read_arrangement(doc["arrangement"], Path(src[0]), src[0], src[1])
    for expr in sets:
        apply_set(doc, expr)
    return doc


def load_scenario(path: str | Path, arrangement: str | None = None, sets: Iterable[str] = (), *,
                  allow_large: bool = False) -> Scenario:
    """Load, resolve and validate a scenario file; raise :class:`InputError` on any bad input.

    ``allow_large`` lifts the size limits of :mod:`scenarios.limits` (a big machine)."""
    doc = read_document(path, arrangement, sets)
    name = str(path)
    try:
        return Scenario.model_validate(to_plain(doc), context={"allow_large": allow_large})
    except ValidationError as e:
        raise InputError(validation_problems(e, doc, name)) from None


def scenario_hash(scenario: Scenario) -> str:
    """Stable hash of the validated scenario (its canonical JSON), for caches and manifests."""
    blob = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
