"""The closed loop as an explicit state machine: who may take which action from which status, and
one append-only event (actor, time, reason) for every action taken.

received 信息接收 → accepted 受理 (or rejected 不予受理) → dispatched 分流交办 (or escalated 上报) →
signed 签收 → handled 处置完成 → replied 回复反馈 → verified 核查 → closed 结案 → evaluated 评价;
besides: pin 定位 (to_locate → received), return 退回, redispatch 重新交办, extend 延期 (a leader),
merge 合并 (a duplicate), transfer 转办 (to another township), supervise 督办.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from grids.cases.deadlines import STAGES
from grids.cases.intake import CaseInput, check_text, place
from grids.cases.queries import DUE_BY_STATUS, CaseView, get_case, where_visible
from grids.codes import division_code, in_scope, level_of
from grids.errors import Conflict, Forbidden, InvalidInput, NotFound
from grids.locate import indexes
from grids.models import Case, CaseEvent, Division, Worker
from grids.users import Principal

DESK = ("dispatcher", "admin")
HANDLERS = ("worker", "dispatcher", "admin")
LEADERS = ("leader", "admin")
OPEN = (
    "to_locate",
    "received",
    "accepted",
    "dispatched",
    "escalated",
    "signed",
    "handled",
    "replied",
    "verified",
)


@dataclass(frozen=True)
class Transition:
    """From which statuses an action may be taken, by whom, and the status it leads to (None: stays)."""

    sources: tuple[str, ...]
    target: str | None
    roles: tuple[str, ...]
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "pin": Transition(("to_locate",), "received", DESK),
    "accept": Transition(("received",), "accepted", DESK),
    "reject": Transition(("received",), "rejected", DESK, needs_reason=True),
    "dispatch": Transition(("accepted",), "dispatched", DESK),
    "escalate": Transition(("accepted", "dispatched", "signed"), "escalated", DESK, needs_reason=True),
    "sign": Transition(("dispatched",), "signed", HANDLERS),
    "handle": Transition(("signed", "escalated"), "handled", HANDLERS),
    "reply": Transition(("handled",), "replied", HANDLERS),
    "verify": Transition(("replied",), "verified", DESK),
    "close": Transition(("verified",), "closed", DESK),
    "evaluate": Transition(("closed",), "evaluated", ("dispatcher", "admin", "integration")),
    "return": Transition(
        ("dispatched", "signed", "handled", "replied", "escalated"), "accepted", HANDLERS, True
    ),
    "redispatch": Transition(("dispatched", "signed"), "dispatched", DESK),
    "extend": Transition(
        ("received", "accepted", "dispatched", "escalated", "signed", "handled"), None, LEADERS, True
    ),
    "merge": Transition(("received", "accepted"), "merged", DESK),
    "transfer": Transition(("received", "accepted"), "received", DESK, needs_reason=True),
    "supervise": Transition(OPEN, None, LEADERS, needs_reason=True),
}
ENDS = {"reject", "close", "merge"}  # actions that end the loop (closed_at is set)


@dataclass(frozen=True)
class ActionInput:
    """An action on a case and what it needs (only the fields of that action are read)."""

    action: str
    reason: str | None = None
    worker_id: int | None = None
    platform: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    satisfaction: int | None = None
    hours: float | None = None
    duplicate_of: int | None = None
    township: str | None = None
    note: str | None = None


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions a role may take on a case in this status."""
    return [name for name, t in TRANSITIONS.items() if status in t.sources and role in t.roles]


