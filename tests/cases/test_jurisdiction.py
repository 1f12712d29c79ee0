"""A jurisdiction's cases: read by ranges of codes through indexes, and exactly the cases the rule
names (the case's deepest division, village, else township, else the division whose queue holds
it, lies in the caller's scope; so a village's account sees its village's cases).
The overdue list, the assessment, the coverage summary and the worker list read the same way."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from grids.cases.assessment import assess
from grids.cases.intake import CaseInput, receive_case
from grids.cases.lifecycle import ActionInput, act
from grids.cases.queries import CaseFilters, list_cases, where_visible
from grids.cases.supervision import overdue
from grids.cases.workers import list_workers
from grids.codes import prefix
from grids.coverage.summary import summarise
from grids.errors import Conflict, InvalidInput
from grids.features import Selection, page_features
from grids.models import Case, CaseIntakeKey
from grids.users import Principal
from tests.cases.helpers import grid_points
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
        expected = {
            c.id for c in cases if (c.village_code or c.township_code or c.county_code).startswith(head)
        }
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
    deepest = [c.village_code or c.township_code or c.county_code for c in cases]
    sizes = [sum(code.startswith(prefix(s)) for code in deepest) for s in scopes]
    assert sizes[0] == len(cases) and min(sizes[1:]) > 0 and max(sizes[1:]) < len(cases)


def test_a_resent_case_is_found_within_the_jurisdiction_and_refused_outside(
    demo_url_fresh: str, demo: Demo, session_on
) -> None:
    db = session_on(demo_url_fresh)
    here, elsewhere = demo.summary.township_codes[:2]
    _, lon, lat = grid_points(demo_url_fresh, here)[0]
    data = CaseInput(
        "hotline12345", "RESENT-1", "environmental_sanitation", "测试", NOW - timedelta(hours=1), lon, lat
    )
    made = receive_case(db, data=data, caller=_desk(db, here), now=NOW).case
    db.commit()
    assert made.village_code is not None and made.jurisdiction_code == made.village_code
    again = receive_case(db, data=data, caller=_desk(db, made.village_code), now=NOW)
    assert (again.created, again.case.id) == (False, made.id)  # the village's own account finds it
    with pytest.raises(Conflict, match="其他辖区"):
        receive_case(db, data=data, caller=_desk(db, elsewhere), now=NOW)
    db.rollback()
    assert db.scalar(text("SELECT count(*) FROM case_intake_keys WHERE external_id = 'RESENT-1'")) == 1


def test_a_case_the_city_took_in_is_on_the_map_of_the_county_it_is_pinned_into(
    demo_url_fresh: str, demo: Demo, session_on
) -> None:
    db = session_on(demo_url_fresh)
    city, (home, other) = demo.summary.city_code, demo.summary.county_codes[:2]
    townships = {
        county: [t for t in demo.summary.township_codes if t[:6] == county[:6]] for county in (home, other)
    }
    _queued(db, city, "PIN-CITY")
    _queued(db, home, "PIN-COUNTY")
    db.commit()
    queued = {
        key: db.scalar(select(CaseIntakeKey.case_id).where(CaseIntakeKey.external_id == key))
        for key in ("PIN-CITY", "PIN-COUNTY")
    }
    desk = _desk(db, city)
    _, lon, lat = grid_points(demo_url_fresh, townships[home][0])[0]
    _, far_lon, far_lat = grid_points(demo_url_fresh, townships[other][0])[0]
    with pytest.raises(InvalidInput, match="受理区域") as refused:  # taken in by `home`: pinned there
        act(
            db,
            case_id=queued["PIN-COUNTY"],
            action=ActionInput("pin", lon=far_lon, lat=far_lat),
            caller=desk,
            now=NOW,
        )
    assert refused.value.field == "lon"
    db.rollback()
    pinned = act(
        db, case_id=queued["PIN-CITY"], action=ActionInput("pin", lon=lon, lat=lat), caller=desk, now=NOW
    ).case
    db.commit()
    assert (pinned.county_code, pinned.township_code[:6]) == (city, home[:6])
    seen = {
        scope: {int(row.fid) for row in page_features(
            db, selection=Selection("cases", scope=scope), properties=["status"], geometry="crs84",
            limit=100_000, offset=0,
        )}
        for scope in (city, home, other, pinned.township_code, pinned.village_code)
    }  # fmt: skip
    assert pinned.id in seen[city] and pinned.id in seen[home] and pinned.id not in seen[other]
    assert pinned.id in seen[pinned.township_code] and pinned.id in seen[pinned.village_code]
    for scope in (city, home, other):  # the map holds what the lists hold
        listed = set(
            db.scalars(select(Case.id).where(where_visible(_desk(db, scope)), Case.geom.is_not(None)))
        )
        assert seen[scope] == listed, scope
    with pytest.raises(InvalidInput, match="转办限本区域内乡镇") as refused:
        moved = ActionInput("transfer", township=townships[other][0][:9], reason="属地错误")
        act(db, case_id=_located(db, home), action=moved, caller=desk, now=NOW)
    assert refused.value.field == "township"


def _located(db: Session, county: str) -> int:
    """A received case the county took in."""
    return db.scalar(
        select(Case.id)
        .where(Case.county_code == county, Case.status == "received")
        .order_by(Case.id)
        .limit(1)
    )


def _reads_of(db: Session, read: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements `read` sends, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return sent


def test_a_jurisdiction_is_read_through_indexes_not_by_scanning_every_case(
    demo_url: str, demo: Demo, session_on
) -> None:
    db = session_on(demo_url)
    township = demo.summary.township_codes[0]
    desk = _desk(db, township)
    month = {"start": NOW - timedelta(days=30), "end": NOW}
    reads = {
        "case list": lambda: list_cases(db, caller=desk, filters=CaseFilters(), now=NOW),
        "overdue list": lambda: overdue(db, caller=desk, now=NOW, within_hours=24, by="township"),
        "assessment": lambda: assess(db, caller=desk, level="township", now=NOW, **month),
        "coverage summary": lambda: summarise(db, caller=desk, level="village", at=NOW, **month),
        "worker list": lambda: list_workers(db, caller=desk),
    }
    cursor = db.connection().connection.cursor()
    cursor.execute("SET enable_seqscan = off")  # a table is then read whole only if nothing else can
    low = prefix(township).ljust(12, "0")
    for name, read in reads.items():
        sent = [(sql, p) for sql, p in _reads_of(db, read) if re.search(r"\b(cases|workers)\b", sql)]
        plans = []
        for sql, params in sent:
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row for (row,) in cursor.fetchall()))
            assert not re.search(r"Seq Scan on (cases|workers)\b", plans[-1]), (name, sql, plans[-1])
        # the jurisdiction itself is an index condition, not a filter over a whole index's rows
        assert any(f"Index Cond: ((township_code >= '{low}'" in plan for plan in plans), (name, plans)
        if name == "case list":  # the cases waiting in a queue without a township: the partial index
            assert any("Bitmap Index Scan on ix_cases_queue" in plan for plan in plans), plans
