"""Importing many cases at once (`grids cases import`): the same rules as one-by-one intake, done in
bulk — every row checked and located (vectorised), its key looked up and its possible duplicate found
before anything is written; then written with COPY, a round of rows at a time, each round's counties
in parallel transactions; a rerun finds what an earlier run wrote.

Possible duplicates are found in memory, once for the file, against the stored cases of its time
range and area and the file's earlier rows, by the rule one-by-one intake applies in SQL
(`cases_duplicate_candidate` in grids/sql/cases.sql): same county and family, the category's radius
in EPSG:4549 metres and its time window; the nearest, then the lowest id.
"""

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from psycopg2.errors import UniqueViolation
from pyproj import Transformer
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.crs import METRIC_SRID, STORAGE_SRID, to_storage
from grids.cases.deadlines import WorkCalendar, deadlines, load_calendar
from grids.cases.intake import INTAKE_GATE, CaseInput, Placement, check_input, queue_placement
from grids.copy import copy_line, copy_text
from grids.errors import GridsError, InvalidInput
from grids.locate import check_coordinates, crs_name, indexes
from grids.locate_index import chain_of
from grids.models import CaseCategory
from grids.progress import Progress, silent
from grids.users import Principal

CHUNK = 20_000  # rows a round writes, in up to WRITERS transactions
WRITERS = 2  # connections writing a round's parts at once
MAX_ERRORS = 10
_TO_METRIC = Transformer.from_crs(STORAGE_SRID, METRIC_SRID, always_xy=True)
_CASE_COLUMNS = (
    "county_code", "id", "channel", "category_code", "description", "address", "reported_at",
    "received_at", "raw_lon", "raw_lat", "raw_crs", "geom", "township_code", "village_code", "grid_code",
    "worker_id", "platform_code", "status", "assigned_by", "assign_distance_m", "receive_due",
    "dispatch_due", "handle_due", "reply_due", "duplicate_candidate_id", "reporter_id", "updated_at",
)  # fmt: skip
_KEY_COLUMNS = ("channel", "external_id", "county_code", "case_id")
_KEYS_PK = "pk_case_intake_keys"  # (channel, external_id)
_EVENT_COLUMNS = (
    "county_code", "case_id", "at", "actor_user_id", "actor", "action", "from_status", "to_status", "data",
)  # fmt: skip


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    rows: int
    created: int
    existing: int


@dataclass
class _Row:
    data: CaseInput
    spot: Placement
    category: CaseCategory


def prepare(session: Session, *, inputs: list[CaseInput], caller: Principal, now: datetime) -> list[_Row]:
    """Check and locate every row; refuse the whole file, naming rows, if any is bad."""
    errors: dict[int, str] = {}
    categories = {c.code: c for c in session.query(CaseCategory)}

    def fail(i: int, exc: GridsError) -> None:
        errors.setdefault(i, f"row {i + 2}: {exc.message}")

    crs = np.empty(len(inputs), dtype=object)
    for i, data in enumerate(inputs):
        try:
            check_input(data, now=now)
            if data.category not in categories:
                raise InvalidInput(
                    f"category {data.category!r} is not in the responsibility list (事件类别不存在)"
                )
            if data.lon is not None and data.lat is not None:
                check_coordinates(data.lon, data.lat)
                crs[i] = crs_name(data.crs)
        except GridsError as exc:
            fail(i, exc)
    grids, rosters = indexes(session)
    x = np.full(len(inputs), np.nan)
    y = np.full(len(inputs), np.nan)
    for name in {c for c in crs if c is not None}:
        rows = np.flatnonzero(crs == name)
        lons = np.array([inputs[i].lon for i in rows], dtype=float)
        lats = np.array([inputs[i].lat for i in rows], dtype=float)
        x[rows], y[rows] = to_storage(lons, lats, name)
    located = np.flatnonzero(~np.isnan(x))
    found = grids.assign_many(x[located], y[located])
    spots: list[Placement | None] = [None] * len(inputs)
    workers: dict[str, int | None] = {}  # grid → its worker on duty now
    for k, i in enumerate(located.tolist()):
        division = found.division[k]
        if division is None or not caller.sees(division):
            where = (
                "every division (坐标不在任何行政区划内)"
                if division is None
                else "your jurisdiction (坐标不在辖区内)"
            )
            fail(i, InvalidInput(f"point lies outside {where}"))
            continue
        grid = found.grid[k]
        county, township, village = chain_of(str(division))
        if grid is not None and grid not in workers:
            on_duty = rosters.worker_for(grid, now)
            workers[grid] = None if on_duty is None else on_duty.id
        spots[i] = Placement(
            "received", county, township, village, grid,
            None if grid is None else workers[grid], str(found.match[k]),
            None if found.match[k] == "outside" else float(found.distance_m[k]), float(x[i]), float(y[i]),
        )  # fmt: skip
    for i, data in enumerate(inputs):
        if spots[i] is None and data.lon is None and i not in errors:
            try:
                spots[i] = queue_placement(data, caller)
            except GridsError as exc:
                fail(i, exc)
    if errors:
        raise _refusal([errors[i] for i in sorted(errors)], len(inputs))
    return [_Row(d, s, categories[d.category]) for d, s in zip(inputs, spots, strict=True) if s is not None]


