"""Load the demo city 示范市 into a migrated database, replacing an earlier demo in one transaction."""

import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from psycopg2.extensions import cursor as Cursor
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from grids.copy import copy_rows
from grids.demo.cases import CaseMaker
from grids.demo.catalogue import SCALES, upsert_categories
from grids.demo.geography import Geography, build_geography, to_storage
from grids.demo.staff import Blocks, Staff, hire_staff, sample_blocks
from grids.errors import InvalidInput
from grids.households import refresh_division_figures, refresh_grid_figures
from grids.progress import Progress, silent

DEMO = "99"  # the synthetic province: no national division code starts with 99


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` wrote, how long it took, and the faults it planted (not stored anywhere).

    `planted` holds "gaps" (village areas no grid covers: village_code, wkt in EPSG:4490, area_m2,
    households), "grids_without_worker" (codes with no assignment at all) and "overloaded_village".
    `city_code` is 990100000000; `city_codes` lists every city (several at province scale).
    """

    seed: int
    scale: str
    counties: int
    townships: int
    villages: int
    grids: int
    household_blocks: int
    workers: int
    cases: int
    case_events: int
    seconds: float
    county_codes: list[str]
    township_codes: list[str]
    city_code: str
    city_codes: list[str] = field(default_factory=list)
    planted: dict[str, Any] = field(default_factory=dict)


def load_demo(
    engine: Engine,
    *,
    seed: int = 20231,
    scale: str = "small",
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Replace any earlier demo (everything under division 99) with a new one made from `seed`."""
    if scale not in SCALES:
        raise InvalidInput(f"scale {scale!r} is not one of {', '.join(SCALES)} (规模参数有误)", field="scale")
    started = clock.perf_counter()
    now = as_of or datetime.now(UTC).replace(second=0, microsecond=0)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    report: Progress = progress or silent
    report("geography", 0, 3)
    geo = build_geography(seed, SCALES[scale])
    report("geography", 1, 3)
    blocks = sample_blocks(geo, np.random.default_rng([seed, 2]))
    report("geography", 2, 3)
    staff = hire_staff(geo, np.random.default_rng([seed, 3]), now)
    report("geography", 3, 3)
    with engine.begin() as conn:
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        _delete_demo(cur)
        upsert_categories(cur)
        copy_rows(cur, "divisions", ("code", "level", "name", "parent_code", "geom"), _division_rows(geo))
        report("divisions", 1, 1)
        generations = _insert_grids(cur, geo, now, report)
        block_count = copy_rows(
            cur,
            "household_blocks",
            ("village_code", "label", "households", "population", "geom"),
            _block_rows(geo, blocks),
        )
        session = Session(bind=conn)
        for done, generation in enumerate(generations, start=1):
            refresh_grid_figures(session, generation_id=generation)
            report("households", done, len(generations))
        refresh_division_figures(session, prefix=DEMO)
        session.close()
        # Activation validates each generation as a whole; the figures were written while still drafts.
        cur.execute(
            "UPDATE generations SET status = 'active', activated_at = %s, activated_by = 'demo' "
            "WHERE id = ANY(%s)",
            (now - timedelta(days=365), generations),
        )
        _write_staff(cur, staff)
        report("workers", 1, 1)
        cases, events = _write_cases(
            cur, CaseMaker(geo, blocks, staff, now, seed), SCALES[scale].cases, report
        )
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "ANALYZE divisions, grids, grid_parts, household_blocks, workers, "
            "worker_assignments, cases, case_events, case_intake_keys"
        )
    levels = [d.level for d in geo.divisions]
    return DemoSummary(
        seed=seed,
        scale=scale,
        counties=levels.count("county"),
        townships=levels.count("township"),
        villages=levels.count("village"),
        grids=sum(u.code is not None for u in geo.units),
        household_blocks=block_count,
        workers=len(staff.workers),
        cases=cases,
        case_events=events,
        seconds=round(clock.perf_counter() - started, 2),
        county_codes=sorted(d.code for d in geo.divisions if d.level == "county"),
        township_codes=sorted(d.code for d in geo.divisions if d.level == "township"),
        city_code=f"{DEMO}0100000000",
        city_codes=sorted(d.code for d in geo.divisions if d.level == "city"),
        planted=_planted(geo, blocks),
    )


def _delete_demo(cur: Cursor) -> None:
    # Order follows the foreign keys; cases take their events and intake keys with them (the events
    # trigger allows deletion only together with the case).
    like = f"{DEMO}%"
    cur.execute(
        "CREATE TEMP TABLE demo_people ON COMMIT DROP AS "
        "SELECT reporter_id AS id FROM cases WHERE county_code LIKE %(p)s AND reporter_id IS NOT NULL "
        "UNION SELECT person_id FROM workers WHERE township_code LIKE %(p)s",
        {"p": like},
    )
    for statement in (
        "DELETE FROM cases WHERE county_code LIKE %(p)s",
        "DELETE FROM users WHERE scope_code LIKE %(p)s",
        "DELETE FROM worker_assignments WHERE grid_code LIKE %(p)s",
        "DELETE FROM workers WHERE township_code LIKE %(p)s",
        "DELETE FROM people p USING demo_people d WHERE p.id = d.id "
        "AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.person_id = p.id) "
        "AND p.id NOT IN (SELECT reporter_id FROM cases WHERE reporter_id IS NOT NULL)",
        "DELETE FROM grids WHERE village_code LIKE %(p)s "
        "OR generation_id IN (SELECT id FROM generations WHERE scope_code LIKE %(p)s)",
        "DELETE FROM generations WHERE scope_code LIKE %(p)s",
        "DELETE FROM household_blocks WHERE village_code LIKE %(p)s",
        *(
            f"DELETE FROM divisions WHERE level = '{level}' AND code LIKE %(p)s"
            for level in ("village", "township", "county", "city", "province")
        ),
        "DROP TABLE demo_people",
    ):
        cur.execute(statement, {"p": like})


def _reserve(cur: Cursor, table: str, n: int) -> int:
    """The first of `n` consecutive ids taken from the table's id sequence."""
    if n == 0:
        return 1
    cur.execute(
        "SELECT setval(pg_get_serial_sequence(%(t)s, 'id'), "
        "nextval(pg_get_serial_sequence(%(t)s, 'id')) + %(n)s - 1)",
        {"t": table, "n": n},
    )
    row = cur.fetchone()
    assert row is not None
    return int(row[0]) - n + 1


def _hex(geoms: np.ndarray) -> list[str]:
    """EWKB hex of geometries in metres, transformed to EPSG:4490."""
    stored = shapely.set_srid(to_storage(geoms), 4490)
    return list(shapely.to_wkb(stored, hex=True, include_srid=True))


def _multi(geoms: np.ndarray) -> np.ndarray:
    parts, owner = shapely.get_parts(geoms, return_index=True)
    return shapely.multipolygons(parts, indices=owner)


def _division_rows(geo: Geography) -> Iterable[tuple[Any, ...]]:
    order = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4}
    divisions = sorted(geo.divisions, key=lambda d: (order[d.level], d.code))
    hexes = _hex(_multi(np.array([d.geom for d in divisions], dtype=object)))
    for d, geom in zip(divisions, hexes, strict=True):
        yield d.code, d.level, d.name, d.parent_code, geom


def _insert_grids(cur: Cursor, geo: Geography, now: datetime, report: Progress) -> list[int]:
    # One draft generation per county; the caller activates them once their figures are in.
    grids = [u for u in geo.units if u.code is not None]
    hexes = _hex(_multi(np.array([u.geom for u in grids], dtype=object)))
    drawn = now - timedelta(days=365)
    counties = sorted({u.village_code[:6] for u in grids})
    generations = {}
    for c in counties:
        cur.execute(
            "INSERT INTO generations (name, scope_code, status, description, created_by, created_at) "
            "VALUES (%s, %s, 'draft', %s, 'demo', %s) RETURNING id",
            (f"示范-{c}000000-1", f"{c}000000", "示范市演示网格（合成数据）", drawn - timedelta(days=1)),
        )
        row = cur.fetchone()
        assert row is not None
        generations[c] = int(row[0])
    rows = (
        (generations[u.village_code[:6]], u.code, u.name, u.kind, u.village_code, geom, drawn, 1)
        for u, geom in zip(grids, hexes, strict=True)
    )
    copy_rows(
        cur,
        "grids",
        ("generation_id", "code", "name", "kind", "village_code", "geom", "updated_at", "version"),
        rows,
    )
    report("grids", len(grids), len(grids))
    return [generations[c] for c in counties]


def _block_rows(geo: Geography, blocks: Blocks) -> Iterable[tuple[Any, ...]]:
    hexes = _hex(shapely.points(blocks.xy))
    for i, unit in enumerate(blocks.unit.tolist()):
        yield (
            geo.units[unit].village_code,
            blocks.labels[i],
            int(blocks.households[i]),
            int(blocks.population[i]),
            hexes[i],
        )


def _write_staff(cur: Cursor, staff: Staff) -> None:
    staff.shift(_reserve(cur, "people", len(staff.people)), _reserve(cur, "workers", len(staff.workers)))
    copy_rows(cur, "people", ("id", "full_name", "phone"), staff.people)
    bases = _hex(shapely.points([(w[6], w[7]) for w in staff.workers]))
    copy_rows(
        cur,
        "workers",
        ("id", "staff_no", "person_id", "role", "platform_code", "township_code", "base"),
        ((*w[:6], b) for w, b in zip(staff.workers, bases, strict=True)),
    )
    copy_rows(cur, "worker_assignments", ("worker_id", "grid_code", "kind", "valid_from"), staff.assignments)
    copy_rows(cur, "duty_windows", ("worker_id", "weekday", "starts", "ends"), staff.duty)


def _write_cases(cur: Cursor, maker: CaseMaker, total: int, report: Progress) -> tuple[int, int]:
    counts = maker.counts(total)
    first_case = _reserve(cur, "cases", sum(counts.values()))
    cases = events = 0
    for county, n in counts.items():
        made = maker.county(county, n)
        people, rows, keys, steps = made.rows(
            first_case + cases,
            _reserve(cur, "case_events", made.event_count),
            _reserve(cur, "people", len(made.people)),
        )
        copy_rows(cur, "people", ("id", "full_name", "phone"), people)
        copy_rows(cur, "cases", CASE_COLUMNS, rows)
        copy_rows(cur, "case_intake_keys", ("channel", "external_id", "county_code", "case_id"), keys)
        copy_rows(
            cur,
            "case_events",
            (
                "county_code",
                "id",
                "case_id",
                "at",
                "actor_user_id",
                "actor",
                "action",
                "from_status",
                "to_status",
                "reason",
                "data",
            ),
            steps,
        )
        cases, events = cases + len(rows), events + len(steps)
        report("cases", cases, total)
    return cases, events


CASE_COLUMNS = (
    "county_code",
    "id",
    "channel",
    "category_code",
    "description",
    "address",
    "reported_at",
    "received_at",
    "raw_lon",
    "raw_lat",
    "raw_crs",
    "geom",
    "township_code",
    "village_code",
    "grid_code",
    "worker_id",
    "platform_code",
    "status",
    "assigned_by",
    "assign_distance_m",
    "receive_due",
    "dispatch_due",
    "handle_due",
    "reply_due",
    "closed_at",
    "duplicate_of_id",
    "satisfaction",
    "reporter_id",
    "updated_at",
)


def _planted(geo: Geography, blocks: Blocks) -> dict[str, Any]:
    gaps = [(i, u) for i, u in enumerate(geo.units) if u.code is None]
    stored = to_storage(np.array([u.geom for _, u in gaps], dtype=object))
    return {
        "gaps": [
            {
                "village_code": u.village_code,
                "wkt": shapely.to_wkt(g, rounding_precision=-1),
                "area_m2": round(u.geom.area, 1),
                "households": int(blocks.households[blocks.unit == i].sum()),
            }
            for (i, u), g in zip(gaps, stored, strict=True)
        ],
        "grids_without_worker": list(geo.unstaffed_grids),
        "overloaded_village": geo.overloaded_village,
    }
