"""Map features from PostGIS: counts, pages of GeoJSON rows, single features and vector tiles.

Every source is a read-model (grids/sql/layers_*.sql) that takes the caller's jurisdiction as
parameters (a code prefix, the same as a range of codes, and its level), so no query here can
forget it; a request narrows it further with a bounding box, a time interval and equality
filters on named properties.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.codes import in_scope, level_of, prefix
from grids.errors import InvalidInput, NotFound
from grids.models import Generation

SQL = Path(__file__).with_name("sql")
TILE_EXTENT = 4096
TILE_BUFFER = 64
WEB_MERCATOR_HALF = 20037508.342789244  # half the side of the EPSG:3857 square, metres
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

Geometry = Literal["crs84", "latlon", "web_mercator"]
_GEOJSON: dict[str, str] = {
    "crs84": "ST_AsGeoJSON(f.geom, 7, 0)",
    # EPSG:4490 is latitude-first, as its definition and OGC API Part 2 require.
    "latlon": "ST_AsGeoJSON(ST_FlipCoordinates(f.geom), 7, 0)",
    "web_mercator": "ST_AsGeoJSON(f.geom_3857, 2, 0)",
}


@dataclass(frozen=True)
class Source:
    """A read-model: its SQL file, the SQL type of its `fid`, and the row order its indexes serve."""

    file: str
    fid_type: Literal["bpchar", "text", "bigint"]
    order: tuple[str, ...]


SOURCES: dict[str, Source] = {
    "divisions": Source("layers_divisions.sql", "bpchar", ("fid",)),
    # A code recurs across generations (`datetime` reads several): the generation completes the key.
    "grids": Source("layers_grids.sql", "text", ("fid", "generation_id")),
    # Ordered by the primary key (county, id): pages walk the index instead of sorting.
    "cases": Source("layers_cases.sql", "bigint", ("county_code", "fid")),
    "drafts": Source("layers_drafts.sql", "bigint", ("fid",)),
    "gaps": Source("coverage_gaps.sql", "text", ("fid",)),
}


@dataclass(frozen=True)
class Box:
    """A bounding box, x before y, in EPSG:4490 (longitude, latitude) or EPSG:3857 (metres)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    srid: Literal[4490, 3857]


