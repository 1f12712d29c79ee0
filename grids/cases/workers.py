"""Workers kept through the API: read within the caller's jurisdiction, hired and changed. Names and
phones go into `people` and leave only as a masked name (王**); the staff number (工号) identifies a
worker everywhere else. Dated grid assignments and duty windows are in grids/cases/assignments.py.

Every write bumps the roster version (triggers in grids/sql/cases.sql): the next case is routed on
the changed roster at once.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely import Point
from sqlalchemy import ColumnElement, exists, func, or_, select, text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from grids.cases.intake import check_text
from grids.cases.privacy import mask_name
from grids.codes import division_code, level_of, prefix, subtree_span
from grids.errors import Conflict, InvalidInput, NotFound
from grids.locate import to_storage_point
from grids.models import Division, DutyWindow, Person, Worker, WorkerAssignment
from grids.models.base import PLATFORMS, WORKER_ROLES
from grids.users import Principal

STAFF_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
PHONE = re.compile(r"\+?[0-9][0-9 -]{2,24}")
BASE_SLACK_M = 2000  # a base this far outside its township is a typing or CRS mistake


@dataclass(frozen=True)
class BasePoint:
    """Where a worker is based, in a named CRS (wgs84, cgcs2000, gcj02, bd09)."""

    lon: float
    lat: float
    crs: str = "wgs84"


@dataclass(frozen=True)
class AssignmentView:
    """A worker's duty for a grid code over a period; `current` if it holds now."""

    id: int
    grid_code: str
    kind: str
    valid_from: datetime
    valid_to: datetime | None
    current: bool


@dataclass(frozen=True)
class DutyView:
    """A weekly on-duty window in local time (ISO weekday, 1 = Monday)."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class WorkerView:
    """A worker as lists show it: no full name, no phone; base in CGCS2000."""

    staff_no: str
    name: str | None
    role: str
    platform: str | None
    township: str
    active: bool
    lon: float | None
    lat: float | None
    current: list[AssignmentView]


@dataclass(frozen=True)
class WorkerDetail(WorkerView):
    """A worker with every assignment, current and past, and the weekly duty windows."""

    assignments: list[AssignmentView]
    duty: list[DutyView]


def holds_at(now: datetime) -> ColumnElement[bool]:
    """Assignments in force at `now`."""
    return (WorkerAssignment.valid_from <= now) & or_(
        WorkerAssignment.valid_to.is_(None), WorkerAssignment.valid_to > now
    )


def view_assignment(a: WorkerAssignment, now: datetime) -> AssignmentView:
    """The view of an assignment at `now`."""
    current = a.valid_from <= now and (a.valid_to is None or a.valid_to > now)
    return AssignmentView(a.id, a.grid_code, a.kind, a.valid_from, a.valid_to, current)


def find_worker(session: Session, *, caller: Principal, staff_no: str) -> Worker:
    """The worker with this staff number; outside the caller's jurisdiction it is not found."""
    worker = session.scalar(select(Worker).where(Worker.staff_no == staff_no))
    if worker is None or not caller.sees(worker.township_code):
        raise NotFound(f"no worker {staff_no!r} in your jurisdiction (辖区内无此工号)", field="staff_no")
    return worker


