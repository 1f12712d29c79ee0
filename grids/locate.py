"""Locate a point: its division chain, grid, responsible worker on duty and platform staff.

Every server process keeps the active grids and the rosters in memory (grids/locate_index.py), keyed
on two trigger-kept counters and the active generation ids. Each process keeps one connection that
listens on `grids_cache_versions`, where the database announces every change of the counters
(grids/sql/cache_versions_notify.sql) as the change commits. A locate first reads that connection's
socket, without a round trip: if nothing was announced since the counters were last read, the
indexes are current; otherwise it reads the counters (one small query) and rebuilds what changed.
A change this process commits is known before its commit returns (its pooled connections listen
too, and a session receives its own notifications with its COMMIT: grids.db.make_engine), so its
next answer follows it; other processes follow as soon as the announcement reaches them (on one
host, well under a millisecond).
"""

import gc
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import psycopg2
from sqlalchemy import URL, Engine
from sqlalchemy.orm import Session

from gis.crs import NAMED, SAME_AS_STORAGE, UnknownCRS, normalise, to_storage
from gis.locator import TOLERANCE_M
from grids.db import ANNOUNCEMENTS, CONNECT_ARGS, on_own_announcement
from grids.errors import InvalidInput
from grids.locate_index import GridIndex, Location, RosterIndex, Versions, read_versions
from grids.moments import check_moment
from grids.users import Principal


class LocateCache:
    """The indexes of one database, rebuilt when its counters or active generations change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self._probe: Any = None  # a psycopg2 connection, or None until first needed
        self._announced = False  # whether the probe listens to a database that announces changes
        self._checked: Versions | None = None  # what the probe read last, while it listens
        self.grids: GridIndex | None = None
        self.rosters: RosterIndex | None = None

    def ready(self) -> tuple[GridIndex, RosterIndex] | None:
        """The indexes, if the database announced no change since they were last checked: a
        non-blocking read of the listening connection, no round trip, safe on the event loop. None
        when `current` must check (nothing built yet, a change announced, the connection lost or
        busy, or a database without announcements)."""
        grids, rosters = self.grids, self.rosters
        if grids is None or rosters is None or not self._probe_lock.acquire(blocking=False):
            return None
        try:
            probe, checked = self._probe, self._checked
            if probe is None or not self._announced or checked is None:
                return None
            if not (grids.fresh(checked) and rosters.fresh(checked)):
                return None  # being rebuilt after the last check: wait for it in `current`
            probe.poll()
            return None if probe.notifies else (grids, rosters)
        except psycopg2.Error:
            self._drop_probe()
            return None
        finally:
            self._probe_lock.release()

    def current(self, session: Session) -> tuple[GridIndex, RosterIndex]:
        """Indexes matching what the database holds now (rebuilt here if they are stale)."""
        versions = self._versions(session)
        grids, rosters = self.grids, self.rosters
        if grids is not None and rosters is not None and grids.fresh(versions) and rosters.fresh(versions):
            return grids, rosters
        with self._lock:  # one rebuild at a time; the others wait and then use it
            grids, rosters = self.grids, self.rosters
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-index") as apart:
                # the rosters on a connection of their own, while the grids are read on the session's
                built = None
                if rosters is None or not rosters.fresh(versions):
                    built = apart.submit(_rosters_apart, session.get_bind().engine.url)
                if grids is None or not grids.fresh(versions):
                    grids = self.grids = GridIndex.build(session.connection())
                if built is not None:
                    rosters = self.rosters = built.result()
            assert rosters is not None  # fresh, or just built
            # Millions of long-lived objects: keep the cyclic collector from walking them again and
            # again while requests allocate (its full passes showed as 40 ms stalls in p99).
            gc.collect()
            gc.freeze()
            return grids, rosters

    def _versions(self, session: Session) -> Versions:
        # On a connection of its own outside any transaction: one round trip, where the request's
        # session would add a pool checkout, a ping and the ORM. It listens first and forgets what
        # was announced before the counters are read, so an announcement that arrives after this
        # read (its data perhaps not in the read) is still pending for the next `ready`. Should that
        # connection fail, the session asks instead.
        with self._probe_lock:
            try:
                probe: Any = self._probe
                if probe is None:
                    probe = self._probe = _direct(session.get_bind().engine.url)
                    probe.autocommit = True
                    with probe.cursor() as cur:
                        cur.execute(f"LISTEN {ANNOUNCEMENTS}")
                        cur.execute(
                            "SELECT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'cache_versions_notify')"
                        )
                        self._announced = bool(cur.fetchone()[0])
                probe.poll()
                probe.notifies.clear()
                with probe.cursor() as cur:
                    cur.execute("SELECT grids, rosters, generations FROM locate_versions()")
                    row = cur.fetchone()
                self._checked = Versions(int(row[0] or 0), int(row[1] or 0), tuple(row[2]))
                return self._checked
            except psycopg2.Error:
                self._drop_probe()
        return read_versions(session)

    def heard(self) -> None:
        """This process committed an announced change: trust nothing until the counters are read
        again (the probe hears it too, but a moment later). Waits for a read in progress, which
        may have missed the change."""
        with self._probe_lock:
            self._checked = None

    def _drop_probe(self) -> None:
        probe, self._probe, self._announced, self._checked = self._probe, None, False, None
        if probe is not None:
            probe.close()

    def close(self) -> None:
        """Close the connection kept for reading versions (a new one is opened when next needed)."""
        with self._probe_lock:
            self._drop_probe()


def _direct(url: URL) -> Any:
    """A psycopg2 connection not from the pool: requests waiting for the indexes may hold every
    pooled connection."""
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg2.connect(dsn, **CONNECT_ARGS)


def _rosters_apart(url: URL) -> RosterIndex:
    """The roster index, read on a connection of its own while the grid index is read on the
    request's (at province scale both take 2.9–3.2 s, one after the other 3.9–4.1 s)."""
    conn = _direct(url)
    try:
        with conn.cursor() as cur:
            return RosterIndex.build(cur)
    finally:
        conn.close()


