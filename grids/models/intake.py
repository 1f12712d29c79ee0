"""What intake and locate keep beside the cases: replayable answers, cache versions, worker logins,
the log of every look at personal data, photos, and the holiday calendar for working-hour limits."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from grids.models.base import Base


class IdempotencyRecord(Base):
    """The stored answer to a request sent with an `Idempotency-Key`, replayed when it is repeated."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        CheckConstraint("length(key) BETWEEN 1 AND 255", name="key_length"),
        CheckConstraint("status_code BETWEEN 200 AND 599", name="status_code_http"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    endpoint: Mapped[str] = mapped_column(Text, doc="method and path the key was first used on")
    fingerprint: Mapped[str] = mapped_column(CHAR(64), doc="SHA-256 of the request body")
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[Any] = mapped_column(JSONB, doc="the JSON answer: an object, or a list for Open311")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CacheVersion(Base):
    """A counter bumped by triggers whenever data an in-memory index holds changes (grids, rosters)."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WorkerAccount(Base):
    """Which worker a `worker` user is, so that grid workers see and act on their own cases."""

    __tablename__ = "worker_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), unique=True)


class PersonalDataAccess(Base):
    """One unmasking of a reporter's name and phone: who, when, for which case."""

    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_case", "county_code", "case_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    county_code: Mapped[str] = mapped_column(CHAR(12))
    case_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


ATTACHMENT_KINDS = ("before", "after", "other")
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


class CaseAttachment(Base):
    """A photo of a case (before or after handling), kept in the database with its digest."""

    __tablename__ = "case_attachments"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in ATTACHMENT_KINDS)})", name="kind_allowed"),
        CheckConstraint(
            f"content_type IN ({', '.join(repr(t) for t in ATTACHMENT_TYPES)})", name="content_type_allowed"
        ),
        CheckConstraint(f"size_bytes BETWEEN 1 AND {MAX_ATTACHMENT_BYTES}", name="size_limit"),
        ForeignKeyConstraint(
            ["county_code", "case_id"],
            ["cases.county_code", "cases.id"],
            ondelete="CASCADE",
            name="fk_case_attachments_case",
        ),
        Index("ix_case_attachments_case", "county_code", "case_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(CHAR(12))
    case_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(CHAR(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalendarDay(Base):
    """A day that breaks the Monday–Friday week: a public holiday (休) or a make-up working day (班)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean, doc="true: a make-up working day; false: a holiday")
    name: Mapped[str] = mapped_column(Text)
