"""Locate over HTTP and on the command line: answers, jurisdiction, errors, duty and freshness."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gis.offsets import wgs84_to_gcj02
from grids.db import make_engine
from grids.locate import build_in_background, cache_for, indexes, locate
from grids.locate_index import GridIndex
from tests.cases.conftest import OPERATOR
from tests.conftest import Demo
from tests.live import live_server

PROBLEM = "application/problem+json"
MONDAY_10 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
SUNDAY_3 = datetime(2026, 11, 7, 19, 0, tzinfo=UTC)  # Sunday 03:00 local
GRIDS = str(Path(sys.executable).with_name("grids"))


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The API serving a copy of the demo city."""
    with live_server(demo_url) as url:
        yield url


def auth(token: str) -> dict[str, str]:
    """The bearer header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def staffed_grid(url: str, township: str | None = None) -> tuple[str, float, float]:
    """An active grid with a primary and a backup worker, and a point well inside it."""
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                "WHERE g.code LIKE :t AND g.kind = 'ordinary' "
                "AND EXISTS (SELECT 1 FROM worker_assignments a WHERE a.grid_code = g.code AND a.kind = 'backup') "
                "ORDER BY g.code LIMIT 1"
            ),
            {"t": (township or "")[:9] + "%"},
        ).one()
    engine.dispose()
    return str(row[0]), float(row[1]), float(row[2])


def test_locate_in_own_township_names_the_worker_on_duty(base: str, demo: Demo, demo_url: str) -> None:
    """A dispatcher locating in their township gets chain, grid, primary worker on duty, platform staff."""
    township = demo.summary.township_codes[0]
    code, lon, lat = staffed_grid(demo_url, township)
    r = httpx.post(
        f"{base}/locate",
        json={"lon": lon, "lat": lat, "crs": "cgcs2000", "at": MONDAY_10.isoformat()},
        headers=auth(demo.token(f"demo-dispatcher-{township[:9]}")),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["match"] == "inside" and body["distance_m"] == 0
    assert body["grid"]["code"] == code and body["grid"]["name"]
    assert body["village"]["code"] == code[:12] and body["township"]["code"] == township
    assert body["county"]["code"] == township[:6] + "000000" and body["county"]["name"]
    assert body["in_jurisdiction"] is True
    assert body["worker"]["assignment"] == "primary" and body["worker"]["on_duty"] is True
    assert "*" in body["worker"]["name"] and "****" in body["worker"]["phone"]
    assert {s["platform"] for s in body["platform_staff"]} == {
        "governance",
        "market",
        "enforcement",
        "services",
    }
    gx, gy = wgs84_to_gcj02(lon, lat)
    again = httpx.post(
        f"{base}/locate",
        json={"lon": float(gx), "lat": float(gy), "crs": "gcj02"},
        headers=auth(demo.token(f"demo-dispatcher-{township[:9]}")),
    )
    assert again.json()["grid"]["code"] == code


def test_other_jurisdiction_gets_chain_and_grid_but_no_worker(base: str, demo: Demo, demo_url: str) -> None:
    """Another township's dispatcher sees where the point is, but no worker details."""
    first, second = demo.summary.township_codes[:2]
    code, lon, lat = staffed_grid(demo_url, first)
    r = httpx.post(
        f"{base}/locate",
        json={"lon": lon, "lat": lat},
        headers=auth(demo.token(f"demo-dispatcher-{second[:9]}")),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["grid"]["code"] == code and body["township"]["code"] == first
    assert body["in_jurisdiction"] is False and body["worker"] is None and body["platform_staff"] == []


@pytest.mark.parametrize(
    "payload, field, words",
    [
        ({"lon": 150.0, "lat": 10.0}, "lon", "outside every division"),
        ({"lon": 28.45, "lat": 119.9}, "lat", "swapped"),
        ({"lon": 200.0, "lat": 28.0}, "lon", "[-180, 180]"),
        ({"lon": 119.9, "lat": 28.4, "crs": "mars"}, "crs", "unknown CRS"),
        ({"lon": 119.9, "lat": 28.4, "crs": "EPSG:3857"}, "crs", "wgs84"),
        ({"lon": 119.9, "lat": 28.4, "tolerance_m": -1}, "tolerance_m", ""),
        ({"lon": 119.9, "lat": 28.4, "height": 3}, "height", ""),
    ],
)
def test_bad_points_are_422_naming_the_field(
    base: str, demo: Demo, payload: dict, field: str, words: str
) -> None:
    """Out-of-range, swapped, off-the-map and unknown-CRS input is a 422 problem naming the field."""
    r = httpx.post(f"{base}/locate", json=payload, headers=auth(demo.token("demo-admin")))
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert words in body["detail"]
    assert any(e["field"] == field for e in body["errors"]), body


def test_not_a_number_and_no_token(base: str, demo: Demo) -> None:
    """NaN is refused as a 422; no token is a 401."""
    r = httpx.post(
        f"{base}/locate",
        content='{"lon": NaN, "lat": 28.4}',
        headers={**auth(demo.token("demo-admin")), "content-type": "application/json"},
    )
    assert r.status_code == 422 and "finite" in r.json()["detail"]
    assert httpx.post(f"{base}/locate", json={"lon": 119.9, "lat": 28.4}).status_code == 401


def test_duty_falls_back_from_primary_to_backup_to_head(demo_url_fresh: str, session_on) -> None:
    """Off duty, nobody: the primary, marked off duty; a primary without windows yields to the backup,
    a backup without windows to the grid head."""
    code, lon, lat = staffed_grid(demo_url_fresh)
    db = session_on(demo_url_fresh)
    at_night = locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=SUNDAY_3).worker
    assert at_night is not None and at_night.assignment == "primary" and at_night.on_duty is False
    for kind, next_kind in (("primary", "backup"), ("backup", "head")):
        db.execute(
            text(
                "DELETE FROM duty_windows WHERE worker_id IN "
                "(SELECT worker_id FROM worker_assignments WHERE grid_code = :g AND kind = :k)"
            ),
            {"g": code, "k": kind},
        )
        db.commit()
        worker = locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10).worker
        assert worker is not None and worker.assignment == next_kind and worker.on_duty is True


