"""Hypothesis invariants of the crowd network: people are conserved at every step, whatever the network, the
streams and the measures ordered (people in zones + people who left = people who arrived), and no zone is ever
denser than Weidmann's jam density."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards import build_hazard
from scenarios.hazards.network_params import CrowdNetworkParams
from scenarios.hazards.params import RHO_MAX

KINDS = ("plaza", "stair", "landing", "platform", "street")
DIRECTIONS = ("both", "both", "a_to_b", "b_to_a", "closed")
HORIZON = 1800.0


@st.composite
def networks(draw: st.DrawFn) -> tuple[CrowdNetworkParams, list[tuple[str, float, dict]]]:
    """A chain of 2–5 zones, streams walking sub-paths either way, some moving on after dwelling, a metro, and
    measures ordered at random times."""
    m = draw(st.integers(2, 5))
    zones = [{"id": f"z{i}", "kind": draw(st.sampled_from(KINDS)), "area_m2": draw(st.floats(8.0, 3000.0)),
              "exit_width_m": draw(st.sampled_from([0.0, 0.5, 3.0, 10.0])),
              "initial_persons": draw(st.sampled_from([0.0, 0.0, 40.0]))} for i in range(m)]
    links = [{"id": f"l{i}", "a": f"z{i}", "b": f"z{i + 1}", "width_m": draw(st.floats(0.5, 8.0)),
              "direction": draw(st.sampled_from(DIRECTIONS)), "cordon_police": draw(st.integers(0, 5))}
             for i in range(m - 1)]
    streams = []
    for k in range(draw(st.integers(1, 5))):
        i, j = draw(st.integers(0, m - 1)), draw(st.integers(0, m - 1))
        path = [f"z{x}" for x in (range(i, j + 1) if i <= j else range(i, j - 1, -1))]
        arrivals = [{"t": 0.0, "rate_p_s": draw(st.floats(0.0, 8.0))},
                    {"t": draw(st.floats(1.0, HORIZON)), "rate_p_s": draw(st.floats(0.0, 8.0))}]
        streams.append({"id": f"s{k}", "path": path, "arrivals": arrivals, "dwell_s": draw(st.floats(30.0, 900.0))})
    for s in streams:  # some streams move on after dwelling, into a stream starting where they end
        nxt = [t for t in streams if t is not s and t["path"][0] == s["path"][-1]]
        if nxt and draw(st.booleans()):
            s["then"] = draw(st.sampled_from(nxt))["id"]
    metro = None
    if draw(st.booleans()):
        metro = {"stream": draw(st.sampled_from(streams))["id"], "headway_s": draw(st.floats(60.0, 600.0)),
                 "passengers": draw(st.integers(0, 500)), "discharge_s": draw(st.floats(10.0, 300.0))}
    params = CrowdNetworkParams(zones=zones, links=links, streams=streams, metro=metro,
                                step_s=draw(st.sampled_from([1.0, 2.0])),
                                counterflow_loss=draw(st.floats(0.0, 0.9)))
    link_ids = [li["id"] for li in links]
    measures: list[tuple[str, float, dict]] = []
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["one_way", "close_link", "open_link", "marshals", "restrict_inflow",
                                       "skip_metro_stop"]))
        kw: dict = {}
        if action in ("one_way", "close_link", "open_link", "marshals"):
            if not link_ids:
                continue
            kw["link"] = draw(st.lists(st.sampled_from(link_ids), min_size=1, max_size=3))
        if action == "one_way":
            kw.update(direction=draw(st.sampled_from(["a_to_b", "b_to_a"])), n=draw(st.integers(0, 30)))
        if action == "marshals":
            kw["n"] = draw(st.integers(0, 30))
        if action == "restrict_inflow":
            kw["factor"] = draw(st.floats(0.0, 1.0))
        measures.append((action, draw(st.floats(0.0, HORIZON)), kw))
    measures.sort(key=lambda x: x[1])
    return params, measures


@settings(max_examples=40, deadline=None)
@given(case=networks())
def test_people_are_conserved_at_every_step(case) -> None:
    """In zones + left = arrived at every step (and the initial crowd counts as arrived at t = 0)."""
    params, measures = case
    m = build_hazard(params)
    for action, t, kw in measures:
        m.intervene(action, t, **kw)
    tr = m.trajectory(HORIZON)
    k = tr.n_steps + 1
    in_zones = tr.state[:k].sum(axis=1)
    assert np.allclose(in_zones + tr.left[:k], tr.arrived[:k], rtol=1e-9, atol=1e-6)
    assert (tr.state[:k] >= 0.0).all()
    assert (tr.rho[:k] <= RHO_MAX + 1e-9).all()
    assert np.all(np.diff(tr.arrived[:k]) >= -1e-9) and np.all(np.diff(tr.left[:k]) >= -1e-9)


@settings(max_examples=15, deadline=None)
@given(case=networks(), cut=st.floats(0.0, HORIZON))
def test_a_measure_leaves_the_past_as_it_was(case, cut) -> None:
    """Ordering a measure at t recomputes only what follows: the history up to t is the same as without it."""
    params, _ = case
    base = build_hazard(params).trajectory(HORIZON)
    m = build_hazard(params)
    m.intervene("restrict_inflow", cut, factor=0.0)
    tr = m.trajectory(HORIZON)
    k = int(cut // params.step_s)
    assert np.array_equal(tr.state[: k + 1], base.state[: k + 1])
