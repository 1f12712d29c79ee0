"""OGC API – Features, Part 1 (core, GeoJSON, HTML) and Part 2 (CRS), over the layer catalogue.

Every request is authenticated and every answer lies within the caller's jurisdiction: items,
`numberMatched` and single features alike (a feature outside it is 404).
"""

import json
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import PrincipalDep, SessionDep
from layers import features
from layers.catalogue import Layer, layer, layers_for
from layers.crs import CRS84, EPSG_4490, OGC_CRS, output_crs, parse_bbox

router = APIRouter(tags=["ogc 地图图层 OGC API Features"])

GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    # Part 4 on the drafts collection. PATCH works, but "update" is not declared: QGIS then edits
    # with PUT, which carries every field it read, the version included, so the lock holds for it.
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
ITEM_PARAMS = {"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "generation"}

_templates = Environment(
    loader=FileSystemLoader(FilePath(__file__).resolve().parents[1] / "templates"),
    autoescape=select_autoescape(["html"]),
)

Format = Annotated[Literal["json", "html"] | None, Query(description="json (default) or html")]
CollectionId = Annotated[str, Path(description="counties, townships, villages, grids or cases")]
CrsParam = Annotated[str | None, Query(description=f"output CRS: {', '.join(OGC_CRS)} or gcj02")]
Generation = Annotated[
    int | None,
    Query(ge=1, le=2_147_483_647, description="grids: a published generation instead of the active"),
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _html(request: Request, title: str, body: dict[str, Any]) -> HTMLResponse:
    page = _templates.get_template("ogc.html").render(title=title, body=body, request=request)
    return HTMLResponse(page)


def _json(request: Request, title: str, body: dict[str, Any], f: str | None) -> Response:
    if f == "html":
        return _html(request, title, body)
    return Response(json.dumps(body, ensure_ascii=False, default=str), media_type="application/json")


@router.get("/", summary="Landing page (OGC API)")
def landing(request: Request, caller: PrincipalDep, f: Format = None) -> Response:
    """The entry point of the OGC API: links to the definition, conformance and collections."""
    base = _base(request)
    title = "网格管理地图图层 Grid management map layers"
    body: dict[str, Any] = {
        "title": title,
        "description": "Divisions, grids and cases of the four platforms, scoped to your jurisdiction.",
        "links": [
            _link(f"{base}/", "self", "application/json", "this document"),
            _link(f"{base}/?f=html", "alternate", "text/html", "this document as HTML"),
            _link(
                f"{base}/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "API definition",
            ),
            _link(f"{base}/docs", "service-doc", "text/html", "API documentation"),
            _link(f"{base}/conformance", "conformance", "application/json", "conformance classes"),
            _link(f"{base}/collections", "data", "application/json", "collections 图层"),
            _link(f"{base}/map", "alternate", "text/html", "web map 网格地图"),
        ],
    }
    return _json(request, title, body, f)


@router.get("/conformance", summary="Conformance classes (OGC API)")
def conformance(request: Request, caller: PrincipalDep, f: Format = None) -> Response:
    """The OGC conformance classes this service implements."""
    return _json(request, "Conformance", {"conformsTo": CONFORMANCE}, f)


def _collection(request: Request, item: Layer, extent: features.Extent) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{item.id}"
    spatial = {"bbox": [list(extent.bbox)] if extent.bbox else [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}
    doc: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "itemType": "feature",
        "crs": list(OGC_CRS),
        "storageCrs": EPSG_4490,
        "extent": {"spatial": spatial},
        "links": [
            _link(base, "self", "application/json", item.title),
            _link(f"{base}/items", "items", GEOJSON, f"{item.title} (GeoJSON)"),
            _link(f"{base}/items?f=html", "items", "text/html", f"{item.title} (HTML)"),
            _link(
                f"{base}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "queryable properties",
            ),
            _link(
                f"{base}/tiles/WebMercatorQuad/tilejson.json",
                "describedby",
                "application/json",
                "vector tiles (TileJSON)",
            ),
        ],
    }
    if extent.interval is not None:
        start, end = (None if t is None else t.isoformat() for t in extent.interval)
        doc["extent"]["temporal"] = {
            "interval": [[start, end]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return doc


@router.get("/collections", summary="Collections (OGC API)")
def collections(request: Request, db: SessionDep, caller: PrincipalDep, f: Format = None) -> Response:
    """Every layer of the catalogue with its extent within the caller's jurisdiction."""
    base = _base(request)
    body = {
        "links": [
            _link(f"{base}/collections", "self", "application/json", "collections"),
            _link(f"{base}/collections?f=html", "alternate", "text/html", "collections as HTML"),
        ],
        "collections": [
            _collection(request, c, features.extent(db, c, caller=caller)) for c in layers_for(caller)
        ],
        "crs": list(OGC_CRS),
    }
    return _json(request, "Collections 图层", body, f)


@router.get("/collections/{collection_id}", summary="One collection (OGC API)")
def collection(
    request: Request, collection_id: CollectionId, db: SessionDep, caller: PrincipalDep, f: Format = None
) -> Response:
    """One layer's description, extent and links."""
    item = layer(collection_id, caller=caller)
    return _json(request, item.title, _collection(request, item, features.extent(db, item, caller=caller)), f)


@router.get("/collections/{collection_id}/queryables", summary="Queryable properties (OGC API)")
def queryables(request: Request, collection_id: CollectionId, caller: PrincipalDep) -> Response:
    """The properties `items` filters on by equality, as JSON Schema."""
    item = layer(collection_id, caller=caller)
    types = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_base(request)}/collections/{item.id}/queryables",
        "type": "object",
        "title": item.title,
        "properties": {
            p.name: {"title": p.title, "type": types[p.type]} for p in item.properties if p.type in types
        },
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/schema+json")


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection (OGC API)",
    responses={200: {"content": {GEOJSON: {}, "text/html": {}}}},
)
def items(
    request: Request,
    collection_id: CollectionId,
    db: SessionDep,
    caller: PrincipalDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs axis order")] = None,
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of bbox (default CRS84)")
    ] = None,
    crs: CrsParam = None,
    datetime_: Annotated[
        str | None, Query(alias="datetime", description="RFC 3339 instant or interval")
    ] = None,
    limit: Annotated[int, Query(ge=1, description=f"page size, at most {MAX_LIMIT}")] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    generation: Generation = None,
    f: Format = None,
) -> Response:
    """A page of features in the caller's jurisdiction; other query parameters filter by equality."""
    item = layer(collection_id, caller=caller)
    limit = min(limit, MAX_LIMIT)
    out = output_crs(crs)
    box = parse_bbox(bbox, output_crs(bbox_crs, field="bbox-crs")) if bbox is not None else None
    if bbox is None and bbox_crs is not None:
        output_crs(bbox_crs, field="bbox-crs")
    interval = features.parse_datetime(datetime_) if datetime_ is not None else None
    raw = {k: v for k, v in request.query_params.items() if k not in ITEM_PARAMS}
    chosen = features.selection(
        db,
        item,
        caller=caller,
        bbox=box,
        interval=interval,
        filters=features.parse_filters(item, raw),
        generation=generation,
    )
    result = features.page(db, item, selection=chosen, crs=out, limit=limit, offset=offset)
    links = [
        _link(str(request.url), "self", GEOJSON, "this page"),
        _link(str(request.url.include_query_params(f="html")), "alternate", "text/html", "this page as HTML"),
        _link(f"{_base(request)}/collections/{item.id}", "collection", "application/json", item.title),
    ]
    if offset + len(result.features) < result.number_matched:
        next_url = request.url.include_query_params(offset=offset + limit, limit=limit)
        links.append(_link(str(next_url), "next", GEOJSON, "next page"))
    if offset > 0:
        prev_url = request.url.include_query_params(offset=max(0, offset - limit), limit=limit)
        links.append(_link(str(prev_url), "prev", GEOJSON, "previous page"))
    head = {
        "type": "FeatureCollection",
        "numberMatched": result.number_matched,
        "numberReturned": len(result.features),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "links": links,
    }
    if f == "html":
        body = {**head, "features": [json.loads(x) for x in result.features]}
        return _html(request, item.title, body)
    text = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(result.features) + "]}"
    return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{out.uri}>"})


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature (OGC API)",
    responses={200: {"content": {GEOJSON: {}, "text/html": {}}}},
)
def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: Annotated[str, Path(max_length=64, description="division or grid code, or case id")],
    db: SessionDep,
    caller: PrincipalDep,
    crs: CrsParam = None,
    generation: Generation = None,
    f: Format = None,
) -> Response:
    """One feature; outside the caller's jurisdiction it is not found."""
    found = layer(collection_id, caller=caller)
    out = output_crs(crs)
    chosen = features.selection(db, found, caller=caller, generation=generation)
    text = features.feature(db, found, selection=chosen, fid=feature_id, crs=out)
    if f == "html":
        return _html(request, f"{found.title} {feature_id}", json.loads(text))
    body = json.loads(text)
    body["links"] = [
        _link(str(request.url), "self", GEOJSON, "this feature"),
        _link(f"{_base(request)}/collections/{found.id}", "collection", "application/json", found.title),
    ]
    headers = {"Content-Crs": f"<{out.uri}>"}
    if found.editable:  # the version an edit must present (If-Match)
        headers["ETag"] = f'"v{body["properties"]["version"]}"'
    return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON, headers=headers)
