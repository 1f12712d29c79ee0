"""A worker's dated grid assignments and weekly duty windows, kept through the API.

History is never rewritten: an assignment is opened from a moment and ended at a later one; a new
primary for a grid ends the previous primary's (grids.cases.rosters.open_assignment, shared with the
file import). Duty windows are replaced as a whole week.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time
from itertools import pairwise

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from grids.cases.rosters import open_assignment
from grids.cases.workers import AssignmentView, DutyView, check_grid_code, find_worker, view_assignment
from grids.errors import Conflict, InvalidInput, NotFound
from grids.models import DutyWindow, Generation, Grid, WorkerAssignment
from grids.models.base import ASSIGNMENT_KINDS
from grids.moments import check_moment
from grids.users import Principal


def _zoned(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(
            f"{field} needs a time zone, e.g. 2026-12-01T08:00:00+08:00 (时间须带时区)", field=field
        )
    check_moment(value, field=field)
    return value


def assign_grid(
    session: Session,
    *,
    caller: Principal,
    staff_no: str,
    grid: str,
    kind: str,
    valid_from: datetime | None = None,
    now: datetime | None = None,
) -> AssignmentView:
    """Assign a worker to a grid code of their township from `valid_from` (default now)."""
    now = now or datetime.now(UTC)
    since = now if valid_from is None else _zoned(valid_from, "valid_from")
    worker = find_worker(session, caller=caller, staff_no=staff_no)
    if kind not in ASSIGNMENT_KINDS:
        raise InvalidInput(
            f"kind {kind!r} is not one of {', '.join(ASSIGNMENT_KINDS)} (职责有误)", field="kind"
        )
    if (kind == "platform") != (worker.role == "platform_staff"):
        raise InvalidInput(
            f"a {worker.role} cannot hold a {kind} assignment: platform staff hold platform assignments, "
            "grid workers the others (职责与岗位不符)",
            field="kind",
        )
    if not worker.active:
        raise Conflict(f"worker {staff_no} is inactive; reactivate first (该人员已停用)", field="staff_no")
    check_grid_code(grid)
    known = exists().where(
        Grid.code == grid, Grid.generation_id == Generation.id, Generation.status != "retired"
    )
    if not grid.startswith(worker.township_code[:9]) or not session.scalar(select(known)):
        raise InvalidInput(
            f"grid {grid} is not a grid of township {worker.township_code} (网格不属于该人员所在乡镇)",
            field="grid",
        )
    if kind == "primary":
        later = session.scalar(
            select(WorkerAssignment.valid_from).where(
                WorkerAssignment.grid_code == grid,
                WorkerAssignment.kind == "primary",
                WorkerAssignment.valid_from >= since,
            )
        )
        if later is not None:
            raise InvalidInput(
                f"grid {grid} has a primary from {later.isoformat()}; a new primary must start after it "
                "(历史不可改写：起始时间须晚于现有主责人员)",
                field="valid_from",
            )
    opened, _ = open_assignment(session, worker_id=worker.id, grid=grid, kind=kind, since=since)
    if opened is None:
        raise Conflict(
            f"{staff_no} already holds an open {kind} assignment on {grid} (已有该职责)", field="grid"
        )
    return view_assignment(opened, now)


def end_assignment(
    session: Session,
    *,
    caller: Principal,
    staff_no: str,
    assignment_id: int,
    valid_to: datetime | None = None,
    now: datetime | None = None,
) -> AssignmentView:
    """End an open assignment at `valid_to` (default now); it stays in the history."""
    now = now or datetime.now(UTC)
    until = now if valid_to is None else _zoned(valid_to, "valid_to")
    worker = find_worker(session, caller=caller, staff_no=staff_no)
    assignment = session.get(WorkerAssignment, assignment_id)
    if assignment is None or assignment.worker_id != worker.id:
        raise NotFound(f"{staff_no} has no assignment {assignment_id} (无此职责记录)", field="assignment_id")
    if assignment.valid_to is not None:
        raise Conflict(
            f"assignment {assignment_id} already ends at {assignment.valid_to.isoformat()} (该职责已结束)",
            field="valid_to",
        )
    if until <= assignment.valid_from:
        raise InvalidInput(
            f"valid_to must be after the assignment's start {assignment.valid_from.isoformat()} "
            "(结束时间须晚于起始时间)",
            field="valid_to",
        )
    assignment.valid_to = until
    session.flush()
    return view_assignment(assignment, now)


def set_duty(
    session: Session, *, caller: Principal, staff_no: str, windows: Sequence[tuple[int, time, time]]
) -> list[DutyView]:
    """Replace a worker's weekly duty windows (local time; no overlaps within a day)."""
    worker = find_worker(session, caller=caller, staff_no=staff_no)
    for i, (weekday, starts, ends) in enumerate(windows):
        if not 1 <= weekday <= 7:
            raise InvalidInput(
                f"weekday {weekday} must be 1 (Monday) to 7 (Sunday) (星期须为1–7)",
                field=f"windows.{i}.weekday",
            )
        for name, value in (("starts", starts), ("ends", ends)):
            if value.tzinfo is not None:
                raise InvalidInput(
                    f"{name} is a local time (Asia/Shanghai) without a zone (值班时间不带时区)",
                    field=f"windows.{i}.{name}",
                )
        if ends <= starts:
            raise InvalidInput(
                f"window {i} ends at {ends} before it starts at {starts} (结束须晚于开始)",
                field=f"windows.{i}.ends",
            )
    ordered = sorted(range(len(windows)), key=lambda i: windows[i][:2])
    for before, after in pairwise(ordered):
        if windows[before][0] == windows[after][0] and windows[after][1] < windows[before][2]:
            raise InvalidInput(
                f"windows {before} and {after} overlap on weekday {windows[after][0]} (值班时段重叠)",
                field=f"windows.{after}",
            )
    session.execute(delete(DutyWindow).where(DutyWindow.worker_id == worker.id))
    session.add_all(DutyWindow(worker_id=worker.id, weekday=d, starts=s, ends=e) for d, s, e in windows)
    session.flush()
    return [DutyView(*w) for w in sorted(windows)]
