"""Supervision of late cases and the assessment of townships, platforms and workers."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import SessionDep, require
from api.schemas_cases import CasePublic
from api.schemas_supervision import AssessmentPublic, OverdueGroupPublic, OverduePublic, UnitPublic
from grids.cases.assessment import assess, workbook
from grids.cases.supervision import overdue as find_overdue
from grids.users import Principal

router = APIRouter(tags=["supervision 督办与考核"])
OverseerDep = Annotated[Principal, Depends(require("dispatcher", "leader", "admin"))]
Level = Literal["township", "platform", "worker"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/supervision/overdue", response_model=OverduePublic, summary="Late and soon-due cases")
def overdue(
    db: SessionDep,
    caller: OverseerDep,
    within_hours: Annotated[
        float, Query(ge=0, le=720, description="also cases due within this many hours")
    ] = 0,
    by: Annotated[Level, Query(description="count by township, platform or worker")] = "township",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OverduePublic:
    """Open cases in your jurisdiction late in their stage, or due within `within_hours`, by unit."""
    now = datetime.now(UTC)
    groups, items = find_overdue(db, caller=caller, now=now, within_hours=within_hours, by=by, limit=limit)
    return OverduePublic(
        as_of=now,
        within_hours=within_hours,
        by=by,
        groups=[OverdueGroupPublic.of(g) for g in groups],
        items=[CasePublic.of(v) for v in items],
    )


@router.get(
    "/assessment",
    response_model=AssessmentPublic,
    responses={200: {"content": {XLSX: {}}, "description": "JSON, or an Excel sheet with format=xlsx"}},
    summary="Assessment per township, platform or worker",
)
def assessment(
    db: SessionDep,
    caller: OverseerDep,
    start: Annotated[datetime, Query(alias="from", description="received from, with a time zone")],
    end: Annotated[datetime, Query(alias="to", description="received before, with a time zone")],
    level: Annotated[Level, Query()] = "township",
    format: Annotated[Literal["json", "xlsx"], Query(description="json, or xlsx for the bulletin")] = "json",
) -> Response | AssessmentPublic:
    """Per stage: done, on time, open and late, on-time rate; close rate, return rate, mean handling time."""
    figures = assess(db, caller=caller, level=level, start=start, end=end, now=datetime.now(UTC))
    if format == "xlsx":
        name = f"assessment-{level}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        return Response(
            workbook(figures, level=level, start=start, end=end),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return AssessmentPublic(level=level, start=start, end=end, units=[UnitPublic.of(f) for f in figures])
