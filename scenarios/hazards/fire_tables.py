"""What the high-rise fire model (:mod:`.fire`) derives from its parameters alone.

A world's replications all build their fire model from the same parameters object, and much of what the
model needs does not depend on the replication: the growth rate and sprinkler time, the stair flow, the
occupants in evacuation order with their places in the stair queue, each floor's involvement and
untenability times if nothing held the fire. :class:`FireConstants` holds them, computed once per
parameters object (:func:`constants_for`) instead of in every replication; its arrays are read-only.
The values are computed with the same floating-point operations as they were per replication, so results
are bit-for-bit the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scenarios.hazards.evacuation import SFPE_K, effective_width, sfpe_max_specific_flow
from scenarios.hazards.params import FireParams


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class FireConstants:
    """A fire's parameter-only values (``alpha``, ``t_sprinkler`` and ``tfo_free`` — when the origin would
    flash over if nothing held it, ``None`` if the cap keeps it below — come from the fire physics)."""

    __slots__ = ("alpha", "t_sprinkler", "stair_flow", "tfo_free", "spread_from", "rate", "max_floors",
                 "t_free", "f_rank", "uf_rank", "floors", "stair_offset", "never", "rank", "uf_occ",
                 "per_floor", "_rescue")

    def __init__(self, p: FireParams, alpha: float, t_sprinkler: float | None, tfo_free: float | None) -> None:
        self.alpha, self.t_sprinkler, self.tfo_free = alpha, t_sprinkler, tfo_free
        self.stair_flow = sfpe_max_specific_flow(SFPE_K[p.riser_tread]) * p.stairs * effective_width(p.stair_width_m)
        self.rate = rate = p.vertical_spread_floors_per_min
        self.spread_from = tfo_free if tfo_free is not None and rate > 0 else math.inf
        """When façade spread starts (free burning); inf if it never does."""
        o, n, per = p.floor_of_origin, p.storeys, p.occupants_per_floor
        self.max_floors = n - o + 1
        # the k-th floor above the origin is involved k·60/rate s after flashover if nothing holds the fire
        # (the same float operations as the per-replication code had, one floor at a time); a trailing inf
        # stands for floors beyond the roof
        free = [math.inf] * (n - o + 2)
        if tfo_free is not None:
            free[0] = tfo_free
            for k in range(1, n - o + 1):
                free[k] = tfo_free + k * 60.0 / rate if rate > 0 else math.inf
        self.t_free = _frozen(np.array(free))
        # per floor in evacuation order (fire floor, floors above, floors below): when it is involved and when
        # it becomes untenable (``smoke_floors_above`` floors above an involved floor go with it), free burning.
        # Both never decrease along that order (floors below the origin: inf; rounding is monotone), so the
        # floors untenable in a replication are a prefix of it (FireModel._untenable_prefix).
        order = list(range(o, n + 1)) + list(range(o - 1, 0, -1))
        ua = p.untenable_after_s
        self.f_rank = [free[max(f - p.smoke_floors_above, o) - o] if f >= o else math.inf for f in order]
        self.uf_rank = [x + ua for x in self.f_rank]
        # per occupant in that order: floor, offset in the stair queue (place / flow; floor 1 walks out: 0),
        # departure if nobody moves (inf), the floor's place in the rescue order and its untenable time
        floors = np.repeat(np.array(order, dtype=int), per)
        in_stairs = floors > 1
        self.floors = _frozen(floors)
        self.stair_offset = _frozen(np.where(in_stairs, np.cumsum(in_stairs) / self.stair_flow, 0.0))
        self.never = _frozen(np.full(floors.shape, math.inf))
        self.rank = _frozen(np.repeat(np.arange(len(order)), per) + 1)
        self.uf_occ = _frozen(np.repeat(np.array(self.uf_rank), per))
        self.per_floor = per
        self._rescue: dict[float, np.ndarray] = {}

    def rescue_times(self, s_per_floor: float) -> np.ndarray:
        """Seconds after a search starts each occupant's floor is cleared (``rank · s_per_floor``)."""
        t = self._rescue.get(s_per_floor)
        if t is None:
            if len(self._rescue) >= 16:  # a drill may try many paces: keep the table small
                self._rescue.clear()
            t = self._rescue[s_per_floor] = _frozen(self.rank * s_per_floor)
        return t

    def __deepcopy__(self, memo: dict) -> FireConstants:
        return self  # shared and read-only: a drill's trial copy of a model need not copy it


_CONSTANTS: dict[int, tuple[FireParams, FireConstants]] = {}


def constants_for(p: FireParams, derive: Callable[[FireParams], FireConstants]) -> FireConstants:
    """``p``'s constants, built by ``derive`` the first time. Keyed by the object — frozen, and the entry keeps
    it alive so its id is not reused; hashing all its fields would cost more than the lookup saves. Bounded:
    a drill's overrides and a sweep's points make new parameter objects."""
    hit = _CONSTANTS.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    c = derive(p)
    if len(_CONSTANTS) >= 64:
        _CONSTANTS.pop(next(iter(_CONSTANTS)), None)
    _CONSTANTS[id(p)] = (p, c)
    return c
