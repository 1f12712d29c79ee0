"""A redraw proposal for the demo's overloaded village, checked against the database on its own terms:
households counted afresh with ST_Covers, contiguity, the project's validator, diff and publish."""

import pytest
from sqlalchemy import text

from grids.boundaries.diff import diff_draft
from grids.boundaries.drafts import get_draft
from grids.boundaries.validate import validate_draft
from grids.coverage.redraw import propose_redraw
from grids.errors import Forbidden, InvalidInput, NotFound
from grids.users import OPERATOR, Principal
from tests.conftest import Demo
from tests.coverage_redraw.conftest import Proposed, grid_rows, planner

FLOOR, CAP = 300, 500

PER_GRID = text("""
SELECT g.id, coalesce(sum(b.households), 0) AS households
FROM grids g LEFT JOIN household_blocks b ON ST_Covers(g.geom, b.geom)
WHERE g.generation_id = :g AND g.kind = 'ordinary'
GROUP BY g.id ORDER BY g.id
""")
OLD_GROUND = text("""
SELECT sum(b.households) FROM household_blocks b
WHERE EXISTS (
  SELECT 1 FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active'
  WHERE g.village_code = :v AND g.kind = 'ordinary' AND ST_Covers(g.geom, b.geom)
)
""")


def test_every_grid_holds_floor_to_cap_households_counted_afresh(proposed: Proposed) -> None:
    """ST_Covers over the stored grids gives every grid 300–500 households, all of the old ground's, once."""
    with proposed.session() as db:
        counted = {int(r[0]): int(r[1]) for r in db.execute(PER_GRID, {"g": proposed.proposal.generation_id})}
        ground = db.execute(OLD_GROUND, {"v": proposed.village}).scalar_one()
    assert len(counted) >= -(-ground // CAP)
    assert all(FLOOR <= n <= CAP for n in counted.values()), counted
    assert sum(counted.values()) == ground == proposed.proposal.households
    assert counted == {g.grid_id: g.households for g in proposed.proposal.grids}
    assert proposed.proposal.cap_holds and proposed.proposal.floor_holds
    assert "300–500" in proposed.proposal.message_zh


def test_grids_are_single_polygons_tiling_the_old_ground(proposed: Proposed) -> None:
    """Each proposed grid is one valid polygon; together they cover exactly what the old grids covered."""
    with proposed.session() as db:
        shapes = db.execute(
            text(
                "SELECT ST_NumGeometries(geom), ST_IsValid(geom), GeometryType(geom) FROM grids "
                "WHERE generation_id = :g AND kind = 'ordinary'"
            ),
            {"g": proposed.proposal.generation_id},
        ).all()
        difference = db.execute(
            text("""
            SELECT ST_Area(ST_SymDifference(
              (SELECT ST_Union(geom) FROM grids WHERE generation_id = :g AND kind = 'ordinary'),
              (SELECT ST_Union(g.geom) FROM grids g JOIN generations ge ON ge.id = g.generation_id
               WHERE ge.status = 'active' AND g.village_code = :v AND g.kind = 'ordinary'))::geography)
            """),
            {"g": proposed.proposal.generation_id, "v": proposed.village},
        ).scalar_one()
    assert shapes and all(s == (1, True, "MULTIPOLYGON") for s in shapes)
    assert difference < 0.01


def test_draft_validates_clean(proposed: Proposed) -> None:
    """The project's validator finds nothing at all: no gap, overlap, sliver or household warning."""
    assert proposed.proposal.validation.problems == []
    with proposed.session() as db:
        draft = get_draft(db, ref=proposed.proposal.generation_id, caller=OPERATOR)
        report = validate_draft(db, generation=draft)
        db.rollback()
    assert report.problems == [] and not report.blocking


def test_diff_changes_only_the_village(proposed: Proposed) -> None:
    """Every grid the diff names lies in the village: old ordinary grids go, the proposal's come."""
    with proposed.session() as db:
        draft = get_draft(db, ref=proposed.proposal.name, caller=OPERATOR)
        diff = diff_draft(db, generation=draft, caller=OPERATOR)
    changes = diff.plan.changes
    assert {c.village_code for c in changes} == {proposed.village}
    assert {c.code for c in changes if c.change == "removed"} == set(proposed.proposal.replaced)
    assert {c.code for c in changes if c.change in ("added", "reshaped")} == {
        g.code for g in proposed.proposal.grids
    }
    assert {c.code for c in changes if c.change == "unchanged"} == set(proposed.proposal.kept)
    assert all((m.from_code or "").startswith(proposed.village) for m in diff.households)


def test_same_request_gives_the_same_grids(proposed: Proposed) -> None:
    """Proposing again yields another draft (its own name) with the same geometries and codes."""
    first = proposed.proposal
    with proposed.session() as db:
        again = propose_redraw(db, village_code=proposed.village, caller=planner(proposed.county))
        assert again.name != first.name and again.name.startswith(first.name)
        one = grid_rows(db, first.generation_id, "ordinary")
        two = grid_rows(db, again.generation_id, "ordinary")
        db.rollback()
    by_code = {g.code: one[str(g.grid_id)].wkb for g in first.grids}
    assert {g.code: two[str(g.grid_id)].wkb for g in again.grids} == by_code


def test_too_few_households_for_the_floor_is_explained(proposed: Proposed) -> None:
    """A floor above all the village's households: one grid, the cap holds, the floor cannot, and why."""
    with proposed.session() as db:
        result = propose_redraw(db, village_code=proposed.village, caller=OPERATOR, floor=99_999, cap=100_000)
        db.rollback()
    assert len(result.grids) == 1 and result.cap_holds and not result.floor_holds
    assert result.grids[0].households == proposed.proposal.households
    assert "不足下限" in result.message_zh and "fewer than the floor" in result.message_en


@pytest.mark.parametrize(
    ("village", "floor", "cap", "field"),
    [
        (None, 501, 500, "floor"),
        (None, 0, 0, "cap"),
        (None, -1, 500, "floor"),
        ("990199888777", 300, 500, "village_code"),
        ("9901010010", 300, 500, "village_code"),
        ("990101001000", 300, 500, "village_code"),
    ],
)
def test_bad_input_names_its_field(
    proposed: Proposed, village: str | None, floor: int, cap: int, field: str
) -> None:
    """Floor above cap, a cap below 1, unknown codes and a township's code are refused, naming the field."""
    with proposed.session() as db, pytest.raises(InvalidInput) as caught:
        propose_redraw(db, village_code=village or proposed.village, caller=OPERATOR, floor=floor, cap=cap)
    assert caught.value.field == field


def test_village_without_blocks_is_refused(proposed: Proposed) -> None:
    """With no household block in its ordinary grids there is nothing to balance: 422 on village_code."""
    with proposed.session() as db:
        db.execute(text("DELETE FROM household_blocks WHERE village_code = :v"), {"v": proposed.village})
        with pytest.raises(InvalidInput, match="没有户数点") as caught:
            propose_redraw(db, village_code=proposed.village, caller=OPERATOR)
        db.rollback()
    assert caught.value.field == "village_code"


def test_only_planners_within_their_jurisdiction(proposed: Proposed, demo: Demo) -> None:
    """Dispatchers and leaders are refused; a planner of another county does not see the village."""
    other = next(c for c in demo.summary.county_codes if c != proposed.county)
    with proposed.session() as db:
        for role in ("dispatcher", "leader", "worker"):
            with pytest.raises(Forbidden):
                propose_redraw(
                    db, village_code=proposed.village, caller=Principal(0, "x", role, proposed.county, None)
                )
        with pytest.raises(NotFound):
            propose_redraw(db, village_code=proposed.village, caller=planner(other))
        drafts = db.execute(text("SELECT count(*) FROM generations WHERE status = 'draft'")).scalar_one()
    assert drafts == 1
