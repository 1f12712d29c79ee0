"""The in-memory indexes behind locate: active grids and divisions, and the rosters on duty.

Both carry the versions they were built from, read before the data they hold (so an index is never
newer-keyed than its data: a commit in between only causes one more rebuild); `grids/locate.py`
compares those versions with the database's on every request.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gis.locator import EDGE, INSIDE, MATCH_NAMES, OUTSIDE, TOLERANCE_M, PointLocator
from grids.cases.privacy import mask_name, mask_phone

LOCAL = ZoneInfo("Asia/Shanghai")
LEVEL_ORDER = ("village", "township", "county")  # the deepest division holding a point wins
ASSIGNMENT_ORDER = ("primary", "backup", "head")


@dataclass(frozen=True)
class Versions:
    """What an index was built from: the two counters and the active generation ids."""

    grids: int
    rosters: int
    generations: tuple[int, ...]


@dataclass(frozen=True)
class Named:
    """A division or grid: code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class Found:
    """Where a point lies, before rosters: its chain, grid and how it was matched."""

    lon: float
    lat: float
    match: str
    distance_m: float | None
    county: Named
    township: Named | None
    village: Named | None
    grid: Named | None

    @property
    def scope_code(self) -> str:
        """The most precise code of the point, for jurisdiction checks (grid, else division)."""
        deepest = self.grid or self.village or self.township or self.county
        return deepest.code


@dataclass(frozen=True)
class WorkerOnDuty:
    """The worker responsible for a grid now, with names masked."""

    id: int
    staff_no: str
    role: str
    assignment: str
    on_duty: bool
    name: str | None
    phone: str | None


@dataclass(frozen=True)
class PlatformStaff:
    """A platform's staff member allocated to a grid, with the name masked."""

    platform: str
    id: int
    staff_no: str
    name: str | None


@dataclass(frozen=True)
class Location:
    """A full answer: where the point lies and who answers for it (empty outside the jurisdiction)."""

    found: Found
    in_jurisdiction: bool
    worker: WorkerOnDuty | None = None
    platform_staff: list[PlatformStaff] = field(default_factory=list)


@dataclass(frozen=True)
class BatchMatches:
    """Vectorised answers: grid code (None), match name, metres, deepest division (None: off the map)."""

    grid: NDArray[np.object_]
    match: NDArray[np.object_]
    distance_m: NDArray[np.float64]
    division: NDArray[np.object_]


def read_versions(conn: Connection | Session) -> Versions:
    """The counters and active generation ids the database has now."""
    row = conn.execute(text("SELECT grids, rosters, generations FROM locate_versions()")).one()
    return Versions(int(row[0] or 0), int(row[1] or 0), tuple(row[2]))


def chain_of(code: str) -> tuple[str, str | None, str | None]:
    """County, township and village codes above (and including) a division or grid code."""
    county = code[:6] + "000000"
    township = code[:9] + "000" if code[6:9] != "000" else None
    village = code[:12] if township is not None and code[9:12] != "000" else None
    return county, township, village


