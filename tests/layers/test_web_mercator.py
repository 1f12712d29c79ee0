"""The stored EPSG:3857 copies follow their source geometry, whatever writes it."""

import psycopg2
import pytest
from pyproj import Transformer
from sqlalchemy.engine import make_url

SQUARE = "SRID=4490;MULTIPOLYGON(((119.9 28.4,119.91 28.4,119.91 28.41,119.9 28.41,119.9 28.4)))"


@pytest.fixture
def cur(database_url: str):
    """A cursor on a fresh database holding one village and a draft generation."""
    conn = psycopg2.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    with conn, conn.cursor() as c:
        c.execute(
            """INSERT INTO divisions (code, level, name, parent_code, geom) VALUES
                 ('990000000000', 'province', '示范省', NULL, NULL),
                 ('990101001001', 'village', '一村', '990000000000', ST_GeomFromEWKT(%s));
               INSERT INTO generations (id, name, scope_code, status, created_by)
                 VALUES (1, 'draft', '990000000000', 'draft', 'test')""",
            (SQUARE,),
        )
    with conn.cursor() as c:
        yield c
    conn.rollback()
    conn.close()


def test_copy_is_made_on_insert_and_follows_updates(cur) -> None:
    """Insert, reshape and a direct write to the copy all leave it equal to ST_Transform(geom, 3857)."""
    cur.execute(
        "SELECT ST_X(ST_StartPoint(ST_ExteriorRing(ST_GeometryN(geom_3857, 1)))) FROM divisions WHERE level = 'village'"
    )
    x, _ = Transformer.from_crs(4490, 3857, always_xy=True).transform(119.9, 28.4)
    assert cur.fetchone()[0] == pytest.approx(x, abs=0.01)
    cur.execute(
        "INSERT INTO grids (generation_id, code, name, village_code, geom) VALUES (1, '990101001001001', 'a', '990101001001', ST_GeomFromEWKT(%s))",
        (SQUARE,),
    )
    cur.execute("UPDATE grids SET geom = ST_Translate(geom, 0.01, 0)")
    cur.execute("UPDATE grids SET geom_3857 = ST_SetSRID('POINT(0 0)'::geometry, 3857)")
    cur.execute("SELECT ST_Equals(geom_3857, ST_Transform(geom, 3857)) FROM grids")
    assert cur.fetchone()[0] is True


def test_a_draft_in_the_wrong_crs_is_still_stored(cur) -> None:
    """Metre coordinates mislabelled as degrees cannot be Web Mercator: stored, with no copy."""
    cur.execute(
        "INSERT INTO grids (generation_id, code, name, geom) VALUES (1, 'x', 'bad', ST_GeomFromEWKT('SRID=4490;POINT(500000 3100000)')) RETURNING geom_3857"
    )
    assert cur.fetchone()[0] is None
