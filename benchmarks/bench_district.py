"""City-scale travel times on a real-road-style network (issue 15): 68,000 grids, sparse shortest paths.

A synthetic road network stands in for a city's OpenStreetMap extract (no download here): a square lattice
of junctions ~120 m apart (every fifth street an arterial at 50 km/h, the others 30 km/h), one grid per
junction cell at the target count, each anchored to its nearest junction with the district import's own
code (cKDTree, connected components). Then, as ``build_world`` does, the station → grid travel table by
``CityMap.travel_from`` (scipy.sparse.csgraph Dijkstra from the stations' road nodes), against networkx's
single-source Dijkstra per station on the same edges (a few stations, scaled to all).

    .venv/bin/python benchmarks/bench_district.py [--grids 68000] [--stations 200] [--nx-stations 3] [--yaml]

Each size runs once; times are CPU seconds (``time.process_time``) and the wall in brackets; memory is the
tracemalloc peak of each step and the process's max RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
import tracemalloc

import numpy as np


def lattice(n_side: int, spacing: float = 120.0):
    """Junction coordinates and undirected edges (u < v, length m, km/h) of an n × n street lattice."""
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    x, y = np.meshgrid(np.arange(n_side) * spacing, np.arange(n_side) * spacing)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    rows = np.concatenate([np.repeat(np.arange(n_side), n_side - 1), np.repeat(np.arange(n_side - 1), n_side)])
    cols = np.concatenate([np.tile(np.arange(n_side - 1), n_side), np.tile(np.arange(n_side), n_side - 1)])
    arterial = np.concatenate([rows[: n_side * (n_side - 1)] % 5 == 0, cols[n_side * (n_side - 1):] % 5 == 0])
    speed = np.where(arterial, 50.0, 30.0)
    return x.ravel().astype(float), y.ravel().astype(float), u, v, np.full(len(u), spacing), speed


def timed(fn):
    tracemalloc.start()
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    c1, w1 = time.process_time(), time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, c1 - c0, w1 - w0, peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grids", type=int, default=68_000)
    ap.add_argument("--stations", type=int, default=200)
    ap.add_argument("--nx-stations", type=int, default=3)
    ap.add_argument("--yaml", action="store_true", help="also write, load and run a district file of that size")
    a = ap.parse_args()

    import networkx as nx
    from scipy.sparse import coo_matrix

    from simulation.district.roads import RoadGraph, anchor_grids, main_component
    from simulation.model.citymap import road_times

    side = math.ceil(math.sqrt(a.grids)) + 1  # junctions: one more per side than grid cells
    x, y, u, v, length, speed = lattice(side)
    g = RoadGraph(x, y, x, y, u, v, length, speed, ["residential"] * len(u), 0, "synthetic lattice")
    k = math.ceil(math.sqrt(a.grids))
    gi = np.arange(a.grids)
    gx, gy = (gi % k + 0.5) * 120.0 + 7.0, (gi // k + 0.5) * 120.0 + 3.0  # grid centroids between junctions
    ids = [f"G{i}" for i in gi]
    rng = np.random.default_rng(np.random.SeedSequence(15, spawn_key=(0xD15,)))  # benchmark layout only
    stations = np.sort(rng.choice(a.grids, size=a.stations, replace=False))

    gm, c_cc, w_cc, m_cc = timed(lambda: main_component(g))
    (node, access), c_an, w_an, m_an = timed(lambda: anchor_grids(gm, ids, gx, gy, 1000.0, None))
    csr = coo_matrix((gm.seconds(), (gm.u, gm.v)), shape=(gm.nodes, gm.nodes)).tocsr()
    table, c_sp, w_sp, m_sp = timed(lambda: road_times(csr, node, access, stations))

    nxg = nx.Graph()
    nxg.add_weighted_edges_from(zip(gm.u.tolist(), gm.v.tolist(), gm.seconds().tolist()))
    k_nx = min(a.nx_stations, a.stations)

    def with_nx():
        out = []
        for s in stations[:k_nx]:
            d = nx.single_source_dijkstra_path_length(nxg, int(node[s]), weight="weight")
            out.append(access[s] + np.array([d[int(n)] for n in node]) + access)
        return np.array(out)

    nx_table, c_nx, w_nx, m_nx = timed(with_nx)
    same = bool(np.allclose(nx_table, table[:k_nx], rtol=1e-9))
    per_station_sp = c_sp / a.stations
    per_station_nx = c_nx / k_nx
    res = {
        "grids": a.grids, "road_nodes": gm.nodes, "road_edges": int(len(gm.u)), "stations": a.stations,
        "components_cpu_s": round(c_cc, 3), "components_wall_s": round(w_cc, 3), "components_peak_mb": round(m_cc, 1),
        "anchor_cpu_s": round(c_an, 3), "anchor_wall_s": round(w_an, 3), "anchor_peak_mb": round(m_an, 1),
        "travel_table_cpu_s": round(c_sp, 3), "travel_table_wall_s": round(w_sp, 3),
        "travel_table_peak_mb": round(m_sp, 1), "travel_table_mb": round(table.nbytes / 2**20, 1),
        "networkx_cpu_s_per_station": round(per_station_nx, 3), "csgraph_cpu_s_per_station": round(per_station_sp, 4),
        "networkx_over_csgraph": round(per_station_nx / per_station_sp, 1), "networkx_equal": same,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if a.yaml:
        res |= district_file_rows(gm, ids, gx, gy, node, access, stations)
    print(json.dumps(res, indent=1))


def district_file_rows(gm, ids, gx, gy, node, access, stations) -> dict:
    """The whole path a run takes: write the district YAML + roads Parquet as the import does, then load
    and validate it (``linkage district show``'s loader) and build its map and travel table."""
    import tempfile
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.district.roads import write_edges
    from simulation.district.summary import load_district
    from simulation.district.yamlout import dump_yaml
    from simulation.model.citymap import build_citymap

    d = Path(tempfile.mkdtemp())
    write_edges(gm, d / "city.roads.parquet")
    pq.write_table(pa.table({"id": ids, "street": [f"S{i // 1000 + 1}" for i in range(len(ids))], "x": gx, "y": gy,
                             "households": np.full(len(ids), 400), "road_node": node,
                             "access_s": np.round(access, 1)}), d / "city.grids.parquet")
    doc = {"name": "city", "description": {"zh": "城市", "en": "city"}, "horizon": 3600,
           "city": {"explicit": {"district": "city", "grids_file": "city.grids.parquet",
                                 "road_network": {"file": "city.roads.parquet", "nodes": gm.nodes,
                                                  "edges": len(gm.u)}}},
           "agencies": [{"id": "fire_brigade", "role": "fire"}],
           "stations": [{"id": f"fs{k}", "agency": "fire_brigade", "grid": ids[s]} for k, s in enumerate(stations)]}
    dump_yaml(doc, d / "city.yaml")
    (sc, _), c_load, w_load, m_load = timed(lambda: load_district(d / "city.yaml"))
    cm, c_map, w_map, m_map = timed(lambda: build_citymap(sc.city))
    _, c_tt, w_tt, m_tt = timed(lambda: cm.travel_from([cm.index[s.grid] for s in sc.stations]))
    return {"yaml_kb": round((d / "city.yaml").stat().st_size / 2**10, 1),
            "grid_table_mb": round((d / "city.grids.parquet").stat().st_size / 2**20, 1),
            "load_validate_cpu_s": round(c_load, 2), "load_validate_wall_s": round(w_load, 2),
            "load_validate_peak_mb": round(m_load, 1), "citymap_cpu_s": round(c_map, 2),
            "travel_from_cpu_s": round(c_tt, 2), "travel_from_peak_mb": round(m_tt, 1),
            "max_rss_mb_after_file": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


if __name__ == "__main__":
    main()
