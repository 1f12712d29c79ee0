"""A real PostGIS for the whole suite: started here, migrated once, cloned per test from templates.

`GRIDS_TEST_SERVER_URL` (a maintenance URL such as postgresql+psycopg2://postgres@host:5432/postgres)
uses an existing server instead of starting the embedded one. Nothing here skips: a missing
database is an error, so CI can never pass with the spatial tests silently skipped.
"""

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from grids.db import make_engine, session_factory, transaction
from grids.demo import DemoSummary, load_demo
from grids.demo.accounts import DemoAccount, create_demo_accounts
from grids.embedded import EmbeddedPostgres
from grids.migrate import upgrade

DEMO_AS_OF = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_counter = itertools.count()


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server the tests may create databases on."""

    url: str

    def database(self, name: str) -> str:
        """The URL of database `name` on this server."""
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        """Run one statement in the maintenance database, outside a transaction."""
        conn = psycopg2.connect(make_url(self.url).set(drivername="postgresql").render_as_string(False))
        conn.autocommit = True
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    def clone(self, template: str, prefix: str) -> str:
        """A new database copied from `template`; returns its name."""
        name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop(self, name: str) -> None:
        """Drop database `name`, disconnecting whoever still uses it."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The suite's PostgreSQL + PostGIS server."""
    given = os.environ.get("GRIDS_TEST_SERVER_URL")
    if given:
        yield Server(given)
        return
    cluster = EmbeddedPostgres(Path(tmp_path_factory.mktemp("grids-home")), database="postgres")
    url = cluster.up()
    try:
        yield Server(url)
    finally:
        cluster.down()
        cluster.destroy()


@pytest.fixture(scope="session")
def schema_template(server: Server) -> Iterator[str]:
    """A database migrated to head, used as the template of every test database."""
    name = f"grids_template_{os.getpid()}"
    server.drop(name)
    server.execute(f'CREATE DATABASE "{name}"')
    upgrade(server.database(name))
    yield name
    server.drop(name)


@pytest.fixture
def database_url(server: Server, schema_template: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test; dropped afterwards."""
    name = server.clone(schema_template, "t")
    try:
        yield server.database(name)
    finally:
        server.drop(name)


@dataclass(frozen=True)
class Demo:
    """The demo city loaded once for the session, with its accounts' tokens."""

    template: str
    summary: DemoSummary
    accounts: dict[str, DemoAccount]

    def token(self, name: str) -> str:
        """The bearer token of demo user `name`."""
        return self.accounts[name].token


@pytest.fixture(scope="session")
def demo(server: Server, schema_template: str) -> Iterator[Demo]:
    """The small demo city with its accounts, in a template database cloned by `demo_url`."""
    name = server.clone(schema_template, "grids_demo_template")
    url = server.database(name)
    engine = make_engine(url, pool_size=1)
    try:
        summary = load_demo(engine, seed=20231, scale="small", as_of=DEMO_AS_OF)
        with transaction(session_factory(engine)) as db:
            accounts = create_demo_accounts(
                db,
                city_code=summary.city_code,
                county_codes=summary.county_codes,
                township_codes=summary.township_codes,
            )
    finally:
        engine.dispose()
    yield Demo(name, summary, {a.name: a for a in accounts})
    server.drop(name)


@pytest.fixture(scope="module")
def demo_url(server: Server, demo: Demo) -> Iterator[str]:
    """A copy of the demo city for one test module (tests that write should use `demo_url_fresh`)."""
    name = server.clone(demo.template, "d")
    try:
        yield server.database(name)
    finally:
        server.drop(name)


@pytest.fixture
def demo_url_fresh(server: Server, demo: Demo) -> Iterator[str]:
    """A copy of the demo city for one test that writes."""
    name = server.clone(demo.template, "df")
    try:
        yield server.database(name)
    finally:
        server.drop(name)