class GridIndex:
    """Active grids (in code order) and the county/township/village divisions, in memory."""

    def __init__(self, versions: Versions, grid_rows: list[Any], division_rows: list[Any]) -> None:
        self.versions = versions
        self.codes = [str(r[0]) for r in grid_rows]
        self.names = [str(r[1]) for r in grid_rows]
        self.villages = np.array([str(r[2] or r[0][:12]) for r in grid_rows], dtype=object)
        self.grids = PointLocator(shapely.from_wkb([bytes(r[3]) for r in grid_rows]))
        self.grid_codes = np.array(self.codes, dtype=object)
        self.grid_named = [Named(c, n) for c, n in zip(self.codes, self.names, strict=True)]
        self.division_names = {str(r[0]): str(r[2]) for r in division_rows}
        self._chains: dict[str, tuple[Named, Named | None, Named | None]] = {}
        # One locator per level, deepest first: most points are settled by the small village shapes.
        self.levels: list[tuple[NDArray[np.object_], PointLocator]] = []
        bounds = []
        for level in LEVEL_ORDER:
            rows = [r for r in division_rows if r[3] is not None and r[1] == level]  # in code order
            shapes = shapely.from_wkb([bytes(r[3]) for r in rows])
            self.levels.append((np.array([str(r[0]) for r in rows], dtype=object), PointLocator(shapes)))
            if len(shapes):
                bounds.append(shapely.total_bounds(shapes))
        self.bounds = (
            np.concatenate([np.min(bounds, axis=0)[:2], np.max(bounds, axis=0)[2:]])
            if bounds
            else np.full(4, np.nan)
        )

    @classmethod
    def build(cls, conn: Connection) -> "GridIndex":
        """Read the versions, then the active grids and the divisions."""
        versions = read_versions(conn)
        grid_rows = conn.execute(
            text(
                "SELECT g.code, g.name, g.village_code, ST_AsBinary(g.geom) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' ORDER BY g.code"
            )
        ).all()
        division_rows = conn.execute(
            text(
                "SELECT code, level, name, CASE WHEN level IN ('county', 'township', 'village') "
                "THEN ST_AsBinary(geom) END FROM divisions ORDER BY code"
            )
        ).all()
        return cls(versions, list(grid_rows), list(division_rows))

    def fresh(self, versions: Versions) -> bool:
        """Whether this index was built from these grid versions."""
        return (self.versions.grids, self.versions.generations) == (versions.grids, versions.generations)

    def _named(self, code: str | None) -> Named | None:
        return None if code is None else Named(code, self.division_names.get(code, code))

    def _chain(self, division: str) -> tuple[Named, Named | None, Named | None]:
        chain = self._chains.get(division)
        if chain is None:
            county, township, village = chain_of(division)
            county_named = Named(county, self.division_names.get(county, county))
            chain = self._chains[division] = (county_named, self._named(township), self._named(village))
        return chain

    def _found(self, lon: float, lat: float, kind: int, distance: float, grid: int, division: str) -> Found:
        county, township, village = self._chain(division)
        grid_named = None if grid < 0 else self.grid_named[grid]
        return Found(
            lon,
            lat,
            MATCH_NAMES[kind],
            None if kind == OUTSIDE else distance,
            county,
            township,
            village,
            grid_named,
        )

    def answer(self, lon: float, lat: float, *, tolerance_m: float = TOLERANCE_M) -> Found | None:
        """Where one storage-CRS point lies; None when it is outside every division."""
        point = self.grids.project_one(lon, lat)  # every locator here measures in the same metric CRS
        grid, kind, distance = self.grids.locate_point(point, tolerance_m=tolerance_m)
        if kind in (INSIDE, EDGE):
            return self._found(lon, lat, kind, distance, grid, self.villages[grid])
        for codes, locator in self.levels:
            division, _, _ = locator.locate_point(point, tolerance_m=0.0)
            if division >= 0:
                return self._found(lon, lat, kind, distance, grid, codes[division])
        return None

    def assign_many(
        self, lon: ArrayLike, lat: ArrayLike, *, tolerance_m: float = TOLERANCE_M
    ) -> BatchMatches:
        """Vectorised: grid, match and deepest division of many storage-CRS points."""
        lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        m = self.grids.locate(lon_a, lat_a, tolerance_m=tolerance_m)
        has_grid = m.index >= 0
        grid = np.full(len(lon_a), None, dtype=object)
        grid[has_grid] = self.grid_codes[m.index[has_grid]]
        division = np.full(len(lon_a), None, dtype=object)
        placed = (m.kind == INSIDE) | (m.kind == EDGE)
        division[placed] = self.villages[m.index[placed]]
        rest = np.flatnonzero(~placed)
        for codes, locator in self.levels:
            if not len(rest):
                break
            d = locator.locate(lon_a[rest], lat_a[rest], tolerance_m=0.0)
            inside = d.index >= 0
            division[rest[inside]] = codes[d.index[inside]]
            rest = rest[~inside]
        names = np.array(MATCH_NAMES, dtype=object)[m.kind]
        return BatchMatches(grid, names, m.distance_m, division)

    def contains_box(self, lon: float, lat: float) -> bool:
        """Whether a point falls in the bounding box of all divisions (to spot swapped lon/lat)."""
        x0, y0, x1, y1 = self.bounds
        return bool(x0 <= lon <= x1 and y0 <= lat <= y1)


class _Person(NamedTuple):
    """A worker as answers show them (masked)."""

    staff_no: str
    role: str
    name: str | None
    phone: str | None


def _week(text: str) -> dict[int, tuple[tuple[int, int], ...]]:
    """ISO weekday → (start, end) seconds of the day, from "weekday start end weekday start end …"."""
    numbers = [int(n) for n in text.split()]
    week: dict[int, list[tuple[int, int]]] = {}
    for i in range(0, len(numbers), 3):
        week.setdefault(numbers[i], []).append((numbers[i + 1], numbers[i + 2]))
    return {day: tuple(windows) for day, windows in week.items()}


