"""Declarative base, naming convention and the vocabularies shared by several tables."""

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, MetaData
from sqlalchemy.orm import DeclarativeBase

from gis.crs import STORAGE_SRID

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LEVELS = ("province", "city", "county", "township", "village")
PLATFORMS = ("governance", "market", "enforcement", "services")
CHANNELS = ("zwfw", "pingan", "hotline12345", "minqing", "village_centre", "patrol", "open311")
GRID_KINDS = ("ordinary", "enterprise", "school", "market", "hospital", "scenic", "other_dedicated")
WORKER_ROLES = ("grid_head", "full_time", "part_time", "platform_staff")
ASSIGNMENT_KINDS = ("primary", "backup", "head", "platform")
USER_ROLES = ("admin", "planner", "dispatcher", "leader", "worker", "integration")
GENERATION_STATUSES = ("draft", "active", "retired")
CASE_STATUSES = (
    "to_locate",
    "received",
    "accepted",
    "rejected",
    "dispatched",
    "escalated",
    "signed",
    "handled",
    "replied",
    "verified",
    "closed",
    "evaluated",
    "merged",
    "transferred",
)
ASSIGNED_BY = ("inside", "edge", "near", "outside", "pinned", "manual", "republished")
ESCALATION_LEVELS = ("township", "county", "city")


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """A CHECK that `column` takes one of `values` (text columns instead of enums, easier to extend)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_allowed")


def geometry(kind: str, *, nullable: bool = True) -> Geometry:
    """A typed geometry in the storage CRS; indexes are declared explicitly on each table."""
    return Geometry(kind, srid=STORAGE_SRID, spatial_index=False, nullable=nullable)


DIVISION_CODE = r"^[0-9]{12}$"
GRID_CODE = r"^[0-9]{15}$"
