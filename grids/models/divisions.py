"""Administrative divisions (行政区划) carrying the 12-digit statistical code."""

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CHAR, Boolean, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gis.crs import WEB_MERCATOR_SRID
from grids.models.base import DIVISION_CODE, LEVELS, Base, geometry, one_of


class Division(Base):
    """A province, city, county, township or village; geometry arrives when boundaries are imported."""

    __tablename__ = "divisions"
    __table_args__ = (
        CheckConstraint(f"code ~ '{DIVISION_CODE}'", name="code_format"),
        one_of("level", LEVELS),
        CheckConstraint("parent_code IS NULL OR parent_code <> code", name="not_own_parent"),
        CheckConstraint("households IS NULL OR households >= 0", name="households_nonnegative"),
        CheckConstraint("population IS NULL OR population >= 0", name="population_nonnegative"),
        Index("ix_divisions_geom", "geom", postgresql_using="gist"),
        Index("ix_divisions_code_prefix", "code", postgresql_ops={"code": "bpchar_pattern_ops"}),
        Index("ix_divisions_geom_3857", "geom_3857", postgresql_using="gist"),
    )

    code: Mapped[str] = mapped_column(CHAR(12), primary_key=True)
    level: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(
        CHAR(12), ForeignKey("divisions.code", ondelete="RESTRICT"), index=True
    )
    placeholder: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), doc="created because a child implied it; named by code"
    )
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))
    geom_3857: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=WEB_MERCATOR_SRID, spatial_index=False),
        doc="`geom` in EPSG:3857 for map tiles, kept by a trigger (layers_3857.sql)",
    )


class DivisionPart(Base):
    """Pieces of a division's boundary cut by ST_Subdivide, kept by a trigger, for fast point lookups."""

    __tablename__ = "division_parts"
    __table_args__ = (Index("ix_division_parts_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    division_code: Mapped[str] = mapped_column(
        CHAR(12), ForeignKey("divisions.code", ondelete="CASCADE"), index=True
    )
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON", nullable=False))
