"""Shared pydantic base for every schema object in Linkage (lowest layer, imported by all others).

All schema objects are immutable, reject unknown keys and refuse NaN/inf, so a typo or a ``.nan`` in a
YAML file is an error with a field path rather than a silent default.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Ident = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
"""An entity id: letters, digits, ``_`` and ``-`` (no dots — dots separate scope names and --set paths)."""
_ID_RE = re.compile(ID_PATTERN)


def _is_number_type(annotation: Any) -> bool:
    """Whether a field's type takes numbers only: ``int``, ``float`` (inside ``Annotated``, or with ``None``)."""
    if get_origin(annotation) is Annotated:
        return _is_number_type(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return bool(args) and all(_is_number_type(a) for a in args)
    return annotation in (int, float)


class Frozen(BaseModel):
    """Immutable, strict base model (``extra="forbid"``, no NaN/inf, no true/false for a number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)
    _number_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._number_keys = tuple(f.alias or name for name, f in cls.model_fields.items()
                                 if _is_number_type(f.annotation))

    @model_validator(mode="before")
    @classmethod
    def verify_no_bool_for_number(cls, data: Any) -> Any:
        """Pydantic's lax mode reads ``true`` as 1 and ``false`` as 0 in a number field: ``staff: true`` would be
        one person and ``horizon: true`` a one-second run. A number field takes a number."""
        if isinstance(data, dict):
            for key in cls._number_keys:
                v = data.get(key)
                if isinstance(v, bool):
                    raise RefError(f"must be a number (got {str(v).lower()}) · 应为数值", key)
        return data


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
