"""OGC API Features Part 4 on draft grids over real HTTP: allowed methods, optimistic locking,
validation answers, CRS of input, malformed input, roles and read-only published grids."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import shapely
from sqlalchemy import Engine, create_engine, text

from tests.conftest import Demo
from tests.layers.conftest import auth, dispatcher
from tests.live import live_server

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Draft:
    """A live API over a database with one draft copying a township's active grids."""

    base: str
    engine: Engine
    generation: int
    township: str
    headers: dict[str, str]

    def items(self) -> str:
        """The drafts collection's items URL."""
        return f"{self.base}/collections/drafts/items"

    def one(self, sql: str, **params: object) -> tuple:
        """One row of a query on the database."""
        with self.engine.connect() as conn:
            return tuple(conn.execute(text(sql), params).one())


@pytest.fixture
def draft(demo_url_fresh: str, demo: Demo) -> Iterator[Draft]:
    """A draft of the first township, its county's planner, and the API."""
    township = demo.summary.township_codes[0]
    engine = create_engine(demo_url_fresh)
    with engine.begin() as conn:
        generation = conn.scalar(
            text(
                "INSERT INTO generations (name, scope_code, created_by) VALUES ('edit test', :t, 'test') RETURNING id"
            ),
            {"t": township},
        )
        conn.execute(
            text(
                "INSERT INTO grids (generation_id, code, name, kind, village_code, households, population, geom) "
                "SELECT :g, g.code, g.name, g.kind, g.village_code, g.households, g.population, g.geom FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' WHERE g.code LIKE :p"
            ),
            {"g": generation, "p": township[:9] + "%"},
        )
    planner = auth(demo.token(f"demo-planner-{township[:6]}"))
    with live_server(demo_url_fresh) as base:
        yield Draft(base, engine, generation, township, planner)
    engine.dispose()


def first_grid(d: Draft, offset: int = 0) -> dict:
    """A grid of the draft as the API gives it, with its ETag."""
    listing = httpx.get(
        d.items(), params={"generation_id": d.generation, "limit": 1, "offset": offset}, headers=d.headers
    )
    feature = listing.json()["features"][0]
    response = httpx.get(f"{d.items()}/{feature['id']}", headers=d.headers)
    return {**response.json(), "etag": response.headers["etag"]}


def test_allowed_methods_and_read_only_collections(draft: Draft) -> None:
    """OPTIONS tells drafts from read-only layers; writing a published layer is 405 with Allow."""
    base = draft.base
    conforms = httpx.get(f"{base}/conformance", headers=draft.headers).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete" in conforms
    assert "POST" in httpx.options(draft.items(), headers=draft.headers).headers["allow"]
    assert "PATCH" in httpx.options(f"{draft.items()}/1", headers=draft.headers).headers["allow"]
    assert (
        httpx.options(f"{base}/collections/grids/items", headers=draft.headers).headers["allow"]
        == "GET, OPTIONS"
    )
    refused = httpx.post(f"{base}/collections/grids/items", json={"type": "Feature"}, headers=draft.headers)
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, OPTIONS"
    assert refused.headers["content-type"].startswith(PROBLEM)
    listed = httpx.get(
        draft.items(), params={"generation_id": draft.generation}, headers=draft.headers
    ).json()
    expected = draft.one("SELECT count(*) FROM grids WHERE generation_id = :g", g=draft.generation)[0]
    assert listed["numberMatched"] == expected > 0


