"""Open and unassigned cases per grid, kept by triggers, equal a live recount after every path that
writes cases: the demo load (COPY), intake and lifecycle actions over HTTP, bulk import (COPY in
chunks), plain SQL, and two transactions adding cases to one grid at once; and the grid layer's
items and tiles show the same numbers as counting live."""

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from grids.cases.bulk import import_cases
from grids.cases.intake import CaseInput
from tests.cases.conftest import OPERATOR
from tests.cases.helpers import auth, body, grid_points
from tests.conftest import Demo
from tests.layers.test_tiles import tile_of
from tests.live import live_server

OPEN = "status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')"
RECOUNT = (
    "SELECT grid_code, count(*), count(*) FILTER (WHERE worker_id IS NULL) FROM cases "
    f"WHERE grid_code IS NOT NULL AND {OPEN} GROUP BY grid_code"
)
KEPT = "SELECT grid_code, open_cases, unassigned_cases FROM grid_case_figures"
# What the grid layer computed per request before the figures were kept: the reference.
LIVE_LAYER = f"""
SELECT g.code, o.open_cases, o.unassigned_cases, w.workers,
       round(o.open_cases::numeric / nullif(w.workers, 0), 2)::float8
FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active',
LATERAL (SELECT count(*)::int AS open_cases, count(*) FILTER (WHERE worker_id IS NULL)::int AS unassigned_cases
         FROM cases c WHERE c.grid_code = g.code AND c.{OPEN}) o,
LATERAL (SELECT count(DISTINCT a.worker_id)::int AS workers FROM worker_assignments a
         JOIN workers k ON k.id = a.worker_id AND k.active
         WHERE a.grid_code = g.code AND a.kind IN ('head', 'primary', 'backup')
           AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())) w
WHERE g.code = ANY(:codes)
"""


def figures(url: str) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """The kept figures (zero rows left out) and a live recount, by grid code."""
    engine = create_engine(url)
    with engine.connect() as conn:
        kept = {r[0]: (r[1], r[2]) for r in conn.execute(text(KEPT)) if r[1] or r[2]}
        live = {r[0]: (r[1], r[2]) for r in conn.execute(text(RECOUNT))}
        negative = conn.scalar(
            text("SELECT count(*) FROM grid_case_figures WHERE least(open_cases, unassigned_cases) < 0")
        )
    engine.dispose()
    assert negative == 0
    return kept, live


def assert_kept(url: str) -> dict[str, tuple[int, int]]:
    """The kept figures equal a live recount; returns them."""
    kept, live = figures(url)
    assert kept == live
    return kept


def assert_layer_shows_live_figures(base: str, headers: dict[str, str], url: str, codes: list[str]) -> None:
    """Items and a z14 tile of each grid carry the figures the old per-request count gives."""
    engine = create_engine(url)
    with engine.connect() as conn:
        expected = {r[0]: r[1:] for r in conn.execute(text(LIVE_LAYER), {"codes": codes})}
        points = dict(
            conn.execute(
                text(
                    "SELECT code, ST_AsText(ST_PointOnSurface(geom)) FROM grids g JOIN generations ge "
                    "ON ge.id = g.generation_id AND ge.status = 'active' WHERE code = ANY(:codes)"
                ),
                {"codes": codes},
            ).all()
        )
    engine.dispose()
    assert set(expected) == set(codes)
    for code, (open_cases, unassigned, workers, load) in expected.items():
        item = httpx.get(f"{base}/collections/grids/items/{code}", headers=headers, timeout=30)
        assert item.status_code == 200, item.text
        props = item.json()["properties"]
        assert (props["open_cases"], props["unassigned_cases"], props["workers"], props["load"]) == (
            open_cases, unassigned, workers, load,
        )  # fmt: skip
        lon, lat = (float(v) for v in points[code].removeprefix("POINT(").rstrip(")").split())
        x, y = tile_of(lon, lat, 14)
        tile = httpx.get(f"{base}/collections/grids/tiles/WebMercatorQuad/14/{x}/{y}", headers=headers)
        features = mapbox_vector_tile.decode(tile.content)["grids"]["features"]
        (found,) = [f["properties"] for f in features if f["properties"]["code"] == code]
        assert (found["open_cases"], found["unassigned_cases"], found["workers"]) == (
            open_cases, unassigned, workers,
        )  # fmt: skip
        assert found.get("load") == load


def race(first: Any, second: Any, statement: str, mine: Any, theirs: Any) -> None:
    """Two psycopg2 connections run `statement` against the same figures row: the first holds it
    (uncommitted) while the second waits for it, then both commit; asserts the second waited."""
    with first.cursor() as cur:
        cur.execute(statement, mine)  # holds the figures row until it commits

    def run_second() -> None:
        with second, second.cursor() as other:
            other.execute(statement, theirs)

    racer = threading.Thread(target=run_second)
    racer.start()
    time.sleep(0.5)
    assert racer.is_alive()  # waiting for the first transaction's row lock
    first.commit()
    racer.join(timeout=30)
    assert not racer.is_alive()


def test_the_demo_load_keeps_figures(demo_url: str) -> None:
    """The demo loader writes cases by COPY; the figures it leaves equal a recount."""
    kept = assert_kept(demo_url)
    assert len(kept) > 100 and any(u for _, u in kept.values())


def test_intake_and_lifecycle_over_http(demo_url_fresh: str, demo: Demo) -> None:
    """Cases taken in count up; rejecting, transferring and closing count down; the layer follows."""
    url = demo_url_fresh
    township, other = demo.summary.township_codes[:2]
    points = grid_points(url, township, 2)
    codes = [code for code, _, _ in points]
    before = assert_kept(url)
    with live_server(url) as base:
        desk = auth(demo.token(f"demo-dispatcher-{township[:9]}"))
        ids = []
        for i, (_, lon, lat) in enumerate([points[0], points[0], points[1], points[1]]):
            created = httpx.post(f"{base}/cases", json=body(f"FIG-{i}", lon, lat), headers=desk)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        after = assert_kept(url)
        for code in codes:
            assert after[code][0] == before.get(code, (0, 0))[0] + 2
        assert_layer_shows_live_figures(base, desk, url, codes)

        def act(case_id: int, payload: dict[str, object]) -> None:
            r = httpx.post(f"{base}/cases/{case_id}/actions", json=payload, headers=desk)
            assert r.status_code == 200, (payload, r.text)

        act(ids[0], {"action": "reject", "reason": "不属于受理范围（测试）"})
        act(ids[1], {"action": "transfer", "township": other, "reason": "属地转办（测试）"})
        for payload in (
            {"action": "accept"},
            {"action": "dispatch"},
            {"action": "sign"},
            {"action": "handle", "note": "已处置"},
            {"action": "reply"},
            {"action": "verify"},
            {"action": "close"},
        ):
            act(ids[2], payload)
        final = assert_kept(url)
        assert final.get(codes[0], (0, 0))[0] == before.get(codes[0], (0, 0))[0]
        assert final[codes[1]][0] == before.get(codes[1], (0, 0))[0] + 1
        assert_layer_shows_live_figures(base, desk, url, codes)


def test_bulk_import_keeps_figures(demo_url_fresh: str, demo: Demo) -> None:
    """An import written by COPY in several chunks (one transaction each) counts every case."""
    url = demo_url_fresh
    points = grid_points(url, demo.summary.township_codes[2], 5)
    before = assert_kept(url)
    at = datetime.now(UTC) - timedelta(hours=2)
    inputs = [
        CaseInput("zwfw", f"FIG-IMP-{i}", "street_vending", f"导入{i}", at, lon, lat)
        for i, (_, lon, lat) in enumerate(points * 5)
    ]
    engine = create_engine(url)
    summary = import_cases(engine, inputs=inputs, caller=OPERATOR, chunk=10)
    engine.dispose()
    assert summary.created == 25
    after = assert_kept(url)
    assert sum(after[c][0] - before.get(c, (0, 0))[0] for c, _, _ in points) == 25


def test_sql_writes_and_concurrent_writers(demo_url_fresh: str) -> None:
    """Plain SQL updates (of worker, status and grid) and deletes keep the figures; two transactions
    adding cases to one grid (with figures already, or none yet) queue on its row and lose no count."""
    url = demo_url_fresh
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    first, second = psycopg2.connect(dsn), psycopg2.connect(dsn)
    with first, first.cursor() as cur:
        cur.execute(
            f"UPDATE cases SET worker_id = NULL WHERE id IN (SELECT id FROM cases WHERE {OPEN} AND worker_id IS NOT NULL ORDER BY id LIMIT 20)"
        )
        cur.execute(
            f"UPDATE cases SET status = 'closed' WHERE id IN (SELECT id FROM cases WHERE {OPEN} ORDER BY id DESC LIMIT 20)"
        )
        cur.execute(  # moved between grids, as a publish's re-homing does
            f"UPDATE cases SET grid_code = (SELECT max(grid_code) FROM cases) WHERE id IN (SELECT id FROM cases WHERE {OPEN} AND grid_code IS NOT NULL ORDER BY id LIMIT 10 OFFSET 30)"
        )
        cur.execute(
            f"DELETE FROM cases WHERE id IN (SELECT id FROM cases WHERE {OPEN} AND grid_code IS NOT NULL ORDER BY id LIMIT 5)"
        )
        cur.execute(f"SELECT min(grid_code) FROM cases WHERE {OPEN}")
        busy = cur.fetchone()[0]
        cur.execute(
            "SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
            "WHERE NOT EXISTS (SELECT 1 FROM grid_case_figures f WHERE f.grid_code = g.code) ORDER BY g.code LIMIT 1"
        )
        idle = cur.fetchone()[0]
    assert_kept(url)
    insert = (
        "INSERT INTO cases (county_code, channel, category_code, description, reported_at, status, grid_code) "
        "VALUES (left(%(g)s, 6) || '000000', 'patrol', 'dispute', '并发测试', now(), 'received', %(g)s)"
    )
    for grid in (busy, idle):
        race(first, second, insert, {"g": grid}, {"g": grid})
    first.close()
    second.close()
    kept = assert_kept(url)
    assert kept[idle] == (2, 2)
