"""GCJ-02 (AMap, Tencent, WeChat) and BD-09 (Baidu) obfuscated coordinates, which PROJ cannot do.

The forward formulas are the published ones; the inverses are iterative and accurate to well under
1 cm (iterated until the forward image is within 1e-10 degrees of the input).
"""

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 30

Array = NDArray[np.float64]
Forward = Callable[[Array, Array], tuple[Array, Array]]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points fall in the rough box where GCJ-02 applies an offset (elsewhere it is WGS84)."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon_a > 72.004) & (lon_a < 137.8347) & (lat_a > 0.8293) & (lat_a < 55.8271)


def _delta(lon: Array, lat: Array) -> tuple[Array, Array]:
    x, y = lon - 105.0, lat - 35.0
    waves = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + waves
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + waves
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """The forward GCJ-02 offset of WGS84 (or CGCS2000) coordinates."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _delta(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """The forward BD-09 transform of GCJ-02 coordinates."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward: Forward, lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    guess_lon, guess_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        image_lon, image_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = image_lon - target_lon, image_lat - target_lat
        if np.all(np.abs(err_lon) < _TOLERANCE) and np.all(np.abs(err_lat) < _TOLERANCE):
            break
        guess_lon, guess_lat = guess_lon - err_lon, guess_lat - err_lat
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 coordinates whose GCJ-02 image is the given point (iterative inverse)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 coordinates whose BD-09 image is the given point (iterative inverse)."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 coordinates of a BD-09 point."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """The forward BD-09 image of WGS84 coordinates."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
