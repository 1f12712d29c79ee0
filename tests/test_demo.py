"""The demo city: fast, deterministic, an exact coverage with known planted faults, every status."""

from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from grids.db import make_engine
from grids.demo import DemoSummary, load_demo
from grids.demo.catalogue import SCALES
from grids.demo.geography import build_geography
from grids.errors import InvalidInput
from grids.households import refresh_grid_figures
from grids.models.base import CASE_STATUSES, CHANNELS, PLATFORMS
from tests.conftest import DEMO_AS_OF, Demo

TO_METRES = Transformer.from_crs(4490, 4549, always_xy=True)


@pytest.fixture(scope="module")
def engine(demo_url: str) -> Iterator[Engine]:
    """An engine on this module's copy of the session's demo city."""
    e = make_engine(demo_url, pool_size=1)
    yield e
    e.dispose()


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    """All rows of a query, binary values as bytes."""
    with engine.connect() as conn:
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
            for r in conn.execute(text(sql), params)
        ]


def metres(wkb: bytes) -> shapely.Geometry:
    """A stored geometry (EPSG:4490) in metres (EPSG:4549)."""
    geom = shapely.from_wkb(wkb)
    return shapely.transform(geom, lambda c: np.column_stack(TO_METRES.transform(c[:, 0], c[:, 1])))


def test_small_city_loads_in_time(demo: Demo) -> None:
    """The small demo (~400 grids, ~20,000 cases) loads in well under the 30 s budget."""
    s = demo.summary
    print(f"small demo: {s.grids} grids, {s.cases} cases, {s.case_events} events in {s.seconds:.1f} s")
    assert s.seconds < 30
    assert (s.counties, s.townships, s.villages) == (3, 12, 96)
    assert 380 <= s.grids <= 450 and 19_000 <= s.cases <= 20_000
    assert s.city_code == "990100000000" and s.city_codes == ["990100000000"]
    assert all(c.startswith("9901") and c.endswith("000000") for c in s.county_codes)


def test_unknown_scale_is_refused(engine: Engine) -> None:
    """A scale other than the known ones is an input error naming the allowed values."""
    with pytest.raises(InvalidInput, match="small, medium, province"):
        load_demo(engine, scale="huge")


def test_same_seed_same_rows(engine: Engine, database_url: str) -> None:
    """Loading the same seed and as_of into another database gives identical grids and cases."""
    other = make_engine(database_url, pool_size=1)
    try:
        load_demo(other, seed=20231, scale="small", as_of=DEMO_AS_OF)
        grid_sql = "SELECT code, kind, households, ST_AsBinary(geom) FROM grids ORDER BY code"
        case_sql = "SELECT * FROM cases ORDER BY county_code, id"
        event_sql = "SELECT md5(string_agg(e::text, '|' ORDER BY county_code, id)) FROM case_events e"
        for sql in (
            grid_sql,
            case_sql,
            event_sql,
            "SELECT code, ST_AsBinary(geom) FROM divisions ORDER BY code",
        ):
            mine, theirs = rows(engine, sql), rows(other, sql)
            assert mine == theirs and mine
    finally:
        other.dispose()


def test_another_seed_another_city() -> None:
    """A different seed draws different land."""
    a, b = (build_geography(seed, SCALES["small"]) for seed in (20231, 20232))
    assert [u.geom.wkb for u in a.units[:20]] != [u.geom.wkb for u in b.units[:20]]


def test_grids_tile_each_village_except_planted_gaps(engine: Engine, demo: Demo) -> None:
    """Grids plus the planted gap areas equal each village (within 1 m²) and never overlap."""
    gaps: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for gap in demo.summary.planted["gaps"]:
        gaps[gap["village_code"]].append(shapely.from_wkt(gap["wkt"]))
    grids: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for village, wkb in rows(engine, "SELECT village_code, ST_AsBinary(geom) FROM grids"):
        grids[village].append(shapely.from_wkb(wkb))
    villages = dict(rows(engine, "SELECT code, ST_AsBinary(geom) FROM divisions WHERE level = 'village'"))
    assert set(grids) == set(villages) and len(gaps) == 3
    for code, wkb in villages.items():
        pieces = grids[code] + gaps.get(code, [])
        assert shapely.coverage_is_valid(np.array(pieces, dtype=object)), code
        union = shapely.coverage_union_all(pieces)
        diff = shapely.symmetric_difference(metres(shapely.to_wkb(union)), metres(wkb))
        assert diff.area < 1.0, code
        if code in gaps:  # the gap is really uncovered: the grids alone fall short of the village
            assert metres(wkb).area - metres(shapely.to_wkb(shapely.union_all(grids[code]))).area > 1e4
    everything = np.array([g for gs in grids.values() for g in gs], dtype=object)
    assert shapely.coverage_is_valid(everything)


