"""Workers through the API: reading, hiring, changing, dated assignments and duty windows, within the
caller's jurisdiction only, routing changed at once, and no worker's name or phone in any answer."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.cases.helpers import grid_points
from tests.rosters.conftest import Api, problem_field

LOCAL = ZoneInfo("Asia/Shanghai")


def next_monday_10() -> datetime:
    """The next Monday 10:00 in Asia/Shanghai, at least a minute from now."""
    now = datetime.now(LOCAL) + timedelta(minutes=1)
    day = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=LOCAL)


def new_worker(staff_no: str, township: str, lon: float, lat: float, **extra: object) -> dict[str, object]:
    """A body for POST /workers: a full-time grid worker based at (lon, lat)."""
    return {
        "staff_no": staff_no,
        "name": "测试员甲",
        "phone": "13912345678",
        "role": "full_time",
        "township": township[:9],
        "base": {"lon": lon, "lat": lat},
    } | extra


def test_lists_and_details_stay_in_the_jurisdiction(api: Api) -> None:
    """A dispatcher lists exactly their township's workers, filters and pages them, reads one with its
    history and duty, and finds another township's workers absent (404); leaders read, planners don't."""
    township, other = api.demo.summary.township_codes[:2]
    counts = dict(api.rows("SELECT township_code, count(*) FROM workers GROUP BY township_code"))
    with api.dispatcher(township) as desk, api.client("demo-leader") as leader:
        page = desk.get("/workers", params={"limit": 1000}).json()
        assert page["number_matched"] == counts[township] == len(page["items"])
        assert {w["township"] for w in page["items"]} == {township}
        staff = [w for w in page["items"] if w["role"] == "platform_staff"]
        assert staff and all(w["platform"] for w in staff)
        only = desk.get("/workers", params={"role": "platform_staff", "limit": 1000}).json()
        assert [w["staff_no"] for w in only["items"]] == [w["staff_no"] for w in staff]
        market = desk.get("/workers", params={"platform": "market"}).json()["items"]
        assert market and all(w["platform"] == "market" for w in market)
        first, second = (desk.get("/workers", params={"limit": 2, "offset": o}).json() for o in (0, 2))
        assert [w["staff_no"] for w in first["items"] + second["items"]] == [
            w["staff_no"] for w in page["items"][:4]
        ]
        code = grid_points(api.url, township, n=1)[0][0]
        on_grid = desk.get("/workers", params={"grid": code}).json()["items"]
        held = api.rows(
            "SELECT DISTINCT w.staff_no FROM worker_assignments a JOIN workers w ON w.id = a.worker_id "
            "WHERE a.grid_code = :g AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())",
            g=code,
        )
        assert sorted(w["staff_no"] for w in on_grid) == sorted(r[0] for r in held) != []
        assert all(code in [a["grid_code"] for a in w["current"]] for w in on_grid)

        one = page["items"][0]["staff_no"]
        detail = desk.get(f"/workers/{one}")
        assert detail.status_code == 200, detail.text
        body = detail.json()
        stored = api.rows(
            "SELECT a.id FROM worker_assignments a JOIN workers w ON w.id = a.worker_id WHERE w.staff_no = :s",
            s=one,
        )
        assert sorted(a["id"] for a in body["assignments"]) == sorted(r[0] for r in stored)
        assert body["duty"] and all(1 <= d["weekday"] <= 7 for d in body["duty"])

        theirs = api.rows("SELECT staff_no FROM workers WHERE township_code = :t LIMIT 1", t=other)[0][0]
        hidden = desk.get(f"/workers/{theirs}")
        assert hidden.status_code == 404 and problem_field(hidden) == "staff_no"
        assert desk.get("/workers", params={"township": other[:9]}).json()["number_matched"] == 0
        assert leader.get(f"/workers/{theirs}").status_code == 200
        assert leader.get("/workers").json()["number_matched"] == sum(counts.values())
    county = api.demo.summary.county_codes[0]
    with api.client(f"demo-planner-{county[:6]}") as planner:
        assert planner.get("/workers").status_code == 403


def test_assignments_made_through_the_api_route_the_next_locate(api: Api) -> None:
    """A new primary (with weekday duty) ends the old one's and answers for the grid at once; platform
    staff assigned and then ended appear in and leave the grid's platform staff."""
    township = api.demo.summary.township_codes[0]
    code, lon, lat = grid_points(api.url, township, n=1)[0]
    old = api.rows(
        "SELECT w.staff_no FROM worker_assignments a JOIN workers w ON w.id = a.worker_id "
        "WHERE a.grid_code = :g AND a.kind = 'primary' AND a.valid_to IS NULL",
        g=code,
    )[0][0]
    at = next_monday_10().isoformat()
    with api.dispatcher(township) as desk:
        before = desk.post("/locate", json={"lon": lon, "lat": lat, "at": at}).json()
        assert before["worker"]["staff_no"] == old
        made = desk.post("/workers", json=new_worker("R-NEW-1", township, lon, lat))
        assert made.status_code == 201, made.text
        assert made.json()["name"] == "测**" and made.json()["current"] == []
        duty = desk.put(
            "/workers/R-NEW-1/duty",
            json={"windows": [{"weekday": d, "starts": "08:00", "ends": "18:00"} for d in range(1, 6)]},
        )
        assert duty.status_code == 200 and len(duty.json()) == 5
        opened = desk.post("/workers/R-NEW-1/assignments", json={"grid": code, "kind": "primary"})
        assert opened.status_code == 201, opened.text
        assert opened.json()["current"] and opened.json()["valid_to"] is None
        assert abs(datetime.fromisoformat(opened.json()["valid_from"]) - datetime.now(UTC)) < timedelta(
            minutes=1
        )
        after = desk.post("/locate", json={"lon": lon, "lat": lat, "at": at}).json()
        assert after["worker"]["staff_no"] == "R-NEW-1" and after["worker"]["on_duty"]
        ended = [
            a
            for a in desk.get(f"/workers/{old}").json()["assignments"]
            if a["grid_code"] == code and a["kind"] == "primary"
        ]
        assert ended and all(a["valid_to"] is not None and not a["current"] for a in ended)
        on_grid = {w["staff_no"] for w in desk.get("/workers", params={"grid": code}).json()["items"]}
        assert "R-NEW-1" in on_grid and old not in on_grid
        again = desk.post("/workers/R-NEW-1/assignments", json={"grid": code, "kind": "primary"})
        assert again.status_code == 409 and problem_field(again) == "grid"

        staff = new_worker("R-MKT-1", township, lon, lat, role="platform_staff", platform="market")
        assert desk.post("/workers", json=staff).status_code == 201
        platform = desk.post("/workers/R-MKT-1/assignments", json={"grid": code, "kind": "platform"})
        assert platform.status_code == 201, platform.text
        listed = desk.post("/locate", json={"lon": lon, "lat": lat, "at": at}).json()["platform_staff"]
        assert {"platform": "market", "staff_no": "R-MKT-1"} in [
            {"platform": s["platform"], "staff_no": s["staff_no"]} for s in listed
        ]
        done = desk.post(f"/workers/R-MKT-1/assignments/{platform.json()['id']}/end")
        assert done.status_code == 200 and done.json()["valid_to"] is not None and not done.json()["current"]
        listed = desk.post("/locate", json={"lon": lon, "lat": lat, "at": at}).json()["platform_staff"]
        assert "R-MKT-1" not in [s["staff_no"] for s in listed]
        twice = desk.post(f"/workers/R-MKT-1/assignments/{platform.json()['id']}/end")
        assert twice.status_code == 409 and problem_field(twice) == "valid_to"
        history = desk.get("/workers/R-MKT-1").json()["assignments"]
        assert [(a["grid_code"], a["kind"], a["valid_to"] is not None) for a in history] == [
            (code, "platform", True)
        ]

        off = desk.patch("/workers/R-NEW-1", json={"active": False})
        assert off.status_code == 200 and off.json()["active"] is False
        routed = desk.post("/locate", json={"lon": lon, "lat": lat, "at": at}).json()["worker"]
        assert routed is None or routed["staff_no"] != "R-NEW-1"


