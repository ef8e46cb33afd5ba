"""Re-export of the shared schema base (defined in the lowest layer, :mod:`agencies.base`)."""

from agencies.base import ID_PATTERN, Bilingual, Frozen, Ident

__all__ = ["ID_PATTERN", "Bilingual", "Frozen", "Ident"]
