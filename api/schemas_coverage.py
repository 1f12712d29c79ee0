"""Bodies of the coverage endpoints: gaps (GeoJSON), summaries and allocation plans."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grids.coverage.gaps import KINDS, Gap, Rules
from grids.models import AllocationPlan


class GapProperties(BaseModel):
    """What a gap is, where, and its figures."""

    kind: str
    kind_zh: str
    severity: str
    message: str
    place: dict[str, str | None]
    figures: dict[str, float | int | None]
    case_ids: list[int] = Field(description="ground gaps: the cases that fell there, latest first (≤ 100)")


class GapFeature(BaseModel):
    """One gap as a GeoJSON Feature (geometry in CRS84)."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: GapProperties

    @classmethod
    def of(cls, gap: Gap) -> "GapFeature":
        """The public form."""
        return cls(
            id=gap.fid,
            geometry=gap.geometry,
            properties=GapProperties(
                kind=gap.kind,
                kind_zh=KINDS[gap.kind][0],
                severity=gap.severity,
                message=gap.message,
                place=gap.place,
                figures=gap.figures,
                case_ids=gap.case_ids,
            ),
        )


class RulesPublic(BaseModel):
    """The caps and distance the gaps were judged by."""

    households_cap: int
    open_cases_cap: int
    reach_m: float

    @classmethod
    def of(cls, rules: Rules) -> "RulesPublic":
        """The public form."""
        return cls(
            households_cap=rules.households_cap, open_cases_cap=rules.open_cases_cap, reach_m=rules.reach_m
        )


class GapsPublic(BaseModel):
    """Gaps as a GeoJSON FeatureCollection, with the time and rules they were judged at and counts by kind."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    at: datetime
    rules: RulesPublic
    counts: dict[str, int]
    features: list[GapFeature]


class DivisionSummaryPublic(BaseModel):
    """One division's coverage figures (read from a `DivisionSummary`, its properties included)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    grids: int
    ordinary_grids: int
    households: int
    population: int
    workers: dict[str, int]
    platform_staff: dict[str, int]
    households_per_full_time: float | None
    grids_per_platform_staff: dict[str, float | None]
    cases: int
    cases_per_month: dict[str, float]
    handle_on_time_rate: float | None
    on_time_rates: dict[str, float | None] = Field(description="receive, dispatch, handle and reply")
    gaps: dict[str, int]


class SummaryPublic(BaseModel):
    """Coverage figures per division of one level."""

    level: str
    at: datetime
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    divisions: list[DivisionSummaryPublic]


class StaffItem(BaseModel):
    """A staff member to allocate: an existing one by staff number (工号), or a new position."""

    model_config = ConfigDict(extra="forbid")

    staff_no: str | None = Field(default=None, max_length=40)
    lon: float | None = Field(default=None, ge=-180, le=180, description="base longitude (CGCS2000/WGS84)")
    lat: float | None = Field(default=None, ge=-90, le=90, description="base latitude")


class AllocationCreate(BaseModel):
    """What to plan: an area, a platform, and its staff (a list, or a number; default today's staff)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="a township or county code (9 or 12 digits for a township)")
    platform: Literal["governance", "market", "enforcement", "services"]
    staff: list[StaffItem] | None = Field(default=None, max_length=60)
    count: int | None = Field(default=None, ge=1, le=60, description="how many staff, if no list is given")
    history_days: int = Field(default=180, ge=1, le=3660, description="case history used for workload")
    change_penalty_m: float = Field(
        default=2000, ge=0, le=100_000, description="cost of a grid changing hands, as extra metres of travel"
    )
    balance_slack: float = Field(
        default=0.05, ge=0, le=0.5, description="how far above the best balance travel and stability may go"
    )


class PlanPublic(BaseModel):
    """An allocation plan: its state and the proposal (positions, grids, figures before and after)."""

    id: int
    code: str
    platform: str
    status: str
    created_by: str
    created_at: datetime
    applied_at: datetime | None
    undone_at: datetime | None
    assignments_started: int
    assignments_ended: int
    result: dict[str, Any]

    @classmethod
    def of(cls, plan: AllocationPlan) -> "PlanPublic":
        """The public form (staff by number; no names)."""
        return cls(
            id=plan.id,
            code=plan.scope_code,
            platform=plan.platform_code,
            status=plan.status,
            created_by=plan.created_by,
            created_at=plan.created_at,
            applied_at=plan.applied_at,
            undone_at=plan.undone_at,
            assignments_started=len(plan.created_assignments or []),
            assignments_ended=len(plan.ended_assignments or []),
            result=plan.result,
        )
