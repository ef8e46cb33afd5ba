"""``linkage hazard`` sub-commands, run in-process through the real entry point (``tests.helpers.cli``)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import cli


def _json(args: list[str]) -> dict:
    res = cli("hazard", *args, "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_fire_json() -> None:
    out = _json(["fire", "--growth", "fast", "--t", "300"])
    assert out["hrr_kw"] == pytest.approx(0.046889 * 300**2, rel=1e-4)  # NFPA 204 fast α
    assert out["t_to_1055kw_s"] == pytest.approx(150.0)
    assert out["t_smoke_detector_s"] < out["t_to_1055kw_s"]
    assert out["t_sprinkler_s"] is None
    assert _json(["fire", "--growth", "fast", "--sprinklers"])["t_sprinkler_s"] > 0


def test_plume_json() -> None:
    out = _json(["plume", "--chemical", "chlorine", "--rate", "1.0", "--wind", "3", "--stability", "D",
                 "--height", "2", "--x", "500", "--y", "0"])
    assert out["concentration_ppm"] == pytest.approx(out["concentration_mg_m3"] * 24.465 / 70.906)
    assert out["aegl1_distance_m"] > out["aegl2_distance_m"] > out["aegl3_distance_m"] > 0
    urban = _json(["plume", "--urban", "--x", "500"])
    assert urban["dispersion"] == "briggs_urban"
    assert "uncertain" in _json(["plume", "--chemical", "ammonia"])["chemical"]
    # the model the engine builds: chlorine vapour is denser than air, ammonia vapour lighter
    assert out["model"].startswith("dense_gas") and out["dense_criterion"] >= 0.15
    assert _json(["plume", "--chemical", "ammonia"])["model"] == "gaussian"
    forced = _json(["plume", "--gas-model", "gaussian", "--x", "500"])
    assert forced["model"] == "gaussian" and forced["aegl3_distance_m"] < out["aegl3_distance_m"]


def test_crowd_and_evacuation_json() -> None:
    out = _json(["crowd", "--density", "2.0"])
    assert out["fruin_los"] == "E" and out["specific_flow_p_m_s"] < out["j_max_p_m_s"]
    ev = _json(["evacuation", "--storeys", "30", "--per-floor", "60", "--stair-width", "1.2"])
    assert ev["evacuees"] == 29 * 60 and ev["pauls_total_s"] is None and ev["sfpe_total_s"] > 0
    ok = _json(["evacuation", "--storeys", "10", "--per-floor", "40", "--stair-width", "1.2", "--stairs", "2"])
    assert ok["pauls_total_s"] > 0


@pytest.mark.parametrize("cmd", [["fire"], ["plume"], ["crowd"], ["evacuation"]])
def test_tables_by_default(cmd: list[str]) -> None:
    res = cli("hazard", *cmd)
    assert res.returncode == 0, res.stderr
    assert "quantity" in res.stdout and not res.stdout.lstrip().startswith("{")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["plume", "--chemical", "xenon"],
         "linkage hazard plume: --chemical: unknown chemical 'xenon' (known: ammonia, chlorine)"),
        (["plume", "--stability", "Z"],
         "linkage hazard plume: --stability: unknown stability class 'Z' (known: A, B, C, D, E, F)"),
        (["plume", "--rate", "-1"], "linkage hazard plume: --rate: Input should be greater than 0"),
        (["crowd", "--density", "6"], "linkage hazard crowd: --density: Input should be less than or equal to 5.4"),
        (["fire", "--t", "-1"], "linkage hazard fire: --t: Input should be greater than or equal to 0"),
        (["evacuation", "--storeys", "0"],
         "linkage hazard evacuation: --storeys: Input should be greater than or equal to 1"),
    ],
)
def test_bad_input_one_line_on_stderr_exit_1(args: list[str], line: str) -> None:
    res = cli("hazard", *args)
    assert res.returncode == 1
    assert res.stderr.strip() == line
    assert res.stdout == ""
    assert "Traceback" not in res.stdout + res.stderr
