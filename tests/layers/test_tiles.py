"""Vector tiles decoded with mapbox-vector-tile, checked against independent PostGIS queries; scoping
on a tile that straddles two townships, fetched by both townships' dispatchers in turn."""

import math
from typing import Any

import httpx
import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, text

from tests.conftest import Demo
from tests.layers.conftest import admin, dispatcher

HALF = 20037508.342789244
OPEN = "status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The WebMercatorQuad column and row holding a point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def bounds(z: int, x: int, y: int, margin: float = 0.0) -> tuple[float, float, float, float]:
    """A tile's box in EPSG:3857, widened by `margin` of its side."""
    size = 2 * HALF / 2**z
    minx, maxy = -HALF + x * size, HALF - y * size
    pad = size * margin
    return minx - pad, maxy - size - pad, minx + size + pad, maxy + pad


def fetch(base: str, layer: str, z: int, x: int, y: int, headers: dict[str, str]) -> httpx.Response:
    """GET one tile."""
    return httpx.get(
        f"{base}/collections/{layer}/tiles/WebMercatorQuad/{z}/{x}/{y}", headers=headers, timeout=30
    )


def decode(response: httpx.Response, layer: str) -> list[dict[str, Any]]:
    """The features of `layer` in a tile response (none for 204)."""
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return list(mapbox_vector_tile.decode(response.content).get(layer, {"features": []})["features"])


def codes(response: httpx.Response) -> set[str]:
    """Grid codes in a grids tile."""
    return {f["properties"]["code"] for f in decode(response, "grids")}


def expected_grids(engine: Engine, z: int, x: int, y: int, pattern: str) -> tuple[set[str], set[str]]:
    """Active grids under `pattern` touching the tile's buffered box, and those covering a real area of it."""
    x0, y0, x1, y1 = bounds(z, x, y, margin=64 / 4096)
    pixel = (2 * HALF / 2**z / 4096) ** 2
    query = text(
        "SELECT g.code, ST_Area(ST_Intersection(ST_Transform(g.geom, 3857), e)) FROM grids g "
        "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active', "
        "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 3857) AS e "
        "WHERE g.code LIKE :p AND ST_Intersects(ST_Transform(g.geom, 3857), e)"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "p": pattern}).all()
    return {r[0] for r in rows}, {r[0] for r in rows if r[1] > 16 * pixel}


@pytest.fixture(scope="module")
def border(engine: Engine) -> tuple[str, str, float, float]:
    """Two townships sharing a border, and a point on it."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.code, b.code, ST_X(p), ST_Y(p) FROM divisions a JOIN divisions b "
                "ON a.level = 'township' AND b.level = 'township' AND a.code < b.code "
                "AND ST_Intersects(a.geom, b.geom), "
                "LATERAL (SELECT ST_ClosestPoint(ST_Intersection(a.geom, b.geom), ST_Centroid(a.geom)) AS p) AS q "
                "ORDER BY a.code, b.code LIMIT 1"
            )
        ).one()
    return row[0], row[1], row[2], row[3]


def test_tilejson_describes_each_layer(base: str, demo: Demo) -> None:
    """TileJSON 3 with absolute tile URLs, the layer's fields and its zoom range."""
    for layer, minzoom in (("counties", 5), ("townships", 7), ("villages", 9), ("grids", 10), ("cases", 8)):
        body = httpx.get(
            f"{base}/collections/{layer}/tiles/WebMercatorQuad/tilejson.json", headers=admin(demo)
        ).json()
        assert body["tilejson"] == "3.0.0"
        assert body["tiles"] == [f"{base}/collections/{layer}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"]
        assert body["minzoom"] == minzoom < body["maxzoom"]
        (vector,) = body["vector_layers"]
        assert vector["id"] == layer and vector["minzoom"] == minzoom
    grid_fields = httpx.get(
        f"{base}/collections/grids/tiles/WebMercatorQuad/tilejson.json", headers=admin(demo)
    ).json()["vector_layers"][0]["fields"]
    assert {"code", "name", "households", "workers", "open_cases", "load"} <= set(grid_fields)


def test_grid_tile_has_the_right_features_and_figures(
    base: str, demo: Demo, engine: Engine, border: tuple
) -> None:
    """A z13 grid tile holds the grids a spatial query finds, with households, workers and open cases."""
    _, _, lon, lat = border
    x, y = tile_of(lon, lat, 13)
    features = decode(fetch(base, "grids", 13, x, y, admin(demo)), "grids")
    touching, covering = expected_grids(engine, 13, x, y, "99%")
    found = {f["properties"]["code"] for f in features}
    assert covering <= found <= touching and covering
    with engine.connect() as conn:
        for feature in features:
            props = feature["properties"]
            households, workers, open_cases = conn.execute(
                text(
                    "SELECT g.households, (SELECT count(DISTINCT a.worker_id) FROM worker_assignments a "
                    "JOIN workers w ON w.id = a.worker_id AND w.active WHERE a.grid_code = g.code AND a.kind <> 'platform' "
                    "AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())), "
                    f"(SELECT count(*) FROM cases c WHERE c.grid_code = g.code AND c.{OPEN}) "
                    "FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                    "WHERE g.code = :code"
                ),
                {"code": props["code"]},
            ).one()
            assert (props["households"], props["workers"], props["open_cases"]) == (
                households,
                workers,
                open_cases,
            )
            assert "population" in props and "name" in props


