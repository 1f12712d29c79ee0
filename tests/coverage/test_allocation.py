"""Staff allocation on the demo's largest township: balanced within 10% of the lower bound, the same
answer twice, applied as dated assignments that locate then uses, and undone."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from tests.conftest import Demo
from tests.coverage.conftest import auth
from tests.live import live_server

GRIDS = str(Path(sys.executable).with_name("grids"))
PLATFORM = "market"


@pytest.fixture(scope="module")
def writable(demo_url: str) -> Iterator[tuple[str, Engine]]:
    """The API over this module's own copy of the demo (plans are applied here), and a connection."""
    engine = create_engine(demo_url)
    with live_server(demo_url) as url:
        yield url, engine
    engine.dispose()


def largest_township(engine: Engine) -> str:
    """The township with the most active grids."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT left(g.code, 9) || '000' FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                "WHERE ge.status = 'active' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            )
        ).scalar_one()


def platform_staff_now(engine: Engine, township: str) -> dict[str, list[int]]:
    """Each grid's market staff in force now, read straight from the assignments."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.grid_code, a.worker_id FROM worker_assignments a JOIN workers w ON w.id = a.worker_id "
                "WHERE a.grid_code LIKE :t AND a.kind = 'platform' AND w.platform_code = :p "
                "AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now()) ORDER BY 1, 2"
            ),
            {"t": township[:9] + "%", "p": PLATFORM},
        ).all()
    found: dict[str, list[int]] = {}
    for grid, worker in rows:
        found.setdefault(grid.strip(), []).append(worker)
    return found


def propose(url: str, demo: Demo, who: str = "demo-leader", **body: Any) -> httpx.Response:
    """POST /coverage/allocation."""
    return httpx.post(f"{url}/coverage/allocation", json=body, headers=auth(demo, who), timeout=120)


def test_balanced_deterministic_and_explained(writable: tuple[str, Engine], demo: Demo) -> None:
    """Max load within 10% of max(total ÷ staff, largest grid); figures agree with the grid list."""
    url, engine = writable
    township = largest_township(engine)
    today = platform_staff_now(engine, township)
    first = propose(url, demo, code=township, platform=PLATFORM)
    assert first.status_code == 201, first.text
    plan = first.json()
    result = plan["result"]
    positions, grids = result["positions"], result["grids"]
    assert plan["status"] == "proposed" and set(today) <= {g["code"] for g in grids}
    assert all(p["base_from"] == "roster" for p in positions)
    # "before" is today's allocation, read independently; a grid with no market staff has none.
    for grid in grids:
        mine = [positions[grid["before"]]["worker_id"]] if grid["before"] is not None else []
        assert mine == today.get(grid["code"], [])
    assert result["before"]["unallocated_grids"] == len(grids) - len(today)
    loads = [0.0] * len(positions)
    for grid in grids:
        loads[grid["after"]] += grid["load"]
    total, largest = sum(g["load"] for g in grids), max(g["load"] for g in grids)
    bound = max(total / len(positions), largest)
    assert result["lower_bound"] == pytest.approx(bound, abs=0.01)
    assert result["after"]["max_load"] == pytest.approx(max(loads), abs=0.01)
    assert max(loads) <= 1.10 * bound, result["verdict"]
    assert result["after"]["max_load"] <= result["before"]["max_load"]
    assert "10%" in result["verdict"]
    assert result["moves"] == sum(g["before"] != g["after"] for g in grids)
    again = propose(url, demo, code=township, platform=PLATFORM).json()["result"]
    assert [g["after"] for g in again["grids"]] == [g["after"] for g in grids]
    assert again["positions"] == positions


def test_apply_then_undo(writable: tuple[str, Engine], demo: Demo) -> None:
    """Applying moves the assignments (and locate answers with them); undoing puts them back."""
    url, engine = writable
    township = largest_township(engine)
    before = platform_staff_now(engine, township)
    plan = propose(url, demo, code=township, platform=PLATFORM).json()
    leader = auth(demo, "demo-leader")
    planner = auth(demo, f"demo-planner-{township[:6]}")
    assert httpx.post(f"{url}/coverage/allocation/{plan['id']}/apply", headers=planner).status_code == 403
    applied = httpx.post(f"{url}/coverage/allocation/{plan['id']}/apply", headers=leader)
    assert applied.status_code == 200, applied.text
    positions = plan["result"]["positions"]
    after = platform_staff_now(engine, township)
    expected = {g["code"]: [positions[g["after"]]["worker_id"]] for g in plan["result"]["grids"]}
    assert len(expected) > len(before)  # the grid nobody covered today is covered
    assert after == expected
    moved = [g for g in plan["result"]["grids"] if g["before"] != g["after"]]
    assert moved and applied.json()["assignments_started"] == len(moved)
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids g "
                 "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' WHERE code = :c) x"),
            {"c": moved[0]["code"]},
        ).one()  # fmt: skip
    located = httpx.post(
        f"{url}/locate", json={"lon": lon, "lat": lat, "crs": "cgcs2000"}, headers=leader
    ).json()
    staff = {s["platform"]: s["staff_no"] for s in located["platform_staff"]}
    assert staff[PLATFORM] == positions[moved[0]["after"]]["staff_no"]
    assert httpx.post(f"{url}/coverage/allocation/{plan['id']}/apply", headers=leader).status_code == 409
    undone = httpx.post(f"{url}/coverage/allocation/{plan['id']}/undo", headers=leader)
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert platform_staff_now(engine, township) == before
    again = httpx.post(f"{url}/coverage/allocation/{plan['id']}/undo", headers=leader)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"


