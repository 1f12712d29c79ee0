"""Coverage checks of grids against their villages: shapes, overlaps, gaps, containment.

Grids should tile each village exactly. GEOS's coverage operations (shapely ≥ 2.1) find the grids
whose edges do not match their neighbours'; only those are intersected, through a spatial index,
so the work grows with the faults, not with the square of the grids.

Geometries are taken and returned in the storage CRS, so that the topology is judged on exactly the
coordinates the database judges (a round trip through another CRS would move shared vertices by
rounding and invent micro-overlaps); areas and distances are measured in the metric CRS.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from gis.crs import METRIC_SRID, STORAGE_SRID

Geoms = NDArray[np.object_]

POLYGONAL = (3, 6)
_REASON_AT = re.compile(r"\[(-?[\d.e+-]+) (-?[\d.e+-]+)\]")


@dataclass(frozen=True)
class Rules:
    """Tolerances of the checks, in metres and square metres."""

    outside_m: float = 1.0
    """How far a grid may stick out of its village (digitising noise) before it is reported."""
    sliver_m2: float = 10.0
    """Gaps smaller than this are warnings (slivers `--fix` can give away), larger ones block."""
    noise_m2: float = 1e-4
    """Gaps smaller than this (1 cm²) are floating-point noise, not gaps."""
    snap_m: float = 0.5
    """`--fix` snaps vertices this close to a village boundary or a neighbour onto it."""


@dataclass(frozen=True)
class Finding:
    """One problem found: its kind, the grids (indexes) and village (index) involved, and where."""

    kind: str
    grids: tuple[int, ...]
    village: int | None
    geom: shapely.Geometry | None
    area_m2: float | None = None
    reason: str | None = None
    fixable: bool | None = None
    point: shapely.Point | None = None


@lru_cache(maxsize=4)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def area_m2(geoms: Geoms) -> NDArray[np.float64]:
    """Areas in square metres of geometries in the storage CRS."""
    return np.asarray(shapely.area(to_metric(np.asarray(geoms, dtype=object))), dtype=float)


def to_metric(geoms: Geoms) -> Geoms:
    """Geometries in the storage CRS to the metric CRS, vertex by vertex (None stays None)."""
    forward = _transformer(STORAGE_SRID, METRIC_SRID)
    return shapely.transform(geoms, lambda c: np.column_stack(forward.transform(c[:, 0], c[:, 1])))


def polygons_of(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a geometry as a MultiPolygon (empty when it has none)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    polygons = [p for p in parts if shapely.get_type_id(p) == 3]
    return shapely.MultiPolygon(polygons) if polygons else shapely.MultiPolygon()


def repaired(geom: shapely.Geometry) -> shapely.Geometry:
    """`make_valid` keeping only polygons: what an invalid grid most plausibly meant."""
    return polygons_of(shapely.make_valid(geom, method="structure", keep_collapsed=False))


def usable_shapes(grids: Geoms) -> Geoms:
    """Each grid as a valid polygonal shape for the coverage checks: repaired if invalid, None if no polygon.

    An invalid grid still covers ground: its repaired shape (what make_valid makes of it) takes part
    in the gap and overlap checks, so a spike is reported once, as invalid; a bow-tie also leaves
    the gaps make_valid's reading of it leaves.
    """
    out = np.full(len(grids), None, dtype=object)
    types = shapely.get_type_id(grids)
    polygonal = np.isin(types, POLYGONAL) & ~shapely.is_empty(grids)
    valid = polygonal & shapely.is_valid(grids)
    out[valid] = grids[valid]
    for i in np.flatnonzero(polygonal & ~valid):
        shape = repaired(grids[i])
        out[i] = None if shape.is_empty else shape
    return out


def shape_faults(grids: Geoms) -> list[Finding]:
    """Grids that are not polygons (or empty), and polygons that are invalid (with the GEOS reason)."""
    found = []
    types = shapely.get_type_id(grids)
    empty = shapely.is_missing(grids) | shapely.is_empty(grids)
    for i in np.flatnonzero(~np.isin(types, POLYGONAL) | empty):
        found.append(Finding("not_polygonal", (int(i),), None, grids[i], point=_point(grids[i])))
    polygonal = np.flatnonzero(np.isin(types, POLYGONAL) & ~empty)
    invalid = polygonal[~shapely.is_valid(grids[polygonal])]
    for i, reason in zip(invalid, shapely.is_valid_reason(grids[invalid]), strict=True):
        shape = repaired(grids[i])
        at = _REASON_AT.search(reason)
        point = shapely.Point(float(at[1]), float(at[2])) if at else _point(grids[i])
        fixable = not shape.is_empty and shape.area > 0
        found.append(
            Finding(
                "invalid_geometry", (int(i),), None, grids[i], reason=reason, fixable=fixable, point=point
            )
        )
    return found


def _point(geom: shapely.Geometry | None) -> shapely.Point | None:
    if geom is None or geom.is_empty:
        return None
    return shapely.point_on_surface(shapely.make_valid(geom) if not geom.is_valid else geom)


def suspects(shapes: Geoms) -> NDArray[np.bool_]:
    """Shapes with an edge not matched exactly by a neighbour (GEOS coverage validation)."""
    edges = shapely.coverage_invalid_edges(shapes)
    return ~shapely.is_missing(edges) & ~shapely.is_empty(edges)


def overlaps(
    shapes: Geoms, suspect: NDArray[np.bool_], rules: Rules, *, repaired_ones: NDArray[np.bool_] | None = None
) -> list[Finding]:
    """Pairs of shapes whose interiors overlap, each once, with the overlapping area in m².

    Any overlap of grids as drawn counts (the database refuses even a tiny one); where a shape is a
    repair of an invalid grid, overlaps under `rules.noise_m2` are the repair's rounding, not faults.
    """
    index = np.flatnonzero(suspect)
    if len(index) < 2:
        return []
    tree = shapely.STRtree(shapes[index])
    left, right = tree.query(shapes[index], predicate="intersects")
    keep = left < right
    a, b = index[left[keep]], index[right[keep]]
    interior = shapely.relate_pattern(shapes[a], shapes[b], "2********")
    a, b = a[interior], b[interior]
    common = shapely.intersection(shapes[a], shapes[b])
    fixed = np.zeros(len(shapes), dtype=bool) if repaired_ones is None else repaired_ones
    pieces = np.array([polygons_of(p) for p in common], dtype=object)
    found = []
    for i, j, piece, area in zip(a.tolist(), b.tolist(), pieces, area_m2(pieces), strict=True):
        if (fixed[i] or fixed[j]) and area < rules.noise_m2:
            continue
        found.append(Finding("overlap", (i, j), None, piece, area_m2=float(area), point=_point(piece)))
    return found


def covered_union(shapes: Geoms, suspect: NDArray[np.bool_]) -> shapely.Geometry:
    """The ground the shapes cover: the fast coverage union where edges match, a full union elsewhere."""
    present = ~shapely.is_missing(shapes)
    clean = shapely.coverage_union_all(shapes[present & ~suspect])
    if not (present & suspect).any():
        return clean
    return shapely.union(clean, shapely.union_all(shapes[present & suspect]))


def gaps(
    villages: Geoms, covered: shapely.Geometry, rules: Rules, *, ignore: NDArray[np.bool_] | None = None
) -> list[Finding]:
    """Parts of villages covered by no grid, each piece within one village, with its area in m².

    Villages flagged in `ignore` (those with no grid at all, reported as such) are left out.
    """
    present = ~shapely.is_missing(villages)
    if ignore is not None:
        present &= ~ignore
    index = np.flatnonzero(present)
    if not len(index):
        return []
    land = shapely.coverage_union_all(villages[index])
    if not shapely.is_valid(land):  # villages that do not tile exactly: a full union instead
        land = shapely.union_all(villages[index])
    holes = shapely.get_parts(shapely.difference(land, covered))
    holes = holes[area_m2(holes) >= rules.noise_m2]
    if not len(holes):
        return []
    tree = shapely.STRtree(villages[index])
    hole, village = tree.query(holes, predicate="intersects")
    pieces = np.array(
        [polygons_of(p) for p in shapely.intersection(holes[hole], villages[index][village])], dtype=object
    )
    found = []
    for piece, v, area in zip(pieces, index[village].tolist(), area_m2(pieces), strict=True):
        if area >= rules.noise_m2:
            kind = "gap" if area >= rules.sliver_m2 else "sliver_gap"
            found.append(Finding(kind, (), v, piece, area_m2=float(area), point=_point(piece)))
    return found


def outside(shapes: Geoms, homes: Geoms, rules: Rules) -> list[Finding]:
    """Shapes reaching more than `rules.outside_m` beyond their village (`homes`, aligned; None: unknown)."""
    index = np.flatnonzero(~shapely.is_missing(shapes) & ~shapely.is_missing(homes))
    if not len(index):
        return []
    shapely.prepare(homes[index])
    index = index[~shapely.covered_by(shapes[index], homes[index])]
    if not len(index):
        return []
    pieces = np.array([polygons_of(p) for p in shapely.difference(shapes[index], homes[index])], dtype=object)
    reach = shapely.buffer(to_metric(homes[index]), rules.outside_m)
    beyond = (area_m2(pieces) >= rules.noise_m2) & ~shapely.covered_by(to_metric(pieces), reach)
    return [
        Finding("outside_village", (i,), None, piece, area_m2=float(area), point=_point(piece))
        for i, piece, area in zip(
            index[beyond].tolist(), pieces[beyond], area_m2(pieces[beyond]), strict=True
        )
    ]