def _one_of(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise InvalidInput(f"{field} {value!r} is not one of {', '.join(allowed)} (取值有误)", field=field)


def list_workers(
    session: Session,
    *,
    caller: Principal,
    township: str | None = None,
    role: str | None = None,
    platform: str | None = None,
    active: bool | None = None,
    grid: str | None = None,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[WorkerView], int]:
    """Workers in the caller's jurisdiction by staff number, filtered, with the total matched; `grid`
    keeps those assigned to that grid code now."""
    now = now or datetime.now(UTC)
    query = select(
        Worker.id,
        Worker.staff_no,
        Person.full_name,
        Worker.role,
        Worker.platform_code,
        Worker.township_code,
        Worker.active,
        func.ST_X(Worker.base),
        func.ST_Y(Worker.base),
    ).join(Person, Person.id == Worker.person_id)
    if caller.scope_code is not None:  # ranges of codes: the township index serves them
        query = query.where(Worker.township_code.between(*subtree_span(prefix(caller.scope_code))))
    if township is not None:
        head = prefix(division_code(township, field="township"))
        query = query.where(Worker.township_code.between(*subtree_span(head)))
    if role is not None:
        _one_of(role, WORKER_ROLES, "role")
        query = query.where(Worker.role == role)
    if platform is not None:
        _one_of(platform, PLATFORMS, "platform")
        query = query.where(Worker.platform_code == platform)
    if active is not None:
        query = query.where(Worker.active.is_(active))
    if grid is not None:
        check_grid_code(grid)
        query = query.where(
            exists().where(
                WorkerAssignment.worker_id == Worker.id, WorkerAssignment.grid_code == grid, holds_at(now)
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Worker.staff_no).limit(limit).offset(offset)).all()
    current: dict[int, list[AssignmentView]] = {}
    if rows:
        held = select(WorkerAssignment).where(
            WorkerAssignment.worker_id.in_([r[0] for r in rows]), holds_at(now)
        )
        for a in session.scalars(held.order_by(WorkerAssignment.grid_code, WorkerAssignment.kind)):
            current.setdefault(a.worker_id, []).append(view_assignment(a, now))
    views = [
        WorkerView(no, mask_name(name), r, p, t, act, x, y, current.get(i, []))
        for i, no, name, r, p, t, act, x, y in rows
    ]
    return views, int(total)


def get_worker(
    session: Session, *, caller: Principal, staff_no: str, now: datetime | None = None
) -> WorkerDetail:
    """One worker with all assignments and duty windows; outside the jurisdiction it is not found."""
    return detail(session, find_worker(session, caller=caller, staff_no=staff_no), now or datetime.now(UTC))


def detail(session: Session, worker: Worker, now: datetime) -> WorkerDetail:
    """The detailed view of a worker at `now`."""
    person = session.get(Person, worker.person_id)
    point = None if worker.base is None else to_shape(worker.base)
    assignments = session.scalars(
        select(WorkerAssignment)
        .where(WorkerAssignment.worker_id == worker.id)
        .order_by(WorkerAssignment.valid_from.desc(), WorkerAssignment.id.desc())
    ).all()
    windows = session.scalars(
        select(DutyWindow)
        .where(DutyWindow.worker_id == worker.id)
        .order_by(DutyWindow.weekday, DutyWindow.starts)
    ).all()
    views = [view_assignment(a, now) for a in assignments]
    return WorkerDetail(
        staff_no=worker.staff_no,
        name=mask_name(person.full_name if person else None),
        role=worker.role,
        platform=worker.platform_code,
        township=worker.township_code,
        active=worker.active,
        lon=None if point is None else point.x,
        lat=None if point is None else point.y,
        current=[v for v in views if v.current],
        assignments=views,
        duty=[DutyView(w.weekday, w.starts, w.ends) for w in windows],
    )


def check_grid_code(grid: str) -> None:
    """Refuse anything but a 15-digit grid code, naming the field."""
    if not (grid.isascii() and grid.isdigit() and len(grid) == 15):
        raise InvalidInput(f"grid {grid!r} is not a 15-digit grid code (网格编码须为15位数字)", field="grid")


def _check_person(name: str | None, phone: str | None) -> None:
    check_text(name=name, phone=phone)
    if name is not None and not 1 <= len(name.strip()) <= 100:
        raise InvalidInput("name must be 1–100 characters (姓名长度须为1–100个字符)", field="name")
    if phone is not None and not PHONE.fullmatch(phone.strip()):
        raise InvalidInput(
            "phone must be digits, optionally with a leading + and spaces or dashes (电话号码格式有误)",
            field="phone",
        )


def _check_role(role: str, platform: str | None) -> None:
    _one_of(role, WORKER_ROLES, "role")
    if platform is not None:
        _one_of(platform, PLATFORMS, "platform")
    if (role == "platform_staff") != (platform is not None):
        raise InvalidInput(
            "platform is given exactly for platform_staff (平台人员须填平台，其他岗位不填)", field="platform"
        )


def _township(session: Session, caller: Principal, raw: str) -> str:
    code = division_code(raw, field="township")
    if level_of(code) != "township" or not caller.sees(code) or session.get(Division, code) is None:
        raise InvalidInput(
            f"township {raw!r} is not a township in your jurisdiction (乡镇不存在或不在辖区内)",
            field="township",
        )
    return code


def _base(session: Session, township: str, base: BasePoint | None) -> WKBElement | None:
    if base is None:
        return None
    try:
        x, y = to_storage_point(base.lon, base.lat, base.crs)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"base.{exc.field}") from exc
    away = session.scalar(
        text(
            "SELECT ST_Distance(ST_Transform(geom, 4549), "
            "ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 4549)) "
            "FROM divisions WHERE code = :code AND geom IS NOT NULL"
        ),
        {"x": x, "y": y, "code": township},
    )
    if away is not None and away > BASE_SLACK_M:
        raise InvalidInput(
            f"base ({base.lon}, {base.lat}) lies {away / 1000:.1f} km outside township {township}; "
            f"give a point in the township (驻点不在乡镇范围内)",
            field="base",
        )
    return from_shape(Point(x, y), srid=STORAGE_SRID)


