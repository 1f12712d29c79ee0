"""Intake over HTTP: located, routed, assigned and timed in one go; idempotent by external id and by
Idempotency-Key; batches; the to-be-located queue; duplicates flagged; jurisdiction and privacy."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from tests.cases.helpers import auth, body, grid_points, scalar
from tests.conftest import Demo
from tests.live import live_server

PROBLEM = "application/problem+json"


@pytest.fixture
def api(demo_url_fresh: str) -> Iterator[tuple[str, str]]:
    """A server on a fresh copy of the demo, and that copy's URL."""
    with live_server(demo_url_fresh) as base:
        yield base, demo_url_fresh


def test_case_is_located_routed_assigned_and_timed(api, demo: Demo) -> None:
    """The answer carries the id, grid, worker, platform and cumulative stage deadlines; one receive event."""
    base, url = api
    township = demo.summary.township_codes[0]
    code, lon, lat = grid_points(url, township)[0]
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    r = httpx.post(
        f"{base}/cases",
        json=body("T-1", lon, lat, reporter={"name": "王小明", "phone": "13900001111"}),
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["created"] is True and case["status"] == "received" and case["grid_code"] == code
    assert case["match"] == "inside" and case["worker_id"] is not None and case["platform"] == "enforcement"
    assert case["township_code"] == township and case["village_code"] == code[:12]
    received = datetime.fromisoformat(case["received_at"])
    hours = [1, 2, 24, 12]  # environmental_sanitation: receive, dispatch, handle, reply
    dues = [datetime.fromisoformat(case[f"{s}_due"]) for s in ("receive", "dispatch", "handle", "reply")]
    assert [round((d - received) / timedelta(hours=1), 6) for d in dues] == [1, 3, 27, 39]
    assert sum(hours) == 39
    assert "王小明" not in r.text and "13900001111" not in r.text and case["has_reporter"] is True
    detail = httpx.get(f"{base}/cases/{case['id']}", headers=auth(token)).json()
    # The answer is built from the case as stored, without reading it again: it says what a read says.
    assert {k: v for k, v in case.items() if k != "created"} == {k: detail[k] for k in case if k != "created"}
    assert [e["action"] for e in detail["events"]] == ["receive"]
    assert detail["events"][0]["data"]["grid"] == code
    assert detail["reporter"] == {"name": "王**", "phone": "139****1111", "masked": True}
    again = httpx.post(f"{base}/cases", json=body("T-1", lon, lat), headers=auth(token))
    assert again.status_code == 200 and again.json()["id"] == case["id"] and again.json()["created"] is False
    assert scalar(url, "SELECT count(*) FROM case_intake_keys WHERE external_id = 'T-1'") == 1


def test_reveal_is_for_the_handling_dispatcher_and_logged(api, demo: Demo) -> None:
    """The township's dispatcher may unmask the reporter, which is logged; a leader may not."""
    base, url = api
    township = demo.summary.township_codes[0]
    _, lon, lat = grid_points(url, township)[0]
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    case = httpx.post(
        f"{base}/cases",
        json=body("R-1", lon, lat, reporter={"name": "李四", "phone": "13900002222"}),
        headers=auth(token),
    ).json()
    shown = httpx.get(f"{base}/cases/{case['id']}", params={"reveal": True}, headers=auth(token)).json()
    assert shown["reporter"] == {"name": "李四", "phone": "13900002222", "masked": False}
    assert scalar(url, "SELECT count(*) FROM personal_data_access WHERE case_id = :c", c=case["id"]) == 1
    leader = httpx.get(
        f"{base}/cases/{case['id']}", params={"reveal": True}, headers=auth(demo.token("demo-leader"))
    )
    assert leader.status_code == 403 and leader.headers["content-type"].startswith(PROBLEM)
    listed = httpx.get(f"{base}/cases", params={"external_id": "R-1"}, headers=auth(token))
    assert (
        listed.json()["number_matched"] == 1
        and "李四" not in listed.text
        and "13900002222" not in listed.text
    )


def test_idempotency_key_replays_conflicts_and_refuses_other_bodies(api, demo: Demo) -> None:
    """Same key: the stored answer; while in flight: 409; same key, other body: 422."""
    base, url = api
    township = demo.summary.township_codes[0]
    _, lon, lat = grid_points(url, township)[0]
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    sent = body("K-1", lon, lat)
    first = httpx.post(f"{base}/cases", json=sent, headers=auth(token, "key-1"))
    replay = httpx.post(f"{base}/cases", json=sent, headers=auth(token, "key-1"))
    assert first.status_code == replay.status_code == 201 and first.json() == replay.json()
    other = httpx.post(f"{base}/cases", json=body("K-2", lon, lat), headers=auth(token, "key-1"))
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    user = scalar(url, "SELECT id FROM users WHERE name = :n", n=f"demo-dispatcher-{township[:9]}")
    holder = psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        holder.cursor().execute("SELECT pg_advisory_lock(4120002, hashtext(%s))", (f"{user}\x1fkey-2",))
        busy = httpx.post(f"{base}/cases", json=body("K-3", lon, lat), headers=auth(token, "key-2"))
        assert busy.status_code == 409 and "still being processed" in busy.json()["detail"]
    finally:
        holder.close()
    done = httpx.post(f"{base}/cases", json=body("K-3", lon, lat), headers=auth(token, "key-2"))
    assert done.status_code == 201
    bad = httpx.post(f"{base}/cases", json=body("K-4", lon, lat), headers=auth(token, "x" * 256))
    assert bad.status_code == 422


def test_twenty_racing_clients_create_each_case_once(api, demo: Demo) -> None:
    """20 clients sending the same 10 external ids at once: 10 cases, each with one receive event."""
    base, url = api
    township = demo.summary.township_codes[0]
    points = grid_points(url, township, 10)
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    start = threading.Barrier(20)

    def client(_: int) -> list[int]:
        start.wait()
        with httpx.Client(timeout=60) as http:
            return [
                http.post(f"{base}/cases", json=body(f"RACE-{i}", lon, lat), headers=auth(token)).json()["id"]
                for i, (_, lon, lat) in enumerate(points)
            ]

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(client, range(20)))
    assert all(row == ids[0] for row in ids)
    assert scalar(url, "SELECT count(*) FROM case_intake_keys WHERE external_id LIKE 'RACE-%'") == 10
    assert (
        scalar(
            url,
            "SELECT count(*) FROM case_events e JOIN case_intake_keys k ON k.case_id = e.case_id WHERE k.external_id LIKE 'RACE-%'",
        )
        == 10
    )