def test_patch_with_version_then_stale_edit_is_refused(draft: Draft) -> None:
    """A PATCH naming the current version succeeds and bumps it; one naming the old version is 409."""
    grid = first_grid(draft)
    assert grid["etag"] == f'"v{grid["properties"]["version"]}"'
    url = f"{draft.items()}/{grid['id']}"
    renamed = httpx.patch(
        url,
        json={"type": "Feature", "properties": {"name": "新名称"}},
        headers={**draft.headers, "If-Match": grid["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert body["properties"]["name"] == "新名称"
    assert body["properties"]["version"] == grid["properties"]["version"] + 1
    assert renamed.headers["etag"] == f'"v{body["properties"]["version"]}"'
    assert body["draft"]["generation_id"] == draft.generation and "problems" in body
    stale = httpx.patch(
        url,
        json={"type": "Feature", "properties": {"name": "覆盖"}},
        headers={**draft.headers, "If-Match": grid["etag"]},
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith(PROBLEM)
    unversioned = httpx.patch(
        url, json={"type": "Feature", "properties": {"name": "覆盖"}}, headers=draft.headers
    )
    assert unversioned.status_code == 422
    assert draft.one("SELECT name, version FROM grids WHERE id = :i", i=grid["id"]) == (
        "新名称",
        grid["properties"]["version"] + 1,
    )


def test_replace_that_overlaps_is_accepted_and_reported(draft: Draft) -> None:
    """A PUT moving a grid onto its neighbour is stored (drafts may hold faults) and answered with the overlap."""
    grid = first_grid(draft)
    moved = shapely.affinity.translate(shapely.geometry.shape(grid["geometry"]), xoff=0.002)
    properties = {**grid["properties"], "name": "移动后"}
    response = httpx.put(
        f"{draft.items()}/{grid['id']}",
        json={"type": "Feature", "geometry": shapely.geometry.mapping(moved), "properties": properties},
        headers=draft.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    overlaps = [p for p in body["problems"] if p["kind"] == "overlap"]
    assert overlaps and all(grid["id"] in p["grid_ids"] for p in overlaps)
    assert body["draft"]["blocking"] is True and body["draft"]["problems"]["overlap"] >= 1
    stored = draft.one("SELECT ST_AsText(geom) FROM grids WHERE id = :i", i=grid["id"])[0]
    assert shapely.from_wkt(stored).equals_exact(moved, 1e-7)


def test_post_in_cgcs2000_latitude_first_then_delete(draft: Draft) -> None:
    """POST with Content-Crs EPSG:4490 (lat, lon) stores lon, lat; DELETE needs If-Match and then 404s."""
    lon, lat, village = draft.one(
        "SELECT ST_X(c), ST_Y(c), code FROM (SELECT ST_PointOnSurface(geom) c, code FROM divisions "
        "WHERE parent_code = :t ORDER BY code LIMIT 1) q",
        t=draft.township,
    )
    ring = [[lat, lon], [lat, lon + 0.001], [lat + 0.001, lon + 0.001], [lat + 0.001, lon], [lat, lon]]
    feature = {
        "type": "Feature",
        "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
        "properties": {
            "generation_id": draft.generation,
            "code": village + "999",
            "name": "新增网格",
            "village_code": village,
        },
    }
    headers = {**draft.headers, "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4490>"}
    created = httpx.post(draft.items(), json=feature, headers=headers)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith(draft.items())
    body = created.json()
    assert body["geometry"]["coordinates"][0][0][0] == pytest.approx([lon, lat], abs=1e-7)
    assert body["properties"]["kind"] == "ordinary"
    # The answer names what the new grid leaves wrong in its draft (here at least its household count).
    assert any(body["id"] in p["grid_ids"] for p in body["problems"])
    assert httpx.delete(location, headers=draft.headers).status_code == 422
    deleted = httpx.delete(location, headers={**draft.headers, "If-Match": created.headers["etag"]})
    assert deleted.status_code == 200, deleted.text
    assert httpx.get(location, headers=draft.headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "FeatureCollection", "features": []}, "type"),
        (
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": "x"}, "properties": {}},
            "geometry",
        ),
        ({"type": "Feature", "geometry": None, "properties": {"code": "1", "name": "a"}}, "geometry"),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [120, 28]},
                "properties": {"colour": "red"},
            },
            "colour",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [120, 28]},
                "properties": {"generation_id": 0, "code": "1", "name": "a", "kind": "castle"},
            },
            "kind",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [500000, 3100000]},
                "properties": {"generation_id": 0, "code": "1", "name": "a"},
            },
            "geometry",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [120, 28]},
                "properties": {"code": "1"},
            },
            "generation_id",
        ),
    ],
)
def test_malformed_features_are_refused_clearly(draft: Draft, body: dict, field: str) -> None:
    """Malformed input is 422 problem details naming the field, and nothing is written."""
    before = draft.one("SELECT count(*) FROM grids")[0]
    if (body.get("properties") or {}).get("generation_id") == 0:  # placeholder for the draft's id
        body = {**body, "properties": {**body["properties"], "generation_id": draft.generation}}
    response = httpx.post(draft.items(), json=body, headers=draft.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert field in problem["detail"] or any(e["field"] == field for e in problem.get("errors", []))
    assert draft.one("SELECT count(*) FROM grids")[0] == before


def test_published_grids_and_other_roles_cannot_edit(draft: Draft, demo: Demo) -> None:
    """An active grid is no draft grid (404); a dispatcher may neither read nor write drafts (403)."""
    active_id = draft.one(
        "SELECT g.id FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
        "WHERE g.code LIKE :p LIMIT 1",
        p=draft.township[:9] + "%",
    )[0]
    patched = httpx.patch(
        f"{draft.items()}/{active_id}",
        json={"type": "Feature", "properties": {"name": "x"}},
        headers={**draft.headers, "If-Match": '"v1"'},
    )
    assert patched.status_code == 404
    into_active = httpx.post(
        draft.items(),
        json={
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [120, 28]},
            "properties": {
                "generation_id": draft.one("SELECT generation_id FROM grids WHERE id = :i", i=active_id)[0],
                "code": "x",
                "name": "x",
            },
        },
        headers=draft.headers,
    )
    assert into_active.status_code == 404
    other = dispatcher(demo, draft.township)
    assert httpx.get(draft.items(), headers=other).status_code == 403
    grid = first_grid(draft)
    refused = httpx.patch(
        f"{draft.items()}/{grid['id']}",
        json={"type": "Feature", "properties": {"name": "x"}},
        headers={**other, "If-Match": grid["etag"]},
    )
    assert refused.status_code == 403


def test_requests_shaped_as_qgis_sends_them(draft: Draft) -> None:
    """QGIS posts every field (nulls included), puts back every field it read, and merge-patches."""
    grid = first_grid(draft)
    fields = {name: None for name in grid["properties"]}
    created = httpx.post(
        draft.items(),
        json={
            "type": "Feature",
            "geometry": grid["geometry"],
            "properties": {
                **fields,
                "generation_id": draft.generation,
                "code": "990101001001998",
                "name": "QGIS",
            },
        },
        headers=draft.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["kind"] == "ordinary"
    as_read = httpx.get(created.headers["location"], headers=draft.headers).json()
    put = httpx.put(
        created.headers["location"],
        json={**as_read, "properties": {**as_read["properties"], "name": "QGIS 改"}},
        headers=draft.headers,
    )
    assert put.status_code == 200, put.text
    stale = httpx.put(created.headers["location"], json=as_read, headers=draft.headers)
    assert stale.status_code == 409
    patched = httpx.patch(
        created.headers["location"],
        content=b'{"properties": {"name": "merge patch"}}',
        headers={
            **draft.headers,
            "Content-Type": "application/merge-patch+json",
            "If-Match": put.headers["etag"],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["name"] == "merge patch"
