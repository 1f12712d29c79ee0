"""Prepared single-value reads on the event loop, over psycopg2's asynchronous connections.

For the hottest read (vector tiles): a request waits for PostgreSQL on the server's event loop
instead of on a worker thread. The hand-off to a worker thread and back cost a tile about 0.11 ms
of CPU, and SQLAlchemy's connection and result layers about as much again.
psycopg2 supports asynchronous connections itself (`async_=True`, then `poll()` until ready); this
module waits for them with the loop's reader and writer callbacks and keeps a small pool of them.
Everything else keeps to SQLAlchemy sessions.
"""

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import psycopg2
import psycopg2.extensions
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from grids.db import CONNECT_ARGS, prepared_form

_READY = psycopg2.extensions.POLL_OK
_READ = psycopg2.extensions.POLL_READ


class _Connection:
    """An asynchronous psycopg2 connection and the statements it has prepared."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.prepared: set[str] = set()


class AsyncReader:
    """At most `size` connections to the database at `url`, opened when first needed, each read a
    prepared statement (PostgreSQL keeps its plan: see `grids.db.execute_prepared`).

    Connections are taken without a check: one that proves dead is dropped and the read runs once
    more on a fresh one, which a read may. A connection whose read failed or was cancelled (a client
    that went away) is closed rather than reused, so no connection returns to the pool mid-query;
    a cancelled read is cancelled in the server too.
    """

    def __init__(self, url: str, *, size: int = 5) -> None:
        # The arguments SQLAlchemy's own psycopg2 dialect would connect with, and the engines' options.
        _, arguments = PGDialect_psycopg2().create_connect_args(make_url(url))
        self._connect_args: dict[str, Any] = {**arguments, **CONNECT_ARGS}
        self._size = size
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._open: set[_Connection] = set()

    async def first_value(self, sql: str, params: Mapping[str, Any]) -> Any:
        """The first column of the first row `sql` gives (None without a row); `sql` takes `:name`
        parameters as SQLAlchemy's `text` does."""
        form = prepared_form(sql)
        arguments = {name: params[name] for name in form.names}
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        async with self._slots:
            for attempt in (1, 2):
                # A retry connects afresh: when one kept connection is dead, the others may be too.
                connection = self._idle.pop() if self._idle and attempt == 1 else await self._connect()
                try:
                    if form.name not in connection.prepared:
                        await self._execute(connection, f"PREPARE {form.name} AS {form.numbered}", None)
                        connection.prepared.add(form.name)
                    row = await self._execute(connection, form.call, arguments)
                except psycopg2.Error as exc:
                    dead = bool(connection.raw.closed) or isinstance(exc, psycopg2.OperationalError)
                    self._discard(connection)
                    if dead and attempt == 1:
                        continue
                    raise DBAPIError.instance(
                        sql, None, exc, psycopg2.Error, connection_invalidated=dead
                    ) from exc
                except BaseException:
                    self._discard(connection)
                    raise
                self._idle.append(connection)
                return None if row is None else row[0]
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def close(self) -> None:
        """Close every connection (at shutdown)."""
        for connection in list(self._open):
            self._discard(connection)
        self._idle.clear()

    async def _connect(self) -> _Connection:
        try:
            connection = _Connection(psycopg2.connect(**self._connect_args, async_=True))
            self._open.add(connection)
            try:
                await _ready(connection.raw)
            except BaseException:
                self._discard(connection)
                raise
        except psycopg2.Error as exc:
            raise DBAPIError.instance(None, None, exc, psycopg2.Error, connection_invalidated=True) from exc
        return connection

    async def _execute(self, connection: _Connection, sql: str, arguments: Mapping[str, Any] | None) -> Any:
        cursor = connection.raw.cursor()
        try:
            cursor.execute(sql, arguments)
            await _ready(connection.raw)
            return cursor.fetchone() if cursor.description is not None else None
        finally:
            cursor.close()

    def _discard(self, connection: _Connection) -> None:
        self._open.discard(connection)
        if connection in self._idle:
            self._idle.remove(connection)
        if not connection.raw.closed:
            if connection.raw.isexecuting():  # a cancelled read: the server would run it to its end
                with contextlib.suppress(psycopg2.Error):
                    connection.raw.cancel()
            connection.raw.close()


async def _ready(raw: Any) -> None:
    """Wait on the event loop until the asynchronous connection `raw` has finished its work."""
    loop = asyncio.get_running_loop()
    while (state := raw.poll()) != _READY:
        waiter = loop.create_future()
        fd = raw.fileno()
        add, remove = (
            (loop.add_reader, loop.remove_reader) if state == _READ else (loop.add_writer, loop.remove_writer)
        )
        add(fd, _wake, waiter)
        try:
            await waiter
        finally:
            remove(fd)


def _wake(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():  # the descriptor may be reported ready again before the waiter resumes
        waiter.set_result(None)
