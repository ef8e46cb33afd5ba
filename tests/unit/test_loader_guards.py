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
from tests.helpers import FLAGSHIP, cli, linkage

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


def test_compare_and_sweep_sizes_are_the_whole_experiments() -> None:
    """A comparison keeps every arm's records: 2 arms × 100,000 fit, × 100,001 do not (the run limit, 200,000
    records); a sweep simulates points × replications (20 million incidents at most) and keeps one task's
    records per worker (its batch)."""
    from simulation.experiments.api import check_compare_size

    sc = load_scenario(FLAGSHIP)
    assert limits.runs_size([sc, sc], limits.MAX_KEPT_INCIDENTS // 2) is None
    assert "2 arrangements × 100,001 replications" in limits.runs_size([sc, sc], limits.MAX_KEPT_INCIDENTS // 2 + 1)
    check_compare_size([sc, sc], 100_001, allow_large=True)  # lifted: no refusal
    with pytest.raises(Exception, match="100,001 replications would keep"):
        check_compare_size([sc, sc], 100_001)
    assert limits.sweep_size(sc, 2, limits.MAX_SIMULATED_INCIDENTS // 2, 25) is None
    param, why = limits.sweep_size(sc, 2, limits.MAX_SIMULATED_INCIDENTS // 2 + 1, 25)
    assert param == "replications" and "2 points × 10,000,001 replications" in why
    assert limits.sweep_size(sc, 1, 300_000, 300_000)[0] == "batch"


NOT_LIFTED = {limits.ALLOW_ENV: ""}


def test_allow_large_lifts_the_compare_and_sweep_refusals(tmp_path: Path) -> None:
    """Through the console script, with ``--allow-large`` the size line is gone and the command goes on to its
    next check: compare to the ``-m`` probe (an unknown metric), sweep to its scheduler (none listens on
    port 1 of the loopback) — nothing runs, nothing is written."""
    big = ("-a", "sectoral_lead", "-a", "unified_command", "-n", "100001", "-m", "nosuch", "--out", tmp_path / "c")
    assert "100,001 replications would keep" in linkage("compare", FLAGSHIP, *big, timeout=120, env=NOT_LIFTED).stderr
    lifted = linkage("compare", FLAGSHIP, *big, "--allow-large", timeout=120, env=NOT_LIFTED)
    assert lifted.returncode == 1 and lifted.stderr.startswith("-m: unknown metric(s): nosuch"), lifted.stderr
    sweep = ("--vary", "channels.0.reliability=0.5,0.7,0.9", "-n", "10000000", "--scheduler", "tcp://127.0.0.1:1",
             "--out", tmp_path / "s")
    refused = linkage("sweep", FLAGSHIP, *sweep, timeout=120, env=NOT_LIFTED)
    assert refused.stderr.startswith("-n: replications: 3 points × 10,000,000"), refused.stderr
    lifted = linkage("sweep", FLAGSHIP, *sweep, "--allow-large", timeout=120, env=NOT_LIFTED)
    assert lifted.returncode == 1 and lifted.stderr.startswith("--scheduler: cannot reach"), lifted.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_id_list_in_an_extending_file_merges_without_a_warning(tmp_path: Path) -> None:
    """``extends`` merges a list of items with ``id`` item by item (one agency's desk changed, the other agencies
    kept), so no "replace" warning for it; a plain list (the incident type's detection) still replaces and
    still says so, also inside an id-matched item."""
    from scenarios.loader import replaced_lists

    f = tmp_path / "more_staff.yaml"
    f.write_text(textwrap.dedent(f"""\
        extends: {FLAGSHIP}
        agencies:
          - {{id: emergency_bureau, desk: {{staff: 3}}}}
        incident_types:
          high_rise_fire:
            detection:
              - {{kind: citizen_call, delay: 60, report_to: centre_119}}
        """))
    sc = load_scenario(f)
    assert len(sc.agencies) > 1 and next(a for a in sc.agencies if a.id == "emergency_bureau").desk.staff == 3
    [w] = replaced_lists(f)
    assert w.startswith(f"{f}:6: incident_types.high_rise_fire.detection: these 1 item(s) replace the 3 of")
