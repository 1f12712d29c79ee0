"""Coordinate reference systems: the storage CRS, the metric CRS, and input in any CRS to storage."""

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from gis.offsets import bd09_to_wgs84, gcj02_to_wgs84

STORAGE_SRID = 4490
"""CGCS2000 geographic, the national datum every geometry is stored in."""

METRIC_SRID = 4549
"""CGCS2000 3-degree Gauss-Krüger CM 120E: areas and distances in metres for Lishui."""

WEB_MERCATOR_SRID = 3857

# WGS84 and CGCS2000 differ by under 1 m, so WGS84 input is taken as numerically equal (DESIGN.md §3).
SAME_AS_STORAGE = {"wgs84", "cgcs2000", "epsg:4326", "epsg:4490"}
OFFSET_CRS = {"gcj02", "bd09"}
NAMED = ("wgs84", "cgcs2000", "gcj02", "bd09")


_ALIASES = {
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "wgs84": "wgs84",
    "cgcs2000": "cgcs2000",
    "crs84": "wgs84",
    "ogc:crs84": "wgs84",
    "urn:ogc:def:crs:ogc:1.3:crs84": "wgs84",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84": "wgs84",
}


class UnknownCRS(ValueError):
    """A CRS name neither PROJ nor our GCJ-02/BD-09 support knows."""


def normalise(name: str) -> str:
    """A canonical spelling of a CRS name: one of NAMED, or `epsg:N` for anything PROJ knows."""
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        crs = CRS.from_user_input(name.strip())
    except CRSError as exc:
        raise UnknownCRS(
            f"unknown CRS {name!r}: use wgs84, cgcs2000, gcj02, bd09 or an EPSG code such as EPSG:4549"
        ) from exc
    epsg = crs.to_epsg()
    if epsg is None:
        raise UnknownCRS(f"CRS {name!r} has no EPSG code; give one such as EPSG:4549")
    return f"epsg:{epsg}"


@lru_cache(maxsize=32)
def _to_storage(epsg: str) -> Transformer:
    return Transformer.from_crs(epsg, f"EPSG:{STORAGE_SRID}", always_xy=True)


def to_storage(x: ArrayLike, y: ArrayLike, crs: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitude/latitude in the storage CRS of coordinates given in `crs` (x = easting/longitude)."""
    name = normalise(crs)
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if name in SAME_AS_STORAGE:
        return xs, ys
    if name == "gcj02":
        return gcj02_to_wgs84(xs, ys)
    if name == "bd09":
        return bd09_to_wgs84(xs, ys)
    lon, lat = _to_storage(name.upper()).transform(xs, ys)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
