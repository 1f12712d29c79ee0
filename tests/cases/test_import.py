"""`grids cases import`: CSV, GeoJSON and Excel; the same placement as one-by-one intake; reruns find
what was written; one bad row refuses the file, naming the row."""

import csv
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from grids.cases.bulk import ImportSummary, import_cases
from grids.cases.intake import CaseInput, receive_case
from grids.db import make_engine
from grids.locate import locate
from tests.cases.conftest import OPERATOR
from tests.cases.helpers import grid_points, scalar
from tests.conftest import Demo

GRIDS = str(Path(sys.executable).with_name("grids"))
HEADER = [
    "渠道",
    "外部编号",
    "类别",
    "经度",
    "纬度",
    "坐标系",
    "描述",
    "上报时间",
    "地址",
    "乡镇",
    "报告人",
    "电话",
]


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`grids ARGS` on `url`."""
    env = {**os.environ, "GRIDS_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([GRIDS, *args], env=env, capture_output=True, text=True, timeout=300)


def rows_for(url: str, township: str, n: int) -> list[list[object]]:
    """`n` rows at grid points of a township, every tenth with a reporter, the last address-only."""
    points = grid_points(url, township, 30)
    at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    rows: list[list[object]] = []
    for i in range(n):
        _, lon, lat = points[i % len(points)]
        reporter = ["张三", "13900003333"] if i % 10 == 0 else ["", ""]
        category = ["food_safety", "street_vending", "dispute"][i % 3]
        rows.append(
            [
                "zwfw",
                f"IMP-{i}",
                category,
                lon + (i // len(points)) * 1e-5,
                lat,
                "wgs84",
                f"导入测试{i}",
                at,
                "",
                "",
                *reporter,
            ]
        )
    rows[-1][3:6] = ["", "", ""]
    rows[-1][8:10] = ["某村某组", township[:9]]
    return rows


def test_csv_import_places_like_intake_and_reruns_find_everything(
    demo_url_fresh: str, demo: Demo, tmp_path: Path, session_on
) -> None:
    """300 rows: located as /locate does, routed and timed, duplicates flagged; a rerun adds nothing."""
    township = demo.summary.township_codes[0]
    rows = rows_for(demo_url_fresh, township, 300)
    path = tmp_path / "cases.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    first = run(demo_url_fresh, "cases", "import", str(path), "--chunk", "100")
    assert first.returncode == 0, first.stderr
    assert "imported 300 new case(s); 0 already present" in first.stdout
    again = run(demo_url_fresh, "cases", "import", str(path))
    assert again.returncode == 0 and "imported 0 new case(s); 300 already present" in again.stdout
    assert (
        scalar(
            demo_url_fresh,
            "SELECT count(*) FROM case_events e JOIN case_intake_keys k ON k.case_id = e.case_id WHERE k.external_id LIKE 'IMP-%'",
        )
        == 300
    )
    assert (
        scalar(
            demo_url_fresh,
            "SELECT count(*) FROM cases c JOIN case_intake_keys k ON k.case_id = c.id WHERE k.external_id LIKE 'IMP-%' AND c.reporter_id IS NOT NULL",
        )
        == 30
    )
    db = session_on(demo_url_fresh)
    stored = db.execute(
        text(
            "SELECT k.external_id, c.grid_code, c.assigned_by, c.status, c.platform_code, c.duplicate_candidate_id, "
            "c.handle_due - c.received_at, c.township_code FROM cases c JOIN case_intake_keys k ON k.case_id = c.id "
            "WHERE k.external_id LIKE 'IMP-%'"
        )
    ).all()
    by_id = {r[0]: r for r in stored}
    for i in range(0, 299, 7):
        answer = locate(db, lon=float(rows[i][3]), lat=float(rows[i][4]), crs="wgs84", caller=OPERATOR).found
        assert by_id[f"IMP-{i}"][1] == answer.grid.code and by_id[f"IMP-{i}"][2] == answer.match
    assert by_id["IMP-0"][4] == "market" and by_id["IMP-2"][4] == "governance"
    assert by_id["IMP-0"][6] == timedelta(hours=1 + 2 + 24)  # food_safety: receive 1, dispatch 2, handle 24
    assert by_id["IMP-299"][3] == "to_locate" and by_id["IMP-299"][7] == township
    ids = {
        r[0]: scalar(demo_url_fresh, "SELECT case_id FROM case_intake_keys WHERE external_id = :e", e=r[0])
        for r in stored
        if r[0] in ("IMP-0", "IMP-30")
    }
    # IMP-30 repeats IMP-0's place (1e-5 degrees off) and category: flagged with it, not merged.
    assert by_id["IMP-30"][5] == ids["IMP-0"] and by_id["IMP-30"][3] == "received"
    assert by_id["IMP-1"][5] is None


def test_geojson_and_excel(demo_url_fresh: str, demo: Demo, tmp_path: Path) -> None:
    """The same rows as GeoJSON points and as an Excel sheet with Chinese headers."""
    township = demo.summary.township_codes[1]
    rows = rows_for(demo_url_fresh, township, 6)[:5]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r[3], r[4]]},
            "properties": {
                "channel": "minqing",
                "external_id": f"GJ-{i}",
                "category": r[2],
                "description": "测试",
                "reported_at": r[7],
            },
        }
        for i, r in enumerate(rows)
    ]
    (tmp_path / "c.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    book = Workbook()
    book.active.append(HEADER)
    for i, r in enumerate(rows):
        book.active.append(["pingan", f"XL-{i}", *r[2:]])
    book.save(tmp_path / "c.xlsx")
    for name in ("c.geojson", "c.xlsx"):
        done = run(demo_url_fresh, "cases", "import", str(tmp_path / name))
        assert done.returncode == 0 and "imported 5 new case(s)" in done.stdout, done.stderr
    engine = create_engine(demo_url_fresh)
    with engine.connect() as conn:
        grids = conn.execute(
            text(
                "SELECT count(*) FROM cases c JOIN case_intake_keys k ON k.case_id = c.id WHERE (k.external_id LIKE 'GJ-%' OR k.external_id LIKE 'XL-%') AND c.grid_code IS NOT NULL"
            )
        ).scalar()
    engine.dispose()
    assert grids == 10


def test_one_bad_row_refuses_the_file(demo_url_fresh: str, demo: Demo, tmp_path: Path) -> None:
    """A row off the map and a row with an unknown category: one error line naming both; nothing written."""
    rows = rows_for(demo_url_fresh, demo.summary.township_codes[0], 5)
    rows[1][3:5] = [150.0, 10.0]
    rows[2][2] = "nonsense"
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    done = run(demo_url_fresh, "cases", "import", str(path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "row 3" in done.stderr and "row 4" in done.stderr and "nothing imported" in done.stderr
    assert scalar(demo_url_fresh, "SELECT count(*) FROM case_intake_keys WHERE external_id LIKE 'IMP-%'") == 0
    missing = run(demo_url_fresh, "cases", "import", str(tmp_path / "none.csv"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_a_key_stored_while_the_import_runs(demo_url_fresh: str, demo: Demo) -> None:
    """One-by-one intake of a row's key commits after the import checked its keys but before it
    writes: the import waits for it, skips that row (counted as present), and the later row that
    repeats it is flagged with the case intake made."""
    _, lon, lat = grid_points(demo_url_fresh, demo.summary.township_codes[0], 1)[0]
    at = datetime.now(UTC) - timedelta(hours=1)

    def case(n: int, dx: float) -> CaseInput:
        return CaseInput("zwfw", f"RACE-{n}", "food_safety", f"竞争测试{n}", at, lon + dx, lat)

    inputs = [case(0, 0.0), case(1, 1e-5), case(2, 0.002)]
    engine = make_engine(demo_url_fresh, pool_size=2)
    intake = Session(engine)
    made = receive_case(intake, data=inputs[0], caller=OPERATOR).case.id  # not committed yet
    result: dict[str, ImportSummary] = {}
    worker = threading.Thread(
        target=lambda: result.setdefault("summary", import_cases(engine, inputs=inputs, caller=OPERATOR))
    )
    worker.start()
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    deadline = time.monotonic() + 60
    while scalar(demo_url_fresh, waiting) == 0 and worker.is_alive():
        assert time.monotonic() < deadline, "the import never waited for the intake's lock"
        time.sleep(0.05)
    intake.commit()
    intake.close()
    worker.join(60)
    engine.dispose()
    assert result["summary"] == ImportSummary(rows=3, created=2, existing=1)
    stored = {
        k: scalar(
            demo_url_fresh,
            "SELECT c.duplicate_candidate_id FROM cases c JOIN case_intake_keys k ON k.case_id = c.id "
            "WHERE k.external_id = :k",
            k=k,
        )
        for k in ("RACE-1", "RACE-2")
    }
    assert stored == {"RACE-1": made, "RACE-2": None}
    assert scalar(demo_url_fresh, "SELECT count(*) FROM cases WHERE description LIKE '竞争测试0'") == 1
    assert (
        scalar(
            demo_url_fresh,
            "SELECT count(*) FROM case_events e JOIN case_intake_keys k ON k.case_id = e.case_id WHERE k.external_id LIKE 'RACE-%'",
        )
        == 3
    )


def test_counties_are_written_side_by_side(demo_url_fresh: str, demo: Demo) -> None:
    """One round holding two counties' rows writes each county in a transaction of its own; a
    repeated report is flagged with its county's earlier row, and every row is written once."""
    first = demo.summary.township_codes[0]
    second = next(t for t in demo.summary.township_codes if t[:6] != first[:6])
    at = datetime.now(UTC) - timedelta(hours=1)
    inputs = []
    for township in (first, second):
        for n, (_, lon, lat) in enumerate(grid_points(demo_url_fresh, township, 3)):
            for repeat in range(2):  # the second report of a place 1e-5 degrees off
                key = f"SIDE-{township}-{n}-{repeat}"
                inputs.append(CaseInput("zwfw", key, "food_safety", key, at, lon + repeat * 1e-5, lat))
    engine = make_engine(demo_url_fresh, pool_size=3)
    summary = import_cases(engine, inputs=inputs, caller=OPERATOR, chunk=1000)
    engine.dispose()
    assert summary == ImportSummary(rows=12, created=12, existing=0)
    db = create_engine(demo_url_fresh)
    with db.connect() as conn:
        transactions = conn.execute(
            text(
                "SELECT c.county_code, count(DISTINCT c.xmin::text) FROM cases c "
                "WHERE c.description LIKE 'SIDE-%' GROUP BY 1"
            )
        ).all()
        flagged = conn.execute(
            text(
                "SELECT c.description, d.description FROM cases c LEFT JOIN cases d "
                "ON d.county_code = c.county_code AND d.id = c.duplicate_candidate_id "
                "WHERE c.description LIKE 'SIDE-%'"
            )
        ).all()
        xmins = conn.execute(
            text("SELECT count(DISTINCT xmin::text) FROM cases WHERE description LIKE 'SIDE-%'")
        ).scalar()
    db.dispose()
    assert sorted(n for _, n in transactions) == [1, 1] and xmins == 2
    assert {a: b for a, b in flagged} == {
        key: key[:-1] + "0" if key.endswith("-1") else None for key, _ in flagged
    }