class RosterIndex:
    """Workers, their dated grid assignments and weekly duty windows, in memory.

    Built from plain rows, ordered and filtered by PostgreSQL."""

    def __init__(
        self,
        version: int,
        workers: Sequence[Any],
        responsible: Sequence[Any],
        platform: Sequence[Any],
        duty: Sequence[Any],
    ) -> None:
        self.version = version
        self._people = {  # workers: id, staff_no, role, platform, name, phone
            w[0]: _Person(w[1], w[2], mask_name(w[4]), mask_phone(w[5])) for w in workers
        }
        self._staff = {
            w[0]: PlatformStaff(w[3], w[0], w[1], self._people[w[0]].name)
            for w in workers
            if w[3] is not None
        }
        # worker → ISO weekday → (start, end) seconds of the day; a roster keeps a handful of shift
        # patterns, so each text ("weekday start end …") is read once and its week shared
        patterns: dict[str, dict[int, tuple[tuple[int, int], ...]]] = {}
        self._weeks = {w: patterns.get(text) or patterns.setdefault(text, _week(text)) for w, text in duty}
        # grid → (grid, kind, worker, since, until), primary first, then backup, then head
        self.responsible = {grid: list(rows) for grid, rows in groupby(responsible, key=itemgetter(0))}
        # grid → (grid, worker, since, until), by platform and staff number
        self.platform = {grid: list(rows) for grid, rows in groupby(platform, key=itemgetter(0))}

    @classmethod
    def build(cls, cur: Any) -> "RosterIndex":
        """Read the version, then active workers with their people, assignments and duty windows,
        through a DB-API cursor (psycopg2's)."""
        cur.execute("SELECT rosters FROM locate_versions()")
        version = int(cur.fetchone()[0] or 0)
        # Plain tuples and epoch seconds: at province scale (hundreds of thousands of rows) building
        # datetime objects and result rows would take most of the time.
        cur.execute(
            "SELECT w.id, w.staff_no, w.role, w.platform_code, p.full_name, p.phone "
            "FROM workers w JOIN people p ON p.id = w.person_id WHERE w.active"
        )
        workers = cur.fetchall()
        period = (
            "extract(epoch FROM a.valid_from)::float8, coalesce(extract(epoch FROM a.valid_to)::float8, "
            "'Infinity') FROM worker_assignments a JOIN workers w ON w.id = a.worker_id AND w.active"
        )  # an inactive worker answers for nothing
        cur.execute(
            f"SELECT a.grid_code, a.kind, a.worker_id, {period} WHERE a.kind = ANY(%(order)s) "
            "ORDER BY a.grid_code, array_position(%(order)s, a.kind), 4, 5, a.worker_id",
            {"order": list(ASSIGNMENT_ORDER)},
        )
        responsible = cur.fetchall()
        cur.execute(
            f"SELECT a.grid_code, a.worker_id, {period} "
            "WHERE a.kind = 'platform' AND w.platform_code IS NOT NULL "
            "ORDER BY a.grid_code, w.platform_code, w.staff_no"
        )
        platform = cur.fetchall()
        cur.execute(  # "weekday start end …" in seconds of the day: a text is read faster than arrays
            "SELECT worker_id, string_agg(concat_ws(' ', weekday, extract(epoch FROM starts)::int, "
            "extract(epoch FROM ends)::int), ' ') FROM duty_windows GROUP BY worker_id"
        )
        duty = cur.fetchall()
        return cls(version, workers, responsible, platform, duty)

    def _on_duty(self, worker_id: int, weekday: int, second: int) -> bool:
        return any(start <= second < end for start, end in self._weeks.get(worker_id, {}).get(weekday, ()))

    def fresh(self, versions: Versions) -> bool:
        """Whether this index was built from this roster version."""
        return self.version == versions.rosters

    def worker_for(self, grid_code: str, at: datetime) -> WorkerOnDuty | None:
        """Primary, then backup, then grid head: the first on duty, else the first assigned at all."""
        stamp = at.timestamp()
        local = at.astimezone(LOCAL)
        weekday = local.isoweekday()
        second = local.hour * 3600 + local.minute * 60 + local.second
        fallback = None
        for _, kind, worker_id, since, until in self.responsible.get(grid_code, ()):
            if not since <= stamp < until:
                continue
            person = self._people[worker_id]
            if self._on_duty(worker_id, weekday, second):
                return WorkerOnDuty(
                    worker_id, person.staff_no, person.role, kind, True, person.name, person.phone
                )
            fallback = fallback or (worker_id, kind, person)
        if fallback is None:
            return None
        worker_id, kind, person = fallback
        return WorkerOnDuty(worker_id, person.staff_no, person.role, kind, False, person.name, person.phone)

    def platform_staff(self, grid_code: str, at: datetime) -> list[PlatformStaff]:
        """Platform staff allocated to the grid at `at`, by platform."""
        stamp = at.timestamp()
        return [
            self._staff[worker_id]
            for _, worker_id, since, until in self.platform.get(grid_code, ())
            if since <= stamp < until
        ]

    def complete(self, found: Found, *, at: datetime, visible: bool) -> Location:
        """The full answer for a located point; who answers for it only when the caller may see it."""
        if not visible or found.grid is None:
            return Location(found, visible)
        code = found.grid.code
        return Location(found, True, self.worker_for(code, at), self.platform_staff(code, at))
