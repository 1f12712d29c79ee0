"""Publishing a redraw proposal, and a village whose cap cannot hold: each on its own copy of the demo."""

from sqlalchemy import text

from grids.boundaries.publish import publish_draft
from grids.coverage.redraw import propose_redraw
from grids.db import make_engine, session_factory
from grids.users import OPERATOR
from tests.conftest import Demo
from tests.coverage_redraw.conftest import active_grids, planner


def test_publish_replaces_the_village_and_keeps_every_other_grid(demo_url_fresh: str, demo: Demo) -> None:
    """After publishing, the village holds the proposed codes; every other grid of the county keeps its
    code and its geometry; the published grids hold 300–500 households each."""
    village = demo.summary.planted["overloaded_village"]
    county = village[:6] + "000000"
    engine = make_engine(demo_url_fresh, pool_size=2)
    try:
        with session_factory(engine)() as db:
            proposal = propose_redraw(db, village_code=village, caller=planner(county))
            db.commit()
            before = active_grids(db, county[:6])
            result = publish_draft(db, ref=proposal.name, caller=planner(county), commit=True)
            db.commit()
            after = active_grids(db, county[:6])
            households = db.execute(
                text(
                    "SELECT g.households FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                    "WHERE ge.status = 'active' AND g.village_code = :v AND g.kind = 'ordinary'"
                ),
                {"v": village},
            ).scalars()
            sizes = list(households)
    finally:
        engine.dispose()
    assert result.committed and result.scope_code == county
    outside = {c: w for c, w in before.items() if not c.startswith(village)}
    assert {c: w for c, w in after.items() if not c.startswith(village)} == outside
    assert {c for c in after if c.startswith(village)} == {g.code for g in proposal.grids} | set(
        proposal.kept
    )
    assert sorted(sizes) == sorted(g.households for g in proposal.grids)
    assert all(300 <= n <= 500 for n in sizes)


def test_block_above_the_cap_is_reported_with_its_reason(demo_url_fresh: str, demo: Demo) -> None:
    """A 900-household block in an ordinary village: the cap cannot hold for its grid, the message names
    the block and why; every grid without it still holds the cap."""
    overloaded = demo.summary.planted["overloaded_village"]
    engine = make_engine(demo_url_fresh, pool_size=2)
    try:
        with session_factory(engine)() as db:
            village, grid = db.execute(
                text(
                    "SELECT g.village_code, g.id FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                    "WHERE ge.status = 'active' AND g.kind = 'ordinary' AND g.village_code <> :o "
                    "AND g.village_code IN (SELECT village_code FROM grids WHERE kind = 'ordinary' "
                    "GROUP BY 1 HAVING count(*) >= 3) ORDER BY g.code LIMIT 1"
                ),
                {"o": overloaded},
            ).one()
            db.execute(
                text(
                    "INSERT INTO household_blocks (village_code, label, households, population, geom) "
                    "SELECT :v, '测试大楼', 900, 2500, ST_PointOnSurface(geom) FROM grids WHERE id = :g"
                ),
                {"v": village, "g": grid},
            )
            proposal = propose_redraw(db, village_code=village, caller=OPERATOR)
            heavy = db.execute(
                text(
                    "SELECT g.id FROM grids g JOIN household_blocks b ON ST_Covers(g.geom, b.geom) "
                    "WHERE g.generation_id = :d AND b.label = '测试大楼'"
                ),
                {"d": proposal.generation_id},
            ).scalar_one()
            db.rollback()
    finally:
        engine.dispose()
    assert not proposal.cap_holds and proposal.max_households >= 900
    assert "测试大楼" in proposal.message_zh and "超过上限500户" in proposal.message_zh
    assert "above the cap 500" in proposal.message_en
    assert all(g.households <= 500 for g in proposal.grids if g.grid_id != heavy)
    assert not proposal.validation.blocking
