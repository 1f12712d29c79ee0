"""QGIS safety: a planner's own database login sees only their jurisdiction, edits drafts and nothing
active, cannot read personal data, and every edit records who and when."""

import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2.errors import InsufficientPrivilege
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from grids.boundaries.drafts import draft_from_active
from grids.boundaries.qgis import create_db_login
from grids.db import make_engine, session_factory
from grids.errors import Conflict, InvalidInput
from grids.users import add_user
from tests.boundaries.conftest import OPERATOR
from tests.conftest import Demo, Server

PASSWORD = "绝密-correct-horse-42"


@pytest.fixture
def login(demo_url_fresh: str, demo: Demo, server: Server) -> Iterator[tuple[str, dict[str, int], Session]]:
    """A township planner's database login, a draft of their township and one of another township."""
    engine = make_engine(demo_url_fresh, pool_size=2)
    township, other = demo.summary.township_codes[0], demo.summary.township_codes[1]
    name = f"qgis_{uuid.uuid4().hex[:12]}"
    with session_factory(engine)() as owner:
        add_user(owner, name="王规划", role="planner", scope_code=township)
        mine, _ = draft_from_active(owner, scope=township, name="本镇草稿", caller=OPERATOR)
        theirs, _ = draft_from_active(owner, scope=other, name="邻镇草稿", caller=OPERATOR)
        create_db_login(owner, user_name="王规划", login=name, password=PASSWORD, caller=OPERATOR)
        owner.commit()
        try:
            yield name, {"mine": mine.id, "theirs": theirs.id, "township": int(township[:9])}, owner
        finally:
            owner.rollback()
            engine.dispose()
            server.execute(f'DROP ROLE IF EXISTS "{name}"')


def connect(url: str, login: str) -> psycopg2.extensions.connection:
    """A connection as QGIS would open it, with the planner's login."""
    parts = make_url(url)
    return psycopg2.connect(
        host=parts.host, port=parts.port, dbname=parts.database, user=login, password=PASSWORD
    )


def test_planner_login_is_confined(login: tuple[str, dict[str, int], Session], demo_url_fresh: str) -> None:
    """Jurisdiction, drafts-only edits, no personal data, and who/when recorded."""
    name, ids, owner = login
    prefix = str(ids["township"])
    conn = connect(demo_url_fresh, name)
    conn.autocommit = True
    cur = conn.cursor()
    for table in ("people", "cases", "users", "api_tokens", "workers", "grid_parts"):
        with pytest.raises(InsufficientPrivilege):
            cur.execute(f"SELECT count(*) FROM {table}")
    cur.execute("SELECT DISTINCT left(village_code, 9) FROM grids")
    assert {r[0] for r in cur.fetchall()} == {prefix}
    cur.execute(
        "SELECT DISTINCT generation_id FROM grids g JOIN generations ge ON ge.id = g.generation_id "
        "WHERE ge.status = 'draft'"
    )
    assert [r[0] for r in cur.fetchall()] == [ids["mine"]]
    cur.execute("SELECT count(*) FROM divisions WHERE level = 'village' AND left(code, 9) <> %s", (prefix,))
    assert cur.fetchone()[0] == 0
    cur.execute(
        "SELECT id, code FROM grids g WHERE generation_id IN "
        "(SELECT id FROM generations WHERE status = 'active') ORDER BY code LIMIT 1"
    )
    active_id, code = cur.fetchone()
    cur.execute("UPDATE grids SET name = 'QGIS改名' WHERE id = %s", (active_id,))
    assert cur.rowcount == 0  # active grids are read-only
    cur.execute(
        "UPDATE grids SET name = 'QGIS改名', geom = ST_Multi(ST_Buffer(geom, 0)) "
        "WHERE generation_id = %s AND code = %s",
        (ids["mine"], code),
    )
    assert cur.rowcount == 1
    cur.execute("UPDATE grids SET name = 'x' WHERE generation_id = %s", (ids["theirs"],))
    assert cur.rowcount == 0
    with pytest.raises(InsufficientPrivilege):  # row-level security refuses a row in another draft
        cur.execute(
            "INSERT INTO grids (generation_id, code, name, geom) "
            "SELECT %s, '', '越界', geom FROM grids WHERE generation_id = %s LIMIT 1",
            (ids["theirs"], ids["mine"]),
        )
    with pytest.raises(InsufficientPrivilege):
        cur.execute("UPDATE generations SET status = 'active' WHERE id = %s", (ids["mine"],))
    conn.close()
    stamped = owner.execute(
        text(
            "SELECT updated_by, now() - updated_at < interval '1 minute' FROM grids "
            "WHERE generation_id = :g AND code = :c"
        ),
        {"g": ids["mine"], "c": code},
    ).one()
    assert tuple(stamped) == (name, True)
    untouched = owner.execute(text("SELECT name FROM grids WHERE id = :i"), {"i": active_id}).scalar()
    assert untouched != "QGIS改名"


def test_login_rules(login: tuple[str, dict[str, int], Session]) -> None:
    """A second login for the same user, a bad name, a short password or a dispatcher are refused."""
    name, _, owner = login
    with pytest.raises(Conflict):
        create_db_login(owner, user_name="王规划", login=f"{name}x", password=PASSWORD, caller=OPERATOR)
    owner.rollback()
    with pytest.raises(InvalidInput, match="login"):
        create_db_login(owner, user_name="王规划", login="Robert'); DROP", password=PASSWORD, caller=OPERATOR)
    with pytest.raises(InvalidInput, match="12 characters"):
        create_db_login(owner, user_name="王规划", login="qgis_short_pw", password="short", caller=OPERATOR)
    add_user(owner, name="派单员", role="dispatcher", scope_code=None)
    with pytest.raises(InvalidInput, match="only planners"):
        create_db_login(owner, user_name="派单员", login="qgis_dispatch", password=PASSWORD, caller=OPERATOR)