_CACHES: dict[str, LocateCache] = {}
_CACHES_LOCK = threading.Lock()
_MAX_CACHES = 8


@lru_cache(maxsize=64)
def _key(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def cache_for(engine: Engine) -> LocateCache:
    """This process's cache for the engine's database."""
    key = _key(engine.url)
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None:
            while len(_CACHES) >= _MAX_CACHES:  # tests open many databases; keep the newest
                _CACHES.pop(next(iter(_CACHES))).close()
            cache = _CACHES[key] = LocateCache()
        return cache


def _heard(engine: Engine) -> None:
    cache = _CACHES.get(_key(engine.url))
    if cache is not None:
        cache.heard()


on_own_announcement(_heard)


def indexes(session: Session) -> tuple[GridIndex, RosterIndex]:
    """The current grid and roster indexes of the session's database."""
    cache = cache_for(session.get_bind().engine)
    return cache.ready() or cache.current(session)


def build_in_background(engine: Engine) -> None:
    """Start building the engine's indexes on a thread of their own, for a caller that needs them
    after other work (a file to read): its `indexes` then waits for this build. A failure is left
    for that call, which builds again and raises it."""

    def build() -> None:
        try:
            with Session(engine) as session:
                indexes(session)
        except Exception:  # met and reported again by the caller's own `indexes`
            pass

    threading.Thread(target=build, name="locate-indexes", daemon=True).start()


def crs_name(raw: str) -> str:
    """One of wgs84, cgcs2000, gcj02, bd09, or an error naming the field."""
    try:
        name = normalise(raw)
    except UnknownCRS as exc:
        raise InvalidInput(f"crs: {exc} (坐标系无法识别)", field="crs") from exc
    if name not in NAMED:
        raise InvalidInput(
            f"crs {raw!r} is not accepted here; use one of {', '.join(NAMED)} (坐标系须为{'/'.join(NAMED)})",
            field="crs",
        )
    return name


def check_coordinates(lon: float, lat: float) -> None:
    """Refuse non-numbers and out-of-range values, naming the field and a likely swap."""
    for field, value in (("lon", lon), ("lat", lat)):
        if not math.isfinite(value):
            raise InvalidInput(
                f"{field} must be a finite number, got {value} ({field}须为有限数值)", field=field
            )
    if abs(lat) > 90:
        swap = " — latitude and longitude look swapped (经纬度疑似颠倒)" if abs(lon) <= 90 else ""
        raise InvalidInput(
            f"lat {lat} is out of range: latitude must lie in [-90, 90] (纬度须在-90到90之间){swap}",
            field="lat",
        )
    if abs(lon) > 180:
        raise InvalidInput(
            f"lon {lon} is out of range: longitude must lie in [-180, 180] (经度须在-180到180之间)",
            field="lon",
        )


def to_storage_point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Checked coordinates in `crs` as longitude/latitude in the storage CRS."""
    check_coordinates(lon, lat)
    name = crs_name(crs)
    if name in SAME_AS_STORAGE:
        return float(lon), float(lat)
    xs, ys = to_storage(np.array([lon]), np.array([lat]), name)
    return float(xs[0]), float(ys[0])


def locate(
    session: Session,
    *,
    lon: float,
    lat: float,
    crs: str,
    caller: Principal,
    at: datetime | None = None,
    tolerance_m: float = TOLERANCE_M,
) -> Location:
    """Locate one point given in `crs`; worker details only within the caller's jurisdiction."""
    x, y = to_storage_point(lon, lat, crs)
    return _answer(
        indexes(session), x, y, lon=lon, lat=lat, crs=crs, caller=caller, at=at, tolerance_m=tolerance_m
    )


def locate_if_current(
    engine: Engine,
    *,
    lon: float,
    lat: float,
    crs: str,
    caller: Principal,
    at: datetime | None = None,
    tolerance_m: float = TOLERANCE_M,
) -> Location | None:
    """`locate` without touching the database, when no change was announced since the indexes were
    checked (no I/O: fit for the event loop); None when they must be checked first by `locate`."""
    x, y = to_storage_point(lon, lat, crs)
    found = cache_for(engine).ready()
    if found is None:
        return None
    return _answer(found, x, y, lon=lon, lat=lat, crs=crs, caller=caller, at=at, tolerance_m=tolerance_m)


def _answer(
    indexes: tuple[GridIndex, RosterIndex],
    x: float,
    y: float,
    *,
    lon: float,
    lat: float,
    crs: str,
    caller: Principal,
    at: datetime | None,
    tolerance_m: float,
) -> Location:
    grids, rosters = indexes
    check_moment(at, field="at")
    when = at or datetime.now(UTC)
    found = grids.answer(x, y, tolerance_m=tolerance_m)
    if found is None:
        swapped = grids.contains_box(lat, lon)
        hint = " — latitude and longitude look swapped (经纬度疑似颠倒)" if swapped else ""
        raise InvalidInput(
            f"point ({lon}, {lat}) in {crs} lies outside every division of this installation "
            f"(坐标不在本系统任何行政区划内){hint}",
            field="lon",
        )
    return rosters.complete(found, at=when, visible=caller.sees(found.scope_code))
