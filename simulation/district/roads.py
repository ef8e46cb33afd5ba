"""Roads from an OpenStreetMap file (``.osm`` XML or ``.osm.pbf``), read with pyosmium — no download.

Drivable ``highway`` ways become undirected edges between consecutive nodes (emergency vehicles may
disregard the direction of travel: 道路交通安全法 第五十三条). Speed: the way's ``maxspeed`` when it is a
number, else the class default below. The graph's connected components are counted; every grid hangs on
the nearest node of the largest one, and a grid farther than ``max_access_m`` from it — a road network in
pieces that leaves the grid unreachable — is refused, naming the grid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scenarios.errors import InputError

CLASS_SPEED_KMH = {
    "motorway": 80, "trunk": 60, "primary": 50, "secondary": 50, "tertiary": 50,
    "motorway_link": 40, "trunk_link": 40, "primary_link": 30, "secondary_link": 30, "tertiary_link": 30,
    "unclassified": 30, "residential": 30, "living_street": 20, "service": 20, "road": 30,
}
"""Speed where a way has no numeric ``maxspeed``. Urban roads without a centre line 30 km/h, with one lane
each way 50 km/h (道路交通安全法实施条例 第四十五条); 80 on an urban expressway and 60 on a trunk road are
common posted limits (assumption); 20 on living streets and service roads (assumption)."""
ACCESS_KMH = 20.0
"""Speed from a grid's road node to its centroid (the last stretch through a compound; assumption)."""
_MPH = 1.609344


@dataclass
class RoadGraph:
    """An undirected road graph in WGS-84 and metres: one row per kept node, one per edge (u < v)."""

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    speed_kmh: np.ndarray
    highway: list[str]
    pieces: int  # connected components in the file's drivable roads
    source: str

    @property
    def nodes(self) -> int:
        return len(self.lon)

    def seconds(self) -> np.ndarray:
        return self.length_m / (self.speed_kmh / 3.6)


def maxspeed_kmh(tag: str | None) -> float | None:
    """``"60"``, ``"60 km/h"``, ``"30 mph"`` → km/h; anything else (``"signals"``, ``"CN:urban"``) → None."""
    if not tag:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|mph)?\s*", tag)
    if m is None:
        return None
    v = float(m.group(1)) * (_MPH if m.group(2) == "mph" else 1.0)
    return v if 0 < v <= 130 else None


def read_osm(path: Path) -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], str, float]]]:
    """Node locations and drivable ways (node refs, highway class, km/h) of an OSM file."""
    import osmium

    if not path.is_file():
        raise InputError.one(str(path), None, "", "road file not found")
    locs: dict[int, tuple[float, float]] = {}
    ways: list[tuple[list[int], str, float]] = []
    try:
        for obj in osmium.FileProcessor(str(path)).with_locations():
            if obj.is_way():
                hw = obj.tags.get("highway")
                if hw not in CLASS_SPEED_KMH or obj.tags.get("area") == "yes":
                    continue
                refs = []
                for n in obj.nodes:
                    if not n.location.valid():
                        raise InputError.one(str(path), None, f"way[{obj.id}].nd[{n.ref}]",
                                             "node has no location (the extract cut the way)")
                    locs[n.ref] = (n.location.lon, n.location.lat)
                    refs.append(n.ref)
                speed = maxspeed_kmh(obj.tags.get("maxspeed")) or float(CLASS_SPEED_KMH[hw])
                if len(refs) >= 2:
                    ways.append((refs, hw, speed))
    except RuntimeError as e:  # libosmium's parse errors
        raise InputError.one(str(path), None, "", f"cannot read as OpenStreetMap XML or PBF: {e}") from None
    if not ways:
        raise InputError.one(str(path), None, "highway", "no drivable highway ways in the file")
    return locs, ways


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle metres on the IUGG mean Earth radius (6,371,008.8 m); under 0.5 % from the ellipsoid."""
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def build_graph(path: Path, projected: str) -> RoadGraph:
    """The file's drivable roads as an undirected graph (parallel edges: the fastest one kept)."""
    from simulation.district.crs import Projector

    locs, ways = read_osm(path)
    ids = sorted(locs)
    row = {nid: i for i, nid in enumerate(ids)}
    lon = np.array([locs[i][0] for i in ids])
    lat = np.array([locs[i][1] for i in ids])
    u, v, speed, hw = [], [], [], []
    for refs, cls, kmh in ways:
        r = [row[n] for n in refs]
        for a, b in zip(r[:-1], r[1:]):
            if a != b:
                u.append(min(a, b))
                v.append(max(a, b))
                speed.append(kmh)
                hw.append(cls)
    u_a, v_a, sp = np.array(u), np.array(v), np.array(speed, float)
    length = np.maximum(haversine_m(lon[u_a], lat[u_a], lon[v_a], lat[v_a]), 0.1)  # a zero weight is no edge
    keep = _fastest(u_a, v_a, length / sp)
    x, y = Projector(projected).xy(lon, lat)
    return RoadGraph(lon, lat, x, y, u_a[keep], v_a[keep], length[keep], sp[keep], [hw[k] for k in keep], 0,
                     f"{path.name} (OpenStreetMap, read with pyosmium)")


