"""Gap and summary figures checked by hand on a small constructed township.

One village, 1.0 × 1.0 km-ish (0.01° square at 28°N); grid A its west half, grid B the north-east
quarter, the south-east quarter left uncovered. Households: A 300 (two blocks), B 700, gap 50.
Worker 1 (full-time) is primary on A and B, so half a worker on each; worker 2 (part-time) backs
up A. Governance staff sit in the village and cover A and B; market staff sit 0.2° east (~19.6 km)
and cover A only; enforcement and services have nobody.
"""

from collections.abc import Iterator
from datetime import datetime

import pytest
from pyproj import Geod
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from grids.coverage.gaps import Gap, Rules, find_gaps
from grids.coverage.summary import summarise
from grids.db import make_engine, session_factory
from grids.users import Principal

ADMIN = Principal(0, "test", "admin", None, None)
WEDNESDAY_10 = datetime.fromisoformat("2026-10-28T10:00:00+08:00")
WEDNESDAY_20 = datetime.fromisoformat("2026-10-28T20:00:00+08:00")
GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid
X0, Y0 = 120.0, 28.0


def box(x0: float, y0: float, x1: float, y1: float) -> str:
    """An EWKT multipolygon in the storage CRS."""
    return f"SRID=4490;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


SETUP = f"""
INSERT INTO divisions (code, level, name, parent_code, geom) VALUES
  ('990000000000', 'province', '示范省', NULL, NULL),
  ('990100000000', 'city', '示范市', '990000000000', NULL),
  ('990101000000', 'county', '甲县', '990100000000', NULL),
  ('990101001000', 'township', '东山镇', '990101000000', ST_GeomFromEWKT('{box(X0, Y0, X0 + 0.01, Y0 + 0.01)}')),
  ('990101001001', 'village', '一村', '990101001000', ST_GeomFromEWKT('{box(X0, Y0, X0 + 0.01, Y0 + 0.01)}'));
INSERT INTO generations (id, name, scope_code, status, created_by, activated_at)
  VALUES (1, 'g1', '990101000000', 'active', 'test', now());
INSERT INTO grids (generation_id, code, name, kind, village_code, households, population, geom) VALUES
  (1, '990101001001001', '一村第1网格', 'ordinary', '990101001001', 300, 900,
   ST_GeomFromEWKT('{box(X0, Y0, X0 + 0.005, Y0 + 0.01)}')),
  (1, '990101001001002', '一村第2网格', 'ordinary', '990101001001', 700, 2000,
   ST_GeomFromEWKT('{box(X0 + 0.005, Y0 + 0.005, X0 + 0.01, Y0 + 0.01)}'));
INSERT INTO household_blocks (village_code, label, households, population, geom) VALUES
  ('990101001001', 'a1', 100, 300, ST_SetSRID(ST_MakePoint({X0 + 0.002}, {Y0 + 0.002}), 4490)),
  ('990101001001', 'a2', 200, 600, ST_SetSRID(ST_MakePoint({X0 + 0.002}, {Y0 + 0.008}), 4490)),
  ('990101001001', 'b1', 700, 2000, ST_SetSRID(ST_MakePoint({X0 + 0.008}, {Y0 + 0.008}), 4490)),
  ('990101001001', 'gap', 50, 150, ST_SetSRID(ST_MakePoint({X0 + 0.008}, {Y0 + 0.002}), 4490));
INSERT INTO people (id, full_name, phone) VALUES (1, '甲', NULL), (2, '乙', NULL), (3, '丙', NULL), (4, '丁', NULL);
INSERT INTO workers (id, staff_no, person_id, role, platform_code, township_code, base) VALUES
  (1, 'W1', 1, 'full_time', NULL, '990101001000', NULL),
  (2, 'W2', 2, 'part_time', NULL, '990101001000', NULL),
  (3, 'G1', 3, 'platform_staff', 'governance', '990101001000',
   ST_SetSRID(ST_MakePoint({X0 + 0.005}, {Y0 + 0.005}), 4490)),
  (4, 'M1', 4, 'platform_staff', 'market', '990101001000', ST_SetSRID(ST_MakePoint({X0 + 0.2}, {Y0 + 0.005}), 4490));
INSERT INTO worker_assignments (worker_id, grid_code, kind, valid_from) VALUES
  (1, '990101001001001', 'primary', '2026-01-01'), (1, '990101001001002', 'primary', '2026-01-01'),
  (2, '990101001001001', 'backup', '2026-01-01'),
  (3, '990101001001001', 'platform', '2026-01-01'), (3, '990101001001002', 'platform', '2026-01-01'),
  (4, '990101001001001', 'platform', '2026-01-01');
INSERT INTO duty_windows (worker_id, weekday, starts, ends)
  SELECT 1, d, '08:30', '17:30' FROM generate_series(1, 5) d;
INSERT INTO case_categories (code, name_zh, name_en, platform_code, family, receive_hours, dispatch_hours,
  handle_hours, reply_hours, duplicate_radius_m, duplicate_window_hours, escalation_level)
  VALUES ('litter', '垃圾', 'Litter', 'enforcement', 'litter', 2, 4, 48, 24, 50, 24, 'township');
"""


