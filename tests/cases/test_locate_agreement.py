"""Locate agrees 100% with a plain covers/distance loop over independently exported boundaries, on
10,000 points (shared edges and vertices, gaps, the near tolerance band, inside, far outside), and
GCJ-02 / BD-09 input of the same points gives the same answers."""

from collections import Counter

import numpy as np
import pytest
import shapely
from sqlalchemy.orm import Session

from gis.crs import to_storage
from gis.offsets import wgs84_to_bd09, wgs84_to_gcj02
from grids.db import make_engine, session_factory
from grids.errors import InvalidInput
from grids.locate import indexes, locate
from tests.cases.conftest import OPERATOR
from tests.cases.reference import TO_STORAGE, Exported, expected, export, metric
from tests.conftest import Demo

N = 10_000


def shared_edge_points(ex: Exported, rng: np.random.Generator) -> np.ndarray:
    """Points on, within 4 cm of, and 6–9 cm from boundaries shared by two grids, and their vertices."""
    left, right = shapely.STRtree(ex.grids).query(ex.grids, predicate="touches")
    keep = left < right
    shared = shapely.intersection(
        shapely.boundary(ex.grids[left[keep]]), shapely.boundary(ex.grids[right[keep]])
    )
    shared = shared[shapely.length(shared) > 0]
    picks = shared[rng.integers(len(shared), size=1_000)]
    on_edge = shapely.get_coordinates(
        shapely.line_interpolate_point(picks, rng.random(1_000), normalized=True)
    )
    vertices = shapely.get_coordinates(shared)
    at_vertex = vertices[rng.integers(len(vertices), size=300)]
    angle = rng.uniform(0, 2 * np.pi, size=(400, 1))
    radius = np.concatenate([rng.uniform(0.0, 0.04, 200), rng.uniform(0.06, 0.09, 200)])[:, None]
    nudged = on_edge[:400] + radius * np.hstack([np.cos(angle), np.sin(angle)])
    return np.vstack([on_edge, at_vertex, nudged])


def sample_in(polygons: np.ndarray, n: int, rng: np.random.Generator, accept=None) -> np.ndarray:
    """`n` random points inside the polygons (and passing `accept`, if given)."""
    union = shapely.union_all(polygons)
    shapely.prepare(union)
    x0, y0, x1, y1 = union.bounds
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        pts = np.column_stack([rng.uniform(x0, x1, 20 * n), rng.uniform(y0, y1, 20 * n)])
        ok = shapely.contains_xy(union, pts[:, 0], pts[:, 1])
        if accept is not None:
            ok &= accept(pts)
        found.append(pts[ok])
    return np.vstack(found)[:n]


def build_points(ex: Exported, demo: Demo, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, int]]:
    """The 10,000 test points in metres, and how many were drawn for each purpose."""
    gaps = metric(np.array([shapely.from_wkt(g["wkt"]) for g in demo.summary.planted["gaps"]], dtype=object))
    assert len(gaps) > 0
    grid_union = shapely.union_all(ex.grids)
    land = shapely.union_all(ex.divisions)

    def band(pts: np.ndarray) -> np.ndarray:
        d = shapely.distance(grid_union, shapely.points(pts))
        return (d >= 180) & (d <= 220)

    edges = shared_edge_points(ex, rng)
    in_gaps = sample_in(gaps, 500, rng)
    near_band = np.vstack(
        [
            sample_in(gaps, 350, rng, band),
            sample_in(np.array([shapely.buffer(land, 400).difference(land)]), 150, rng, band),
        ]
    )
    far = sample_in(np.array([shapely.buffer(land, 5_000).difference(shapely.buffer(land, 1_000))]), 500, rng)
    inside = sample_in(ex.grids, N - len(edges) - len(in_gaps) - len(near_band) - len(far), rng)
    points = np.vstack([edges, in_gaps, near_band, far, inside])
    counts = {
        "edges": len(edges),
        "gaps": len(in_gaps),
        "band": len(near_band),
        "far": len(far),
        "inside": len(inside),
    }
    return points, counts


