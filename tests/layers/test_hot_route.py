"""The fast lane (api.hot.HotRoutes) for tiles and /locate: served ahead of the framework's routing,
yet documented, other methods refused, and every failure answered as problem details by the app's
own handlers (never a traceback)."""

import httpx
import pytest
from fastapi import APIRouter, Depends, Request, Response

from api.app import create_app
from api.deps import principal
from api.hot import HotRoutes, _route_path, hot_route
from api.routers import locate, tiles
from grids.async_reads import AsyncReader
from tests.conftest import Demo
from tests.layers.conftest import admin
from tests.live import serve

TILE = "/collections/grids/tiles/WebMercatorQuad/{z}/{x}/{y}"


def test_the_route_is_documented_and_other_methods_are_refused(base: str, demo: Demo) -> None:
    spec = httpx.get(f"{base}/openapi.json").json()
    operation = spec["paths"]["/collections/{collection_id}/tiles/WebMercatorQuad/{z}/{x}/{y}"]["get"]
    documented = {(p["name"], p["in"]) for p in operation["parameters"]}
    assert documented == {
        ("collection_id", "path"), ("z", "path"), ("x", "path"), ("y", "path"),
        ("generation", "query"), ("if-none-match", "header"),
    }  # fmt: skip
    assert operation["security"] == [{"HTTPBearer": []}]
    refused = httpx.post(f"{base}{TILE.format(z=14, x=1, y=1)}", headers=admin(demo))
    assert refused.status_code == 405
    assert refused.headers["content-type"].startswith("application/problem+json")
    operation = spec["paths"]["/locate"]["post"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "requestBody" in operation and "200" in operation["responses"]
    assert httpx.get(f"{base}/locate", headers=admin(demo)).status_code == 405
    assert hot_route(locate.router, locate.locate).methods == {"POST"}


def test_an_unreachable_database_is_a_problem_not_a_traceback(demo_url: str, demo: Demo) -> None:
    app = create_app(database_url=demo_url)
    with serve(app) as url:
        app.state.tiles = AsyncReader("postgresql+psycopg2://nobody@127.0.0.1:1/none", size=1)
        down = httpx.get(f"{url}{TILE.format(z=14, x=13700, y=6900)}", headers=admin(demo))
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/problem+json")
        assert "数据库不可用" in down.json()["detail"]
        app.state.tiles = None  # a fault of our own: logged, answered 500 as a problem
        broken = httpx.get(f"{url}{TILE.format(z=14, x=13700, y=6900)}", headers=admin(demo))
        assert broken.status_code == 500
        assert broken.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in broken.text


def test_routes_are_matched_below_the_root_path() -> None:
    assert hot_route(tiles.router, tiles.tile).path_regex.match(
        _route_path({"path": "/gis" + TILE, "root_path": "/gis"})
    )
    assert _route_path({"path": "/gis/collections", "root_path": "/gis"}) == "/collections"
    assert _route_path({"path": "/gisx/collections", "root_path": "/gis"}) == "/gisx/collections"
    assert _route_path({"path": "/collections", "root_path": ""}) == "/collections"


def test_a_route_with_declared_dependencies_is_refused() -> None:
    """Its dependencies (such as authentication) would be skipped in the lane: refused at start-up."""
    router = APIRouter()

    @router.get("/guarded", dependencies=[Depends(principal)])
    async def guarded(request: Request) -> Response:
        return Response(b"")

    with pytest.raises(TypeError, match="would be skipped"):
        HotRoutes(create_app(), routes=[hot_route(router, guarded)], handlers={})
