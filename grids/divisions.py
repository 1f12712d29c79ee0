"""Reading administrative divisions within a caller's jurisdiction."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grids.codes import prefix
from grids.errors import InvalidInput, NotFound
from grids.models import Division
from grids.models.base import LEVELS
from grids.users import Principal


def get_division(session: Session, *, code: str, caller: Principal) -> Division:
    """One division; a division outside the caller's jurisdiction is reported as not found."""
    division = session.get(Division, code) if caller.sees(code) else None
    if division is None:
        raise NotFound(f"no division {code} in your jurisdiction (辖区内无此区划)")
    return division


def list_divisions(
    session: Session,
    *,
    caller: Principal,
    level: str | None = None,
    parent_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Division], int]:
    """Divisions in the caller's jurisdiction, filtered by level and parent, with the total matched."""
    if level is not None and level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVELS)} (层级不存在)", field="level")
    query = select(Division)
    if caller.scope_code is not None:
        query = query.where(Division.code.startswith(prefix(caller.scope_code)))
    if level is not None:
        query = query.where(Division.level == level)
    if parent_code is not None:
        query = query.where(Division.parent_code == parent_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Division.code).limit(limit).offset(offset)).all()
    return list(rows), int(total)
