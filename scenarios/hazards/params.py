"""Parameter models of the hazard physics (pydantic v2, immutable, SI units, time in seconds).

Bad physics inputs are schema errors naming the field: a negative leak rate, an unknown chemical or
stability class, a density above Weidmann's physical maximum (5.4 P/m²) …

``HazardParams`` is the discriminated union (``model: fire | plume | crowd | crowd_network``) that scenario files use.
Defaults marked *assumption* are screening values a planner should set for the case at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from scenarios.base import Frozen
from scenarios.hazards.evacuation import RiserTread

RHO_MAX = 5.4
"""Weidmann (1993) jam density ρmax (P/m²): the physical maximum any crowd density may take."""


@dataclass(frozen=True)
class Chemical:
    """A toxic gas: molar mass and 60-min AEGL levels (ppm) with their source."""

    name: str
    mw: float
    aegl1: float
    aegl2: float
    aegl3: float
    ten_berge_n: float
    """Toxic-load exponent n in C^n·t = const, used to compare non-60-min exposures with AEGLs."""
    uncertain: bool
    source: str
    boiling_k: float = 298.15
    """Normal boiling point (K): a liquefied gas released under pressure flashes to vapour at this temperature."""


CHEMICALS: dict[str, Chemical] = {
    "chlorine": Chemical(
        "chlorine", 70.906, 0.5, 2.0, 20.0, 2.0, False,
        "NRC AEGL vol. 4 (60 min: 0.5/2.0/20 ppm); n = 2 from the 10/60-min AEGL-3 pair 50/20 ppm",
        239.11,  # −34.04 °C (CRC Handbook)
    ),
    "ammonia": Chemical(
        "ammonia", 17.031, 30.0, 160.0, 1100.0, 2.0, True,
        "AEGL 60 min 30/160/1100 ppm — UNCERTAIN (references.md: no primary text confirmed); n = 2 assumed",
        239.82,  # −33.33 °C (CRC Handbook)
    ),
}
"""Chemicals known to the plume model (references.md, "Chemical dispersion")."""

STABILITY_CLASSES = ("A", "B", "C", "D", "E", "F")


def _known_chemical(v: Any) -> Any:
    if isinstance(v, str) and v.strip().lower() in CHEMICALS:
        return v.strip().lower()
    raise PydanticCustomError(
        "unknown_chemical", f"unknown chemical {v!r} (known: {', '.join(sorted(CHEMICALS))})"
    )


def _known_stability(v: Any) -> Any:
    if isinstance(v, str) and v.strip().upper() in STABILITY_CLASSES:
        return v.strip().upper()
    raise PydanticCustomError(
        "unknown_stability", f"unknown stability class {v!r} (known: {', '.join(STABILITY_CLASSES)})"
    )


ChemicalName = Annotated[Literal["ammonia", "chlorine"], BeforeValidator(_known_chemical)]
StabilityClass = Annotated[Literal["A", "B", "C", "D", "E", "F"], BeforeValidator(_known_stability)]
Density = Annotated[float, Field(ge=0, le=RHO_MAX)]
"""A crowd density in P/m², never above Weidmann's ρmax = 5.4."""
Seconds = Annotated[float, Field(ge=0)]


