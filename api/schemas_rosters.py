"""Bodies of the worker and category-history endpoints; no worker's full name or phone ever goes out."""

from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import CategoryPublic, PlatformCode
from grids.cases.workers import AssignmentView, BasePoint, DutyView, WorkerDetail, WorkerView
from grids.catalogue import MAX_HOURS, CategoryChange
from grids.errors import InvalidInput
from grids.models import CaseCategoryVersion
from grids.models.base import ASSIGNMENT_KINDS, WORKER_ROLES

WorkerRole = Literal[WORKER_ROLES]  # type: ignore[valid-type]
AssignmentKind = Literal[ASSIGNMENT_KINDS]  # type: ignore[valid-type]


class PointIn(BaseModel):
    """A worker's base as given: longitude and latitude in a named CRS."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(examples=[119.92])
    lat: float = Field(examples=[28.45])
    crs: str = Field(default="wgs84", max_length=64, description="wgs84, cgcs2000, gcj02 or bd09")

    def to_point(self) -> BasePoint:
        """The service's input."""
        return BasePoint(self.lon, self.lat, self.crs)


class AssignmentPublic(BaseModel):
    """A duty on a grid code over a period (open while `valid_to` is null)."""

    id: int
    grid_code: str
    kind: AssignmentKind
    valid_from: datetime
    valid_to: datetime | None
    current: bool = Field(description="whether it holds now")

    @classmethod
    def of(cls, view: AssignmentView) -> "AssignmentPublic":
        """The public form of an assignment view."""
        return cls(**vars(view))


class DutyWindowPublic(BaseModel):
    """A weekly on-duty window in local time (Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=1, le=7, description="ISO weekday, 1 = Monday")
    starts: time = Field(examples=["08:30"])
    ends: time = Field(examples=["17:30"])

    @classmethod
    def of(cls, view: DutyView) -> "DutyWindowPublic":
        """The public form of a duty window."""
        return cls(weekday=view.weekday, starts=view.starts, ends=view.ends)


class WorkerSummaryPublic(BaseModel):
    """A worker by staff number (工号): no full name, no phone."""

    staff_no: str
    name: str | None = Field(description="masked: the surname and stars (王**)")
    role: WorkerRole
    platform: PlatformCode | None
    township: str
    active: bool
    lon: float | None = Field(description="base, CGCS2000 longitude")
    lat: float | None = Field(description="base, CGCS2000 latitude")
    current: list[AssignmentPublic] = Field(description="assignments holding now")

    @classmethod
    def of(cls, view: WorkerView) -> "WorkerSummaryPublic":
        """The public form of a worker view."""
        return cls(
            staff_no=view.staff_no,
            name=view.name,
            role=view.role,
            platform=view.platform,
            township=view.township,
            active=view.active,
            lon=view.lon,
            lat=view.lat,
            current=[AssignmentPublic.of(a) for a in view.current],
        )


class WorkerDetailPublic(WorkerSummaryPublic):
    """A worker with every assignment, current and past (newest first), and the duty windows."""

    assignments: list[AssignmentPublic]
    duty: list[DutyWindowPublic]

    @classmethod
    def of_detail(cls, view: WorkerDetail) -> "WorkerDetailPublic":
        """The public form of a worker's detail."""
        return cls(
            **WorkerSummaryPublic.of(view).model_dump(),
            assignments=[AssignmentPublic.of(a) for a in view.assignments],
            duty=[DutyWindowPublic.of(d) for d in view.duty],
        )


class WorkerPage(BaseModel):
    """A page of workers with the total matched."""

    items: list[WorkerSummaryPublic]
    number_matched: int
    limit: int
    offset: int


class WorkerCreate(BaseModel):
    """A new worker; name and phone are stored as personal data and never returned."""

    model_config = ConfigDict(extra="forbid")

    staff_no: str = Field(min_length=1, max_length=40, examples=["LS0101"], description="工号")
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    role: WorkerRole
    platform: PlatformCode | None = Field(default=None, description="exactly for platform_staff")
    township: str = Field(min_length=1, max_length=12, description="township code (9 or 12 digits)")
    base: PointIn | None = None


class WorkerUpdate(BaseModel):
    """Fields to change; those left out stay. Null clears platform, phone or base."""

    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    role: WorkerRole | None = None
    platform: PlatformCode | None = None
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    base: PointIn | None = None


class AssignmentCreate(BaseModel):
    """A grid code of the worker's township and the duty held on it, from `valid_from` (default now)."""

    model_config = ConfigDict(extra="forbid")

    grid: str = Field(min_length=15, max_length=15, description="15-digit grid code")
    kind: AssignmentKind
    valid_from: datetime | None = Field(default=None, description="with a time zone; default now")


class AssignmentEnd(BaseModel):
    """When an assignment ends (default now)."""

    model_config = ConfigDict(extra="forbid")

    valid_to: datetime | None = Field(default=None, description="with a time zone; default now")


class DutyUpdate(BaseModel):
    """The whole week's duty windows, replacing the earlier ones."""

    model_config = ConfigDict(extra="forbid")

    windows: list[DutyWindowPublic] = Field(max_length=100)


class CategoryUpdate(BaseModel):
    """Fields of a category to change; those left out stay."""

    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    platform_code: PlatformCode | None = None
    family: str | None = Field(default=None, min_length=1, max_length=200)
    receive_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    dispatch_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    handle_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    reply_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    duplicate_radius_m: float | None = Field(default=None, ge=0, le=100_000)
    duplicate_window_hours: float | None = Field(default=None, ge=0, le=100_000)
    escalation_level: Literal["township", "county", "city"] | None = None
    working_hours: bool | None = None

    def to_change(self) -> CategoryChange:
        """The service's input; a field given as null is refused (none of them may be empty)."""
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None:
                raise InvalidInput(f"{name} cannot be null (不能为空)", field=name)
        return CategoryChange(**self.model_dump(exclude_unset=True))


class CategoryVersionPublic(CategoryPublic):
    """A category as it stood from `valid_from` to `valid_to` (null: the current version)."""

    valid_from: datetime
    valid_to: datetime | None
    changed_by: str = Field(description="user name, `cli`, or the database login of a SQL edit")

    @classmethod
    def of(cls, version: CaseCategoryVersion) -> "CategoryVersionPublic":
        """The public form of a stored version."""
        values = {name: getattr(version, name) for name in cls.model_fields if name != "code"}
        return cls(code=version.category_code, **values)
