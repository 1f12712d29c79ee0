"""Vector tiles (WebMercatorQuad, MVT) and TileJSON 3 of catalogued layers, scoped per caller."""

from typing import Any

from sqlalchemy.orm import Session

from grids import features as repo
from grids.errors import InvalidInput, NotFound
from grids.users import Principal
from layers.catalogue import Layer
from layers.features import selection

MAX_ZOOM = 22
CLUSTER_CELLS = 64  # bins per tile side: 64 px apart on a 256 px tile
_FIELD_TYPES = {"string": "String", "integer": "Number", "number": "Number", "boolean": "Boolean"}


def check_tile(layer: Layer, z: int, x: int, y: int) -> None:
    """Refuse a tile outside WebMercatorQuad or below the layer's minimum zoom."""
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


def tile(
    session: Session,
    layer: Layer,
    *,
    caller: Principal,
    z: int,
    x: int,
    y: int,
    generation: int | None = None,
) -> bytes:
    """The MVT of `layer` at z/x/y holding only the caller's jurisdiction; empty bytes when nothing."""
    check_tile(layer, z, x, y)
    chosen = selection(session, layer, caller=caller, filters=dict(layer.tile_filters), generation=generation)
    if layer.cluster_below is not None and z < layer.cluster_below:
        return repo.tile_clusters(
            session,
            selection=chosen,
            flags=layer.cluster_flags,
            layer=layer.id,
            z=z,
            x=x,
            y=y,
            cells=CLUSTER_CELLS,
        )
    return repo.tile(session, selection=chosen, properties=layer.tile_names, layer=layer.id, z=z, x=x, y=y)


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
