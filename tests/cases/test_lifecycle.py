"""The closed loop: every transition with its event, and every refusal (role, status, inputs, scope)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from grids.cases.accounts import link_worker
from grids.cases.intake import CaseInput, receive_case
from grids.cases.lifecycle import ActionInput, act
from grids.errors import Conflict, Forbidden, InvalidInput, NotFound
from grids.models.base import CASE_STATUSES
from grids.users import Principal, add_user, issue_token
from tests.cases.helpers import auth, grid_points
from tests.conftest import Demo
from tests.live import live_server

# What a dispatcher may do in each status, written out from the issue (independent of the code).
DISPATCHER_MAY = {
    "to_locate": {"pin"},
    "received": {"accept", "reject", "merge", "transfer"},
    "accepted": {"dispatch", "escalate", "merge", "transfer"},
    "dispatched": {"escalate", "sign", "return", "redispatch"},
    "escalated": {"handle", "return"},
    "signed": {"escalate", "handle", "return", "redispatch"},
    "handled": {"reply", "return"},
    "replied": {"verify", "return"},
    "verified": {"close"},
    "closed": {"evaluate"},
    "evaluated": set(),
    "merged": set(),
    "rejected": set(),
    "transferred": set(),
}
LEADER_MAY = {
    s: (
        {"extend"} if s in ("received", "accepted", "dispatched", "escalated", "signed", "handled") else set()
    )
    | ({"supervise"} if s not in ("closed", "evaluated", "merged", "rejected", "transferred") else set())
    for s in CASE_STATUSES
}
EVERY_ACTION = (
    "pin",
    "accept",
    "reject",
    "dispatch",
    "escalate",
    "sign",
    "handle",
    "reply",
    "verify",
    "close",
    "evaluate",
    "return",
    "redispatch",
    "extend",
    "merge",
    "transfer",
    "supervise",
)


@pytest.fixture
def world(demo_url_fresh: str, demo: Demo, session_on) -> Iterator[dict]:
    """A fresh demo with a case in the first township and a worker account for its grid's worker."""
    db = session_on(demo_url_fresh)
    township = demo.summary.township_codes[0]
    code, lon, lat = grid_points(demo_url_fresh, township)[0]
    dispatcher = Principal(
        db.scalar(text("SELECT id FROM users WHERE name = :n"), {"n": f"demo-dispatcher-{township[:9]}"}),
        f"demo-dispatcher-{township[:9]}",
        "dispatcher",
        township,
        None,
    )
    now = datetime.now(UTC)
    intake = receive_case(
        db,
        data=CaseInput(
            "hotline12345",
            "L-1",
            "environmental_sanitation",
            "垃圾（测试）",
            now - timedelta(hours=1),
            lon,
            lat,
        ),
        caller=dispatcher,
        now=now,
    )
    worker_id = intake.case.worker_id
    staff_no = db.scalar(text("SELECT staff_no FROM workers WHERE id = :w"), {"w": worker_id})
    user = add_user(db, name="worker-one", role="worker", scope_code=township)
    link_worker(db, user_name="worker-one", staff_no=staff_no)
    token = issue_token(db, name="worker-one")
    db.commit()
    yield {
        "db": db,
        "url": demo_url_fresh,
        "case": intake.case.id,
        "dispatcher": dispatcher,
        "township": township,
        "worker": Principal(user.id, "worker-one", "worker", township, None),
        "worker_id": worker_id,
        "worker_token": token,
        "point": (lon, lat),
        "grid": code,
    }


def test_the_whole_loop_over_http(world, demo: Demo) -> None:
    """received → accepted → dispatched → signed → handled → replied → verified → closed → evaluated,
    the worker signing, handling and replying from their own view; one event per step."""
    with live_server(world["url"]) as base:
        desk = auth(demo.token(f"demo-dispatcher-{world['township'][:9]}"))
        mine = auth(world["worker_token"])
        url = f"{base}/cases/{world['case']}/actions"
        steps = [
            (desk, {"action": "accept"}),
            (desk, {"action": "dispatch", "worker_id": world["worker_id"]}),
            (mine, {"action": "sign"}),
            (mine, {"action": "handle", "note": "已清运"}),
            (mine, {"action": "reply"}),
            (desk, {"action": "verify"}),
            (desk, {"action": "close"}),
            (desk, {"action": "evaluate", "satisfaction": 5}),
        ]
        own = httpx.get(f"{base}/cases", params={"mine": True}, headers=mine).json()
        # Assigned to the grid's worker at intake; the worker's view holds their cases and no one else's.
        assert world["case"] in [c["id"] for c in own["items"]]
        assert {c["worker_id"] for c in own["items"]} == {world["worker_id"]}
        early = httpx.post(url, json={"action": "sign"}, headers=mine)
        assert early.status_code == 409 and "allowed now: none" in early.json()["detail"]
        for headers, payload in steps:
            r = httpx.post(url, json=payload, headers=headers)
            assert r.status_code == 200, (payload, r.text)
        final = r.json()
        assert final["status"] == "evaluated" and final["satisfaction"] == 5 and final["closed_at"]
        trail = [(e["action"], e["from_status"], e["to_status"]) for e in final["events"]]
        assert trail == [
            ("receive", None, "received"),
            ("accept", "received", "accepted"),
            ("dispatch", "accepted", "dispatched"),
            ("sign", "dispatched", "signed"),
            ("handle", "signed", "handled"),
            ("reply", "handled", "replied"),
            ("verify", "replied", "verified"),
            ("close", "verified", "closed"),
            ("evaluate", "closed", "evaluated"),
        ]
        assert [e["actor"] for e in final["events"]][3:6] == ["worker-one"] * 3
        assert final["events"][4]["data"] == {"note": "已清运"}
        illegal = httpx.post(url, json={"action": "accept"}, headers=desk)
        assert illegal.status_code == 409 and "allowed now: none" in illegal.json()["detail"]