def test_another_townships_dispatcher_can_neither_see_nor_change(api: Api) -> None:
    """Every worker endpoint answers 404 to a dispatcher of another township, and changes nothing."""
    township, other = api.demo.summary.township_codes[:2]
    code, lon, lat = grid_points(api.url, township, n=1)[0]
    with api.dispatcher(township) as desk, api.dispatcher(other) as stranger:
        assert desk.post("/workers", json=new_worker("R-MINE-1", township, lon, lat)).status_code == 201
        assignment = desk.post("/workers/R-MINE-1/assignments", json={"grid": code, "kind": "backup"}).json()
        attempts = [
            stranger.get("/workers/R-MINE-1"),
            stranger.patch("/workers/R-MINE-1", json={"active": False}),
            stranger.post("/workers/R-MINE-1/assignments", json={"grid": code, "kind": "backup"}),
            stranger.post(f"/workers/R-MINE-1/assignments/{assignment['id']}/end"),
            stranger.put("/workers/R-MINE-1/duty", json={"windows": []}),
        ]
        assert [r.status_code for r in attempts] == [404] * 5
        assert all(problem_field(r) == "staff_no" for r in attempts)
        assert "R-MINE-1" not in [
            w["staff_no"] for w in stranger.get("/workers", params={"limit": 1000}).json()["items"]
        ]
        hire_there = stranger.post("/workers", json=new_worker("R-THEIRS-1", township, lon, lat))
        assert hire_there.status_code == 422 and problem_field(hire_there) == "township"
        mine = desk.get("/workers/R-MINE-1").json()
    assert mine["active"] and mine["current"][0]["id"] == assignment["id"] and mine["duty"] == []
    assert api.rows("SELECT count(*) FROM workers WHERE staff_no = 'R-THEIRS-1'")[0][0] == 0


