"""The validation report through the command line and over HTTP, with its GeoJSON for QGIS."""

import json
from pathlib import Path

import httpx
import shapely
from sqlalchemy.orm import Session

from grids.boundaries.imports import import_draft
from tests.boundaries.conftest import OPERATOR, Api, Files, grid_shapes
from tests.test_cli import run


def faulty_draft(world: Session, files: Files, name: str = "东山调整", *, gap: bool = True) -> int:
    """A committed draft whose first grid stops 30 m short of its neighbour (a 15,000 m² gap)."""
    grids = grid_shapes()
    shapes = [g for _, g in grids]
    if gap:
        shapes[0] = shapely.box(0, 500, 470, 1000)
    path = files.write("d.geojson", [{"code": c} for c, _ in grids], shapes)
    draft = import_draft(world, path=path, name=name, caller=OPERATOR)
    world.commit()
    return draft.generation_id


def test_cli_exit_codes_json_and_geojson(
    world: Session, files: Files, database_url: str, tmp_path: Path
) -> None:
    """Exit 1 while a gap blocks; --json and --geojson carry the problem; warnings alone exit 0."""
    faulty_draft(world, files)
    out = tmp_path / "problems.geojson"
    shown = run(database_url, "boundaries", "validate", "东山调整", "--geojson", str(out))
    assert shown.returncode == 1, shown.stderr
    assert "不可发布 blocked" in shown.stdout and "gap 1" in shown.stdout
    as_json = run(database_url, "boundaries", "validate", "东山调整", "--json")
    body = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and body["blocking"] and body["counts"]["gap"] == 1
    gap = next(p for p in body["problems"] if p["kind"] == "gap")
    assert gap["geometry"]["type"] == "MultiPolygon" and len(gap["location"]) == 2
    collection = json.loads(out.read_text(encoding="utf-8"))
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert "gap" in kinds and collection["type"] == "FeatureCollection"
    assert all("message_zh" in f["properties"] for f in collection["features"])
    faulty_draft(world, files, "干净", gap=False)
    warned = run(database_url, "boundaries", "validate", "干净")
    assert warned.returncode == 0 and "households_out_of_range 8" in warned.stdout  # no blocks yet
    relaxed = run(database_url, "boundaries", "validate", "干净", "--households-min", "0")
    assert relaxed.returncode == 0 and "no problems" in relaxed.stdout
    missing = run(database_url, "boundaries", "validate", "没有这个草稿")
    assert missing.returncode == 2 and "no generation" in missing.stderr


def test_http_validation_geojson_and_fix(api: Api, world: Session, files: Files) -> None:
    """A planner reads the report and its GeoJSON; another township's planner gets 404; a dispatcher 403."""
    draft_id = faulty_draft(world, files)
    url = f"{api.base}/boundaries/drafts/{draft_id}/validation"
    report = httpx.get(url, headers=api.headers("planner"))
    assert report.status_code == 200, report.text
    assert report.json()["blocking"] and report.json()["counts"]["gap"] == 1
    geojson = httpx.get(url, params={"format": "geojson"}, headers=api.headers("planner"))
    assert geojson.headers["content-type"] == "application/geo+json"
    assert {f["properties"]["kind"] for f in geojson.json()["features"]} >= {"gap"}
    assert httpx.get(url, headers=api.headers("elsewhere")).status_code == 404
    assert httpx.get(url, headers=api.headers("dispatcher")).status_code == 403
    assert (
        httpx.get(
            f"{api.base}/boundaries/drafts/99999/validation", headers=api.headers("planner")
        ).status_code
        == 404
    )
    fixed = httpx.post(f"{api.base}/boundaries/drafts/{draft_id}/fix", headers=api.headers("planner"))
    assert fixed.status_code == 200, fixed.text
    assert (
        fixed.json()["repairs"] == [] and fixed.json()["validation"]["counts"]["gap"] == 1
    )  # 30 m is no sliver
