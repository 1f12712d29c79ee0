"""Vector tiles (MVT) and TileJSON of the catalogued layers, scoped to the caller's jurisdiction.

Tiles are private to the caller (`Cache-Control: private`, `Vary: Authorization`): two callers
with different jurisdictions get different tiles at the same URL, so no shared cache may keep one.
"""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import PrincipalDep, ReadSessionDep
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


@router.get(
    "/collections/{collection_id}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    summary="A vector tile (MVT)",
    responses={200: {"content": {MVT: {}}}, 204: {"description": "no feature in this tile"}, 304: {}},
)
def tile(
    collection_id: CollectionId,
    z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)],
    x: Annotated[int, Path(ge=0, le=2**tiles.MAX_ZOOM)],
    y: Annotated[int, Path(ge=0, le=2**tiles.MAX_ZOOM)],
    db: ReadSessionDep,
    caller: PrincipalDep,
    generation: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="grids: a published generation")
    ] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The tile z/x/y of a layer with the caller's features only; 204 when it holds none."""
    data = tiles.tile(
        db, layer(collection_id, caller=caller), caller=caller, z=z, x=x, y=y, generation=generation
    )
    if not data:
        return Response(status_code=204, headers=CACHE)
    etag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
    headers = {**CACHE, "ETag": etag}
    if if_none_match is not None and etag in {t.strip().removeprefix("W/") for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=MVT, headers=headers)
