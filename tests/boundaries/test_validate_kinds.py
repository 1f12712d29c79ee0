"""Each problem kind on small hand-made drafts: exactly the expected problems, areas right to 1 m²."""

from collections.abc import Callable

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.drafts import get_draft
from grids.boundaries.imports import import_draft
from grids.boundaries.validate import BoundarySettings, Report, validate_draft
from tests.boundaries.conftest import OPERATOR, VILLAGES, Files, grid_shapes, square, stored, true_area

V1, V2 = VILLAGES
G = [code for code, _ in grid_shapes()]  # G[0..3] in V1, G[4..7] in V2
NO_HOUSEHOLD_LIMITS = BoundarySettings(households_min=0, households_max=10**6)
Rows = list[dict[str, object]]
Shapes = list[shapely.Geometry]


def draft_report(
    world: Session,
    files: Files,
    change: Callable[[Rows, Shapes], None] = lambda rows, shapes: None,
    *,
    scope: str | None = None,
    settings: BoundarySettings = NO_HOUSEHOLD_LIMITS,
) -> Report:
    """Import the eight grids with `change` applied, then validate the draft."""
    rows: Rows = [{"code": c, "kind": "综合网格"} for c in G]
    shapes: Shapes = [g for _, g in grid_shapes()]
    change(rows, shapes)
    path = files.write("draft.gpkg", rows, shapes, driver="GPKG")
    draft = import_draft(world, path=path, name="测试", caller=OPERATOR, scope=scope)
    return validate_draft(
        world, generation=get_draft(world, ref=draft.generation_id, caller=OPERATOR), settings=settings
    )


Expected = tuple[str, str, tuple[str, ...], str | None, shapely.Geometry | None]


def matches(report: Report, expected: list[Expected]) -> None:
    """The report holds exactly the expected problems: (severity, kind, codes, village) and area to 1 m².

    An expected area is the shape (drawn in metres) whose stored area the problem must report.
    """
    found = sorted(
        report.problems, key=lambda p: (p.severity, p.kind, sorted(p.grid_codes), p.village_code or "")
    )
    want = sorted(expected, key=lambda e: (e[0], e[1], sorted(e[2]), e[3] or ""))
    assert [(p.severity, p.kind, tuple(sorted(p.grid_codes)), p.village_code) for p in found] == [
        (e[0], e[1], tuple(sorted(e[2])), e[3]) for e in want
    ]
    for p, e in zip(found, want, strict=True):
        if e[4] is None:
            assert p.area_m2 is None, p
        else:
            assert p.area_m2 == pytest.approx(true_area(e[4]), abs=1.0), p


def setter(
    index: int, geom: shapely.Geometry | None = None, **fields: object
) -> Callable[[Rows, Shapes], None]:
    """A change replacing grid `index`'s shape and/or fields."""

    def change(rows: Rows, shapes: Shapes) -> None:
        if geom is not None:
            shapes[index] = geom
        rows[index].update(fields)

    return change


SPIKE = shapely.Polygon([(0, 500), (250, 500), (250, 600), (250, 500), (500, 500), (500, 1000), (0, 1000)])

