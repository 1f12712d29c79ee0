"""Allocation plans after the proposal: read, apply as dated assignments, undo as dated assignments.

Applying ends, at that moment, the platform assignments of the grids that change hands and starts
the proposed ones; undoing ends those and starts copies of the ended ones. History is never
rewritten: which staff member covered a grid on any date stays answerable.
"""

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.errors import Conflict, Forbidden, NotFound
from grids.models import AllocationPlan, WorkerAssignment
from grids.users import Principal

DECIDERS = ("admin", "leader")


def get_plan(session: Session, *, caller: Principal, plan_id: int, lock: bool = False) -> AllocationPlan:
    """A plan in the caller's jurisdiction; any other is not found."""
    query = select(AllocationPlan).where(AllocationPlan.id == plan_id)
    plan = session.scalar(query.with_for_update() if lock else query)
    if plan is None or not caller.sees(plan.scope_code):
        raise NotFound(f"no allocation plan {plan_id} in your jurisdiction (辖区内无此配置方案)", field="id")
    return plan


def apply_plan(session: Session, *, caller: Principal, plan_id: int, at: datetime) -> AllocationPlan:
    """Put a proposal into force at `at`; refused if a position has no worker or the allocation moved on."""
    _decider(caller)
    plan = get_plan(session, caller=caller, plan_id=plan_id, lock=True)
    if plan.status != "proposed":
        raise Conflict(f"plan {plan_id} is {plan.status}; only a proposed plan can be applied (方案已处理)")
    positions = plan.result["positions"]
    vacant = [i for i, p in enumerate(positions) if p["worker_id"] is None]
    if vacant:
        raise Conflict(
            f"plan {plan_id} has {len(vacant)} new position(s) without a worker; add them to the roster and "
            f"propose again naming their staff numbers (新增岗位尚无人员)"
        )
    _lock_scope(session, plan)
    changed = [
        g for g in plan.result["grids"] if _workers_now(session, plan, g["code"], at) != g["current_workers"]
    ]
    if changed:
        raise Conflict(
            f"the allocation of {len(changed)} grid(s) changed since plan {plan_id} was proposed, e.g. "
            f"{changed[0]['code']}; propose again (配置已变化，请重新生成方案)"
        )
    created, ended = [], []
    for grid in plan.result["grids"]:
        worker = positions[grid["after"]]["worker_id"]
        if grid["current_workers"] == [worker]:
            continue
        ended += _end(session, plan, grid["code"], at)
        created.append(_start(session, worker, grid["code"], at))
    plan.status, plan.applied_at, plan.applied_by = "applied", at, caller.name
    plan.created_assignments, plan.ended_assignments = created, ended
    session.flush()
    return plan


def undo_plan(session: Session, *, caller: Principal, plan_id: int, at: datetime) -> AllocationPlan:
    """Take an applied plan back at `at`: its assignments end and the ones it ended start again."""
    _decider(caller)
    plan = get_plan(session, caller=caller, plan_id=plan_id, lock=True)
    if plan.status != "applied":
        raise Conflict(f"plan {plan_id} is {plan.status}; only an applied plan can be undone (方案未生效)")
    _lock_scope(session, plan)
    later = session.scalar(
        select(AllocationPlan.id).where(
            AllocationPlan.scope_code == plan.scope_code,
            AllocationPlan.platform_code == plan.platform_code,
            AllocationPlan.status == "applied",
            AllocationPlan.applied_at > plan.applied_at,
        )
    )
    if later is not None:
        raise Conflict(f"plan {later} was applied after plan {plan_id}; undo it first (请先撤销后生效的方案)")
    for assignment in session.scalars(
        select(WorkerAssignment).where(WorkerAssignment.id.in_(plan.created_assignments))
    ):
        if assignment.valid_from >= at:
            session.delete(assignment)  # it never came into force
        elif assignment.valid_to is None or assignment.valid_to > at:
            assignment.valid_to = at
    for old in session.scalars(
        select(WorkerAssignment).where(WorkerAssignment.id.in_(plan.ended_assignments))
    ):
        _start(session, old.worker_id, old.grid_code, at)
    plan.status, plan.undone_at = "undone", at
    session.flush()
    return plan


def _decider(caller: Principal) -> None:
    if caller.role not in DECIDERS:
        raise Forbidden(
            f"role {caller.role} may not apply or undo allocation plans; allowed: admin, leader (无权操作)"
        )


def _lock_scope(session: Session, plan: AllocationPlan) -> None:
    """One writer at a time per area and platform, so two plans cannot interleave."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('allocation:' || :scope || ':' || :platform))"),
        {"scope": plan.scope_code, "platform": plan.platform_code},
    )


def _workers_now(session: Session, plan: AllocationPlan, grid: str, at: datetime) -> list[int]:
    rows = session.execute(
        text(
            "SELECT a.worker_id FROM worker_assignments a JOIN workers w ON w.id = a.worker_id "
            "WHERE a.grid_code = :grid AND a.kind = 'platform' AND w.platform_code = :platform "
            "AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at) ORDER BY a.worker_id"
        ),
        {"grid": grid, "platform": plan.platform_code, "at": at},
    )
    return [r[0] for r in rows]


def _end(session: Session, plan: AllocationPlan, grid: str, at: datetime) -> list[int]:
    rows = session.execute(
        text(
            "UPDATE worker_assignments a SET valid_to = :at FROM workers w "
            "WHERE w.id = a.worker_id AND a.grid_code = :grid AND a.kind = 'platform' "
            "AND w.platform_code = :platform AND a.valid_from < :at "
            "AND (a.valid_to IS NULL OR a.valid_to > :at) "
            "RETURNING a.id"
        ),
        {"grid": grid, "platform": plan.platform_code, "at": at},
    )
    return [r[0] for r in rows]


def _start(session: Session, worker_id: int, grid: str, at: datetime) -> int:
    assignment = WorkerAssignment(worker_id=worker_id, grid_code=grid, kind="platform", valid_from=at)
    session.add(assignment)
    session.flush()
    return assignment.id
