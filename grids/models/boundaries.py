"""Grid boundaries, versioned by generation, and the household blocks their figures come from."""

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.crs import WEB_MERCATOR_SRID
from grids.models.base import DIVISION_CODE, GENERATION_STATUSES, GRID_KINDS, Base, geometry, one_of


class Generation(Base):
    """One version of the grids of a division's subtree: drafted, then activated atomically, then retired."""

    __tablename__ = "generations"
    __table_args__ = (
        one_of("status", GENERATION_STATUSES),
        CheckConstraint(f"scope_code ~ '{DIVISION_CODE}'", name="scope_code_format"),
        CheckConstraint("status <> 'active' OR activated_at IS NOT NULL", name="active_has_time"),
        CheckConstraint("status <> 'retired' OR retired_at IS NOT NULL", name="retired_has_time"),
        # One active generation per scope; nested active scopes are refused by trigger.
        Index(
            "uq_generations_active_scope",
            "scope_code",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    scope_code: Mapped[str] = mapped_column(CHAR(12), ForeignKey("divisions.code"), index=True)
    status: Mapped[str] = mapped_column(Text, server_default=text("'draft'"))
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_by: Mapped[str | None] = mapped_column(Text)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Grid(Base):
    """A grid (网格) as drawn in one generation; `code` is its stable identity across generations.

    A draft holds what a file held, faults included (any geometry type, a malformed or repeated
    code, no village), so that validation can show them. The trigger `grids_guard_active` lets only
    valid, non-overlapping MultiPolygons with unique well-formed codes into an active generation.
    """

    __tablename__ = "grids"
    __table_args__ = (
        one_of("kind", GRID_KINDS),
        CheckConstraint("households >= 0 AND population >= 0", name="figures_nonnegative"),
        Index("ix_grids_geom", "geom", postgresql_using="gist"),
        Index("ix_grids_generation_code", "generation_id", "code"),
        Index("ix_grids_code", "code"),
        Index("ix_grids_geom_3857", "geom_3857", postgresql_using="gist"),
        Index("ix_grids_code_prefix", "code", postgresql_ops={"code": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default=text("'ordinary'"))
    village_code: Mapped[str | None] = mapped_column(CHAR(12), ForeignKey("divisions.code"), index=True)
    households: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    population: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY", nullable=False))
    geom_3857: Mapped[WKBElement | None] = mapped_column(
        Geometry("GEOMETRY", srid=WEB_MERCATOR_SRID, spatial_index=False),
        doc="`geom` in EPSG:3857 for map tiles, kept by a trigger; NULL where Web Mercator cannot hold it",
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(
        Text, doc="database login of the last edit, set by a trigger"
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), doc="for optimistic locking")


class GridPart(Base):
    """Pieces of a grid cut by ST_Subdivide, kept by a trigger, for fast point-in-grid lookups."""

    __tablename__ = "grid_parts"
    __table_args__ = (Index("ix_grid_parts_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON", nullable=False))


class HouseholdBlock(Base):
    """A building or a cluster of them with its household count; grid figures are summed from these."""

    __tablename__ = "household_blocks"
    __table_args__ = (
        CheckConstraint("households > 0", name="households_positive"),
        CheckConstraint("population >= 0", name="population_nonnegative"),
        Index("ix_household_blocks_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(CHAR(12), ForeignKey("divisions.code"), index=True)
    label: Mapped[str | None] = mapped_column(Text)
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT", nullable=False))
