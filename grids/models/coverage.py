"""Staff allocation plans: proposed by the planner, applied as dated assignments, undone as such."""

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, CHAR, CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from grids.models.base import Base, one_of

PLAN_STATUSES = ("proposed", "applied", "undone")


class AllocationPlan(Base):
    """A proposal of which platform staff member covers each grid of a township or county."""

    __tablename__ = "allocation_plans"
    __table_args__ = (
        one_of("status", PLAN_STATUSES),
        CheckConstraint("(status = 'proposed') = (applied_at IS NULL)", name="applied_iff_not_proposed"),
        CheckConstraint("(status = 'undone') = (undone_at IS NOT NULL)", name="undone_iff_undone_at"),
        Index("ix_allocation_plans_scope", "scope_code", "platform_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope_code: Mapped[str] = mapped_column(CHAR(12), ForeignKey("divisions.code"))
    platform_code: Mapped[str] = mapped_column(ForeignKey("platforms.code"))
    status: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    request: Mapped[Any] = mapped_column(JSONB, doc="what was asked: staff, bases, weights")
    result: Mapped[Any] = mapped_column(JSONB, doc="the proposal: staff, grid → staff, figures before/after")
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_by: Mapped[str | None] = mapped_column(Text)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_assignments: Mapped[list[int]] = mapped_column(
        ARRAY(Integer), server_default=text("'{}'"), doc="assignments the plan started (ended on undo)"
    )
    ended_assignments: Mapped[list[int]] = mapped_column(
        ARRAY(Integer), server_default=text("'{}'"), doc="assignments the plan ended (restored on undo)"
    )