def act(session: Session, *, case_id: int, action: ActionInput, caller: Principal, now: datetime) -> CaseView:
    """Take one action on a case: check role, status and inputs, apply it, and append its event."""
    transition = TRANSITIONS.get(action.action)
    if transition is None:
        raise InvalidInput(
            f"action {action.action!r} is not one of {', '.join(TRANSITIONS)} (操作不存在)", field="action"
        )
    check_text(reason=action.reason, note=action.note, crs=action.crs, township=action.township)
    case = get_case(session, case_id=case_id, caller=caller, now=now, lock=True).case
    if caller.role not in transition.roles:
        raise Forbidden(
            f"role {caller.role} may not {action.action}; allowed: {', '.join(transition.roles)} "
            "(当前角色无此权限)"
        )
    if case.status not in transition.sources:
        allowed = allowed_actions(case.status, caller.role)
        raise Conflict(
            f"cannot {action.action} a case that is {case.status}; "
            f"allowed now: {', '.join(allowed) or 'none'} "
            f"(当前状态不允许此操作，可执行：{'、'.join(allowed) or '无'})"
        )
    reason = (action.reason or "").strip() or None
    if transition.needs_reason and reason is None:
        raise InvalidInput(f"{action.action} needs a reason (此操作须填写原因)", field="reason")
    before = case.status
    data = _apply(session, case=case, action=action, caller=caller, now=now)
    if transition.target is not None:
        case.status = transition.target
    if action.action in ENDS:
        case.closed_at = now
    case.updated_at = now
    if action.note:
        data["note"] = action.note
    session.add(
        CaseEvent(
            county_code=case.county_code,
            case_id=case.id,
            at=now,
            actor_user_id=caller.user_id,
            actor=caller.name,
            action=action.action,
            from_status=before,
            to_status=case.status,
            reason=reason,
            data=data or None,
        )
    )
    session.flush()
    return get_case(session, case_id=case_id, caller=_after(caller), now=now)


def _after(caller: Principal) -> Principal:
    # A worker who returns a case, or a dispatcher who transfers it, may no longer see it: the answer
    # is read with the whole installation's view (the action itself was checked).
    return Principal(caller.user_id, caller.name, "admin", None, caller.platform_code)


def _apply(
    session: Session, *, case: Case, action: ActionInput, caller: Principal, now: datetime
) -> dict[str, Any]:
    name = action.action
    if name == "pin":
        return _pin(session, case=case, action=action, caller=caller, now=now)
    if name in ("dispatch", "redispatch"):
        return _dispatch(session, case=case, action=action, now=now)
    if name == "evaluate":
        if action.satisfaction is None or not 1 <= action.satisfaction <= 5:
            raise InvalidInput("evaluate needs satisfaction 1–5 (满意度须为1–5)", field="satisfaction")
        case.satisfaction = action.satisfaction
        return {"satisfaction": action.satisfaction}
    if name == "extend":
        return _extend(case, action)
    if name == "merge":
        return _merge(session, case=case, action=action, caller=caller)
    if name == "transfer":
        return _transfer(session, case=case, action=action)
    return {}


def _pin(
    session: Session, *, case: Case, action: ActionInput, caller: Principal, now: datetime
) -> dict[str, Any]:
    if action.lon is None or action.lat is None:
        raise InvalidInput(
            "pin needs lon and lat (定位须提供经纬度)", field="lon" if action.lon is None else "lat"
        )
    probe = CaseInput("patrol", "-", case.category_code, "-", now, action.lon, action.lat, action.crs)
    spot = place(session, data=probe, caller=caller, at=now)
    # The case's key keeps the division that took it in (its county, or the city for the city's
    # queue): its township stays within it, so map layers find the case through that key.
    if not in_scope(spot.township or spot.county, case.county_code):
        raise InvalidInput(
            f"the point lies outside {case.county_code}, where the case was taken in; a case is "
            "pinned within it (定位点须在事件受理区域内)",
            field="lon",
        )
    case.geom = WKTElement(f"POINT({spot.x} {spot.y})", srid=STORAGE_SRID)  # type: ignore[assignment]
    case.raw_lon, case.raw_lat, case.raw_crs = action.lon, action.lat, action.crs.lower()
    case.township_code, case.village_code, case.grid_code = spot.township, spot.village, spot.grid
    case.worker_id, case.assigned_by, case.assign_distance_m = spot.worker, "pinned", spot.distance_m
    return {"match": spot.assigned_by, "grid": spot.grid, "worker_id": spot.worker}


