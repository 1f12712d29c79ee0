"""The four platforms and the case categories of their responsibility lists, with their history."""

import math
from dataclasses import dataclass, fields

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.errors import InvalidInput, NotFound
from grids.models import CaseCategory, CaseCategoryVersion, Platform
from grids.models.base import ESCALATION_LEVELS, PLATFORMS
from grids.users import Principal

MAX_HOURS = 24 * 366  # a stage limit of more than a year is a typing error


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


def get_category(session: Session, *, code: str) -> CaseCategory:
    """One category, or NotFound."""
    category = session.get(CaseCategory, code)
    if category is None:
        raise NotFound(f"no category {code!r} in the responsibility list (事件类别不存在)", field="code")
    return category


def record_actor(session: Session, *, caller: Principal) -> None:
    """Name the caller as the author of the category versions this transaction writes."""
    session.execute(text("SELECT set_config('grids.actor', :name, true)"), {"name": caller.name})


@dataclass(frozen=True)
class CategoryChange:
    """New values for some of a category's fields; None leaves a field as it is."""

    name_zh: str | None = None
    name_en: str | None = None
    platform_code: str | None = None
    family: str | None = None
    receive_hours: float | None = None
    dispatch_hours: float | None = None
    handle_hours: float | None = None
    reply_hours: float | None = None
    duplicate_radius_m: float | None = None
    duplicate_window_hours: float | None = None
    escalation_level: str | None = None
    working_hours: bool | None = None


def _check(change: CategoryChange) -> None:
    for name in ("name_zh", "name_en", "family"):
        value = getattr(change, name)
        if value is not None and not (1 <= len(value.strip()) <= 200 and "\x00" not in value):
            raise InvalidInput(f"{name} must be 1–200 characters (长度须为1–200个字符)", field=name)
    if change.platform_code is not None and change.platform_code not in PLATFORMS:
        raise InvalidInput(
            f"platform_code {change.platform_code!r} is not one of {', '.join(PLATFORMS)} (平台不存在)",
            field="platform_code",
        )
    if change.escalation_level is not None and change.escalation_level not in ESCALATION_LEVELS:
        raise InvalidInput(
            f"escalation_level {change.escalation_level!r} is not one of {', '.join(ESCALATION_LEVELS)} "
            "(上报层级有误)",
            field="escalation_level",
        )
    for stage in ("receive", "dispatch", "handle", "reply"):
        hours = getattr(change, f"{stage}_hours")
        if hours is not None and not (math.isfinite(hours) and 0 < hours <= MAX_HOURS):
            raise InvalidInput(
                f"{stage}_hours {hours} must be above 0 and at most {MAX_HOURS} (时限须为正数且不超过一年)",
                field=f"{stage}_hours",
            )
    for name in ("duplicate_radius_m", "duplicate_window_hours"):
        value = getattr(change, name)
        if value is not None and not (math.isfinite(value) and 0 <= value <= 100_000):
            raise InvalidInput(f"{name} {value} must lie in [0, 100000] (查重参数有误)", field=name)


def update_category(
    session: Session, *, code: str, change: CategoryChange, caller: Principal
) -> CaseCategory:
    """Change a category; the previous version is ended and kept, and new cases use the new one."""
    _check(change)
    category = get_category(session, code=code)
    record_actor(session, caller=caller)
    for f in fields(change):
        value = getattr(change, f.name)
        if value is not None:
            setattr(category, f.name, value.strip() if isinstance(value, str) else value)
    session.flush()
    return category


def category_history(session: Session, *, code: str) -> list[CaseCategoryVersion]:
    """Every version of a category, oldest first."""
    get_category(session, code=code)
    query = (
        select(CaseCategoryVersion)
        .where(CaseCategoryVersion.category_code == code)
        .order_by(CaseCategoryVersion.valid_from)
    )
    return list(session.scalars(query))