def case_rows(grid: str | None, status: str, x: float, y: float, n: int) -> str:
    """`n` cases at a point in the village, of the one category, received on 2026-10-20."""
    code = "NULL" if grid is None else f"'{grid}'"
    return ", ".join(
        f"('990101000000', 'patrol', 'litter', 'test', '2026-10-20', '2026-10-20 10:00+08', "
        f"ST_SetSRID(ST_MakePoint({x}, {y}), 4490), '990101001000', '990101001001', {code}, 'enforcement', "
        f"'{status}', '2026-10-22 10:00+08')"
        for _ in range(n)
    )


CASES = (
    "INSERT INTO cases (county_code, channel, category_code, description, reported_at, received_at, geom, "
    "township_code, village_code, grid_code, platform_code, status, handle_due) VALUES "
    + ", ".join(
        (
            case_rows("990101001001001", "dispatched", X0 + 0.001, Y0 + 0.001, 5),
            case_rows("990101001001002", "signed", X0 + 0.009, Y0 + 0.009, 1),
            case_rows(None, "received", X0 + 0.007, Y0 + 0.003, 1),
            case_rows(None, "closed", X0 + 0.009, Y0 + 0.001, 1),
        )
    )
)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A session on a fresh database holding the constructed township."""
    setup = create_engine(database_url)
    with setup.begin() as conn:
        conn.execute(text(SETUP))
        conn.execute(text(CASES))
    setup.dispose()
    engine = make_engine(database_url, pool_size=1)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def by_kind(gaps: list[Gap]) -> dict[tuple[str, str | None, str | None], Gap]:
    """Gaps keyed by kind, grid and platform."""
    return {(g.kind, g.place["grid_code"], g.place["platform_code"]): g for g in gaps}


def test_figures_by_hand(db: Session) -> None:
    """Area, households, cases, shares of workers, open cases per worker and distances, as computed by hand."""
    found = by_kind(find_gaps(db, caller=ADMIN, rules=Rules(open_cases_cap=2), at=WEDNESDAY_10))
    a, b = "990101001001001", "990101001001002"
    quarter, _ = GEOD.polygon_area_perimeter([X0 + 0.005, X0 + 0.01, X0 + 0.01, X0 + 0.005],
                                             [Y0, Y0, Y0 + 0.005, Y0 + 0.005])  # fmt: skip
    ground = found[("uncovered", None, None)].figures
    assert abs(ground["area_m2"] - abs(quarter)) < 0.5
    assert (ground["households"], ground["cases"], ground["open_cases"]) == (50, 2, 1)
    # Worker 1 is half a full-time worker on each grid: 300 / 0.5 and 700 / 0.5.
    assert found[("households_over_cap", a, None)].figures["households_per_worker"] == 600.0
    assert found[("households_over_cap", a, None)].severity == "medium"  # 600 ≤ 1.5 × 500
    assert found[("households_over_cap", b, None)].figures["households_per_worker"] == 1400.0
    assert found[("households_over_cap", b, None)].severity == "high"
    # Open cases per worker: A has 5 over worker 1's half and worker 2's whole (1.5); B 1 over 0.5.
    assert found[("open_cases_over_cap", a, None)].figures["open_cases_per_worker"] == round(5 / 1.5, 1)
    assert ("open_cases_over_cap", b, None) not in found  # 2.0 is not over a cap of 2
    # Market staff sit 0.2° east of the village; A's centre is 0.1975° from them, B's 0.1925°.
    for grid, cx, cy in ((a, X0 + 0.0025, Y0 + 0.005), (b, X0 + 0.0075, Y0 + 0.0075)):
        _, _, metres = GEOD.inv(cx, cy, X0 + 0.2, Y0 + 0.005)
        assert abs(found[("out_of_reach", grid, "market")].figures["distance_m"] - metres) < 1.0
    assert not any(k[0] == "out_of_reach" and k[2] == "governance" for k in found)
    assert {(k[1], k[2]) for k in found if k[0] == "no_platform_staff"} == {
        (a, "enforcement"),
        (a, "services"),
        (b, "enforcement"),
        (b, "services"),
        (b, "market"),
    }
    assert not any(k[0] in ("no_worker", "off_duty", "outside_villages") for k in found)


def test_off_duty_and_no_worker(db: Session) -> None:
    """At 20:00 nobody is on duty; with worker 1 gone, B has no responsible worker and A its backup."""
    evening = {k[:2] for k in by_kind(find_gaps(db, caller=ADMIN, at=WEDNESDAY_20)) if k[0] == "off_duty"}
    assert evening == {("off_duty", "990101001001001"), ("off_duty", "990101001001002")}
    db.execute(text("UPDATE workers SET active = false WHERE id = 1"))
    found = by_kind(find_gaps(db, caller=ADMIN, at=WEDNESDAY_10))
    assert ("no_worker", "990101001001002", None) in found
    assert ("no_worker", "990101001001001", None) not in found
    # A keeps only a part-time backup: its own 300 households are compared with the cap, not over it.
    assert ("households_over_cap", "990101001001001", None) not in found
    assert ("off_duty", "990101001001001", None) in found  # worker 2 has no duty windows


def test_outside_villages(db: Session) -> None:
    """Township ground no village covers is a gap of the township."""
    db.execute(
        text("UPDATE divisions SET geom = ST_GeomFromEWKT(:g) WHERE code = '990101001000'"),
        {"g": box(X0, Y0, X0 + 0.02, Y0 + 0.01)},
    )
    (gap,) = find_gaps(db, caller=ADMIN, kinds=["outside_villages"], at=WEDNESDAY_10)
    assert gap.place["township_code"] == "990101001000" and gap.place["village_code"] is None
    half, _ = GEOD.polygon_area_perimeter([X0 + 0.01, X0 + 0.02, X0 + 0.02, X0 + 0.01],
                                          [Y0, Y0, Y0 + 0.01, Y0 + 0.01])  # fmt: skip
    assert abs(gap.figures["area_m2"] - abs(half)) < 1.0


def test_summary_by_hand(db: Session) -> None:
    """The township's figures: grids, households, workers, staff, cases per month, on-time rate, gaps."""
    (town,) = summarise(db, caller=ADMIN, level="township", at=WEDNESDAY_10)
    assert (town.code, town.grids, town.households, town.population) == ("990101001000", 2, 1000, 2900)
    assert town.workers == {"grid_head": 0, "full_time": 1, "part_time": 1}
    assert town.platform_staff == {"governance": 1, "market": 1, "enforcement": 0, "services": 0}
    assert town.households_per_full_time == 1000.0
    assert town.grids_per_platform_staff == {
        "governance": 2.0,
        "market": 2.0,
        "enforcement": None,
        "services": None,
    }
    # 8 cases over the default 90 days; the 6 in grids are dispatched or signed, due 22 Oct: late, none handled.
    assert town.cases == 8
    assert town.cases_per_month["enforcement"] == round(8 / (90 / (365.25 / 12)), 1)
    handle = town.stages["handle"]
    assert (handle.done, handle.open_late, town.handle_on_time_rate) == (0, 6, 0.0)
    # No other stage has a deadline here, so nothing counts for it.
    assert town.on_time_rates == {"receive": None, "dispatch": None, "handle": 0.0, "reply": None}
    assert town.gaps["uncovered"] == 1 and town.gaps["no_platform_staff"] == 5
    (village,) = summarise(db, caller=ADMIN, level="village", at=WEDNESDAY_10)
    assert village.gaps["uncovered"] == 1 and village.households == 1000
