"""Safe repairs of grids in metres: make valid, snap near-miss edges, give slivers to a neighbour."""

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.coverage import Finding, Geoms, polygons_of


def snap_edges(
    shapes: Geoms, homes: Geoms, candidates: NDArray[np.intp], tolerance_m: float
) -> dict[int, shapely.Geometry]:
    """Candidates snapped, one after another, onto their village boundary and their neighbours.

    Vertices within `tolerance_m` of a vertex or an edge of the reference move onto it; a later grid
    snaps to the already snapped earlier ones, so shared edges end up identical. Only snaps that
    keep a valid polygon and change the ground covered are kept.
    """
    current = shapes.copy()
    tree = shapely.STRtree(np.where(shapely.is_missing(current), shapely.Polygon(), current))
    changed: dict[int, shapely.Geometry] = {}
    for i in candidates.tolist():
        shape = current[i]
        if shape is None:
            continue
        near = [j for j in tree.query(shape, predicate="dwithin", distance=tolerance_m).tolist() if j != i]
        lines = [shapely.boundary(current[j]) for j in near if current[j] is not None]
        if homes[i] is not None:
            lines.append(shapely.boundary(homes[i]))
        if not lines:
            continue
        snapped = shapely.snap(shape, shapely.union_all(lines), tolerance_m)
        snapped = polygons_of(snapped) if shapely.is_valid(snapped) else snapped
        if shapely.is_valid(snapped) and not snapped.is_empty and not shapely.equals(snapped, shape):
            current[i] = changed[i] = snapped
    return changed


def absorb_slivers(shapes: Geoms, slivers: list[Finding]) -> dict[int, tuple[shapely.Geometry, float]]:
    """Each sliver merged into the neighbour sharing its longest edge: new shapes, with the area given."""
    current = shapes.copy()
    tree = shapely.STRtree(np.where(shapely.is_missing(current), shapely.Polygon(), current))
    changed: dict[int, tuple[shapely.Geometry, float]] = {}
    for sliver in slivers:
        if sliver.geom is None:
            continue
        near = tree.query(sliver.geom, predicate="intersects").tolist()
        shared = [
            (
                shapely.length(
                    shapely.intersection(shapely.boundary(sliver.geom), shapely.boundary(current[j]))
                ),
                j,
            )
            for j in near
            if current[j] is not None
        ]
        if not shared or max(shared)[0] == 0:
            continue
        _, j = max(shared)
        merged = polygons_of(shapely.union(current[j], sliver.geom))
        if shapely.is_valid(merged):
            given = changed.get(j, (None, 0.0))[1] + float(sliver.geom.area)
            current[j] = merged
            changed[j] = (merged, given)
    return changed


def metres_to_degrees(metres: float) -> float:
    """A distance in metres as degrees of latitude: a tolerance never larger than asked in any direction."""
    return metres / 111_320.0
