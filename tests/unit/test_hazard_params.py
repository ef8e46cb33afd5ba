"""Hazard parameter models reject bad physics with messages naming the field; the protocol holds."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from scenarios.hazards import (
    CrowdModel,
    CrowdParams,
    FireModel,
    FireParams,
    HazardModel,
    HazardParams,
    PlumeModel,
    PlumeParams,
    Site,
    build_hazard,
)


def _only_error(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[tuple, str]:
    errs = exc.value.errors()
    assert len(errs) == 1
    return errs[0]["loc"], errs[0]["msg"]


def test_negative_leak_rate_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        PlumeParams(release_rate_kg_s=-1.0)
    loc, msg = _only_error(exc)
    assert loc == ("release_rate_kg_s",) and "greater than 0" in msg


def test_unknown_chemical_rejected_with_known_list() -> None:
    with pytest.raises(ValidationError) as exc:
        PlumeParams(chemical="xenon")
    loc, msg = _only_error(exc)
    assert loc == ("chemical",)
    assert msg == "unknown chemical 'xenon' (known: ammonia, chlorine)"


def test_unknown_stability_class_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        PlumeParams(stability="G")
    loc, msg = _only_error(exc)
    assert loc == ("stability",) and "unknown stability class 'G'" in msg
    assert PlumeParams(stability="d").stability == "D"
    assert PlumeParams(chemical=" Ammonia ").chemical == "ammonia"


@pytest.mark.parametrize("field", ["initial_density", "critical_density", "cctv_alert_density"])
def test_density_above_physical_maximum_rejected(field: str) -> None:
    """Weidmann ρmax = 5.4 P/m² is the physical maximum (references.md)."""
    with pytest.raises(ValidationError) as exc:
        CrowdParams(**{field: 6.0})
    loc, msg = _only_error(exc)
    assert loc == (field,) and "5.4" in msg


def test_other_bad_values_named() -> None:
    with pytest.raises(ValidationError) as exc:
        FireParams(storeys=10, floor_of_origin=12)
    assert _only_error(exc)[0] == ("floor_of_origin",)
    with pytest.raises(ValidationError) as exc:
        FireParams(growth="quick")
    assert _only_error(exc)[0] == ("growth",)
    with pytest.raises(ValidationError) as exc:
        PlumeParams(wind_speed_m_s=float("nan"))
    assert _only_error(exc)[0] == ("wind_speed_m_s",)
    with pytest.raises(ValidationError) as exc:
        CrowdParams(inflow=[{"t": 10, "rate_p_s": 1}, {"t": 5, "rate_p_s": 2}])
    assert _only_error(exc)[0] == ("inflow",)
    with pytest.raises(ValidationError):
        FireParams(colour="red")  # extra="forbid"


def test_params_frozen() -> None:
    p = FireParams()
    with pytest.raises(ValidationError):
        p.storeys = 3  # type: ignore[misc]


def test_discriminated_union_by_model() -> None:
    ta = TypeAdapter(HazardParams)
    assert isinstance(ta.validate_python({"model": "plume", "chemical": "ammonia"}), PlumeParams)
    assert isinstance(ta.validate_python({"model": "fire", "growth": "slow"}), FireParams)
    assert isinstance(ta.validate_python({"model": "crowd", "area_m2": 100}), CrowdParams)
    with pytest.raises(ValidationError) as exc:
        ta.validate_python({"model": "flood"})
    assert "model" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        ta.validate_python({"model": "plume", "release_rate_kg_s": -2})
    assert exc.value.errors()[0]["loc"] == ("plume", "release_rate_kg_s")
    schema = ta.json_schema()
    assert "oneOf" in schema or "anyOf" in schema


def test_build_hazard_returns_protocol_models() -> None:
    site = Site(0.0, 0.0, np.array([500.0]), np.array([0.0]), np.array([100.0]), ["g1"])
    for params, cls in ((FireParams(), FireModel), (PlumeParams(), PlumeModel), (CrowdParams(), CrowdModel)):
        m = build_hazard(params, site)
        assert isinstance(m, cls) and isinstance(m, HazardModel)
        assert m.kind == params.model
        assert isinstance(m.state(60.0), dict)
        assert all(isinstance(v, float) for v in m.state(60.0).values())
    with pytest.raises(TypeError):
        build_hazard("fire", site)  # type: ignore[arg-type]


def test_outcome_keys() -> None:
    site = Site(0.0, 0.0, np.array([500.0]), np.array([0.0]), np.array([100.0]), ["g1"])
    assert set(FireModel(FireParams()).outcomes(600)) == {"casualties", "people_exposed", "fire_floors",
                                                          "t_control_hazard"}
    assert set(PlumeModel(PlumeParams(), site).outcomes(600)) == {
        "people_exposed", "people_exposed_aegl1", "people_exposed_aegl3", "casualties", "max_concentration_ppm"}
    assert set(CrowdModel(CrowdParams()).outcomes(600)) == {"peak_density", "minutes_above_critical", "casualties"}


def test_intervention_bookkeeping() -> None:
    m = FireModel(FireParams())
    with pytest.raises(ValueError, match="unknown action"):
        m.intervene("pray", 10.0)
    m.intervene("evacuate", 100.0)
    with pytest.raises(ValueError, match="non-decreasing"):
        m.intervene("suppress", 50.0, flow_lpm=900)
    with pytest.raises(ValueError, match="flow_lpm"):
        m.intervene("suppress", 150.0, flow_lpm=-5)
    c = CrowdModel(CrowdParams())
    with pytest.raises(ValueError, match="factor"):
        c.intervene("restrict_inflow", 0.0, factor=1.5)
    site = Site(0.0, 0.0, np.array([500.0]), np.array([0.0]), np.array([100.0]), ["g1"])
    pm = PlumeModel(PlumeParams(), site)
    with pytest.raises(ValueError, match="unknown grid"):
        pm.intervene("shelter", 0.0, grids=["nope"])


def test_detection_unknown_kind_is_none() -> None:
    assert FireModel(FireParams()).detection_time("cctv_density") is None
    assert FireModel(FireParams(sprinklers=False)).detection_time("sprinkler") is None
    assert PlumeModel(PlumeParams()).detection_time("smoke_detector") is None
    assert PlumeModel(PlumeParams()).detection_time("enterprise_self_report") == 0.0
