"""Supervision (督办): open cases late in the stage they are in, or due within N hours, by unit."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from grids.cases.queries import CaseView, current_due, where_visible
from grids.errors import InvalidInput
from grids.models import Case, Division, Platform, Worker
from grids.users import Principal

GROUPINGS = ("township", "platform", "worker")


@dataclass(frozen=True)
class OverdueGroup:
    """One township, platform or worker with its late and soon-due open cases."""

    key: str
    name: str
    late: int
    due_soon: int


def _unit(by: str) -> Any:
    return {
        "township": func.coalesce(Case.township_code, Case.county_code),
        "platform": Case.platform_code,
        "worker": func.cast(Case.worker_id, Division.code.type),
    }[by]


def overdue(
    session: Session,
    *,
    caller: Principal,
    now: datetime,
    within_hours: float,
    by: str,
    limit: int = 100,
) -> tuple[list[OverdueGroup], list[CaseView]]:
    """Groups with counts, and the cases themselves (latest deadline first missed, soonest due next)."""
    if by not in GROUPINGS:
        raise InvalidInput(f"by {by!r} is not one of {', '.join(GROUPINGS)} (分组方式有误)", field="by")
    due = current_due()
    horizon = now + timedelta(hours=within_hours)
    where = [where_visible(caller), due.is_not(None), due < horizon]
    late = case((due < now, 1), else_=0)
    unit = _unit(by)
    rows = session.execute(
        select(unit, func.sum(late), func.count() - func.sum(late))
        .where(*where)
        .group_by(unit)
        .order_by(unit)
    ).all()
    names = unit_names(session, by, [str(r[0]) for r in rows if r[0] is not None])
    groups = [
        OverdueGroup(str(r[0] or ""), names.get(str(r[0]), str(r[0] or "未分配")), int(r[1]), int(r[2]))
        for r in rows
    ]
    items = session.execute(
        select(Case, func.ST_X(Case.geom), func.ST_Y(Case.geom), due, and_(due < now))
        .where(*where)
        .order_by(due, Case.id)
        .limit(limit)
    )
    return groups, [CaseView(r[0], r[1], r[2], r[3], bool(r[4])) for r in items]


def unit_names(session: Session, by: str, keys: list[str]) -> dict[str, str]:
    """Display names: divisions and platforms by name, workers by staff number (no personal data)."""
    if by == "township":
        rows = session.execute(select(Division.code, Division.name).where(Division.code.in_(keys)))
    elif by == "platform":
        rows = session.execute(select(Platform.code, Platform.name_zh).where(Platform.code.in_(keys)))
    else:
        ids = [int(k) for k in keys if k.isdigit()]
        rows = session.execute(select(Worker.id, Worker.staff_no).where(Worker.id.in_(ids)))
    return {str(key): str(name) for key, name in rows}