def test_bad_input_is_refused_naming_the_field(api: Api) -> None:
    """Each malformed or inconsistent field is a 422 (or 409 for a clash) naming it; nothing is written."""
    township, other = api.demo.summary.township_codes[:2]
    code, lon, lat = grid_points(api.url, township, n=1)[0]
    foreign = grid_points(api.url, other, n=1)[0][0]
    with api.dispatcher(township) as desk:
        assert desk.post("/workers", json=new_worker("R-OK-1", township, lon, lat)).status_code == 201
        cases = {
            "staff_no": desk.post("/workers", json=new_worker("bad no/1", township, lon, lat)),
            "platform": desk.post(
                "/workers", json=new_worker("R-BAD-2", township, lon, lat, platform="market")
            ),
            "role": desk.post("/workers", json=new_worker("R-BAD-3", township, lon, lat, role="chief")),
            "phone": desk.post("/workers", json=new_worker("R-BAD-4", township, lon, lat, phone="call me")),
            "base": desk.post("/workers", json=new_worker("R-BAD-5", township, lon + 1.5, lat)),
            "base.lat": desk.post("/workers", json=new_worker("R-BAD-6", township, lon, 128.0)),
            "base.crs": desk.post(
                "/workers",
                json=new_worker("R-BAD-7", township, lon, lat)
                | {"base": {"lon": lon, "lat": lat, "crs": "mars"}},
            ),
            "township": desk.post("/workers", json=new_worker("R-BAD-8", "990199", lon, lat)),
            "name": desk.post("/workers", json=new_worker("R-BAD-9", township, lon, lat, name="")),
            "kind": desk.post("/workers/R-OK-1/assignments", json={"grid": code, "kind": "platform"}),
            "grid": desk.post("/workers/R-OK-1/assignments", json={"grid": foreign, "kind": "backup"}),
            "valid_from": desk.post(
                "/workers/R-OK-1/assignments",
                json={"grid": code, "kind": "primary", "valid_from": "2020-01-01T00:00:00"},
            ),
            "windows.1.ends": desk.put(
                "/workers/R-OK-1/duty",
                json={
                    "windows": [
                        {"weekday": 1, "starts": "08:00", "ends": "12:00"},
                        {"weekday": 2, "starts": "18:00", "ends": "09:00"},
                    ]
                },
            ),
            "windows.1": desk.put(
                "/workers/R-OK-1/duty",
                json={
                    "windows": [
                        {"weekday": 1, "starts": "08:00", "ends": "12:00"},
                        {"weekday": 1, "starts": "11:00", "ends": "14:00"},
                    ]
                },
            ),
            "windows.0.weekday": desk.put(
                "/workers/R-OK-1/duty", json={"windows": [{"weekday": 8, "starts": "08:00", "ends": "12:00"}]}
            ),
            "nickname": desk.patch("/workers/R-OK-1", json={"nickname": "x"}),
        }
        for field, response in cases.items():
            assert response.status_code == 422, (field, response.text)
            assert problem_field(response) == field, (field, response.text)
        taken = desk.post("/workers", json=new_worker("R-OK-1", township, lon, lat))
        assert taken.status_code == 409 and problem_field(taken) == "staff_no"
        backup = desk.post("/workers/R-OK-1/assignments", json={"grid": code, "kind": "backup"})
        assert backup.status_code == 201
        became = desk.patch("/workers/R-OK-1", json={"role": "platform_staff", "platform": "services"})
        assert became.status_code == 409 and problem_field(became) == "role"
        no_platform = desk.patch("/workers/R-OK-1", json={"role": "platform_staff"})
        assert no_platform.status_code == 422 and problem_field(no_platform) == "platform"
        early = desk.post(
            f"/workers/R-OK-1/assignments/{backup.json()['id']}/end",
            json={"valid_to": "2001-01-01T00:00:00+08:00"},
        )
        assert early.status_code == 422 and problem_field(early) == "valid_to"
        moved = desk.patch("/workers/R-OK-1", json={"base": None, "role": "part_time"})
        assert (
            moved.status_code == 200 and moved.json()["lon"] is None and moved.json()["role"] == "part_time"
        )
    assert api.rows("SELECT count(*) FROM workers WHERE staff_no LIKE 'R-BAD-%'")[0][0] == 0
    assert (
        api.rows(
            "SELECT count(*) FROM duty_windows d JOIN workers w ON w.id = d.worker_id WHERE w.staff_no = 'R-OK-1'"
        )[0][0]
        == 0
    )


