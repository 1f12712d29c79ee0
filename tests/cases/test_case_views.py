"""A case in hand gives the view a read gives (`view_of` against `get_case`): coordinates, the running
stage's deadline and whether it is overdue, for demo cases of every status, located or not."""

from datetime import UTC, datetime

from sqlalchemy import select

from grids.cases.queries import get_case, view_of
from grids.models import Case
from tests.cases.conftest import OPERATOR


def test_view_of_a_case_in_hand_equals_a_read(demo_url: str, session_on) -> None:
    db = session_on(demo_url)
    statuses = db.scalars(select(Case.status).distinct()).all()
    assert len(statuses) >= 6
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    checked, overdue = 0, set()
    for status in statuses:
        for case in db.scalars(select(Case).where(Case.status == status).order_by(Case.id).limit(20)):
            read = get_case(db, case_id=case.id, caller=OPERATOR, now=now)
            held = view_of(case, now)
            assert (held.lon, held.lat, held.due, held.overdue) == (
                read.lon,
                read.lat,
                read.due,
                read.overdue,
            )
            checked += 1
            overdue.add(held.overdue)
    assert checked >= 60 and overdue == {True, False}
    unlocated = db.scalars(select(Case).where(Case.geom.is_(None)).limit(5)).all()
    assert unlocated and all(view_of(case, now).lon is None for case in unlocated)
