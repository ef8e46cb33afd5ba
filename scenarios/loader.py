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
from scenarios.errors import InputError
from scenarios.paths import (  # re-exported: callers import the libraries and path helpers from the loader
    AGENCY_LIBRARY,
    ARRANGEMENT_LIBRARY,
    GRID_COLUMNS,
    LIBRARIES,
    SCENARIO_LIBRARY,
    anchor_side_files,
    bundled_arrangements,
    bundled_scenarios,
    confined,
    display,
    find_arrangement,
    read_grid_table,
    real_file,
)
from scenarios.problems import UNION_TAGS, validation_problems  # re-exported (the drill, the API, sweeps)
from scenarios.schema import Scenario
from scenarios.yamlsrc import SrcDict, SrcList, deep_merge, id_list, load_file, load_text, to_plain

__all__ = ["AGENCY_LIBRARY", "ARRANGEMENT_LIBRARY", "GRID_COLUMNS", "LIBRARIES", "MAX_EXTENDS", "SCENARIO_LIBRARY",
           "SET_SRC", "UNION_TAGS", "anchor_side_files", "apply_set", "bundled_arrangements", "bundled_scenarios",
           "confined", "find_arrangement", "load_arrangement", "load_scenario", "parse_set", "read_arrangement",
           "read_document", "read_grid_table", "replaced_lists", "scenario_hash", "validation_problems"]

SET_SRC = "--set"
MAX_EXTENDS = 32
"""Longest ``extends`` chain (a scenario needs two or three files; a longer chain is a loop in disguise)."""


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
    here = real_file(path, name, None, "") or path.resolve()
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
    base = _read_with_extends(display(target), (*chain, here))
    own = SrcDict()
    for k, v in data.items():
        if k != "extends":
            own[k] = v
            own.src[k] = data.src[k]
    return deep_merge(base, own)


def replaced_lists(path: str | Path) -> list[str]:
    """Lists an ``extends`` file gives that *replace* the extended file's list (extends merges mappings, and
    lists of items with ``id`` item by item, but replaces other lists) — ``FILE:LINE: field: …`` warnings, so
    adding one channel does not silently drop the other 81. Nested mappings and id-matched items are followed
    (``city.grids``, ``units[engine].…``); an empty file or one without ``extends`` has none."""
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
            if id_list(v) and id_list(old[k]):  # merged item by item (deep_merge): an item may still replace
                olds = {i["id"]: i for i in old[k]}
                for item in v:
                    if item["id"] in olds:
                        walk(item, olds[item["id"]], f"{at}[{item['id']}]")
                continue
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


def read_arrangement(ref: str, here: Path | None, name: str, line: int | None, path: str = "arrangement") -> SrcDict:
    found = find_arrangement(ref, here, name, line, path)
    if found is None:
        known = ", ".join(p.stem for p in bundled_arrangements())
        raise InputError.one(name, line, path, f"unknown arrangement '{ref}' (bundled: {known})")
    data = load_file(display(found.resolve()))
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
        doc.src["arrangement"] = (str(display(found.resolve())), 1)  # type: ignore[union-attr]
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
