"""A district boundary cut into grids of a target size (网格划分) when the district's own grids are not at hand.

Square cells whose count makes the average grid hold ``households_per_grid`` households (the urban
community grid of domain.md: 300–500 households), clipped to the boundary; a clipped sliver under a
quarter of a cell joins the neighbour it shares the longest border with. Households are spread in
proportion to area (uniform density — an assumption the district file records as illustrative).
Streets are equal-count strips west to east and communities runs of ``grids_per_community`` south to
north inside a strip: ids ``{district}-S{street}-C{community}-G{grid}`` (the district's name first, so
a scenario's ``S1-C1-G1`` of the demo lattice never silently means a grid here). They are not the
district's real streets.
"""

from __future__ import annotations

import math

import numpy as np

from simulation.district.grids import GridLayer

SLIVER = 0.25
"""A clipped cell under this share of a full cell joins a neighbour."""


def cut_cells(boundary, side: float) -> list:
    """Square cells of ``side`` metres over the boundary's bounds, clipped to it (non-empty parts)."""
    import shapely

    x0, y0, x1, y1 = boundary.bounds
    nx, ny = math.ceil((x1 - x0) / side), math.ceil((y1 - y0) / side)
    xs, ys = np.meshgrid(x0 + np.arange(nx) * side, y0 + np.arange(ny) * side)
    boxes = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + side, ys.ravel() + side)
    shapely.prepare(boundary)
    inside = boxes[shapely.intersects(boundary, boxes)]
    clipped = shapely.intersection(inside, boundary)
    keep = [shapely.make_valid(c) for c in clipped if shapely.area(c) > 0]
    return [_polygonal(c) for c in keep]


def _polygonal(g):
    """Only the polygon parts of a clip (a clip can add stray lines or points along the border)."""
    import shapely

    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def merge_slivers(cells: list, full: float) -> list:
    """Join each cell under ``SLIVER`` × a full cell to the neighbour with the longest shared border."""
    import shapely

    cells = list(cells)
    tree = shapely.STRtree(np.asarray(cells, dtype=object))
    into = list(range(len(cells)))  # where each cell's area went

    def home(j: int) -> int:
        while into[j] != j:
            j = into[j]
        return j

    for i in sorted(range(len(cells)), key=lambda i: shapely.area(cells[i])):
        if shapely.area(cells[i]) >= SLIVER * full:
            break
        edge = shapely.boundary(cells[i])
        near = [int(j) for j in tree.query(cells[i], predicate="intersects") if home(int(j)) != i]
        shared = [shapely.length(shapely.intersection(edge, shapely.boundary(cells[home(j)]))) for j in near]
        if near and max(shared) > 0:  # an island sliver with no neighbour stays a grid of its own
            best = home(near[int(np.argmax(shared))])
            cells[best] = _polygonal(shapely.union(cells[best], cells[i]))
            into[i] = best
    return [c for k, c in enumerate(cells) if into[k] == k]


def spread(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole households in proportion to ``weights`` that add up to ``total`` (largest remainders)."""
    share = weights / weights.sum() * total
    out = np.floor(share).astype(np.int64)
    rest = total - int(out.sum())
    out[np.argsort(-(share - out), kind="stable")[:rest]] += 1
    return out


def tessellate(boundary_wgs, boundary_utm, crs, projected: str, population: int, persons_per_household: float,
               households_per_grid: int, streets: int, grids_per_community: int, district: str) -> GridLayer:
    """Grids cut from the district outline, with streets and communities laid out as strips."""
    import shapely

    households = round(population / persons_per_household)
    n_target = max(1, round(households / households_per_grid))
    side = math.sqrt(shapely.area(boundary_utm) / n_target)
    cells = merge_slivers(cut_cells(boundary_utm, side), side * side)
    cent = shapely.centroid(np.asarray(cells, dtype=object))
    cx, cy = shapely.get_x(cent), shapely.get_y(cent)
    by_x = np.lexsort((cy, cx))
    strips = np.array_split(by_x, min(streets, len(cells)))
    ids, street, community, order = [], [], [], []
    for s, strip in enumerate(strips, start=1):
        strip = strip[np.lexsort((cx[strip], cy[strip]))]
        for k, i in enumerate(strip):
            c, g = k // grids_per_community + 1, k % grids_per_community + 1
            ids.append(f"{district}-S{s}-C{c}-G{g}")
            street.append(f"S{s}")
            community.append(f"S{s}-C{c}")
            order.append(int(i))
    utm = np.asarray([cells[i] for i in order], dtype=object)
    areas = shapely.area(utm)
    hh = spread(households, areas)
    pop = spread(population, areas)
    back = _to_wgs(utm, projected)
    return GridLayer(ids, [None] * len(ids), street, community, hh, pop, back, utm, crs, projected)


def _to_wgs(utm: np.ndarray, projected: str) -> np.ndarray:
    import shapely
    from pyproj import Transformer

    t = Transformer.from_crs(projected, "EPSG:4326", always_xy=True)
    return shapely.transform(utm, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
