"""The HTTP API on the demo city: health, authentication, roles, jurisdiction and problem details."""

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Demo
from tests.live import live_server

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The API serving a copy of the demo city."""
    with live_server(demo_url) as url:
        yield url


def auth(token: str) -> dict[str, str]:
    """The bearer header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def two_townships(demo: Demo) -> tuple[str, str]:
    """Two demo townships."""
    first, second = demo.summary.township_codes[:2]
    return first, second


def test_livez_and_healthz(base: str) -> None:
    """Liveness is a constant; health reports the database versions."""
    assert httpx.get(f"{base}/livez").json() == {"status": "ok"}
    health = httpx.get(f"{base}/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["postgresql"].startswith("15")
    assert body["postgis"].startswith("3")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer grd_not-a-token"}, {"Authorization": "Basic eDp5"}]
)
def test_without_valid_token_is_401_problem(base: str, headers: dict[str, str]) -> None:
    """No token, an unknown token, or another scheme: 401 as problem details with a Bearer challenge."""
    response = httpx.get(f"{base}/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401
    assert "token" in response.json()["detail"].lower() or "令牌" in response.json()["detail"]


def test_me_reports_role_and_scope(base: str, demo: Demo) -> None:
    """A dispatcher sees their role and township."""
    township, _ = two_townships(demo)
    name = f"demo-dispatcher-{township[:9]}"
    body = httpx.get(f"{base}/me", headers=auth(demo.token(name))).json()
    assert body == {"name": name, "role": "dispatcher", "scope": township, "platform": None}


def test_wrong_role_is_403(base: str, demo: Demo) -> None:
    """Only admins list users."""
    township, _ = two_townships(demo)
    response = httpx.get(f"{base}/users", headers=auth(demo.token(f"demo-dispatcher-{township[:9]}")))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "admin" in response.json()["detail"]


def test_jurisdiction_scopes_divisions(base: str, demo: Demo, demo_url: str) -> None:
    """A dispatcher lists only their township's subtree and gets 404 for another township."""
    own, other = two_townships(demo)
    headers = auth(demo.token(f"demo-dispatcher-{own[:9]}"))
    page = httpx.get(f"{base}/divisions", params={"limit": 1000}, headers=headers).json()
    engine = create_engine(demo_url)
    with engine.connect() as c:
        expected = c.execute(
            text("SELECT count(*) FROM divisions WHERE code LIKE :p"), {"p": own[:9] + "%"}
        ).scalar()
    engine.dispose()
    assert page["number_matched"] == expected > 1
    assert all(item["code"].startswith(own[:9]) for item in page["items"])
    assert httpx.get(f"{base}/divisions/{own}", headers=headers).status_code == 200
    hidden = httpx.get(f"{base}/divisions/{other}", headers=headers)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith(PROBLEM)
    missing = httpx.get(f"{base}/divisions/990199999000", headers=headers)
    assert missing.json()["detail"] == hidden.json()["detail"].replace(other, "990199999000")


def test_short_codes_are_padded_and_bad_codes_named(base: str, demo: Demo) -> None:
    """`/divisions/9901` is the city; a malformed code is a 422 naming the field."""
    headers = auth(demo.token("demo-admin"))
    assert httpx.get(f"{base}/divisions/9901", headers=headers).json()["code"] == "990100000000"
    bad = httpx.get(f"{base}/divisions/99x1", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "code"
    level = httpx.get(f"{base}/divisions", params={"level": "hamlet"}, headers=headers)
    assert level.status_code == 422
    assert "level" in level.json()["detail"]


def test_catalogue(base: str, demo: Demo) -> None:
    """Four platforms; every category belongs to one of them and has positive limits."""
    headers = auth(demo.token("demo-leader"))
    platforms = httpx.get(f"{base}/platforms", headers=headers).json()
    assert [p["code"] for p in platforms] == ["governance", "market", "enforcement", "services"]
    categories = httpx.get(f"{base}/categories", headers=headers).json()
    assert {c["platform_code"] for c in categories} == {p["code"] for p in platforms}
    market = httpx.get(f"{base}/categories", params={"platform": "market"}, headers=headers).json()
    assert market and all(c["platform_code"] == "market" for c in market)


def test_admin_creates_user_within_scope_only(demo_url_fresh: str, demo: Demo) -> None:
    """An admin adds a working user inside the city; outside it, bad roles and duplicates change nothing."""
    township, _ = two_townships(demo)
    with live_server(demo_url_fresh) as base:
        headers = auth(demo.token("demo-admin"))
        created = httpx.post(
            f"{base}/users",
            json={"name": "王调度", "role": "dispatcher", "scope": township[:9]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["scope"] == township
        me = httpx.get(f"{base}/me", headers=auth(created.json()["token"])).json()
        assert me["name"] == "王调度"
        before = len(httpx.get(f"{base}/users", headers=headers).json())
        refused = [
            httpx.post(
                f"{base}/users", json={"name": "x", "role": "dispatcher", "scope": "3311"}, headers=headers
            ),
            httpx.post(
                f"{base}/users", json={"name": "x", "role": "dispatcher", "scope": "*"}, headers=headers
            ),
            httpx.post(
                f"{base}/users", json={"name": "x", "role": "boss", "scope": township}, headers=headers
            ),
            httpx.post(
                f"{base}/users", json={"name": "王调度", "role": "leader", "scope": township}, headers=headers
            ),
            httpx.post(f"{base}/users", json={"name": "x", "role": "leader", "scope": "99"}, headers=headers),
        ]
        assert [r.status_code for r in refused] == [403, 403, 422, 409, 403]
        assert all(r.headers["content-type"].startswith(PROBLEM) for r in refused)
        assert refused[2].json()["errors"][0]["field"] == "role"
        assert len(httpx.get(f"{base}/users", headers=headers).json()) == before


def test_unknown_path_and_method_are_problems(base: str) -> None:
    """Routing errors are problem details too."""
    assert httpx.get(f"{base}/nowhere").headers["content-type"].startswith(PROBLEM)
    wrong = httpx.delete(f"{base}/livez")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith(PROBLEM)


def test_nul_characters_are_refused_as_input(base: str, demo: Demo) -> None:
    """A NUL character in text is the caller's mistake: 422, not a server error."""
    response = httpx.post(
        f"{base}/users",
        json={"name": "a\u0000b", "role": "leader", "scope": "9901"},
        headers=auth(demo.token("demo-admin")),
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]
