"""GCJ-02 / BD-09: the inverses are accurate to 1 cm, property-tested against the forward formulas."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gis.offsets import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
lons = st.floats(min_value=73.5, max_value=135.0, allow_nan=False)
lats = st.floats(min_value=18.0, max_value=53.5, allow_nan=False)


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@settings(max_examples=500)
@given(lons, lats)
def test_gcj02_inverse_within_1cm(lon: float, lat: float) -> None:
    """gcj02_to_wgs84(wgs84_to_gcj02(p)) is p within 1 cm."""
    glon, glat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, float(back_lon), float(back_lat)) < 0.01


@settings(max_examples=500)
@given(lons, lats)
def test_bd09_inverse_within_1cm(lon: float, lat: float) -> None:
    """bd09_to_wgs84(wgs84_to_bd09(p)) is p within 1 cm."""
    blon, blat = wgs84_to_bd09(lon, lat)
    back_lon, back_lat = bd09_to_wgs84(blon, blat)
    assert metres(lon, lat, float(back_lon), float(back_lat)) < 0.01


def test_offset_magnitude_in_lishui_is_hundreds_of_metres() -> None:
    """In Lishui the GCJ-02 offset is a few hundred metres, and BD-09 adds roughly another kilometre."""
    lon, lat = 119.92, 28.45
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = wgs84_to_bd09(lon, lat)
    assert 100 < metres(lon, lat, float(glon), float(glat)) < 1000
    assert 500 < metres(float(glon), float(glat), float(blon), float(blat)) < 1500


def test_no_offset_outside_china_and_vectorised() -> None:
    """Outside the box the points are unchanged; arrays go through in one call."""
    lon = np.array([2.35, 119.92])
    lat = np.array([48.85, 28.45])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert (glon[0], glat[0]) == (2.35, 48.85)
    assert glon[1] != 119.92