def _refusal(errors: list[str], total: int) -> InvalidInput:
    shown = "; ".join(errors[:MAX_ERRORS])
    more = f"; … and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
    return InvalidInput(
        f"{len(errors)} of {total} rows refused, nothing imported "
        f"(有{len(errors)}行有误，未导入): {shown}{more}",
        field="file",
    )


Key = tuple[str, str]  # (channel, external id)
_LOAD = "载入网格与排班 loading grids and rosters"
_LOCATE = "检查与定位 checking and locating"
_PLAN = "查重 finding stored keys and possible duplicates"
_WRITE = "写入 writing cases"
_GATE = text("SELECT pg_advisory_xact_lock(:gate, 0)")


def _existing(session: Session, keys: list[Key]) -> dict[Key, tuple[str, int]]:
    """The stored keys among these, each with the county and id of the case made from it."""
    found = session.execute(
        text(
            "SELECT k.channel, k.external_id, k.county_code, k.case_id FROM case_intake_keys k "
            "JOIN unnest(CAST(:c AS text[]), CAST(:e AS text[])) AS n(channel, external_id) "
            "ON k.channel = n.channel AND k.external_id = n.external_id"
        ),
        {"c": [channel for channel, _ in keys], "e": [external_id for _, external_id in keys]},
    )
    return {(str(a), str(b)): (str(county), int(case)) for a, b, county, case in found}


def _reserve(session: Session, table: str, n: int) -> list[int]:
    if n == 0:
        return []
    ids = session.execute(
        text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": n}
    ).scalars()
    return [int(i) for i in ids]


