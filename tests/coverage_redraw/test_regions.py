"""The pure regionalisation on a hand-made ground (no database): exact tiling, no T-junction on the
ground's boundary, household bounds, one polygon per region, the same answer twice."""

import numpy as np
import pytest
import shapely

from gis.regions import cut_ground, dissolve, node_shapes, node_weights, region_count, split_nodes

DEG_X, DEG_Y = 1 / 98_000, 1 / 111_000  # about a metre in degrees near 28.4° N


def stored(geom: shapely.Geometry) -> shapely.Geometry:
    """A shape drawn in metres, in degrees around (120 E, 28.4 N) by an affine map (edges stay straight)."""
    return shapely.transform(geom, lambda c: np.column_stack((120 + c[:, 0] * DEG_X, 28.4 + c[:, 1] * DEG_Y)))


@pytest.fixture(scope="module")
def world() -> tuple[shapely.Geometry, np.ndarray, np.ndarray]:
    """An L-shaped ground with a school carved out, its boundary digitised every 100 m, and 160 blocks of
    10–60 households inside it."""
    land = shapely.segmentize(
        shapely.Polygon([(0, 0), (2000, 0), (2000, 700), (900, 700), (900, 1400), (0, 1400)]), 100
    )
    school = shapely.box(300, 300, 520, 450)
    ground = stored(land.difference(school))
    rng = np.random.default_rng(7)
    xy = rng.uniform((0, 0), (2000, 1400), size=(800, 2))
    inside = shapely.contains_xy(land.difference(school).buffer(-5), xy[:, 0], xy[:, 1])
    points = shapely.points(xy[inside][:160])
    return ground, stored(points), rng.integers(10, 61, size=len(points))


def regionalise(
    ground: shapely.Geometry, points: np.ndarray, households: np.ndarray, floor: int, cap: int
) -> tuple[np.ndarray, bool]:
    """Regions of the blocks within floor–cap, and whether the bounds were widened."""
    pieces = cut_ground(points, ground)
    split = split_nodes(node_shapes(pieces), node_weights(pieces, points, households), floor=floor, cap=cap)
    return dissolve(pieces, split.labels), split.widened


def totals(regions: np.ndarray, points: np.ndarray, households: np.ndarray) -> list[int]:
    """Households each region covers."""
    return [int(households[shapely.covers(r, points)].sum()) for r in regions]


def test_regions_tile_the_ground_within_the_bounds(world: tuple) -> None:
    """One valid polygon per region, 300–500 households each, together exactly the ground."""
    ground, points, households = world
    regions, widened = regionalise(ground, points, households, 300, 500)
    sizes = totals(regions, points, households)
    assert not widened and len(regions) == region_count(int(households.sum()), floor=300, cap=500)
    assert all(300 <= n <= 500 for n in sizes) and sum(sizes) == households.sum()
    assert all(shapely.is_valid(regions)) and all(len(r.geoms) == 1 for r in regions)
    union = shapely.coverage_union_all(regions)
    assert shapely.area(shapely.symmetric_difference(union, ground)) < 1e-18


def test_regions_meet_the_boundary_only_at_its_own_vertices(world: tuple) -> None:
    """Every region vertex on the ground's boundary is one of the ground's vertices (no T-junction)."""
    ground, points, households = world
    regions, _ = regionalise(ground, points, households, 300, 500)
    own = {tuple(c) for c in shapely.get_coordinates(ground).tolist()}
    added = [c for c in map(tuple, shapely.get_coordinates(regions).tolist()) if c not in own]
    assert added
    assert shapely.distance(shapely.boundary(ground), shapely.points(added)).min() > 1e-9


def test_same_input_same_regions(world: tuple) -> None:
    """Deterministic: two runs give byte-identical regions."""
    ground, points, households = world
    first, _ = regionalise(ground, points, households, 300, 500)
    second, _ = regionalise(ground, points, households, 300, 500)
    assert [r.wkb for r in first] == [r.wkb for r in second]


def test_a_block_above_the_cap_breaks_only_its_own_region(world: tuple) -> None:
    """A 700-household block: its region exceeds the cap, every other region still holds 300–500."""
    ground, points, households = world
    heavy = households.copy()
    heavy[0] = 700
    regions, _ = regionalise(ground, points, heavy, 300, 500)
    sizes = totals(regions, points, heavy)
    mine = next(i for i, r in enumerate(regions) if r.covers(points[0]))
    assert sizes[mine] >= 700
    assert all(300 <= n <= 500 for i, n in enumerate(sizes) if i != mine)


@pytest.mark.parametrize(
    ("total", "floor", "cap", "count"),
    [(6303, 300, 500, 16), (833, 300, 400, 3), (440, 300, 400, 2), (229, 300, 500, 1), (0, 300, 500, 1)],
)
def test_region_count(total: int, floor: int, cap: int, count: int) -> None:
    """The count whose mean sits nearest the middle of the range; at least ceil(total / cap)."""
    assert region_count(total, floor=floor, cap=cap) == count
