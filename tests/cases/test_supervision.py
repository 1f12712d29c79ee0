"""Overdue lists and assessment figures, checked by hand against a small constructed history."""

import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from grids.cases.intake import CaseInput, receive_case
from grids.cases.lifecycle import ActionInput, act
from grids.users import Principal
from tests.cases.helpers import auth, grid_points
from tests.conftest import Demo
from tests.live import live_server

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(hours=100)
H = timedelta(hours=1)


@pytest.fixture
def history(demo_url_fresh: str, demo: Demo, session_on) -> dict:
    """The demo's cases of one township closed; five new cases there with a known history.

    environmental_sanitation: receive 1 h, dispatch 2 h, handle 24 h, reply 12 h → due t0+1, +3, +27, +39.
    A: accepted +0.5 (on time), dispatched +4 (late), handled +20 (on time), replied +30 (on time), closed.
    B: accepted +2 (late), dispatched +2.5 (on time), returned +3, dispatched again +3.5, handled +40
       (late), not replied: late in the reply stage now.
    C: never accepted: late in the receive stage. E: rejected. D: received half an hour ago, due soon.
    """
    db = session_on(demo_url_fresh)
    township = demo.summary.township_codes[0]
    db.execute(
        text("UPDATE cases SET status = 'closed' WHERE coalesce(township_code, county_code) LIKE :t"),
        {"t": township[:9] + "%"},
    )
    _, lon, lat = grid_points(demo_url_fresh, township)[0]
    user = db.scalar(text("SELECT id FROM users WHERE name = :n"), {"n": f"demo-dispatcher-{township[:9]}"})
    desk = Principal(user, "desk", "dispatcher", township, None)

    def new(name: str, at: datetime) -> int:
        data = CaseInput(
            "hotline12345", name, "environmental_sanitation", "测试", at - timedelta(minutes=5), lon, lat
        )
        return receive_case(db, data=data, caller=desk, now=at).case.id

    def step(case: int, hours: float, action: str, **kw: object) -> None:
        act(db, case_id=case, action=ActionInput(action, **kw), caller=desk, now=T0 + hours * H)

    ids = {name: new(name, T0) for name in "ABCE"}
    for hours, action in (
        (0.5, "accept"),
        (4, "dispatch"),
        (5, "sign"),
        (20, "handle"),
        (30, "reply"),
        (31, "verify"),
        (32, "close"),
    ):
        step(ids["A"], hours, action)
    for hours, action in (
        (2, "accept"),
        (2.5, "dispatch"),
        (3, "return"),
        (3.5, "dispatch"),
        (4, "sign"),
        (40, "handle"),
    ):
        step(ids["B"], hours, action, reason="退回" if action == "return" else None)
    step(ids["E"], 0.5, "reject", reason="不属于受理范围")
    ids["D"] = new("D", NOW - 0.5 * H)
    db.commit()
    return {"url": demo_url_fresh, "ids": ids, "township": township}


def test_overdue_lists(history, demo: Demo) -> None:
    """Late: C (receive) and B (reply); due within the hour: D; ordered by deadline; A and E are done."""
    ids = history["ids"]
    token = auth(demo.token(f"demo-dispatcher-{history['township'][:9]}"))
    with live_server(history["url"]) as base:
        soon = httpx.get(f"{base}/supervision/overdue", params={"within_hours": 1}, headers=token).json()
        assert [c["id"] for c in soon["items"]] == [ids["C"], ids["B"], ids["D"]]
        assert [c["overdue"] for c in soon["items"]] == [True, True, False]
        assert soon["groups"] == [
            {"key": history["township"], "name": soon["groups"][0]["name"], "late": 2, "due_soon": 1}
        ]
        late = httpx.get(f"{base}/supervision/overdue", params={"by": "platform"}, headers=token).json()
        assert [c["id"] for c in late["items"]] == [ids["C"], ids["B"]]
        assert late["groups"] == [{"key": "enforcement", "name": "综合执法", "late": 2, "due_soon": 0}]
        listed = httpx.get(f"{base}/cases", params={"overdue": True}, headers=token).json()
        assert {c["id"] for c in listed["items"]} == {ids["C"], ids["B"]}
        other = auth(demo.token(f"demo-dispatcher-{demo.summary.township_codes[1][:9]}"))
        theirs = httpx.get(f"{base}/supervision/overdue", params={"limit": 1000}, headers=other).json()[
            "items"
        ]
        assert theirs and not {c["id"] for c in theirs} & set(ids.values())
        assert (
            httpx.get(f"{base}/supervision/overdue", headers=auth(demo.token("demo-leader"))).status_code
            == 200
        )


def test_assessment_figures_by_hand(history, demo: Demo) -> None:
    """Per stage done / on time / open and late, and the rates, for the township and its platform."""
    token = auth(demo.token("demo-leader"))
    period = {"from": (T0 - H).isoformat(), "to": (T0 + H).isoformat()}
    with live_server(history["url"]) as base:
        for level, key in (("township", history["township"]), ("platform", "enforcement")):
            body = httpx.get(f"{base}/assessment", params=period | {"level": level}, headers=token).json()
            [unit] = body["units"]
            assert unit["key"] == key and unit["cases"] == 4
            stages = {s: (v["done"], v["on_time"], v["open_late"]) for s, v in unit["stages"].items()}
            assert stages == {
                "receive": (2, 1, 1),
                "dispatch": (2, 1, 0),
                "handle": (2, 1, 0),
                "reply": (1, 1, 1),
            }
            assert unit["stages"]["receive"]["on_time_rate"] == pytest.approx(1 / 3)
            assert unit["stages"]["reply"]["on_time_rate"] == pytest.approx(1 / 2)
            assert unit["close_rate"] == pytest.approx(1 / 3) and unit["return_rate"] == pytest.approx(1 / 2)
            assert unit["mean_handling_hours"] == pytest.approx((16 + 37.5) / 2)
        sheet = httpx.get(f"{base}/assessment", params=period | {"format": "xlsx"}, headers=token)
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith(
            "application/vnd.openxml"
        )
        rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
        assert rows[1][:3] == ("乡镇（街道）", "编码", "事件数") and "受理按时率" in rows[1]
        assert (
            rows[2][1] == history["township"]
            and rows[2][2] == 4
            and rows[2][rows[1].index("结案率")] == "33.3%"
        )
        bad = httpx.get(
            f"{base}/assessment", params={"from": period["to"], "to": period["from"]}, headers=token
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"
        worker = httpx.get(
            f"{base}/assessment",
            params=period,
            headers=auth(demo.token(f"demo-planner-{history['township'][:6]}")),
        )
        assert worker.status_code == 403
