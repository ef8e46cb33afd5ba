"""Stair evacuation (楼梯疏散): Pauls' formula and the SFPE hydraulic model, usable on their own.

Sources
-------
- Pauls, J. "Movement of People", *SFPE Handbook of Fire Protection Engineering* (ch. 3-13 in the
  2nd/3rd eds.): total evacuation time of a tall building by stairs,
  ``T = 0.68 + 0.081 p^0.73`` minutes, ``p`` = evacuees per metre of *effective* stair width, valid for
  ``p <= 800`` (references.md, "Evacuation").
- Nelson, H.E. & Mowrer, F.W. / Gwynne, S.M.V. & Rosenbaum, E.R., "Emergency Movement", *SFPE
  Handbook* (hydraulic model): speed ``S = k (1 - 0.266 D)`` (m/s, density D in P/m² between 0.54 and
  3.8; below 0.54 people walk at ``0.85 k``), specific flow ``F = S D`` with its maximum at
  ``D = 1/(2·0.266) ≈ 1.88 P/m²``. ``k`` for stairs by riser/tread (inches) from the SFPE table
  "Constants for evacuation speed": 7.5/10 → 1.00, 7/11 → 1.08, 6.5/12 → 1.16, 6.5/13 → 1.23 m/s;
  corridor/aisle/ramp/doorway 1.40 m/s. Effective width = clear width minus a boundary layer of 0.15 m
  on each side for stair walls/treads (SFPE table "Boundary layer widths").

Extension points: other ``k`` values go into :data:`SFPE_K`; a different travel-distance rule into
:func:`stair_travel_per_storey`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

RiserTread = Literal["7.5/10", "7/11", "6.5/12", "6.5/13"]

SFPE_K: dict[str, float] = {"7.5/10": 1.00, "7/11": 1.08, "6.5/12": 1.16, "6.5/13": 1.23, "corridor": 1.40}
"""SFPE hydraulic-model speed constant k (m/s) by exit-route element (stairs: riser/tread in inches)."""

SFPE_A = 0.266
"""SFPE speed–density slope a (m²/P) for k in m/s."""
SFPE_D_OPT = 1.0 / (2.0 * SFPE_A)
"""Density of maximum specific flow, 1/(2a) ≈ 1.88 P/m²."""
SFPE_D_FREE = 0.54
"""Below this density (P/m²) people walk at free speed 0.85 k."""
SFPE_D_JAM = 1.0 / SFPE_A
"""Density where the SFPE speed reaches zero (≈ 3.76 P/m²)."""
BOUNDARY_LAYER_STAIR_M = 0.15
PAULS_P_MAX = 800.0


def pauls_time_minutes(p: float) -> float:
    """Pauls' total stair-evacuation time in **minutes** for ``p`` evacuees per metre of effective width.

    Raises ``ValueError`` for ``p < 0`` or ``p > 800`` (outside the formula's data range).
    """
    if not math.isfinite(p) or p < 0:
        raise ValueError(f"p must be a finite number >= 0, got {p!r}")
    if p > PAULS_P_MAX:
        raise ValueError(f"p = {p:.0f} evacuees per metre exceeds Pauls' range (p <= {PAULS_P_MAX:.0f})")
    return 0.68 + 0.081 * p**0.73


def pauls_evacuation_time_s(evacuees: float, effective_width_m: float) -> float:
    """Pauls' total evacuation time in seconds for ``evacuees`` using stairs of total effective width."""
    if effective_width_m <= 0:
        raise ValueError("effective stair width must be > 0")
    return 60.0 * pauls_time_minutes(evacuees / effective_width_m)


def effective_width(clear_width_m: float, boundary_layer_m: float = BOUNDARY_LAYER_STAIR_M) -> float:
    """SFPE effective width: clear width minus a boundary layer on each side (never below 0)."""
    return max(0.0, clear_width_m - 2.0 * boundary_layer_m)


def sfpe_speed(density: float, k: float = SFPE_K["7/11"]) -> float:
    """SFPE speed (m/s along the line of travel) at ``density`` (P/m²)."""
    if density < 0:
        raise ValueError("density must be >= 0")
    if density <= SFPE_D_FREE:
        return 0.85 * k
    return max(0.0, k * (1.0 - SFPE_A * density))


def sfpe_specific_flow(density: float, k: float = SFPE_K["7/11"]) -> float:
    """SFPE specific flow F = S·D (persons per second per metre of effective width)."""
    return sfpe_speed(density, k) * density


def sfpe_max_specific_flow(k: float = SFPE_K["7/11"]) -> float:
    """Maximum specific flow, at D = 1/(2a) ≈ 1.88 P/m² (SFPE table: 1.01 P/(s·m) for 7/11 stairs)."""
    return sfpe_specific_flow(SFPE_D_OPT, k)


def stair_travel_per_storey(floor_height_m: float, riser_tread: str = "7/11", landing_m: float = 2.0) -> float:
    """Distance walked per storey along the stair: the flights' slope length plus landings (assumption).

    Slope length = rise · sqrt(r² + t²)/r for riser r and tread t; ``landing_m`` (default 2 m: two
    half-landings of ~1 m walked per storey) is an assumption, not an SFPE value.
    """
    r, t = (float(v) for v in riser_tread.split("/"))
    return floor_height_m * math.hypot(r, t) / r + landing_m


@dataclass(frozen=True)
class StairEvacuation:
    """Result of a building stair evacuation estimate (seconds unless stated)."""

    evacuees: float
    effective_width_m: float
    flow_p_s: float
    """Stair capacity: SFPE max specific flow × total effective width (persons/s)."""
    flow_time_s: float
    travel_time_s: float
    premovement_s: float
    sfpe_total_s: float
    pauls_total_s: float | None
    """``None`` when p exceeds Pauls' range (800 P/m)."""
    pauls_p: float


def building_evacuation(
    storeys: int,
    per_floor: float,
    stair_width_m: float,
    stairs: int = 1,
    riser_tread: str = "7/11",
    floor_height_m: float = 3.0,
    premovement_s: float = 0.0,
) -> StairEvacuation:
    """Flow-limited stair evacuation of an ``storeys``-storey building (SFPE hydraulic + Pauls).

    Occupants of storeys 2..N use the stairs (storey 1 leaves directly), so evacuees = (N−1)·per_floor.
    SFPE: total = pre-movement + flow time through the stairs at maximum specific flow
    (evacuees / (F_max · W_e)) + travel time of one person from the top storey at the optimum-density
    speed — the SFPE hydraulic "flow time plus travel time" estimate. Pauls: p = evacuees / W_e.
    """
    if storeys < 1 or per_floor < 0 or stair_width_m <= 0 or stairs < 1 or floor_height_m <= 0:
        raise ValueError("storeys >= 1, per_floor >= 0, stair_width_m > 0, stairs >= 1, floor_height_m > 0")
    k = SFPE_K[riser_tread]
    we = effective_width(stair_width_m) * stairs
    if we <= 0:
        raise ValueError(f"stair width {stair_width_m} m leaves no effective width after boundary layers")
    evacuees = max(0, storeys - 1) * per_floor
    flow = sfpe_max_specific_flow(k) * we
    flow_time = evacuees / flow
    travel = (storeys - 1) * stair_travel_per_storey(floor_height_m, riser_tread) / sfpe_speed(SFPE_D_OPT, k)
    p = evacuees / we
    pauls = 60.0 * pauls_time_minutes(p) if p <= PAULS_P_MAX else None
    return StairEvacuation(
        evacuees=float(evacuees),
        effective_width_m=we,
        flow_p_s=flow,
        flow_time_s=flow_time,
        travel_time_s=travel,
        premovement_s=premovement_s,
        sfpe_total_s=premovement_s + flow_time + travel,
        pauls_total_s=None if pauls is None else premovement_s + pauls,
        pauls_p=p,
    )
