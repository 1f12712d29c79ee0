"""Publishing: refused while anything blocks, a dry run by default, atomic, re-homing every open case to
the grid an independent shapely point-in-polygon gives, carrying assignments over by code."""

import threading
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.diff import diff_draft
from grids.boundaries.publish import publish_draft
from grids.db import make_engine, session_factory
from grids.errors import Conflict, IntegrityViolation
from grids.models.cases import CLOSED_STATUSES
from tests.boundaries.conftest import OPERATOR
from tests.boundaries.redraw import Grid, county_draft, neighbours, put, reshape
from tests.conftest import Demo


@pytest.fixture
def session(demo_url_fresh: str) -> Iterator[Session]:
    """A session on a fresh copy of the demo city."""
    engine = make_engine(demo_url_fresh, pool_size=4)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


def redraw(session: Session, grids: list[Grid], busy: set[str] | None = None) -> tuple[list[str], Grid, Grid]:
    """Reshape two pairs of neighbours and merge a third pair (its first grid, one of `busy` if given, goes)."""
    reshaped: list[str] = []
    pairs = neighbours(grids)
    used: set[str] = set()
    for a, b in pairs:
        if {a.code, b.code} & used:
            continue
        cut = reshape(a, b)
        if cut is not None:
            put(session, a.id, cut[0])
            put(session, b.id, cut[1])
            reshaped += [a.code, b.code]
            used |= {a.code, b.code}
        if len(reshaped) == 4:
            break
    gone, keeper = next(
        (a, b) for a, b in pairs if not {a.code, b.code} & used and (busy is None or a.code in busy)
    )
    put(session, keeper.id, shapely.coverage_union(gone.geom, keeper.geom))
    session.execute(text("DELETE FROM grids WHERE id = :id"), {"id": gone.id})
    assert len(reshaped) == 4
    return reshaped, gone, keeper


def open_cases(session: Session, county: str) -> list[tuple]:
    """Open located cases of a county: id, grid, worker, how assigned, point."""
    return session.execute(
        text(
            "SELECT id, grid_code, worker_id, assigned_by, ST_X(geom), ST_Y(geom) FROM cases "
            "WHERE county_code = :c AND geom IS NOT NULL AND NOT status = ANY(:closed) ORDER BY id"
        ),
        {"c": county, "closed": list(CLOSED_STATUSES)},
    ).all()


def active_grids(session: Session) -> tuple[list[str], np.ndarray]:
    """Codes and shapes of every active grid, in code order."""
    rows = session.execute(
        text(
            "SELECT g.code, ST_AsBinary(g.geom) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
            "WHERE ge.status = 'active' ORDER BY g.code"
        )
    ).all()
    return [r[0] for r in rows], np.array([shapely.from_wkb(bytes(r[1])) for r in rows], dtype=object)


def test_publish_rehomes_every_open_case(session: Session, demo: Demo) -> None:
    """After a redraw, each open case lies in the grid shapely's point-in-polygon finds (lowest code on
    an edge), with that grid's primary worker and one `rehome` event; the removed code's duties end."""
    county = demo.summary.county_codes[0]
    draft, grids = county_draft(session, county, "重划甲县")
    before = {r[0]: r for r in open_cases(session, county)}
    reshaped, gone, keeper = redraw(session, grids, busy={r[1] for r in before.values()})
    old_generation = session.execute(
        text("SELECT id FROM generations WHERE status = 'active' AND scope_code = :c"), {"c": county}
    ).scalar_one()

    result = publish_draft(session, ref=draft.id, caller=OPERATOR, commit=True)
    session.commit()

    assert result.committed and result.retired_generations == [old_generation]
    assert result.counts["reshaped"] >= 5 and result.counts["removed"] == 1 and result.counts["added"] >= 1, (
        result.counts
    )
    statuses = dict(
        session.execute(
            text("SELECT id, status FROM generations WHERE id IN (:a, :b)"),
            {"a": draft.id, "b": old_generation},
        ).all()
    )
    assert statuses == {draft.id: "active", old_generation: "retired"}
    codes, shapes = active_grids(session)
    assert gone.code not in codes and keeper.code in codes and set(reshaped) <= set(codes)
    for code in result.numbered:
        assert code in codes and code in result.grids_without_worker
    tree = shapely.STRtree(shapes)
    after = open_cases(session, county)
    points = shapely.points([(r[4], r[5]) for r in after])
    which, grid = tree.query(points, predicate="covered_by")
    lowest: dict[int, str] = {}
    for w, g in zip(which.tolist(), grid.tolist(), strict=True):
        lowest[w] = min(lowest.get(w, codes[g]), codes[g])
    checked = 0
    for i, row in enumerate(after):
        if row[3] in ("pinned", "manual") or i not in lowest:
            continue
        assert row[1] == lowest[i], row
        checked += 1
    assert checked > 0.9 * len(after)
    events = dict(
        session.execute(
            text("SELECT case_id, data FROM case_events WHERE action = 'rehome' AND county_code = :c"),
            {"c": county},
        ).all()
    )
    assert len(events) == result.cases_rehomed > 0
    for case_id, data in events.items():
        old = before[case_id]
        now = next(r for r in after if r[0] == case_id)
        assert (data["from_grid"], data["to_grid"]) == (old[1], now[1]) and old[1] != now[1]
        assert now[3] in ("republished", "outside")
    assert any(before[c][1] == gone.code for c in events)
    primary = dict(
        session.execute(
            text(
                "SELECT grid_code, worker_id FROM worker_assignments WHERE kind = 'primary' AND valid_to IS NULL"
            )
        ).all()
    )
    for case_id in events:
        now = next(r for r in after if r[0] == case_id)
        assert now[2] == primary.get(now[1])
    live = session.execute(
        text("SELECT count(*) FROM worker_assignments WHERE grid_code = :g AND valid_to IS NULL"),
        {"g": gone.code},
    ).scalar_one()
    assert live == 0 and result.assignments_ended > 0