def _duplicates(session: Session, rows: list[_Row], ids: list[int]) -> list[int | None]:
    """The candidate of each row by the intake rule, against stored cases and the file's earlier rows."""
    have = [i for i, r in enumerate(rows) if r.spot.x is not None and r.category.duplicate_radius_m > 0]
    result: list[int | None] = [None] * len(rows)
    if not have:
        return result
    times = [rows[i].data.reported_at for i in have]
    window = timedelta(hours=max(rows[i].category.duplicate_window_hours for i in have))
    xs = np.array([rows[i].spot.x for i in have], dtype=float)
    ys = np.array([rows[i].spot.y for i in have], dtype=float)
    reach = max(rows[i].category.duplicate_radius_m for i in have) / 80_000  # metres → degrees, generously
    stored = session.execute(
        text(
            "SELECT c.id, c.county_code, k.family, extract(epoch FROM c.reported_at), "
            "ST_X(c.geom), ST_Y(c.geom) "
            "FROM cases c JOIN case_categories k ON k.code = c.category_code "
            "WHERE c.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490) "
            "AND c.status NOT IN ('rejected', 'merged') "
            "AND c.reported_at BETWEEN :lo AND :hi AND c.county_code = ANY(:counties)"
        ),
        {
            "x0": float(xs.min() - reach),
            "y0": float(ys.min() - reach),
            "x1": float(xs.max() + reach),
            "y1": float(ys.max() + reach),
            "lo": min(times) - window,
            "hi": max(times) + window,
            "counties": list({rows[i].spot.county for i in have}),
        },
    ).all()
    pool_id = np.array([r[0] for r in stored] + [ids[i] for i in have], dtype=np.int64)
    pool_county = np.array([r[1] for r in stored] + [rows[i].spot.county for i in have], dtype=object)
    pool_family = np.array([r[2] for r in stored] + [rows[i].category.family for i in have], dtype=object)
    pool_t = np.array([float(r[3]) for r in stored] + [t.timestamp() for t in times])
    lon = np.concatenate([np.array([r[4] for r in stored], dtype=float), xs])
    lat = np.concatenate([np.array([r[5] for r in stored], dtype=float), ys])
    mx, my = _TO_METRIC.transform(lon, lat)
    points = shapely.points(mx, my)
    mine = np.arange(len(stored), len(pool_id))
    radius = np.array([rows[i].category.duplicate_radius_m for i in have])
    hours = np.array([rows[i].category.duplicate_window_hours for i in have])
    q, p = shapely.STRtree(points).query(points[mine], predicate="dwithin", distance=radius)
    me = mine[q]
    keep = (p != me) & (pool_county[p] == pool_county[me]) & (pool_family[p] == pool_family[me])
    keep &= np.abs(pool_t[p] - pool_t[me]) <= hours[q] * 3600
    keep &= (p < len(stored)) | (pool_id[p] < pool_id[me])  # the file's earlier rows only
    q, p = q[keep], p[keep]
    dist = shapely.distance(points[mine[q]], points[p])
    order = np.lexsort((pool_id[p], dist, q))
    seen: set[int] = set()
    for k in order.tolist():
        if int(q[k]) not in seen:
            seen.add(int(q[k]))
            result[have[int(q[k])]] = int(pool_id[p[k]])
    return result


@dataclass(frozen=True)
class _Batch:
    """New rows in file order, with the case ids reserved for them (increasing), their reporters'
    person ids and their possible duplicates (a stored case, or an earlier row of the file)."""

    rows: list[_Row]
    ids: list[int]
    people: list[int | None]
    candidates: list[int | None]

    def pick(self, rows: Iterable[int]) -> "_Batch":
        """The batch of these rows (positions), in the order given."""
        at = list(rows)
        return _Batch(
            [self.rows[k] for k in at],
            [self.ids[k] for k in at],
            [self.people[k] for k in at],
            [self.candidates[k] for k in at],
        )


def _by_county(batch: _Batch, n: int) -> list[_Batch]:
    """The batch in at most `n` parts of whole counties, about equal in rows, each in file order. A
    possible duplicate is of the same county, and so is the grid whose figures a case moves (but for
    a near match across a county border: the two parts then queue for that grid's figures, which are
    locked in code order, so they never deadlock). The parts do not refer to each other."""
    sizes = Counter(r.spot.county for r in batch.rows)
    load, part_of = [0] * n, {}
    for county, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        part_of[county] = k = load.index(min(load))
        load[k] += size
    members: list[list[int]] = [[] for _ in range(n)]
    for i, r in enumerate(batch.rows):
        members[part_of[r.spot.county]].append(i)
    return [batch.pick(m) for m in members if m]


@dataclass(frozen=True)
class _Keys:
    """The file's stored keys; its new rows (neither stored nor repeated earlier in the file) and the
    ids reserved for their cases and reporters."""

    stored: dict[Key, tuple[str, int]]
    new: list[int]
    cases: list[int]
    people: list[int]


def _look_up(engine: Engine, inputs: list[CaseInput]) -> _Keys:
    """Which rows are new, with their ids: database work only, done while the rows are located."""
    with Session(engine) as session, session.begin():
        stored = _existing(session, [(d.channel, d.external_id) for d in inputs])
        seen: set[Key] = set()
        new = []
        for i, d in enumerate(inputs):
            key = (d.channel, d.external_id)
            if key not in stored and key not in seen:
                seen.add(key)
                new.append(i)
        cases = _reserve(session, "cases", len(new))
        people = _reserve(session, "people", sum(inputs[i].reporter is not None for i in new))
        return _Keys(stored, new, cases, people)