def _fastest(u: np.ndarray, v: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Indices keeping, for each node pair, the edge of least travel time (first one on a tie)."""
    order = np.lexsort((np.arange(len(u)), cost, v, u))
    pair = np.column_stack([u[order], v[order]])
    first = np.ones(len(order), bool)
    first[1:] = np.any(pair[1:] != pair[:-1], axis=1)
    return np.sort(order[first])


def main_component(g: RoadGraph) -> RoadGraph:
    """The largest connected component, nodes renumbered; ``pieces`` counts the components there were."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = coo_matrix((g.seconds(), (g.u, g.v)), shape=(g.nodes, g.nodes))
    pieces, label = connected_components(m, directed=False)
    big = np.bincount(label).argmax()
    keep_node = label == big
    new = np.cumsum(keep_node) - 1
    keep_edge = keep_node[g.u]
    return RoadGraph(g.lon[keep_node], g.lat[keep_node], g.x[keep_node], g.y[keep_node], new[g.u[keep_edge]],
                     new[g.v[keep_edge]], g.length_m[keep_edge], g.speed_kmh[keep_edge],
                     [h for h, k in zip(g.highway, keep_edge) if k], int(pieces), g.source)


def anchor_grids(g: RoadGraph, ids: list[str], gx: np.ndarray, gy: np.ndarray, max_access_m: float,
                 path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Each grid's nearest node of the main component and the access seconds; refuse unreachable grids."""
    from scipy.spatial import cKDTree

    dist, node = cKDTree(np.column_stack([g.x, g.y])).query(np.column_stack([gx, gy]))
    far = np.flatnonzero(dist > max_access_m)
    if len(far):
        i = int(far[0])
        raise InputError.one(str(path), None, f"grids[{ids[i]}].road_node",
                             f"grid '{ids[i]}' is {dist[i]:.0f} m from the connected road network (limit "
                             f"{max_access_m:.0f} m; the file's roads are in {g.pieces} piece(s) and only the "
                             f"largest is used): it cannot be reached by road ({len(far)} grid(s) in all)")
    return node.astype(np.int64), dist / (ACCESS_KMH / 3.6)


def write_edges(g: RoadGraph, out: Path) -> None:
    """The edge table the engine reads (``u``, ``v``, ``length_m``, ``speed_kmh``) plus drawing columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "u": pa.array(g.u, pa.int64()), "v": pa.array(g.v, pa.int64()),
        "length_m": pa.array(g.length_m), "speed_kmh": pa.array(g.speed_kmh),
        "highway": pa.array(g.highway, pa.string()),
        "lon_u": pa.array(g.lon[g.u]), "lat_u": pa.array(g.lat[g.u]),
        "lon_v": pa.array(g.lon[g.v]), "lat_v": pa.array(g.lat[g.v]),
    })
    pq.write_table(table, out)
