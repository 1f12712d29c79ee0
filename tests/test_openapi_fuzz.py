"""Schemathesis over the OpenAPI schema with tokens of several roles: no request may get a 5xx."""

from collections import defaultdict
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from tests.conftest import Demo
from tests.live import live_server

STATUSES: dict[str, set[int]] = defaultdict(set)


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The API serving a copy of the demo city."""
    with live_server(demo_url) as url:
        yield url


@pytest.fixture(scope="module")
def tokens(demo: Demo) -> list[str]:
    """Tokens of an admin, a leader, a planner and a dispatcher."""
    summary = demo.summary
    names = [
        "demo-admin",
        "demo-leader",
        f"demo-planner-{summary.county_codes[0][:6]}",
        f"demo-dispatcher-{summary.township_codes[0][:9]}",
    ]
    return [demo.token(n) for n in names]


# The schema comes from the app itself (building it needs no database); requests go to a live server.
schema = schemathesis.openapi.from_dict(create_app(database_url="postgresql://unused").openapi())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, base: str, tokens: list[str]) -> None:
    """Every generated request, under every role, is answered without a 5xx; errors are problem details."""
    for token in tokens:
        response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"})
        STATUSES[f"{case.method} {case.path}"].add(response.status_code)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json")


def test_every_operation_got_past_authentication(base: str) -> None:
    """An operation that only ever answered 401 was not really tested."""
    published = httpx.get(f"{base}/openapi.json").json()["paths"]
    operations = {f"{method.upper()} {path}" for path, item in published.items() for method in item}
    assert operations <= set(STATUSES), operations - set(STATUSES)
    only_401 = [op for op, seen in STATUSES.items() if seen <= {401}]
    assert only_401 == []
