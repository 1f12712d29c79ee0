"""Diff and publish through HTTP and the command line, on the hand-made township."""

import httpx
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.imports import import_draft
from tests.boundaries.conftest import OPERATOR, Api, Files, grid_shapes
from tests.test_cli import run

PROBLEM = "application/problem+json"


def draft(world: Session, files: Files, name: str, split_x: float = 500, gap: bool = False) -> int:
    """A committed draft of the eight grids, the first two split at `split_x` (a gap if asked)."""
    grids = grid_shapes()
    shapes = [g for _, g in grids]
    shapes[0] = shapely.box(0, 500, split_x - (30 if gap else 0), 1000)
    shapes[1] = shapely.box(split_x, 500, 1000, 1000)
    path = files.write(f"{name}.geojson", [{"code": c} for c, _ in grids], shapes)
    made = import_draft(world, path=path, name=name, caller=OPERATOR)
    world.commit()
    return made.generation_id


def test_http_publish_then_diff_and_republish(api: Api, world: Session, files: Files) -> None:
    """First publish adds all; a redraw diffs as two reshaped grids; a blocked draft is 409; roles hold."""
    first = draft(world, files, "初版")
    dry = httpx.post(f"{api.base}/boundaries/drafts/{first}/publish", headers=api.headers("planner"))
    assert dry.status_code == 200 and not dry.json()["committed"] and dry.json()["counts"] == {"added": 8}
    assert (
        world.execute(text("SELECT status FROM generations WHERE id = :g"), {"g": first}).scalar() == "draft"
    )
    assert (
        httpx.post(
            f"{api.base}/boundaries/drafts/{first}/publish", headers=api.headers("dispatcher")
        ).status_code
        == 403
    )
    assert (
        httpx.post(
            f"{api.base}/boundaries/drafts/{first}/publish", headers=api.headers("elsewhere")
        ).status_code
        == 404
    )
    done = httpx.post(
        f"{api.base}/boundaries/drafts/{first}/publish",
        params={"commit": "true"},
        headers=api.headers("planner"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["committed"] and len(done.json()["grids_without_worker"]) == 8
    world.expire_all()
    assert (
        world.execute(text("SELECT status FROM generations WHERE id = :g"), {"g": first}).scalar() == "active"
    )

    second = draft(world, files, "调整", split_x=600)
    diff = httpx.get(f"{api.base}/boundaries/drafts/{second}/diff", headers=api.headers("planner"))
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert body["counts"] == {"reshaped": 2, "unchanged": 6} and body["active_generations"] == [first]
    changes = {g["code"]: g for g in body["grids"]}
    first_code, second_code = (c for c, _ in grid_shapes()[:2])
    assert changes[first_code]["area_change_pct"] > 19 and changes[second_code]["area_change_pct"] < -19
    assert (
        changes[first_code]["area_change_m2"] == -changes[second_code]["area_change_m2"]
        or abs(changes[first_code]["area_change_m2"] + changes[second_code]["area_change_m2"]) < 1
    )

    blocked = draft(world, files, "有缺口", gap=True)
    refused = httpx.post(
        f"{api.base}/boundaries/drafts/{blocked}/publish",
        params={"commit": "true"},
        headers=api.headers("planner"),
    )
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert "gap 1" in refused.json()["detail"]


def test_cli_diff_and_publish(world: Session, files: Files, database_url: str) -> None:
    """`publish` is a dry run until --commit; `diff` shows the reshaped grids."""
    draft(world, files, "初版")
    dry = run(database_url, "boundaries", "publish", "初版")
    assert dry.returncode == 0 and "试运行 dry run" in dry.stdout
    done = run(database_url, "boundaries", "publish", "初版", "--commit")
    assert done.returncode == 0 and "已发布 published" in done.stdout, done.stderr
    draft(world, files, "调整", split_x=600)
    shown = run(database_url, "boundaries", "diff", "调整")
    assert shown.returncode == 0 and "reshaped 2" in shown.stdout
