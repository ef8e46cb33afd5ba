"""The fire model's shortcuts give exactly the values of its definitions (bit for bit, not approximately).

The model precomputes per parameter set (scenarios/hazards/fire_tables.py) and counts casualties on the prefix
of occupants whose floors become untenable; these tests check each shortcut against the plain definition, one
floor or one occupant at a time, with ``==``.
"""

from __future__ import annotations

import copy
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.fire import FireModel
from scenarios.hazards.params import FireParams


@st.composite
def fire_params(draw: st.DrawFn) -> FireParams:
    storeys = draw(st.integers(1, 40))
    return FireParams(
        growth=draw(st.sampled_from(["slow", "medium", "fast", "ultra_fast"])),
        storeys=storeys,
        floor_of_origin=draw(st.integers(1, storeys)),
        occupants_per_floor=draw(st.integers(0, 30)),
        vertical_spread_floors_per_min=draw(st.sampled_from([0.0, 0.1, 0.2, 0.7, 1.0, 3.0])),
        smoke_floors_above=draw(st.integers(0, 6)),
        untenable_after_s=draw(st.sampled_from([0.0, 60.0, 120.0, 600.0])),
        hrr_max_kw=draw(st.sampled_from([None, 1000.0, 6000.0])),  # 1000 < flashover: never flashes over
        casualty_exposure_s=draw(st.sampled_from([1.0, 300.0, 900.0])),
        smoke_clear_s=draw(st.sampled_from([0.0, 300.0])),
        premovement_s=draw(st.sampled_from([0.0, 120.0])),
    )


steps = st.lists(st.tuples(st.sampled_from(["suppress", "evacuate", "rescue"]), st.floats(0.0, 1500.0),
                           st.sampled_from([0.0, 300.0, 2850.0, 20000.0])), max_size=5)


def _run(p: FireParams, plan: list[tuple[str, float, float]]) -> FireModel:
    m = FireModel(p)
    t = 0.0
    for action, dt, amount in plan:
        t += dt
        kw = {"flow_lpm": amount} if action == "suppress" else {"s_per_floor": amount or 120.0} \
            if action == "rescue" else {}
        m.intervene(action, t, **kw)
    return m


def _untenable_by_definition(m: FireModel, floor: int) -> float:
    """One floor: involved at flashover (k = 0) or k·60/rate s later unless held first; untenable
    ``untenable_after_s`` after the floor ``smoke_floors_above`` below it (or the origin), unless controlled."""
    p, tfo = m.p, m.t_flashover
    if floor < p.floor_of_origin:
        return math.inf
    k = max(floor - p.smoke_floors_above, p.floor_of_origin) - p.floor_of_origin
    rate = p.vertical_spread_floors_per_min
    if tfo is None or k > p.storeys - p.floor_of_origin:
        t_inv = math.inf
    elif k == 0:
        t_inv = tfo
    else:
        t = tfo + k * 60.0 / rate if rate > 0 else math.inf
        t_inv = t if t < m.t_hold else math.inf
    u = t_inv + p.untenable_after_s
    return u if u < m.t_control else math.inf


def _exposure_by_definition(m: FireModel, t_end: float) -> tuple[float, float]:
    """(occupants exposed, casualties): each occupant exposed from their floor's untenable time until they
    leave or the smoke clears; exposure / ``casualty_exposure_s``, capped at 1, summed over the occupants."""
    floors, dep = m._occupants()
    u = np.array([_untenable_by_definition(m, int(f)) for f in floors])
    dur = np.maximum(np.minimum(dep, min(t_end, m.t_control + m.p.smoke_clear_s)) - u, 0.0)
    return float(np.count_nonzero(dur)), float(np.minimum(dur / m.p.casualty_exposure_s, 1.0).sum())


@settings(max_examples=150, deadline=None)
@given(p=fire_params(), plan=steps, t_end=st.sampled_from([0.0, 900.0, 3600.0, 14400.0]))
def test_exposure_is_the_per_occupant_definition(p: FireParams, plan: list, t_end: float) -> None:
    m = _run(p, plan)
    assert m._exposure(t_end) == _exposure_by_definition(m, t_end)


@settings(max_examples=150, deadline=None)
@given(p=fire_params(), plan=steps, t=st.floats(0.0, 20000.0))
def test_untenable_time_and_floors_involved_are_their_definitions(p: FireParams, plan: list, t: float) -> None:
    m = _run(p, plan)
    floors = np.arange(-1, p.storeys + 4)  # below the ground and above the roof too
    assert m.untenable_time(floors).tolist() == [_untenable_by_definition(m, int(f)) for f in floors]
    tfo, rate = m.t_flashover, p.vertical_spread_floors_per_min
    if tfo is None or rate <= 0 or t <= tfo:
        want = 1
    else:
        n = 1 + int(math.floor(max(0.0, min(t, m.t_hold) - tfo) * rate / 60.0 + 1e-9))
        want = min(n, p.storeys - p.floor_of_origin + 1)
    assert m.floors_involved(t) == want


@settings(max_examples=100, deadline=None)
@given(p=fire_params(), evacuate=st.one_of(st.none(), st.floats(0.0, 900.0)), pick=st.data())
def test_ties_at_the_hold_and_control_times(p: FireParams, evacuate: float | None, pick: st.DataObject) -> None:
    """A hold exactly at a floor's involvement time, control exactly at its untenable time: the boundaries
    (without an evacuation everyone stays, so a floor counted on the wrong side shows)."""
    m = _run(p, [] if evacuate is None else [("evacuate", evacuate, 0.0)])
    free = [x for x in m.c.t_free.tolist() if math.isfinite(x)]
    untenable = [x for x in m.untenable_time(np.arange(1, p.storeys + 1)).tolist() if math.isfinite(x)]
    m.t_hold = pick.draw(st.sampled_from([*free, math.inf]))
    m.t_control_manual = pick.draw(st.sampled_from([*untenable, math.inf]))
    assert m._exposure(14400.0) == _exposure_by_definition(m, 14400.0)
    floor_ids = np.arange(1, p.storeys + 1)
    assert m.untenable_time(floor_ids).tolist() == [_untenable_by_definition(m, int(f)) for f in floor_ids]


def test_constants_are_shared_read_only_and_follow_an_override() -> None:
    p = FireParams(storeys=10, floor_of_origin=4, occupants_per_floor=5, vertical_spread_floors_per_min=1.0)
    a, b = FireModel(p), FireModel(p)
    assert a.c is b.c and copy.deepcopy(a).c is a.c  # one table per parameters object, never copied
    assert not a.c.stair_offset.flags.writeable and not a.c.rescue_times(120.0).flags.writeable
    a.intervene("evacuate", 300.0)
    before = a.outcomes(3600.0)
    a.override(occupants_per_floor=50)
    assert a.c is not b.c and a.c.floors.size == 10 * 50
    assert a.outcomes(3600.0)["people_exposed"] > before["people_exposed"]
