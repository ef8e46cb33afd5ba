"""Crews on scene and what they apply (出动力量): an intervention's per-unit arguments follow the units.

A task's ``intervention_args`` are the whole task's at its planned unit count (two engines: 1,900 L/min).
The hazard model names the arguments that grow with the units (:attr:`InterventionLog.per_unit_args`: a hose
line per engine), so a first alarm weighted by the response level, or a second alarm's engines arriving,
apply proportionally more — the level acts on the hazard, not only on the unit count.
"""

from __future__ import annotations

from typing import Any


def crew_args(hazard: Any, action: str, kw: dict[str, Any], crew: int, planned: int) -> dict[str, Any]:
    """``kw`` with every per-unit argument of ``action`` scaled by ``crew / planned``."""
    per_unit = getattr(hazard, "per_unit_args", ())
    if crew == planned or planned <= 0 or not per_unit:
        return kw
    scaled = dict(kw)
    for act, arg in per_unit:
        if act == action and arg in scaled:
            scaled[arg] = float(scaled[arg]) * crew / planned
    return scaled
