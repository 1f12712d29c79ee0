"""Fixtures of the rosters area: the demo city served over real HTTP, and the people behind its workers."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Demo
from tests.live import live_server


@dataclass(frozen=True)
class Api:
    """A live API on a fresh copy of the demo city, with a client per demo account."""

    base: str
    url: str
    demo: Demo

    def client(self, account: str) -> httpx.Client:
        """An HTTP client speaking as demo account `account` (close it, or use it in a `with`)."""
        token = self.demo.token(account)
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def dispatcher(self, township: str) -> httpx.Client:
        """The client of a township's demo dispatcher."""
        return self.client(f"demo-dispatcher-{township[:9]}")

    def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a query on the served database."""
        engine = create_engine(self.url)
        with engine.connect() as conn:
            found = list(conn.execute(text(sql), params).all())
        engine.dispose()
        return found


@pytest.fixture
def api(demo_url_fresh: str, demo: Demo) -> Iterator[Api]:
    """The API serving a fresh copy of the demo city."""
    with live_server(demo_url_fresh) as base:
        yield Api(base, demo_url_fresh, demo)


def problem_field(response: httpx.Response) -> str | None:
    """The field a problem-details answer names."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    errors = response.json().get("errors") or [{}]
    return errors[0].get("field")
