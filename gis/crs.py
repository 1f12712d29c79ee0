"""Coordinate reference systems used across the service."""

STORAGE_SRID = 4490
"""CGCS2000 geographic, the national datum every geometry is stored in."""

METRIC_SRID = 4549
"""CGCS2000 3-degree Gauss-Krüger CM 120E: areas and distances in metres for Lishui."""

WEB_MERCATOR_SRID = 3857
