"""``linkage hazard …`` — quick hazard-physics calculators (fire, plume, crowd, evacuation).

Each command validates its inputs through the pydantic parameter models of
:mod:`scenarios.hazards.params`; bad input prints one line per problem on stderr
(``linkage hazard plume: --chemical: unknown chemical 'xenon' (known: ammonia, chlorine)``) and exits 1,
never a traceback. Output is a rich table, or JSON with ``--json``. Times in seconds.

Mount it in the main CLI with ``app.add_typer(cli_hazard.app, name="hazard")``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import Field, ValidationError
from rich.console import Console
from rich.table import Table

from scenarios.base import Frozen
from scenarios.hazards import DenseGasModel, build_hazard
from scenarios.hazards.crowd import fruin_los, max_flow, weidmann_flow, weidmann_speed
from scenarios.hazards.evacuation import RiserTread, building_evacuation
from scenarios.hazards.fire import GROWTH_TG, Q_REF_KW, FireModel, required_flow_lpm, time_to_hrr
from scenarios.hazards.params import CHEMICALS, Density, FireParams, PlumeParams
from scenarios.hazards.plume import ppm_to_mg_m3

app = typer.Typer(
    help="Hazard physics calculators: t² fire, toxic plume (Gaussian or dense gas), Weidmann crowd flow, "
    "stair evacuation.",
    no_args_is_help=True,
    add_completion=False,
)

_OPTION = {
    "alpha_kw_s2": "--alpha", "hrr_max_kw": "--hrr-max", "ceiling_height_m": "--ceiling-height",
    "radial_distance_m": "--radius", "sprinkler_rti": "--rti", "release_rate_kg_s": "--rate",
    "wind_speed_m_s": "--wind", "source_height_m": "--height", "receptor_height_m": "--z",
    "wind_from_deg": "--wind-from", "per_floor": "--per-floor", "stair_width_m": "--stair-width",
    "floor_height_m": "--floor-height", "premovement_s": "--premovement", "riser_tread": "--riser-tread",
    "width_m": "--width",
}
M = TypeVar("M", bound=Frozen)


class _FireQuery(Frozen):
    t: Annotated[float, Field(ge=0, le=86400)]


class _PointQuery(Frozen):
    x: float
    y: float


class _CrowdQuery(Frozen):
    density: Density
    width_m: Annotated[float, Field(gt=0, le=1000)] | None = None


class _EvacQuery(Frozen):
    storeys: Annotated[int, Field(ge=1, le=200)]
    per_floor: Annotated[float, Field(ge=0, le=10_000)]
    stair_width_m: Annotated[float, Field(gt=0.3, le=10)]
    stairs: Annotated[int, Field(ge=1, le=20)] = 1
    riser_tread: RiserTread = "7/11"
    floor_height_m: Annotated[float, Field(gt=0, le=10)] = 3.0
    premovement_s: Annotated[float, Field(ge=0)] = 0.0


def _build(command: str, model: Callable[..., M], **values: Any) -> M:
    """Validate through a pydantic model; on error print ``linkage hazard CMD: --option: message`` lines, exit 1."""
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as e:
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            option = _OPTION.get(field, "--" + field.replace("_", "-"))
            msg = err["msg"].removeprefix("Value error, ")
            typer.echo(f"linkage hazard {command}: {option}: {msg}", err=True)
        raise typer.Exit(1) from None


def _emit(title: str, rows: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for k, v in rows.items():
        table.add_row(k, "—" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)))
    Console().print(table)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command()
def fire(
    growth: Annotated[str, typer.Option(help="NFPA 204 class: slow, medium, fast, ultra_fast.")] = "fast",
    t: Annotated[float, typer.Option("--t", help="Time since ignition (s).")] = 300.0,
    alpha: Annotated[float | None, typer.Option(help="α (kW/s²), overrides --growth.")] = None,
    hrr_max: Annotated[float | None, typer.Option(help="HRR cap (kW); default uncapped.")] = None,
    ceiling_height: Annotated[float, typer.Option(help="Ceiling height above the fire (m).")] = 2.6,
    radius: Annotated[float, typer.Option(help="Detector/sprinkler distance from the plume axis (m).")] = 2.0,
    sprinklers: Annotated[bool, typer.Option(help="Compute sprinkler activation (Alpert + RTI).")] = False,
    rti: Annotated[float, typer.Option(help="Sprinkler RTI (m·s)^½.")] = 50.0,
    as_json: JsonOpt = False,
) -> None:
    """t² fire: HRR at t, time to 1,055 kW, detector times (Alpert ceiling jet), water needed."""
    q = _build("fire", _FireQuery, t=t)
    p = _build("fire", FireParams, growth=growth.replace("-", "_"), alpha_kw_s2=alpha, hrr_max_kw=hrr_max,
               ceiling_height_m=ceiling_height, radial_distance_m=radius, sprinklers=sprinklers, sprinkler_rti=rti)
    if hrr_max is None:
        p = p.model_copy(update={"hrr_max_kw": None})
    m = FireModel(p)
    hrr = m.hrr(q.t)
    rows = {
        "growth": p.growth if alpha is None else "custom",
        "alpha_kw_s2": m.alpha,
        "t_s": q.t,
        "hrr_kw": hrr,
        "t_to_1055kw_s": time_to_hrr(Q_REF_KW, m.alpha, p.hrr_max_kw),
        "t_smoke_detector_s": m.detection_time("smoke_detector"),
        "t_smart_sensor_s": m.detection_time("smart_sensor"),
        "t_sprinkler_s": m.detection_time("sprinkler") if sprinklers else None,
        "t_flashover_s": m.detection_time("citizen_call"),
        "required_flow_lpm": required_flow_lpm(hrr, p.water_efficiency),
    }
    if alpha is None:
        rows["t_g_s"] = GROWTH_TG[p.growth]
    _emit("t² fire (NFPA 204, Alpert 1972)", rows, as_json)


@app.command()
def plume(
    chemical: Annotated[str, typer.Option(help="chlorine or ammonia.")] = "chlorine",
    rate: Annotated[float, typer.Option(help="Release rate (kg/s).")] = 1.0,
    wind: Annotated[float, typer.Option(help="Wind speed (m/s).")] = 3.0,
    stability: Annotated[str, typer.Option(help="Pasquill class A–F.")] = "D",
    urban: Annotated[bool, typer.Option(help="Briggs urban σ (default Briggs rural).")] = False,
    dispersion: Annotated[str | None, typer.Option(help="briggs_rural, briggs_urban or pasquill_gifford.")] = None,
    height: Annotated[float, typer.Option(help="Source height (m).")] = 2.0,
    x: Annotated[float, typer.Option("--x", help="Receptor distance downwind (m).")] = 500.0,
    y: Annotated[float, typer.Option("--y", help="Receptor distance crosswind (m).")] = 0.0,
    z: Annotated[float, typer.Option("--z", help="Receptor height (m).")] = 1.5,
    gas_model: Annotated[str, typer.Option(help="auto (dense gas when heavier than air), gaussian or dense_gas.")]
    = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Toxic plume as the engine models it (dense gas for a vapour heavier than air, else Gaussian):
    concentration at (x downwind, y crosswind, z) and centreline AEGL distances."""
    pt = _build("plume", _PointQuery, x=x, y=y)
    p = _build("plume", PlumeParams, chemical=chemical, release_rate_kg_s=rate, wind_speed_m_s=wind,
               stability=stability, dispersion=dispersion or ("briggs_urban" if urban else "briggs_rural"),
               source_height_m=height, receptor_height_m=z, gas_model=gas_model)
    chem = CHEMICALS[p.chemical]
    model = build_hazard(p)
    dense = isinstance(model, DenseGasModel)
    ppm = float(model.concentration_ppm_plume(pt.x, pt.y, p.receptor_height_m))
    rows: dict[str, Any] = {
        "chemical": p.chemical + (" (AEGL uncertain)" if chem.uncertain else ""),
        "model": "dense_gas (Britter–McQuaid)" if dense else "gaussian",
        "dispersion": p.dispersion,
        "stability": p.stability,
        "concentration_mg_m3": float(ppm_to_mg_m3(ppm, chem.mw)),
        "concentration_ppm": ppm,
        "arrival_s": pt.x / p.wind_speed_m_s if pt.x > 0 else None,
    }
    for k, level in enumerate((chem.aegl1, chem.aegl2, chem.aegl3), start=1):
        rows[f"aegl{k}_ppm"] = level
        rows[f"aegl{k}_distance_m"] = model.centreline_distance(level)
    if dense:
        rows["dense_criterion"] = model.bm.criterion
        rows["passive_from_m"] = model.handover_m
    rows["gas_detector_s"] = model.detection_time("sensor")
    _emit("Dense-gas plume (Britter–McQuaid workbook)" if dense else "Gaussian plume", rows, as_json)


