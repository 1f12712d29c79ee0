"""pydeck presets: scoped data, and an offline page that draws in Chromium with the network cut."""

from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from grids.users import Principal
from layers.deck import deck, load_colour
from tests.conftest import Demo
from tests.layers.conftest import CHROMIUM, CHROMIUM_ARGS


def test_load_colours_follow_the_web_map_steps() -> None:
    """No worker is grey; 0, 1, 2 and 3+ open cases per worker get the web map's four colours."""
    colours = [load_colour(v) for v in (None, 0.0, 0.5, 1.0, 2.5, 7.0)]
    assert colours[0] == [158, 158, 158, 170]
    assert colours[1] == colours[2] != colours[3] != colours[4] != colours[5]


def test_offline_deck_draws_the_callers_grids(demo: Demo, engine: Engine, tmp_path: Path) -> None:
    """`to_html(offline=True)` draws with every network request refused; picking a grid finds its code."""
    township = demo.summary.township_codes[0]
    caller = Principal(0, "notebook", "leader", township, None)
    with Session(engine) as session:
        preset = deck(session, caller=caller)
        lon, lat, code = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p), code FROM (SELECT ST_PointOnSurface(g.geom) AS p, g.code FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                "WHERE g.code LIKE :p ORDER BY ST_Area(g.geom) DESC LIMIT 1) AS q"
            ),
            {"p": township[:9] + "%"},
        ).one()
    grids = next(layer for layer in preset.layers if layer.id == "grids")
    codes = {f["properties"]["code"] for f in grids.data["features"]}
    assert code in codes and all(c.startswith(township[:9]) for c in codes)
    page_file = tmp_path / "deck.html"
    page_file.write_text(preset.to_html(as_string=True, offline=True), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 800, "height": 600})
        context.route("http*://**", lambda route: route.abort())
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_function(
            "typeof deckInstance === 'object' && deckInstance.isInitialized", timeout=30_000
        )
        page.wait_for_timeout(500)
        picked = page.evaluate(
            """([lng, lat]) => {
                 const [x, y] = deckInstance.getViewports()[0].project([lng, lat]);
                 const hit = deckInstance.pickObject({x, y, layerIds: ['grids']});
                 return hit && hit.object.properties.code;
               }""",
            [lon, lat],
        )
        browser.close()
    assert picked == code
