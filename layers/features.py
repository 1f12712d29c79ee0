"""Features of a catalogued layer for one caller: the selection their request and jurisdiction make,
pages of GeoJSON Features, single features, and the collection's extent."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from grids import features as repo
from grids.errors import InvalidInput, NotFound
from grids.users import Principal
from layers.catalogue import Layer
from layers.crs import OutputCrs, offset_geometry

Interval = tuple[datetime | None, datetime | None]
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


@dataclass(frozen=True)
class Extent:
    """A collection's extent for the caller: longitude/latitude box and time interval."""

    bbox: tuple[float, float, float, float] | None
    interval: tuple[datetime | None, datetime | None] | None


@dataclass(frozen=True)
class Page:
    """One page of GeoJSON Feature texts and the number the selection matched."""

    features: list[str]
    number_matched: int


def parse_datetime(value: str) -> Interval:
    """An RFC 3339 instant, date, or interval (`a/b`, `../b`, `a/..`) as (start, end), UTC."""
    parts = value.split("/")
    if len(parts) > 2 or not value.strip():
        raise InvalidInput(_datetime_message(value), field="datetime")
    if len(parts) == 1:
        start, end = _instant(parts[0], value, end=False), _instant(parts[0], value, end=True)
        return start, end
    low = None if parts[0] in ("", "..") else _instant(parts[0], value, end=False)
    high = None if parts[1] in ("", "..") else _instant(parts[1], value, end=True)
    if low is None and high is None:
        raise InvalidInput(_datetime_message(value), field="datetime")
    if low is not None and high is not None and low > high:
        raise InvalidInput(
            f"datetime {value!r}: the start is after the end (起始时间晚于结束时间)", field="datetime"
        )
    return low, high


def _datetime_message(value: str) -> str:
    return (
        f"datetime {value!r} is not an RFC 3339 instant or interval, e.g. 2026-10-01T08:00:00Z or "
        f"2026-10-01/2026-10-31 or 2026-10-01/.. (时间参数格式有误)"
    )


def _instant(text: str, whole: str, *, end: bool) -> datetime:
    try:
        if len(text) == 10:  # a date stands for the whole day
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(_datetime_message(whole), field="datetime") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def parse_filters(layer: Layer, raw: dict[str, str]) -> dict[str, str | int | float | bool]:
    """Equality filters on the layer's simple properties, each value in its property's type."""
    types = {p.name: p.type for p in layer.properties if p.type != "datetime"}
    filters: dict[str, str | int | float | bool] = {}
    for name, value in raw.items():
        kind = types.get(name)
        if kind is None:
            raise InvalidInput(
                f"unknown parameter {name!r} for {layer.id}; filter on one of {', '.join(types)} "
                f"(参数不存在)",
                field=name,
            )
        try:
            if kind == "integer":
                filters[name] = int(value)
            elif kind == "number":
                filters[name] = float(value)
            elif kind == "boolean":
                if value.lower() not in _TRUE | _FALSE:
                    raise ValueError(value)
                filters[name] = value.lower() in _TRUE
            else:
                filters[name] = value
        except ValueError as exc:
            raise InvalidInput(f"{name}={value!r} is not a {kind} (属性值类型有误)", field=name) from exc
    return filters


def selection(
    session: Session | None,
    layer: Layer,
    *,
    caller: Principal,
    bbox: repo.Box | None = None,
    interval: Interval | None = None,
    filters: dict[str, str | int | float | bool] | None = None,
    generation: int | None = None,
) -> repo.Selection:
    """The rows of `layer` this caller's request selects, always within the caller's jurisdiction."""
    params = dict(layer.params)
    if interval is not None and layer.temporal is None:
        raise InvalidInput(
            f"{layer.id} has no time dimension; drop datetime (该图层无时间属性)", field="datetime"
        )
    if layer.source == "grids":
        if generation is not None:
            if session is None:
                raise TypeError("a past generation is checked in the database: pass a session")
            repo.check_generation(session, scope=caller.scope_code, generation=generation)
        params |= {"generation": generation, "published": interval is not None}
    elif generation is not None:
        raise InvalidInput(
            f"generation applies to grids only, not {layer.id} (仅网格图层有版本)", field="generation"
        )
    return repo.Selection(
        source=layer.source,
        scope=caller.scope_code,
        params=params,
        temporal=layer.temporal,
        bbox=bbox,
        interval=interval,
        filters=filters or {},
    )


def _feature(layer: Layer, row: repo.FeatureRow, crs: OutputCrs) -> str:
    numeric = repo.SOURCES[layer.source].fid_type == "bigint"
    fid = row.fid if numeric else json.dumps(row.fid)
    if row.geometry is None:
        geometry = "null"
    elif crs.gcj02:
        geometry = json.dumps(offset_geometry(row.geometry))
    else:
        geometry = row.geometry
    return f'{{"type":"Feature","id":{fid},"geometry":{geometry},"properties":{row.properties}}}'


def page(
    session: Session, layer: Layer, *, selection: repo.Selection, crs: OutputCrs, limit: int, offset: int
) -> Page:
    """A page of the selection as GeoJSON Feature texts, with the number matched."""
    rows = repo.page_features(
        session,
        selection=selection,
        properties=layer.names,
        geometry=crs.geometry,
        limit=limit,
        offset=offset,
    )
    matched = repo.count_features(session, selection=selection)
    return Page([_feature(layer, r, crs) for r in rows], matched)


def feature(session: Session, layer: Layer, *, selection: repo.Selection, fid: str, crs: OutputCrs) -> str:
    """One GeoJSON Feature text; NotFound when it does not exist or lies outside the jurisdiction."""
    row = repo.get_feature(
        session, selection=selection, fid=fid, properties=layer.names, geometry=crs.geometry
    )
    if row is None:
        raise NotFound(f"no feature {fid!r} in {layer.id} within your jurisdiction (辖区内无此要素)")
    return _feature(layer, row, crs)


def extent(session: Session, layer: Layer, *, caller: Principal) -> Extent:
    """The caller's extent of a layer: their jurisdiction's box and the layer's time span."""
    bbox = repo.scope_extent(session, scope=caller.scope_code)
    if layer.temporal is None:
        return Extent(bbox, None)
    chosen = selection(session, layer, caller=caller, interval=(None, None))
    return Extent(bbox, repo.temporal_extent(session, selection=chosen))
