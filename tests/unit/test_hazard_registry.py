"""Hazard models register themselves by their parameters' discriminator, and change parameters mid-run
through one public method that leaves nothing stale (a drill's effect)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scenarios.hazards import HAZARD_MODELS, CrowdParams, FireParams, PlumeParams, Site, build_hazard
from scenarios.hazards.base import InterventionLog, register


def test_every_parameter_model_has_a_registered_model():
    for params in (FireParams(), PlumeParams(), CrowdParams()):
        model = build_hazard(params, Site.point())
        assert isinstance(model, HAZARD_MODELS[params.model])
    assert set(HAZARD_MODELS) >= {"fire", "plume", "crowd"}


def test_a_new_model_registers_itself_without_touching_build_hazard():
    class Toy:
        model = "toy_for_test"

    @register("toy_for_test")
    class ToyModel(InterventionLog):
        def __init__(self, params):
            super().__init__()
            self.p = params

    try:
        assert isinstance(build_hazard(Toy()), ToyModel)
    finally:
        del HAZARD_MODELS["toy_for_test"]
    with pytest.raises(TypeError, match="not a hazard parameter model"):
        build_hazard(Toy())


def test_override_recomputes_what_the_old_parameters_implied():
    """A growth-class change must change the growth rate α, not only the stored parameter (a stale α was
    what a drill effect used to leave behind)."""
    slow = build_hazard(FireParams(growth="slow"))
    slow.intervene("evacuate", 120.0)
    slow.override(growth="ultra_fast")
    fresh = build_hazard(FireParams(growth="ultra_fast"))
    fresh.intervene("evacuate", 120.0)
    assert slow.p.growth == "ultra_fast"
    assert slow.alpha == pytest.approx(fresh.alpha) and slow.alpha > 10 * build_hazard(FireParams(growth="slow")).alpha
    for t in (60.0, 300.0, 900.0):
        assert slow.hrr(t) == fresh.hrr(t)
    assert [(i.action, i.t) for i in slow.log] == [("evacuate", 120.0)]  # interventions so far replayed
    assert slow.outcomes(1800.0) == fresh.outcomes(1800.0)


def test_override_with_a_bad_value_changes_nothing():
    fire = build_hazard(FireParams(growth="slow"))
    before = fire.hrr(600.0)
    with pytest.raises(ValidationError):
        fire.override(growth="explosive")
    assert fire.p.growth == "slow" and fire.hrr(600.0) == before


def test_plume_override_keeps_its_site():
    site = Site.point(10.0, 20.0)
    plume = build_hazard(PlumeParams(), site)
    plume.override(wind_speed_m_s=plume.p.wind_speed_m_s * 2)
    assert plume.site is site
    assert plume.p.wind_speed_m_s == pytest.approx(PlumeParams().wind_speed_m_s * 2)


def test_every_model_declares_exactly_the_measures_its_state_has():
    """A level trigger is checked against ``measures`` when the scenario loads, so it must match ``state``."""
    for params in (FireParams(), PlumeParams(), CrowdParams()):
        model = build_hazard(params, Site.point())
        assert model.measures == set(model.state(60.0)), params.model
