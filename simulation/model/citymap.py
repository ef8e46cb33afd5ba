"""CityMap: grids, the road graph and station→grid travel times (precomputed once per scenario).

Travel times come from one multi-source Dijkstra (``scipy.sparse.csgraph``) over the road graph, from
the grids that hold stations to every grid, so the engine's dispatch is a table look-up. The road graph
is grid to grid (a generated lattice, or roads listed between grids), or a real road network of an
imported district whose nodes are road junctions: each grid then hangs on its nearest node (``anchor``)
with an access time at each end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from scenarios.city import City


@dataclass(frozen=True)
class CityMap:
    district: str
    grid_ids: list[str]
    index: dict[str, int]
    x: np.ndarray
    y: np.ndarray
    households: np.ndarray
    population: np.ndarray
    grid_workers: np.ndarray
    street: np.ndarray  # street index per grid
    street_ids: list[str]
    road: coo_matrix  # travel seconds between adjacent grids (or road nodes, with ``anchor``)
    access: float  # seconds from a grid's road node to a point inside the grid
    grid_size_m: float
    anchor: np.ndarray | None = None  # road node of each grid (real road network) or None (grid graph)
    grid_access: np.ndarray | None = None  # seconds from each grid's road node to its centroid
    straight_line: tuple[float, float] | None = None  # (circuity, metres per second) without roads

    @property
    def n(self) -> int:
        return len(self.grid_ids)

    def street_of(self, grid: str) -> str:
        return self.street_ids[int(self.street[self.index[grid]])]

    def travel_from(self, origins: list[int]) -> np.ndarray:
        """Seconds from each origin grid to every grid (rows: origins), access time included."""
        if not origins:
            return np.zeros((0, self.n))
        if self.straight_line is not None:
            circuity, v = self.straight_line
            o = np.asarray(origins, dtype=np.int64)
            return np.hypot(self.x[o][:, None] - self.x[None, :], self.y[o][:, None] - self.y[None, :]) * circuity / v
        if self.anchor is None:
            t = dijkstra(self.road.tocsr(), directed=False, indices=np.asarray(origins, dtype=np.int64))
            return np.atleast_2d(t) + self.access
        return road_times(self.road.tocsr(), self.anchor, self.grid_access, np.asarray(origins, dtype=np.int64))


def road_times(road, anchor: np.ndarray, grid_access: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """Seconds from each origin grid to every grid over a road-node graph: access + road + access.

    Roads are undirected on purpose: fire engines, police cars and ambulances on an emergency task may
    disregard the direction of travel (道路交通安全法 第五十三条), so a one-way street is two-way to them.
    """
    out = np.empty((len(origins), len(anchor)))
    for k in range(0, len(origins), ORIGIN_CHUNK):  # chunks: peak memory ≈ the table, not 2–3 × it
        o = origins[k:k + ORIGIN_CHUNK]
        part = out[k:k + ORIGIN_CHUNK]
        part[:] = np.atleast_2d(dijkstra(road, directed=False, indices=anchor[o]))[:, anchor]
        part += grid_access[o][:, None]
        part += grid_access[None, :]
    return out


ORIGIN_CHUNK = 32
"""Origins per Dijkstra call over a road-node graph (each call holds origins × road nodes)."""


def build_citymap(city: City) -> CityMap:
    if city.generated is not None:
        return _generated(city)
    return _explicit(city)


def _generated(city: City) -> CityMap:
    g = city.generated
    assert g is not None
    ids = city.grid_ids()
    n = len(ids)
    cols = math.ceil(math.sqrt(n))
    idx = np.arange(n)
    col, row = idx % cols, idx // cols
    x = (col + 0.5) * g.grid_size_m
    y = (row + 0.5) * g.grid_size_m
    rng = np.random.default_rng(np.random.SeedSequence(g.seed, spawn_key=(0xC17,)))
    hh = np.maximum(0, np.rint(g.households.sample(rng, n))).astype(np.int64)
    pop = np.rint(hh * g.persons_per_household).astype(np.int64)
    per_street = g.communities_per_street * g.grids_per_community
    street = idx // per_street
    v = g.road_speed_kmh / 3.6
    va = g.arterial_speed_kmh / 3.6
    k = g.arterial_every
    rows_i, cols_i, w = [], [], []
    right = idx[(col + 1 < cols) & (idx + 1 < n)]
    speed_h = np.where((k > 0) & (row[right] % max(k, 1) == 0), va, v) if k else np.full(len(right), v)
    rows_i.append(right), cols_i.append(right + 1), w.append(g.grid_size_m / speed_h)
    down = idx[idx + cols < n]
    speed_v = np.where((k > 0) & (col[down] % max(k, 1) == 0), va, v) if k else np.full(len(down), v)
    rows_i.append(down), cols_i.append(down + cols), w.append(g.grid_size_m / speed_v)
    road = coo_matrix((np.concatenate(w), (np.concatenate(rows_i), np.concatenate(cols_i))), shape=(n, n))
    return CityMap(
        district=g.district, grid_ids=ids, index={gid: i for i, gid in enumerate(ids)},
        x=x.astype(float), y=y.astype(float), households=hh, population=pop,
        grid_workers=np.full(n, g.grid_workers_per_grid), street=street,
        street_ids=city.street_ids(), road=road, access=(g.grid_size_m / 2) / v, grid_size_m=g.grid_size_m,
    )


def _explicit(city: City) -> CityMap:
    e = city.explicit
    assert e is not None
    ids = [gr.id for gr in e.grids]
    index = {gid: i for i, gid in enumerate(ids)}
    streets = city.street_ids()
    sidx = {s: i for i, s in enumerate(streets)}
    n = len(ids)
    anchor = grid_access = None
    if e.road_network is not None:
        road = read_road_network(e.road_network.file, e.road_network.nodes)
        anchor = np.array([gr.road_node for gr in e.grids], dtype=np.int64)
        grid_access = np.array([gr.access_s for gr in e.grids], float)
    elif e.roads:
        r = np.array([index[rd.from_] for rd in e.roads])
        c = np.array([index[rd.to] for rd in e.roads])
        w = np.array([rd.length_m / (rd.speed_kmh / 3.6) for rd in e.roads])
    else:
        r = c = np.zeros(0, dtype=np.int64)
        w = np.zeros(0)
    if anchor is None:
        road = coo_matrix((w, (r, c)), shape=(n, n))
    return CityMap(
        district=e.district,
        grid_ids=ids,
        index=index,
        x=np.array([gr.x for gr in e.grids], float),
        y=np.array([gr.y for gr in e.grids], float),
        households=np.array([gr.households for gr in e.grids], np.int64),
        population=np.array(
            [gr.population if gr.population is not None else round(gr.households * 2.6) for gr in e.grids], np.int64
        ),
        grid_workers=np.array([gr.grid_workers for gr in e.grids], float),
        street=np.array([sidx[gr.street] for gr in e.grids]),
        street_ids=streets,
        road=road,
        access=0.0,
        grid_size_m=_spacing(np.array([gr.x for gr in e.grids], float), np.array([gr.y for gr in e.grids], float)),
        anchor=anchor,
        grid_access=grid_access,
        straight_line=None if e.straight_line is None else (e.straight_line.circuity, e.straight_line.speed_kmh / 3.6),
    )


def _spacing(x: np.ndarray, y: np.ndarray) -> float:
    """Median distance from a grid to its nearest neighbour: the size maps draw a listed grid at (0 for one)."""
    if len(x) < 2:
        return 0.0
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=2)
    return float(np.median(d[:, 1]))


def read_road_network(file: str, nodes: int) -> coo_matrix:
    """The road network's edge table as a sparse matrix of free-flow travel seconds."""
    import pyarrow.parquet as pq

    t = pq.read_table(file, columns=["u", "v", "length_m", "speed_kmh"])
    u = t.column("u").to_numpy()
    v = t.column("v").to_numpy()
    sec = t.column("length_m").to_numpy() / (t.column("speed_kmh").to_numpy() / 3.6)
    return coo_matrix((sec, (u, v)), shape=(nodes, nodes))
