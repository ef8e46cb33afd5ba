"""Validation errors → lines (校验错误定位): each pydantic error as ``FILE:LINE: field.path: message``, with the
YAML line of the field at fault found through the loader's line records (:mod:`scenarios.yamlsrc`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from agencies.base import ID_PATTERN, RefError
from scenarios.errors import Problem
from scenarios.yamlsrc import SrcDict, SrcList

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

