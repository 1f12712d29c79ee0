"""CRS names and conversion of input coordinates to the storage CRS."""

import numpy as np
import pytest

from gis.crs import UnknownCRS, normalise, to_storage
from gis.offsets import wgs84_to_bd09, wgs84_to_gcj02


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("WGS84", "wgs84"),
        ("GCJ-02", "gcj02"),
        ("bd09", "bd09"),
        ("EPSG:4549", "epsg:4549"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "wgs84"),
        ("CGCS2000", "cgcs2000"),
    ],
)
def test_normalise(given: str, expected: str) -> None:
    """Common spellings map to one canonical name."""
    assert normalise(given) == expected


def test_unknown_crs_is_named() -> None:
    """An unknown CRS names itself and the allowed ones."""
    with pytest.raises(UnknownCRS, match=r"'EPSG:999999'.*gcj02"):
        normalise("EPSG:999999")


def test_to_storage_from_metric_and_offsets() -> None:
    """Gauss-Krüger metres and GCJ-02/BD-09 degrees all come back to the same lon/lat."""
    lon, lat = 119.9, 28.4
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True).transform(lon, lat)
    for crs, (a, b) in {
        "EPSG:4549": (x, y),
        "gcj02": wgs84_to_gcj02(lon, lat),
        "bd09": wgs84_to_bd09(lon, lat),
        "wgs84": (lon, lat),
    }.items():
        got = to_storage([a], [b], crs)
        assert np.allclose(got, ([lon], [lat]), atol=1e-7), crs
