"""Safe YAML reading that remembers where every value came from (file and line).

Values are read with ruamel.yaml's round-trip parser (for line numbers), then copied into
:class:`SrcDict` / :class:`SrcList` — plain dicts and lists that also record, per key or item, the
``(file, line)`` it was written at. Merging (``extends``) and ``--set`` keep those records, so a
validation error deep in a merged document still points at the line a person wrote.

Safety: files over :data:`MAX_BYTES` are refused, aliases (the billion-laughs vector) and explicit
tags are refused before anything is constructed, and nothing is ever executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

from scenarios.errors import InputError

MAX_BYTES = 2_000_000
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted (the composer recurses; a scenario needs ~8)."""
Src = tuple[str, int | None]


class SrcDict(dict):
    """A dict that records ``(file, line)`` per key in ``self.src``."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.src: dict[Any, Src] = {}


class SrcList(list):
    """A list that records ``(file, line)`` per item in ``self.src``."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.src: list[Src] = []


# Explicit tags a person may write: the JSON-like core schema only. Anything else (``!!python/…``,
# ``!!binary``, ``!!set``, ``!!timestamp``, local ``!tags``) is refused, never constructed.
_CORE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq"))


def _check_events(yaml: YAML, text: str, name: str) -> None:
    depth = 0
    for ev in yaml.parse(text):
        line = ev.start_mark.line + 1 if ev.start_mark else None
        if isinstance(ev, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError.one(name, line, "", f"YAML nesting is deeper than {MAX_DEPTH} levels")
        elif isinstance(ev, CollectionEndEvent):
            depth -= 1
        if isinstance(ev, AliasEvent):
            raise InputError.one(name, line, "", f"YAML aliases (*{ev.anchor}) are not allowed in Linkage files")
        if isinstance(ev, (ScalarEvent, CollectionStartEvent)) and ev.tag is not None and str(ev.tag) not in _CORE_TAGS:
            tag = str(ev.tag).replace("tag:yaml.org,2002:", "!!")
            raise InputError.one(name, line, "", f"YAML tag {tag} is not allowed in Linkage files")


def _wrap(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        out = SrcDict()
        lc = getattr(node, "lc", None)
        for k, v in node.items():
            if not isinstance(k, (str, int, float, bool)) or k is None:
                raise InputError.one(name, None, "", f"mapping keys must be plain scalars (got {k!r})")
            out[str(k) if not isinstance(k, str) else k] = _wrap(v, name)
            try:
                line = lc.key(k)[0] + 1 if lc is not None else None
            except (KeyError, TypeError):
                line = None
            out.src[str(k) if not isinstance(k, str) else k] = (name, line)
        return out
    if isinstance(node, list):
        out_l = SrcList()
        lc = getattr(node, "lc", None)
        for i, v in enumerate(node):
            out_l.append(_wrap(v, name))
            try:
                line = lc.item(i)[0] + 1 if lc is not None else None
            except (KeyError, TypeError, IndexError):
                line = None
            out_l.src.append((name, line))
        return out_l
    if hasattr(node, "value") and type(node).__name__ == "TaggedScalar":  # defensive: tags were refused
        return str(node.value)
    # ruamel's ScalarFloat/ScalarInt/… subclasses: turn into plain Python values.
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def load_text(text: str, name: str) -> Any:
    """Parse YAML text into Src containers; errors name the file and line."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise InputError.one(name, None, "", f"file is larger than {MAX_BYTES // 1_000_000} MB")
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        _check_events(yaml, text, name)
        data = yaml.load(text)
    except InputError:
        raise
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = " ".join(str(x) for x in (e.context, e.problem) if x) or "YAML syntax error"
        if "'\\t'" in msg:  # ruamel's wording ("found character '\t' that cannot start any token") hides the cause
            msg = "a tab character is used for indentation; indent with spaces"
        raise InputError.one(name, line, "", f"YAML: {msg}".replace("\n", " ")) from None
    except RecursionError:
        raise InputError.one(name, None, "", "YAML: nesting is too deep") from None
    except (YAMLError, ValueError) as e:
        raise InputError.one(
            name, None, "", f"YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from None
    return _wrap(data, name)


def load_file(path: Path) -> Any:
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InputError.one(name, None, "", f"cannot read file: {e.strerror or e}") from None
    if not path.is_file():
        raise InputError.one(name, None, "", "not a file" + (" (a folder)" if path.is_dir() else ""))
    if size > MAX_BYTES:
        raise InputError.one(name, None, "", f"file is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError.one(name, None, "", f"cannot read file: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        # Point at the line of the first bad byte: a Latin-1/GBK file usually has one accented word.
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError.one(
            name, line, "", f"not UTF-8 text: byte 0x{raw[e.start]:02x} at column {col} (save the file as UTF-8)"
        ) from None
    return load_text(text, name)


def to_plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    return node


def deep_merge(base: Any, over: Any) -> Any:
    """Override ``base`` with ``over``: mappings merge key by key (unless ``over`` is of another kind, see
    :func:`_retagged`); lists of mappings with ``id`` merge item by item (matched by id, new ids appended);
    anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict) and not _retagged(base, over):
        out = SrcDict()
        for k, v in base.items():
            out[k] = v
            out.src[k] = base.src.get(k, ("?", None)) if isinstance(base, SrcDict) else ("?", None)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else v
            out.src[k] = over.src.get(k, ("?", None)) if isinstance(over, SrcDict) else ("?", None)
        return out
    if id_list(base) and id_list(over):
        out_l = SrcList()
        pos = {}
        for i, item in enumerate(base):
            pos[item["id"]] = len(out_l)
            out_l.append(item)
            out_l.src.append(base.src[i] if isinstance(base, SrcList) else ("?", None))
        for i, item in enumerate(over):
            src = over.src[i] if isinstance(over, SrcList) else ("?", None)
            if item["id"] in pos:
                j = pos[item["id"]]
                out_l[j] = deep_merge(out_l[j], item)
                out_l.src[j] = src
            else:
                out_l.append(item)
                out_l.src.append(src)
        return out_l
    return over


TAGS = ("dist", "model")
"""Keys that say which kind of mapping it is (a distribution, a hazard model): another kind replaces it whole."""


def _retagged(base: dict, over: dict) -> bool:
    """An override of another kind (``dist: empirical`` over ``dist: lognormal``) replaces, never merges: the old
    kind's fields would be unknown to the new one."""
    return any(k in over and k in base and over[k] != base[k] for k in TAGS)


def id_list(x: Any) -> bool:
    return isinstance(x, list) and bool(x) and all(isinstance(i, dict) and "id" in i for i in x)
