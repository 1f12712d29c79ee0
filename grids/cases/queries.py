"""Reading cases within a caller's jurisdiction: lists with filters, one case with its events, and
the reporter's personal data, unmasked only for the handling dispatcher and logged each time."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from grids.cases.intake import check_text
from grids.cases.privacy import mask_name, mask_phone
from grids.codes import prefix, subtree_span
from grids.errors import Forbidden, InvalidInput, NotFound
from grids.models import Case, CaseEvent, CaseIntakeKey, Person, PersonalDataAccess, WorkerAccount
from grids.models.base import CASE_STATUSES, CHANNELS, PLATFORMS
from grids.models.cases import CLOSED_STATUSES
from grids.users import Principal

# The deadline a case is measured against in each status (none once the reply is given).
DUE_BY_STATUS = {
    "to_locate": "receive_due",
    "received": "receive_due",
    "accepted": "dispatch_due",
    "dispatched": "handle_due",
    "escalated": "handle_due",
    "signed": "handle_due",
    "handled": "reply_due",
}


def current_due() -> ColumnElement[Any]:
    """SQL: the deadline of the stage a case is in, NULL when no stage is running."""
    return case(
        *((Case.status == status, getattr(Case, column)) for status, column in DUE_BY_STATUS.items()),
        else_=None,
    )


@dataclass(frozen=True)
class CaseView:
    """A case as callers see it: no personal data, coordinates in the storage CRS."""

    case: Case
    lon: float | None
    lat: float | None
    due: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CaseFilters:
    """What `GET /cases` may filter on."""

    status: str | None = None
    channel: str | None = None
    external_id: str | None = None
    grid: str | None = None
    division: str | None = None
    platform: str | None = None
    worker: int | None = None
    overdue: bool | None = None
    mine: bool = False
    category: str | None = None
    open: bool | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None


def in_jurisdiction(head: str) -> ColumnElement[bool]:
    """SQL: the case lies in the subtree of the code digits `head` by its deepest division: its
    village, else its township, else the division whose queue holds it (a village lies in its
    township, so one of the first two in range is enough). Written as ranges, so the village and
    township indexes and the queue's partial index (`ix_cases_queue`) find the cases without reading
    the table; `cases_assessment.sql` and `coverage_summary.sql` write the same ranges."""
    low, high = subtree_span(head)
    return or_(
        Case.village_code.between(low, high),
        Case.township_code.between(low, high),
        and_(Case.township_code.is_(None), Case.county_code.between(low, high)),
    )


def where_visible(caller: Principal) -> ColumnElement[bool]:
    """SQL: the case lies in the caller's jurisdiction (`in_jurisdiction`)."""
    if caller.scope_code is None:
        return Case.county_code.is_not(None)
    return in_jurisdiction(prefix(caller.scope_code))


def worker_of(session: Session, caller: Principal) -> int | None:
    """The worker a `worker` user is, if the account is linked."""
    return session.scalar(select(WorkerAccount.worker_id).where(WorkerAccount.user_id == caller.user_id))


def view_of(case: Case, now: datetime) -> CaseView:
    """The view of a case in hand, as `get_case` would read it (coordinates from its stored point,
    the running stage's deadline by the same table as `current_due`), without a query."""
    point = None if case.geom is None else to_shape(case.geom)
    column = DUE_BY_STATUS.get(case.status)
    due = None if column is None else getattr(case, column)
    return CaseView(
        case,
        None if point is None else point.x,
        None if point is None else point.y,
        due,
        due is not None and due < now,
    )


def _select(now: datetime) -> Select[Any]:
    due = current_due()
    return select(Case, func.ST_X(Case.geom), func.ST_Y(Case.geom), due, and_(due.is_not(None), due < now))


def _view(row: Any) -> CaseView:
    return CaseView(row[0], row[1], row[2], row[3], bool(row[4]))


def _check_filters(f: CaseFilters) -> None:
    check_text(external_id=f.external_id, category=f.category)
    if f.status is not None and f.status not in CASE_STATUSES:
        raise InvalidInput(
            f"status {f.status!r} is not one of {', '.join(CASE_STATUSES)} (状态不存在)", field="status"
        )
    if f.channel is not None and f.channel not in CHANNELS:
        raise InvalidInput(
            f"channel {f.channel!r} is not one of {', '.join(CHANNELS)} (渠道不存在)", field="channel"
        )
    if f.platform is not None and f.platform not in PLATFORMS:
        raise InvalidInput(
            f"platform {f.platform!r} is not one of {', '.join(PLATFORMS)} (平台不存在)", field="platform"
        )
    if f.division is not None and not (f.division.isdigit() and len(f.division) in (2, 4, 6, 9, 12)):
        raise InvalidInput(
            f"division {f.division!r} is not a division code of 2, 4, 6, 9 or 12 digits (区划代码有误)",
            field="division",
        )
    if f.grid is not None and not (f.grid.isdigit() and len(f.grid) == 15):
        raise InvalidInput(
            f"grid {f.grid!r} is not a 15-digit grid code (网格编码须为15位数字)", field="grid"
        )


