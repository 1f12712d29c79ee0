"""Tiles run as server-side prepared statements (grids.async_reads.AsyncReader): each statement is
prepared once per connection and then only executed, every layer's tile query prepares (PostgreSQL
infers each parameter's type), and a prepared tile holds exactly the features and properties of
the same query run unprepared."""

import asyncio
from typing import Any

import mapbox_vector_tile
from sqlalchemy import create_engine, text

from grids import features as repo
from grids.async_reads import AsyncReader
from grids.db import session_factory
from grids.users import Principal
from layers import tiles
from layers.catalogue import CATALOGUE
from layers.features import selection
from tests.layers.test_tiles import tile_of

PLANNER = Principal(user_id=0, name="test-planner", role="admin", scope_code=None, platform_code=None)


def features(data: bytes) -> list[tuple[Any, ...]]:
    """The decoded features of a tile as sorted (layer, properties, geometry) tuples."""
    found = [
        (name, sorted(f["properties"].items()), str(f["geometry"]))
        for name, layer in mapbox_vector_tile.decode(data).items()
        for f in layer["features"]
    ]
    return sorted(found)


def test_every_layer_prepares_once_and_matches_the_plain_query(demo_url: str) -> None:
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' ORDER BY g.code LIMIT 1"
            )
        ).one()
    sessions = session_factory(engine)
    wanted = [
        (layer, z, *tile_of(lon, lat, z))
        for layer in CATALOGUE
        for z in sorted({max(layer.min_zoom, 10), 14})
    ]

    async def draw() -> tuple[list[bytes], list[int]]:
        reader = AsyncReader(demo_url, size=1)  # one connection: every statement prepared on it
        drawn = []
        for layer, z, x, y in wanted:
            for _ in range(3):
                prepared = await tiles.tile(reader, sessions, layer, caller=PLANNER, z=z, x=x, y=y)
            drawn.append(prepared)
        counts = await reader.first_value(
            "SELECT array_agg(generic_plans + custom_plans ORDER BY name) FROM pg_prepared_statements "
            "WHERE statement NOT LIKE '%pg_prepared_statements%'",
            {},
        )
        await reader.close()
        return drawn, counts

    drawn, counts = asyncio.run(draw())
    statements = set()
    with sessions() as db:
        for (layer, z, x, y), prepared in zip(wanted, drawn, strict=True):
            chosen = selection(None, layer, caller=PLANNER, filters=dict(layer.tile_filters))
            if layer.cluster_below is not None and z < layer.cluster_below:
                sql, params = repo.cluster_statement(
                    selection=chosen, flags=layer.cluster_flags, layer=layer.id, z=z, x=x, y=y,
                    cells=tiles.CLUSTER_CELLS,
                )  # fmt: skip
            else:
                sql, params = repo.tile_statement(
                    selection=chosen, properties=layer.tile_names, layer=layer.id, z=z, x=x, y=y
                )
            statements.add(sql)
            plain = bytes(db.execute(text(sql), params).scalar() or b"")  # the same statement, run plainly
            assert features(prepared) == features(plain), (layer.id, z)
    engine.dispose()
    assert sum(bool(features(tile)) for tile in drawn) >= len(CATALOGUE)  # not comparing empty tiles
    assert len(counts) == len(statements) >= len(CATALOGUE)  # one statement per layer and kind of tile
    assert sum(counts) == 3 * len(wanted)  # prepared once per connection, then only executed
