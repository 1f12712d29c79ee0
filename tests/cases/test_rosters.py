"""`grids workers import` and `grids categories import`: history kept, routing changes at once."""

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from openpyxl import Workbook
from sqlalchemy import text

from grids.locate import locate
from tests.cases.conftest import OPERATOR
from tests.cases.helpers import auth, grid_points, scalar
from tests.conftest import Demo
from tests.live import live_server

GRIDS = str(Path(sys.executable).with_name("grids"))
MONDAY_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Asia/Shanghai


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`grids ARGS` on `url`."""
    env = {**os.environ, "GRIDS_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([GRIDS, *args], env=env, capture_output=True, text=True, timeout=120)


def test_roster_import_hands_a_grid_over_and_keeps_history(
    demo_url_fresh: str, demo: Demo, tmp_path: Path, session_on
) -> None:
    """A new primary for a grid (Chinese headers, Excel): the old one is ended, not deleted; the
    next locate names the new worker; a rerun changes nothing."""
    township = demo.summary.township_codes[0]
    code, lon, lat = grid_points(demo_url_fresh, township)[0]
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    book = Workbook()
    book.active.append(
        ["工号", "姓名", "电话", "岗位", "平台", "乡镇", "网格编码", "职责", "起始日期", "值班时间"]
    )
    book.active.append(
        [
            "NEW-001",
            "赵新",
            "13900004444",
            "full_time",
            None,
            township[:9],
            code,
            "primary",
            since,
            "1-5 08:00-18:00; 6 09:00-12:00",
        ]
    )
    book.save(tmp_path / "roster.xlsx")
    before = scalar(
        demo_url_fresh,
        "SELECT worker_id FROM worker_assignments WHERE grid_code = :g AND kind = 'primary' AND valid_to IS NULL",
        g=code,
    )
    done = run(demo_url_fresh, "workers", "import", str(tmp_path / "roster.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "1 new worker(s)" in done.stdout and "1 assignment(s) opened, 1 ended" in done.stdout
    db = session_on(demo_url_fresh)
    rows = db.execute(
        text(
            "SELECT w.staff_no, a.valid_to IS NULL FROM worker_assignments a JOIN workers w ON w.id = a.worker_id "
            "WHERE a.grid_code = :g AND a.kind = 'primary' ORDER BY a.valid_from"
        ),
        {"g": code},
    ).all()
    assert [r[1] for r in rows] == [False, True] and rows[-1][0] == "NEW-001"
    assert scalar(
        demo_url_fresh,
        "SELECT valid_to IS NOT NULL FROM worker_assignments WHERE worker_id = :w AND grid_code = :g",
        w=before,
        g=code,
    )
    worker = locate(db, lon=lon, lat=lat, crs="wgs84", caller=OPERATOR, at=MONDAY_10).worker
    assert worker is not None and worker.staff_no == "NEW-001" and worker.on_duty and worker.name == "赵*"
    again = run(demo_url_fresh, "workers", "import", str(tmp_path / "roster.xlsx"))
    assert again.returncode == 0 and "0 assignment(s) opened, 0 ended" in again.stdout
    assert (
        scalar(
            demo_url_fresh,
            "SELECT count(*) FROM duty_windows d JOIN workers w ON w.id = d.worker_id WHERE w.staff_no = 'NEW-001'",
        )
        == 6
    )


def test_bad_roster_rows_refuse_the_file(demo_url_fresh: str, demo: Demo, tmp_path: Path) -> None:
    """Unknown role, a grid of another township and a malformed duty: named by row; nothing written."""
    township, other = demo.summary.township_codes[:2]
    code, _, _ = grid_points(demo_url_fresh, other)[0]
    path = tmp_path / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                ["staff_no", "name", "role", "township", "grid", "duty"],
                ["X-1", "甲", "chief", township[:9], "", ""],
                ["X-2", "乙", "full_time", township[:9], code, ""],
                ["X-3", "丙", "full_time", township[:9], "", "Monday 9-5"],
            ]
        )
    done = run(demo_url_fresh, "workers", "import", str(path))
    assert done.returncode == 2 and all(f"row {n}" in done.stderr for n in (2, 3, 4)), done.stderr
    assert scalar(demo_url_fresh, "SELECT count(*) FROM workers WHERE staff_no LIKE 'X-%'") == 0


def test_categories_import_changes_limits_for_new_cases(demo_url_fresh: str, tmp_path: Path) -> None:
    """An updated limit and a new category; bad rows name themselves."""
    path = tmp_path / "categories.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                [
                    "编码",
                    "名称",
                    "平台",
                    "受理时限",
                    "分流时限",
                    "处置时限",
                    "回复时限",
                    "查重半径",
                    "查重时窗",
                ],
                ["street_vending", "占道经营", "enforcement", 2, 2, 6, 6, 80, 24],
                ["dog_nuisance", "犬只扰民", "governance", 1, 2, 24, 12, 100, 48],
            ]
        )
    done = run(demo_url_fresh, "categories", "import", str(path))
    assert done.returncode == 0 and "imported 2 categories" in done.stdout, done.stderr
    assert (
        scalar(demo_url_fresh, "SELECT handle_hours FROM case_categories WHERE code = 'street_vending'") == 6
    )
    assert (
        scalar(demo_url_fresh, "SELECT platform_code FROM case_categories WHERE code = 'dog_nuisance'")
        == "governance"
    )
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                [
                    "code",
                    "name_zh",
                    "platform",
                    "receive_hours",
                    "dispatch_hours",
                    "handle_hours",
                    "reply_hours",
                    "duplicate_radius_m",
                    "duplicate_window_hours",
                ],
                ["Bad Code", "坏", "nowhere", 0, 1, 1, 1, 0, 0],
            ]
        )
    bad = run(demo_url_fresh, "categories", "import", str(path))
    assert bad.returncode == 2 and "row 2" in bad.stderr


def test_roster_and_categories_through_the_api(demo_url_fresh: str, demo: Demo) -> None:
    """A township's dispatcher keeps its own roster only; categories are the admin's."""
    township, other = demo.summary.township_codes[:2]
    code, _, _ = grid_points(demo_url_fresh, township)[0]
    mine = f"staff_no,name,role,township,grid,kind,duty\nAPI-1,钱一,part_time,{township[:9]},{code},backup,1-5 09:00-17:00\n"
    theirs = f"staff_no,name,role,township,grid,kind,duty\nAPI-2,孙二,part_time,{other[:9]},,,\n"
    desk = auth(demo.token(f"demo-dispatcher-{township[:9]}"))
    with live_server(demo_url_fresh) as base:
        ok = httpx.post(
            f"{base}/workers/import", files={"file": ("r.csv", mine.encode(), "text/csv")}, headers=desk
        )
        assert ok.status_code == 200, ok.text
        assert ok.json() == {
            "workers_added": 1,
            "workers_updated": 0,
            "assignments_added": 1,
            "assignments_ended": 0,
        }
        refused = httpx.post(
            f"{base}/workers/import", files={"file": ("r.csv", theirs.encode(), "text/csv")}, headers=desk
        )
        assert (
            refused.status_code == 422
            and "row 2" in refused.json()["detail"]
            and "jurisdiction" in refused.json()["detail"]
        )
        wrong = httpx.post(
            f"{base}/workers/import", files={"file": ("r.txt", b"x", "text/plain")}, headers=desk
        )
        assert wrong.status_code == 422
        categories = (
            "code,name_zh,platform,receive_hours,dispatch_hours,handle_hours,reply_hours,duplicate_radius_m,duplicate_window_hours\n"
            "api_cat,接口类别,services,1,1,8,4,50,24\n"
        )
        files = {"file": ("c.csv", categories.encode(), "text/csv")}
        assert httpx.post(f"{base}/categories/import", files=files, headers=desk).status_code == 403
        done = httpx.post(f"{base}/categories/import", files=files, headers=auth(demo.token("demo-admin")))
        assert done.status_code == 200 and done.json() == {"categories": 1}
    assert scalar(demo_url_fresh, "SELECT count(*) FROM workers WHERE staff_no LIKE 'API-%'") == 1
