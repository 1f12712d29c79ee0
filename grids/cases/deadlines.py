"""Stage deadlines: each stage's time limit counted on from the previous stage's, in calendar hours or,
for categories that say so, in working hours (Monday–Friday 08:30–12:00 and 13:30–17:30 Asia/Shanghai)
on the holiday calendar (public holidays off, make-up working days on)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.models import CaseCategory

STAGES = ("receive", "dispatch", "handle", "reply")
"""信息接收, 分流交办, 执行处置, 回复反馈 — the timed stages, in order."""

LOCAL = ZoneInfo("Asia/Shanghai")
WORKING_PERIODS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


@dataclass(frozen=True)
class WorkCalendar:
    """Days that break the Monday–Friday week."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def working(self, day: date) -> bool:
        """Whether `day` is a working day."""
        if day in self.workdays:
            return True
        return day.isoweekday() <= 5 and day not in self.holidays

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start`."""
        left = timedelta(hours=hours)
        now = start.astimezone(LOCAL)
        for _ in range(3660):  # ten years of days: a limit no category comes near
            if self.working(now.date()):
                for opens, closes in WORKING_PERIODS:
                    begin = max(now, datetime.combine(now.date(), opens, LOCAL))
                    end = datetime.combine(now.date(), closes, LOCAL)
                    if begin < end:
                        if begin + left <= end:
                            return (begin + left).astimezone(start.tzinfo)
                        left -= end - begin
            now = datetime.combine(now.date() + timedelta(days=1), time(0), LOCAL)
        raise ValueError(f"{hours} working hours do not fit in ten years")


CALENDAR = (
    "SELECT coalesce(array_agg(day) FILTER (WHERE NOT working), '{}') AS holidays,"
    " coalesce(array_agg(day) FILTER (WHERE working), '{}') AS workdays FROM calendar_days"
)
"""SQL: the holiday calendar as one row, days off and make-up working days (also a subquery)."""


def calendar_of(holidays: list[date], workdays: list[date]) -> WorkCalendar:
    """The calendar from the two lists `CALENDAR` gives."""
    return WorkCalendar(frozenset(holidays), frozenset(workdays))


def load_calendar(session: Session) -> WorkCalendar:
    """The holiday calendar as stored."""
    holidays, workdays = session.execute(text(CALENDAR)).one()
    return calendar_of(holidays, workdays)


@dataclass(frozen=True)
class Deadlines:
    """When each stage is due."""

    receive_due: datetime
    dispatch_due: datetime
    handle_due: datetime
    reply_due: datetime


def deadlines(category: CaseCategory, received_at: datetime, calendar: WorkCalendar) -> Deadlines:
    """Each stage's deadline from receipt, in the category's calendar or working hours."""
    due = received_at
    dues = []
    for stage in STAGES:
        hours = getattr(category, f"{stage}_hours")
        due = calendar.add(due, hours) if category.working_hours else due + timedelta(hours=hours)
        dues.append(due)
    return Deadlines(*dues)
