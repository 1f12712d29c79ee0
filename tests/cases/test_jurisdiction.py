"""A jurisdiction's cases: read by ranges of codes through indexes, and exactly the cases the rule
names (the case's township, else the division whose queue holds it, lies in the caller's scope).
The assessment and the coverage summary read their cases the same way."""

from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.cases.intake import CaseInput, receive_case
from grids.cases.queries import CaseFilters, list_cases, where_visible
from grids.codes import prefix, subtree_span
from grids.models import Case
from grids.users import Principal
from tests.conftest import Demo

NOW = datetime.now(UTC).replace(microsecond=0)


def _desk(db: Session, scope: str) -> Principal:
    admin = db.scalar(text("SELECT id FROM users WHERE name = 'demo-admin'"))
    return Principal(admin, "demo-admin", "admin", scope, None)


def _queued(db: Session, scope: str, external_id: str) -> None:
    """An address-only case waiting in `scope`'s queue, with no township."""
    data = CaseInput(
        "hotline12345", external_id, "environmental_sanitation", "地址待核实（测试）",
        NOW - timedelta(hours=1), address="某路1号",
    )  # fmt: skip
    receive_case(db, data=data, caller=_desk(db, scope), now=NOW)


def test_a_jurisdiction_holds_exactly_the_cases_of_its_codes(
    demo_url_fresh: str, demo: Demo, session_on
) -> None:
    db = session_on(demo_url_fresh)
    city, counties = demo.summary.city_code, demo.summary.county_codes
    _queued(db, city, "Q-CITY")
    _queued(db, counties[0], "Q-COUNTY")
    db.commit()
    cases = db.execute(select(Case.id, Case.township_code, Case.county_code, Case.village_code)).all()
    assert {c.county_code for c in cases if c.township_code is None} >= {city, counties[0]}
    villages = sorted({c.village_code for c in cases if c.village_code is not None})
    scopes = [city, *counties, *demo.summary.township_codes, villages[0]]
    for scope in scopes:
        head = prefix(scope)
        expected = {c.id for c in cases if (c.township_code or c.county_code).startswith(head)}
        visible = set(db.scalars(select(Case.id).where(where_visible(_desk(db, scope)))))
        assert visible == expected, scope
    everyone = _desk(db, city)
    for division in [c[:6] for c in counties] + [t[:9] for t in demo.summary.township_codes] + villages[:3]:
        expected = {
            c.id
            for c in cases
            if (c.village_code or "").startswith(division)
            or (c.township_code or c.county_code).startswith(division)
        }
        views, total = list_cases(
            db, caller=everyone, filters=CaseFilters(division=division), now=NOW, limit=len(cases)
        )
        assert ({v.case.id for v in views}, total) == (expected, len(expected)), division
    sizes = [
        len({c.id for c in cases if (c.township_code or c.county_code).startswith(prefix(s))}) for s in scopes
    ]
    assert sizes[0] == len(cases) and min(sizes[1:-1]) > 0 and max(sizes[1:]) < len(cases)


def _plan(db: Session, sql: str, params: dict[str, Any] | None = None) -> str:
    return "\n".join(db.execute(text(f"EXPLAIN {sql}"), params or {}).scalars())


def test_a_jurisdiction_is_read_through_indexes_not_by_scanning_every_case(
    demo_url: str, demo: Demo, session_on
) -> None:
    db = session_on(demo_url)
    db.execute(
        text("SET enable_seqscan = off")
    )  # a scan of every case is then taken only if nothing else can
    township = demo.summary.township_codes[0]
    listed = select(Case.id).where(where_visible(_desk(db, township)))
    plan = _plan(db, str(listed.compile(db.get_bind(), compile_kwargs={"literal_binds": True})))
    assert "Seq Scan on cases" not in plan, plan
    assert "ix_cases_township_code" in plan and "ix_cases_queue" in plan, plan
    low, high = subtree_span(prefix(township))
    window = {"from": NOW - timedelta(days=30), "to": NOW, "now": NOW, "at": NOW, "low": low, "high": high}
    for name, params in (
        ("cases_assessment", {"level": "township"}),
        ("coverage_summary", {"level": "village", "digits": 12, "scope": prefix(township) + "%"}),
    ):
        sql = resources.files("grids").joinpath(f"sql/{name}.sql").read_text(encoding="utf-8")
        plan = _plan(db, sql, window | params)
        assert "Seq Scan on cases" not in plan, (name, plan)
