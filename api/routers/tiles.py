"""Vector tiles (MVT) and TileJSON of the catalogued layers, scoped to the caller's jurisdiction.

Tiles are private to the caller (`Cache-Control: private`, `Vary: Authorization`): two callers
with different jurisdictions get different tiles at the same URL, so no shared cache may keep one.
"""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from api.deps import PrincipalDep, ReadSessionDep, caller
from grids.features import scope_extent
from layers import tiles
from layers.catalogue import layer

router = APIRouter(tags=["tiles 矢量瓦片"])

MVT = "application/vnd.mapbox-vector-tile"
CACHE = {"Cache-Control": "private, max-age=60", "Vary": "Authorization"}

CollectionId = Annotated[str, Path(description="counties, townships, villages, grids or cases")]


@router.get(
    "/collections/{collection_id}/tiles/WebMercatorQuad/tilejson.json",
    summary="TileJSON of a layer's vector tiles",
)
def tilejson(
    request: Request, collection_id: CollectionId, db: ReadSessionDep, caller: PrincipalDep
) -> JSONResponse:
    """TileJSON 3.0.0: absolute tile URLs, the layer's fields and zooms, bounded by the jurisdiction."""
    found = layer(collection_id, caller=caller)
    base = str(request.base_url).rstrip("/")
    url = f"{base}/collections/{found.id}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"
    body = tiles.tilejson(found, tiles_url=url, bounds=scope_extent(db, scope=caller.scope_code))
    return JSONResponse(body, headers=CACHE)


_TILE_PARAMETERS = [
    {
        "name": "collection_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "counties, townships, villages, grids, cases or coverage-gaps",
    },
    *(
        {
            "name": axis,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": top},
        }
        for axis, top in (("z", tiles.MAX_ZOOM), ("x", 2**tiles.MAX_ZOOM - 1), ("y", 2**tiles.MAX_ZOOM - 1))
    ),
    {
        "name": "generation",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": tiles.MAX_GENERATION},
        "description": "grids: a published generation",
    },
    {"name": "if-none-match", "in": "header", "required": False, "schema": {"type": "string"}},
]


@router.get(
    "/collections/{collection_id}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    summary="A vector tile (MVT)",
    responses={200: {"content": {MVT: {}}}, 204: {"description": "no feature in this tile"}, 304: {}},
    openapi_extra={"parameters": _TILE_PARAMETERS, "security": [{"HTTPBearer": []}]},
)
async def tile(request: Request) -> Response:
    """The tile z/x/y of a layer with the caller's features only; 204 when it holds none.

    The hottest route: the app's fast lane (api.hot.HotRoutes) hands it its requests before the
    framework's routing, so it reads its own parameters (documented in `_TILE_PARAMETERS`), and its
    query runs on the event loop (grids.async_reads).
    """
    who = await caller(request)
    path = request.path_params
    found = layer(path["collection_id"], caller=who)
    z, x, y = tiles.tile_address(path["z"], path["x"], path["y"])
    tiles.check_tile(found, z, x, y)
    generation = tiles.generation_number(request.query_params.get("generation"))
    state = request.app.state
    data = await tiles.tile(state.tiles, state.reads, found, caller=who, z=z, x=x, y=y, generation=generation)
    if not data:
        return Response(status_code=204, headers=CACHE)
    etag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
    headers = {**CACHE, "ETag": etag}
    asked = request.headers.get("if-none-match")
    if asked is not None and etag in {t.strip().removeprefix("W/") for t in asked.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=MVT, headers=headers)