def test_tile_straddling_a_township_border_is_scoped(
    base: str, demo: Demo, engine: Engine, border: tuple
) -> None:
    """Each township's dispatcher gets only their own grids from the same tile, fetched in turn."""
    a, b, lon, lat = border
    for z in (12, 13, 14):
        x, y = tile_of(lon, lat, z)
        everything = codes(fetch(base, "grids", z, x, y, admin(demo)))
        if any(c.startswith(a[:9]) for c in everything) and any(c.startswith(b[:9]) for c in everything):
            break
    else:
        pytest.fail("no tile near the border holds grids of both townships")
    first = fetch(base, "grids", z, x, y, dispatcher(demo, a))
    second = fetch(base, "grids", z, x, y, dispatcher(demo, b))
    again = fetch(base, "grids", z, x, y, dispatcher(demo, a))
    mine, theirs = codes(first), codes(second)
    assert mine and theirs
    assert all(c.startswith(a[:9]) for c in mine) and all(c.startswith(b[:9]) for c in theirs)
    assert mine == codes(again) == {c for c in everything if c.startswith(a[:9])}
    assert theirs == {c for c in everything if c.startswith(b[:9])}
    assert first.headers["etag"] == again.headers["etag"] != second.headers["etag"]
    assert {
        f["properties"]["grid_code"][:9]
        for f in decode(fetch(base, "cases", 14, *tile_of(lon, lat, 14), dispatcher(demo, a)), "cases")
    } <= {a[:9]}
    touching, covering = expected_grids(engine, z, x, y, a[:9] + "%")
    assert covering <= mine <= touching


def test_tile_of_another_township_is_empty(base: str, demo: Demo, engine: Engine, border: tuple) -> None:
    """A tile wholly inside another township, or far from any data, is 204 with no body."""
    a, b, _, _ = border
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM divisions WHERE code = :b) q"
            ),
            {"b": b},
        ).one()
    x, y = tile_of(lon, lat, 16)
    assert codes(fetch(base, "grids", 16, x, y, admin(demo)))
    response = fetch(base, "grids", 16, x, y, dispatcher(demo, a))
    assert response.status_code == 204 and response.content == b""
    assert fetch(base, "grids", 10, 0, 0, admin(demo)).status_code == 204


def test_etag_and_cache_headers(base: str, demo: Demo, border: tuple) -> None:
    """Tiles are privately cacheable, vary by token, and a matching If-None-Match gets 304."""
    _, _, lon, lat = border
    x, y = tile_of(lon, lat, 12)
    first = fetch(base, "grids", 12, x, y, admin(demo))
    assert first.headers["cache-control"].startswith("private")
    assert first.headers["vary"] == "Authorization"
    again = fetch(base, "grids", 12, x, y, {**admin(demo), "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_case_tiles_points_and_clusters(base: str, demo: Demo, engine: Engine, border: tuple) -> None:
    """Case tiles carry the dispatcher's open cases: single points at z14, counted clusters at z10."""
    a, _, lon, lat = border
    headers = dispatcher(demo, a)
    with engine.connect() as conn:

        def open_in(z: int, x: int, y: int, margin: float = 0.0) -> int:
            x0, y0, x1, y1 = bounds(z, x, y, margin)
            return int(
                conn.scalar(
                    text(
                        f"SELECT count(*) FROM cases WHERE township_code = :t AND {OPEN} AND geom IS NOT NULL "
                        "AND ST_Intersects(ST_Transform(geom, 3857), ST_MakeEnvelope(:x0, :y0, :x1, :y1, 3857))"
                    ),
                    {"t": a, "x0": x0, "y0": y0, "x1": x1, "y1": y1},
                )
            )

        x, y = tile_of(lon, lat, 14)
        points = decode(fetch(base, "cases", 14, x, y, headers), "cases")
        assert len(points) == open_in(14, x, y, margin=64 / 4096)  # points in the tile's buffer come too
        assert all(p["properties"]["open"] for p in points)
        assert all("description" not in p["properties"] for p in points)
        x, y = tile_of(lon, lat, 10)
        clusters = decode(fetch(base, "cases", 10, x, y, headers), "cases")
        assert len(clusters) < sum(c["properties"]["count"] for c in clusters) == open_in(10, x, y) > 0
        assert all(set(c["properties"]) == {"count", "unassigned", "overdue"} for c in clusters)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("grids/tiles/WebMercatorQuad/9/420/210", 404),
        ("grids/tiles/WebMercatorQuad/12/5000/10", 422),
        ("grids/tiles/WebMercatorQuad/23/1/1", 422),
        ("grids/tiles/WebMercatorQuad/twelve/1/1", 422),
        ("grids/tiles/WebMercatorQuad/12/1/-1", 422),
        ("nothing/tiles/WebMercatorQuad/12/1/1", 404),
    ],
)
def test_tile_errors_are_problems(base: str, demo: Demo, path: str, status: int) -> None:
    """Below the layer's zoom range, outside the matrix, or an unknown layer: problem details."""
    response = httpx.get(f"{base}/collections/{path}", headers=admin(demo))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(f"{base}/collections/grids/tiles/WebMercatorQuad/12/1/1").status_code == 401
