"""The four platforms and the case categories of their responsibility lists."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from grids.errors import InvalidInput
from grids.models import CaseCategory, Platform
from grids.models.base import PLATFORMS


def list_platforms(session: Session) -> list[Platform]:
    """The four platforms in their customary order."""
    rows = {p.code: p for p in session.scalars(select(Platform))}
    return [rows[code] for code in PLATFORMS if code in rows]


def list_categories(session: Session, *, platform_code: str | None = None) -> list[CaseCategory]:
    """Case categories, optionally those one platform owns."""
    if platform_code is not None and platform_code not in PLATFORMS:
        raise InvalidInput(
            f"platform {platform_code!r} is not one of {', '.join(PLATFORMS)} (平台不存在)", field="platform"
        )
    query = select(CaseCategory).order_by(CaseCategory.platform_code, CaseCategory.code)
    if platform_code is not None:
        query = query.where(CaseCategory.platform_code == platform_code)
    return list(session.scalars(query))
