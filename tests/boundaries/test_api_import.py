"""Uploads and GeoJSON bodies under /boundaries, over real HTTP; bad uploads change nothing."""

import json

import httpx
import pytest
import shapely
from sqlalchemy.orm import Session

from api.routers import boundaries as router
from tests.boundaries.conftest import TOWNSHIP, Api, Files, count, grid_shapes, stored

PROBLEM = "application/problem+json"


def draft_file(files: Files, name: str = "d.gpkg") -> bytes:
    """The eight hand-made grids as a GeoPackage."""
    grids = grid_shapes()
    return files.write(
        name, [{"code": c, "name": "网格"} for c, _ in grids], [g for _, g in grids]
    ).read_bytes()


def test_upload_and_geojson_body(api: Api, files: Files, world: Session) -> None:
    """A planner uploads a GeoPackage and posts a GeoJSON body; both become drafts of the township."""
    answer = httpx.post(
        f"{api.base}/boundaries/drafts/upload",
        headers=api.headers("planner"),
        files={"file": ("东山.gpkg", draft_file(files), "application/geopackage+sqlite3")},
        data={"name": "上传草稿"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["scope_code"] == TOWNSHIP and answer.json()["grids"] == 8
    body = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": c}, "geometry": shapely.geometry.mapping(stored(g))}
            for c, g in grid_shapes()
        ],
    }
    posted = httpx.post(
        f"{api.base}/boundaries/drafts",
        params={"name": "正文草稿"},
        json=body,
        headers=api.headers("planner"),
    )
    assert posted.status_code == 201, posted.text
    listed = httpx.get(f"{api.base}/boundaries/drafts", headers=api.headers("planner")).json()
    assert [d["name"] for d in listed] == ["正文草稿", "上传草稿"]
    assert count(world, "grids") == 16


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("a.geojson", b"\x00\x01 not json at all", "not a readable geospatial file"),
        ("a.zip", b"PK\x03\x04 broken", "not a valid zip archive"),
        (
            "a.geojson",
            json.dumps({"type": "FeatureCollection", "features": []}).encode(),
            "holds no features",
        ),
        ("a.exe", b"MZ", "give one of"),
    ],
)
def test_bad_uploads(api: Api, world: Session, filename: str, content: bytes, fragment: str) -> None:
    """Corrupt, empty or foreign uploads: 422 problem details naming the file; nothing is stored."""
    answer = httpx.post(
        f"{api.base}/boundaries/drafts/upload",
        headers=api.headers("planner"),
        files={"file": (filename, content)},
        data={"name": "坏文件"},
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert fragment in answer.json()["detail"] and answer.json()["errors"][0]["field"] == "file"
    assert count(world, "generations") == 0


def test_huge_upload_is_refused(
    api: Api, files: Files, world: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upload over the size limit: 413 problem details; nothing is stored."""
    monkeypatch.setattr(router, "MAX_UPLOAD_BYTES", 10_000)
    answer = httpx.post(
        f"{api.base}/boundaries/drafts/upload",
        headers=api.headers("planner"),
        files={"file": ("big.geojson", b" " * 20_000 + draft_file(files, "x.geojson"))},
        data={"name": "大文件"},
    )
    assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM
    assert "at most" in answer.json()["detail"]
    assert count(world, "generations") == 0


def test_roles_and_jurisdiction(api: Api, files: Files, world: Session) -> None:
    """A dispatcher may not import (403); a planner of another township may not draft this one (403)."""
    content = draft_file(files)
    for role, expected in (("dispatcher", 403), ("elsewhere", 403)):
        answer = httpx.post(
            f"{api.base}/boundaries/drafts/upload",
            headers=api.headers(role),
            files={"file": ("d.gpkg", content)},
            data={"name": f"草稿-{role}"},
        )
        assert answer.status_code == expected, answer.text
    assert httpx.get(f"{api.base}/boundaries/drafts").status_code == 401
    assert count(world, "generations") == 0


def test_divisions_upload(api: Api, world: Session) -> None:
    """A planner uploads a code list naming a village of their township."""
    answer = httpx.post(
        f"{api.base}/boundaries/divisions/upload",
        headers=api.headers("planner"),
        files={"file": ("v.csv", "code,name\n990102001003,南岭村\n".encode())},
        data={"level": "village"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == ["990102001003"] and answer.json()["placeholders"] == []
