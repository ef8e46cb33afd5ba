"""``linkage district show``: what a district file holds, and how well its fire stations cover it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from scenarios.errors import InputError


def load_district(path: Path):
    """The district file validated as the base of a scenario (no incident types, a placeholder arrangement)."""
    from pydantic import ValidationError

    from scenarios.loader import read_document, validation_problems
    from scenarios.schema import Scenario
    from scenarios.yamlsrc import to_plain
    from simulation.district.probe import probe_document

    doc = read_document(path)
    plain = to_plain(doc)
    if not isinstance(plain.get("city"), dict) or "explicit" not in plain["city"]:
        raise InputError.one(str(path), None, "city.explicit", "not a district file (no explicit city)")
    has_agencies = bool(plain.get("agencies"))
    try:
        return Scenario.model_validate(probe_document(plain)), has_agencies
    except ValidationError as e:
        raise InputError(validation_problems(e, doc, str(path))) from None


def fire_coverage(sc, cm) -> tuple[float | None, float | None, int]:
    """Shares of grids within 5 and 10 minutes' travel of the nearest fire station (role ``fire``)."""
    roles = {a.id: a.role for a in sc.agencies}
    fire = [s for s in sc.stations if roles.get(s.agency) == "fire"]
    if not fire:
        return None, None, 0
    t = cm.travel_from([cm.index[s.grid] for s in fire]).min(axis=0)
    return float(np.mean(t <= 300)), float(np.mean(t <= 600)), len(fire)


def summarise(path: Path) -> dict[str, Any]:
    from simulation.model.citymap import build_citymap

    sc, has_agencies = load_district(path)
    e = sc.city.explicit
    cm = build_citymap(sc.city)
    within5, within10, n_fire = fire_coverage(sc, cm)
    roads: dict[str, Any]
    if e.road_network is not None:
        roads = {"kind": "road_network", "nodes": e.road_network.nodes, "edges": e.road_network.edges,
                 "source": e.road_network.source}
    elif e.straight_line is not None:
        roads = {"kind": "straight_line", "circuity": e.straight_line.circuity, "speed_kmh": e.straight_line.speed_kmh}
    else:
        roads = {"kind": "grid_roads", "edges": len(e.roads)}
    return {
        "district": e.district,
        "source_crs": e.source.crs if e.source else None,
        "grids": len(e.grids),
        "streets": len(sc.city.street_ids()),
        "communities": len({g.community for g in e.grids if g.community}),
        "households": int(sum(g.households for g in e.grids)),
        "population": int(cm.population.sum()),
        "agencies": len(sc.agencies) if has_agencies else 0,
        "stations": len(sc.stations),
        "fire_stations": n_fire,
        "units": int(sum(u.count for u in sc.units)),
        # imported station areas (辖区, --station-areas): grids that carry one, and the stations they name
        "station_area_grids": sum(1 for g in e.grids if g.station_area),
        "station_area_stations": len({g.station_area for g in e.grids if g.station_area}),
        "roads": roads,
        "fire_within_5_min": within5,
        "fire_within_10_min": within10,
        "illustrative": list(e.source.illustrative) if e.source else [],
    }
