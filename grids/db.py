"""Engines and sessions; driver errors are translated into domain errors at this boundary."""

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Result, TextClause, create_engine, event, select, text
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from grids.errors import Conflict, EnvironmentProblem, GridsError, IntegrityViolation

ANNOUNCEMENTS = "grids_cache_versions"
"""The channel on which the database announces, as they commit, changes of what server processes
keep in memory (grids/sql/cache_versions_notify.sql)."""

CONNECT_ARGS = {"options": "-c jit=off"}
"""Options of every connection: JIT compiling costs more than our queries take (`make_engine`)."""

_hearers: list[Callable[[Engine], None]] = []


def on_own_announcement(hearer: Callable[[Engine], None]) -> None:
    """Call `hearer(engine)` whenever a transaction of this process on `engine` has committed a change
    the database announces, before that commit returns (listeners in other processes hear it a moment
    later, asynchronously)."""
    _hearers.append(hearer)


def make_engine(url: str, *, pool_size: int = 5, autocommit: bool = False) -> Engine:
    """An engine with a small pool and a connection check before use, JIT compilation off, whose
    connections listen for announcements.

    PostgreSQL's JIT triggers on estimated cost, and the estimates of our read-models (nested
    CTEs, spatial joins) are far above its thresholds: compiling took 2.8 s for a query that runs
    in 0.1 s. Nothing here runs long enough for JIT to pay.

    `autocommit`: every statement commits on its own, no transaction (for reads only). It is set per
    engine because switching a pooled connection back and forth costs a round trip each way.

    A session that listens receives its own notifications with its COMMIT, so a connection that comes
    back to the pool holding one has just committed an announced change (or heard another's): the
    hearers learn of it before the commit returns (`on_own_announcement`).
    """
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=CONNECT_ARGS,
        isolation_level="AUTOCOMMIT" if autocommit else None,
    )

    @event.listens_for(engine, "connect")
    def listen(dbapi_connection: Any, _: Any) -> None:
        with dbapi_connection.cursor() as cur:
            cur.execute(f"LISTEN {ANNOUNCEMENTS}")
        dbapi_connection.commit()  # LISTEN takes effect at commit

    @event.listens_for(engine, "checkin")
    def heard(dbapi_connection: Any, _: Any) -> None:
        if dbapi_connection is not None and dbapi_connection.notifies:
            dbapi_connection.notifies.clear()
            for hearer in _hearers:
                hearer(engine)

    return engine


_NUMBERED = PGDialect_psycopg2(paramstyle="numeric_dollar")


@dataclass(frozen=True)
class _Prepared:
    name: str
    numbered: str  # the statement with $1…$n, for PREPARE
    names: tuple[str, ...]  # its parameters in that order
    call: str  # EXECUTE with the driver's %(name)s parameters
    entity_call: TextClause  # the same EXECUTE as SQLAlchemy text, for loading mapped rows


@lru_cache(maxsize=256)
def prepared_form(sql: str) -> _Prepared:
    """`sql` (with `:name` parameters) as a named statement to PREPARE and the EXECUTE that runs it."""
    compiled = TextClause(sql).compile(dialect=_NUMBERED)
    numbered = compiled.string
    name = "grids_" + hashlib.blake2b(numbered.encode(), digest_size=8).hexdigest()
    names = tuple(compiled.positiontup or ())
    if not names:
        return _Prepared(name, numbered, names, f"EXECUTE {name}", text(f"EXECUTE {name}"))
    driver = ", ".join(f"%({n})s" for n in names)
    sqlalchemy = ", ".join(f":{n}" for n in names)
    return _Prepared(
        name, numbered, names, f"EXECUTE {name}({driver})", text(f"EXECUTE {name}({sqlalchemy})")
    )


def execute_prepared(
    session: Session, sql: str, params: Mapping[str, Any], *, entity: type[Any] | None = None
) -> Result[Any]:
    """`session.execute(text(sql), params)` through a server-side prepared statement, prepared once
    per connection and kept with it (the SQL's `:name` parameters as `text` takes them). With
    `entity`, the rows are loaded as that mapped class (the statement returns its columns).

    For hot, many-times-repeated statements (vector tiles, case intake): PostgreSQL then skips
    parsing and, after five executions, may keep a generic plan, which for a tile query saved more
    than half its time (planning the read-model's joins cost more than running them). psycopg2,
    our driver, does not prepare statements itself. Prepared statements outlive a rolled-back
    transaction, so the names remembered in the pooled connection's `info` stay true. Without
    `entity` the EXECUTE goes to the driver as it is (compiling it as SQLAlchemy text cost a tile
    a fifth of its requests/s).
    """
    form = prepared_form(sql)
    conn = session.connection()
    known: set[str] = conn.connection.info.setdefault("grids_prepared", set())
    if form.name not in known:
        conn.exec_driver_sql(
            f"PREPARE {form.name} AS {form.numbered}", execution_options={"no_parameters": True}
        )
        known.add(form.name)
    arguments = {n: params[n] for n in form.names}
    if entity is not None:
        return session.execute(select(entity).from_statement(form.entity_call), arguments)
    if not arguments:
        return conn.exec_driver_sql(form.call, execution_options={"no_parameters": True})
    return conn.exec_driver_sql(form.call, arguments)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def translate(exc: DBAPIError) -> GridsError:
    """The domain error for a driver error: unique → Conflict, checks and exclusions → IntegrityViolation."""
    orig = exc.orig
    pgcode = getattr(orig, "pgcode", None)
    primary = getattr(getattr(orig, "diag", None), "message_primary", None) or str(orig).splitlines()[0]
    if pgcode == "23505":
        return Conflict(f"already exists (已存在): {primary}")
    if isinstance(exc, IntegrityError) or pgcode in {"23514", "23P01", "23503", "42501"}:
        return IntegrityViolation(primary)
    if isinstance(exc, OperationalError):
        return EnvironmentProblem(f"database unavailable (数据库不可用): {primary}")
    return GridsError(primary)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back and translated on error."""
    with factory() as session:
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            raise translate(exc) from exc
