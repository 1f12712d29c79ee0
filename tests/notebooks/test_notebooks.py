"""The leaders' notebooks: stripped in git, run clean against the demo city, write offline maps that
draw their layers in Chromium with every network request refused, show no personal data, and leave
the database as they found it."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import Engine, text

from tests.conftest import Demo
from tests.layers.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.notebooks.conftest import NAMES, NOTEBOOKS, Runs

PERSON_NAME = re.compile(r"示例\d{5}")
PHONE = re.compile(r"(?<!\d)199\d{8}(?!\d)")
SQL = re.compile(
    r"\b(select\s.+\sfrom|insert\s+into|update\s.+\sset|delete\s+from)\b|sqlalchemy|text\(", re.I | re.S
)
OPEN = "('rejected', 'closed', 'evaluated', 'merged', 'transferred')"
DRAWN = """() => {
  deckInstance.redraw('test');  // drawn now, so the canvas still holds the frame when copied below
  const source = deckInstance.canvas;
  const copy = document.createElement('canvas');
  copy.width = source.width;
  copy.height = source.height;
  const context = copy.getContext('2d');
  context.drawImage(source, 0, 0);
  const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return painted / (pixels.length / 4);
}"""
PICKED = """(ids) => Object.fromEntries(ids.map((id) => [id, deckInstance.pickObjects(
  {x: 0, y: 0, width: deckInstance.width, height: deckInstance.height, layerIds: [id], maxObjects: 5000}
).length]))"""


@contextmanager
def map_page(path: Path) -> Iterator[tuple[Page, list[str]]]:
    """The map open in headless Chromium once deck.gl is ready, and every URL it tried to fetch."""
    asked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 700})

        def refuse(route: Any) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                asked.append(route.request.url)
                route.abort()

        context.route("**/*", refuse)
        page = context.new_page()
        page.goto(path.as_uri())
        page.wait_for_function(
            "typeof deckInstance === 'object' && deckInstance.isInitialized", timeout=60_000
        )
        page.wait_for_timeout(500)
        try:
            yield page, asked
        finally:
            browser.close()


def layer_data(page: Page, layer_id: str) -> list[dict[str, Any]]:
    """The objects of a layer as the page holds them (GeoJSON features or plain rows)."""
    return page.evaluate(
        """(id) => { const data = deckInstance.props.layers.find((l) => l.id === id).props.data;
                     return data.features || data; }""",
        layer_id,
    )


def test_committed_notebooks_are_stripped_and_hold_no_sql() -> None:
    """Exactly the three notebooks, valid, without outputs or execution counts, calling no SQL."""
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)
    for name in NAMES:
        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code, name
        for cell in code:
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: {cell.id} has outputs"
            assert not SQL.search(cell.source), f"{name}: {cell.id} holds SQL"
        assert notebook.cells[0].source.startswith("# "), f"{name} opens without a title"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_clean_and_shows_no_personal_data(runs: Runs, engine: Engine, name: str) -> None:
    """No error, nothing on stderr (a missing Chinese glyph warns there), a map written, no names or phones."""
    run = runs[name]
    outputs = [o for c in run.notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"] == []
    assert run.map_file.is_file()
    shown = json.dumps(outputs, ensure_ascii=False) + run.map_file.read_text(encoding="utf-8")
    assert PERSON_NAME.search(shown) is None and PHONE.search(shown) is None
    with engine.connect() as conn:
        people = conn.execute(text("SELECT full_name, phone FROM people")).all()
        plans = conn.execute(text("SELECT count(*) FROM allocation_plans")).scalar_one()
    # The patterns cover every person of the demo, so the search above stands for all of them.
    assert people and all(PERSON_NAME.search(n) and (p is None or PHONE.fullmatch(p)) for n, p in people)
    assert plans == 0  # the staffing notebook's proposal was rolled back


def check_drawn(page: Page, asked: list[str], layer_ids: list[str], *, hidden: tuple[str, ...] = ()) -> None:
    """Nothing fetched from outside the file; the expected layers, painted, each pickable or labelled."""
    ids = page.evaluate("deckInstance.props.layers.map((l) => l.id)")
    painted = page.evaluate(DRAWN)
    picked = page.evaluate(PICKED, [i for i in ids if not i.endswith("-labels") and i not in hidden])
    labels = {i: len(layer_data(page, i)) for i in ids if i.endswith("-labels")}
    assert asked == []  # the page names nothing outside the file
    assert ids == layer_ids
    assert painted > 0.05
    assert picked and all(n > 0 for n in picked.values()), picked
    assert labels and all(n > 0 for n in labels.values()), labels


def test_coverage_map_draws_every_grid_gap_and_unassigned_case(
    runs: Runs, engine: Engine, demo: Demo
) -> None:
    """Offline, the map draws every active grid, the planted uncovered ground and each open unassigned case."""
    with map_page(runs["coverage_overview"].map_file) as (page, asked):
        check_drawn(page, asked, ["grids", "coverage-gaps", "townships", "cases", "township-labels"])
        grids = layer_data(page, "grids")
        gaps = layer_data(page, "coverage-gaps")
        cases = layer_data(page, "cases")
    with engine.connect() as conn:
        active = conn.execute(
            text(
                "SELECT count(*) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                "WHERE ge.status = 'active'"
            )
        ).scalar_one()
        unassigned = conn.execute(
            text(
                f"SELECT count(*) FROM cases WHERE geom IS NOT NULL AND worker_id IS NULL AND status NOT IN {OPEN}"
            )
        ).scalar_one()
    assert len(grids) == active
    uncovered = {g["properties"]["village_code"] for g in gaps if g["properties"]["kind"] == "uncovered"}
    assert uncovered == {p["village_code"] for p in demo.summary.planted["gaps"]}
    assert len(cases) == unassigned > 0


def test_staffing_map_switches_between_today_and_the_proposal(runs: Runs, engine: Engine) -> None:
    """Offline, the largest township's grids: today's allocation first, the proposal one click away."""
    with engine.connect() as conn:
        township, count = conn.execute(
            text(
                "SELECT left(g.code, 9), count(*) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                "WHERE ge.status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1 DESC LIMIT 1"
            )
        ).one()
    ids = ["staff-before", "staff-after"]
    with map_page(runs["platform_staffing"].map_file) as (page, asked):
        check_drawn(
            page,
            asked,
            ["staff-before", "staff-after", "staff-bases", "staff-labels"],
            hidden=("staff-after",),
        )
        before, after = layer_data(page, "staff-before"), layer_data(page, "staff-after")
        today = page.evaluate(PICKED, ids)
        page.get_by_label("优化方案 Proposed allocation").check()
        page.wait_for_timeout(300)
        proposed = page.evaluate(PICKED, ids)
        page.get_by_label("今日配置 Today's allocation").check()
        page.wait_for_timeout(300)
        again = page.evaluate(PICKED, ids)
    assert len(before) == len(after) == count
    assert all(f["properties"]["code"].startswith(township) for f in before)
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in before}
    assert any(fills[f["properties"]["code"]] != f["properties"]["fill"] for f in after)
    assert today["staff-before"] > 0 and today["staff-after"] == 0
    assert proposed["staff-before"] == 0 and proposed["staff-after"] > 0
    assert again == today


def test_assessment_map_rates_every_township(runs: Runs, engine: Engine) -> None:
    """Offline, one feature per township of the demo, each with its handling on-time rate."""
    with engine.connect() as conn:
        townships = conn.execute(
            text("SELECT count(*) FROM divisions WHERE level = 'township' AND code LIKE '99%'")
        ).scalar_one()
    with map_page(runs["township_assessment"].map_file) as (page, asked):
        check_drawn(page, asked, ["township-rates", "township-labels"])
        rated = layer_data(page, "township-rates")
    assert len(rated) == townships
    assert all(re.search(r"\d+\.\d%", f["properties"]["tip"]) for f in rated)
