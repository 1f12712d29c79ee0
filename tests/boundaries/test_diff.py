"""The diff: areas right to 1 m², codes kept, persisted, numbered and retired, households, workers, cases."""

from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.diff import Diff, diff_draft
from grids.db import make_engine, session_factory
from tests.boundaries.conftest import OPERATOR
from tests.boundaries.redraw import county_draft, draft_grids, neighbours, put, reshape
from tests.conftest import Demo

TO_METRES = Transformer.from_crs(4490, 4549, always_xy=True)


def area(geom: shapely.Geometry) -> float:
    """Area in m² of a stored geometry."""
    return float(
        shapely.transform(geom, lambda c: np.column_stack(TO_METRES.transform(c[:, 0], c[:, 1]))).area
    )


@pytest.fixture
def session(demo_url_fresh: str) -> Iterator[Session]:
    """A session on a fresh copy of the demo city."""
    engine = make_engine(demo_url_fresh, pool_size=1)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


def test_diff_of_a_redraw(session: Session, demo: Demo) -> None:
    """Reshape a pair, merge another, blank one code, fill the planted gap: every effect is reported right."""
    county = demo.summary.county_codes[0]
    draft, grids = county_draft(session, county, "比较")
    pairs = neighbours(grids)
    (a, b), cut = next(((a, b), c) for a, b in pairs if (c := reshape(a, b)) is not None)
    put(session, a.id, cut[0])
    put(session, b.id, cut[1])
    gone, keeper = next((c, d) for c, d in pairs if not {c.code, d.code} & {a.code, b.code})
    put(session, keeper.id, shapely.coverage_union(gone.geom, keeper.geom))
    session.execute(text("DELETE FROM grids WHERE id = :id"), {"id": gone.id})
    blank = next(g for g in grids if g.code and g.code not in {a.code, b.code, gone.code, keeper.code})
    session.execute(text("UPDATE grids SET code = '' WHERE id = :id"), {"id": blank.id})
    old = {
        r[0]: shapely.from_wkb(bytes(r[1]))
        for r in session.execute(
            text(
                "SELECT g.code, ST_AsBinary(g.geom) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                "WHERE ge.status = 'active' AND g.village_code LIKE :p"
            ),
            {"p": county[:6] + "%"},
        )
    }

    diff = diff_draft(session, generation=draft, caller=OPERATOR)

    changes = {c.code: c for c in diff.plan.changes}
    for code, new in ((a.code, cut[0]), (b.code, cut[1])):
        c = changes[code]
        assert c.change == "reshaped" and c.code_source == "kept"
        assert c.old_area_m2 == pytest.approx(area(old[code]), abs=1.0)
        assert c.new_area_m2 == pytest.approx(area(new), abs=1.0)
        assert c.area_change_pct == pytest.approx(
            100 * (area(new) - area(old[code])) / area(old[code]), abs=0.01
        )
    assert changes[gone.code].change == "removed" and changes[gone.code].code_source == "retired"
    assert changes[keeper.code].change == "reshaped"
    assert changes[blank.code].change == "unchanged" and changes[blank.code].code_source == "persisted"
    added = [c for c in diff.plan.changes if c.change == "added"]
    assert added and all(c.code_source == "numbered" for c in added)
    for c in added:
        highest = session.execute(
            text(
                "SELECT max(right(code, 3)::int) FROM grids WHERE left(code, 12) = :v AND code ~ '^[0-9]{15}$'"
            ),
            {"v": c.village_code},
        ).scalar_one()
        assert c.code == f"{c.village_code}{highest + 1:03d}"

    # Households: an independent point-in-polygon of every block, before and after.
    new_shapes = {g.code or changes_code(diff, g.id): g.geom for g in draft_grids(session, draft)}
    blocks = session.execute(
        text("SELECT households, ST_X(geom), ST_Y(geom) FROM household_blocks WHERE village_code LIKE :p"),
        {"p": county[:6] + "%"},
    ).all()
    points = shapely.points([(x, y) for _, x, y in blocks])
    moved = 0
    for households, before, after in zip(
        [b[0] for b in blocks], lowest_covering(old, points), lowest_covering(new_shapes, points), strict=True
    ):
        moved += households if before != after else 0
    assert sum(h.households for h in diff.households) == moved > 0

    touched = {a.code, b.code, gone.code, keeper.code}
    assigned = set(
        session.execute(
            text(
                "SELECT worker_id, grid_code FROM worker_assignments WHERE grid_code = ANY(:c) AND valid_to IS NULL"
            ),
            {"c": sorted(touched)},
        ).all()
    )
    assert {(w.worker_id, w.grid_code) for w in diff.workers} == assigned
    assert {w.change for w in diff.workers if w.grid_code == gone.code} <= {"removed"}
    assert all(m.from_code != m.to_code for m in diff.cases)
    in_gone = [
        r[0]
        for r in session.execute(
            text(
                "SELECT id, ST_X(geom), ST_Y(geom) FROM cases WHERE grid_code = :g AND geom IS NOT NULL "
                "AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')"
            ),
            {"g": gone.code},
        )
        if gone.geom.covers(shapely.Point(r[1], r[2]))
    ]
    moves = {m.case_id: m for m in diff.cases}
    assert all(moves[c].to_code == keeper.code for c in in_gone)


def lowest_covering(shapes: dict[str, shapely.Geometry], points: np.ndarray) -> list[str | None]:
    """For each point, the lowest code of the shapes covering it (None if none does)."""
    codes = sorted(shapes)
    which, grid = shapely.STRtree([shapes[c] for c in codes]).query(points, predicate="covered_by")
    found: list[str | None] = [None] * len(points)
    for w, g in sorted(zip(which.tolist(), grid.tolist(), strict=True), reverse=True):
        found[w] = codes[g]
    return found


def changes_code(diff: Diff, grid_id: int) -> str:
    """The final code the diff gives a draft grid without one."""
    return diff.plan.codes()[grid_id]