def test_every_action_from_every_status(world) -> None:
    """Allowed actions go through; every other (status, action) pair is refused: a 409 naming exactly
    the actions the table allows, or a 403 when the role may never take the action."""
    db, case_id = world["db"], world["case"]
    point = world["point"]
    for role, table in (("dispatcher", DISPATCHER_MAY), ("leader", LEADER_MAY)):
        caller = Principal(world["dispatcher"].user_id, "p", role, world["township"], None)
        ever = set().union(*table.values())
        for status in CASE_STATUSES:
            for name in EVERY_ACTION:
                outcome, message = "ok", ""
                savepoint = db.begin_nested()
                db.execute(text("UPDATE cases SET status = :s WHERE id = :c"), {"s": status, "c": case_id})
                try:
                    action = ActionInput(
                        name, reason="理由", hours=1, satisfaction=4, lon=point[0], lat=point[1]
                    )
                    act(db, case_id=case_id, action=action, caller=caller, now=datetime.now(UTC))
                except Conflict as exc:
                    outcome, message = "conflict", exc.message
                except Forbidden:
                    outcome = "forbidden"
                except InvalidInput:
                    outcome = "input"  # allowed, but merge and transfer need more than given here
                savepoint.rollback()
                if name in table[status]:
                    assert outcome in ("ok", "input"), (role, status, name, outcome, message)
                elif name in ever:
                    assert outcome == "conflict", (role, status, name, outcome)
                    named = message.split("allowed now: ")[1].split(" (")[0]
                    assert (set() if named == "none" else set(named.split(", "))) == table[status], (
                        status,
                        name,
                    )
                else:
                    assert outcome == "forbidden", (role, status, name, outcome)


def test_refusals_and_side_paths(world, demo: Demo) -> None:
    """Reasons, roles, scope, extend, supervise, return, redispatch, merge and transfer."""
    db, case_id, desk, worker = world["db"], world["case"], world["dispatcher"], world["worker"]
    now = datetime.now(UTC)

    def do(caller: Principal, action: str, **kw) -> object:
        return act(db, case_id=case_id, action=ActionInput(action, **kw), caller=caller, now=now)

    with pytest.raises(InvalidInput, match="reason"):
        do(desk, "reject")
    with pytest.raises(Conflict, match="allowed now: none"):
        do(worker, "sign")  # theirs by grid, but not dispatched yet
    leader = Principal(desk.user_id, "leader", "leader", None, None)
    due = do(leader, "extend", hours=10, reason="节假日").case
    assert due.receive_due is not None
    with pytest.raises(Forbidden):
        do(leader, "accept")
    do(leader, "supervise", reason="督办")
    do(desk, "accept")
    with pytest.raises(InvalidInput, match="worker"):
        do(desk, "dispatch", worker_id=999_999)
    do(desk, "dispatch", worker_id=world["worker_id"])
    with pytest.raises(Forbidden):
        do(worker, "accept")
    returned = do(worker, "return", reason="不属于本网格").case
    assert returned.status == "accepted"
    do(desk, "dispatch")  # to the grid's platform staff by default
    assert do(desk, "redispatch", worker_id=world["worker_id"]).case.worker_id == world["worker_id"]
    other = receive_case(
        db,
        data=CaseInput(
            "minqing",
            "L-2",
            "environmental_sanitation",
            "重复（测试）",
            now - timedelta(minutes=30),
            *world["point"],
        ),
        caller=desk,
        now=now,
    ).case
    assert other.duplicate_candidate_id == case_id
    merged = act(
        db, case_id=other.id, action=ActionInput("merge", duplicate_of=case_id), caller=desk, now=now
    ).case
    assert merged.status == "merged" and merged.duplicate_of_id == case_id and merged.closed_at is not None
    third = receive_case(
        db,
        data=CaseInput(
            "minqing", "L-3", "food_safety", "转办（测试）", now - timedelta(minutes=30), *world["point"]
        ),
        caller=desk,
        now=now,
    ).case
    target = demo.summary.township_codes[1]
    moved = act(
        db,
        case_id=third.id,
        action=ActionInput("transfer", township=target[:9], reason="属地错误"),
        caller=desk,
        now=now,
    ).case
    assert moved.township_code == target and moved.status == "received" and moved.grid_code is None
    with pytest.raises(NotFound):
        act(db, case_id=third.id, action=ActionInput("accept"), caller=desk, now=now)
    events = (
        db.execute(text("SELECT action FROM case_events WHERE case_id = :c ORDER BY id"), {"c": case_id})
        .scalars()
        .all()
    )
    assert events == [
        "receive",
        "extend",
        "supervise",
        "accept",
        "dispatch",
        "return",
        "dispatch",
        "redispatch",
    ]
    db.rollback()