def test_stale_plan_and_vacant_positions(writable: tuple[str, Engine], demo: Demo) -> None:
    """A plan overtaken by another is refused; new positions get chosen bases but cannot be applied."""
    url, engine = writable
    township = largest_township(engine)
    leader = auth(demo, "demo-leader")
    older = propose(url, demo, code=township, platform=PLATFORM, change_penalty_m=0).json()
    newer = propose(url, demo, code=township, platform=PLATFORM, change_penalty_m=0).json()
    assert httpx.post(f"{url}/coverage/allocation/{newer['id']}/apply", headers=leader).status_code == 200
    stale = httpx.post(f"{url}/coverage/allocation/{older['id']}/apply", headers=leader)
    assert stale.status_code == 409 and "changed" in stale.text
    assert httpx.post(f"{url}/coverage/allocation/{newer['id']}/undo", headers=leader).status_code == 200
    today = len({w for ws in platform_staff_now(engine, township).values() for w in ws})
    grown = propose(url, demo, code=township, platform=PLATFORM, count=today + 1).json()
    positions = grown["result"]["positions"]
    assert len(positions) == today + 1 and [p["base_from"] for p in positions].count("chosen") == 1
    assert grown["result"]["after"]["max_load"] < grown["result"]["before"]["max_load"]
    vacant = httpx.post(f"{url}/coverage/allocation/{grown['id']}/apply", headers=leader)
    assert vacant.status_code == 409 and "新增岗位" in vacant.text


def test_who_may_plan(writable: tuple[str, Engine], demo: Demo) -> None:
    """Dispatchers may not plan; another county's planner does not find the township; bad bodies are 422."""
    url, engine = writable
    township = largest_township(engine)
    other_county = next(c for c in demo.summary.county_codes if c[:6] != township[:6])
    dispatcher = propose(url, demo, f"demo-dispatcher-{township[:9]}", code=township, platform=PLATFORM)
    assert dispatcher.status_code == 403
    assert (
        propose(url, demo, f"demo-planner-{other_county[:6]}", code=township, platform=PLATFORM).status_code
        == 404
    )
    for body, field in (
        ({"code": township, "platform": "police"}, "platform"),
        ({"code": township, "platform": PLATFORM, "count": 2, "staff": []}, "count"),
        ({"code": township, "platform": PLATFORM, "staff": [{"staff_no": "NOBODY"}]}, "staff"),
        ({"code": township[:6], "platform": PLATFORM, "history_days": 0}, "history_days"),
        ({"code": township[:9] + "001", "platform": PLATFORM}, "code"),
    ):
        response = propose(url, demo, **body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text and response.headers["content-type"] == "application/problem+json"
    assert (
        httpx.get(f"{url}/coverage/allocation/999999", headers=auth(demo, "demo-leader")).status_code == 404
    )


def test_cli_plan(demo_url_fresh: str, demo: Demo) -> None:
    """`grids coverage plan` prints before and after, the verdict and how to apply; `apply` applies it."""
    engine = create_engine(demo_url_fresh)
    township = largest_township(engine)
    engine.dispose()
    env = {**os.environ, "GRIDS_DATABASE_URL": demo_url_fresh, "COLUMNS": "200"}
    done = subprocess.run([GRIDS, "coverage", "plan", township, "--platform", PLATFORM],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "调整前 before" in done.stdout and "调整后 after" in done.stdout and "10%" in done.stdout
    plan_id = done.stdout.split("grids coverage apply ")[1].split()[0]
    applied = subprocess.run([GRIDS, "coverage", "apply", plan_id], env=env, capture_output=True, text=True)
    assert applied.returncode == 0 and "已生效 applied" in applied.stdout
    again = subprocess.run([GRIDS, "coverage", "apply", plan_id], env=env, capture_output=True, text=True)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
