"""Fixtures of the map-layer tests: the API over a copy of the demo city and a direct connection."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.conftest import Demo
from tests.live import live_server

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium: Playwright drives it (its own browser downloads are not used)."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The API serving a copy of the demo city."""
    with live_server(demo_url) as url:
        yield url


@pytest.fixture(scope="module")
def engine(demo_url: str) -> Iterator[Engine]:
    """A direct connection to the same copy, for independent expectations."""
    engine = create_engine(demo_url)
    yield engine
    engine.dispose()


def auth(token: str) -> dict[str, str]:
    """The bearer header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def dispatcher(demo: Demo, township: str) -> dict[str, str]:
    """The bearer header of the demo dispatcher of `township`."""
    return auth(demo.token(f"demo-dispatcher-{township[:9]}"))


def admin(demo: Demo) -> dict[str, str]:
    """The bearer header of the demo admin (the whole city)."""
    return auth(demo.token("demo-admin"))
