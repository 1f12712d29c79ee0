"""Bodies of the case endpoints (`CaseCreate` in, `CasePublic` out); no personal data in lists."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grids.cases.intake import CaseInput, Reporter
from grids.cases.lifecycle import TRANSITIONS, ActionInput
from grids.cases.queries import CaseView, ReporterView
from grids.models import CaseEvent
from grids.models.base import CASE_STATUSES, CHANNELS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Status = Literal[CASE_STATUSES]  # type: ignore[valid-type]
Action = Literal[tuple(TRANSITIONS)]  # type: ignore[valid-type]


class ReporterIn(BaseModel):
    """Who reported the case (kept apart, masked on output)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\- ]{3,30}$")


class CaseCreate(BaseModel):
    """A case handed over by an intake system; without lon/lat it needs an address."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    external_id: str = Field(min_length=1, max_length=200, description="the channel's own id of the case")
    category: str = Field(min_length=1, max_length=41, description="a code of GET /categories")
    lon: float | None = None
    lat: float | None = None
    crs: str = Field(default="wgs84", max_length=64, description="wgs84, cgcs2000, gcj02 or bd09")
    description: str = Field(min_length=1, max_length=4000)
    reported_at: datetime = Field(description="with a time zone, e.g. 2026-11-02T10:00:00+08:00")
    address: str | None = Field(default=None, max_length=500)
    township: str | None = Field(default=None, max_length=12, description="queue of an address-only case")
    reporter: ReporterIn | None = None

    def to_input(self) -> CaseInput:
        """The service's input."""
        reporter = None if self.reporter is None else Reporter(self.reporter.name, self.reporter.phone)
        return CaseInput(
            self.channel,
            self.external_id,
            self.category,
            self.description,
            self.reported_at,
            self.lon,
            self.lat,
            self.crs,
            self.address,
            self.township,
            reporter,
        )


class CaseBatchCreate(BaseModel):
    """Up to 1,000 cases taken in in one transaction; each answered on its own."""

    model_config = ConfigDict(extra="forbid")

    items: list[CaseCreate] = Field(min_length=1, max_length=1000)


class CasePublic(BaseModel):
    """A case without personal data: where it landed, who has it, and its deadlines."""

    id: int
    county_code: str
    channel: Channel
    category: str
    status: Status
    description: str
    address: str | None
    reported_at: datetime
    received_at: datetime
    lon: float | None = Field(description="CGCS2000 longitude")
    lat: float | None = Field(description="CGCS2000 latitude")
    township_code: str | None
    village_code: str | None
    grid_code: str | None
    worker_id: int | None
    platform: str | None
    match: str | None = Field(description="inside, edge, near, outside, pinned, manual")
    distance_m: float | None
    receive_due: datetime | None
    dispatch_due: datetime | None
    handle_due: datetime | None
    reply_due: datetime | None
    due: datetime | None = Field(description="deadline of the stage the case is in")
    overdue: bool
    closed_at: datetime | None
    duplicate_candidate_id: int | None = Field(description="a possible duplicate flagged at intake")
    duplicate_of_id: int | None
    satisfaction: int | None
    has_reporter: bool

    @classmethod
    def of(cls, view: CaseView) -> "CasePublic":
        """The public form of a case view."""
        c = view.case
        return cls(
            id=c.id,
            county_code=c.county_code,
            channel=c.channel,
            category=c.category_code,
            status=c.status,
            description=c.description,
            address=c.address,
            reported_at=c.reported_at,
            received_at=c.received_at,
            lon=view.lon,
            lat=view.lat,
            township_code=c.township_code,
            village_code=c.village_code,
            grid_code=c.grid_code,
            worker_id=c.worker_id,
            platform=c.platform_code,
            match=c.assigned_by,
            distance_m=c.assign_distance_m,
            receive_due=c.receive_due,
            dispatch_due=c.dispatch_due,
            handle_due=c.handle_due,
            reply_due=c.reply_due,
            due=view.due,
            overdue=view.overdue,
            closed_at=c.closed_at,
            duplicate_candidate_id=c.duplicate_candidate_id,
            duplicate_of_id=c.duplicate_of_id,
            satisfaction=c.satisfaction,
            has_reporter=c.reporter_id is not None,
        )


class CaseCreated(CasePublic):
    """The answer to an intake: the case, and whether this request created it."""

    created: bool


class BatchError(BaseModel):
    """Why one item of a batch was refused."""

    status: int
    detail: str
    field: str | None


class BatchItemPublic(BaseModel):
    """One item's outcome: created, existing (sent before) or error."""

    index: int
    outcome: Literal["created", "existing", "error"]
    case: CasePublic | None
    error: BatchError | None


class BatchPublic(BaseModel):
    """The outcome of every item, in order."""

    created: int
    existing: int
    errors: int
    items: list[BatchItemPublic]


class CasePage(BaseModel):
    """A page of cases with the total matched."""

    items: list[CasePublic]
    number_matched: int
    limit: int
    offset: int


class EventPublic(BaseModel):
    """One transition: who, when, from which status to which, and why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, event: CaseEvent) -> "EventPublic":
        """The public form of an event."""
        return cls.model_validate(event)


class ReporterPublic(BaseModel):
    """The reporter: masked unless a dispatcher of the case's township asked to reveal (logged)."""

    name: str | None
    phone: str | None
    masked: bool

    @classmethod
    def of(cls, view: ReporterView | None) -> "ReporterPublic | None":
        """The public form, or None without a reporter."""
        return None if view is None else cls(name=view.name, phone=view.phone, masked=view.masked)


class CaseDetail(CasePublic):
    """One case with its events, its reporter (masked) and the actions the caller may take now."""

    events: list[EventPublic]
    reporter: ReporterPublic | None
    allowed_actions: list[str]


class ActionCreate(BaseModel):
    """An action on a case; each action reads only the fields it needs."""

    model_config = ConfigDict(extra="forbid")

    action: Action  # type: ignore[valid-type]
    reason: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)
    worker_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="dispatch, redispatch")
    platform: Literal["governance", "market", "enforcement", "services"] | None = None
    lon: float | None = Field(default=None, description="pin")
    lat: float | None = Field(default=None, description="pin")
    crs: str = Field(default="wgs84", max_length=64, description="pin")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="evaluate")
    hours: float | None = Field(default=None, gt=0, le=720, description="extend")
    duplicate_of: int | None = Field(default=None, ge=1, le=2**63 - 1, description="merge")
    township: str | None = Field(default=None, max_length=12, description="transfer")

    def to_input(self) -> ActionInput:
        """The service's input."""
        return ActionInput(
            action=self.action,
            reason=self.reason,
            worker_id=self.worker_id,
            platform=self.platform,
            lon=self.lon,
            lat=self.lat,
            crs=self.crs,
            satisfaction=self.satisfaction,
            hours=self.hours,
            duplicate_of=self.duplicate_of,
            township=self.township,
            note=self.note,
        )
