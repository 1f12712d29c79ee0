"""The schema: migrations round-trip, models match them, and the database enforces the data rules."""

import threading
from collections.abc import Iterator

import psycopg2
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from grids.migrate import current, downgrade, heads, upgrade
from grids.models import Base

VILLAGE = "990101001001"
SQUARE = "MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def square(x0: float, y0: float, x1: float, y1: float) -> str:
    """A square multipolygon in EWKT, storage CRS."""
    return "SRID=4490;" + SQUARE.format(x0=x0, y0=y0, x1=x1, y1=y1)


def dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def conn(database_url: str) -> Iterator["psycopg2.extensions.connection"]:
    """A connection to a database holding one village and an active and a draft generation."""
    connection = psycopg2.connect(dsn(database_url))
    with connection, connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO divisions (code, level, name, parent_code, geom) VALUES
              ('990000000000', 'province', '示范省', NULL, NULL),
              ('990100000000', 'city', '示范市', '990000000000', NULL),
              ('990101000000', 'county', '甲县', '990100000000', NULL),
              ('990101001000', 'township', '东山镇', '990101000000', NULL),
              (%s, 'village', '一村', '990101001000', ST_GeomFromEWKT(%s));
            INSERT INTO generations (id, name, scope_code, status, created_by, activated_at)
              VALUES (1, 'active', '990101000000', 'active', 'test', now()),
                     (2, 'draft', '990101000000', 'draft', 'test', NULL);
            """,
            (VILLAGE, square(119.9, 28.4, 119.92, 28.42)),
        )
    yield connection
    connection.close()


def insert_grid(cur: "psycopg2.extensions.cursor", generation: int, code: str, ewkt: str) -> None:
    """Insert one grid of `VILLAGE`."""
    cur.execute(
        "INSERT INTO grids (generation_id, code, name, village_code, geom) VALUES (%s, %s, %s, %s, ST_GeomFromEWKT(%s))",
        (generation, code, f"网格{code[-3:]}", VILLAGE, ewkt),
    )


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    """The migrations go down to nothing and up again, leaving the same tables."""
    engine = create_engine(database_url)
    tables_before = set(inspect(engine).get_table_names())
    downgrade(database_url, "base")
    assert current(database_url) == set()
    assert not (set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"})
    upgrade(database_url)
    assert current(database_url) == heads() != set()
    assert set(inspect(engine).get_table_names()) == tables_before
    engine.dispose()


def test_models_match_migrations(database_url: str) -> None:
    """Autogenerate finds nothing to change: the models and the migrated schema agree."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": alembic_helpers.include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_platforms_seeded(database_url: str) -> None:
    """The four platforms exist after migration."""
    engine = create_engine(database_url)
    with engine.connect() as c:
        codes = {r[0] for r in c.execute(text("SELECT code FROM platforms"))}
    engine.dispose()
    assert codes == {"governance", "market", "enforcement", "services"}


