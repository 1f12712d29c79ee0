"""Cases (事件) keyed by county for distribution, their intake keys, and their append-only events."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.crs import WEB_MERCATOR_SRID
from grids.models.base import (
    ASSIGNED_BY,
    CASE_STATUSES,
    CHANNELS,
    DIVISION_CODE,
    Base,
    geometry,
    one_of,
)

RAW_CRS = ("wgs84", "cgcs2000", "gcj02", "bd09")
CLOSED_STATUSES = ("rejected", "closed", "evaluated", "merged", "transferred")
"""Statuses that end a case's loop; a case in any other status is open work."""
OPEN_CONDITION = f"status NOT IN ({', '.join(repr(s) for s in CLOSED_STATUSES)})"


class Case(Base):
    """A reported problem travelling the closed loop; the county code leads its key (Citus-ready)."""

    __tablename__ = "cases"
    __table_args__ = (
        one_of("channel", CHANNELS),
        one_of("status", CASE_STATUSES),
        CheckConstraint(
            f"assigned_by IS NULL OR assigned_by IN ({', '.join(repr(v) for v in ASSIGNED_BY)})",
            name="assigned_by_allowed",
        ),
        CheckConstraint(
            f"raw_crs IS NULL OR raw_crs IN ({', '.join(repr(v) for v in RAW_CRS)})", name="raw_crs_allowed"
        ),
        CheckConstraint(f"county_code ~ '{DIVISION_CODE}'", name="county_code_format"),
        CheckConstraint("(raw_lon IS NULL) = (raw_lat IS NULL)", name="raw_pair"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        ForeignKeyConstraint(
            ["county_code", "duplicate_of_id"],
            ["cases.county_code", "cases.id"],
            name="fk_cases_duplicate_of",
        ),
        ForeignKeyConstraint(
            ["county_code", "duplicate_candidate_id"],
            ["cases.county_code", "cases.id"],
            name="fk_cases_duplicate_candidate",
        ),
        # Partial where a column is mostly empty: a case without one is not written to the index (a
        # tenth of the time COPY takes for a case), and every look-up by value still finds it.
        Index(
            "ix_cases_duplicate_candidate",
            "county_code",
            "duplicate_candidate_id",
            postgresql_where=text("duplicate_candidate_id IS NOT NULL"),
        ),
        Index("ix_cases_id", "id"),  # `/cases/{id}` names a case by id alone
        Index("ix_cases_geom", "geom", postgresql_using="gist"),
        Index("ix_cases_status", "county_code", "status"),
        Index("ix_cases_grid_code", "grid_code"),
        Index(
            "ix_cases_duplicate_of",
            "county_code",
            "duplicate_of_id",
            postgresql_where=text("duplicate_of_id IS NOT NULL"),
        ),
        Index("ix_cases_reporter_id", "reporter_id", postgresql_where=text("reporter_id IS NOT NULL")),
        Index("ix_cases_township_code", "township_code"),
        # Cases waiting in a county's or the city's queue, with no township yet: with the township
        # index, this finds a jurisdiction's cases (grids/cases/queries.py, in_jurisdiction).
        Index("ix_cases_queue", "county_code", postgresql_where=text("township_code IS NULL")),
        Index("ix_cases_reported_at", "reported_at"),
        Index("ix_cases_geom_3857", "geom_3857", postgresql_using="gist"),
        Index("ix_cases_open_grid_code", "grid_code", postgresql_where=text(OPEN_CONDITION)),
    )

    county_code: Mapped[str] = mapped_column(CHAR(12), ForeignKey("divisions.code"), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    channel: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(ForeignKey("case_categories.code"), index=True)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    raw_lon: Mapped[float | None] = mapped_column(Float)
    raw_lat: Mapped[float | None] = mapped_column(Float)
    raw_crs: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"))
    geom_3857: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=WEB_MERCATOR_SRID, spatial_index=False),
        doc="`geom` in EPSG:3857 for map tiles, kept by a trigger (layers_3857.sql)",
    )
    township_code: Mapped[str | None] = mapped_column(CHAR(12), ForeignKey("divisions.code"))
    village_code: Mapped[str | None] = mapped_column(CHAR(12), ForeignKey("divisions.code"), index=True)
    grid_code: Mapped[str | None] = mapped_column(CHAR(15))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    platform_code: Mapped[str | None] = mapped_column(ForeignKey("platforms.code"))
    status: Mapped[str] = mapped_column(Text)
    assigned_by: Mapped[str | None] = mapped_column(Text)
    assign_distance_m: Mapped[float | None] = mapped_column(Float)
    receive_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatch_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handle_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duplicate_of_id: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_candidate_id: Mapped[int | None] = mapped_column(
        BigInteger, doc="a possible duplicate flagged at intake, for a dispatcher to merge or not"
    )
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def jurisdiction_code(self) -> str:
        """The case's deepest division (village, else township, else the division whose queue holds
        it): the code a caller's jurisdiction is checked against, in SQL as in_jurisdiction does."""
        return self.village_code or self.township_code or self.county_code


class CaseIntakeKey(Base):
    """The (channel, external id) an intake system gave a case: unique, so a retry finds the same case."""

    __tablename__ = "case_intake_keys"
    __table_args__ = (
        one_of("channel", CHANNELS),
        ForeignKeyConstraint(
            ["county_code", "case_id"],
            ["cases.county_code", "cases.id"],
            ondelete="CASCADE",
            name="fk_case_intake_keys_case",
        ),
        Index("ix_case_intake_keys_case", "county_code", "case_id"),
    )

    channel: Mapped[str] = mapped_column(Text, primary_key=True)
    external_id: Mapped[str] = mapped_column(Text, primary_key=True)
    county_code: Mapped[str] = mapped_column(CHAR(12))
    case_id: Mapped[int] = mapped_column(BigInteger)


class CaseEvent(Base):
    """One transition of a case (actor, time, reason); rows are never updated, a trigger enforces it."""

    __tablename__ = "case_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["county_code", "case_id"],
            ["cases.county_code", "cases.id"],
            ondelete="CASCADE",
            name="fk_case_events_case",
        ),
        Index("ix_case_events_case", "county_code", "case_id"),
    )

    county_code: Mapped[str] = mapped_column(CHAR(12), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class GridCaseFigures(Base):
    """Open and unassigned cases per grid code, kept by triggers on `cases` (grids/sql/grid_figures.sql)."""

    __tablename__ = "grid_case_figures"

    grid_code: Mapped[str] = mapped_column(CHAR(15), primary_key=True)
    open_cases: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unassigned_cases: Mapped[int] = mapped_column(Integer, server_default=text("0"))
