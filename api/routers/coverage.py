"""Coverage: gaps, summaries per division, and staff allocation plans (propose, apply, undo)."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from api.deps import SessionDep, commit, require
from api.schemas_coverage import (
    AllocationCreate,
    DivisionSummaryPublic,
    GapFeature,
    GapsPublic,
    PlanPublic,
    RulesPublic,
    SummaryPublic,
)
from grids.codes import division_code
from grids.coverage.allocation import StaffInput, propose
from grids.coverage.gaps import Rules, counts, find_gaps, list_cases
from grids.coverage.plans import apply_plan, get_plan, undo_plan
from grids.coverage.summary import summarise, window
from grids.errors import InvalidInput
from grids.users import Principal

router = APIRouter(prefix="/coverage", tags=["coverage 覆盖分析"])
ReaderDep = Annotated[Principal, Depends(require("admin", "leader", "planner", "dispatcher"))]
PlannerDep = Annotated[Principal, Depends(require("admin", "leader", "planner"))]
DeciderDep = Annotated[Principal, Depends(require("admin", "leader"))]
Kind = Literal[
    "uncovered",
    "outside_villages",
    "no_worker",
    "off_duty",
    "no_platform_staff",
    "households_over_cap",
    "open_cases_over_cap",
    "out_of_reach",
]
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _at(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidInput("at needs a time zone, e.g. 2026-11-02T10:00:00+08:00 (须带时区)", field="at")
    return at


def _code(code: str | None) -> str | None:
    return None if code is None else division_code(code)


@router.get("/gaps", response_model=GapsPublic, summary="Coverage gaps")
def gaps(
    db: SessionDep,
    caller: ReaderDep,
    code: Annotated[str | None, Query(description="a division within your jurisdiction")] = None,
    kind: Annotated[list[Kind] | None, Query(description="only these kinds (repeatable)")] = None,
    severity: Annotated[Literal["high", "medium", "low"] | None, Query()] = None,
    at: Annotated[datetime | None, Query(description="judge staffing at this time (default now)")] = None,
    households_cap: Annotated[
        int, Query(ge=1, le=100_000, description="households per full-time worker")
    ] = 500,
    open_cases_cap: Annotated[int, Query(ge=1, le=100_000, description="open cases per worker")] = 40,
    reach_m: Annotated[
        float, Query(gt=0, le=1_000_000, description="farthest from a platform's staff")
    ] = 10_000,
) -> GapsPublic:
    """Spatial, staffing and reach gaps in your jurisdiction, most severe first, with their shapes."""
    when = _at(at)
    rules = Rules(households_cap, open_cases_cap, reach_m)
    found = find_gaps(
        db, caller=caller, code=_code(code), kinds=list(kind or []), severity=severity, rules=rules, at=when
    )
    list_cases(db, found)
    return GapsPublic(
        at=when, rules=RulesPublic.of(rules), counts=counts(found), features=[GapFeature.of(g) for g in found]
    )


@router.get("/summary", response_model=SummaryPublic, summary="Coverage figures per division")
def summary(
    db: SessionDep,
    caller: ReaderDep,
    level: Annotated[Literal["county", "township", "village"], Query()] = "township",
    code: Annotated[str | None, Query(description="only divisions inside this one")] = None,
    at: Annotated[datetime | None, Query(description="staffing and gaps at this time (default now)")] = None,
    start: Annotated[
        datetime | None, Query(alias="from", description="cases received from (default at − 90 days)")
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="cases received before (default at)")
    ] = None,
) -> SummaryPublic:
    """Grids, households, workers by role, platform staff, ratios, cases per month, on-time rate, gaps."""
    when = _at(at)
    begin, finish = window(when, start, end)
    rows = summarise(db, caller=caller, level=level, at=when, code=_code(code), start=begin, end=finish)
    return SummaryPublic(
        level=level,
        at=when,
        start=begin,
        end=finish,
        divisions=[DivisionSummaryPublic.model_validate(r) for r in rows],
    )


@router.post("/allocation", response_model=PlanPublic, status_code=201, summary="Propose a staff allocation")
def allocation(body: AllocationCreate, db: SessionDep, caller: PlannerDep) -> PlanPublic:
    """Which staff member of a platform covers each grid of a township or county; kept as a proposal."""
    staff = None if body.staff is None else [StaffInput(s.staff_no, s.lon, s.lat) for s in body.staff]
    plan = propose(
        db,
        caller=caller,
        code=division_code(body.code, field="code"),
        platform=body.platform,
        at=datetime.now(UTC),
        staff=staff,
        count=body.count,
        history_days=body.history_days,
        change_penalty_m=body.change_penalty_m,
        balance_slack=body.balance_slack,
    )
    commit(db)
    return PlanPublic.of(plan)


@router.get("/allocation/{plan_id}", response_model=PlanPublic, summary="An allocation plan")
def plan(plan_id: PlanId, db: SessionDep, caller: PlannerDep) -> PlanPublic:
    """A plan in your jurisdiction with its figures before and after."""
    return PlanPublic.of(get_plan(db, caller=caller, plan_id=plan_id))


@router.post("/allocation/{plan_id}/apply", response_model=PlanPublic, summary="Apply an allocation plan")
def apply(plan_id: PlanId, db: SessionDep, caller: DeciderDep) -> PlanPublic:
    """Put the plan into force now, as dated platform assignments (leaders and admins)."""
    applied = apply_plan(db, caller=caller, plan_id=plan_id, at=datetime.now(UTC))
    commit(db)
    return PlanPublic.of(applied)


@router.post("/allocation/{plan_id}/undo", response_model=PlanPublic, summary="Undo an applied plan")
def undo(plan_id: PlanId, db: SessionDep, caller: DeciderDep) -> PlanPublic:
    """End the plan's assignments now and restore those it ended (leaders and admins)."""
    undone = undo_plan(db, caller=caller, plan_id=plan_id, at=datetime.now(UTC))
    commit(db)
    return PlanPublic.of(undone)