def test_divisions_nest_exactly(engine: Engine) -> None:
    """Villages tile their township, townships their county, counties the city."""
    found = rows(engine, "SELECT code, parent_code, level, ST_AsBinary(geom) FROM divisions")
    geoms = {code: shapely.from_wkb(wkb) for code, _, _, wkb in found}
    children: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for code, parent, _, _ in found:
        if parent is not None:
            children[parent].append(geoms[code])
    assert {level for *_, level, _ in found} == {"province", "city", "county", "township", "village"}
    for parent, kids in children.items():
        assert shapely.coverage_is_valid(np.array(kids, dtype=object)), parent
        assert shapely.coverage_union_all(kids).equals(geoms[parent]), parent


def test_grid_codes_follow_villages_in_reading_order(engine: Engine) -> None:
    """Codes are the village code + 001, 002, …: rows north→south, each west→east."""
    by_village: dict[str, list[tuple[str, shapely.Geometry]]] = defaultdict(list)
    for code, village, wkb in rows(
        engine, "SELECT code, village_code, ST_AsBinary(geom) FROM grids ORDER BY code"
    ):
        assert len(code) == 15 and code.isdigit() and code.startswith(village)
        by_village[village].append((code, shapely.centroid(metres(wkb))))
    for village, grids in by_village.items():
        assert [c[12:] for c, _ in grids] == [f"{i:03d}" for i in range(1, len(grids) + 1)], village
        for i, (_, earlier) in enumerate(grids):
            for _, later in grids[i + 1 :]:  # a later grid lies further south, or east in the same row
                assert later.y < earlier.y or later.x > earlier.x, village


def test_household_figures(engine: Engine, demo: Demo) -> None:
    """Ordinary grids hold 170–500 households (the usual cap); the overloaded village's far more; gaps hold some too."""
    overloaded = demo.summary.planted["overloaded_village"]
    found = rows(engine, "SELECT village_code, kind, households, population FROM grids")
    ordinary = [h for v, k, h, _ in found if k == "ordinary" and v != overloaded]
    heavy = [h for v, k, h, _ in found if k == "ordinary" and v == overloaded]
    assert ordinary and all(170 <= h <= 500 for h in ordinary)
    assert len(heavy) >= 2 and all(h >= 900 for h in heavy)
    assert all(h < 150 for _, k, h, _ in found if k != "ordinary")
    assert all(p >= h for *_, h, p in found)
    assert {k for _, k, _, _ in found} >= {"ordinary", "enterprise", "school", "market", "hospital"}
    for gap in demo.summary.planted["gaps"]:
        assert gap["households"] > 0
        (inside,) = rows(
            engine,
            "SELECT sum(households) FROM household_blocks WHERE ST_Covers(ST_GeomFromText(:wkt, 4490), geom)",
            wkt=gap["wkt"],
        )[0]
        assert inside == gap["households"]
    total = rows(engine, "SELECT sum(households) FROM household_blocks")[0][0]
    assert rows(engine, "SELECT households FROM divisions WHERE code = '990100000000'")[0][0] == total


def test_every_status_channel_and_platform(engine: Engine) -> None:
    """Cases come by every channel and sit in every status; every platform owns categories."""
    assert {r[0] for r in rows(engine, "SELECT DISTINCT status FROM cases")} == set(CASE_STATUSES)
    assert {r[0] for r in rows(engine, "SELECT DISTINCT channel FROM cases")} == set(CHANNELS)
    per_platform = dict(rows(engine, "SELECT platform_code, count(*) FROM case_categories GROUP BY 1"))
    assert set(per_platform) == set(PLATFORMS) and sum(per_platform.values()) >= 28
    assert (
        rows(
            engine,
            "SELECT count(*) FROM cases WHERE platform_code IS DISTINCT FROM "
            "(SELECT platform_code FROM case_categories k WHERE k.code = category_code)",
        )[0][0]
        == 0
    )
    assert rows(
        engine,
        "SELECT DISTINCT channel, geom IS NULL, address IS NOT NULL FROM cases WHERE status = 'to_locate'",
    ) == [("hotline12345", True, True)]
    assert (
        rows(engine, "SELECT count(*) FROM cases WHERE status = 'evaluated' AND satisfaction IS NULL")[0][0]
        == 0
    )
    assert (
        rows(
            engine,
            "SELECT count(*) FROM cases c JOIN cases o ON o.county_code = c.county_code "
            "AND o.id = c.duplicate_of_id WHERE c.status = 'merged'",
        )[0][0]
        > 50
    )


