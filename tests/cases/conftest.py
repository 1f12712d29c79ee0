"""Fixtures of the cases area: the demo city served over HTTP, and direct sessions on it."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from grids.db import make_engine, session_factory
from grids.users import Principal

OPERATOR = Principal(0, "test-operator", "admin", None, None)


@pytest.fixture
def session_on() -> Iterator[object]:
    """A function opening sessions on a database URL; engines are disposed afterwards."""
    engines, sessions = [], []

    def open_session(url: str) -> Session:
        engine = make_engine(url, pool_size=2)
        engines.append(engine)
        sessions.append(session_factory(engine)())
        return sessions[-1]

    yield open_session
    for session in sessions:
        session.close()
    for engine in engines:
        engine.dispose()