@dataclass(frozen=True)
class WorkerInput:
    """A new worker: name and phone are stored as personal data and never shown in full."""

    staff_no: str
    name: str
    role: str
    township: str
    phone: str | None = None
    platform: str | None = None
    base: BasePoint | None = None


def hire_worker(
    session: Session, *, caller: Principal, data: WorkerInput, now: datetime | None = None
) -> WorkerDetail:
    """Add a worker to a township within the caller's jurisdiction."""
    check_text(staff_no=data.staff_no)
    if not STAFF_NO.fullmatch(data.staff_no):
        raise InvalidInput(
            "staff_no must be 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit "
            "(工号格式有误)",
            field="staff_no",
        )
    _check_person(data.name, data.phone)
    _check_role(data.role, data.platform)
    township = _township(session, caller, data.township)
    base = _base(session, township, data.base)
    if session.scalar(select(Worker.id).where(Worker.staff_no == data.staff_no)) is not None:
        raise Conflict(f"staff number {data.staff_no!r} is already in use (工号已存在)", field="staff_no")
    person = Person(full_name=data.name.strip(), phone=data.phone.strip() if data.phone else None)
    session.add(person)
    session.flush()
    worker = Worker(
        staff_no=data.staff_no,
        person_id=person.id,
        role=data.role,
        platform_code=data.platform,
        township_code=township,
        base=base,
        active=True,
    )
    session.add(worker)
    session.flush()
    return detail(session, worker, now or datetime.now(UTC))


@dataclass(frozen=True)
class WorkerChange:
    """Changes to a worker: a field changes only when named in `given`; None there clears it (platform,
    phone and base may be cleared)."""

    given: frozenset[str]
    active: bool | None = None
    role: str | None = None
    platform: str | None = None
    name: str | None = None
    phone: str | None = None
    base: BasePoint | None = None


def _check_open_kinds(session: Session, worker: Worker, role: str, now: datetime) -> None:
    kinds = set(
        session.scalars(
            select(WorkerAssignment.kind).where(
                WorkerAssignment.worker_id == worker.id,
                or_(WorkerAssignment.valid_to.is_(None), WorkerAssignment.valid_to > now),
            )
        )
    )
    clash = kinds - {"platform"} if role == "platform_staff" else kinds & {"platform"}
    if clash:
        raise Conflict(
            f"the worker still holds {', '.join(sorted(clash))} assignments that a {role} cannot hold; "
            "end them first (请先结束与新岗位不符的网格职责)",
            field="role",
        )


def update_worker(
    session: Session, *, caller: Principal, staff_no: str, change: WorkerChange, now: datetime | None = None
) -> WorkerDetail:
    """Change a worker's role and platform (kept consistent), activity, base, name or phone."""
    now = now or datetime.now(UTC)
    worker = find_worker(session, caller=caller, staff_no=staff_no)
    for name in ("active", "role", "name"):
        if name in change.given and getattr(change, name) is None:
            raise InvalidInput(f"{name} cannot be null (不能为空)", field=name)
    _check_person(change.name, change.phone)
    role = change.role if "role" in change.given and change.role else worker.role
    if "platform" in change.given:
        platform = change.platform
    else:
        platform = worker.platform_code if role == "platform_staff" else None
    _check_role(role, platform)
    if role != worker.role:
        _check_open_kinds(session, worker, role, now)
    worker.role, worker.platform_code = role, platform
    if change.active is not None:
        worker.active = change.active
    if "base" in change.given:
        worker.base = _base(session, worker.township_code, change.base)
    person = session.get(Person, worker.person_id)
    if person is not None and change.name is not None:
        person.full_name = change.name.strip()
    if person is not None and "phone" in change.given:
        person.phone = change.phone.strip() if change.phone else None
    session.flush()
    return detail(session, worker, now)