def list_cases(
    session: Session,
    *,
    caller: Principal,
    filters: CaseFilters,
    now: datetime,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CaseView], int]:
    """Cases in the caller's jurisdiction matching the filters, newest first, with the total matched."""
    _check_filters(filters)
    conditions: list[ColumnElement[bool]] = [where_visible(caller)]
    if caller.role == "worker" or filters.mine:
        if caller.role != "worker":
            raise InvalidInput(
                "mine=true is for grid workers' accounts (仅网格员可查看“我的事件”)", field="mine"
            )
        conditions.append(Case.worker_id == (worker_of(session, caller) or -1))
    f = filters
    if f.status is not None:
        conditions.append(Case.status == f.status)
    if f.channel is not None:
        conditions.append(Case.channel == f.channel)
    if f.external_id is not None:
        conditions.append(Case.id.in_(_by_external_id(f.external_id, f.channel)))
    if f.grid is not None:
        conditions.append(Case.grid_code == f.grid)
    if f.division is not None:
        conditions.append(in_jurisdiction(f.division))
    if f.platform is not None:
        conditions.append(Case.platform_code == f.platform)
    if f.category is not None:
        conditions.append(Case.category_code == f.category)
    if f.open is not None:
        closed = Case.status.in_(CLOSED_STATUSES)
        conditions.append(~closed if f.open else closed)
    if f.reported_from is not None:
        conditions.append(Case.reported_at >= f.reported_from)
    if f.reported_to is not None:
        conditions.append(Case.reported_at < f.reported_to)
    if f.worker is not None:
        conditions.append(Case.worker_id == f.worker)
    if f.overdue is not None:
        late = and_(current_due().is_not(None), current_due() < now)
        conditions.append(late if f.overdue else ~late)
    query = _select(now).where(*conditions)
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    rows = session.execute(
        query.order_by(Case.received_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    )
    return [_view(r) for r in rows], int(total)


def _by_external_id(external_id: str, channel: str | None) -> Select[Any]:
    query = select(CaseIntakeKey.case_id).where(CaseIntakeKey.external_id == external_id)
    return query if channel is None else query.where(CaseIntakeKey.channel == channel)


def get_case(
    session: Session, *, case_id: int, caller: Principal, now: datetime, lock: bool = False
) -> CaseView:
    """One case in the caller's jurisdiction (a worker: one of their own); else not found."""
    query = _select(now).where(Case.id == case_id, where_visible(caller))
    if caller.role == "worker":
        query = query.where(Case.worker_id == (worker_of(session, caller) or -1))
    if lock:  # the locked row as it is now, not as this session may have loaded it before
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"no case {case_id} in your jurisdiction (辖区内无此事件)")
    return _view(row)


def events_of(session: Session, case: Case) -> list[CaseEvent]:
    """The case's events, oldest first."""
    query = select(CaseEvent).where(CaseEvent.county_code == case.county_code, CaseEvent.case_id == case.id)
    return list(session.scalars(query.order_by(CaseEvent.at, CaseEvent.id)))


@dataclass(frozen=True)
class ReporterView:
    """The reporter as a caller may see them: masked unless revealed (and then logged)."""

    name: str | None
    phone: str | None
    masked: bool


def reporter_of(session: Session, *, case: Case, caller: Principal, reveal: bool) -> ReporterView | None:
    """The reporter, unmasked only for a dispatcher of the case's township who asks; each reveal logged."""
    if case.reporter_id is None:
        return None
    person = session.get(Person, case.reporter_id)
    if person is None:
        return None
    if not reveal:
        return ReporterView(mask_name(person.full_name), mask_phone(person.phone), True)
    handling = (
        caller.role == "dispatcher" and caller.scope_code is not None and case.township_code is not None
    )
    if not (handling and caller.sees(case.township_code or "")):
        raise Forbidden(
            "only a dispatcher of the case's township may reveal the reporter "
            "(仅事件所属乡镇调度员可查看报告人信息)"
        )
    session.add(
        PersonalDataAccess(
            user_id=caller.user_id, county_code=case.county_code, case_id=case.id, person_id=person.id
        )
    )
    session.flush()
    return ReporterView(person.full_name, person.phone, False)
