"""The locator's version check runs on a connection each process keeps for it; when that connection
is lost, answers go on (the request's session asks instead and a new connection is opened later)."""

import httpx
from sqlalchemy import create_engine, text

from tests.cases.helpers import auth
from tests.cases.test_locate import staffed_grid
from tests.conftest import Demo
from tests.live import live_server

PROBES = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND query LIKE 'SELECT grids, rosters, generations FROM locate_versions()%'"
)


def test_a_lost_version_connection_is_replaced(demo_url: str, demo: Demo) -> None:
    """Killed between two requests, the version connection costs no failed answer."""
    code, lon, lat = staffed_grid(demo_url)
    headers = auth(demo.token("demo-admin"))
    engine = create_engine(demo_url)
    with live_server(demo_url) as base:

        def grid() -> str:
            response = httpx.post(f"{base}/locate", json={"lon": lon, "lat": lat}, headers=headers)
            assert response.status_code == 200, response.text
            return str(response.json()["grid"]["code"])

        assert grid() == code
        for _ in range(2):
            with engine.begin() as conn:
                assert conn.execute(text(PROBES)).scalars().all()  # at least one terminated
            assert [grid(), grid()] == [code, code]
    engine.dispose()
