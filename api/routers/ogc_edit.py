"""OGC API – Features Part 4: create, replace, update and delete the grids of draft generations.

Only the `drafts` collection is editable, by planners and admins; every other collection answers
405 with its `Allow`. Edits carry the version they were made from (`If-Match`, or the `version`
property QGIS sends back); a stale one is refused with 409 so nobody silently overwrites another.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from api.deps import PrincipalDep, SessionDep, commit
from grids import draft_features as drafts
from grids.errors import InvalidInput
from grids.users import Principal
from layers import features
from layers.catalogue import Layer, layer
from layers.crs import OutputCrs, output_crs
from layers.edits import outcome_json, read_feature

router = APIRouter(tags=["ogc 地图图层 OGC API Features"])

GEOJSON = "application/geo+json"
READ_ONLY = "GET, OPTIONS"
EDIT_ITEMS = "GET, POST, OPTIONS"
EDIT_ITEM = "GET, PUT, PATCH, DELETE, OPTIONS"

CollectionId = Annotated[str, Path(description="drafts (the only editable collection)")]
FeatureId = Annotated[int, Path(ge=1, le=2**62, description="draft grid id")]
Feature = Annotated[dict[str, Any], Body(media_type=GEOJSON, description="a GeoJSON Feature")]
ContentCrs = Annotated[str | None, Header(alias="Content-Crs", description="CRS of the geometry sent")]
IfMatch = Annotated[str | None, Header(description='the ETag read with the feature, e.g. "v3"')]


def _editable(collection_id: str, caller: Principal) -> Layer:
    found = layer(collection_id, caller=caller)
    if not found.editable:
        raise HTTPException(
            405,
            f"{found.id} is read-only: published grids change only by publishing a new generation; "
            f"edit the drafts collection instead (该图层只读，请编辑草稿)",
            headers={"Allow": READ_ONLY},
        )
    return found


def _crs(value: str | None) -> OutputCrs:
    return output_crs(
        value.strip().removeprefix("<").removesuffix(">") if value else None, field="Content-Crs"
    )


def _version(if_match: str | None, sent: int | None) -> int | None:
    if if_match is None:
        return sent
    tag = if_match.strip().removeprefix("W/").strip('"').removeprefix("v")
    if not tag.isdigit() or len(tag) > 9:
        raise InvalidInput(
            f'If-Match {if_match!r} is not an ETag of this service, e.g. "v3" (版本标记有误)',
            field="If-Match",
        )
    return int(tag)


def _answer(
    request: Request, found: Layer, db: SessionDep, caller: Principal, result: drafts.EditResult, status: int
) -> Response:
    body: dict[str, Any] = outcome_json(result)
    headers: dict[str, str] = {}
    if result.grid_id is not None:
        chosen = features.selection(db, found, caller=caller)
        feature = features.feature(db, found, selection=chosen, fid=str(result.grid_id), crs=output_crs(None))
        body = {**json.loads(feature), **body}
        headers["ETag"] = f'"v{result.version}"'
        headers["Location"] = (
            f"{str(request.base_url).rstrip('/')}/collections/{found.id}/items/{result.grid_id}"
        )
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=status, media_type=GEOJSON, headers=headers
    )


@router.options("/collections/{collection_id}/items", summary="Methods allowed on a collection's items")
def items_options(collection_id: CollectionId, caller: PrincipalDep) -> Response:
    """204 with `Allow`: drafts take POST; every other collection is read-only."""
    found = layer(collection_id, caller=caller)
    return Response(status_code=204, headers={"Allow": EDIT_ITEMS if found.editable else READ_ONLY})


@router.options("/collections/{collection_id}/items/{feature_id}", summary="Methods allowed on a feature")
def item_options(collection_id: CollectionId, feature_id: str, caller: PrincipalDep) -> Response:
    """204 with `Allow`: a draft grid takes PUT, PATCH and DELETE; others are read-only."""
    found = layer(collection_id, caller=caller)
    return Response(status_code=204, headers={"Allow": EDIT_ITEM if found.editable else READ_ONLY})


@router.post("/collections/{collection_id}/items", status_code=201, summary="Add a grid to a draft")
def create(
    request: Request,
    collection_id: CollectionId,
    body: Feature,
    db: SessionDep,
    caller: PrincipalDep,
    content_crs: ContentCrs = None,
) -> Response:
    """Add a grid (properties generation_id, code, name, kind, village_code; any geometry) to a draft."""
    found = _editable(collection_id, caller)
    edit, generation_id, _ = read_feature(body, crs=_crs(content_crs), partial=False)
    if generation_id is None:
        raise InvalidInput(
            "properties.generation_id must name the draft to add to (请指定草稿版本)", field="generation_id"
        )
    result = drafts.create_grid(db, caller=caller, generation_id=generation_id, edit=edit)
    commit(db)
    return _answer(request, found, db, caller, result, 201)


@router.put("/collections/{collection_id}/items/{feature_id}", summary="Replace a draft grid")
def replace(
    request: Request,
    collection_id: CollectionId,
    feature_id: FeatureId,
    body: Feature,
    db: SessionDep,
    caller: PrincipalDep,
    content_crs: ContentCrs = None,
    if_match: IfMatch = None,
) -> Response:
    """Replace a draft grid whole; answered with the problems it leaves in the draft."""
    found = _editable(collection_id, caller)
    edit, _, sent = read_feature(body, crs=_crs(content_crs), partial=False)
    result = drafts.replace_grid(
        db, caller=caller, grid_id=feature_id, version=_version(if_match, sent), edit=edit
    )
    commit(db)
    return _answer(request, found, db, caller, result, 200)


@router.patch("/collections/{collection_id}/items/{feature_id}", summary="Update a draft grid")
def update(
    request: Request,
    collection_id: CollectionId,
    feature_id: FeatureId,
    body: Feature,
    db: SessionDep,
    caller: PrincipalDep,
    content_crs: ContentCrs = None,
    if_match: IfMatch = None,
) -> Response:
    """Change some properties or the shape of a draft grid; answered with the problems left."""
    found = _editable(collection_id, caller)
    edit, _, sent = read_feature(body, crs=_crs(content_crs), partial=True)
    result = drafts.update_grid(
        db, caller=caller, grid_id=feature_id, version=_version(if_match, sent), edit=edit
    )
    commit(db)
    return _answer(request, found, db, caller, result, 200)


@router.delete("/collections/{collection_id}/items/{feature_id}", summary="Delete a draft grid")
def delete(
    request: Request,
    collection_id: CollectionId,
    feature_id: FeatureId,
    db: SessionDep,
    caller: PrincipalDep,
    if_match: IfMatch = None,
) -> Response:
    """Remove a grid from its draft (If-Match required); answered with the problems left."""
    found = _editable(collection_id, caller)
    result = drafts.delete_grid(db, caller=caller, grid_id=feature_id, version=_version(if_match, None))
    commit(db)
    return _answer(request, found, db, caller, result, 200)
