"""Fixtures of the coverage tests: the API over a copy of the demo city, a constructed township."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.conftest import Demo
from tests.live import live_server

WEDNESDAY_10 = "2026-10-28T10:00:00+08:00"
"""A working hour inside the demo's months: every grid worker of the demo is on duty."""
SUNDAY_10 = "2026-10-25T10:00:00+08:00"


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The API serving a copy of the demo city (read-only use)."""
    with live_server(demo_url) as url:
        yield url


@pytest.fixture(scope="module")
def engine(demo_url: str) -> Iterator[Engine]:
    """A direct connection to the same copy, for independent expectations."""
    engine = create_engine(demo_url)
    yield engine
    engine.dispose()


def auth(demo: Demo, name: str) -> dict[str, str]:
    """The bearer header of demo account `name`."""
    return {"Authorization": f"Bearer {demo.token(name)}"}
