"""`POST /coverage/redraws` over real HTTP: 201 with the proposal and its validation for a planner of the
village's county; 403 for other roles, 404 outside the jurisdiction, 422 problem details naming the field."""

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import Demo
from tests.coverage_redraw.conftest import Proposed
from tests.live import live_server

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def base(proposed: Proposed) -> Iterator[str]:
    """The API serving this module's copy of the demo."""
    with live_server(proposed.url) as url:
        yield url


def post(base: str, demo: Demo, who: str | None, body: dict[str, object]) -> httpx.Response:
    """POST a redraw as demo account `who` (None: without a token)."""
    headers = {"Authorization": f"Bearer {demo.token(who)}"} if who else {}
    return httpx.post(f"{base}/coverage/redraws", json=body, headers=headers, timeout=120)


def test_planner_gets_a_validated_draft(base: str, proposed: Proposed, demo: Demo) -> None:
    """The county's planner gets 201: the draft, grids within the bounds, the cap holding, a clean report
    that the validation endpoint confirms."""
    answer = post(base, demo, f"demo-planner-{proposed.county[:6]}", {"village_code": proposed.village})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["village_code"] == proposed.village and (body["floor"], body["cap"]) == (300, 500)
    codes = [g["code"] for g in body["grids"]]
    assert codes == sorted(codes) and all(len(c) == 15 and c.startswith(proposed.village) for c in codes)
    sizes = [g["households"] for g in body["grids"]]
    assert (body["min_households"], body["max_households"]) == (min(sizes), max(sizes))
    assert min(sizes) >= 300 and max(sizes) <= 500 and body["cap_holds"] and body["floor_holds"]
    assert sum(sizes) == body["households"] == proposed.proposal.households
    assert body["message_zh"].startswith("全部") and body["message_en"]
    assert body["validation"]["problems"] == [] and not body["validation"]["blocking"]
    checked = httpx.get(
        f"{base}/boundaries/drafts/{body['generation_id']}/validation",
        headers={"Authorization": f"Bearer {demo.token('demo-admin')}"},
        timeout=60,
    )
    assert checked.status_code == 200 and checked.json()["problems"] == []


def test_roles_and_jurisdiction(base: str, proposed: Proposed, demo: Demo) -> None:
    """No token 401; dispatcher and leader 403; a planner of another county 404; all as problem details."""
    other = next(c for c in demo.summary.county_codes if c != proposed.county)
    dispatcher = next(t for t in demo.summary.township_codes if t.startswith(proposed.county[:6]))
    body = {"village_code": proposed.village}
    for who, status in (
        (None, 401),
        (f"demo-dispatcher-{dispatcher[:9]}", 403),
        ("demo-leader", 403),
        (f"demo-planner-{other[:6]}", 404),
    ):
        answer = post(base, demo, who, body)
        assert answer.status_code == status, (who, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"floor": 600, "cap": 500}, "floor"),
        ({"cap": 0}, "cap"),
        ({"village_code": "990199888777"}, "village_code"),
        ({"village_code": "abc"}, "village_code"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    base: str, proposed: Proposed, demo: Demo, body: dict[str, object], field: str
) -> None:
    """Floor above cap, a cap below 1, an unknown or malformed village: 422 naming the field."""
    answer = post(base, demo, "demo-admin", {"village_code": proposed.village, **body})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_village_without_blocks_is_422(base: str, proposed: Proposed, demo: Demo) -> None:
    """A village whose household blocks are gone: 422 on village_code, nothing stored."""
    with proposed.session() as db:
        village = db.execute(
            text("SELECT code FROM divisions WHERE level = 'village' AND code <> :v ORDER BY code LIMIT 1"),
            {"v": proposed.village},
        ).scalar_one()
        db.execute(text("DELETE FROM household_blocks WHERE village_code = :v"), {"v": village})
        db.commit()
        drafts = db.execute(text("SELECT count(*) FROM generations")).scalar_one()
    answer = post(base, demo, "demo-admin", {"village_code": village})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "village_code"
    with proposed.session() as db:
        assert db.execute(text("SELECT count(*) FROM generations")).scalar_one() == drafts
