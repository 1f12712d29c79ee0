"""The coverage-gaps layer finds the ground gaps the demo planted (compared, never read by product
code), within the caller's jurisdiction, as features and in tiles; staffing gaps are tested in
tests/coverage."""

import math

import httpx
import mapbox_vector_tile
import shapely

from tests.conftest import Demo
from tests.layers.conftest import admin, dispatcher


def test_items_match_the_planted_gaps(base: str, demo: Demo) -> None:
    """One feature per planted gap, in its village, with its area and shape."""
    planted = demo.summary.planted["gaps"]
    assert planted
    body = httpx.get(
        f"{base}/collections/coverage-gaps/items?kind=uncovered&limit=1000", headers=admin(demo), timeout=60
    ).json()
    assert body["numberMatched"] == len(planted) == len(body["features"])
    found = {f["properties"]["village_code"]: f for f in body["features"]}
    for gap in planted:
        feature = found[gap["village_code"]]
        assert math.isclose(feature["properties"]["area_m2"], gap["area_m2"], rel_tol=0.01)
        shape, expected = shapely.geometry.shape(feature["geometry"]), shapely.from_wkt(gap["wkt"])
        assert shapely.symmetric_difference(shape, expected).area < 0.001 * expected.area


def test_gaps_are_scoped_and_tiled(base: str, demo: Demo) -> None:
    """A township's dispatcher sees its own gaps only; a tile over a gap carries it."""
    gap = demo.summary.planted["gaps"][0]
    township = gap["village_code"][:9] + "000"
    other = next(t for t in demo.summary.township_codes if t != township)
    mine = httpx.get(
        f"{base}/collections/coverage-gaps/items?limit=1000", headers=dispatcher(demo, township)
    ).json()
    assert {f["properties"]["village_code"] for f in mine["features"]} >= {gap["village_code"]}
    assert all(f["properties"]["township_code"] == township for f in mine["features"])
    theirs = httpx.get(
        f"{base}/collections/coverage-gaps/items?limit=1000", headers=dispatcher(demo, other)
    ).json()
    assert gap["village_code"] not in {f["properties"]["village_code"] for f in theirs["features"]}
    point = shapely.from_wkt(gap["wkt"]).representative_point()
    z = 14
    x = int((point.x + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(point.y))) / math.pi) / 2 * 2**z)
    url = f"{base}/collections/coverage-gaps/tiles/WebMercatorQuad/{z}/{x}/{y}"
    tile = httpx.get(url, headers=dispatcher(demo, township))
    assert tile.status_code == 200
    decoded = mapbox_vector_tile.decode(tile.content)["coverage-gaps"]["features"]
    ground = [f for f in decoded if f["properties"]["kind"] == "uncovered"]
    assert {f["properties"]["village_code"] for f in ground} == {gap["village_code"]}
    assert all(f["properties"]["township_code"] == township for f in decoded)
    theirs_tile = httpx.get(url, headers=dispatcher(demo, other))
    if theirs_tile.status_code != 204:  # the other township's own staffing gaps may share the tile
        other_features = mapbox_vector_tile.decode(theirs_tile.content)["coverage-gaps"]["features"]
        assert all(f["properties"]["township_code"] == other for f in other_features)
