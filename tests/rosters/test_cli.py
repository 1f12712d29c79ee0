"""`grids workers list/show` and `grids categories history`, and the import keeping category history."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import Demo

GRIDS = str(Path(sys.executable).with_name("grids"))


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`grids ARGS` on `url`."""
    env = {**os.environ, "GRIDS_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([GRIDS, *args], env=env, capture_output=True, text=True, timeout=120)


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql)).all()]
    engine.dispose()
    return found


def test_workers_list_and_show(demo_url_fresh: str, demo: Demo) -> None:
    """The list of one township as JSON matches the table; show prints assignments and duty, masked."""
    township = demo.summary.township_codes[1]
    listed = run(demo_url_fresh, "workers", "list", "--township", township[:9], "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    stored = rows(
        demo_url_fresh, f"SELECT staff_no FROM workers WHERE township_code = '{township}' ORDER BY staff_no"
    )
    assert [w["staff_no"] for w in items] == [r[0] for r in stored]
    assert all("phone" not in w and w["name"].endswith("*") for w in items)
    staff_no = items[0]["staff_no"]
    ((full_name, phone),) = rows(
        demo_url_fresh,
        f"SELECT p.full_name, p.phone FROM people p JOIN workers w ON w.person_id = p.id WHERE w.staff_no = '{staff_no}'",
    )
    shown = run(demo_url_fresh, "workers", "show", staff_no)
    assert shown.returncode == 0, shown.stderr
    assert (
        staff_no in shown.stdout
        and "网格职责 assignments" in shown.stdout
        and "值班 duty: 周一" in shown.stdout
    )
    assert str(full_name) not in shown.stdout and str(phone) not in shown.stdout
    table = run(demo_url_fresh, "workers", "list", "--township", township[:9])
    assert (
        table.returncode == 0 and staff_no in table.stdout and f"{len(items)} of {len(items)}" in table.stdout
    )
    unknown = run(demo_url_fresh, "workers", "show", "NO-SUCH-1")
    assert unknown.returncode == 2 and "NO-SUCH-1" in unknown.stderr


def test_category_import_records_versions_by_cli(demo_url_fresh: str, tmp_path: Path) -> None:
    """An import changing a limit adds a version made by `cli`; importing it again adds none."""
    code, name, platform, receive, dispatch, handle, reply, radius, window = rows(
        demo_url_fresh,
        "SELECT code, name_zh, platform_code, receive_hours, dispatch_hours, handle_hours, reply_hours, "
        "duplicate_radius_m, duplicate_window_hours FROM case_categories ORDER BY code LIMIT 1",
    )[0]
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
                [code, name, platform, receive, dispatch, float(handle) * 2, reply, radius, window],
            ]
        )
    for _ in range(2):
        done = run(demo_url_fresh, "categories", "import", str(path))
        assert done.returncode == 0, done.stderr
    history = run(demo_url_fresh, "categories", "history", str(code), "--json")
    assert history.returncode == 0, history.stderr
    versions = json.loads(history.stdout)
    assert [v["handle_hours"] for v in versions] == [handle, float(handle) * 2]
    assert versions[-1]["changed_by"] == "cli" and versions[0]["valid_to"] == versions[1]["valid_from"]
    table = run(demo_url_fresh, "categories", "history", str(code))
    assert table.returncode == 0 and "cli" in table.stdout and f"{code} 版本 versions" in table.stdout