def test_answers_follow_the_database_at_once(demo_url_fresh: str, demo: Demo) -> None:
    """A roster change and a retired generation show in the very next answer of a running server."""
    code, lon, lat = staffed_grid(demo_url_fresh)
    headers = auth(demo.token("demo-admin"))
    point = {"lon": lon, "lat": lat, "at": MONDAY_10.isoformat()}
    engine = create_engine(demo_url_fresh)
    with live_server(demo_url_fresh) as base:
        first = httpx.post(f"{base}/locate", json=point, headers=headers).json()
        assert first["grid"]["code"] == code and first["worker"]["assignment"] == "primary"
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE worker_assignments SET valid_to = :t WHERE grid_code = :g AND kind = 'primary'"),
                {"g": code, "t": datetime(2026, 11, 2, 1, 0, tzinfo=UTC)},
            )
        second = httpx.post(f"{base}/locate", json=point, headers=headers).json()
        assert second["worker"]["assignment"] in ("backup", "head")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE generations SET status = 'retired', retired_at = now() "
                    "WHERE id = (SELECT generation_id FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                    "WHERE g.code = :g AND ge.status = 'active')"
                ),
                {"g": code},
            )
        third = httpx.post(f"{base}/locate", json=point, headers=headers).json()
        assert third["grid"] is None or not third["grid"]["code"].startswith(code[:6])
        assert third["match"] in ("near", "outside") and third["village"]["code"] == code[:12]
    engine.dispose()


def test_cli_locate(demo_url: str) -> None:
    """`grids locate --json` prints the answer; swapped coordinates are one error line, exit 2."""
    code, lon, lat = staffed_grid(demo_url)
    env = {**os.environ, "GRIDS_DATABASE_URL": demo_url, "COLUMNS": "200"}
    done = subprocess.run(
        [GRIDS, "locate", str(lon), str(lat), "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["grid"]["code"] == code
    human = subprocess.run([GRIDS, "locate", str(lon), str(lat)], env=env, capture_output=True, text=True)
    assert human.returncode == 0 and code in human.stdout and "网格" in human.stdout
    bad = subprocess.run([GRIDS, "locate", str(lat), "119.9"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "swapped" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_malformed_bodies_are_problems_naming_the_field(base: str, demo: Demo) -> None:
    """The body is parsed and validated in one step; what fails is a 422 problem as FastAPI gives."""
    headers = {**auth(demo.token("demo-admin")), "content-type": "application/json"}
    for content, field in (
        ('{"lon": "east", "lat": 28.4}', "lon"),
        ('{"lat": 28.4}', "lon"),
        ('{"lon": 119.9, "lat": 28.4, "srid": 4490}', "srid"),
        ('{"lon": 119.9, "lat": 28.4, "tolerance_m": 9000}', "tolerance_m"),
        ('{"lon": 119.9, "lat": ', None),
    ):
        r = httpx.post(f"{base}/locate", content=content, headers=headers)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), content
        errors = r.json()["errors"]
        assert all(e["in"] == "body" for e in errors), errors
        if field is not None:
            assert any(e["field"] == field for e in errors), (content, errors)


def test_indexes_built_in_the_background_serve_the_next_caller(
    demo_url_fresh: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`grids cases import` starts the build while it reads its file: its own `indexes` call gets
    that build, nothing is built twice; a failure in the background is silent there and met again by
    the caller."""
    builds: list[str] = []
    build = GridIndex.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[GridIndex], conn: Connection) -> GridIndex:
        builds.append(threading.current_thread().name)
        return build(cls, conn)

    monkeypatch.setattr(GridIndex, "build", classmethod(counted))
    engine = make_engine(demo_url_fresh, pool_size=2)
    build_in_background(engine)
    with Session(engine) as db:
        grids, rosters = indexes(db)
    cache = cache_for(engine)
    assert len(builds) == 1 and (grids, rosters) == (cache.grids, cache.rosters)
    engine.dispose()

    uncaught: list[BaseException | None] = []  # what a thread would print as a traceback
    monkeypatch.setattr(threading, "excepthook", lambda args: uncaught.append(args.exc_value))
    missing = make_engine(demo_url_fresh.rsplit("/", 1)[0] + "/no_such_database", pool_size=1)
    build_in_background(missing)
    for thread in threading.enumerate():
        if thread.name == "locate-indexes":
            thread.join(30)
    assert uncaught == []
    with pytest.raises(OperationalError, match="no_such_database"), Session(missing) as db:
        indexes(db)