@app.command()
def crowd(
    density: Annotated[float, typer.Option(help="Crowd density (P/m²), at most 5.4.")] = 2.0,
    width: Annotated[float | None, typer.Option(help="Exit width (m) for a total flow.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Weidmann speed and specific flow at a density, and the Fruin level of service."""
    q = _build("crowd", _CrowdQuery, density=density, width_m=width)
    j = float(weidmann_flow(q.density))
    rho_c, j_max = max_flow()
    rows: dict[str, Any] = {
        "density_p_m2": q.density,
        "speed_m_s": float(weidmann_speed(q.density)),
        "specific_flow_p_m_s": j,
        "fruin_los": fruin_los(q.density),
        "j_max_p_m_s": j_max,
        "density_at_j_max": rho_c,
        "congested": q.density > rho_c,
    }
    if q.width_m is not None:
        rows["flow_p_s"] = j * q.width_m
    _emit("Weidmann (1993) / Fruin (1971)", rows, as_json)


@app.command()
def evacuation(
    storeys: Annotated[int, typer.Option(help="Storeys (occupants of storeys 2..N use the stairs).")] = 30,
    per_floor: Annotated[float, typer.Option(help="Occupants per floor.")] = 60,
    stair_width: Annotated[float, typer.Option(help="Clear width of each stair (m).")] = 1.2,
    stairs: Annotated[int, typer.Option(help="Number of stairs.")] = 1,
    riser_tread: Annotated[str, typer.Option(help="Riser/tread in inches: 7.5/10, 7/11, 6.5/12, 6.5/13.")] = "7/11",
    floor_height: Annotated[float, typer.Option(help="Storey height (m).")] = 3.0,
    premovement: Annotated[float, typer.Option(help="Pre-movement time (s).")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Stair evacuation time: Pauls' formula and the SFPE hydraulic model."""
    q = _build("evacuation", _EvacQuery, storeys=storeys, per_floor=per_floor, stair_width_m=stair_width,
               stairs=stairs, riser_tread=riser_tread, floor_height_m=floor_height, premovement_s=premovement)
    r = building_evacuation(q.storeys, q.per_floor, q.stair_width_m, q.stairs, q.riser_tread, q.floor_height_m,
                            q.premovement_s)
    rows: dict[str, Any] = {
        "evacuees": r.evacuees,
        "effective_width_m": r.effective_width_m,
        "pauls_p_per_m": r.pauls_p,
        "pauls_total_s": r.pauls_total_s,
        "pauls_note": None if r.pauls_total_s is not None else "p > 800: outside Pauls' range",
        "sfpe_flow_p_s": r.flow_p_s,
        "sfpe_flow_time_s": r.flow_time_s,
        "sfpe_travel_time_s": r.travel_time_s,
        "sfpe_total_s": r.sfpe_total_s,
    }
    _emit("Stair evacuation (Pauls; SFPE hydraulic)", rows, as_json)
