"""Intake: each case is located, routed to its platform, assigned and given its deadlines, in the
caller's one transaction; `(channel, external_id)` makes a resend find the case it made before."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from grids.cases.deadlines import CALENDAR, WorkCalendar, calendar_of, deadlines
from grids.codes import division_code, level_of
from grids.db import execute_prepared, translate
from grids.errors import Conflict, GridsError, InvalidInput
from grids.locate import crs_name, indexes, to_storage_point
from grids.models import Case, CaseCategory, CaseIntakeKey
from grids.models.base import CHANNELS
from grids.moments import check_moment
from grids.users import Principal

INTAKE_LOCK = 4_120_001  # advisory-lock namespace of (channel, external id)
# Every intake holds this shared for its transaction; an import holds it alone while it writes a round
# of rows, so an intake waits for the round instead of racing it (grids/cases/bulk.py).
INTAKE_GATE = 4_120_003  # advisory-lock namespace of that gate, whose one key is 0
MAX_TEXT = 4000
FUTURE_SLACK = timedelta(minutes=10)  # clocks of intake systems run a little fast

_CATEGORY_COLUMNS = frozenset(c.key for c in CaseCategory.__table__.columns)
_ADMIT = text(
    "SELECT pg_advisory_xact_lock_shared(:gate, 0), pg_advisory_xact_lock(:lock, hashtext(:key)),"
    " (SELECT to_jsonb(k) FROM case_categories k WHERE k.code = :category) AS category,"
    f" holidays, workdays FROM ({CALENDAR}) AS calendar"
)
_INTAKE = (
    resources.files("grids").joinpath("sql/cases_intake.sql").read_text(encoding="utf-8")
    + f"SELECT {', '.join(c.name for c in Case.__table__.columns)} FROM made"
)


@dataclass(frozen=True)
class Reporter:
    """Who reported a case (personal data: stored apart, masked on output)."""

    name: str
    phone: str | None = None


@dataclass(frozen=True)
class CaseInput:
    """A case as an intake system hands it over; coordinates may be missing (address only)."""

    channel: str
    external_id: str
    category: str
    description: str
    reported_at: datetime
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str | None = None
    township: str | None = None
    reporter: Reporter | None = None


@dataclass(frozen=True)
class Intake:
    """The case an intake made, or found already made from the same (channel, external id)."""

    case: Case
    created: bool


@dataclass(frozen=True)
class Placement:
    """Where a case lands: its divisions, grid, worker and how the grid was found."""

    status: str
    county: str
    township: str | None
    village: str | None = None
    grid: str | None = None
    worker: int | None = None
    assigned_by: str | None = None
    distance_m: float | None = None
    x: float | None = None
    y: float | None = None


def check_text(**fields: str | None) -> None:
    """Refuse text holding a NUL character, which PostgreSQL cannot store, naming the field."""
    for name, value in fields.items():
        if value is not None and "\x00" in value:
            raise InvalidInput(f"{name} contains a NUL character (含有非法字符 \\x00)", field=name)


def check_input(data: CaseInput, *, now: datetime) -> None:
    """Refuse malformed fields, naming each."""
    reporter = data.reporter
    check_text(
        external_id=data.external_id,
        category=data.category,
        description=data.description,
        crs=data.crs,
        address=data.address,
        township=data.township,
        **{
            "reporter.name": reporter.name if reporter else None,
            "reporter.phone": reporter.phone if reporter else None,
        },
    )
    if data.channel not in CHANNELS:
        raise InvalidInput(
            f"channel {data.channel!r} is not one of {', '.join(CHANNELS)} (渠道不存在)", field="channel"
        )
    if not data.external_id.strip() or len(data.external_id) > 200:
        raise InvalidInput(
            "external_id must be 1–200 characters (外部编号长度须为1–200)", field="external_id"
        )
    if not data.description.strip() or len(data.description) > MAX_TEXT:
        raise InvalidInput(
            f"description must be 1–{MAX_TEXT} characters (事件描述长度须为1–{MAX_TEXT})", field="description"
        )
    if data.reported_at.tzinfo is None:
        raise InvalidInput(
            "reported_at needs a time zone, e.g. 2026-11-02T10:00:00+08:00 (上报时间须带时区)",
            field="reported_at",
        )
    check_moment(data.reported_at, field="reported_at")
    if data.reported_at > now + FUTURE_SLACK:
        raise InvalidInput(
            f"reported_at {data.reported_at.isoformat()} lies in the future (上报时间晚于当前时间)",
            field="reported_at",
        )
    if (data.lon is None) != (data.lat is None):
        missing = "lat" if data.lat is None else "lon"
        raise InvalidInput(
            f"{missing} is missing: give both lon and lat, or neither (经纬度须成对)", field=missing
        )
    if data.lon is None and not (data.address or "").strip():
        raise InvalidInput(
            "give lon and lat, or an address for the to-be-located queue (须提供坐标或地址)", field="address"
        )
    if data.address is not None and len(data.address) > 500:
        raise InvalidInput("address must be at most 500 characters (地址过长)", field="address")
    if data.reporter is not None and not (1 <= len(data.reporter.name.strip()) <= 100):
        raise InvalidInput(
            "reporter.name must be 1–100 characters (报告人姓名长度有误)", field="reporter.name"
        )


def _admit(session: Session, data: CaseInput) -> tuple[CaseCategory, WorkCalendar]:
    """Hold the intake gate (shared) and the lock of the case's (channel, external id) for this
    transaction, and read its category and the holiday calendar, in one round trip; a category not
    in the list is an error naming it.

    The category comes back as a detached copy (no session keeps it): it is only read."""
    found = session.execute(
        _ADMIT,
        {
            "gate": INTAKE_GATE,
            "lock": INTAKE_LOCK,
            "key": f"{data.channel}\x1f{data.external_id}",
            "category": data.category,
        },
    ).one()
    if found.category is None:
        raise InvalidInput(
            f"category {data.category!r} is not in the responsibility list; see GET /categories "
            "(事件类别不存在)",
            field="category",
        )
    known = {k: v for k, v in found.category.items() if k in _CATEGORY_COLUMNS}  # a newer column: not ours
    return CaseCategory(**known), calendar_of(found.holidays, found.workdays)


def place(
    session: Session, *, data: CaseInput, caller: Principal, at: datetime, field: str = "lon"
) -> Placement:
    """Locate the case and pick its worker; without coordinates, its to-be-located queue."""
    if data.lon is None or data.lat is None:
        return queue_placement(data, caller)
    x, y = to_storage_point(data.lon, data.lat, data.crs)
    grids, rosters = indexes(session)
    found = grids.answer(x, y)
    if found is None:
        raise InvalidInput(
            f"point ({data.lon}, {data.lat}) lies outside every division of this installation "
            f"(坐标不在本系统任何行政区划内)",
            field=field,
        )
    if not caller.sees(found.scope_code):
        raise InvalidInput(
            f"point ({data.lon}, {data.lat}) lies in {found.county.code}, outside your jurisdiction "
            f"(坐标不在您的辖区内)",
            field=field,
        )
    grid = found.grid.code if found.grid else None
    worker = rosters.worker_for(grid, at) if grid else None
    return Placement(
        "received",
        found.county.code,
        found.township.code if found.township else None,
        found.village.code if found.village else None,
        grid,
        worker.id if worker else None,
        found.match,
        found.distance_m,
        x,
        y,
    )


def queue_placement(data: CaseInput, caller: Principal) -> Placement:
    """A case with only an address waits in its township's queue, or in the caller's (the city's)."""
    queue = division_code(data.township, field="township") if data.township else caller.scope_code
    if queue is None:
        raise InvalidInput(
            "without coordinates, name the township whose queue the case joins (无坐标时须指定乡镇)",
            field="township",
        )
    if not caller.sees(queue):
        raise InvalidInput(
            f"township {queue} is outside your jurisdiction (乡镇不在您的辖区内)", field="township"
        )
    level = level_of(queue)
    county = queue[:6] + "000000" if level in ("county", "township", "village") else queue
    township = queue[:9] + "000" if level in ("township", "village") else None
    return Placement("to_locate", county, township)


def existing_case(session: Session, *, channel: str, external_id: str) -> Case | None:
    """The case already made from this (channel, external id), if any."""
    key = session.execute(
        select(CaseIntakeKey.county_code, CaseIntakeKey.case_id).where(
            CaseIntakeKey.channel == channel, CaseIntakeKey.external_id == external_id
        )
    ).first()
    return None if key is None else session.get(Case, (key.county_code, key.case_id))


def receive_case(
    session: Session, *, data: CaseInput, caller: Principal, now: datetime | None = None
) -> Intake:
    """Take in one case (or find the one this channel and external id made before)."""
    now = now or datetime.now(UTC)
    check_input(data, now=now)
    category, calendar = _admit(session, data)  # the key's lock is held from here on
    try:
        spot = place(session, data=data, caller=caller, at=now)
    except GridsError:
        before = _made_before(session, data, caller)  # a repeat answers with its case all the same
        if before is None:
            raise
        return before
    dues = deadlines(category, now, calendar)
    event = {
        "channel": data.channel,
        "external_id": data.external_id,
        "match": spot.assigned_by,
        "grid": spot.grid,
        "worker_id": spot.worker,
        "platform": category.platform_code,
    }
    case = execute_prepared(
        session,
        _INTAKE,
        {
            "reporter_name": None if data.reporter is None else data.reporter.name.strip(),
            "reporter_phone": None if data.reporter is None else data.reporter.phone,
            "county": spot.county,
            "channel": data.channel,
            "external_id": data.external_id,
            "category": category.code,
            "family": category.family,
            "window": category.duplicate_window_hours * 3600,
            "radius": category.duplicate_radius_m,
            "description": data.description.strip(),
            "address": data.address,
            "reported_at": data.reported_at,
            "now": now,
            "raw_lon": data.lon,
            "raw_lat": data.lat,
            "raw_crs": None if data.lon is None else crs_name(data.crs),
            "x": spot.x,
            "y": spot.y,
            "township": spot.township,
            "village": spot.village,
            "grid": spot.grid,
            "worker": spot.worker,
            "platform": category.platform_code,
            "status": spot.status,
            "assigned_by": spot.assigned_by,
            "distance": spot.distance_m,
            "receive_due": dues.receive_due,
            "dispatch_due": dues.dispatch_due,
            "handle_due": dues.handle_due,
            "reply_due": dues.reply_due,
            "actor_id": caller.user_id,
            "actor": caller.name,
            "event": json.dumps(event, ensure_ascii=False),
        },
        entity=Case,
    ).scalar_one_or_none()
    if case is None:  # the key was used before: a repeat
        before = _made_before(session, data, caller)
        if before is None:  # keys go only with their case, which another transaction just deleted
            raise Conflict(
                f"{data.channel} case {data.external_id!r} changed meanwhile; send it again (请重试)"
            )
        return before
    return Intake(case, True)


def _made_before(session: Session, data: CaseInput, caller: Principal) -> Intake | None:
    """The case this channel and external id made before, if any; one made outside the caller's
    jurisdiction is a conflict (its existence is all the caller learns)."""
    before = existing_case(session, channel=data.channel, external_id=data.external_id)
    if before is None:
        return None
    if not caller.sees(before.jurisdiction_code):
        raise Conflict(
            f"{data.channel} case {data.external_id!r} was already taken in elsewhere "
            "(该外部编号已在其他辖区受理)"
        )
    return Intake(before, False)


@dataclass(frozen=True)
class BatchItem:
    """One item of a batch: its intake, or the error that refused it (the others go on)."""

    index: int
    intake: Intake | None
    error: GridsError | None


def receive_batch(
    session: Session, *, items: list[CaseInput], caller: Principal, now: datetime | None = None
) -> list[BatchItem]:
    """Take in many cases in one transaction; a refused item is rolled back alone (a savepoint)."""
    now = now or datetime.now(UTC)
    results = []
    for i, data in enumerate(items):
        try:
            with session.begin_nested():
                results.append(BatchItem(i, receive_case(session, data=data, caller=caller, now=now), None))
        except GridsError as exc:
            results.append(BatchItem(i, None, exc))
        except DBAPIError as exc:
            results.append(BatchItem(i, None, translate(exc)))
    return results
