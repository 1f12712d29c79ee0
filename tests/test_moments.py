"""Times outside the span the service accepts (years 1900–2999) are refused naming the field, on every
path that computes with them: a 422 over HTTP, one line and exit 2 on the command line; never a 500
(schemathesis once sent `/coverage/summary?at=0001-01-01T00:00:00Z`: 90 days before it is no date)."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Demo
from tests.live import live_server

GRIDS = str(Path(sys.executable).with_name("grids"))
EARLY = "0001-01-01T00:00:00+08:00"  # in UTC, a year before the first
LATE = "9999-12-31T23:00:00-08:00"  # in China time, a year after the last


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The API serving a copy of the demo city."""
    with live_server(demo_url) as url:
        yield url


CASE = {
    "channel": "minqing",
    "external_id": "MOMENT-1",
    "category": "dispute",
    "lon": 120.0,
    "lat": 28.0,
    "description": "时间越界",
}
REQUESTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/coverage/summary", {"at": "0001-01-01T00:00:00Z"}, "at"),
    ("GET", "/coverage/summary", {"from": EARLY, "to": "2026-11-01T00:00:00+08:00"}, "from"),
    ("GET", "/coverage/gaps", {"at": LATE}, "at"),
    ("GET", "/boundaries/history", {"lon": 120.0, "lat": 28.0, "on": "9999-12-31"}, "on"),
    ("GET", "/assessment", {"from": EARLY, "to": "2026-11-01T00:00:00+08:00"}, "from"),
    ("POST", "/locate", {"lon": 120.0, "lat": 28.0, "at": LATE}, "at"),
    ("POST", "/cases", {**CASE, "reported_at": EARLY}, "reported_at"),
    (
        "POST",
        "/workers/W0001/assignments",
        {"grid": "9" * 15, "kind": "primary", "valid_from": LATE},
        "valid_from",
    ),
]


@pytest.mark.parametrize(("method", "path", "given", "field"), REQUESTS)
def test_a_time_outside_the_span_is_a_422_naming_it(
    base: str, demo: Demo, method: str, path: str, given: dict[str, Any], field: str
) -> None:
    headers = {"Authorization": f"Bearer {demo.token('demo-admin')}"}
    where = {"params": given} if method == "GET" else {"json": given}
    response = httpx.request(method, f"{base}{path}", headers=headers, timeout=60, **where)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert "1900" in problem["detail"] and "2999" in problem["detail"]


def test_the_command_line_refuses_them_in_one_line(demo_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "GRIDS_DATABASE_URL": demo_url, "COLUMNS": "200"}
    history = subprocess.run(
        [GRIDS, "boundaries", "history", "120.0", "28.0", "--on", "9999-12-31"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert history.returncode == 2 and "2999" in history.stderr and "Traceback" not in history.stderr
    assert len(history.stderr.strip().splitlines()) == 1
    path = tmp_path / "cases.csv"
    path.write_text(
        "channel,external_id,category,lon,lat,description,reported_at\n"
        f"minqing,MOMENT-CLI,dispute,120.0,28.0,时间越界,{EARLY}\n",
        encoding="utf-8",
    )
    imported = subprocess.run(
        [GRIDS, "cases", "import", str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert imported.returncode == 2 and "reported_at" in imported.stderr and "1900" in imported.stderr
    assert "Traceback" not in imported.stderr
