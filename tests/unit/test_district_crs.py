"""Coordinate conversions of the district import, checked against published reference points."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.errors import InputError
from simulation.district.crs import Projector, SourceCRS, gcj02_to_wgs84, parse_crs, to_wgs84, utm_for

EVILTRANSFORM_POINTS = [
    # (WGS-84 lat, lon, GCJ-02 lat, lon)
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
"""The reference pairs of googollee/eviltransform's test suite (python/tests.py), the widely used
open implementation of the GCJ-02 offset."""


@pytest.mark.parametrize("wlat, wlon, glat, glon", EVILTRANSFORM_POINTS)
def test_gcj02_source_points_come_back_to_their_published_wgs84(wlat, wlon, glat, glon) -> None:
    """A GCJ-02 point converts to the published WGS-84 point within 1e-7° (about 1 cm): the library's
    one-step inverse alone is metres off, so this fails without the fixed-point refinement."""
    lon, lat = to_wgs84(np.array([glon]), np.array([glat]), parse_crs("gcj02", "--crs"))
    assert lon[0] == pytest.approx(wlon, abs=1e-7)
    assert lat[0] == pytest.approx(wlat, abs=1e-7)


def test_one_step_inverse_alone_is_metres_off() -> None:
    """The refinement matters: with no fixed-point steps the Shanghai point is more than 1 m away."""
    wlat, wlon, glat, glon = EVILTRANSFORM_POINTS[0]
    lon, lat = gcj02_to_wgs84(np.array([glon]), np.array([glat]), steps=0)
    metres = np.hypot((lon[0] - wlon) * 111_320 * np.cos(np.radians(wlat)), (lat[0] - wlat) * 110_574)
    assert metres > 1.0


def test_cgcs2000_is_wgs84_to_the_centimetre() -> None:
    """CGCS2000 (EPSG:4490) and WGS-84 agree to a few centimetres (Yang Yuanxi 2009, "Chinese geodetic
    coordinate system 2000", Chinese Science Bulletin 54:2714–2721); PROJ converts with the identity."""
    lon, lat = to_wgs84(np.array([121.4]), np.array([31.25]), parse_crs("cgcs2000", "--crs"))
    assert (lon[0], lat[0]) == pytest.approx((121.4, 31.25), abs=1e-9)


def test_cgcs2000_gauss_kruger_input_comes_back_to_degrees() -> None:
    """A projected CGCS2000 source (3° Gauss–Krüger, CM 120° E, EPSG:4549) is read through PROJ: the
    projection's own forward of a point comes back to it."""
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True).transform(121.4, 31.25)
    lon, lat = to_wgs84(np.array([x]), np.array([y]), parse_crs("EPSG:4549", "--crs"))
    assert (lon[0], lat[0]) == pytest.approx((121.4, 31.25), abs=1e-8)
    assert x == pytest.approx(633_000, abs=2_000)  # 1.4° east of the central meridian: ~133 km + 500 km false easting


def test_utm_matches_geographiclib_reference() -> None:
    """GeographicLib's GeoConvert documentation: 33.3° N 44.4° E is UTM 38n 444140.54 3684706.36."""
    assert utm_for(44.4, 33.3) == "EPSG:32638"
    x, y = Projector("EPSG:32638").xy(np.array([44.4]), np.array([33.3]))
    assert (x[0], y[0]) == pytest.approx((444140.54, 3684706.36), abs=0.01)


def test_putuo_is_in_utm_zone_51() -> None:
    assert utm_for(121.4, 31.25) == "EPSG:32651"


@pytest.mark.parametrize("text, label", [("wgs84", "EPSG:4326"), ("WGS-84", "EPSG:4326"), ("EPSG:4490", "EPSG:4490"),
                                         ("cgcs2000", "EPSG:4490"), ("GCJ-02", "GCJ-02"), ("epsg:4549", "EPSG:4549")])
def test_crs_names(text, label) -> None:
    assert parse_crs(text, "--crs") == SourceCRS(label)


@pytest.mark.parametrize("text", ["bd09", "EPSG:999999", "mars"])
def test_unknown_crs_is_refused(text) -> None:
    with pytest.raises(InputError) as e:
        parse_crs(text, "grids.shp")
    assert str(e.value).startswith("grids.shp: crs: unknown CRS")
