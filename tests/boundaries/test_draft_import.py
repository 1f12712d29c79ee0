"""Importing a grid draft: stored exactly as given, faults included; bad files change nothing."""

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.imports import import_draft
from grids.errors import Conflict, Forbidden, InvalidInput
from grids.users import Principal
from tests.boundaries.conftest import OPERATOR, TOWNSHIP, VILLAGES, Files, count, grid_shapes, metres


def test_faults_are_stored_as_given(world: Session, files: Files) -> None:
    """A bow-tie, a point, a repeated code and a grid without a code are all kept for validation to show."""
    grids = grid_shapes()
    bowtie = shapely.Polygon([(0, 500), (500, 1000), (500, 500), (0, 1000)])
    rows = [{"网格编码": code, "网格名称": f"第{i}网格"} for i, (code, _) in enumerate(grids, start=1)]
    geoms = [g for _, g in grids]
    rows[0] = {"网格编码": grids[0][0], "网格名称": "蝴蝶网格"}
    geoms[0] = bowtie
    rows[2]["网格编码"] = grids[1][0]  # a repeated code
    rows[3]["网格编码"] = None  # a new grid with no code yet
    rows.append({"网格编码": "990102001001009", "网格名称": "一个点"})
    geoms.append(shapely.Point(100, 100))
    path = files.write("draft.gpkg", rows, geoms, driver="GPKG")
    steps: list[tuple[str, int, int]] = []
    draft = import_draft(
        world, path=path, name="东山镇2026调整", caller=OPERATOR, progress=lambda *a: steps.append(a)
    )
    world.commit()
    assert (draft.grids, draft.scope_code, draft.without_village) == (9, TOWNSHIP, 0)
    assert steps[-1][1:] == (9, 9)
    stored = world.execute(
        text(
            "SELECT code, name, village_code, GeometryType(geom), ST_IsValid(geom), ST_AsBinary(geom) "
            "FROM grids WHERE generation_id = :g ORDER BY id"
        ),
        {"g": draft.generation_id},
    ).all()
    assert [r[0] for r in stored] == [
        grids[0][0],
        grids[1][0],
        grids[1][0],
        "",
        *[c for c, _ in grids[4:]],
        "990102001001009",
    ]
    assert stored[0][1] == "蝴蝶网格" and stored[0][4] is False
    assert metres(shapely.from_wkb(bytes(stored[0][5]))).geoms[0].equals_exact(bowtie, 0.01)
    assert stored[-1][3] == "POINT"
    assert [r[2] for r in stored] == [VILLAGES[0]] * 4 + [VILLAGES[1]] * 4 + [VILLAGES[0]]
    status = world.execute(text("SELECT status, scope_code, created_by FROM generations")).one()
    assert tuple(status) == ("draft", TOWNSHIP, "test-operator")


def test_file_of_points_is_refused(world: Session, files: Files) -> None:
    """Points instead of polygons: a clear error, and no generation or grid is written."""
    path = files.write(
        "pts.geojson", [{"code": "990102001001001"}] * 2, [shapely.Point(1, 1), shapely.Point(2, 2)]
    )
    with pytest.raises(InvalidInput, match="holds no polygons \\(only points\\)"):
        import_draft(world, path=path, name="点", caller=OPERATOR)
    world.rollback()
    assert count(world, "generations") == 0 and count(world, "grids") == 0


def test_name_scope_and_role_are_checked(world: Session, files: Files) -> None:
    """A used name is a conflict; a planner may not draft outside their jurisdiction; a leader may not draft."""
    grids = grid_shapes()
    path = files.write("d.geojson", [{"code": c} for c, _ in grids], [g for _, g in grids])
    import_draft(world, path=path, name="甲", caller=OPERATOR)
    world.commit()
    with pytest.raises(Conflict, match="already exists"):
        import_draft(world, path=path, name="甲", caller=OPERATOR)
    world.rollback()
    elsewhere = Principal(5, "p", "planner", "990103000000", None)
    with pytest.raises(Forbidden, match="outside your jurisdiction"):
        import_draft(world, path=path, name="乙", caller=elsewhere)
    world.rollback()
    with pytest.raises(Forbidden):
        import_draft(world, path=path, name="丙", caller=Principal(6, "l", "leader", None, None))
    world.rollback()
    assert count(world, "generations") == 1
    township_planner = Principal(9, "t", "planner", TOWNSHIP, None)
    draft = import_draft(world, path=path, name="丁", caller=township_planner)
    assert draft.scope_code == TOWNSHIP


def test_unknown_ground_needs_a_scope(world: Session, files: Files) -> None:
    """Grids lying in no known village and carrying no known code: the error says to give --scope."""
    path = files.write("far.geojson", [{"name": "外"}], [shapely.box(50_000, 50_000, 50_500, 50_500)])
    with pytest.raises(InvalidInput, match="give --scope"):
        import_draft(world, path=path, name="外", caller=OPERATOR)
    world.rollback()
    draft = import_draft(world, path=path, name="外", caller=OPERATOR, scope="990102001")
    assert (draft.scope_code, draft.without_village) == (TOWNSHIP, 1)
