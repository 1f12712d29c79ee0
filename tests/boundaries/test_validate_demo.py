"""Validation on the demo city: the clean city reports only its planted gaps, and faults the test
injects itself (an edge shifted 30 m, a self-intersection, a duplicated code) are each reported
exactly once, at the right place, with their area right to 1 m². The validator never sees `planted`.
"""

from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.drafts import draft_from_active
from grids.boundaries.validate import Problem, Report, validate_draft
from grids.db import make_engine, session_factory
from grids.models import Generation
from tests.boundaries.conftest import OPERATOR
from tests.conftest import Demo

TO_METRES = Transformer.from_crs(4490, 4549, always_xy=True)
TO_STORAGE = Transformer.from_crs(4549, 4490, always_xy=True)
CITY = "990100000000"


def metric(geom: shapely.Geometry) -> shapely.Geometry:
    """Storage CRS to metres."""
    return shapely.transform(geom, lambda c: np.column_stack(TO_METRES.transform(c[:, 0], c[:, 1])))


def storage(geom: shapely.Geometry) -> shapely.Geometry:
    """Metres to the storage CRS."""
    return shapely.transform(geom, lambda c: np.column_stack(TO_STORAGE.transform(c[:, 0], c[:, 1])))


@pytest.fixture
def city(demo_url_fresh: str) -> Iterator[tuple[Session, Generation]]:
    """A session on a fresh copy of the demo and a draft copying its whole city."""
    engine = make_engine(demo_url_fresh, pool_size=1)
    with session_factory(engine)() as session:
        draft, copied = draft_from_active(session, scope=CITY, name="全市草稿", caller=OPERATOR)
        assert copied > 300
        yield session, draft
    engine.dispose()


def of_kind(report: Report, kind: str) -> list[Problem]:
    """The report's problems of one kind."""
    return [p for p in report.problems if p.kind == kind]


def located_in(problem: Problem, area: shapely.Geometry, slack_m: float = 0.01) -> bool:
    """Whether the problem's location (storage CRS) lies within `area` (metres)."""
    assert problem.location is not None
    point = metric(shapely.Point(problem.location))
    return bool(area.buffer(slack_m).contains(point))


def test_clean_demo_reports_only_its_planted_gaps(city: tuple[Session, Generation], demo: Demo) -> None:
    """Exactly the planted gaps block; the only warnings are the overloaded village's grids."""
    session, draft = city
    report = validate_draft(session, generation=draft)
    planted = demo.summary.planted
    assert report.blocking
    assert {p.kind for p in report.problems} == {"gap", "households_out_of_range"}
    gaps = sorted(of_kind(report, "gap"), key=lambda p: p.village_code or "")
    expected = sorted(planted["gaps"], key=lambda g: g["village_code"])
    assert [g.village_code for g in gaps] == [e["village_code"] for e in expected]
    for found, want in zip(gaps, expected, strict=True):
        shape = metric(shapely.from_wkt(want["wkt"]))
        assert found.area_m2 == pytest.approx(shape.area, abs=1.0)
        assert located_in(found, shape) and found.severity == "blocking"
        assert found.geometry is not None and metric(found.geometry).symmetric_difference(shape).area < 1.0
    crowded = of_kind(report, "households_out_of_range")
    assert {p.village_code for p in crowded} == {planted["overloaded_village"]}
    assert all(p.severity == "warning" and len(p.grid_codes) == 1 for p in crowded)


def grid_rows(session: Session, draft: Generation) -> dict[str, tuple[int, str, str, shapely.Geometry]]:
    """The draft's grids by code: id, kind, village, geometry in metres."""
    rows = session.execute(
        text("SELECT id, code, kind, village_code, ST_AsBinary(geom) FROM grids WHERE generation_id = :g"),
        {"g": draft.id},
    )
    return {r[1]: (r[0], r[2], r[3], metric(shapely.from_wkb(bytes(r[4])))) for r in rows}


def put(
    session: Session, grid_id: int, geom: shapely.Geometry | None = None, code: str | None = None
) -> None:
    """Overwrite a draft grid's geometry (given in metres) or code."""
    if geom is not None:
        session.execute(
            text("UPDATE grids SET geom = ST_GeomFromWKB(:wkb, 4490) WHERE id = :id"),
            {"wkb": shapely.to_wkb(storage(geom)), "id": grid_id},
        )
    if code is not None:
        session.execute(text("UPDATE grids SET code = :code WHERE id = :id"), {"code": code, "id": grid_id})


