"""`--fix`: make_valid, snapping within tolerance and sliver hand-over, each reported; then nothing blocks."""

import shapely
from sqlalchemy.orm import Session

from grids.boundaries.drafts import get_draft
from grids.boundaries.fix import fix_draft
from grids.boundaries.imports import import_draft
from grids.boundaries.validate import BoundarySettings, validate_draft
from tests.boundaries.conftest import OPERATOR, Files, grid_shapes, true_area

SETTINGS = BoundarySettings(households_min=0, households_max=10**6)


def test_fix_repairs_within_tolerance(world: Session, files: Files) -> None:
    """A spike, an edge 0.2 m over its neighbour, one 0.2 m short of the village edge, and an 8 m² notch."""
    grids = grid_shapes()
    codes = [c for c, _ in grids]
    shapes = [g for _, g in grids]
    shapes[0] = shapely.box(0, 500, 500.2, 1000)  # 0.2 m into its eastern neighbour
    shapes[2] = shapely.Polygon([(0, 0), (250, 0), (250, 100), (250, 0), (500, 0), (500, 500), (0, 500)])
    shapes[5] = shapely.box(1500, 500, 1999.8, 1000)  # 0.2 m short of the village's eastern edge
    shapes[7] = shapely.Polygon([(1500, 0), (2000, 0), (2000, 500), (1504, 500), (1500, 496)])  # 8 m² notch
    path = files.write("d.geojson", [{"code": c} for c in codes], shapes)
    draft = import_draft(world, path=path, name="待修复", caller=OPERATOR)
    generation = get_draft(world, ref=draft.generation_id, caller=OPERATOR)
    before = validate_draft(world, generation=generation, settings=SETTINGS)
    assert sorted(before.counts().items()) == [
        ("gap", 1),
        ("invalid_geometry", 1),
        ("overlap", 1),
        ("sliver_gap", 1),
    ]

    repairs = fix_draft(world, generation=generation, caller=OPERATOR, settings=SETTINGS)

    done = sorted((r.kind, r.grid_code) for r in repairs)
    assert ("make_valid", codes[2]) in done and ("sliver", codes[7]) in done
    assert {c for k, c in done if k == "snap"} >= {codes[0], codes[5]}
    sliver = next(r for r in repairs if r.kind == "sliver")
    assert (
        abs(sliver.area_change_m2 - true_area(shapely.Polygon([(1500, 500), (1504, 500), (1500, 496)]))) < 0.1
    )
    assert all(r.message_zh and r.message_en for r in repairs)
    after = validate_draft(world, generation=generation, settings=SETTINGS)
    assert after.problems == [] and not after.blocking
