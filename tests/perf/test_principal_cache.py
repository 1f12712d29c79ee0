"""The per-process principal cache: a known token is checked once per TTL (no connection for the
requests in between), unknown tokens are never kept and stay 401, and a revocation takes effect
once the TTL has passed (at once with TTL 0)."""

import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import Engine, event

from api.app import create_app
from api.settings import ApiSettings
from grids.db import make_engine, session_factory, transaction
from grids.errors import Unauthenticated
from grids.users import PrincipalCache, add_user, issue_token, revoke_tokens
from tests.conftest import Demo
from tests.live import serve


def checkouts(engine: Engine) -> list[int]:
    """A list that grows by one each time `engine` hands out a pooled connection."""
    seen: list[int] = []
    event.listen(engine, "checkout", lambda *_: seen.append(1))
    return seen


def me(base: str, token: str) -> httpx.Response:
    """GET /me with a bearer token."""
    return httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def new_token(demo_url_fresh: str) -> Iterator[tuple[str, str]]:
    """A database with a fresh dispatcher user and its token, for tests that revoke it."""
    engine = make_engine(demo_url_fresh, pool_size=1)
    with transaction(session_factory(engine)) as db:
        add_user(db, name="cache-probe", role="dispatcher", scope_code=None)
        token = issue_token(db, name="cache-probe")
    engine.dispose()
    yield demo_url_fresh, token


def test_a_known_token_is_looked_up_once_per_ttl(demo_url: str, demo: Demo) -> None:
    """After the first request, /me opens no connection; an unknown token is looked up every time."""
    app = create_app(ApiSettings(principal_ttl_seconds=60), database_url=demo_url)
    with serve(app) as base:
        seen = checkouts(app.state.reader)
        token = demo.token("demo-admin")
        assert me(base, token).status_code == 200
        assert len(seen) == 1
        for _ in range(20):
            assert me(base, token).json()["name"] == "demo-admin"
        assert len(seen) == 1
        for _ in range(3):
            response = me(base, "grd_unknown-token")
            assert response.status_code == 401
            assert response.headers["content-type"].startswith("application/problem+json")
        assert len(seen) == 4


def test_revocation_takes_effect_within_the_ttl(new_token: tuple[str, str]) -> None:
    """Revoked through the service: TTL 0 refuses at once, a short TTL once it passed, a long one later."""
    url, token = new_token
    zero, short, long = 0.0, 2.0, 60.0
    engine = make_engine(url, pool_size=1)
    with ExitStack() as stack:
        bases = [
            stack.enter_context(serve(create_app(ApiSettings(principal_ttl_seconds=t), database_url=url)))
            for t in (zero, short, long)
        ]
        trusted = time.monotonic()  # no entry below was made before this
        assert [me(base, token).status_code for base in bases] == [200, 200, 200]
        with transaction(session_factory(engine)) as db:
            assert revoke_tokens(db, name="cache-probe") == 1
        assert me(bases[0], token).status_code == 401
        assert me(bases[2], token).status_code == 200  # the documented delay, until the entry expires
        answer = me(bases[1], token).status_code
        if time.monotonic() - trusted < short:
            assert answer == 200
        time.sleep(short)
        assert me(bases[1], token).status_code == 401
        assert me(bases[0], token).status_code == 401
    engine.dispose()


def test_the_cache_is_bounded_and_keeps_only_valid_tokens(demo_url: str, demo: Demo) -> None:
    """At most `maxsize` tokens, least recently used out first; unknown tokens never enter."""
    engine = make_engine(demo_url, pool_size=1)
    sessions = session_factory(engine)
    seen = checkouts(engine)
    cache = PrincipalCache(ttl=60, maxsize=2)
    a, b = demo.token("demo-admin"), demo.token("demo-leader")
    c = demo.token(next(n for n in demo.accounts if n.startswith("demo-planner-")))

    def lookups(token: str) -> int:
        before = len(seen)
        cache.authenticate(sessions, token)
        return len(seen) - before

    assert [lookups(a), lookups(b), lookups(a)] == [1, 1, 0]
    assert lookups(c) == 1  # evicts b, used less recently than a
    assert [lookups(a), lookups(b)] == [0, 1]
    for i in range(50):
        with pytest.raises(Unauthenticated):
            cache.authenticate(sessions, f"grd_unknown-{i}")
    assert [lookups(a), lookups(b)] == [0, 0]
    engine.dispose()
