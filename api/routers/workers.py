"""Workers within the caller's jurisdiction: read (dispatchers, admins, leaders), hire, change, assign
to grids for dated periods and set duty windows (dispatchers and admins). Outside it: 404."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, status

from api.deps import SessionDep, commit, require
from api.schemas import PlatformCode
from api.schemas_rosters import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentPublic,
    DutyUpdate,
    DutyWindowPublic,
    WorkerCreate,
    WorkerDetailPublic,
    WorkerPage,
    WorkerRole,
    WorkerSummaryPublic,
    WorkerUpdate,
)
from grids.cases.assignments import assign_grid, end_assignment, set_duty
from grids.cases.workers import (
    WorkerChange,
    WorkerInput,
    get_worker,
    hire_worker,
    list_workers,
    update_worker,
)
from grids.users import Principal

router = APIRouter(prefix="/workers", tags=["workers 网格员与平台人员"])
ReaderDep = Annotated[Principal, Depends(require("dispatcher", "admin", "leader"))]
KeeperDep = Annotated[Principal, Depends(require("dispatcher", "admin"))]
StaffNo = Annotated[str, Path(max_length=40, description="staff number (工号)")]


@router.get("", response_model=WorkerPage, summary="List workers")
def workers(
    db: SessionDep,
    caller: ReaderDep,
    township: Annotated[str | None, Query(max_length=12, description="a division code (prefix)")] = None,
    role: WorkerRole | None = None,
    platform: PlatformCode | None = None,
    active: bool | None = None,
    grid: Annotated[str | None, Query(max_length=15, description="assigned to this grid code now")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> WorkerPage:
    """Workers in your jurisdiction by staff number, with their current assignments; no names or phones."""
    rows, total = list_workers(
        db,
        caller=caller,
        township=township,
        role=role,
        platform=platform,
        active=active,
        grid=grid,
        limit=limit,
        offset=offset,
    )
    return WorkerPage(
        items=[WorkerSummaryPublic.of(r) for r in rows], number_matched=total, limit=limit, offset=offset
    )


@router.get("/{staff_no}", response_model=WorkerDetailPublic, summary="One worker")
def worker(staff_no: StaffNo, db: SessionDep, caller: ReaderDep) -> WorkerDetailPublic:
    """A worker with every assignment, current and past, and the weekly duty windows."""
    return WorkerDetailPublic.of_detail(get_worker(db, caller=caller, staff_no=staff_no))


@router.post(
    "", response_model=WorkerDetailPublic, status_code=status.HTTP_201_CREATED, summary="Add a worker"
)
def create_worker(body: WorkerCreate, db: SessionDep, caller: KeeperDep) -> WorkerDetailPublic:
    """Add a worker to a township of your jurisdiction; the name and phone are kept, never returned."""
    data = WorkerInput(
        staff_no=body.staff_no,
        name=body.name,
        role=body.role,
        township=body.township,
        phone=body.phone,
        platform=body.platform,
        base=None if body.base is None else body.base.to_point(),
    )
    found = hire_worker(db, caller=caller, data=data)
    commit(db)
    return WorkerDetailPublic.of_detail(found)


@router.patch("/{staff_no}", response_model=WorkerDetailPublic, summary="Change a worker")
def change_worker(
    staff_no: StaffNo, body: WorkerUpdate, db: SessionDep, caller: KeeperDep
) -> WorkerDetailPublic:
    """Change activity, base, role and platform (kept consistent), name or phone; takes effect at once."""
    change = WorkerChange(
        given=frozenset(body.model_fields_set),
        active=body.active,
        role=body.role,
        platform=body.platform,
        name=body.name,
        phone=body.phone,
        base=None if body.base is None else body.base.to_point(),
    )
    found = update_worker(db, caller=caller, staff_no=staff_no, change=change)
    commit(db)
    return WorkerDetailPublic.of_detail(found)


@router.post(
    "/{staff_no}/assignments",
    response_model=AssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Assign to a grid",
)
def assign(staff_no: StaffNo, body: AssignmentCreate, db: SessionDep, caller: KeeperDep) -> AssignmentPublic:
    """Assign the worker to a grid of their township; a new primary ends the previous primary's."""
    opened = assign_grid(
        db, caller=caller, staff_no=staff_no, grid=body.grid, kind=body.kind, valid_from=body.valid_from
    )
    commit(db)
    return AssignmentPublic.of(opened)


@router.post(
    "/{staff_no}/assignments/{assignment_id}/end",
    response_model=AssignmentPublic,
    summary="End an assignment",
)
def end(
    staff_no: StaffNo,
    assignment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    db: SessionDep,
    caller: KeeperDep,
    body: Annotated[AssignmentEnd | None, Body()] = None,
) -> AssignmentPublic:
    """End an open assignment now or at `valid_to`; it stays in the worker's history."""
    ended = end_assignment(
        db,
        caller=caller,
        staff_no=staff_no,
        assignment_id=assignment_id,
        valid_to=None if body is None else body.valid_to,
    )
    commit(db)
    return AssignmentPublic.of(ended)


@router.put("/{staff_no}/duty", response_model=list[DutyWindowPublic], summary="Set duty windows")
def duty(staff_no: StaffNo, body: DutyUpdate, db: SessionDep, caller: KeeperDep) -> list[DutyWindowPublic]:
    """Replace the worker's weekly duty windows (local time, Asia/Shanghai)."""
    windows = [(w.weekday, w.starts, w.ends) for w in body.windows]
    kept = set_duty(db, caller=caller, staff_no=staff_no, windows=windows)
    commit(db)
    return [DutyWindowPublic.of(w) for w in kept]
