"""OGC API Features (Parts 1 and 2) on the demo city over real HTTP, checked against the database."""

import re
from typing import Any

import httpx
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import Engine, create_engine, text

from gis.offsets import wgs84_to_gcj02
from tests.conftest import Demo
from tests.layers.conftest import admin, auth, dispatcher
from tests.layers.test_tiles import codes, tile_of
from tests.live import live_server

GEOJSON = "application/geo+json"
PROBLEM = "application/problem+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
ACTIVE_GRIDS = (
    "SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
    "WHERE g.code LIKE :p"
)


def scalars(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """The first column of a query's rows."""
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(sql), params)]


def all_items(url: str, headers: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every feature reached by following `next` links, and the first page's numberMatched."""
    features: list[dict[str, Any]] = []
    matched = None
    while url:
        page = httpx.get(url, headers=headers, timeout=60)
        assert page.status_code == 200, page.text
        body = page.json()
        matched = body["numberMatched"] if matched is None else matched
        assert body["numberReturned"] == len(body["features"])
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), "")
    assert matched is not None
    return features, matched


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", "/collections/grids/items"])
def test_every_request_needs_a_token(base: str, path: str) -> None:
    """Without a bearer token the OGC API answers 401 problem details."""
    response = httpx.get(base + path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


def test_landing_conformance_and_collections(base: str, demo: Demo) -> None:
    """The landing page links the parts; conformance declares Part 1 and Part 2; all five layers listed."""
    headers = admin(demo)
    landing = httpx.get(f"{base}/", headers=headers).json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conforms = httpx.get(f"{base}/conformance", headers=headers).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms
    listed = httpx.get(f"{base}/collections", headers=headers).json()["collections"]
    assert [c["id"] for c in listed] == [
        "counties",
        "townships",
        "villages",
        "grids",
        "cases",
        "coverage-gaps",
        "drafts",
    ]
    township = demo.summary.township_codes[0]
    seen = httpx.get(f"{base}/collections", headers=dispatcher(demo, township)).json()["collections"]
    assert "drafts" not in {c["id"] for c in seen}
    for collection in listed:
        assert collection["crs"] == [CRS84, EPSG_4490, EPSG_3857]
        assert collection["storageCrs"] == EPSG_4490
        west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
        assert 119 < west < east < 121 and 27 < south < north < 30
    cases = next(c for c in listed if c["id"] == "cases")
    start, end = cases["extent"]["temporal"]["interval"][0]
    assert start < end


def test_items_page_through_to_the_database_set(base: str, demo: Demo, engine: Engine) -> None:
    """Following `next` links yields exactly the dispatcher's township's grids, numberMatched agreeing."""
    township = demo.summary.township_codes[0]
    features, matched = all_items(f"{base}/collections/grids/items?limit=7", dispatcher(demo, township))
    expected = scalars(engine, ACTIVE_GRIDS, p=township[:9] + "%")
    assert matched == len(expected) == len(features)
    assert sorted(f["id"] for f in features) == sorted(expected)
    assert all(f["properties"]["township_code"] == township for f in features)


@pytest.mark.parametrize("collection", ["counties", "townships", "villages", "grids", "cases"])
def test_number_matched_is_scoped(base: str, demo: Demo, engine: Engine, collection: str) -> None:
    """numberMatched counts only what the caller's jurisdiction holds: admin all, a dispatcher one township."""
    township = demo.summary.township_codes[1]
    queries = {
        "counties": "SELECT code FROM divisions WHERE level = 'county' AND code LIKE :p",
        "townships": "SELECT code FROM divisions WHERE level = 'township' AND code LIKE :p",
        "villages": "SELECT code FROM divisions WHERE level = 'village' AND code LIKE :p",
        "grids": ACTIVE_GRIDS,
        "cases": "SELECT id FROM cases WHERE geom IS NOT NULL AND (county_code LIKE :p OR township_code LIKE :p)",
    }
    for headers, pattern in ((admin(demo), "99%"), (dispatcher(demo, township), township[:9] + "%")):
        body = httpx.get(f"{base}/collections/{collection}/items?limit=1", headers=headers).json()
        assert body["numberMatched"] == len(scalars(engine, queries[collection], p=pattern))
    assert (
        httpx.get(f"{base}/collections/counties/items", headers=dispatcher(demo, township)).json()[
            "numberMatched"
        ]
        == 0
    )


def test_out_of_scope_feature_is_404(base: str, demo: Demo, engine: Engine) -> None:
    """A grid, village or case of another township is not found for a township's dispatcher."""
    mine, other = demo.summary.township_codes[:2]
    headers = dispatcher(demo, mine)
    their_grid = scalars(engine, ACTIVE_GRIDS + " LIMIT 1", p=other[:9] + "%")[0]
    my_grid = scalars(engine, ACTIVE_GRIDS + " LIMIT 1", p=mine[:9] + "%")[0]
    their_case = scalars(
        engine, "SELECT id FROM cases WHERE township_code = :t AND geom IS NOT NULL LIMIT 1", t=other
    )[0]
    assert httpx.get(f"{base}/collections/grids/items/{my_grid}", headers=headers).status_code == 200
    for path in (f"grids/items/{their_grid}", f"villages/items/{other[:9]}001", f"cases/items/{their_case}"):
        response = httpx.get(f"{base}/collections/{path}", headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith(PROBLEM)
    admin_view = httpx.get(f"{base}/collections/grids/items/{their_grid}", headers=admin(demo))
    assert admin_view.status_code == 200
    assert admin_view.headers["content-type"] == GEOJSON


def test_bbox_matches_a_spatial_query(base: str, demo: Demo, engine: Engine) -> None:
    """bbox (CRS84, or EPSG:4490 latitude first) selects what ST_Intersects selects."""
    x0, y0, x1, y1 = 119.86, 28.40, 119.89, 28.43
    expected = scalars(
        engine,
        ACTIVE_GRIDS + " AND ST_Intersects(g.geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))",
        p="99%",
        x0=x0,
        y0=y0,
        x1=x1,
        y1=y1,
    )
    assert expected
    crs84, _ = all_items(f"{base}/collections/grids/items?bbox={x0},{y0},{x1},{y1}&limit=50", admin(demo))
    latlon, _ = all_items(
        f"{base}/collections/grids/items?bbox={y0},{x0},{y1},{x1}&bbox-crs={EPSG_4490}&limit=50", admin(demo)
    )
    assert sorted(f["id"] for f in crs84) == sorted(f["id"] for f in latlon) == sorted(expected)
    box = shapely.box(x0, y0, x1, y1)
    assert all(shapely.intersects(shapely.geometry.shape(f["geometry"]), box) for f in crs84)


def first_coordinate(feature: dict[str, Any]) -> tuple[float, float]:
    """The first vertex of a (multi)polygon feature."""
    a, b = feature["geometry"]["coordinates"][0][0][0]
    return a, b


def test_output_crs_and_content_crs(base: str, demo: Demo, engine: Engine) -> None:
    """EPSG:4490 swaps the axes, EPSG:3857 is PROJ's Web Mercator, gcj02 the published offset."""
    code = scalars(engine, ACTIVE_GRIDS + " ORDER BY g.code LIMIT 1", p="99%")[0]
    url = f"{base}/collections/grids/items/{code}"
    plain = httpx.get(url, headers=admin(demo))
    assert plain.headers["content-crs"] == f"<{CRS84}>"
    lon, lat = first_coordinate(plain.json())
    latlon = httpx.get(url, params={"crs": EPSG_4490}, headers=admin(demo))
    assert latlon.headers["content-crs"] == f"<{EPSG_4490}>"
    assert first_coordinate(latlon.json()) == pytest.approx((lat, lon), abs=1e-9)
    mercator = httpx.get(url, params={"crs": EPSG_3857}, headers=admin(demo))
    x, y = Transformer.from_crs(4490, 3857, always_xy=True).transform(lon, lat)
    assert first_coordinate(mercator.json()) == pytest.approx((x, y), abs=0.05)
    gcj = httpx.get(url, params={"crs": "gcj02"}, headers=admin(demo))
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    assert first_coordinate(gcj.json()) == pytest.approx((glon[0], glat[0]), abs=1e-6)
    assert first_coordinate(gcj.json()) != pytest.approx((lon, lat), abs=1e-4)


def test_datetime_and_property_filters(base: str, demo: Demo, engine: Engine) -> None:
    """A reported_at interval and an equality filter select what SQL selects."""
    township = demo.summary.township_codes[0]
    url = f"{base}/collections/cases/items?datetime=2026-10-01T00:00:00Z/2026-10-15T00:00:00Z&status=closed&limit=500"
    features, matched = all_items(url, dispatcher(demo, township))
    expected = scalars(
        engine,
        "SELECT id FROM cases WHERE township_code = :t AND geom IS NOT NULL AND status = 'closed' "
        "AND reported_at BETWEEN '2026-10-01T00:00:00Z' AND '2026-10-15T00:00:00Z'",
        t=township,
    )
    assert matched == len(expected) > 0
    assert sorted(f["id"] for f in features) == sorted(expected)
    assert {f["properties"]["status"] for f in features} == {"closed"}
    unassigned = httpx.get(
        f"{base}/collections/cases/items?unassigned=true&open=true&limit=1",
        headers=dispatcher(demo, township),
    ).json()
    assert unassigned["numberMatched"] == len(
        scalars(
            engine,
            "SELECT id FROM cases WHERE township_code = :t AND geom IS NOT NULL AND worker_id IS NULL "
            "AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')",
            t=township,
        )
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=120,29,119,28", "bbox"),
        ("crs=EPSG:4326", "crs"),
        ("bbox=1,2,3,4&bbox-crs=EPSG:2000", "bbox-crs"),
        ("datetime=yesterday", "datetime"),
        ("no_such_property=1", "no_such_property"),
        ("households=many", "households"),
        ("generation=999999", "generation"),
    ],
)
def test_bad_parameters_are_clear_problems(base: str, demo: Demo, query: str, field: str) -> None:
    """Malformed parameters get 4xx problem details naming the field."""
    response = httpx.get(f"{base}/collections/grids/items?{query}", headers=admin(demo))
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert field in body["detail"] or any(e["field"] == field for e in body.get("errors", []))


def test_no_personal_data_in_any_layer(base: str, demo: Demo, engine: Engine) -> None:
    """No person's name or phone is a value in any collection, and nothing there looks like a phone."""
    people = set(scalars(engine, "SELECT full_name FROM people WHERE full_name <> ''"))
    people |= set(scalars(engine, "SELECT phone FROM people WHERE phone IS NOT NULL"))
    assert len(people) > 100
    for collection in ("grids", "cases", "villages"):
        page = httpx.get(f"{base}/collections/{collection}/items?limit=2000", headers=admin(demo))
        values = {str(v) for f in page.json()["features"] for v in f["properties"].values()}
        assert values and values.isdisjoint(people)
        assert re.findall(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", page.text) == []


def test_html_views(base: str, demo: Demo) -> None:
    """f=html renders the landing page, collections and a feature table."""
    for path, needle in (
        ("/", "Grid management"),
        ("/collections", "网格"),
        ("/collections/townships/items", "code"),
    ):
        response = httpx.get(f"{base}{path}", params={"f": "html"}, headers=admin(demo))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert needle in response.text


def test_queryables_list_simple_properties(base: str, demo: Demo) -> None:
    """Queryables name every non-temporal property with its JSON type."""
    body = httpx.get(f"{base}/collections/cases/queryables", headers=auth(demo.token("demo-leader"))).json()
    assert body["properties"]["status"]["type"] == "string"
    assert body["properties"]["unassigned"]["type"] == "boolean"
    assert "reported_at" not in body["properties"]


def test_past_generation_by_parameter_and_by_datetime(demo_url_fresh: str, demo: Demo) -> None:
    """After a redraw, grids shows the new generation; `generation` and `datetime` reach the retired one."""
    county = demo.summary.county_codes[0]
    engine = create_engine(demo_url_fresh)
    with engine.begin() as conn:
        old = conn.scalar(
            text("SELECT id FROM generations WHERE scope_code = :c AND status = 'active'"), {"c": county}
        )
        before = conn.scalar(
            text("SELECT activated_at + interval '1 day' FROM generations WHERE id = :g"), {"g": old}
        )
        new = conn.scalar(
            text(
                "INSERT INTO generations (name, scope_code, created_by) VALUES ('redraw', :c, 'test') RETURNING id"
            ),
            {"c": county},
        )
        conn.execute(
            text(
                "INSERT INTO grids (generation_id, code, name, kind, village_code, households, population, geom) "
                "SELECT :new, code, name || '（新）', kind, village_code, households, population, geom FROM grids "
                "WHERE generation_id = :old AND code <> (SELECT max(code) FROM grids WHERE generation_id = :old)"
            ),
            {"new": new, "old": old},
        )
        conn.execute(
            text("UPDATE generations SET status = 'retired', retired_at = now() WHERE id = :g"), {"g": old}
        )
        conn.execute(
            text("UPDATE generations SET status = 'active', activated_at = now() WHERE id = :g"), {"g": new}
        )
        old_count = conn.scalar(text("SELECT count(*) FROM grids WHERE generation_id = :g"), {"g": old})
        gone, lon, lat = conn.execute(
            text(
                "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids "
                "WHERE generation_id = :g ORDER BY code DESC LIMIT 1"
            ),
            {"g": old},
        ).one()
    engine.dispose()
    planner = auth(demo.token(f"demo-planner-{county[:6]}"))
    with live_server(demo_url_fresh) as base:
        url = f"{base}/collections/grids/items?limit=1"
        current = httpx.get(url, headers=planner).json()
        assert current["numberMatched"] == old_count - 1
        assert current["features"][0]["properties"]["name"].endswith("（新）")
        past = httpx.get(f"{url}&generation={old}", headers=planner).json()
        assert past["numberMatched"] == old_count
        assert past["features"][0]["properties"]["valid_to"] is not None
        then = httpx.get(url, params={"datetime": before.isoformat()}, headers=planner).json()
        assert then["numberMatched"] == old_count
        assert {f["properties"]["generation_id"] for f in then["features"]} == {old}
        other = demo.summary.township_codes[-1]
        assert not other.startswith(county[:6])
        hidden = httpx.get(f"{url}&generation={old}", headers=dispatcher(demo, other))
        assert hidden.status_code == 404
        # Tiles reach the retired generation the same way (read on the event loop, checked first).
        x, y = tile_of(lon, lat, 14)
        tile = f"{base}/collections/grids/tiles/WebMercatorQuad/14/{x}/{y}"
        assert gone not in codes(httpx.get(tile, headers=planner))
        assert gone in codes(httpx.get(f"{tile}?generation={old}", headers=planner))
        assert httpx.get(f"{tile}?generation={old}", headers=dispatcher(demo, other)).status_code == 404
        for bad in ("abc", "0", "99999999999"):
            refused = httpx.get(f"{tile}?generation={bad}", headers=planner)
            assert refused.status_code == 422, bad
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "generation" in refused.json()["detail"]
