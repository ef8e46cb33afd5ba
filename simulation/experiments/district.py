"""Any scenario on any district (``--district FILE``): the scenario's incidents on an imported district.

The district brings the city (grids, roads) and — when it has them — the agencies, stations, units and
channels; the scenario keeps its incident types, incidents, streams, arrangement, horizon and clock.

**Placement rule** for an incident whose grid the district lacks: take the grid's position in the
scenario's own city as a fraction of that city's extent (west→east, south→north), and put the incident on
the district grid nearest the same fraction of the district's extent — so an incident in the south-east
corner of the demo district lands in the south-east of the imported one, and a plume's downwind grids
stay downwind. Every move is reported (:attr:`OnDistrict.moves`); ``--set incidents.ID.grid=GRID`` puts
an incident on a grid of one's choosing instead. A district without agencies keeps the scenario's own,
and their stations move by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.errors import InputError
from scenarios.schema import Scenario

DISTRICT_KEYS = ("agencies", "stations", "units", "channels")


@dataclass
class OnDistrict:
    """The scenario on the district, and what was moved to get there (one line each, zh and en)."""

    scenario: Scenario
    moves: list[str] = field(default_factory=list)


def _fractions(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    span = np.array([max(np.ptp(x), 1e-9), max(np.ptp(y), 1e-9)])
    return (np.column_stack([x, y]) - [x.min(), y.min()]) / span


class _Placer:
    """Grid of the scenario's city → nearest district grid at the same fraction of the extent."""

    def __init__(self, own_city: dict, district_city: dict) -> None:
        from scenarios.city import City
        from simulation.model.citymap import build_citymap

        own = build_citymap(City.model_validate(own_city))
        grids = district_city["explicit"]["grids"]
        self.ids = [g["id"] for g in grids]
        self.known = set(self.ids)
        dx = np.array([g["x"] for g in grids], float)
        dy = np.array([g["y"] for g in grids], float)
        self.own_index = own.index
        self.own_frac = _fractions(own.x, own.y)
        self.frac = _fractions(dx, dy)

    def place(self, grid: str) -> str | None:
        """The district grid for ``grid`` (itself when the district has it; None when the city lacks it)."""
        if grid in self.known:
            return grid
        if grid not in self.own_index:
            return None
        f = self.own_frac[self.own_index[grid]]
        return self.ids[int(np.argmin(np.hypot(*(self.frac - f).T)))]


def on_district(doc: dict[str, Any], district: str | Path, source: str, sets=()) -> OnDistrict:
    """The scenario document ``doc`` (plain, merged) run on ``district``: validated, with its moves."""
    from scenarios.loader import read_document
    from scenarios.yamlsrc import to_plain
    from simulation.experiments.api import validate_document

    dist = to_plain(read_document(district))
    if not isinstance(dist.get("city"), dict) or "explicit" not in dist["city"]:
        raise InputError.one(str(district), None, "city.explicit", "not a district file (no explicit city)")
    placer = _Placer(doc["city"], dist["city"])
    out = dict(doc)
    out["city"] = dist["city"]
    moves: list[str] = []
    if dist.get("agencies"):
        for key in DISTRICT_KEYS:
            out[key] = dist.get(key, [])
        if doc.get("dispatch", {}).get("preferences"):
            out["dispatch"] = {**doc["dispatch"], "preferences": {}}
            moves.append("调度偏好已清除（指向原辖区的站点）/ dispatch preferences dropped (they name the "
                         "scenario's own stations)")
    else:
        out["stations"] = [_moved(s, "station", placer, moves, district) for s in doc.get("stations", [])]
    out["incidents"] = [_moved(i, "incident", placer, moves, district) for i in doc.get("incidents", [])]
    out["streams"] = [_stream(s, placer, moves, district) for s in doc.get("streams", [])]
    name = Path(district).name
    return OnDistrict(validate_document(out, f"{source} on {name}", sets), moves)


def _moved(item: dict, what: str, placer: _Placer, moves: list[str], district) -> dict:
    grid = item.get("grid")
    new = placer.place(grid)
    if new is None:
        raise InputError.one(str(district), None, f"{what}s[{item.get('id')}].grid",
                             f"grid '{grid}' is neither in the district nor in the scenario's own city")
    if new != grid:
        moves.append(f"{what} '{item.get('id')}': 网格 {grid} → {new}（按相对位置）/ grid {grid} is not in the "
                     f"district: placed on {new} (same relative position)")
    return {**item, "grid": new}


def _stream(s: dict, placer: _Placer, moves: list[str], district) -> dict:
    if not s.get("grids"):
        return s
    new = [placer.place(g) for g in s["grids"]]
    if any(g is None for g in new):
        raise InputError.one(str(district), None, f"streams[{s.get('id')}].grids", "a grid is unknown")
    if new != s["grids"]:
        moves.append(f"stream '{s.get('id')}': grids placed by relative position / 按相对位置放置")
    return {**s, "grids": list(dict.fromkeys(new))}
