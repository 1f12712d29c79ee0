"""Every gap the demo city plants is found and nothing else — found by the service on its own,
compared here with the demo's record of what it planted (never read by product code)."""

import math
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import shapely
from sqlalchemy import Engine, text

from tests.conftest import Demo
from tests.coverage.conftest import SUNDAY_10, WEDNESDAY_10, auth

PLATFORMS = {"governance", "market", "enforcement", "services"}
GRIDS = str(Path(sys.executable).with_name("grids"))


def gaps(base: str, demo: Demo, who: str = "demo-admin", **params: str) -> dict:
    """GET /coverage/gaps as `who`."""
    response = httpx.get(f"{base}/coverage/gaps", params=params, headers=auth(demo, who), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def codes(body: dict, kind: str) -> list[str]:
    """Grid codes (or village codes for ground gaps) of the gaps of one kind."""
    key = "village_code" if kind == "uncovered" else "grid_code"
    return sorted(f["properties"]["place"][key] for f in body["features"] if f["properties"]["kind"] == kind)


def test_planted_gaps_found_and_nothing_else(base: str, demo: Demo, engine: Engine) -> None:
    """Ground gaps, grids without workers (and so without platform staff), the overloaded village."""
    body = gaps(base, demo, at=WEDNESDAY_10)
    planted = demo.summary.planted
    with engine.connect() as conn:
        overloaded = (
            conn.execute(
                text(
                    "SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                    "WHERE ge.status = 'active' AND g.village_code = :v AND g.kind = 'ordinary' ORDER BY g.code"
                ),
                {"v": planted["overloaded_village"]},
            )
            .scalars()
            .all()
        )
    assert codes(body, "uncovered") == sorted(g["village_code"] for g in planted["gaps"])
    assert codes(body, "no_worker") == sorted(planted["grids_without_worker"])
    staff_gaps = [f["properties"] for f in body["features"] if f["properties"]["kind"] == "no_platform_staff"]
    assert {(p["place"]["grid_code"], p["place"]["platform_code"]) for p in staff_gaps} == {
        (g, p) for g in planted["grids_without_worker"] for p in PLATFORMS
    }
    assert len(overloaded) >= 2 and codes(body, "households_over_cap") == list(overloaded)
    for kind in ("outside_villages", "off_duty", "open_cases_over_cap", "out_of_reach"):
        assert codes(body, kind) == [], kind
    assert body["counts"] == {
        k: len(codes(body, k)) if k != "no_platform_staff" else len(staff_gaps) for k in body["counts"]
    }


def test_ground_gap_figures(base: str, demo: Demo, engine: Engine) -> None:
    """Each ground gap has the planted shape, area and households, and counts the cases inside it."""
    body = gaps(base, demo, at=WEDNESDAY_10, kind="uncovered")
    found = {f["properties"]["place"]["village_code"]: f for f in body["features"]}
    for gap in demo.summary.planted["gaps"]:
        feature = found[gap["village_code"]]
        figures = feature["properties"]["figures"]
        assert math.isclose(figures["area_m2"], gap["area_m2"], rel_tol=0.01)
        assert figures["households"] == gap["households"]
        shape, expected = shapely.geometry.shape(feature["geometry"]), shapely.from_wkt(gap["wkt"])
        assert shapely.symmetric_difference(shape, expected).area < 0.001 * expected.area
        with engine.connect() as conn:
            inside = conn.execute(
                text("SELECT count(*) FROM cases WHERE ST_Covers(ST_GeomFromText(:wkt, 4490), geom)"),
                {"wkt": gap["wkt"]},
            ).scalar()
        assert inside > 0 and figures["cases"] == inside == len(feature["properties"]["case_ids"])
        with engine.connect() as conn:
            ids = (
                conn.execute(
                    text("SELECT id FROM cases WHERE ST_Covers(ST_GeomFromText(:wkt, 4490), geom)"),
                    {"wkt": gap["wkt"]},
                )
                .scalars()
                .all()
            )
        assert sorted(feature["properties"]["case_ids"]) == sorted(ids)
        assert feature["properties"]["severity"] == "high"
        assert feature["properties"]["place"]["township_code"] == gap["village_code"][:9] + "000"


def test_overloaded_village_figures(base: str, demo: Demo, engine: Engine) -> None:
    """Households per full-time worker: a worker on three grids counts a third on each."""
    body = gaps(base, demo, at=WEDNESDAY_10, kind="households_over_cap")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT g.code, g.households, (SELECT sum(1.0 / (SELECT count(*) FROM worker_assignments y "
                "  WHERE y.worker_id = a.worker_id AND y.kind = 'primary')) FROM worker_assignments a "
                "  JOIN workers w ON w.id = a.worker_id AND w.role = 'full_time' "
                "  WHERE a.grid_code = g.code AND a.kind = 'primary') AS share "
                "FROM grids g WHERE g.village_code = :v AND g.kind = 'ordinary'"
            ),
            {"v": demo.summary.planted["overloaded_village"]},
        ).all()
    expected = {code: round(households / float(share), 1) for code, households, share in rows}
    got = {f["properties"]["place"]["grid_code"]: f["properties"]["figures"] for f in body["features"]}
    assert {c: f["households_per_worker"] for c, f in got.items()} == expected
    assert all(f["threshold"] == 500 and f["households_per_worker"] > 500 for f in got.values())


def test_off_duty_on_sunday(base: str, demo: Demo, engine: Engine) -> None:
    """On a Sunday morning the grids whose workers have no weekend rota are off duty, and only those."""
    body = gaps(base, demo, at=SUNDAY_10, kind="off_duty")
    with engine.connect() as conn:
        expected = (
            conn.execute(
                text(
                    "SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                    "WHERE EXISTS (SELECT 1 FROM worker_assignments a WHERE a.grid_code = g.code "
                    "  AND a.kind IN ('primary', 'backup')) "
                    "AND NOT EXISTS (SELECT 1 FROM worker_assignments a JOIN duty_windows d ON d.worker_id = a.worker_id "
                    "  WHERE a.grid_code = g.code AND a.kind IN ('primary', 'backup', 'head') "
                    "  AND d.weekday = 7 AND d.starts <= '10:00' AND d.ends > '10:00') ORDER BY g.code"
                )
            )
            .scalars()
            .all()
        )
    assert expected and codes(body, "off_duty") == list(expected)


def test_scoped_to_the_callers_jurisdiction(base: str, demo: Demo) -> None:
    """A township's dispatcher sees its own gaps only; another division's code is not found."""
    gap = demo.summary.planted["gaps"][0]
    township = gap["village_code"][:9] + "000"
    other = next(t for t in demo.summary.township_codes if t != township)
    mine = gaps(base, demo, f"demo-dispatcher-{township[:9]}", at=WEDNESDAY_10)
    assert gap["village_code"] in codes(mine, "uncovered")
    assert all(f["properties"]["place"]["township_code"] == township for f in mine["features"])
    headers = auth(demo, f"demo-dispatcher-{township[:9]}")
    outside = httpx.get(f"{base}/coverage/gaps", params={"code": other}, headers=headers)
    assert outside.status_code == 404 and outside.headers["content-type"] == "application/problem+json"
    county = gaps(base, demo, f"demo-planner-{township[:6]}", code=township, at=WEDNESDAY_10)
    assert codes(county, "uncovered") == codes(mine, "uncovered")


def test_bad_requests_are_named(base: str, demo: Demo) -> None:
    """Unknown kinds, naive times and callers without the role get problem+json naming the fault."""
    headers = auth(demo, "demo-admin")
    for params, field in (({"kind": "holes"}, "kind"), ({"at": "2026-10-28T10:00:00"}, "at"),
                          ({"households_cap": "0"}, "households_cap"), ({"code": "12x"}, "code")):  # fmt: skip
        response = httpx.get(f"{base}/coverage/gaps", params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.text
    assert httpx.get(f"{base}/coverage/gaps").status_code == 401


def test_cli_lists_gaps(demo_url: str, demo: Demo) -> None:
    """`grids coverage gaps` prints the grids without workers; a bad time is one line, exit 2."""
    env = {**os.environ, "GRIDS_DATABASE_URL": demo_url, "COLUMNS": "200"}
    done = subprocess.run(
        [GRIDS, "coverage", "gaps", "--kind", "no_worker", "--at", WEDNESDAY_10],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for code in demo.summary.planted["grids_without_worker"]:
        assert code in done.stdout
    assert f"共 {len(demo.summary.planted['grids_without_worker'])} 处" in done.stdout
    bad = subprocess.run(
        [GRIDS, "coverage", "gaps", "--at", "yesterday"], env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--at" in bad.stderr


def test_summary_per_township(base: str, demo: Demo, engine: Engine) -> None:
    """Per township: grids and households as the grids table sums them, gaps as /coverage/gaps counts them."""
    response = httpx.get(
        f"{base}/coverage/summary",
        params={"level": "township", "at": WEDNESDAY_10},
        headers=auth(demo, "demo-leader"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    start, end = datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["to"])
    assert end == datetime.fromisoformat(WEDNESDAY_10) and (end - start).days == 90
    with engine.connect() as conn:
        expected = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                text(
                    "SELECT left(g.code, 9) || '000', count(*), sum(g.households) FROM grids g "
                    "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' GROUP BY 1"
                )
            )
        }
    rows = {d["code"]: d for d in body["divisions"]}
    assert set(rows) == set(demo.summary.township_codes)
    assert {c: (d["grids"], d["households"]) for c, d in rows.items()} == expected
    all_gaps = gaps(base, demo, at=WEDNESDAY_10)["features"]
    for code, row in rows.items():
        mine = [f for f in all_gaps if f["properties"]["place"]["township_code"] == code]
        assert sum(row["gaps"].values()) == len(mine), code
        assert row["workers"]["full_time"] > 0 and all(n > 0 for n in row["platform_staff"].values())
        assert (
            0 <= row["handle_on_time_rate"] <= 1
            and row["on_time_rates"]["handle"] == row["handle_on_time_rate"]
        )
        assert all(0 <= rate <= 1 for rate in row["on_time_rates"].values())
    dispatcher = httpx.get(
        f"{base}/coverage/summary",
        params={"level": "village"},
        headers=auth(demo, f"demo-dispatcher-{code[:9]}"),
    ).json()
    assert dispatcher["divisions"] and all(d["code"].startswith(code[:9]) for d in dispatcher["divisions"])
    worker = httpx.get(f"{base}/coverage/summary", headers=auth(demo, "demo-admin"), params={"level": "city"})
    assert worker.status_code == 422 and "level" in worker.text


def test_cli_summary(demo_url: str, demo: Demo) -> None:
    """`grids coverage summary` prints one row per township."""
    env = {**os.environ, "GRIDS_DATABASE_URL": demo_url, "COLUMNS": "250"}
    done = subprocess.run(
        [GRIDS, "coverage", "summary", "--level", "township"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for code in demo.summary.township_codes:
        assert code in done.stdout