@pytest.fixture(scope="module")
def case(demo_url: str, demo: Demo) -> tuple[np.ndarray, np.ndarray, list, Session]:
    """Points (storage CRS), their reference answers, and a session on the demo."""
    ex = export(demo_url)
    points, counts = build_points(ex, demo, np.random.default_rng(4))
    assert len(points) == N and counts["edges"] >= 1_000 and counts["gaps"] >= 500 and counts["band"] >= 500
    truth = [expected(ex, x, y) for x, y in points]
    lon, lat = TO_STORAGE.transform(points[:, 0], points[:, 1])
    engine = make_engine(demo_url, pool_size=1)
    with session_factory(engine)() as db:
        yield np.asarray(lon), np.asarray(lat), truth, db
    engine.dispose()


def answer(db: Session, lon: float, lat: float, crs: str) -> tuple[str, str | None, float | None, str | None]:
    """The service's answer in the reference's terms."""
    try:
        f = locate(db, lon=lon, lat=lat, crs=crs, caller=OPERATOR).found
    except InvalidInput:
        return "invalid", None, None, None
    deepest = (f.village or f.township or f.county).code
    return f.match, None if f.grid is None else f.grid.code, f.distance_m, deepest


def same(got: tuple, want: tuple, metres: float) -> bool:
    """Equal match, grid and division; distances within `metres`."""
    if got[0] != want[0] or got[1] != want[1] or got[3] != want[3]:
        return False
    return (got[2] is None) == (want[2] is None) and (got[2] is None or abs(got[2] - want[2]) <= metres)


def test_reference_covers_every_kind(case) -> None:
    """The points exercise every answer: edges, inside, near, outside and off the map."""
    _, _, truth, _ = case
    kinds = Counter(t[0] for t in truth)
    assert kinds["edge"] >= 1_000 and kinds["inside"] >= 3_000
    assert kinds["near"] >= 300 and kinds["outside"] >= 200 and kinds["invalid"] >= 500


def test_one_point_at_a_time_agrees(case) -> None:
    """Every answer of the service equals the reference's, edge rule included."""
    lon, lat, truth, db = case
    wrong = [
        (i, got, want)
        for i, want in enumerate(truth)
        if not same(got := answer(db, lon[i], lat[i], "wgs84"), want, 1e-6)
    ]
    assert wrong == [], wrong[:5]


def test_vectorised_batch_agrees(case) -> None:
    """The vectorised batch gives the same grid, match, distance and division as the reference."""
    lon, lat, truth, db = case
    grids, _ = indexes(db)
    m = grids.assign_many(lon, lat)
    for i, want in enumerate(truth):
        got = (
            ("invalid", None, None, None)
            if m.division[i] is None
            else (
                m.match[i],
                m.grid[i],
                None if m.match[i] == "outside" else float(m.distance_m[i]),
                m.division[i],
            )
        )
        assert same(got, want, 1e-6), (i, got, want)


@pytest.mark.parametrize("crs, forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_offset_input_gives_the_same_answers(case, crs: str, forward) -> None:
    """GCJ-02 and BD-09 coordinates of the same points are located the same way: all 10,000 through
    the batch conversion, every tenth one through the service one at a time."""
    lon, lat, truth, db = case
    x, y = forward(lon, lat)
    grids, _ = indexes(db)
    m = grids.assign_many(*to_storage(x, y, crs))
    for i, want in enumerate(truth):
        got = (
            ("invalid", None, None, None)
            if m.division[i] is None
            else (
                m.match[i],
                m.grid[i],
                None if m.match[i] == "outside" else float(m.distance_m[i]),
                m.division[i],
            )
        )
        assert same(got, want, 1e-3), (i, got, want)
    wrong = [
        (i, got, want)
        for i, want in enumerate(truth)
        if i % 10 == 0 and not same(got := answer(db, x[i], y[i], crs), want, 1e-3)
    ]
    assert wrong == [], wrong[:5]