def test_batch_items_are_answered_one_by_one_and_resending_creates_nothing(api, demo: Demo) -> None:
    """A refused item does not stop the others; resending the batch finds every case made."""
    base, url = api
    township = demo.summary.township_codes[0]
    points = grid_points(url, township, 4)
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    items = [body(f"B-{i}", lon, lat) for i, (_, lon, lat) in enumerate(points)]
    items.append(body("B-bad", points[0][1], points[0][2], category="no_such_thing"))
    first = httpx.post(f"{base}/cases/batch", json={"items": items}, headers=auth(token))
    assert first.status_code == 200, first.text
    answer = first.json()
    assert (answer["created"], answer["existing"], answer["errors"]) == (4, 0, 1)
    bad = answer["items"][4]
    assert bad["outcome"] == "error" and bad["error"]["status"] == 422 and bad["error"]["field"] == "category"
    again = httpx.post(f"{base}/cases/batch", json={"items": items}, headers=auth(token)).json()
    assert (again["created"], again["existing"], again["errors"]) == (0, 4, 1)
    assert [i["case"]["id"] for i in again["items"][:4]] == [i["case"]["id"] for i in answer["items"][:4]]


def test_address_only_cases_wait_to_be_located_and_are_pinned(api, demo: Demo) -> None:
    """No coordinates: the township's (or the city's) 待定位 queue; pinning assigns the grid and worker."""
    base, url = api
    township = demo.summary.township_codes[0]
    code, lon, lat = grid_points(url, township)[0]
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    queued = httpx.post(
        f"{base}/cases", json=body("A-1", None, None, address="某路12号附近"), headers=auth(token)
    ).json()
    assert (
        queued["status"] == "to_locate"
        and queued["township_code"] == township
        and queued["grid_code"] is None
    )
    city = httpx.post(
        f"{base}/cases", json=body("A-2", None, None, address="不详"), headers=auth(demo.token("demo-admin"))
    ).json()
    assert (
        city["status"] == "to_locate"
        and city["township_code"] is None
        and city["county_code"] == demo.summary.city_code
    )
    listed = httpx.get(
        f"{base}/cases", params={"status": "to_locate", "external_id": "A-1"}, headers=auth(token)
    ).json()
    assert [c["id"] for c in listed["items"]] == [queued["id"]]
    pinned = httpx.post(
        f"{base}/cases/{queued['id']}/actions",
        json={"action": "pin", "lon": lon, "lat": lat},
        headers=auth(token),
    )
    assert pinned.status_code == 200, pinned.text
    after = pinned.json()
    assert after["status"] == "received" and after["grid_code"] == code and after["match"] == "pinned"
    assert after["worker_id"] is not None and after["events"][-1]["action"] == "pin"
    noaddress = httpx.post(f"{base}/cases", json=body("A-3", None, None), headers=auth(token))
    assert noaddress.status_code == 422 and noaddress.json()["errors"][0]["field"] == "address"


