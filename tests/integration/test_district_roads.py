"""Roads from OpenStreetMap: XML and PBF read alike; the engine's station-to-grid times are shortest paths.

The extract is a 4 × 4 street lattice the test writes with pyosmium (``tests/district_data.py``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pytest

from simulation.district.roads import CLASS_SPEED_KMH, haversine_m, maxspeed_kmh
from tests.district_data import district_doc, small_tables, square_grid_layer, write_layer, write_osm_lattice


def _import(cli, tmp, roads, *extra):
    out = tmp / "out" / "d.yaml"
    tmp.mkdir(parents=True, exist_ok=True)
    r = cli("district", "import", "--name", "d", "--out", out,
            "--grids", write_layer(square_grid_layer(), tmp / "g.geojson"), "--roads", roads, *extra)
    assert r.returncode == 0, r.stderr
    return out


def _edges(out):
    import pyarrow.parquet as pq

    return pq.read_table(out.with_name("d.roads.parquet")).to_pandas()


def test_xml_and_pbf_give_the_same_district(cli, tmp_path) -> None:
    a = _import(cli, tmp_path / "xml", write_osm_lattice(tmp_path / "r.osm"))
    b = _import(cli, tmp_path / "pbf", write_osm_lattice(tmp_path / "r.osm.pbf"))
    da, db = district_doc(a), district_doc(b)
    assert da["city"]["explicit"]["grids"] == db["city"]["explicit"]["grids"]
    assert _edges(a).equals(_edges(b))
    rn = da["city"]["explicit"]["road_network"]
    assert (rn["nodes"], rn["edges"]) == (16, 24)  # 4 × 4 junctions; 12 row + 12 column segments


def test_edges_are_the_files_drivable_ways(cli, tmp_path) -> None:
    """Read the XML independently (ElementTree): every drivable segment is an edge of haversine length with
    the way's maxspeed or its class default; the footway is not a road; the one-way row is kept two-way."""
    osm = write_osm_lattice(tmp_path / "r.osm")
    edges = _edges(_import(cli, tmp_path, osm))
    root = ET.parse(osm).getroot()
    loc = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    want = []
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        if tags["highway"] not in CLASS_SPEED_KMH:
            continue
        refs = [nd.get("ref") for nd in w.iter("nd")]
        speed = maxspeed_kmh(tags.get("maxspeed")) or CLASS_SPEED_KMH[tags["highway"]]
        for p, q in zip(refs[:-1], refs[1:]):
            want.append((haversine_m(*loc[p], *loc[q]), speed))
    got = sorted(zip(edges["length_m"].round(6), edges["speed_kmh"]))
    assert got == sorted((round(float(m), 6), float(s)) for m, s in want)
    assert set(edges["highway"]) == {"residential", "secondary"}
    assert sorted(set(edges["speed_kmh"])) == [30.0, 40.0]  # residential: class default; secondary: maxspeed=40


def test_station_to_grid_times_equal_networkx_shortest_paths(cli, tmp_path) -> None:
    """The engine's travel table (scipy.sparse.csgraph Dijkstra from the station's grid) equals networkx's
    Dijkstra on the same edges, with each grid's access time added at both ends."""
    from simulation.district.summary import load_district
    from simulation.model.citymap import build_citymap

    t = small_tables(tmp_path)
    out = _import(cli, tmp_path, write_osm_lattice(tmp_path / "r.osm.pbf", drop=(2, 1)),
                  "--agencies", t["agencies"], "--stations", t["stations"])
    sc, _ = load_district(out)
    cm = build_citymap(sc.city)
    station = next(s for s in sc.stations if s.id == "fs1")
    engine = cm.travel_from([cm.index[station.grid]])[0]

    e = _edges(out)
    g = nx.Graph()
    for u, v, m, kmh in zip(e["u"], e["v"], e["length_m"], e["speed_kmh"]):
        g.add_edge(int(u), int(v), weight=m / (kmh / 3.6))
    grids = {gr.id: gr for gr in sc.city.explicit.grids}
    src = grids[station.grid]
    dist = nx.single_source_dijkstra_path_length(g, src.road_node, weight="weight")
    for gid, k in cm.index.items():
        want = src.access_s + dist[grids[gid].road_node] + grids[gid].access_s
        assert engine[k] == pytest.approx(want, rel=1e-9), gid
    assert np.ptp(engine) > 60  # the times differ across grids: the check compares something


def test_a_small_unused_piece_is_dropped_and_counted(cli, tmp_path) -> None:
    """An island road nobody's grid is near: dropped from the graph; the file records 2 pieces read."""
    from simulation.district.roads import build_graph, main_component

    osm = write_osm_lattice(tmp_path / "r.osm", island=True)
    g = main_component(build_graph(osm, "EPSG:32651"))
    assert (g.pieces, g.nodes) == (2, 16)