def test_outside_cases_lie_in_the_planted_gaps(engine: Engine, demo: Demo) -> None:
    """Cases no grid covers are in a planted gap, undispatched, in their township's queue."""
    outside = rows(
        engine,
        "SELECT ST_AsText(geom), grid_code, worker_id, status, township_code FROM cases "
        "WHERE assigned_by = 'outside'",
    )
    gaps = [shapely.from_wkt(g["wkt"]) for g in demo.summary.planted["gaps"]]
    assert outside
    for wkt, grid, worker, status, township in outside:
        assert grid is None and worker is None and status == "received" and township
        assert any(gap.covers(shapely.from_wkt(wkt)) for gap in gaps)
    located = rows(
        engine,
        "SELECT count(*) FROM cases c JOIN grids g ON g.code = c.grid_code "
        "WHERE NOT ST_Covers(g.geom, c.geom)",
    )
    assert located == [(0,)]


def test_events_retrace_each_case(engine: Engine) -> None:
    """Each case's events chain from NULL to its status, in time order, after its receipt."""
    broken = rows(
        engine,
        """
        WITH e AS (
          SELECT e.*, lag(to_status) OVER w AS previous, lag(at) OVER w AS previous_at,
                 row_number() OVER (PARTITION BY county_code, case_id ORDER BY id DESC) AS from_end
          FROM case_events e WINDOW w AS (PARTITION BY county_code, case_id ORDER BY id))
        SELECT count(*) FROM e JOIN cases c ON c.county_code = e.county_code AND c.id = e.case_id
        WHERE e.from_status IS DISTINCT FROM e.previous OR e.at < coalesce(e.previous_at, c.received_at)
           OR (e.from_end = 1 AND e.to_status <> c.status) OR e.at > :now""",
        now=DEMO_AS_OF,
    )
    assert broken == [(0,)]
    assert rows(
        engine,
        "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e "
        "WHERE e.county_code = c.county_code AND e.case_id = c.id)",
    ) == [(0,)]


def test_planted_grids_have_no_worker(engine: Engine, demo: Demo) -> None:
    """The planted grids have no assignment at all; every other grid has a primary worker."""
    unstaffed = demo.summary.planted["grids_without_worker"]
    assert len(unstaffed) == 4
    assigned = {c for (c,) in rows(engine, "SELECT DISTINCT grid_code FROM worker_assignments")}
    primary = {c for (c,) in rows(engine, "SELECT grid_code FROM worker_assignments WHERE kind = 'primary'")}
    codes = {c for (c,) in rows(engine, "SELECT code FROM grids")}
    assert not assigned & set(unstaffed)
    assert primary == codes - set(unstaffed)
    per_township = rows(
        engine,
        "SELECT township_code, platform_code, count(*) FROM workers "
        "WHERE role = 'platform_staff' GROUP BY 1, 2",
    )
    assert len(per_township) == 12 * 4 and all(2 <= n <= 5 for *_, n in per_township)


def test_loading_again_replaces_the_demo(demo_url_fresh: str, demo: Demo) -> None:
    """A second load leaves one demo: the same counts, not doubled, and no orphaned people."""
    engine = make_engine(demo_url_fresh, pool_size=1)
    tables = (
        "divisions",
        "generations",
        "grids",
        "grid_parts",
        "household_blocks",
        "people",
        "workers",
        "worker_assignments",
        "duty_windows",
        "cases",
        "case_events",
        "case_intake_keys",
    )
    try:
        before = {t: rows(engine, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
        summary: DemoSummary = load_demo(engine, seed=20231, scale="small", as_of=DEMO_AS_OF)
        after = {t: rows(engine, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
        assert after == before
        assert summary.cases == demo.summary.cases == after["cases"]
        assert rows(engine, "SELECT count(*) FROM users WHERE scope_code LIKE '99%'") == [
            (0,)
        ]  # accounts go too
        assert rows(engine, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'tmp_demo%'") == [(0,)]
    finally:
        engine.dispose()


def test_block_on_a_shared_corner_counts_once(demo_url_fresh: str) -> None:
    """A block on a corner shared by several grids counts for the lowest code only."""
    engine = make_engine(demo_url_fresh, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            corner = session.execute(
                text("""
                SELECT a.generation_id, a.village_code, p.geom FROM grids a
                CROSS JOIN LATERAL ST_DumpPoints(a.geom) p
                JOIN grids b ON b.id <> a.id AND ST_Covers(b.geom, p.geom)
                ORDER BY a.code LIMIT 1""")
            ).one()
            covering = session.scalars(
                text("SELECT code FROM grids WHERE ST_Covers(geom, :p) ORDER BY code"), {"p": corner.geom}
            ).all()
            before = dict(session.execute(text("SELECT code, households FROM grids")).all())
            session.execute(
                text(
                    "INSERT INTO household_blocks (village_code, households, population, geom) "
                    "VALUES (:v, 1000, 2500, :p)"
                ),
                {"v": corner.village_code, "p": corner.geom},
            )
            assert refresh_grid_figures(session, generation_id=corner.generation_id) == 1
            after = dict(session.execute(text("SELECT code, households FROM grids")).all())
        assert len(covering) >= 2
        assert {c: after[c] - before[c] for c in after if after[c] != before[c]} == {covering[0]: 1000}
    finally:
        engine.dispose()
