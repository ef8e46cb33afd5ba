"""Hazard physics of Linkage (灾害物理模型): fire, toxic plume (Gaussian or dense gas), crowd and crowd network
behind one protocol.

``build_hazard(params, site)`` turns validated parameters (any member of :data:`HazardParams`) into a
:class:`HazardModel`. Units are SI; time is seconds since the hazard's onset.
"""

from __future__ import annotations

from scenarios.hazards.base import HAZARD_MODELS, HazardModel, Intervention, Site, register
from scenarios.hazards.crowd import CrowdModel, fruin_los, weidmann_flow, weidmann_speed
from scenarios.hazards.crowd_network import CrowdNetworkModel
from scenarios.hazards.dense_gas import BritterMcQuaidPlume, BritterMcQuaidPuff, DenseGasModel
from scenarios.hazards.evacuation import (
    building_evacuation,
    pauls_evacuation_time_s,
    pauls_time_minutes,
    sfpe_specific_flow,
    sfpe_speed,
)
from scenarios.hazards.fire import FireModel, growth_alpha, time_to_hrr
from scenarios.hazards.network_params import CrowdNetworkParams
from scenarios.hazards.params import CHEMICALS, CrowdParams, FireParams, HazardParams, PlumeParams
from scenarios.hazards.plume import PlumeModel, plume_field

__all__ = [
    "CHEMICALS", "HAZARD_MODELS", "BritterMcQuaidPlume", "BritterMcQuaidPuff", "CrowdModel", "CrowdNetworkModel",
    "CrowdNetworkParams", "CrowdParams", "DenseGasModel", "FireModel", "FireParams", "HazardModel", "HazardParams",
    "Intervention", "PlumeModel", "PlumeParams", "Site", "build_hazard", "building_evacuation", "fruin_los",
    "growth_alpha", "pauls_evacuation_time_s", "pauls_time_minutes", "plume_field", "register", "sfpe_specific_flow",
    "sfpe_speed", "time_to_hrr", "weidmann_flow", "weidmann_speed",
]


def build_hazard(params: FireParams | PlumeParams | CrowdParams | CrowdNetworkParams,
                 site: Site | None = None) -> HazardModel:
    """A fresh hazard model for ``params`` (the plume places itself on ``site``; others ignore it).

    Models register themselves under their parameters' ``model`` discriminator (:func:`register`)."""
    model = HAZARD_MODELS.get(getattr(params, "model", None))
    if model is None:
        raise TypeError(f"not a hazard parameter model: {type(params).__name__}")
    return model.from_params(params, site)  # type: ignore[return-value]
