"""Tiles run as server-side prepared statements (grids.db.execute_prepared): each statement is
prepared once per connection and then only executed, every layer's tile query prepares (PostgreSQL
infers each parameter's type), and a prepared tile holds exactly the features and properties of
the same query run unprepared."""

from typing import Any

import mapbox_vector_tile
from sqlalchemy import create_engine, text

from grids import features as repo
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


def test_every_layer_prepares_once_and_matches_the_plain_query(demo_url: str, monkeypatch: Any) -> None:
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' ORDER BY g.code LIMIT 1"
            )
        ).one()
    statements: set[str] = set()
    drawn = calls = 0

    def plainly(session: Any, sql: str, params: dict[str, Any]) -> Any:
        statements.add(sql)
        return session.execute(text(sql), params)

    with session_factory(engine)() as db:
        for layer in CATALOGUE:
            for z in sorted({max(layer.min_zoom, 10), 14}):
                x, y = tile_of(lon, lat, z)
                for _ in range(3):
                    prepared = tiles.tile(db, layer, caller=PLANNER, z=z, x=x, y=y)
                chosen = selection(db, layer, caller=PLANNER, filters=dict(layer.tile_filters))
                with monkeypatch.context() as patch:  # the same statement, run plainly, as the reference
                    patch.setattr(repo, "execute_prepared", plainly)
                    if layer.cluster_below is not None and z < layer.cluster_below:
                        plain = repo.tile_clusters(
                            db, selection=chosen, flags=layer.cluster_flags, layer=layer.id, z=z, x=x, y=y,
                            cells=tiles.CLUSTER_CELLS,
                        )  # fmt: skip
                    else:
                        plain = repo.tile(
                            db, selection=chosen, properties=layer.tile_names, layer=layer.id, z=z, x=x, y=y
                        )
                drawn += bool(features(prepared))
                calls += 1
                assert features(prepared) == features(plain), (layer.id, z)
        counts = (
            db.execute(text("SELECT generic_plans + custom_plans FROM pg_prepared_statements ORDER BY name"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert drawn >= len(CATALOGUE)  # the comparisons were not between empty tiles
    assert len(counts) == len(statements) >= len(CATALOGUE)  # one statement per layer and kind of tile
    assert sum(counts) == 3 * calls  # prepared once per connection, then only executed