def test_blocking_draft_is_refused_and_nothing_changes(session: Session, demo: Demo) -> None:
    """A copy of a county with its planted gap still open: publishing is refused and writes nothing."""
    from grids.boundaries.drafts import draft_from_active

    county = demo.summary.county_codes[1]
    draft, _ = draft_from_active(session, scope=county, name="带缺口", caller=OPERATOR)
    session.commit()
    with pytest.raises(Conflict, match="gap 1"):
        publish_draft(session, ref=draft.id, caller=OPERATOR, commit=True)
    session.rollback()
    status = session.execute(
        text("SELECT status FROM generations WHERE id = :g"), {"g": draft.id}
    ).scalar_one()
    assert status == "draft"
    assert session.execute(text("SELECT count(*) FROM case_events WHERE action = 'rehome'")).scalar_one() == 0


def test_dry_run_writes_nothing_and_agrees_with_the_diff(session: Session, demo: Demo) -> None:
    """Without commit nothing changes; the dry run's cases are the diff's."""
    county = demo.summary.county_codes[2]
    draft, grids = county_draft(session, county, "试运行")
    redraw(session, grids)
    session.commit()
    before = session.execute(
        text("SELECT md5(string_agg(c::text, '|' ORDER BY county_code, id)) FROM cases c")
    ).scalar()
    result = publish_draft(session, ref=draft.id, caller=OPERATOR)
    session.commit()
    assert not result.committed and result.diff is not None
    diff = diff_draft(session, generation=draft, caller=OPERATOR)
    assert [m.case_id for m in result.diff.cases] == [m.case_id for m in diff.cases] and diff.cases
    after = session.execute(
        text("SELECT md5(string_agg(c::text, '|' ORDER BY county_code, id)) FROM cases c")
    ).scalar()
    assert before == after
    assert (
        session.execute(text("SELECT status FROM generations WHERE id = :g"), {"g": draft.id}).scalar()
        == "draft"
    )


def test_township_draft_carries_the_rest_of_its_county(session: Session, demo: Demo) -> None:
    """A township's redraw replaces the county generation; the county's other grids carry over unchanged."""
    county = demo.summary.county_codes[0]
    township = next(t for t in demo.summary.township_codes if t.startswith(county[:6]))
    before = set(active_grids(session)[0])
    draft, grids = county_draft(session, township, "乡镇重划")
    reshape_pair = next(cut for a, b in neighbours(grids) if (cut := reshape(a, b)) is not None)
    a, b = next((a, b) for a, b in neighbours(grids) if reshape(a, b) == reshape_pair)
    put(session, a.id, reshape_pair[0])
    put(session, b.id, reshape_pair[1])
    result = publish_draft(session, ref=draft.id, caller=OPERATOR, commit=True)
    session.commit()
    assert result.scope_code == county and result.counts["reshaped"] == 2
    after = set(active_grids(session)[0])
    assert after - before == set(result.numbered)


def test_database_refuses_overlaps_from_any_writer(session: Session, demo: Demo) -> None:
    """An edit of an active grid that overlaps its neighbour (as from QGIS) is refused by the database."""
    codes, shapes = active_grids(session)
    neighbour = next(j for j in range(1, len(codes)) if shapes[0].intersection(shapes[j]).length > 0)
    bigger = shapely.union(shapes[0], shapely.buffer(shapes[neighbour].representative_point(), 0.001))
    from sqlalchemy.exc import DBAPIError

    from grids.db import translate

    with pytest.raises(IntegrityViolation, match="overlaps"):
        try:
            session.execute(
                text(
                    "UPDATE grids SET geom = ST_Multi(ST_GeomFromWKB(:w, 4490)) WHERE code = :c AND generation_id IN "
                    "(SELECT id FROM generations WHERE status = 'active')"
                ),
                {"w": shapely.to_wkb(bigger), "c": codes[0]},
            )
        except DBAPIError as exc:
            raise translate(exc) from exc


def test_concurrent_publishes_serialise(demo_url_fresh: str, demo: Demo) -> None:
    """Two planners publish two drafts of one county at once: both finish, one after the other, and
    the county ends with one active generation and no overlap."""
    engine = make_engine(demo_url_fresh, pool_size=4)
    county = demo.summary.county_codes[1]
    drafts = []
    with session_factory(engine)() as s:
        for name in ("甲稿", "乙稿"):
            draft, _ = county_draft(s, county, name)
            drafts.append(draft.id)
        s.commit()
    errors: list[BaseException] = []

    def run(draft_id: int) -> None:
        try:
            with session_factory(engine)() as s, s.begin():
                publish_draft(s, ref=draft_id, caller=OPERATOR, commit=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with session_factory(engine)() as s:
        active = (
            s.execute(
                text("SELECT id FROM generations WHERE status = 'active' AND scope_code = :c"), {"c": county}
            )
            .scalars()
            .all()
        )
        overlaps = s.execute(
            text(
                "SELECT count(*) FROM grids a JOIN grids b ON a.id < b.id AND a.geom && b.geom "
                "AND ST_Relate(a.geom, b.geom, '2********') "
                "JOIN generations ga ON ga.id = a.generation_id AND ga.status = 'active' "
                "JOIN generations gb ON gb.id = b.generation_id AND gb.status = 'active'"
            )
        ).scalar_one()
    engine.dispose()
    assert errors == [] and len(active) == 1 and active[0] in drafts and overlaps == 0
