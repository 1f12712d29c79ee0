"""Grid workers and platform staff; their names and phones live apart in `people` (personal data)."""

from datetime import datetime, time

from geoalchemy2 import WKBElement
from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    Time,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from grids.models.base import ASSIGNMENT_KINDS, GRID_CODE, WORKER_ROLES, Base, geometry, one_of


class Person(Base):
    """Personal data (个人信息): a worker's or reporter's name and phone, masked on every output."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    full_name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)


class Worker(Base):
    """A 网格长, 专职/兼职网格员, or a platform's staff member, employed by a township."""

    __tablename__ = "workers"
    __table_args__ = (
        one_of("role", WORKER_ROLES),
        CheckConstraint("(role = 'platform_staff') = (platform_code IS NOT NULL)", name="platform_iff_staff"),
        Index("ix_workers_base", "base", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_no: Mapped[str] = mapped_column(Text, unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    role: Mapped[str] = mapped_column(Text)
    platform_code: Mapped[str | None] = mapped_column(ForeignKey("platforms.code"))
    township_code: Mapped[str] = mapped_column(CHAR(12), ForeignKey("divisions.code"), index=True)
    base: Mapped[WKBElement | None] = mapped_column(geometry("POINT"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class WorkerAssignment(Base):
    """A worker's duty for a grid code over a period; hung on the stable code, not a drawn version."""

    __tablename__ = "worker_assignments"
    __table_args__ = (
        one_of("kind", ASSIGNMENT_KINDS),
        CheckConstraint(f"grid_code ~ '{GRID_CODE}'", name="grid_code_format"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_forward"),
        Index("ix_worker_assignments_grid_code", "grid_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    grid_code: Mapped[str] = mapped_column(CHAR(15))
    kind: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DutyWindow(Base):
    """A weekly on-duty window (ISO weekday 1 = Monday) of a worker, in local time (Asia/Shanghai)."""

    __tablename__ = "duty_windows"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("ends > starts", name="window_forward"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class GridWorkerFigures(Base):
    """Grid workers per grid code and the window the count holds for, kept by triggers on assignments
    and workers (grids/sql/grid_worker_figures.sql); readers count live outside that window."""

    __tablename__ = "grid_worker_figures"

    grid_code: Mapped[str] = mapped_column(CHAR(15), primary_key=True)
    workers: Mapped[int] = mapped_column(Integer)
    primary_staff_no: Mapped[str | None] = mapped_column(Text)
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    holds_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
