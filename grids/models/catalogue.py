"""The four platforms and their responsibility lists (权责清单) of case categories."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Float, ForeignKey, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from grids.models.base import ESCALATION_LEVELS, PLATFORMS, Base, one_of


class Platform(Base):
    """One of the four platforms (四个平台)."""

    __tablename__ = "platforms"
    __table_args__ = (one_of("code", PLATFORMS),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    lead_office: Mapped[str] = mapped_column(Text)


class CaseCategory(Base):
    """A kind of case in a platform's responsibility list, with its time limit for every stage."""

    __tablename__ = "case_categories"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z][a-z0-9_]{1,40}$'", name="code_format"),
        one_of("escalation_level", ESCALATION_LEVELS),
        CheckConstraint(
            "receive_hours > 0 AND dispatch_hours > 0 AND handle_hours > 0 AND reply_hours > 0",
            name="limits_positive",
        ),
        CheckConstraint("duplicate_radius_m >= 0 AND duplicate_window_hours >= 0", name="duplicate_rule"),
    )

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    platform_code: Mapped[str] = mapped_column(ForeignKey("platforms.code"), index=True)
    family: Mapped[str] = mapped_column(Text, doc="categories of one family are compared for duplicates")
    receive_hours: Mapped[float] = mapped_column(Float)
    dispatch_hours: Mapped[float] = mapped_column(Float)
    handle_hours: Mapped[float] = mapped_column(Float)
    reply_hours: Mapped[float] = mapped_column(Float)
    duplicate_radius_m: Mapped[float] = mapped_column(Float)
    duplicate_window_hours: Mapped[float] = mapped_column(Float)
    escalation_level: Mapped[str] = mapped_column(Text)
    working_hours: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), doc="limits count working hours on the holiday calendar"
    )


class CaseCategoryVersion(Base):
    """One version of a category as it stood from `valid_from` to `valid_to` (open: current), and who
    made it; written by triggers on `case_categories` (grids/sql/category_history.sql), never by hand."""

    __tablename__ = "case_category_versions"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_forward"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category_code: Mapped[str] = mapped_column(
        ForeignKey("case_categories.code", ondelete="CASCADE"), index=True
    )
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    platform_code: Mapped[str] = mapped_column(ForeignKey("platforms.code"))
    family: Mapped[str] = mapped_column(Text)
    receive_hours: Mapped[float] = mapped_column(Float)
    dispatch_hours: Mapped[float] = mapped_column(Float)
    handle_hours: Mapped[float] = mapped_column(Float)
    reply_hours: Mapped[float] = mapped_column(Float)
    duplicate_radius_m: Mapped[float] = mapped_column(Float)
    duplicate_window_hours: Mapped[float] = mapped_column(Float)
    escalation_level: Mapped[str] = mapped_column(Text)
    working_hours: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(Text, doc="the user, `cli`, or the database login of a SQL edit")
