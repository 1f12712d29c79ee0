"""Working-hour limits on the holiday calendar, checked against hand-counted times."""

import csv
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from grids.cases.deadlines import WorkCalendar
from grids.cases.intake import CaseInput, receive_case
from tests.cases.conftest import OPERATOR
from tests.cases.helpers import grid_points
from tests.conftest import Demo

SH = ZoneInfo("Asia/Shanghai")
GRIDS = str(Path(sys.executable).with_name("grids"))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in November 2026 (the 27th is a Friday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


@pytest.mark.parametrize(
    "start, hours, calendar, expected",
    [
        (at(27, 16), 1, WorkCalendar(), at(27, 17)),
        (at(27, 16), 2.5, WorkCalendar(), at(30, 9, 30)),  # 1.5 h on Friday, 1 h on Monday
        (
            at(27, 16),
            2.5,
            WorkCalendar(holidays=frozenset({date(2026, 11, 30)})),
            datetime(2026, 12, 1, 9, 30, tzinfo=SH),
        ),
        (
            at(27, 16),
            2.5,
            WorkCalendar(workdays=frozenset({date(2026, 11, 28)})),
            at(28, 9, 30),
        ),  # 调休 Saturday
        (at(30, 11, 30), 1, WorkCalendar(), at(30, 14)),  # half an hour before lunch, half after
        (at(30, 7), 0.5, WorkCalendar(), at(30, 9)),  # the clock starts at 08:30
        (at(30, 8, 30), 7.5 * 5, WorkCalendar(), datetime(2026, 12, 4, 17, 30, tzinfo=SH)),  # a whole week
    ],
)
def test_working_hours(start: datetime, hours: float, calendar: WorkCalendar, expected: datetime) -> None:
    """Counted only in working periods of working days."""
    assert calendar.add(start, hours) == expected


def test_a_working_hour_category_uses_the_stored_calendar(
    demo_url_fresh: str, demo: Demo, tmp_path: Path, session_on
) -> None:
    """Categories and holidays imported from files; a case received on Friday afternoon is due after the holiday."""
    env = {**os.environ, "GRIDS_DATABASE_URL": demo_url_fresh}
    categories = tmp_path / "c.csv"
    with categories.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                [
                    "code",
                    "name_zh",
                    "platform",
                    "receive_hours",
                    "dispatch_hours",
                    "handle_hours",
                    "reply_hours",
                    "duplicate_radius_m",
                    "duplicate_window_hours",
                    "working_hours",
                ],
                ["licence_processing", "证照办理", "services", 1, 1, 8, 4, 0, 0, "是"],
            ]
        )
    holidays = tmp_path / "h.csv"
    with holidays.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["日期", "上班", "名称"], ["2026-11-30", "否", "测试假日"]])
    for args in (["categories", "import", str(categories)], ["categories", "holidays", str(holidays)]):
        done = subprocess.run([GRIDS, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    _, lon, lat = grid_points(demo_url_fresh, demo.summary.township_codes[0])[0]
    db = session_on(demo_url_fresh)
    received = at(27, 16)
    data = CaseInput(
        "zwfw", "WH-1", "licence_processing", "证照咨询", received - timedelta(minutes=5), lon, lat
    )
    case = receive_case(db, data=data, caller=OPERATOR, now=received).case
    assert case.receive_due == at(27, 17)
    assert case.dispatch_due == datetime(
        2026, 12, 1, 9, 0, tzinfo=SH
    )  # 17:00–17:30 Friday, Tuesday 08:30–09:00
    assert case.handle_due == datetime(2026, 12, 2, 9, 30, tzinfo=SH)  # 7.5 h on Tuesday, 0.5 h on Wednesday
    assert case.reply_due == datetime(2026, 12, 2, 15, 0, tzinfo=SH)  # 2.5 h before lunch, 1.5 h after
    db.rollback()
