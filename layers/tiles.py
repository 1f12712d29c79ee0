"""Vector tiles (WebMercatorQuad, MVT) and TileJSON 3 of catalogued layers, scoped per caller."""

import asyncio
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from grids import features as repo
from grids.async_reads import AsyncReader
from grids.errors import InvalidInput, NotFound
from grids.users import Principal
from layers.catalogue import Layer
from layers.features import selection

MAX_ZOOM = 22
MAX_GENERATION = 2_147_483_647  # generations are numbered by a PostgreSQL integer
CLUSTER_CELLS = 64  # bins per tile side: 64 px apart on a 256 px tile
_FIELD_TYPES = {"string": "String", "integer": "Number", "number": "Number", "boolean": "Boolean"}


def tile_address(z: str, x: str, y: str) -> tuple[int, int, int]:
    """The zoom, column and row of a tile URL as numbers; a part that is not one is named."""
    numbers = []
    for name, part in (("z", z), ("x", x), ("y", y)):
        if not (part.isascii() and part.isdigit() and len(part) <= 8):
            raise InvalidInput(
                f"{name} must be a whole number, got {part[:20]!r} (瓦片坐标须为整数)", field=name
            )
        numbers.append(int(part))
    return numbers[0], numbers[1], numbers[2]


def generation_number(raw: str | None) -> int | None:
    """The `generation` query parameter as a number in 1..MAX_GENERATION (None when absent)."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_GENERATION):
        raise InvalidInput(
            f"generation must be a whole number from 1 to {MAX_GENERATION}, got {raw[:20]!r} "
            "(网格版本号有误)",
            field="generation",
        )
    return int(raw)


def check_tile(layer: Layer, z: int, x: int, y: int) -> None:
    """Refuse a tile outside WebMercatorQuad or below the layer's minimum zoom."""
    if z > MAX_ZOOM:
        raise InvalidInput(f"tile {z}/{x}/{y}: zoom goes up to {MAX_ZOOM} (缩放级别越界)", field="z")
    side = 2**z
    if not (0 <= x < side and 0 <= y < side):
        raise InvalidInput(
            f"tile {z}/{x}/{y}: x and y must lie in 0..{side - 1} at zoom {z} (瓦片行列号越界)", field="x"
        )
    if z < layer.min_zoom:
        raise NotFound(
            f"{layer.id} has tiles from zoom {layer.min_zoom} (maxzoom {layer.max_zoom} and beyond by "
            f"overzoom); zoom {z} is served by coarser layers (该级别无此图层瓦片)"
        )


async def tile(
    reader: AsyncReader,
    sessions: sessionmaker[Session],
    layer: Layer,
    *,
    caller: Principal,
    z: int,
    x: int,
    y: int,
    generation: int | None = None,
) -> bytes:
    """The MVT of `layer` at z/x/y holding only the caller's jurisdiction; empty bytes when nothing.

    The tile is read on the event loop (`reader`); a past `generation` is first checked in a session
    of `sessions` on a worker thread (a rare request).
    """
    check_tile(layer, z, x, y)
    filters: dict[str, str | int | float | bool] = dict(layer.tile_filters)
    if generation is None:
        chosen = selection(None, layer, caller=caller, filters=filters)
    else:
        chosen = await asyncio.to_thread(_checked_selection, sessions, layer, caller, filters, generation)
    if layer.cluster_below is not None and z < layer.cluster_below:
        sql, params = repo.cluster_statement(
            selection=chosen, flags=layer.cluster_flags, layer=layer.id, z=z, x=x, y=y, cells=CLUSTER_CELLS
        )
    else:
        sql, params = repo.tile_statement(
            selection=chosen, properties=layer.tile_names, layer=layer.id, z=z, x=x, y=y
        )
    return bytes(await reader.first_value(sql, params) or b"")


def _checked_selection(
    sessions: sessionmaker[Session],
    layer: Layer,
    caller: Principal,
    filters: dict[str, str | int | float | bool],
    generation: int,
) -> repo.Selection:
    with sessions() as session:
        return selection(session, layer, caller=caller, filters=filters, generation=generation)


def tilejson(
    layer: Layer, *, tiles_url: str, bounds: tuple[float, float, float, float] | None
) -> dict[str, Any]:
    """TileJSON 3.0.0 of a layer; `tiles_url` is the absolute template with {z}/{x}/{y}."""
    fields = {p.name: _FIELD_TYPES.get(p.type, "String") for p in layer.properties if p.in_tiles}
    if layer.cluster_below is not None:
        fields |= {"count": "Number", **{flag: "Number" for flag in layer.cluster_flags}}
    west, south, east, north = bounds or (-180.0, -85.0511, 180.0, 85.0511)
    zoom = max(layer.min_zoom, min(layer.max_zoom, 12))
    return {
        "tilejson": "3.0.0",
        "name": layer.id,
        "description": f"{layer.title}: {layer.description}",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": layer.min_zoom,
        "maxzoom": layer.max_zoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, zoom],
        "vector_layers": [
            {
                "id": layer.id,
                "description": layer.title,
                "minzoom": layer.min_zoom,
                "maxzoom": layer.max_zoom,
                "fields": fields,
            }
        ],
    }
