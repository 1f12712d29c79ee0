"""Assessment (考核) per township, platform or worker: per stage the cases done, on time and the open
ones already late, with the on-time rate; close rate, return rate, mean handling time. Also as an
Excel sheet with Chinese headers for the monthly bulletin (staff numbers only: no personal data)."""

import io
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.cases.deadlines import STAGES
from grids.cases.supervision import unit_names
from grids.codes import prefix, subtree_span
from grids.errors import InvalidInput
from grids.moments import check_moment
from grids.users import Principal

LEVELS = ("township", "platform", "worker")
_SQL = text(resources.files("grids").joinpath("sql/cases_assessment.sql").read_text(encoding="utf-8"))
STAGE_ZH = {"receive": "受理", "dispatch": "分流交办", "handle": "处置", "reply": "回复反馈"}


@dataclass(frozen=True)
class StageFigures:
    """One stage of one unit: done, of which on time, open and late; the on-time rate."""

    done: int
    on_time: int
    open_late: int

    @property
    def on_time_rate(self) -> float | None:
        """On time over (done + open and late); None when nothing counts."""
        total = self.done + self.open_late
        return None if total == 0 else self.on_time / total


@dataclass(frozen=True)
class UnitFigures:
    """The figures of one township, platform or worker."""

    key: str
    name: str
    cases: int
    stages: dict[str, StageFigures]
    closed: int
    closable: int
    returned: int
    dispatched: int
    mean_handling_hours: float | None

    @property
    def close_rate(self) -> float | None:
        """Closed over cases that can be closed (not merged, rejected or transferred)."""
        return None if self.closable == 0 else self.closed / self.closable

    @property
    def return_rate(self) -> float | None:
        """Cases returned at least once over cases dispatched."""
        return None if self.dispatched == 0 else self.returned / self.dispatched


def assess(
    session: Session, *, caller: Principal, level: str, start: datetime, end: datetime, now: datetime
) -> list[UnitFigures]:
    """Figures of the cases received in [start, end) within the caller's jurisdiction, per unit."""
    if level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVELS)} (考核层级有误)", field="level")
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(
            "from and to need a time zone, e.g. 2026-11-01T00:00:00+08:00 (须带时区)", field="from"
        )
    check_moment(start, field="from")
    check_moment(end, field="to")
    if end <= start:
        raise InvalidInput("to must come after from (结束时间须晚于开始时间)", field="to")
    low, high = subtree_span("" if caller.scope_code is None else prefix(caller.scope_code))
    params = {"level": level, "from": start, "to": end, "now": now, "low": low, "high": high}
    rows = session.execute(_SQL, params).all()
    names = unit_names(session, level, [str(r.unit) for r in rows if r.unit is not None])
    figures = []
    for r in rows:
        m = r._mapping
        stages = {s: StageFigures(m[f"{s}_done"], m[f"{s}_on_time"], m[f"{s}_open_late"]) for s in STAGES}
        key = str(r.unit or "")
        figures.append(
            UnitFigures(
                key=key,
                name=names.get(key, key or "未分配"),
                cases=r.cases,
                stages=stages,
                closed=r.closed,
                closable=r.closable,
                returned=r.returned,
                dispatched=stages["dispatch"].done,
                mean_handling_hours=None if r.mean_handling_hours is None else float(r.mean_handling_hours),
            )
        )
    return figures


def workbook(figures: list[UnitFigures], *, level: str, start: datetime, end: datetime) -> bytes:
    """The figures as an .xlsx sheet with Chinese headers."""
    from openpyxl import Workbook  # loaded only for the export: it takes a while to import

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "考核"
    unit = {"township": "乡镇（街道）", "platform": "平台", "worker": "人员工号"}[level]
    sheet.append([f"事件办理考核 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"])
    header = [unit, "编码", "事件数"]
    for s in STAGES:
        header += [
            f"{STAGE_ZH[s]}完成数",
            f"{STAGE_ZH[s]}按时数",
            f"{STAGE_ZH[s]}超期未办",
            f"{STAGE_ZH[s]}按时率",
        ]
    sheet.append([*header, "结案率", "退回率", "平均处置时长（小时）"])
    for f in figures:
        row: list[object] = [f.name, f.key, f.cases]
        for s in STAGES:
            st = f.stages[s]
            row += [st.done, st.on_time, st.open_late, _pct(st.on_time_rate)]
        hours = None if f.mean_handling_hours is None else round(f.mean_handling_hours, 1)
        sheet.append([*row, _pct(f.close_rate), _pct(f.return_rate), hours])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"
