"""A case in hand gives the view a read gives (`view_of` against `get_case`): coordinates, the running
stage's deadline and whether it is overdue, for demo cases of every status, located or not; and the
prepared intake statement that hands over the stored case outlives a schema change."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from grids.cases.intake import CaseInput, receive_case
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


def test_intake_survives_a_column_added_while_prepared(demo_url_fresh: str, session_on) -> None:
    """Intake runs as a statement prepared per connection; a column added to `cases` or
    `case_categories` afterwards (a migration under a running server) leaves what it reads as it
    was, so intake goes on."""
    db = session_on(demo_url_fresh)
    lon, lat = db.execute(
        text(
            "SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grids g "
            "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' ORDER BY g.code LIMIT 1"
        )
    ).one()
    reported = datetime.now(UTC) - timedelta(hours=1)

    def take(n: int) -> Case:
        data = CaseInput("hotline12345", f"PREP-{n}", "dispute", "邻里纠纷（测试）", reported, lon, lat)
        case = receive_case(db, data=data, caller=OPERATOR).case
        db.commit()
        return case

    first = take(1)
    with db.get_bind().connect() as other:
        other.execute(text("ALTER TABLE cases ADD COLUMN later_note text"))
        other.execute(text("ALTER TABLE case_categories ADD COLUMN later_note text"))
        other.commit()
    second = take(2)
    assert second.id > first.id and second.grid_code == first.grid_code
    assert (
        db.scalar(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO cases%'")
        )
        == 1
    )
