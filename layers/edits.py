"""GeoJSON Features sent to edit draft grids (OGC API Features Part 4), read into domain edits, and
the validation problems an edit leaves, written back as JSON."""

import json
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException

from gis.crs import to_storage
from grids.boundaries.validate import Problem
from grids.draft_features import EDITABLE, EditResult, GridEdit
from grids.errors import InvalidInput
from layers.crs import OutputCrs

COMPUTED = ("id", "households", "population", "updated_at")
"""Read-only properties a client may send back unchanged (QGIS returns every field it read)."""


def _integer(properties: dict[str, Any], name: str) -> int | None:
    value = properties.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput(f"{name} must be a positive whole number (应为正整数)", field=name)
    return value


def _geometry(raw: Any, crs: OutputCrs) -> shapely.Geometry:
    try:
        geometry = shapely.from_geojson(json.dumps(raw))
    except (GEOSException, ValueError, TypeError) as exc:
        raise InvalidInput(
            f"geometry is not a GeoJSON geometry: {exc} (几何不是有效的GeoJSON)", field="geometry"
        ) from exc
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all():
        raise InvalidInput(
            "geometry has coordinates that are not finite numbers (坐标无效)", field="geometry"
        )

    def storage(xy: np.ndarray) -> np.ndarray:
        x, y = (xy[:, 1], xy[:, 0]) if crs.geometry == "latlon" else (xy[:, 0], xy[:, 1])
        source = "gcj02" if crs.gcj02 else "epsg:3857" if crs.geometry == "web_mercator" else "wgs84"
        lon, lat = to_storage(x, y, source)
        return np.column_stack([lon, lat])

    stored = shapely.force_2d(shapely.transform(geometry, storage))
    lon, lat = shapely.get_coordinates(stored).T
    if not (
        np.isfinite(lon).all()
        and np.isfinite(lat).all()
        and (abs(lon) <= 180).all()
        and (abs(lat) <= 90).all()
    ):
        raise InvalidInput(
            "geometry lies outside longitude −180..180 / latitude −90..90 once read in its CRS; is "
            "Content-Crs right? (坐标超出经纬度范围，请检查坐标系)",
            field="geometry",
        )
    return stored


def read_feature(body: Any, *, crs: OutputCrs, partial: bool) -> tuple[GridEdit, int | None, int | None]:
    """The edit a GeoJSON Feature asks for, with its `generation_id` and `version` properties if sent."""
    # A merge patch (PATCH, as QGIS sends it) may leave out "type"; anything else is one Feature.
    if not isinstance(body, dict) or body.get("type", "Feature" if partial else None) != "Feature":
        raise InvalidInput(
            'send one GeoJSON Feature: {"type": "Feature", ...} (请提交一个GeoJSON要素)', field="type"
        )
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidInput("properties must be an object (属性应为对象)", field="properties")
    unknown = set(properties) - {*EDITABLE, *COMPUTED, "generation_id", "version"}
    if unknown:
        raise InvalidInput(
            f"unknown properties {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)} (属性不存在)",
            field=sorted(unknown)[0],
        )
    fields = {k: v for k, v in properties.items() if k in EDITABLE}
    raw = body.get("geometry")
    if raw is None and not partial:
        raise InvalidInput("geometry is required (须提供几何)", field="geometry")
    geometry = None if raw is None else _geometry(raw, crs)
    edit = GridEdit(fields, geometry)
    return edit, _integer(properties, "generation_id"), _integer(properties, "version")


def problem_json(problem: Problem) -> dict[str, Any]:
    """One validation problem as JSON (location in longitude, latitude)."""
    return {
        "kind": problem.kind,
        "severity": problem.severity,
        "grid_codes": problem.grid_codes,
        "grid_ids": problem.grid_ids,
        "village_code": problem.village_code,
        "location": list(problem.location) if problem.location else None,
        "area_m2": problem.area_m2,
        "message": f"{problem.message_zh} {problem.message_en}",
    }


def outcome_json(result: EditResult) -> dict[str, Any]:
    """What an edit leaves: problems around the grid, and the draft's totals."""
    return {
        "problems": [problem_json(p) for p in result.nearby],
        "draft": {
            "generation_id": result.report.generation_id,
            "grids": result.report.grids,
            "blocking": result.report.blocking,
            "problems": result.report.counts(),
        },
    }
