"""Cutting a district outline into grids: the grids tile the outline, households add up, slivers join."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from simulation.district.crs import SourceCRS
from simulation.district.tessellate import SLIVER, merge_slivers, spread, tessellate


def test_spread_adds_up_and_stays_proportional() -> None:
    w = np.array([1.0, 2.0, 3.0, 0.5])
    out = spread(1001, w)
    assert out.sum() == 1001
    assert np.all(np.abs(out - w / w.sum() * 1001) < 1)


def test_a_sliver_joins_its_longest_border_neighbour() -> None:
    """A 10 m strip along the east side of a 400 m cell merges into that cell, not the one it only touches."""
    big = box(0, 0, 400, 400)
    corner = box(400, 400, 800, 800)  # touches the strip at a point only
    strip = box(400, 0, 410, 400)
    out = merge_slivers([big, corner, strip], 400 * 400)
    assert len(out) == 2
    assert shapely.area(out[0]) == pytest.approx(410 * 400)


def test_tessellated_grids_tile_an_l_shaped_outline() -> None:
    """An L-shaped 3.2 km² outline, 32,000 residents, 2.5 per household, 400 households per grid: the grids
    cover the outline exactly, never overlap, hold every household, and no sliver is left alone."""
    outline = Polygon([(0, 0), (2000, 0), (2000, 800), (800, 800), (800, 2000), (0, 2000)])
    layer = tessellate(outline, outline, SourceCRS("EPSG:32651"), "EPSG:32651", 32_000, 2.5, 400, 3, 5, "t")
    # _to_wgs runs on the metres: only the metric side is checked here
    cells = layer.utm
    assert sum(shapely.area(c) for c in cells) == pytest.approx(shapely.area(outline), rel=1e-9)
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(shapely.area(outline), rel=1e-9)
    side2 = shapely.area(outline) / 32  # 12,800 households / 400
    assert min(shapely.area(c) for c in cells) >= SLIVER * side2 - 1e-6
    assert layer.households.sum() == 12_800 and layer.population.sum() == 32_000
    assert len(set(layer.street)) == 3 and all(i.startswith("t-S") for i in layer.ids)
    assert len(set(layer.ids)) == len(layer.ids)
