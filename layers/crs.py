"""Coordinate reference systems of published layers (OGC API Features Part 2), plus GCJ-02.

Output: CRS84 (longitude, latitude; the default), EPSG:4490 (CGCS2000, latitude first as its
definition says), EPSG:3857 (Web Mercator metres), and GCJ-02 for AMap/Tencent basemaps, which
PROJ cannot express and which is therefore offered beside the OGC list rather than in it.
"""

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gis.crs import UnknownCRS, normalise
from gis.offsets import gcj02_to_wgs84, wgs84_to_gcj02
from grids.errors import InvalidInput
from grids.features import Box, Geometry

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
GCJ02 = "gcj02"
OGC_CRS = (CRS84, EPSG_4490, EPSG_3857)


@dataclass(frozen=True)
class OutputCrs:
    """How features are written: the CRS URI, how the database renders them, whether to offset to GCJ-02."""

    uri: str
    geometry: Geometry
    gcj02: bool = False


_OUTPUT = {
    "wgs84": OutputCrs(CRS84, "crs84"),
    "epsg:4490": OutputCrs(EPSG_4490, "latlon"),
    "cgcs2000": OutputCrs(EPSG_4490, "latlon"),
    "epsg:3857": OutputCrs(EPSG_3857, "web_mercator"),
    "gcj02": OutputCrs(GCJ02, "crs84", gcj02=True),
}
ALLOWED = f"{CRS84}, {EPSG_4490}, {EPSG_3857} or {GCJ02}"


def output_crs(value: str | None, *, field: str = "crs") -> OutputCrs:
    """The output CRS a `crs` (or `bbox-crs`) parameter names; CRS84 when absent."""
    if value is None:
        return _OUTPUT["wgs84"]
    try:
        found = _OUTPUT.get(normalise(value))
    except UnknownCRS:
        found = None
    if found is None:
        raise InvalidInput(f"{field} {value!r} is not offered; use {ALLOWED} (不支持该坐标系)", field=field)
    return found


def parse_bbox(value: str, crs: OutputCrs) -> Box:
    """A `bbox` parameter (4 or 6 numbers, axis order of `crs`) as a box the database can use."""
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput(
            f"bbox {value!r} must be 4 (or 6) comma-separated numbers: minx,miny,maxx,maxy in the "
            f"axis order of bbox-crs (范围参数应为4个数字)",
            field="bbox",
        )
    half = len(numbers) // 2
    a0, b0, a1, b1 = numbers[0], numbers[1], numbers[half], numbers[half + 1]
    if crs.geometry == "latlon":
        a0, b0, a1, b1 = b0, a0, b1, a1
    if a0 > a1 or b0 > b1:
        raise InvalidInput(
            f"bbox {value!r}: a minimum exceeds its maximum (范围最小值大于最大值)", field="bbox"
        )
    if crs.geometry == "web_mercator":
        return Box(a0, b0, a1, b1, 3857)
    if not (-180 <= a0 <= 180 and -180 <= a1 <= 180 and -90 <= b0 <= 90 and -90 <= b1 <= 90):
        raise InvalidInput(
            f"bbox {value!r} is outside longitude −180..180 / latitude −90..90 (经纬度超出范围)", field="bbox"
        )
    if crs.gcj02:
        xs, ys = gcj02_to_wgs84([a0, a1], [b0, b1])
        a0, a1, b0, b1 = float(xs[0]), float(xs[1]), float(ys[0]), float(ys[1])
    return Box(a0, b0, a1, b1, 4490)


def offset_geometry(geojson: str) -> dict[str, Any]:
    """A CRS84 GeoJSON geometry moved to GCJ-02 (the published forward formula)."""

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat]).round(7)

    moved = shapely.transform(shapely.from_geojson(geojson), shift)
    result: dict[str, Any] = json.loads(shapely.to_geojson(moved))
    return result