def test_no_answer_holds_a_workers_name_or_phone(api: Api) -> None:
    """Lists, details, writes and locate as every reading role: none holds a name or phone of `people`
    behind a worker (names are masked to the surname, phones left out)."""
    township = api.demo.summary.township_codes[0]
    code, lon, lat = grid_points(api.url, township, n=1)[0]
    answers: list[httpx.Response] = []
    with (
        api.dispatcher(township) as desk,
        api.client("demo-admin") as admin,
        api.client("demo-leader") as leader,
    ):
        made = desk.post(
            "/workers", json=new_worker("R-PII-1", township, lon, lat, name="欧阳明华", phone="13800138000")
        )
        answers.append(made)
        answers.append(desk.patch("/workers/R-PII-1", json={"name": "欧阳明德", "phone": "13700137000"}))
        answers.append(desk.post("/workers/R-PII-1/assignments", json={"grid": code, "kind": "backup"}))
        for client in (desk, admin, leader):
            page = client.get("/workers", params={"limit": 1000})
            answers.append(page)
            for w in page.json()["items"][:25]:
                answers.append(client.get(f"/workers/{w['staff_no']}"))
            answers.append(client.get("/workers/R-PII-1"))
        answers.append(desk.post("/locate", json={"lon": lon, "lat": lat}))
    assert all(r.status_code < 300 for r in answers), [r.text for r in answers if r.status_code >= 300]
    assert made.json()["name"] == "欧**"
    people = api.rows("SELECT p.full_name, p.phone FROM people p JOIN workers w ON w.person_id = p.id")
    secrets = {"欧阳明华", "13800138000"} | {v for row in people for v in row if v and len(v) >= 2}
    assert "欧阳明德" in secrets and "13700137000" in secrets
    text = "\n".join(json.dumps(r.json(), ensure_ascii=False) for r in answers)
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []
