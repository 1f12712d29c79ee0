"""Grid workers per grid, kept by triggers with the window each count holds for, equal a live recount
after every path that writes assignments or workers: the demo load (COPY), the roster API (assign,
assign from a later instant, end, deactivate), plain SQL (renumber, delete a worker) and two
transactions assigning to one grid at once; past a count's window the grid layer counts live, so
an assignment that starts with the clock shows in items and tiles the moment it starts."""

import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import Demo
from tests.live import live_server
from tests.perf.test_grid_figures import assert_layer_shows_live_figures, race
from tests.rosters.conftest import Api

NOW = "a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())"
RECOUNT = f"""
SELECT a.grid_code,
       count(DISTINCT a.worker_id) FILTER (WHERE w.active AND a.kind IN ('head', 'primary', 'backup') AND {NOW}),
       min(w.staff_no) FILTER (WHERE w.active AND a.kind = 'primary' AND {NOW})
FROM worker_assignments a JOIN workers w ON w.id = a.worker_id
GROUP BY a.grid_code
"""
KEPT = "SELECT grid_code, workers, primary_staff_no, counted_at <= now() AND now() < holds_until FROM grid_worker_figures"


def assert_kept(url: str) -> dict[str, tuple[int, str | None]]:
    """Every kept count that holds now equals a live recount, every grid with assignments has one,
    and a count that does not hold has run past its window (it was never counted ahead of now)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        kept = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(text(KEPT))}
        live = {r[0]: (r[1], r[2]) for r in conn.execute(text(RECOUNT))}
        ahead = conn.scalar(text("SELECT count(*) FROM grid_worker_figures WHERE counted_at > now()"))
    engine.dispose()
    assert ahead == 0
    assert set(live) <= set(kept)
    holding = {code: (n, staff) for code, (n, staff, holds) in kept.items() if holds}
    assert holding == {code: figures for code, figures in live.items() if code in holding}
    assert all(n == 0 and staff is None for code, (n, staff) in holding.items() if code not in live)
    return holding


def grid_with_workers(api: Api, township: str) -> tuple[str, str, str]:
    """An active grid of the township with a primary, and a grid worker of the township on no grid
    of it yet: (grid code, the primary's staff number, the free worker's staff number)."""
    (code, primary), *_ = api.rows(
        "SELECT f.grid_code, f.primary_staff_no FROM grid_worker_figures f JOIN grids g ON g.code = f.grid_code "
        "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
        "WHERE f.grid_code LIKE :p AND f.primary_staff_no IS NOT NULL ORDER BY f.grid_code LIMIT 1",
        p=township[:9] + "%",
    )
    ((free,),) = api.rows(
        "SELECT min(w.staff_no) FROM workers w WHERE w.township_code = :t AND w.active "
        "AND w.role <> 'platform_staff' AND NOT EXISTS (SELECT 1 FROM worker_assignments a "
        "WHERE a.worker_id = w.id AND a.grid_code = :g)",
        t=township,
        g=code,
    )
    return code, primary, free


def test_the_demo_load_keeps_worker_figures(demo_url: str, demo: Demo) -> None:
    """The demo loader writes assignments by COPY; the counts it leaves equal a recount. The grids it
    leaves without workers have no kept row, and the layer shows them with none."""
    holding = assert_kept(demo_url)
    assert len(holding) > 100
    assert sum(n for n, _ in holding.values()) > len(holding)
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        unstaffed = list(
            conn.scalars(
                text(
                    "SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                    "AND ge.status = 'active' WHERE NOT EXISTS "
                    "(SELECT 1 FROM grid_worker_figures f WHERE f.grid_code = g.code) ORDER BY g.code"
                )
            )
        )
    engine.dispose()
    assert unstaffed
    headers = {"Authorization": f"Bearer {demo.token('demo-admin')}"}
    with live_server(demo_url) as base:
        assert_layer_shows_live_figures(base, headers, demo_url, unstaffed[:3])
        for code in unstaffed[:3]:
            item = httpx.get(f"{base}/collections/grids/items/{code}", headers=headers, timeout=30)
            assert item.json()["properties"]["workers"] == 0


def test_roster_api_and_the_clock(api: Api) -> None:
    """Assign from two seconds ahead: the count holds until then and the layer shows the old figure;
    once the clock passes it, items and tiles count the new worker live. Ending, deactivating and
    renumbering (SQL) and deleting a worker keep the counts, and the layer follows each change."""
    township = api.demo.summary.township_codes[0]
    code, primary, free = grid_with_workers(api, township)
    before = assert_kept(api.url)[code]
    desk_headers = {"Authorization": f"Bearer {api.demo.token(f'demo-dispatcher-{township[:9]}')}"}
    with api.dispatcher(township) as desk:
        starts = datetime.now(UTC) + timedelta(seconds=2)
        opened = desk.post(
            f"/workers/{free}/assignments",
            json={"grid": code, "kind": "backup", "valid_from": starts.isoformat()},
        )
        assert opened.status_code == 201, opened.text
        ((holds_until,),) = api.rows(
            "SELECT holds_until FROM grid_worker_figures WHERE grid_code = :c", c=code
        )
        assert abs((holds_until - starts).total_seconds()) < 1e-3
        assert assert_kept(api.url)[code] == before
        assert_layer_shows_live_figures(api.base, desk_headers, api.url, [code])
        time.sleep(max(0.0, (starts - datetime.now(UTC)).total_seconds()) + 0.2)
        ((kept,),) = api.rows("SELECT workers FROM grid_worker_figures WHERE grid_code = :c", c=code)
        assert kept == before[0]  # no trigger ran: the layer below must count live
        item = desk.get(f"/collections/grids/items/{code}").json()["properties"]
        assert item["workers"] == before[0] + 1
        assert_layer_shows_live_figures(api.base, desk_headers, api.url, [code])

        ended = desk.post(f"/workers/{free}/assignments/{opened.json()['id']}/end")
        assert ended.status_code == 200, ended.text
        assert assert_kept(api.url)[code] == before
        left = desk.patch(f"/workers/{primary}", json={"active": False})
        assert left.status_code == 200, left.text
        assert assert_kept(api.url)[code][0] < before[0]
        assert_layer_shows_live_figures(api.base, desk_headers, api.url, [code])
        back = desk.patch(f"/workers/{primary}", json={"active": True})
        assert back.status_code == 200, back.text
        assert assert_kept(api.url)[code] == before

    engine = create_engine(api.url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE workers SET staff_no = staff_no || '-R' WHERE staff_no = :s"), {"s": primary}
        )
    assert assert_kept(api.url)[code] == (before[0], primary + "-R")
    with engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM worker_assignments WHERE worker_id = (SELECT id FROM workers WHERE staff_no = :s)"
            ),
            {"s": primary + "-R"},
        )
    engine.dispose()
    after = assert_kept(api.url)[code]
    assert after[0] == before[0] - 1 and after[1] != primary + "-R"
    assert_layer_shows_live_figures(api.base, desk_headers, api.url, [code])


def test_concurrent_roster_writers(api: Api) -> None:
    """Two transactions assigning workers to one grid queue on its row: the second counts after the
    first commits, and neither worker is lost."""
    township = api.demo.summary.township_codes[1]
    code, _, _ = grid_with_workers(api, township)
    free = [
        r[0]
        for r in api.rows(
            "SELECT w.id FROM workers w WHERE w.township_code = :t AND w.active AND w.role <> 'platform_staff' "
            "AND NOT EXISTS (SELECT 1 FROM worker_assignments a WHERE a.worker_id = w.id AND a.grid_code = :g) "
            "ORDER BY w.id LIMIT 2",
            t=township,
            g=code,
        )
    ]
    assert len(free) == 2
    before = assert_kept(api.url)[code]
    dsn = make_url(api.url).set(drivername="postgresql").render_as_string(hide_password=False)
    first, second = psycopg2.connect(dsn), psycopg2.connect(dsn)
    insert = "INSERT INTO worker_assignments (worker_id, grid_code, kind) VALUES (%s, %s, 'backup')"
    race(first, second, insert, (free[0], code), (free[1], code))
    first.close()
    second.close()
    assert assert_kept(api.url)[code][0] == before[0] + 2
    with httpx.Client(base_url=api.base) as client:
        token = api.demo.token(f"demo-dispatcher-{township[:9]}")
        item = client.get(f"/collections/grids/items/{code}", headers={"Authorization": f"Bearer {token}"})
    assert item.json()["properties"]["workers"] == before[0] + 2
