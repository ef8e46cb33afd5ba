"""Write a district or arrangement document as YAML: block style, one line per list item of scalars."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _flow(v: Any) -> Any:
    """Mappings inside lists (grids, stations, units, channels) on one line each, like the bundled files."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(v, dict):
        m = CommentedMap((k, _flow(x)) for k, x in v.items())
        return m
    if isinstance(v, list):
        s = CommentedSeq(_flow(x) for x in v)
        for x in s:
            if isinstance(x, CommentedMap):
                x.fa.set_flow_style()
        if all(not isinstance(x, (dict, list)) for x in v):
            s.fa.set_flow_style()
        return s
    return v


def dump_yaml(doc: dict[str, Any], path: Path, header: str = "") -> None:
    from ruamel.yaml import YAML

    y = YAML()
    y.width = 4096
    y.allow_unicode = True
    with path.open("w", encoding="utf-8") as f:
        for line in header.splitlines():
            f.write(f"# {line}\n")
        y.dump(_flow(doc), f)