def _plan(session: Session, rows: list[_Row], keys: _Keys) -> tuple[_Batch, int]:
    """The new rows ready to write, with their possible duplicates; and how many rows are not new."""
    new = [rows[i] for i in keys.new]
    people = iter(keys.people)
    reporters = [None if r.data.reporter is None else next(people) for r in new]
    return _Batch(new, keys.cases, reporters, _duplicates(session, new, keys.cases)), len(rows) - len(new)


@dataclass(frozen=True)
class _Lines:
    """A batch in COPY's text format, table by table."""

    people: str
    cases: str
    keys: str
    events: str


class _Writer:
    """Writes rounds of rows. A round holds the intake gate alone (grids/cases/intake.py): intakes
    in flight finish first, new ones wait for the round. Its parts, counties apart, are written at
    once, each in a transaction of its own.

    A key that another intake stored since the plan was made is skipped, and a later row's duplicate
    candidate that pointed at its row points at the case made before instead (the same report)."""

    def __init__(
        self, engine: Engine, caller: Principal, now: datetime, calendar: WorkCalendar, pool: Executor
    ) -> None:
        self.engine, self.caller, self.now, self.calendar, self.pool = engine, caller, now, calendar, pool
        self.replaced: dict[int, tuple[str, int]] = {}  # reserved id of a skipped row → the stored case
        self._due: dict[str, tuple[str, ...]] = {}  # category → its stage deadlines, formatted

    def _deadlines(self, category: CaseCategory) -> tuple[str, ...]:
        due = deadlines(category, self.now, self.calendar)
        return tuple(
            d.isoformat() for d in (due.receive_due, due.dispatch_due, due.handle_due, due.reply_due)
        )

    def lines(self, batch: _Batch) -> _Lines:
        """The batch in COPY's text format (no database work: runs while the previous batch writes)."""
        people, cases, keys, events = [], [], [], []
        now, actor = self.now.isoformat(), (self.caller.user_id, self.caller.name)  # formatted once
        for r, case_id, person, candidate in zip(
            batch.rows, batch.ids, batch.people, batch.candidates, strict=True
        ):
            d, s, c = r.data, r.spot, r.category
            if d.reporter is not None:
                people.append(copy_line((person, d.reporter.name, d.reporter.phone)))
            due = self._due.get(c.code) or self._due.setdefault(c.code, self._deadlines(c))
            geom = None if s.x is None else f"SRID={STORAGE_SRID};POINT({s.x!r} {s.y!r})"
            cases.append(copy_line((
                s.county, case_id, d.channel, c.code, d.description.strip(), d.address, d.reported_at, now,
                d.lon, d.lat, None if d.lon is None else crs_name(d.crs), geom, s.township, s.village,
                s.grid, s.worker, c.platform_code, s.status, s.assigned_by, s.distance_m, *due, candidate,
                person, now,
            )))  # fmt: skip
            keys.append(copy_line((d.channel, d.external_id, s.county, case_id)))
            data: dict[str, Any] = {
                "channel": d.channel, "external_id": d.external_id, "match": s.assigned_by, "grid": s.grid,
                "worker_id": s.worker, "platform": c.platform_code, "duplicate_candidate": candidate,
            }  # fmt: skip
            events.append(copy_line((s.county, case_id, now, *actor, "receive", None, s.status, data)))
        return _Lines("".join(people), "".join(cases), "".join(keys), "".join(events))

    def write(self, parts: list[_Batch], lines: list[_Lines]) -> tuple[int, int]:
        """Write a round: how many cases it made, and how many keys it found stored meanwhile.

        Keys stored by intake since the plan are rare, and fixed once the round holds the gate: the
        keys' primary key finds them as a part is copied (no look-up before), and that part is looked
        up and copied again without them."""
        with Session(self.engine) as gate, gate.begin():
            gate.execute(_GATE, {"gate": INTAKE_GATE})
            if any(c in self.replaced for part in parts for c in part.candidates if c is not None):
                parts = [self._settle(part, {}) for part in parts]
                lines = [self.lines(part) for part in parts]
            raced: dict[Key, tuple[str, int]] = {}
            again = self._copies(parts, lines)
            if again:
                met = [(r.data.channel, r.data.external_id) for k in again for r in parts[k].rows]
                raced = _existing(gate, met)
                for k in again:
                    parts[k] = self._settle(parts[k], raced)
                    lines[k] = self.lines(parts[k])
                self._copies([parts[k] for k in again], [lines[k] for k in again], retry=False)
        return sum(len(part.rows) for part in parts), len(raced)

    def _copies(self, parts: list[_Batch], lines: list[_Lines], *, retry: bool = True) -> list[int]:
        """Copy the parts at once, each in its own transaction: the parts that met a stored key, to
        be copied again (`retry`), else the first failure is raised once every part has ended."""
        copies = [self.pool.submit(self._copy, part_lines) for part_lines in lines]
        wait(copies)
        raced = []
        for k, copy in enumerate(copies):
            error = copy.exception()
            if retry and isinstance(error, UniqueViolation) and error.diag.constraint_name == _KEYS_PK:
                raced.append(k)
            elif error is not None:
                raise error
        return raced

    def _copy(self, lines: _Lines) -> None:
        with Session(self.engine) as session, session.begin():
            cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            copy_text(cur, "people", ("id", "full_name", "phone"), lines.people)
            copy_text(cur, "cases", _CASE_COLUMNS, lines.cases)
            copy_text(cur, "case_intake_keys", _KEY_COLUMNS, lines.keys)
            copy_text(cur, "case_events", _EVENT_COLUMNS, lines.events)

    def _settle(self, batch: _Batch, raced: dict[Key, tuple[str, int]]) -> _Batch:
        keep = []
        for k, r in enumerate(batch.rows):
            made = raced.get((r.data.channel, r.data.external_id))
            if made is None:
                keep.append(k)
            else:
                self.replaced[batch.ids[k]] = made
        kept = batch.pick(keep)
        for k, c in enumerate(kept.candidates):
            made = self.replaced.get(c) if c is not None else None
            if made is not None:
                kept.candidates[k] = made[1] if made[0] == kept.rows[k].spot.county else None
        return kept


