"""The one reading of an imported district's shapes (simulation.model.grid_shapes), used by the offline HTML
map (``linkage district map``), the dashboard's district map and the briefing's map.

Shows, on the bundled example district (Putuo): every grid's rings, in the city map's order and in metres
of the district's projection — each grid's area from its rings (shoelace formula) equals geopandas' area
of the same polygon projected; on a small imported district with roads, the road polyline has one piece
per edge of the road table, in the grids' metres. And the two
map modules that each had their own copy of this reading now draw from this one.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"


def _shoelace(xs: list, ys: list) -> float:
    """Area of the rings (each ring taken about its own first vertex: UTM northings of 3,000 km would
    otherwise cancel the digits away)."""
    area, ring_x, ring_y = 0.0, [], []
    for x, y in zip(xs, ys):
        if x is None:
            a, b = np.array(ring_x) - ring_x[0], np.array(ring_y) - ring_y[0]
            area += abs(np.dot(a, np.roll(b, -1)) - np.dot(b, np.roll(a, -1))) / 2
            ring_x, ring_y = [], []
        else:
            ring_x.append(x)
            ring_y.append(y)
    return area


@pytest.fixture(scope="module")
def district():
    from simulation.district.summary import load_district

    sc, _ = load_district(PUTUO)
    return sc.city.explicit


def test_grid_rings_are_the_polygons_in_metres_in_grid_order(district) -> None:
    import geopandas as gpd

    from simulation.model.grid_shapes import grid_rings

    order = tuple(g.id for g in district.grids)
    rings = grid_rings(district.grids_file, district.source.projected_crs, order)
    gdf = gpd.read_parquet(district.grids_file).set_index("id").loc[list(order)].to_crs(district.source.projected_crs)
    assert len(rings) == len(order) == 1405
    got = np.array([_shoelace(xs, ys) for xs, ys in rings])
    # exterior rings only: a grid with a hole would differ by the hole; the example's grids have none
    assert np.allclose(got, gdf.geometry.area.to_numpy(), rtol=1e-6)
    assert 10_000 < np.median(got) < 200_000  # square metres: a grid of 300–500 households, not degrees²


def test_road_polyline_has_one_piece_per_road_edge(cli, tmp_path) -> None:
    """A district imported with an OpenStreetMap lattice of 24 road segments (the example has no roads)."""
    import pyarrow.parquet as pq

    from simulation.district.summary import load_district
    from simulation.model.grid_shapes import road_polyline
    from tests.district_data import square_grid_layer, write_layer, write_osm_lattice

    out = tmp_path / "d" / "small.yaml"
    r = cli("district", "import", "--name", "small", "--out", out, "--grids",
            write_layer(square_grid_layer(4, 3), tmp_path / "g.geojson"),
            "--roads", write_osm_lattice(tmp_path / "r.osm"))
    assert r.returncode == 0, r.stderr
    e = load_district(out)[0].city.explicit
    xs, ys = road_polyline(e.road_network.file, e.source.projected_crs)
    edges = pq.read_table(e.road_network.file).num_rows
    assert edges == 24 and len(xs) == 3 * edges and int(np.isnan(xs).sum()) == edges
    grid_x = np.array([g.x for g in e.grids])
    # the roads in the grids' own metres: within the lattice's extent, not in degrees
    assert grid_x.min() - 1000 < np.nanmin(xs) and np.nanmax(xs) < grid_x.max() + 1000 and np.nanmax(xs) > 1000


def test_both_district_maps_read_the_shapes_from_the_one_home() -> None:
    import inspect

    from simulation.district import mapview
    from simulation.experiments import district_map

    for module in (mapview, district_map):
        src = inspect.getsource(module)
        assert "grid_shapes.grid_rings(" in src and "read_parquet" not in src and "exterior" not in src
