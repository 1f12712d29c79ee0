"""The web map in a real headless Chromium (Debian's): it loads offline assets, renders the
dispatcher's tiles, and a click shows the grid code that `POST /locate` gives for that point."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright
from sqlalchemy import Engine, text

from tests.conftest import Demo
from tests.layers.conftest import CHROMIUM, CHROMIUM_ARGS, dispatcher

RENDERED = (
    "window.gridMap && window.gridMap.loaded() && window.gridMap.areTilesLoaded()"
    " && window.gridMap.querySourceFeatures('grids', {sourceLayer: 'grids'}).length > 0"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_map(browser: Browser, base: str, token: str, requests: list[Request]) -> Page:
    """The map page with a token entered, once its tiles have rendered."""
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    page.on("request", lambda request: requests.append(request))
    page.goto(f"{base}/map")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_function(RENDERED, timeout=60_000)
    return page


def test_map_renders_scoped_tiles_and_click_shows_the_located_grid(
    browser: Browser, base: str, demo: Demo, engine: Engine
) -> None:
    """Tiles load with the Bearer header (never a token in a URL); clicking a grid shows /locate's grid code."""
    township = demo.summary.township_codes[0]
    headers = dispatcher(demo, township)
    token = headers["Authorization"].removeprefix("Bearer ")
    requests: list[Request] = []
    page = open_map(browser, base, token, requests)
    tiles = [
        r for r in requests if "/tiles/WebMercatorQuad/" in r.url and r.url.endswith(tuple("0123456789"))
    ]
    assert tiles, "no tile was requested"
    assert all(r.headers.get("authorization") == f"Bearer {token}" for r in tiles)
    assert all(token not in r.url for r in requests)
    # MapLibre starts its worker from a blob: URL; everything fetched over the network is ours.
    remote = [r.url for r in requests if r.url.startswith(("http:", "https:")) and not r.url.startswith(base)]
    assert remote == [], "the page fetched something from elsewhere"
    statuses = {r.response().status for r in tiles if r.response() is not None}  # type: ignore[union-attr]
    assert statuses <= {200, 204} and 200 in statuses
    rendered = page.evaluate(
        "[...new Set(window.gridMap.querySourceFeatures('grids', {sourceLayer: 'grids'}).map(f => f.properties.code))]"
    )
    assert rendered and all(code.startswith(township[:9]) for code in rendered)

    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) AS p FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                "WHERE g.code LIKE :p ORDER BY ST_Area(g.geom) DESC LIMIT 1) AS q"
            ),
            {"p": township[:9] + "%"},
        ).one()
    x, y = page.evaluate(
        "([lng, lat]) => { const p = window.gridMap.project([lng, lat]); return [p.x, p.y]; }", [lon, lat]
    )
    page.mouse.click(x, y)
    shown = page.locator('[data-field="grid.code"]')
    shown.wait_for(timeout=10_000)
    clicked = page.evaluate("window.lastInspected")
    located = httpx.post(
        f"{base}/locate", json={"lon": clicked["lng"], "lat": clicked["lat"]}, headers=headers
    )
    assert located.status_code == 200, located.text
    assert shown.inner_text() == clicked["grid"] == located.json()["grid"]["code"]
    assert page.locator('[data-field="grid.workers"]').inner_text().isdigit()
    page.close()


def test_map_refuses_a_bad_token(browser: Browser, base: str) -> None:
    """A wrong token leaves the sign-in form up with a message and draws no map."""
    page = browser.new_page()
    page.goto(f"{base}/map")
    page.fill("#token", "grd_wrong")
    page.click("button[type=submit]")
    page.locator("#message").filter(has_text="令牌").wait_for(timeout=10_000)
    assert page.evaluate("window.gridMap === undefined")
    assert page.evaluate("sessionStorage.getItem('grids.token')") is None
    page.close()