def test_injected_faults_are_each_reported_once(city: tuple[Session, Generation], demo: Demo) -> None:
    """An edge shifted 30 m (overlap + gap), a self-intersection and a duplicated code: once each, in place."""
    session, draft = city
    grids = grid_rows(session, draft)
    # 1. A dedicated grid is a rectangle carved out of an ordinary grid: shift one of its edges 30 m
    #    along itself, turning it into a parallelogram that overlaps its host and uncovers a triangle.
    dedicated = next(code for code, row in sorted(grids.items()) if row[1] != "ordinary")
    rect_id, _, village, rect = grids[dedicated]
    corners = np.asarray(
        rect.geoms[0].exterior.coords if rect.geom_type == "MultiPolygon" else rect.exterior.coords
    )
    p1, p2 = corners[0], corners[1]
    step = 30.0 * (p2 - p1) / np.linalg.norm(p2 - p1)
    moved = corners.copy()
    moved[0], moved[1], moved[-1] = p1 + step, p2 + step, p1 + step
    sheared = shapely.Polygon(moved)
    put(session, rect_id, sheared)
    host = next(
        code
        for code, row in grids.items()
        if code != dedicated and row[2] == village and shapely.relate_pattern(row[3], sheared, "2********")
    )
    # 2. A spike into an ordinary grid of another village: a self-intersection that covers no new ground.
    spiked_code = next(
        code
        for code, row in sorted(grids.items())
        if row[1] == "ordinary" and row[2] != village and code != host
    )
    spiked_id, _, spiked_village, spiked = grids[spiked_code]
    ring = np.asarray(spiked.geoms[0].exterior.coords)
    middle = (ring[0] + ring[1]) / 2
    inward = np.array([-(ring[1] - ring[0])[1], (ring[1] - ring[0])[0]])
    inward = 20.0 * inward / np.linalg.norm(inward)
    if not spiked.contains(shapely.Point(middle + inward)):
        inward = -inward
    spike = middle + inward
    bad = shapely.Polygon(np.vstack([ring[:1], [middle, spike, middle], ring[1:]]))
    assert not bad.is_valid
    put(session, spiked_id, bad)
    # 3. A duplicated code: a grid takes the code of a neighbour in its village.
    twins = sorted(
        code
        for code, row in grids.items()
        if row[2] not in (village, spiked_village) and row[1] == "ordinary"
    )[:2]
    assert twins[0][:12] == twins[1][:12]
    put(session, grids[twins[1]][0], code=twins[0])

    report = validate_draft(session, generation=draft)

    overlap = of_kind(report, "overlap")
    assert len(overlap) == 1 and sorted(overlap[0].grid_codes) == sorted([dedicated, host])
    expected_overlap = sheared.difference(rect)
    assert overlap[0].area_m2 == pytest.approx(expected_overlap.area, abs=1.0)
    assert located_in(overlap[0], expected_overlap)
    planted = {g["village_code"] for g in demo.summary.planted["gaps"]}
    gaps = of_kind(report, "gap")
    new_gaps = [g for g in gaps if g.village_code not in planted or g.village_code == village]
    assert len(gaps) == len(planted) + 1 and len(new_gaps) == 1
    expected_gap = rect.difference(sheared)
    assert new_gaps[0].village_code == village
    assert new_gaps[0].area_m2 == pytest.approx(expected_gap.area, abs=1.0)
    assert located_in(new_gaps[0], expected_gap)

    invalid = of_kind(report, "invalid_geometry")
    assert len(invalid) == 1 and invalid[0].grid_codes == [spiked_code]
    assert invalid[0].reason and "Self-intersection" in invalid[0].reason and invalid[0].fixable
    assert invalid[0].location is not None
    assert shapely.Point(middle).distance(metric(shapely.Point(invalid[0].location))) <= 21.0

    duplicate = of_kind(report, "duplicate_code")
    assert len(duplicate) == 1 and duplicate[0].grid_codes == [twins[0], twins[0]]
    assert sorted(duplicate[0].grid_ids) == sorted([grids[twins[0]][0], grids[twins[1]][0]])
    assert "重复" in duplicate[0].message_zh and "used 2 times" in duplicate[0].message_en
    blocking_kinds = {p.kind for p in report.problems if p.severity == "blocking"}
    assert blocking_kinds == {"overlap", "gap", "invalid_geometry", "duplicate_code"}