def _dispatch(session: Session, *, case: Case, action: ActionInput, now: datetime) -> dict[str, Any]:
    platform = action.platform or case.platform_code
    worker_id = action.worker_id
    if worker_id is None and case.grid_code is not None:
        _, rosters = indexes(session)
        staff = [s for s in rosters.platform_staff(case.grid_code, now) if s.platform == platform]
        worker_id = staff[0].id if staff else case.worker_id
    if worker_id is None:
        raise InvalidInput(
            "no worker for this case's grid: name worker_id (该网格无责任人，请指定处置人员)",
            field="worker_id",
        )
    worker = session.get(Worker, worker_id)
    township = case.township_code or ""
    if worker is None or not worker.active or (township and worker.township_code != township):
        raise InvalidInput(
            f"worker {worker_id} is not an active worker of township {township or '?'} "
            "(处置人员不属于该乡镇)",
            field="worker_id",
        )
    case.worker_id, case.platform_code = worker_id, platform
    return {"platform": platform, "worker_id": worker_id}


def _extend(case: Case, action: ActionInput) -> dict[str, Any]:
    if action.hours is None or not 0 < action.hours <= 720:
        raise InvalidInput(
            "extend needs hours, more than 0 and at most 720 (延期小时数须在0–720之间)", field="hours"
        )
    current = STAGES.index(DUE_BY_STATUS[case.status].removesuffix("_due"))
    shift = timedelta(hours=action.hours)
    for stage in STAGES[current:]:
        due = getattr(case, f"{stage}_due")
        if due is not None:
            setattr(case, f"{stage}_due", due + shift)
    return {"hours": action.hours}


def _merge(session: Session, *, case: Case, action: ActionInput, caller: Principal) -> dict[str, Any]:
    if action.duplicate_of is None:
        raise InvalidInput(
            "merge needs duplicate_of, the case this one repeats (合并须指定原事件)", field="duplicate_of"
        )
    original = session.execute(
        select(Case).where(Case.id == action.duplicate_of, where_visible(caller))
    ).scalar_one_or_none()
    if original is None or original.id == case.id:
        raise NotFound(f"no case {action.duplicate_of} in your jurisdiction to merge into (辖区内无此原事件)")
    if original.county_code != case.county_code or original.status in ("merged", "rejected"):
        raise InvalidInput(
            f"case {original.id} cannot take duplicates: it is {original.status} or in another county "
            f"(原事件不可合并)",
            field="duplicate_of",
        )
    case.duplicate_of_id = original.id
    return {"duplicate_of": original.id}


def _transfer(session: Session, *, case: Case, action: ActionInput) -> dict[str, Any]:
    if action.township is None:
        raise InvalidInput(
            "transfer needs township, the 9- or 12-digit code it goes to (转办须指定乡镇)", field="township"
        )
    target = division_code(action.township, field="township")
    division = session.get(Division, target)
    if division is None or level_of(target) != "township" or target == case.township_code:
        raise InvalidInput(
            f"township {target} is not another known township (目标乡镇不存在)", field="township"
        )
    if not in_scope(target, case.county_code):  # as for _pin
        raise InvalidInput(
            f"township {target} lies outside {case.county_code}, which took the case in; transfer "
            "within it, or reject the case naming where it belongs, for the city to send it there "
            "(转办限本区域内乡镇；跨县（市、区）事项请不予受理并注明属地，由市级重新派发)",
            field="township",
        )
    data = {"from_township": case.township_code, "to_township": target}
    case.township_code, case.village_code, case.grid_code = target, None, None
    case.worker_id, case.assigned_by, case.assign_distance_m = None, "manual", None
    return data
