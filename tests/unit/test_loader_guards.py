"""The loader's guards (加载守卫, issue 16): hazard models declare what the loader checks, size limits refuse
before allocation and ``--allow-large`` lifts them, the clock guard bounds a lossy channel's re-sends.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scenarios import limits
from scenarios.hazards import HAZARD_MODELS
from scenarios.loader import load_scenario
from tests.helpers import FLAGSHIP, cli

BIG_CITY = textwrap.dedent(f"""\
    extends: {FLAGSHIP}
    city:
      generated: {{streets: 2000, communities_per_street: 101, grids_per_community: 1}}
    incidents:
      - {{id: fire1, grid: S3-C1-G1}}
    """)
"""A city of 202,000 grids: 1 % above :data:`scenarios.limits.MAX_GRIDS` (the flagship's stations stand in
grids named S*-C2/C3-G*, so this city also breaks them — only the size line may come first)."""


@pytest.mark.parametrize("kind", sorted(HAZARD_MODELS))
def test_every_action_declares_its_arguments_and_unknown_detectors_never_fire(kind: str) -> None:
    """What the loader checks is what the model does: every action has an argument list, and a detector
    name the model does not declare is one it never fires for (``detection_time`` → ``None``)."""
    model = HAZARD_MODELS[kind]
    assert set(model.arguments) == set(model.actions)
    assert model.detectors  # every model can be detected somehow
    from scenarios.hazards import build_hazard
    from scenarios.hazards.params import CrowdParams, FireParams, PlumeParams

    params = {"fire": FireParams(), "plume": PlumeParams(chemical="chlorine"), "crowd": CrowdParams()}.get(kind)
    if params is not None:  # the network and dense-gas models need a network or a release to be built
        assert build_hazard(params).detection_time("smart_senser") is None


def test_city_size_refused_before_building_and_allowed_on_request(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "big.yaml"
    f.write_text(BIG_CITY)
    monkeypatch.delenv(limits.ALLOW_ENV, raising=False)
    refused = cli("validate", f)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"{f}:3: city.generated.streets: 2000 × 101 × 1 = 202,000 grids"), refused.stderr
    for how in (("--allow-large",), ()):
        env = {} if how else {limits.ALLOW_ENV: "1"}
        lifted = cli("validate", f, *how, env=env)
        assert "grids (more than" not in lifted.stderr, lifted.stderr  # the size line is gone …
        assert "stations[fs2].grid: station 'fs2' stands in unknown grid" in lifted.stderr  # … validation went on


def test_run_size_estimate_refuses_what_would_not_fit() -> None:
    """The flagship keeps one incident record per replication: 200,000 fit, 200,001 do not."""
    sc = load_scenario(FLAGSHIP)
    assert limits.run_size(sc, limits.MAX_KEPT_INCIDENTS) is None
    why = limits.run_size(sc, limits.MAX_KEPT_INCIDENTS + 1)
    assert why is not None and "200,001 replications" in why and "--allow-large" in why


def test_a_lossy_channel_with_limits_lifted_still_ends(tmp_path: Path) -> None:
    """The issue's endless run, with the re-send limit lifted: at least 1 s per re-send bounds the loop by the
    horizon (14,400 re-sends at most), so the run ends and writes its outputs."""
    out = tmp_path / "out"
    proc = cli("run", FLAGSHIP, "-n", "1", "--allow-large", "--set", "channels.0.reliability=1.0e-300",
               "--set", "channels.0.retry_after=1", "--set", "channels.0.latency=0", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.json").is_file()
