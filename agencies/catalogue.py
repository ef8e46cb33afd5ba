"""The role catalogue (角色目录): which kinds of actor exist and what each can do.

Loaded once from ``agencies/library/roles.yaml``; scenarios refer to roles by id, and the schema's
``verify_*`` checks use :func:`role_catalogue` to reject unknown roles and tasks nobody can do.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from ruamel.yaml import YAML

from agencies.base import Frozen

LIBRARY = Path(__file__).parent / "library"


class Role(Frozen):
    id: str
    zh: str
    en: str
    kind: Literal["agency", "centre"]
    capabilities: frozenset[str]
    powers: frozenset[Literal["enforcement"]] = frozenset()
    """Legal powers the role holds (执法权 …); a task that needs one can only be done with a holder present."""
    dispatch_centre: bool = False
    """An emergency call centre (110/119/120) that dispatches for its parent service: a call it takes,
    or a case relayed through it, alerts that service (接警即派)."""

    def name(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


@cache
def role_catalogue() -> dict[str, Role]:
    """All known roles by id (read once; the file ships with the package)."""
    data = YAML(typ="safe").load((LIBRARY / "roles.yaml").read_text(encoding="utf-8"))
    return {rid: Role(id=rid, **spec) for rid, spec in data["roles"].items()}
