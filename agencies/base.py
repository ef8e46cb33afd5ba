"""Shared pydantic base for every schema object in Linkage (lowest layer, imported by all others).

All schema objects are immutable, reject unknown keys and refuse NaN/inf, so a typo or a ``.nan`` in a
YAML file is an error with a field path rather than a silent default.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Ident = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
"""An entity id: letters, digits, ``_`` and ``-`` (no dots — dots separate scope names and --set paths)."""
_ID_RE = re.compile(ID_PATTERN)


class Frozen(BaseModel):
    """Immutable, strict base model (``extra="forbid"``, no NaN/inf)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)


class Bilingual(Frozen):
    """A text a person reads, in both languages (中文 / English)."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


class RefError(ValueError):
    """A cross-reference error that knows where in the document it belongs.

    ``verify_*`` validators raise it with the field path of the entity at fault, relative to the model
    that runs the check, so the loader can point at the right YAML line instead of the file's top.
    """

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.path: tuple[str | int, ...] = path