@dataclass(frozen=True)
class Selection:
    """Which rows of a source: the caller's jurisdiction, source parameters, and request filters.

    `temporal` names the source's time columns: an instant (start, None) or a period (start, end)
    whose end is exclusive and open when NULL; `interval` is matched against them.
    """

    source: str
    scope: str | None
    params: Mapping[str, Any] = field(default_factory=dict)
    temporal: tuple[str, str | None] | None = None
    bbox: Box | None = None
    interval: tuple[datetime | None, datetime | None] | None = None
    filters: Mapping[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureRow:
    """One feature as the database rendered it: id, GeoJSON geometry text, properties JSON text."""

    fid: str
    geometry: str | None
    properties: str


@cache
def _source_sql(file: str) -> str:
    return (SQL / file).read_text(encoding="utf-8").strip().rstrip(";")


def _column(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(f"{name!r} is not a property name (属性名无效)", field="properties")
    return f'f."{name}"'


def _where(selection: Selection) -> tuple[str, dict[str, Any]]:
    digits = "" if selection.scope is None else prefix(selection.scope)
    level = "all" if selection.scope is None else level_of(selection.scope)
    following = str(int(digits) + 1).zfill(len(digits)) if digits else ""
    params: dict[str, Any] = {
        "scope": digits + "%",
        # Codes starting with `digits` are those in [digits, following) (none above an all-9 prefix).
        "scope_low": digits,
        "scope_high": following if len(following) == len(digits) and digits else None,
        "scope_code": selection.scope or "",
        "scope_level": "county" if level in ("province", "city") else level,
        # The area asked for, for sources that compute shapes and must narrow their input first.
        "area": None,
        **selection.params,
    }
    conditions = ["true"]
    if selection.bbox is not None:
        box = selection.bbox
        params.update(x0=box.xmin, y0=box.ymin, x1=box.xmax, y1=box.ymax)
        params["area"] = _polygon(box.xmin, box.ymin, box.xmax, box.ymax, box.srid)
        column = "f.geom_3857" if box.srid == 3857 else "f.geom"
        envelope = f"ST_MakeEnvelope(:x0, :y0, :x1, :y1, {box.srid})"
        conditions.append(f"{column} && {envelope} AND ST_Intersects({column}, {envelope})")
    if selection.interval is not None:
        if selection.temporal is None:
            raise InvalidInput("this collection has no time dimension (该图层无时间属性)", field="datetime")
        start, end = selection.temporal
        low, high = selection.interval
        if high is not None:
            conditions.append(f"{_column(start)} <= :t_high")
            params["t_high"] = high
        if low is not None:
            # An instant must fall in the interval; a period (end exclusive, open if NULL) overlap it.
            conditions.append(
                f"{_column(start)} >= :t_low"
                if end is None
                else f"({_column(end)} IS NULL OR {_column(end)} > :t_low)"
            )
            params["t_low"] = low
    for i, (name, value) in enumerate(sorted(selection.filters.items())):
        conditions.append(f"{_column(name)} = :filter_{i}")
        params[f"filter_{i}"] = value
    return " AND ".join(conditions), params


def _polygon(x0: float, y0: float, x1: float, y1: float, srid: int) -> str:
    return f"SRID={srid};POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def _tile_area(z: int, x: int, y: int, margin: float) -> str:
    """Tile z/x/y widened by `margin` of its side, as EWKT in EPSG:3857."""
    side = 2 * WEB_MERCATOR_HALF / 2**z
    pad = side * margin
    x0, y1 = -WEB_MERCATOR_HALF + x * side, WEB_MERCATOR_HALF - y * side
    return _polygon(x0 - pad, y1 - side - pad, x0 + side + pad, y1 + pad, 3857)


def _from(selection: Selection) -> str:
    return f"({_source_sql(SOURCES[selection.source].file)}) AS f"


def _properties(properties: Sequence[str]) -> str:
    pairs = ", ".join(f"'{name}', {_column(name)}" for name in properties)
    return f"json_build_object({pairs})::text"


def _select(selection: Selection, properties: Sequence[str], geometry: Geometry) -> str:
    """SELECT of a feature row (id, GeoJSON geometry, properties JSON) from the selection's source."""
    return f"SELECT f.fid::text, {_GEOJSON[geometry]}, {_properties(properties)} FROM {_from(selection)}"


def count_features(session: Session, *, selection: Selection) -> int:
    """How many features the selection matches (OGC `numberMatched`)."""
    where, params = _where(selection)
    return int(session.scalar(text(f"SELECT count(*) FROM {_from(selection)} WHERE {where}"), params) or 0)


def page_features(
    session: Session,
    *,
    selection: Selection,
    properties: Sequence[str],
    geometry: Geometry,
    limit: int,
    offset: int,
) -> list[FeatureRow]:
    """One page of features in the source's stable order, geometry rendered as GeoJSON text."""
    where, params = _where(selection)
    order = ", ".join(_column(c) for c in SOURCES[selection.source].order)
    # The page's keys are found first, from the source without its computed columns (the planner
    # drops joins nothing reads); only those rows are then computed, not every row before OFFSET.
    query = text(
        f"{_select(selection, properties, geometry)} "
        f"WHERE {where} AND ({order}) IN (SELECT {order} FROM {_from(selection)} WHERE {where} "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset) ORDER BY {order}"
    )
    rows = session.execute(query, {**params, "limit": limit, "offset": offset})
    return [FeatureRow(*row) for row in rows]


def all_features(
    session: Session, *, selection: Selection, properties: Sequence[str], geometry: Geometry
) -> list[FeatureRow]:
    """Every feature of the selection in one pass, for sources computed on request (no paging)."""
    where, params = _where(selection)
    order = ", ".join(_column(c) for c in SOURCES[selection.source].order)
    query = text(f"{_select(selection, properties, geometry)} WHERE {where} ORDER BY {order}")
    return [FeatureRow(*row) for row in session.execute(query, params)]


def get_feature(
    session: Session, *, selection: Selection, fid: str, properties: Sequence[str], geometry: Geometry
) -> FeatureRow | None:
    """The feature with id `fid` if the selection (and so the caller's jurisdiction) holds it."""
    fid_type = SOURCES[selection.source].fid_type
    if fid_type == "bigint" and not (fid.isascii() and fid.isdigit() and len(fid) <= 18):
        return None
    where, params = _where(selection)
    query = text(
        f"{_select(selection, properties, geometry)} "
        f"WHERE {where} AND f.fid = CAST(:fid AS {fid_type}) LIMIT 1"
    )
    row = session.execute(query, {**params, "fid": fid}).first()
    return FeatureRow(*row) if row is not None else None


Statement = tuple[str, dict[str, Any]]
"""SQL with `:name` parameters, and their values."""


def tile_statement(
    *, selection: Selection, properties: Sequence[str], layer: str, z: int, x: int, y: int
) -> Statement:
    """The query of a Mapbox Vector Tile of the selection's features in tile z/x/y (one bytea value,
    empty or NULL when none), meant to run prepared: its text depends on the layer alone."""
    where, params = _where(selection)
    columns = ", ".join(_column(name) for name in properties)
    query = (
        f"SELECT ST_AsMVT(t.*, :layer, {TILE_EXTENT}, 'geom') FROM ("
        f" SELECT ST_AsMVTGeom(f.geom_3857, ST_TileEnvelope(:z, :x, :y), {TILE_EXTENT}, {TILE_BUFFER}, true)"
        f" AS geom, {columns} FROM {_from(selection)}"
        f" WHERE f.geom_3857 && ST_TileEnvelope(:z, :x, :y, margin => {TILE_BUFFER / TILE_EXTENT})"
        # OFFSET 0: without it the outer `geom IS NOT NULL` is pushed down and every shape is
        # encoded twice, once to filter and once to output.
        f" AND {where} OFFSET 0) AS t WHERE t.geom IS NOT NULL"
    )
    params["area"] = _tile_area(z, x, y, TILE_BUFFER / TILE_EXTENT)
    return query, {**params, "layer": layer, "z": z, "x": x, "y": y}


def cluster_statement(
    *,
    selection: Selection,
    flags: Sequence[str],
    layer: str,
    z: int,
    x: int,
    y: int,
    cells: int,
) -> Statement:
    """The query of a tile of points aggregated on a `cells`×`cells` grid: `count` and the count of
    each flag, as `tile_statement`."""
    where, params = _where(selection)
    counts = "".join(f", count(*) FILTER (WHERE {_column(flag)})::int AS {flag}" for flag in flags)
    # Snapping to a world-aligned grid puts each point in the same bin whichever tile asks.
    query = (
        f"SELECT ST_AsMVT(t.*, :layer, {TILE_EXTENT}, 'geom') FROM ("
        f" SELECT ST_AsMVTGeom(ST_Centroid(ST_Collect(f.geom_3857)), ST_TileEnvelope(:z, :x, :y),"
        f" {TILE_EXTENT}, 0, true) AS geom, count(*)::int AS count{counts}"
        f" FROM {_from(selection)}"
        f" WHERE f.geom_3857 && ST_TileEnvelope(:z, :x, :y) AND {where}"
        f" GROUP BY ST_SnapToGrid(f.geom_3857, :cell, :cell)) AS t WHERE t.geom IS NOT NULL"
    )
    cell = 2 * WEB_MERCATOR_HALF / 2**z / cells
    params["area"] = _tile_area(z, x, y, 0.0)
    return query, {**params, "layer": layer, "z": z, "x": x, "y": y, "cell": cell}


def scope_extent(session: Session, *, scope: str | None) -> tuple[float, float, float, float] | None:
    """The longitude/latitude box of the counties and townships in a jurisdiction (None if unmapped)."""
    pattern = "%" if scope is None else prefix(scope) + "%"
    row = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e"
            " FROM divisions WHERE code LIKE :p AND (level IN ('county', 'township') OR code = :code)) AS x"
        ),
        {"p": pattern, "code": scope or ""},
    ).first()
    return None if row is None or row[0] is None else (row[0], row[1], row[2], row[3])


def temporal_extent(session: Session, *, selection: Selection) -> tuple[datetime | None, datetime | None]:
    """The earliest start and the latest end of the selection's features (None: open)."""
    if selection.temporal is None:
        return None, None
    start, end = selection.temporal
    where, params = _where(selection)
    last = (
        f"CASE WHEN bool_or({_column(end)} IS NULL) THEN NULL ELSE max({_column(end)}) END"
        if end
        else (f"max({_column(start)})")
    )
    row = session.execute(
        text(f"SELECT min({_column(start)}), {last} FROM {_from(selection)} WHERE {where}"), params
    ).one()
    return row[0], row[1]


def check_generation(session: Session, *, scope: str | None, generation: int) -> None:
    """Refuse a generation that is a draft, unknown, or whose scope and the caller's do not meet."""
    row = session.execute(
        select(Generation.scope_code, Generation.status).where(Generation.id == generation)
    ).first()
    meets = row is not None and (
        in_scope(row.scope_code, scope) or (scope is not None and in_scope(scope, row.scope_code))
    )
    if row is None or row.status == "draft" or not meets:
        raise NotFound(
            f"no published generation {generation} in your jurisdiction (辖区内无此已发布网格版本)",
            field="generation",
        )