CASES: dict[
    str,
    tuple[Callable[[Rows, Shapes], None], list[Expected]],
] = {
    "clean": (lambda rows, shapes: None, []),
    "overlap": (
        setter(0, shapely.box(0, 500, 530, 1000)),
        [("blocking", "overlap", (G[0], G[1]), V1, shapely.box(500, 500, 530, 1000))],
    ),
    "gap": (
        setter(0, shapely.box(0, 500, 470, 1000)),
        [("blocking", "gap", (), V1, shapely.box(470, 500, 500, 1000))],
    ),
    "sliver": (
        setter(5, shapely.box(1500, 500, 1999.99, 1000)),
        [("warning", "sliver_gap", (), V2, shapely.box(1999.99, 500, 2000, 1000))],
    ),
    "outside": (
        setter(2, shapely.box(0, -20, 500, 500)),
        [("blocking", "outside_village", (G[2],), V1, shapely.box(0, -20, 500, 0))],
    ),
    "within tolerance": (setter(2, shapely.box(0, -0.5, 500, 500)), []),
    "spike": (setter(0, SPIKE), [("blocking", "invalid_geometry", (G[0],), V1, None)]),
    "malformed": (
        setter(1, code="99010200100100X"),
        [("blocking", "malformed_code", ("99010200100100X",), V1, None)],
    ),
    "duplicate": (setter(1, code=G[0]), [("blocking", "duplicate_code", (G[0], G[0]), V1, None)]),
    "not under village": (
        setter(4, code=f"{V1}005"),
        [("blocking", "code_not_under_village", (f"{V1}005",), V2, None)],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_kind(world: Session, files: Files, case: str) -> None:
    """Each fault is reported once with the right kind, grids, village, severity and area."""
    change, expected = CASES[case]
    report = draft_report(world, files, change)
    matches(report, expected)
    assert report.blocking == any(e[0] == "blocking" for e in expected)
    for p in report.problems:
        assert p.message_zh and p.message_en and p.location is not None
        assert shapely.box(119.9, 28.3, 120.1, 28.5).contains(shapely.Point(p.location))


def test_invalid_geometry_details(world: Session, files: Files) -> None:
    """The GEOS reason, its place, and whether make_valid would repair it."""
    report = draft_report(world, files, setter(0, SPIKE))
    (problem,) = report.problems
    assert problem.reason is not None and "Self-intersection" in problem.reason and problem.fixable
    assert problem.location is not None
    at = shapely.Point(problem.location)
    assert (
        at.distance(stored(shapely.Point(250, 500))) < 1e-5
        or at.distance(stored(shapely.Point(250, 600))) < 1e-5
    )


def test_not_polygonal_and_no_village(world: Session, files: Files) -> None:
    """A line among the grids is not polygonal; a square far from any village lies in no village."""

    def add(rows: Rows, shapes: Shapes) -> None:
        rows += [{"code": None, "kind": None}, {"code": None, "kind": None}]
        shapes += [shapely.LineString([(10, 10), (400, 400)]), square(9000, 9000, 100)]

    report = draft_report(world, files, add)
    kinds = sorted((p.kind, len(p.grid_ids)) for p in report.problems)
    assert kinds == [("no_village", 1), ("not_polygonal", 1)]
    assert all(p.grid_codes[0].startswith("#") for p in report.problems)


def test_village_without_grid(world: Session, files: Files) -> None:
    """A township draft leaving out every grid of one village reports that village (area of the village)."""

    def drop(rows: Rows, shapes: Shapes) -> None:
        del rows[4:], shapes[4:]

    report = draft_report(world, files, drop, scope="990102001")
    matches(report, [("blocking", "village_without_grid", (), V2, square(1000, 0, 1000))])


def test_outside_scope(world: Session, files: Files) -> None:
    """A draft scoped to the western village: the eastern village's grids lie outside its scope."""
    report = draft_report(world, files, scope=V1)
    matches(report, [("blocking", "outside_scope", (code,), V2, None) for code in G[4:]])


def test_households_out_of_range(world: Session, files: Files) -> None:
    """Household blocks put 900 households in one ordinary grid; a dedicated grid with none is exempt."""
    for i, (_, shape) in enumerate(grid_shapes()):
        households = 900 if i == 0 else 0 if i == 7 else 300
        if households:
            world.execute(
                text(
                    "INSERT INTO household_blocks (village_code, households, geom) "
                    "VALUES (:v, :h, ST_GeomFromWKB(:g, 4490))"
                ),
                {"v": VILLAGES[i // 4], "h": households, "g": shapely.to_wkb(stored(shape.centroid))},
            )
    report = draft_report(world, files, setter(7, kind="学校专属网格"), settings=BoundarySettings())
    matches(report, [("warning", "households_out_of_range", (G[0],), V1, None)])
    assert "900" in report.problems[0].message_en and not report.blocking


def test_retired_code_may_not_return(world: Session, files: Files) -> None:
    """A code that a retired generation held, and no active one holds, may not be given to a new grid."""
    world.execute(
        text("INSERT INTO generations (id, name, scope_code, created_by) VALUES (900, '旧', :s, 't')"),
        {"s": V2},
    )
    world.execute(
        text(
            "INSERT INTO grids (generation_id, code, name, village_code, geom) "
            "VALUES (900, :c, '旧网格', :v, ST_Multi(ST_GeomFromWKB(:g, 4490)))"
        ),
        {"c": f"{V2}009", "v": V2, "g": shapely.to_wkb(stored(square(1000, 0, 1000)))},
    )
    world.execute(text("UPDATE generations SET status = 'active', activated_at = now() WHERE id = 900"))
    world.execute(text("UPDATE generations SET status = 'retired', retired_at = now() WHERE id = 900"))
    report = draft_report(world, files, setter(7, code=f"{V2}009"))
    matches(report, [("blocking", "retired_code", (f"{V2}009",), V2, None)])