def import_cases(
    engine: Engine,
    *,
    inputs: list[CaseInput],
    caller: Principal,
    progress: Progress | None = None,
    now: datetime | None = None,
    chunk: int = CHUNK,
) -> ImportSummary:
    """Check and locate every row, then write the new ones `chunk` rows a round; each round is put in
    COPY's text format while the one before it is being written."""
    now = now or datetime.now(UTC)
    report = progress or silent
    total = len(inputs)
    with Session(engine) as session, ThreadPoolExecutor(1, thread_name_prefix="import-keys") as apart:
        report(_LOAD, 0, 1)
        indexes(session)
        report(_LOAD, 1, 1)
        keys = apart.submit(_look_up, engine, inputs)  # on a connection of its own, while locating
        report(_LOCATE, 0, total)
        rows = prepare(session, inputs=inputs, caller=caller, now=now)
        report(_LOCATE, total, total)
        report(_PLAN, 0, total)
        batch, existing = _plan(session, rows, keys.result())
        report(_PLAN, total, total)
        calendar = load_calendar(session)
    counts = {"created": 0, "existing": existing}

    def finish(round_: Future[tuple[int, int]] | None) -> None:
        if round_ is not None:
            made, raced = round_.result()
            counts["created"] += made
            counts["existing"] += raced
        report(_WRITE, counts["created"] + counts["existing"], len(rows))

    finish(None)
    with (
        ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="import-part") as parts_pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-round") as rounds,
    ):
        writer = _Writer(engine, caller, now, calendar, parts_pool)
        pending: Future[tuple[int, int]] | None = None
        for start in range(0, len(batch.rows), chunk):
            parts = _by_county(batch.pick(range(start, min(start + chunk, len(batch.rows)))), WRITERS)
            lines = [writer.lines(part) for part in parts]  # while the round before is written
            finish(pending)
            pending = rounds.submit(writer.write, parts, lines)
        finish(pending)
    return ImportSummary(len(inputs), counts["created"], counts["existing"])
