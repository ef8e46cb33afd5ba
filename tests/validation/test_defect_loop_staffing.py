"""Validation of the defect-discovery loop (simulation/model/defect_loop.py): staffing responses and the
inspector queue.

Must-show of issue 5: the loop's rectification rate and backlog respond to staffing in the expected
direction — more grid workers (网格员) find more hazards, sooner; more inspectors raise the rectification
rate and cut the backlog. Each comparison uses paired replications with common random numbers and
asserts the mean paired difference clears both 4 standard errors and a fixed practical margin.

The inspector queue is checked against Erlang C (Larson & Odoni, *Urban Operations Research* 1981
§5.4.4, as in /work/shared/references.md: c = 3, λ/μ = 1.5 → P(wait) = 0.23684, Wq = P(wait)/(cμ − λ)).
"""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.defect_loop import (
    DefectLoopSpec,
    HazardCategory,
    HazardDepartment,
    PatrolSpec,
)
from scenarios.distributions import Exponential, Fixed
from simulation.model.defect_loop import DefectLoopResult, simulate
from tests.oracles.queueing import erlang_c, erlang_c_wq

SEEDS = range(4)
# One Putuo-size district (1,240 grids, default rates and departments) for 150 days, one integrated grid.
BASE = DefectLoopSpec(grids=1240, days=150)
PATROL_ONLY = BASE.model_copy(update={"channels": {}})
"""The grid patrol alone finds hazards (the other channels would hide its share of the response)."""


def _paired(a: list[float], b: list[float]) -> tuple[float, float]:
    d = np.asarray(b) - np.asarray(a)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


def _workers(w: float) -> DefectLoopSpec:
    return PATROL_ONLY.model_copy(update={"patrol": PatrolSpec(workers_per_grid=w, visit_interval_days=2.0)})


def _inspectors(factor: float) -> DefectLoopSpec:
    deps = [d.model_copy(update={"inspectors": max(1, round(d.inspectors * factor))}) for d in BASE.departments]
    return BASE.model_copy(update={"departments": deps})


def _unresolved(r: DefectLoopResult) -> int:
    """Hazards present in the city at the end: everything but the rectified ones that hold."""
    return r.counts["arisen"] - r.status["rectified"]


@pytest.mark.slow
def test_more_grid_workers_find_more_hazards_sooner() -> None:
    one = [simulate(_workers(1.0), s) for s in SEEDS]
    two = [simulate(_workers(2.0), s) for s in SEEDS]
    found_diff, found_se = _paired([r.counts["found"] for r in one], [r.counts["found"] for r in two])
    assert found_diff > max(4 * found_se, 0.01 * np.mean([r.counts["found"] for r in one]))
    # twice the patrol visits: detection waits roughly halve (mean and 90th percentile)
    for a, b in zip(one, two):
        assert b.time_to_find.mean() < 0.65 * a.time_to_find.mean()
        assert b.time_to_find.quantile(0.9) < 0.65 * a.time_to_find.quantile(0.9)
    un_diff, un_se = _paired([_unresolved(r) for r in one], [_unresolved(r) for r in two])
    # the patrol sees only the visible 30 % of hazards (PatrolSpec.coverage), so the city-wide effect is ~2 %
    assert -un_diff > max(4 * un_se, 0.01 * np.mean([_unresolved(r) for r in one]))


@pytest.mark.slow
def test_more_inspectors_raise_rectification_rate_and_cut_backlog() -> None:
    few = [simulate(_inspectors(0.8), s) for s in SEEDS]
    many = [simulate(_inspectors(1.25), s) for s in SEEDS]
    # same new hazards and finds (common random numbers); only relapses, which follow closures, differ
    assert all(abs(a.counts["found"] - b.counts["found"]) < 0.01 * a.counts["found"] for a, b in zip(few, many))
    rate_diff, rate_se = _paired([r.rectification_rate for r in few], [r.rectification_rate for r in many])
    assert rate_diff > max(4 * rate_se, 0.004)  # at least 0.4 percentage points

    def backlog(r: DefectLoopResult) -> float:  # orders waiting for an inspector at the horizon
        return float(r.status["queued"] + r.status["verifying"])

    bl_diff, bl_se = _paired([backlog(r) for r in few], [backlog(r) for r in many])
    assert -bl_diff > max(4 * bl_se, 0.02 * np.mean([backlog(r) for r in few]))
    wait_diff, wait_se = _paired([r.queue_wait.mean() for r in few], [r.queue_wait.mean() for r in many])
    assert -wait_diff > 4 * wait_se
    assert all(b.found_to_closed.mean() < a.found_to_closed.mean() for a, b in zip(few, many))


@pytest.mark.slow
def test_inspector_queue_matches_erlang_c() -> None:
    """One department, 3 inspectors, exponential handling of mean 1 h, 1.5 cases/h, patrol so frequent and
    every other stage so short that cases reach the queue as a Poisson stream: the queue is M/M/3."""
    zero = Fixed(value=0.0)
    dep = HazardDepartment(
        id="fire",
        inspectors=3,
        acknowledge=zero,
        handle=Exponential(dist="exponential", mean=3600.0),
        rectify=zero,
        report_back=zero,
        verify=zero,
        line_latency=zero,
    )
    spec = DefectLoopSpec(
        grids=100, grids_per_district=100, days=300, channels={}, follow_up=False, platform_intake=zero,
        patrol=PatrolSpec(workers_per_grid=1, visit_interval_days=1e-5, coverage=1.0, sensitivity={"fire": 1.0}),
        categories={"fire": HazardCategory(rate_per_grid_day=1.5 * 24 / 100, department="fire", superficial=0.0)},
        departments=[dep])
    runs = [simulate(spec, s) for s in range(12)]
    p_wait = np.array([r.counts["waited"] / r.queue_wait.n for r in runs])
    wq_h = np.array([r.queue_wait.mean() / 3600.0 for r in runs])
    for sample, exact in ((p_wait, erlang_c(3, 1.5)), (wq_h, erlang_c_wq(3, 1.5, 1.0))):
        se = sample.std(ddof=1) / np.sqrt(sample.size)
        assert abs(sample.mean() - exact) < 4 * se + 1e-3, (sample.mean(), exact, se)
        assert se < 0.03 * exact  # the run is long enough for the check to bite
    assert erlang_c(3, 1.5) == pytest.approx(0.23684, abs=5e-6)
    assert sum(r.counts["found"] for r in runs) == pytest.approx(12 * 300 * 36, rel=0.02)
    assert runs[0].queue_wait.n > 0.99 * runs[0].counts["found"] - 36  # all but the last cases served