def test_possible_duplicates_are_flagged_not_merged(api, demo: Demo) -> None:
    """A second report of the same family nearby within the window names the first; another family does not."""
    base, url = api
    township = demo.summary.township_codes[0]
    _, lon, lat = grid_points(url, township)[0]
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    first = httpx.post(f"{base}/cases", json=body("D-1", lon, lat), headers=auth(token)).json()
    near = httpx.post(
        f"{base}/cases", json=body("D-2", lon + 0.0002, lat, category="noise_nuisance"), headers=auth(token)
    ).json()
    other = httpx.post(
        f"{base}/cases", json=body("D-3", lon, lat, category="food_safety"), headers=auth(token)
    ).json()
    far = httpx.post(f"{base}/cases", json=body("D-4", lon + 0.01, lat), headers=auth(token)).json()
    assert near["duplicate_candidate_id"] == first["id"] and near["status"] == "received"
    assert other["duplicate_candidate_id"] is None and far["duplicate_candidate_id"] is None


@pytest.mark.parametrize(
    "change, token_name, status, field",
    [
        ({"category": "nope"}, "dispatcher", 422, "category"),
        ({"lon": 150.0, "lat": 10.0}, "dispatcher", 422, "lon"),
        ({"reported_at": "2026-11-01T10:00:00"}, "dispatcher", 422, "reported_at"),
        ({"reported_at": "2099-01-01T00:00:00+08:00"}, "dispatcher", 422, "reported_at"),
        ({"lat": None}, "dispatcher", 422, "lat"),
        ({"channel": "fax"}, "dispatcher", 422, "channel"),
        ({}, "leader", 403, None),
        ({}, "other-dispatcher", 422, "lon"),
    ],
)
def test_refusals(api, demo: Demo, change: dict, token_name: str, status: int, field: str | None) -> None:
    """Bad fields are 422 naming the field; roles that do not take cases in are 403."""
    base, url = api
    first, second = demo.summary.township_codes[:2]
    _, lon, lat = grid_points(url, first)[0]
    names = {
        "dispatcher": f"demo-dispatcher-{first[:9]}",
        "leader": "demo-leader",
        "other-dispatcher": f"demo-dispatcher-{second[:9]}",
    }
    r = httpx.post(
        f"{base}/cases", json=body("E-1", lon, lat) | change, headers=auth(demo.token(names[token_name]))
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    if field:
        assert any(e["field"] == field for e in r.json().get("errors", [])), r.json()
    assert scalar(url, "SELECT count(*) FROM case_intake_keys WHERE external_id = 'E-1'") == 0
