"""The application factory: `uvicorn --factory api.app:create_app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import add_exception_handlers
from api.hot import HotRoutes, hot_route
from api.routers import (
    attachments,
    boundaries,
    cases,
    catalogue,
    coverage,
    divisions,
    health,
    locate,
    ogc,
    ogc_edit,
    open311,
    redraws,
    rosters,
    supervision,
    tiles,
    users,
    webmap,
    workers,
)
from api.settings import ApiSettings
from grids.async_reads import AsyncReader
from grids.db import make_engine, session_factory
from grids.embedded import resolve_database_url
from grids.users import PrincipalCache


def create_app(settings: ApiSettings | None = None, *, database_url: str | None = None) -> FastAPI:
    """Build the app; the engine is created in the lifespan and disposed on exit, never at import."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url or resolve_database_url(settings.database)
        engine = make_engine(url, pool_size=settings.pool_size)
        reader = make_engine(url, pool_size=settings.pool_size, autocommit=True)
        app.state.engine, app.state.reader = engine, reader
        app.state.tiles = AsyncReader(url, size=settings.pool_size)  # tiles, read on the event loop
        app.state.sessions = session_factory(engine)
        app.state.reads = session_factory(reader)
        app.state.principals = PrincipalCache(ttl=settings.principal_ttl_seconds)
        try:
            yield
        finally:
            engine.dispose()
            reader.dispose()
            await app.state.tiles.close()

    app = FastAPI(
        title="网格管理 Grid management — four platforms (四个平台)",
        version="0.1.0",
        description="Grids, cases and map layers for township governance in Lishui (丽水).",
        lifespan=lifespan,
    )
    add_exception_handlers(app)
    # Routes are matched in this order, one pattern after another: the hottest paths come first.
    for module in (
        health,
        locate,
        tiles,
        users,
        divisions,
        catalogue,
        cases,
        attachments,
        supervision,
        open311,
        rosters,
        workers,
        ogc,
        ogc_edit,
        webmap,
        boundaries,
        coverage,
        redraws,
    ):
        app.include_router(module.router)
    hot = (hot_route(locate.router, locate.locate), hot_route(tiles.router, tiles.tile))
    app.add_middleware(HotRoutes, routes=hot, handlers=app.exception_handlers)
    return app
