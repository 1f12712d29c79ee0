"""History (which grid held a point on a date) and export to GeoJSON, GeoPackage and Shapefile."""

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pyogrio
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.export import export_grids
from grids.boundaries.history import grid_held
from grids.boundaries.imports import import_draft
from grids.boundaries.publish import publish_draft
from grids.users import Principal
from tests.boundaries.conftest import OPERATOR, TOWNSHIP, Api, Files, grid_shapes, stored

CODES = [c for c, _ in grid_shapes()]


def publish(world: Session, files: Files, name: str, split_x: float) -> int:
    """Import and publish the eight grids, the first two split at `split_x`; returns the generation."""
    grids = grid_shapes()
    shapes = [g for _, g in grids]
    shapes[0], shapes[1] = shapely.box(0, 500, split_x, 1000), shapely.box(split_x, 500, 1000, 1000)
    rows = [{"code": c, "name": f"东山村第{i}网格"} for i, c in enumerate(CODES, start=1)]
    draft = import_draft(
        world, path=files.write(f"{name}.gpkg", rows, shapes, driver="GPKG"), name=name, caller=OPERATOR
    )
    publish_draft(world, ref=draft.generation_id, caller=OPERATOR, commit=True)
    world.commit()
    return draft.generation_id


@pytest.fixture
def two_generations(world: Session, files: Files) -> tuple[int, int]:
    """Generation 1 active through 2025 into March 2026, then generation 2 moving the first edge east."""
    first = publish(world, files, "二〇二五版", 500)
    second = publish(world, files, "二〇二六版", 600)
    world.execute(
        text(
            "UPDATE generations SET activated_at = '2025-01-01 08:00+08', retired_at = '2026-03-01 08:00+08' "
            "WHERE id = :g"
        ),
        {"g": first},
    )
    world.execute(
        text("UPDATE generations SET activated_at = '2026-03-01 08:00+08' WHERE id = :g"), {"g": second}
    )
    world.commit()
    return first, second


def test_which_grid_held_a_point(world: Session, two_generations: tuple[int, int]) -> None:
    """A point in the strip that changed hands: grid 2 in 2025, grid 1 since March 2026, nothing before."""
    point = stored(shapely.Point(550, 750))
    first, second = two_generations
    held_2025 = grid_held(world, lon=point.x, lat=point.y, on=date(2025, 6, 1), caller=OPERATOR)
    held_2026 = grid_held(world, lon=point.x, lat=point.y, on=date(2026, 6, 1), caller=OPERATOR)
    assert [(h.code, h.generation_id) for h in held_2025] == [(CODES[1], first)]
    assert [(h.code, h.generation_id) for h in held_2026] == [(CODES[0], second)]
    assert grid_held(world, lon=point.x, lat=point.y, on=date(2024, 6, 1), caller=OPERATOR) == []
    elsewhere = Principal(9, "d", "dispatcher", "990102002000", None)
    assert grid_held(world, lon=point.x, lat=point.y, on=date(2026, 6, 1), caller=elsewhere) == []


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_export_keeps_chinese_attributes(
    world: Session, two_generations: tuple[int, int], tmp_path: Path, suffix: str
) -> None:
    """Every format reads back with the Chinese names and the shapes of the active grids."""
    out = tmp_path / f"grids{suffix}"
    assert export_grids(world, path=out, caller=OPERATOR) == 8
    frame = pyogrio.read_dataframe(out)
    assert sorted(frame["name"]) == sorted(f"东山村第{i}网格" for i in range(1, 9))
    first = frame[frame["code"] == CODES[0]].geometry.iloc[0]
    assert first.symmetric_difference(stored(shapely.box(0, 500, 600, 1000))).area < 1e-12
    if suffix == ".shp":
        assert out.with_suffix(".cpg").read_text().strip().upper() == "UTF-8"
    if suffix == ".geojson":
        body = json.loads(out.read_text(encoding="utf-8"))
        assert "crs" not in body and body["features"][0]["properties"]["status"] == "active"
    old = tmp_path / f"old{suffix}"
    export_grids(world, path=old, caller=OPERATOR, generation=two_generations[0])
    assert set(pyogrio.read_dataframe(old)["status"]) == {"retired"}


def test_history_and_export_over_http(api: Api, two_generations: tuple[int, int]) -> None:
    """A dispatcher asks the history; a leader downloads a zipped Shapefile; bad input is 422."""
    point = stored(shapely.Point(550, 750))
    answer = httpx.get(
        f"{api.base}/boundaries/history",
        params={"lon": point.x, "lat": point.y, "on": "2025-06-01"},
        headers=api.headers("dispatcher"),
    )
    assert answer.status_code == 200 and [h["code"] for h in answer.json()] == [CODES[1]]
    listed = httpx.get(f"{api.base}/boundaries/generations", headers=api.headers("leader")).json()
    assert [g["status"] for g in listed] == ["active", "retired"] and listed[0]["scope_code"] == TOWNSHIP
    shp = httpx.get(f"{api.base}/boundaries/export", params={"format": "shp"}, headers=api.headers("leader"))
    assert shp.status_code == 200 and shp.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(shp.content)).namelist()
    assert {"grids.shp", "grids.dbf", "grids.shx", "grids.prj", "grids.cpg"} <= set(names)
    bad = httpx.get(
        f"{api.base}/boundaries/history",
        params={"lon": 1, "lat": 2, "on": "yesterday"},
        headers=api.headers("dispatcher"),
    )
    assert bad.status_code == 422
