"""The locator trusts its indexes without asking the database while no change is announced: a
roster or generation change that commits is announced on `grids_cache_versions` and the very next
answer of every server process (two separate uvicorn processes here) follows it; with no
announcement, answers cost no query; a database without announcements is asked every time."""

import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, create_engine, text

from grids.db import ANNOUNCEMENTS, make_engine, session_factory
from grids.locate import LocateCache, cache_for, locate
from tests.cases.conftest import OPERATOR
from tests.cases.helpers import auth
from tests.cases.test_crash import server_process
from tests.cases.test_locate import MONDAY_10, staffed_grid
from tests.conftest import Demo

END_PRIMARY = "UPDATE worker_assignments SET valid_to = :t WHERE grid_code = :g AND kind = 'primary' AND valid_to IS NULL"
REOPEN_PRIMARY = "UPDATE worker_assignments SET valid_to = NULL WHERE grid_code = :g AND kind = 'primary' AND valid_to = :t"
ENDED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # before MONDAY_10
PROBES = (
    "SELECT pid, query_start FROM pg_stat_activity WHERE datname = current_database() "
    "AND query LIKE 'SELECT grids, rosters, generations FROM locate_versions()%' ORDER BY pid"
)


def probes(engine: Engine) -> list[tuple[int, datetime]]:
    """The counter connections of the server processes and when each last ran a query."""
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text(PROBES))]


def announced(cache: LocateCache) -> bool:
    """Whether the cache stops trusting its indexes within two seconds (the announcement arrives
    as the change commits; the margin is for a loaded machine)."""
    deadline = time.monotonic() + 2
    while cache.ready() is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_the_cache_trusts_its_indexes_until_a_change_is_announced(demo_url_fresh: str) -> None:
    code, lon, lat = staffed_grid(demo_url_fresh)
    engine = create_engine(demo_url_fresh)
    cache = cache_for(engine)
    with session_factory(engine)() as db:
        first = locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10)
        assert first.worker is not None and first.worker.assignment == "primary"
        trusted = cache.ready()
        assert trusted is not None and trusted == (cache.grids, cache.rosters)
        db.rollback()
        with engine.begin() as conn:  # another connection commits a roster change
            conn.execute(text(END_PRIMARY), {"g": code, "t": ENDED})
        assert announced(cache)
        cache._versions(db)  # what `current` reads first: the announcement is taken, the rebuild not done
        assert cache.ready() is None  # so no request may take the old indexes meanwhile
        second = locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10)
        assert second.worker is not None and second.worker.assignment in ("backup", "head")
        rebuilt = cache.ready()
        assert rebuilt is not None and rebuilt[1] is not trusted[1] and rebuilt[0] is trusted[0]
        db.rollback()
        with engine.begin() as conn:  # a change that is rolled back is not announced
            conn.execute(text(REOPEN_PRIMARY), {"g": code, "t": ENDED})
            conn.rollback()
        assert cache.ready() == rebuilt

        with engine.begin() as conn:  # without the announcing trigger nothing is trusted
            conn.execute(text("DROP TRIGGER cache_versions_notify ON cache_versions"))
        cache.close()
        locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10)
        assert cache.ready() is None
    cache.close()
    engine.dispose()


def test_every_process_follows_each_commit_at_once(demo_url_fresh: str, demo: Demo) -> None:
    """Two server processes; ten roster changes committed one after another, each followed at once
    by a locate on both: every answer reflects the change just committed."""
    code, lon, lat = staffed_grid(demo_url_fresh)
    headers = auth(demo.token("demo-admin"))
    point = {"lon": lon, "lat": lat, "at": MONDAY_10.isoformat()}
    engine = create_engine(demo_url_fresh)
    with server_process(demo_url_fresh) as (one, _), server_process(demo_url_fresh) as (two, _):

        def assignments() -> list[str]:
            answers = [httpx.post(f"{base}/locate", json=point, headers=headers) for base in (one, two)]
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
            return [a.json()["worker"]["assignment"] for a in answers]

        assert assignments() == ["primary", "primary"]
        for _ in range(5):
            with engine.begin() as conn:
                conn.execute(text(END_PRIMARY), {"g": code, "t": ENDED})
            assert "primary" not in assignments()
            with engine.begin() as conn:
                conn.execute(text(REOPEN_PRIMARY), {"g": code, "t": ENDED})
            assert assignments() == ["primary", "primary"]
        # A quiet stretch costs no query for the counters: each process's counter connection
        # (one per process) ran its last query before it and none during it. (First a few answers
        # to settle: announcements a pooled connection heard in passing cost one more check.)
        for _ in range(5):
            assignments()
        before = probes(engine)
        for _ in range(25):
            assert assignments() == ["primary", "primary"]
        after = probes(engine)
    engine.dispose()
    assert len(before) == 2 and after == before


def test_this_process_follows_its_own_commits_at_once(demo_url_fresh: str) -> None:
    """A change committed through this process's engine is known before its commit returns, without
    waiting for the listening connection (made deaf here, so that only the commits themselves can
    tell): twenty changes in a row, each followed at once by a locate in the same process."""
    code, lon, lat = staffed_grid(demo_url_fresh)
    engine = make_engine(demo_url_fresh, pool_size=2)
    cache = cache_for(engine)
    with session_factory(engine)() as db:
        assert locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10).worker
        db.rollback()
        with cache._probe.cursor() as cur:
            cur.execute(f"UNLISTEN {ANNOUNCEMENTS}")
        assert cache.ready() is not None
        for n in range(20):
            db.execute(text(END_PRIMARY if n % 2 == 0 else REOPEN_PRIMARY), {"g": code, "t": ENDED})
            db.commit()
            assert cache.ready() is None  # known before the commit returned
            found = locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10)
            assert found.worker is not None
            assert (found.worker.assignment == "primary") == (n % 2 == 1), n
            db.rollback()
            assert cache.ready() is not None  # and trusted again once checked
    cache.close()
    engine.dispose()
