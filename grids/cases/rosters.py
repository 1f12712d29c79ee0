"""Rosters and responsibility lists as townships keep them (Excel or CSV): workers with their dated
grid assignments and weekly duty windows, and the case categories with their platforms and limits.

Imports are all-or-nothing (one transaction; a bad row names itself and nothing is written) and keep
history: an assignment that changes hands is ended, never overwritten, so routing at any past time
can be told. New cases see the change at once (the locator's roster version is bumped by triggers).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.cases.intake import check_text
from grids.catalogue import record_actor
from grids.codes import division_code, level_of
from grids.errors import GridsError, InvalidInput
from grids.models import CalendarDay, CaseCategory, Division, DutyWindow, Person, Worker, WorkerAssignment
from grids.models.base import ASSIGNMENT_KINDS, ESCALATION_LEVELS, PLATFORMS, WORKER_ROLES
from grids.users import Principal

CATEGORY_HEADERS = {
    "code": ("code", "编码", "类别编码"),
    "name_zh": ("name_zh", "名称", "类别名称"),
    "name_en": ("name_en", "英文名称"),
    "platform": ("platform", "platform_code", "平台"),
    "family": ("family", "类族"),
    "receive_hours": ("receive_hours", "受理时限"),
    "dispatch_hours": ("dispatch_hours", "分流时限"),
    "handle_hours": ("handle_hours", "处置时限"),
    "reply_hours": ("reply_hours", "回复时限"),
    "duplicate_radius_m": ("duplicate_radius_m", "查重半径"),
    "duplicate_window_hours": ("duplicate_window_hours", "查重时窗"),
    "escalation_level": ("escalation_level", "上报层级"),
    "working_hours": ("working_hours", "按工作日计时"),
}
WORKER_HEADERS = {
    "staff_no": ("staff_no", "工号"),
    "name": ("name", "姓名"),
    "phone": ("phone", "电话", "手机"),
    "role": ("role", "岗位"),
    "platform": ("platform", "平台"),
    "township": ("township", "乡镇"),
    "grid": ("grid", "grid_code", "网格编码"),
    "kind": ("kind", "assignment", "职责"),
    "valid_from": ("valid_from", "起始日期"),
    "duty": ("duty", "值班时间"),
}
_DUTY = re.compile(r"^([1-7])(?:-([1-7]))?\s+(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


def canonical(rows: list[dict[str, Any]], headers: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    """Rows keyed by canonical column names (English or Chinese headers accepted)."""
    alias = {a.lower(): name for name, aliases in headers.items() for a in aliases}
    return [{alias.get(str(k).strip().lower(), str(k)): v for k, v in row.items()} for row in rows]


def _cell(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def _need(row: dict[str, Any], name: str, line: int) -> str:
    value = _cell(row, name)
    if value is None:
        raise InvalidInput(f"row {line}: {name} is missing (第{line}行缺少{name})", field=name)
    check_text(**{name: value})
    return value


def _hours(row: dict[str, Any], name: str, line: int) -> float:
    raw = _need(row, name, line)
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidInput(f"row {line}: {name} {raw!r} is not a number (须为数字)", field=name) from exc
    if value < 0 or (name.endswith("_hours") and not name.startswith("duplicate") and value == 0):
        raise InvalidInput(f"row {line}: {name} must be positive (须为正数)", field=name)
    return value


def _flag(value: str | None, line: int) -> bool:
    yes, no = ("true", "1", "yes", "是", "y"), ("false", "0", "no", "否", "n", "")
    text = (value or "").strip().lower()
    if text not in yes + no:
        raise InvalidInput(
            f"row {line}: working_hours {value!r} is not yes or no (是/否)", field="working_hours"
        )
    return text in yes


def _one_of(value: str, allowed: tuple[str, ...], name: str, line: int) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"row {line}: {name} {value!r} is not one of {', '.join(allowed)} (取值有误)", field=name
        )
    return value


def import_categories(session: Session, *, rows: list[dict[str, Any]], caller: Principal) -> int:
    """Insert or update categories by code, each change kept as a version; returns the rows written."""
    rows = canonical(rows, CATEGORY_HEADERS)
    record_actor(session, caller=caller)
    errors: list[str] = []
    for line, row in enumerate(rows, start=2):
        try:
            code = _need(row, "code", line)
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", code):
                raise InvalidInput(
                    f"row {line}: code {code!r} must be lower-case letters, digits and _ (编码格式有误)"
                )
            values = {
                "name_zh": _need(row, "name_zh", line),
                "name_en": _cell(row, "name_en") or _need(row, "name_zh", line),
                "platform_code": _one_of(_need(row, "platform", line), PLATFORMS, "platform", line),
                "family": _cell(row, "family") or code,
                **{
                    h: _hours(row, h, line)
                    for h in ("receive_hours", "dispatch_hours", "handle_hours", "reply_hours")
                },
                "duplicate_radius_m": _hours(row, "duplicate_radius_m", line),
                "duplicate_window_hours": _hours(row, "duplicate_window_hours", line),
                "escalation_level": _one_of(
                    _cell(row, "escalation_level") or "township", ESCALATION_LEVELS, "escalation_level", line
                ),
                "working_hours": _flag(_cell(row, "working_hours"), line),
            }
        except GridsError as exc:
            errors.append(exc.message if exc.message.startswith("row ") else f"row {line}: {exc.message}")
            continue
        category = session.get(CaseCategory, code)
        if category is None:
            session.add(CaseCategory(code=code, **values))
        else:
            for key, value in values.items():
                setattr(category, key, value)
    _refuse(errors, len(rows))
    session.flush()
    return len(rows)


def _refuse(errors: list[str], total: int) -> None:
    if errors:
        shown = "; ".join(errors[:10])
        raise InvalidInput(
            f"{len(errors)} of {total} rows refused, nothing imported (未导入): {shown}", field="file"
        )


@dataclass(frozen=True)
class RosterSummary:
    """What a roster import changed."""

    workers_added: int
    workers_updated: int
    assignments_added: int
    assignments_ended: int


def _duty(raw: str | None, line: int) -> list[tuple[int, time, time]]:
    # "1-5 08:30-17:30; 6 09:00-12:00": weekdays (ISO, 1 = Monday) and local times.
    windows = []
    for part in filter(None, (p.strip() for p in (raw or "").replace("；", ";").split(";"))):
        m = _DUTY.match(part)
        if m is None:
            raise InvalidInput(
                f"row {line}: duty {part!r} is not like '1-5 08:30-17:30' (值班时间格式有误)", field="duty"
            )
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        starts, ends = time.fromisoformat(m.group(3).zfill(5)), time.fromisoformat(m.group(4).zfill(5))
        if ends <= starts or last < first:
            raise InvalidInput(f"row {line}: duty {part!r} runs backwards (值班时间有误)", field="duty")
        windows += [(day, starts, ends) for day in range(first, last + 1)]
    return windows


def _when(raw: str | None, line: int, now: datetime) -> datetime:
    if raw is None:
        return now
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"row {line}: valid_from {raw!r} is not a date (起始日期格式有误)", field="valid_from"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def import_roster(
    session: Session, *, rows: list[dict[str, Any]], caller: Principal, now: datetime | None = None
) -> RosterSummary:
    """Workers (by staff number) with one assignment per row, within the caller's jurisdiction; a
    changed primary ends the old one."""
    now = now or datetime.now(UTC)
    rows = canonical(rows, WORKER_HEADERS)
    errors: list[str] = []
    added = updated = assigned = ended = 0
    for line, row in enumerate(rows, start=2):
        try:
            staff_no = _need(row, "staff_no", line)
            role = _one_of(_need(row, "role", line), WORKER_ROLES, "role", line)
            platform = _cell(row, "platform")
            if (role == "platform_staff") != (platform is not None):
                raise InvalidInput(
                    f"row {line}: platform is given exactly for platform_staff (平台人员须填平台)"
                )
            if platform is not None:
                _one_of(platform, PLATFORMS, "platform", line)
            township = division_code(_need(row, "township", line), field="township")
            if level_of(township) != "township" or session.get(Division, township) is None:
                raise InvalidInput(f"row {line}: township {township} is not a known township (乡镇不存在)")
            if not caller.sees(township):
                raise InvalidInput(
                    f"row {line}: township {township} is outside your jurisdiction (乡镇不在辖区内)"
                )
            grid = _cell(row, "grid")
            kind = _cell(row, "kind") or ("platform" if role == "platform_staff" else "primary")
            _one_of(kind, ASSIGNMENT_KINDS, "kind", line)
            if grid is not None and not (
                grid.isdigit() and len(grid) == 15 and grid.startswith(township[:9])
            ):
                raise InvalidInput(
                    f"row {line}: grid {grid!r} is not a 15-digit grid code of the township (网格编码有误)"
                )
            since = _when(_cell(row, "valid_from"), line, now)
            windows = _duty(_cell(row, "duty"), line)
            worker = session.scalar(select(Worker).where(Worker.staff_no == staff_no))
            if worker is None:
                person = Person(full_name=_need(row, "name", line), phone=_cell(row, "phone"))
                session.add(person)
                session.flush()
                worker = Worker(
                    staff_no=staff_no,
                    person_id=person.id,
                    role=role,
                    platform_code=platform,
                    township_code=township,
                )
                session.add(worker)
                session.flush()
                added += 1
            else:
                worker.role, worker.platform_code, worker.township_code, worker.active = (
                    role,
                    platform,
                    township,
                    True,
                )
                known = session.get(Person, worker.person_id)
                if known is not None and _cell(row, "name"):
                    known.full_name, known.phone = str(_cell(row, "name")), _cell(row, "phone")
                updated += 1
            if windows:
                session.query(DutyWindow).filter(DutyWindow.worker_id == worker.id).delete()
                session.add_all(
                    DutyWindow(worker_id=worker.id, weekday=d, starts=s, ends=e) for d, s, e in windows
                )
            if grid is not None:
                opened, closed = open_assignment(
                    session, worker_id=worker.id, grid=grid, kind=kind, since=since
                )
                assigned, ended = assigned + (opened is not None), ended + closed
        except GridsError as exc:
            errors.append(exc.message if exc.message.startswith("row ") else f"row {line}: {exc.message}")
    _refuse(errors, len(rows))
    session.flush()
    return RosterSummary(added, updated, assigned, ended)


def open_assignment(
    session: Session, *, worker_id: int, grid: str, kind: str, since: datetime
) -> tuple[WorkerAssignment | None, int]:
    """Open an assignment unless the same one is open (then None); a new primary ends the previous
    primary's. Returns the new assignment and how many were ended."""
    current = session.scalar(
        select(WorkerAssignment.id).where(
            WorkerAssignment.worker_id == worker_id,
            WorkerAssignment.grid_code == grid,
            WorkerAssignment.kind == kind,
            WorkerAssignment.valid_to.is_(None),
        )
    )
    if current is not None:
        return None, 0
    ended = 0
    if kind == "primary":
        result = session.execute(
            text(
                "UPDATE worker_assignments SET valid_to = greatest(:since, valid_from + interval '1 second') "
                "WHERE grid_code = :grid AND kind = 'primary' AND (valid_to IS NULL OR valid_to > :since)"
            ),
            {"grid": grid, "since": since},
        )
        ended = int(getattr(result, "rowcount", 0) or 0)
    assignment = WorkerAssignment(worker_id=worker_id, grid_code=grid, kind=kind, valid_from=since)
    session.add(assignment)
    session.flush()
    return assignment, ended


def import_calendar(session: Session, *, rows: list[dict[str, Any]]) -> int:
    """Holidays and make-up working days (day, working yes/no, name), replacing those days' entries."""
    rows = canonical(
        rows, {"day": ("day", "date", "日期"), "working": ("working", "上班"), "name": ("name", "名称")}
    )
    errors, days = [], []
    for line, row in enumerate(rows, start=2):
        try:
            raw = _need(row, "day", line)
            try:
                day = date.fromisoformat(raw[:10])
            except ValueError as exc:
                raise InvalidInput(
                    f"row {line}: day {raw!r} is not a date such as 2026-10-01 (日期格式有误)"
                ) from exc
            days.append(
                CalendarDay(
                    day=day, working=_flag(_cell(row, "working"), line), name=_cell(row, "name") or ""
                )
            )
        except GridsError as exc:
            errors.append(exc.message if exc.message.startswith("row ") else f"row {line}: {exc.message}")
    _refuse(errors, len(rows))
    for entry in days:
        session.merge(entry)
    session.flush()
    return len(days)