def test_concurrent_overlapping_inserts_exactly_one_fails(conn, database_url: str) -> None:
    """Two writers held at a barrier then committing together: the advisory lock lets only one pass."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def write(code: str, x0: float) -> None:
        c = psycopg2.connect(dsn(database_url))
        try:
            with c.cursor() as cur:
                cur.execute("SELECT 1")  # open the transaction before the barrier
                barrier.wait(timeout=10)
                insert_grid(cur, 1, code, square(x0, 28.40, x0 + 0.01, 28.41))
            c.commit()
            outcomes[code] = "ok"
        except psycopg2.Error as exc:
            c.rollback()
            outcomes[code] = exc.pgcode or "error"
        finally:
            c.close()

    threads = [
        threading.Thread(target=write, args=(VILLAGE + "001", 119.900)),
        threading.Thread(target=write, args=(VILLAGE + "002", 119.905)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["23P01", "ok"], outcomes
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids WHERE generation_id = 1")
        assert cur.fetchone()[0] == 1


def test_edge_sharing_grids_both_succeed_concurrently(conn, database_url: str) -> None:
    """Grids that only touch along an edge are not overlaps, even written at once."""
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def write(code: str, x0: float, x1: float) -> None:
        c = psycopg2.connect(dsn(database_url))
        try:
            with c.cursor() as cur:
                cur.execute("SELECT 1")
                barrier.wait(timeout=10)
                insert_grid(cur, 1, code, square(x0, 28.40, x1, 28.41))
            c.commit()
        except psycopg2.Error as exc:
            errors.append(str(exc))
        finally:
            c.close()

    threads = [
        threading.Thread(target=write, args=(VILLAGE + "001", 119.90, 119.91)),
        threading.Thread(target=write, args=(VILLAGE + "002", 119.91, 119.92)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids WHERE generation_id = 1")
        assert cur.fetchone()[0] == 2


@pytest.mark.parametrize(
    ("code", "ewkt", "reason"),
    [
        (
            VILLAGE + "001",
            "SRID=4490;MULTIPOLYGON(((119.9 28.4,119.91 28.41,119.91 28.4,119.9 28.41,119.9 28.4)))",
            "invalid geometry",
        ),
        (VILLAGE + "001", "SRID=4490;LINESTRING(119.9 28.4,119.91 28.41)", "not a MultiPolygon"),
        ("99010100100", square(119.9, 28.4, 119.91, 28.41), "not 15 digits"),
        ("990101001002001", square(119.9, 28.4, 119.91, 28.41), "not numbered under its village"),
    ],
)
def test_active_generation_refuses_faults(conn, code: str, ewkt: str, reason: str) -> None:
    """An active generation takes only valid MultiPolygons with well-formed codes under their village."""
    with pytest.raises(psycopg2.errors.CheckViolation, match=reason), conn, conn.cursor() as cur:
        insert_grid(cur, 1, code, ewkt)


def test_draft_holds_faults_but_cannot_be_activated(conn) -> None:
    """A draft stores overlapping and invalid grids; activating it is refused and changes nothing."""
    with conn, conn.cursor() as cur:
        insert_grid(cur, 2, VILLAGE + "001", square(119.90, 28.40, 119.91, 28.41))
        insert_grid(cur, 2, VILLAGE + "002", square(119.905, 28.40, 119.915, 28.41))
    with pytest.raises(psycopg2.errors.ExclusionViolation, match="overlaps"), conn, conn.cursor() as cur:
        cur.execute("UPDATE generations SET status = 'retired', retired_at = now() WHERE id = 1")
        cur.execute("UPDATE generations SET status = 'active', activated_at = now() WHERE id = 2")
    with conn.cursor() as cur:
        cur.execute("SELECT id, status FROM generations ORDER BY id")
        assert cur.fetchall() == [(1, "active"), (2, "draft")]
    conn.rollback()


def test_activation_refuses_nested_scope_and_overlap_with_other_active(conn) -> None:
    """A second active generation may not nest with the first; a clean, disjoint one may activate."""
    with conn, conn.cursor() as cur:
        insert_grid(cur, 2, VILLAGE + "001", square(119.90, 28.40, 119.91, 28.41))
    with pytest.raises(psycopg2.errors.ExclusionViolation, match="nests"), conn, conn.cursor() as cur:
        cur.execute("UPDATE generations SET status = 'active', activated_at = now() WHERE id = 2")
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE generations SET status = 'retired', retired_at = now() WHERE id = 1")
        cur.execute("UPDATE generations SET status = 'active', activated_at = now() WHERE id = 2")
        cur.execute(
            "SELECT count(*) FROM grid_parts p JOIN grids g ON g.id = p.grid_id WHERE g.generation_id = 2"
        )
        assert cur.fetchone()[0] >= 1


def test_generation_lifecycle_only_moves_forward(conn) -> None:
    """A retired generation cannot come back."""
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE generations SET status = 'retired', retired_at = now() WHERE id = 1")
    with pytest.raises(psycopg2.errors.CheckViolation, match="only draft"), conn, conn.cursor() as cur:
        cur.execute("UPDATE generations SET status = 'active' WHERE id = 1")


def test_subdivided_parts_follow_the_grid(conn) -> None:
    """Reshaping a grid replaces its subdivided parts; their union equals the grid."""
    with conn, conn.cursor() as cur:
        insert_grid(cur, 1, VILLAGE + "001", square(119.90, 28.40, 119.91, 28.41))
        cur.execute(
            "UPDATE grids SET geom = ST_GeomFromEWKT(%s) WHERE code = %s",
            (square(119.90, 28.40, 119.905, 28.41), VILLAGE + "001"),
        )
        cur.execute(
            "SELECT ST_Equals(ST_Union(p.geom), g.geom) FROM grid_parts p JOIN grids g ON g.id = p.grid_id GROUP BY g.geom"
        )
        assert cur.fetchall() == [(True,)]


def test_case_events_are_append_only(conn) -> None:
    """Events cannot be updated or deleted on their own, only together with their case."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO case_categories VALUES ('noise', '噪声', 'Noise', 'enforcement', 'env', 1, 2, 24, 2, 100, 24, 'township')"
        )
        cur.execute(
            """INSERT INTO cases (county_code, id, channel, category_code, description, reported_at, status)
               VALUES ('990101000000', 1, 'patrol', 'noise', '夜间施工噪声', now(), 'received')"""
        )
        cur.execute(
            "INSERT INTO case_events (county_code, case_id, actor, action, to_status) VALUES ('990101000000', 1, 'x', 'receive', 'received')"
        )
    for statement in (
        "UPDATE case_events SET reason = 'edited'",
        "DELETE FROM case_events",
        "TRUNCATE case_events",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn, conn.cursor() as cur:
            cur.execute(statement)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM cases WHERE id = 1")
        cur.execute("SELECT count(*) FROM case_events")
        assert cur.fetchone()[0] == 0


def test_one_primary_worker_per_grid_at_a_time(conn) -> None:
    """Two primary assignments of one grid code may not overlap in time; consecutive ones may."""
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO people (id, full_name) VALUES (1, '甲'), (2, '乙')")
        cur.execute(
            """INSERT INTO workers (id, staff_no, person_id, role, township_code) VALUES
               (1, 'W1', 1, 'full_time', '990101001000'), (2, 'W2', 2, 'full_time', '990101001000')"""
        )
        cur.execute(
            """INSERT INTO worker_assignments (worker_id, grid_code, kind, valid_from, valid_to) VALUES
               (1, %s, 'primary', '2026-01-01', '2026-06-01'), (2, %s, 'primary', '2026-06-01', NULL)""",
            (VILLAGE + "001", VILLAGE + "001"),
        )
    with pytest.raises(psycopg2.errors.ExclusionViolation), conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO worker_assignments (worker_id, grid_code, kind, valid_from) VALUES (1, %s, 'primary', '2026-07-01')",
            (VILLAGE + "001",),
        )
