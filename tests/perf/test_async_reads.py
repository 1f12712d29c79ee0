"""The event-loop reader behind vector tiles (grids.async_reads): it reads, survives a connection
killed under it, never reuses a connection whose read failed or was cancelled, keeps to its size,
and turns driver errors into SQLAlchemy's (which the API answers as problems)."""

import asyncio

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from grids.async_reads import AsyncReader

PID = "SELECT pg_backend_pid()"


def test_reads_with_parameters_and_reuses_its_connection(demo_url: str) -> None:
    async def run() -> tuple[object, object, int, int]:
        reader = AsyncReader(demo_url, size=2)
        grids = await reader.first_value("SELECT count(*) FROM grids WHERE code LIKE :p", {"p": "%"})
        nothing = await reader.first_value("SELECT 1 WHERE :n = 2", {"n": 1})
        first, second = await reader.first_value(PID, {}), await reader.first_value(PID, {})
        await reader.close()
        return grids, nothing, first, second

    grids, nothing, first, second = asyncio.run(run())
    with create_engine(demo_url).connect() as conn:
        assert grids == conn.scalar(text("SELECT count(*) FROM grids")) > 0
    assert nothing is None
    assert first == second  # one connection, kept between reads


def test_connections_killed_under_it_are_replaced_and_reads_succeed(demo_url: str) -> None:
    engine = create_engine(demo_url)

    async def run() -> tuple[set[int], list[int], int]:
        reader = AsyncReader(demo_url, size=2)
        pids = await asyncio.gather(*(reader.first_value(f"{PID} FROM pg_sleep(0.05)", {}) for _ in range(2)))
        with engine.connect() as conn:  # as if the database had restarted: both kept connections die
            for pid in pids:
                assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.2)
        after = [await reader.first_value(PID, {}) for _ in range(3)]
        grids = await reader.first_value("SELECT count(*) FROM grids", {})
        await reader.close()
        return set(pids), after, grids

    before, after, grids = asyncio.run(run())
    engine.dispose()
    assert len(before) == 2 and not before & set(after) and grids > 0


def test_a_failed_read_raises_sqlalchemy_errors_and_leaves_the_reader_working(demo_url: str) -> None:
    async def run() -> tuple[int, int]:
        reader = AsyncReader(demo_url, size=1)
        before = await reader.first_value(PID, {})
        with pytest.raises(ProgrammingError, match="no_such_table"):
            await reader.first_value("SELECT * FROM no_such_table", {})
        after = await reader.first_value(PID, {})
        await reader.close()
        return before, after

    before, after = asyncio.run(run())
    assert before != after  # the connection of the failed read was closed, not reused


def test_a_cancelled_read_closes_its_connection_and_the_server_stops_the_query(demo_url: str) -> None:
    engine = create_engine(demo_url)

    async def run() -> tuple[int, int]:
        reader = AsyncReader(demo_url, size=1)
        slow = await reader.first_value(PID, {})
        task = asyncio.create_task(reader.first_value("SELECT pg_sleep(30)", {}))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        after = await reader.first_value(PID, {})
        await reader.close()
        return slow, after

    slow, after = asyncio.run(run())
    assert slow != after
    with engine.connect() as conn:  # the cancelled query's session is gone, not left sleeping
        for _ in range(50):
            if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": slow}):
                break
            conn.execute(text("SELECT pg_sleep(0.1)"))
        assert conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": slow}) == 0
    engine.dispose()


def test_keeps_to_its_size_under_concurrent_reads(demo_url: str) -> None:
    async def run() -> set[int]:
        reader = AsyncReader(demo_url, size=2)
        pids = await asyncio.gather(
            *(reader.first_value("SELECT pg_backend_pid() FROM pg_sleep(0.05)", {}) for _ in range(12))
        )
        await reader.close()
        return set(pids)

    assert len(asyncio.run(run())) == 2


def test_an_unreachable_database_is_an_operational_error() -> None:
    async def run() -> None:
        reader = AsyncReader("postgresql+psycopg2://nobody@127.0.0.1:1/none", size=1)
        await reader.first_value("SELECT 1", {})

    with pytest.raises(OperationalError):
        asyncio.run(run())