class FireParams(Frozen):
    """High-rise fire (高层建筑火灾): t² growth, floors, detection, suppression, occupants."""

    model: Literal["fire"] = "fire"
    growth: Literal["slow", "medium", "fast", "ultra_fast"] = "fast"
    """NFPA 204 growth class (α = 1055/t_g², t_g = 600/300/150/75 s); furniture is usually fast."""
    alpha_kw_s2: Annotated[float, Field(gt=0, le=10)] | None = None
    """Overrides ``growth`` when given (kW/s²)."""
    hrr_max_kw: Annotated[float, Field(gt=0, le=1e6)] | None = 6000.0
    """Cap of the floor-of-origin HRR (fuel/ventilation limit). Default 6 MW: GB 51251-2017 unsprinklered
    design fire — uncertain, a parameter. ``None`` = unbounded t²."""
    flashover_kw: Annotated[float, Field(gt=0)] = 1900.0
    """HRR taken as flashover / window flaming; vertical spread starts here. Default ≈ Babrauskas'
    750·A_o·√H_o for one 0.9 × 2.0 m door (assumption)."""
    floor_hrr_kw: Annotated[float, Field(gt=0, le=1e6)] = 6000.0
    """HRR added by each further floor involved through façade spread (assumption)."""
    storeys: Annotated[int, Field(ge=1, le=200)] = 30
    floor_of_origin: Annotated[int, Field(ge=1)] = 10
    floor_height_m: Annotated[float, Field(gt=0, le=10)] = 3.0
    occupants_per_floor: Annotated[int, Field(ge=0, le=10_000)] = 60
    vertical_spread_floors_per_min: Annotated[float, Field(ge=0, le=10)] = 0.0
    """Upward spread via combustible external insulation (外墙保温); 0 without it. ~1 floor/min was seen
    at Grenfell Tower 2017 (uncertain)."""
    ceiling_height_m: Annotated[float, Field(gt=0, le=30)] = 2.6
    radial_distance_m: Annotated[float, Field(ge=0, le=50)] = 2.0
    """Horizontal distance from the plume axis to detectors and sprinklers (Alpert's r)."""
    ambient_c: Annotated[float, Field(ge=-30, le=50)] = 20.0
    smoke_detector_delta_c: Annotated[float, Field(gt=0, le=100)] = 13.0
    """Smoke detector modelled as a ceiling-jet temperature rise (13 °C, a common approximation —
    assumption); no detector lag."""
    smart_sensor_kw: Annotated[float, Field(gt=0)] = 50.0
    """Smart fire sensing (智慧消防) alarms when HRR reaches this (assumption)."""
    sprinklers: bool = False
    sprinkler_rti: Annotated[float, Field(gt=0, le=500)] = 50.0
    """Link RTI (m·s)^½: ≤ 50 quick response, ≥ 80 standard (references.md)."""
    sprinkler_activation_c: Annotated[float, Field(gt=0, le=300)] = 68.0
    water_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.3
    """Fraction of the applied water that absorbs its full 2.6 MJ/kg (assumption, see fire.py)."""
    knockdown_s: Annotated[float, Field(gt=0)] = 300.0
    """Time to control at exactly the required flow; shorter in proportion to the flow margin."""
    water_deficient_above_floor: Annotated[int, Field(ge=1)] | None = None
    """Floors above this get only ``upper_floor_water_fraction`` of nominal flow (供水不足)."""
    upper_floor_water_fraction: Annotated[float, Field(ge=0, le=1)] = 1.0
    stairs: Annotated[int, Field(ge=1, le=20)] = 2
    stair_width_m: Annotated[float, Field(gt=0.3, le=10)] = 1.2
    riser_tread: RiserTread = "7/11"
    premovement_s: Seconds = 120.0
    untenable_after_s: Seconds = 120.0
    """A floor becomes untenable this long after it is fire-involved (origin: after flashover)."""
    smoke_floors_above: Annotated[int, Field(ge=0, le=200)] = 2
    """Floors above an involved floor that are smoke-logged (untenable) with it."""
    casualty_exposure_s: Annotated[float, Field(gt=0)] = 900.0
    """Exposure to untenable conditions that makes a casualty; shorter exposure counts pro rata."""
    smoke_clear_s: Seconds = 300.0
    """Exposure ends this long after control (crews search and ventilate)."""
    rescue_s_per_floor: Annotated[float, Field(gt=0)] = 180.0

    @field_validator("floor_of_origin")
    @classmethod
    def _origin_in_building(cls, v: int, info: ValidationInfo) -> int:
        storeys = info.data.get("storeys")
        if storeys is not None and v > storeys:
            raise ValueError(f"floor of origin {v} is above the top storey {storeys}")
        return v


class PlumeParams(Frozen):
    """Continuous toxic release (危化品泄漏): Gaussian plume, or a dense-gas plume (重气扩散) when the released
    vapour is heavier than air (``gas_model: auto``; Britter–McQuaid, see :mod:`scenarios.hazards.dense_gas`).
    """

    model: Literal["plume"] = "plume"
    chemical: ChemicalName = "chlorine"
    gas_model: Literal["auto", "gaussian", "dense_gas"] = "auto"
    """``auto``: the dense-gas model when the released vapour is denser than the ambient air (chlorine), the
    Gaussian plume otherwise (ammonia vapour is lighter than air); ``gaussian`` / ``dense_gas`` force one."""
    release_temperature_k: Annotated[float, Field(gt=50, le=600)] | None = None
    """Temperature of the released vapour; ``None``: the boiling point (a liquefied gas flashing from a line)."""
    ambient_temperature_k: Annotated[float, Field(gt=200, le=340)] = 293.15
    release_rate_kg_s: Annotated[float, Field(gt=0, le=1e4)] = 1.0
    inventory_kg: Annotated[float, Field(gt=0)] | None = None
    """Release stops by itself after inventory/rate seconds (``None`` = until plugged)."""
    wind_speed_m_s: Annotated[float, Field(ge=0.5, le=30)] = 3.0
    wind_from_deg: Annotated[float, Field(ge=0, le=360)] = 270.0
    """Meteorological direction the wind blows FROM, clockwise from north (270 = westerly → plume to +x)."""
    stability: StabilityClass = "D"
    dispersion: Literal["briggs_rural", "briggs_urban", "pasquill_gifford"] = "briggs_rural"
    source_height_m: Annotated[float, Field(ge=0, le=500)] = 2.0
    receptor_height_m: Annotated[float, Field(ge=0, le=100)] = 1.5
    min_distance_m: Annotated[float, Field(gt=0, le=1000)] = 20.0
    """σ fits start near 100 m; closer receptors are evaluated at this distance (no singularity)."""
    air_changes_per_hour: Annotated[float, Field(gt=0, le=50)] = 0.5
    """Air exchange of a closed building (windows shut, ventilation off), the λ of the indoor box model
    dC_in/dt = λ(C_out − C_in) (Chan et al. 2007, *Atmos. Environ.* 41:4962). 0.5 h⁻¹ is a typical closed
    dwelling (assumption; tight buildings 0.1–0.3, leaky ones ≥ 1)."""
    warning_reach: Annotated[float, Field(ge=0, le=1)] = 0.6
    """Share of residents whom a public warning (cell broadcast, emergency broadcast 应急广播) reaches and who
    act on it; the rest act only when told door to door (assumption — a number of convenience)."""
    warning_response_s: Seconds = 300.0
    """From the warning to being indoors with windows shut (or to setting off, when told to leave) (assumption)."""
    households_per_hour_per_worker: Annotated[float, Field(gt=0, le=1000)] = 20.0
    """Door-to-door notification rate of one grid worker (assumption: ~3 min per household)."""
    persons_per_household: Annotated[float, Field(gt=0, le=20)] = 2.62
    """China 7th census (2020) average household size."""
    evacuation_departure_s: Seconds = 300.0
    """Time from being notified to leaving the area (assumption)."""
    casualty_fraction_aegl3: Annotated[float, Field(ge=0, le=1)] = 1.0
    """Share of people above AEGL-3 counted as casualties (伤亡, needing care): upper-bound screening."""
    sensor_distance_m: Annotated[float, Field(gt=0)] = 50.0
    """Fence-line gas detector distance downwind of the source."""


