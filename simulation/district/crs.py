"""Coordinate reference systems of a district's source data (坐标系): WGS-84, CGCS2000 and GCJ-02.

Everything is brought to WGS-84 longitude/latitude (kept for maps) and to metres in the UTM zone of the
district's centroid (``x``/``y`` of the grids, used for distances).

- WGS-84 (EPSG:4326) and CGCS2000 (EPSG:4490, 2000国家大地坐标系) and any other EPSG code: ``pyproj``.
  CGCS2000 and WGS-84 agree to a few centimetres, so PROJ's transformation between them is the identity.
- GCJ-02 (国测局坐标, the "Mars" offset of Amap/Tencent maps) has no EPSG code: PROJ does not carry the
  obfuscation, so it is undone with the ``coordTransform`` package. Its inverse is the one-step
  approximation (metres off); three fixed-point steps with its forward transform bring it below a
  millimetre, which ``tests/unit/test_district_crs.py`` checks on published points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.errors import InputError

GCJ02 = "GCJ-02"
_ALIASES = {
    "wgs84": "EPSG:4326", "wgs-84": "EPSG:4326", "epsg:4326": "EPSG:4326", "4326": "EPSG:4326",
    "cgcs2000": "EPSG:4490", "epsg:4490": "EPSG:4490", "4490": "EPSG:4490",
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj": GCJ02,
}


@dataclass(frozen=True)
class SourceCRS:
    """A source CRS as the planner named it (``label``) and how to read it."""

    label: str  # "EPSG:4326", "EPSG:4490", "EPSG:4549" … or "GCJ-02"

    @property
    def is_gcj02(self) -> bool:
        return self.label == GCJ02

    @property
    def pyproj_crs(self) -> str:
        """The CRS PROJ reads the coordinates in (GCJ-02 is stored as if WGS-84 degrees)."""
        return "EPSG:4326" if self.is_gcj02 else self.label


def parse_crs(text: str, file: str, field: str = "crs") -> SourceCRS:
    """``wgs84``, ``cgcs2000``, ``gcj02`` or any ``EPSG:n`` PROJ knows; anything else is refused."""
    key = text.strip().lower()
    label = _ALIASES.get(key)
    if label is None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(text.strip())
        except CRSError:
            raise InputError.one(file, None, field, f"unknown CRS '{text}' (give wgs84, cgcs2000, gcj02 or EPSG:n)") \
                from None
        epsg = crs.to_epsg()
        if epsg is None:
            raise InputError.one(file, None, field, f"CRS '{text}' has no EPSG code (give wgs84, cgcs2000, gcj02 or "
                                                    "EPSG:n)")
        label = f"EPSG:{epsg}"
    return SourceCRS(label)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, steps: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Undo the GCJ-02 offset: start from the library's inverse, then refine with its forward transform."""
    import coordTransform as ct

    g_lon, g_lat = np.asarray(lon, float), np.asarray(lat, float)
    w_lon, w_lat = (np.asarray(a, float) for a in ct.gcj02_to_wgs84(g_lon, g_lat))
    for _ in range(steps):
        f_lon, f_lat = (np.asarray(a, float) for a in ct.wgs84_to_gcj02(w_lon, w_lat))
        w_lon, w_lat = w_lon + (g_lon - f_lon), w_lat + (g_lat - f_lat)
    return w_lon, w_lat


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: SourceCRS) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in WGS-84 of points given in ``crs``."""
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    if crs.is_gcj02:
        return gcj02_to_wgs84(x, y)
    if crs.label == "EPSG:4326":
        return x, y
    from pyproj import Transformer

    t = Transformer.from_crs(crs.label, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(x, y)
    return np.asarray(lon, float), np.asarray(lat, float)


def utm_for(lon: float, lat: float) -> str:
    """The WGS-84 UTM zone holding a point (``EPSG:326zz`` north, ``EPSG:327zz`` south)."""
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


class Projector:
    """WGS-84 degrees ↔ metres in one UTM zone (the district's ``x``/``y``)."""

    def __init__(self, projected: str) -> None:
        from pyproj import Transformer

        self.crs = projected
        self._fwd = Transformer.from_crs("EPSG:4326", projected, always_xy=True)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)