class InflowStep(Frozen):
    """From ``t`` (s) on, pedestrians arrive at ``rate_p_s`` persons/s (until the next step)."""

    t: Seconds
    rate_p_s: Annotated[float, Field(ge=0, le=1000)]


class CrowdParams(Frozen):
    """Crowd in a bottleneck zone (拥挤踩踏): inflow vs. outflow through exits, Weidmann fundamental diagram."""

    model: Literal["crowd"] = "crowd"
    area_m2: Annotated[float, Field(gt=0, le=1e6)] = 500.0
    initial_density: Density = 0.0
    inflow: tuple[InflowStep, ...] = ()
    metro_headway_s: Annotated[float, Field(gt=0)] | None = None
    metro_passengers: Annotated[int, Field(ge=0, le=5000)] = 0
    """Passengers each train discharges towards the zone."""
    metro_first_s: Seconds = 0.0
    metro_last_s: Seconds | None = None
    metro_discharge_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    """A train's passengers arrive evenly over this window (station exits' own limit)."""
    exit_width_m: Annotated[float, Field(gt=0, le=1000)] = 6.0
    exit_usage: Annotated[float, Field(gt=0, le=1)] = 0.7
    """Fraction of exit width effectively used without marshals (counter-flows, uneven use; assumption)."""
    marshal_usage_gain: Annotated[float, Field(ge=0, le=1)] = 0.02
    """Usage gained per marshal (one-way flow, directing to idle exits), up to 1 (assumption)."""
    stalled_exit_fraction: Annotated[float, Field(ge=0, le=1)] = 0.3
    """Exit flow of a stalled (congested) crowd never falls below this share of J_max (assumption)."""
    entry_width_m: Annotated[float, Field(gt=0, le=1000)] = 10.0
    critical_density: Annotated[float, Field(gt=0, le=RHO_MAX)] = 4.0
    """Critical density for a moving crowd (G. K. Still: ~4 P/m²)."""
    crush_onset_s: Seconds = 120.0
    """Excess density counts towards crush casualties only after this long continuously above critical."""
    casualty_rate: Annotated[float, Field(ge=0, le=10)] = 0.5
    """Casualties per excess person-minute over critical, before saturation (screening, see crowd.py)."""
    cctv_alert_density: Annotated[float, Field(gt=0, le=RHO_MAX)] = 2.15
    """CCTV / smart-sensor density alert (default: Fruin LOS E/F boundary)."""
    detection_horizon_s: Annotated[float, Field(gt=0, le=7 * 86400)] = 14400.0
    """How far ahead ``detection_time`` searches for the density alert."""

    @field_validator("inflow")
    @classmethod
    def _sorted(cls, v: tuple[InflowStep, ...]) -> tuple[InflowStep, ...]:
        ts = [s.t for s in v]
        if ts != sorted(ts):
            raise ValueError("inflow steps must be in increasing time order")
        return v


from scenarios.hazards.network_params import CrowdNetworkParams  # noqa: E402  (it uses the types above)

HazardParams = Annotated[FireParams | PlumeParams | CrowdParams | CrowdNetworkParams, Field(discriminator="model")]
"""Any hazard's parameters, told apart by ``model``."""
