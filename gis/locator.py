"""An in-memory point locator over polygons that tile the land (grids, divisions), measured in metres.

Rule, for a point and the polygons within `edge_m` of it (5 cm by default; coverage included):
- two or more → `edge`: the point is on (or within 5 cm of) a boundary they share, and the polygon
  that comes first in priority order wins (for grids: the lowest code), so the answer is deterministic;
- one that covers it → `inside`; one within 5 cm that does not cover it → `near` at that distance;
- none → the nearest polygon within `tolerance_m` is `near` (ties: first in priority order);
- else `outside`.

Polygons come in the storage CRS (longitude/latitude) and are projected once, vertex by vertex, to
the metric CRS; query points are projected the same way, so every distance is in metres.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from gis.crs import METRIC_SRID, STORAGE_SRID

EDGE_M = 0.05
"""Points this close to a boundary shared by several polygons count as on it."""

TOLERANCE_M = 200.0
"""How far outside every polygon a point may lie and still be given the nearest one."""

INSIDE, EDGE, NEAR, OUTSIDE = 0, 1, 2, 3
MATCH_NAMES = ("inside", "edge", "near", "outside")


@dataclass(frozen=True)
class Matches:
    """Answers for a batch: polygon index (-1 when outside), match kind (INSIDE…OUTSIDE), metres."""

    index: NDArray[np.int64]
    kind: NDArray[np.int8]
    distance_m: NDArray[np.float64]


class PointLocator:
    """Finds, for points in longitude/latitude, the polygon they fall in by the rule above."""

    def __init__(
        self,
        polygons: Sequence[shapely.Geometry] | NDArray[np.object_],
        *,
        metric_srid: int = METRIC_SRID,
        edge_m: float = EDGE_M,
    ) -> None:
        """Index `polygons` (storage CRS), given in priority order: on an edge, the first one wins."""
        self._to_metric = Transformer.from_crs(STORAGE_SRID, metric_srid, always_xy=True)
        source = np.asarray(polygons, dtype=object)
        self.polygons = shapely.transform(source, self._project) if len(source) else np.empty(0, dtype=object)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        # For batches, candidates come from envelopes grown by the edge distance (a bare envelope
        # test, the cheapest query a tree has) and one vectorised `dwithin` on the prepared polygons
        # decides: a third faster than the tree's own `dwithin` on 1,000,000 points.
        grown = shapely.bounds(self.polygons) + np.array([-edge_m, -edge_m, edge_m, edge_m])
        self.envelopes = shapely.STRtree(shapely.box(*grown.T)) if len(source) else self.tree
        self.edge_m = edge_m

    def _project(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self._to_metric.transform(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    def __len__(self) -> int:
        return len(self.polygons)

    def to_metric(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Project storage-CRS coordinates to the metric CRS the locator measures in."""
        x, y = self._to_metric.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def project_one(self, lon: float, lat: float) -> shapely.Point:
        """One storage-CRS point as a point in the metric CRS."""
        return shapely.Point(*self._to_metric.transform(lon, lat))

    def locate_point(
        self, point: shapely.Point, *, tolerance_m: float = TOLERANCE_M
    ) -> tuple[int, int, float]:
        """The (index, kind, distance in metres) of one metric point (`project_one`); index -1: outside."""
        hits = self.tree.query(point, predicate="dwithin", distance=self.edge_m)
        if len(hits) > 1:
            return int(hits.min()), EDGE, 0.0
        if len(hits) == 1:
            found = int(hits[0])
            if self.polygons[found].covers(point):
                return found, INSIDE, 0.0
            return found, NEAR, float(self.polygons[found].distance(point))
        if tolerance_m <= 0:
            return -1, OUTSIDE, float("nan")
        nearest, dist = self.tree.query_nearest(
            point, max_distance=tolerance_m, return_distance=True, all_matches=True
        )
        if len(nearest) == 0:
            return -1, OUTSIDE, float("nan")
        return int(nearest.min()), NEAR, float(dist.min())

    def locate(self, lon: ArrayLike, lat: ArrayLike, *, tolerance_m: float = TOLERANCE_M) -> Matches:
        """Answers for many points at once (vectorised)."""
        x, y = self.to_metric(lon, lat)
        # Neighbouring points query neighbouring polygons: in 2 km cells the tree and the prepared
        # polygons stay in cache (about twice as fast as random order on 100,000 grids).
        order = np.lexsort((np.floor(y / 2000), np.floor(x / 2000)))
        points = shapely.points(x, y)
        n = len(points)
        index = np.full(n, -1, dtype=np.int64)
        kind = np.full(n, OUTSIDE, dtype=np.int8)
        distance = np.full(n, np.nan)
        which, found = self.envelopes.query(points[order])
        close = shapely.dwithin(self.polygons[found], points[order][which], self.edge_m)
        which, found = order[which[close]], found[close]
        count = np.bincount(which, minlength=n)
        first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, which, found)
        edge = count > 1
        index[edge], kind[edge], distance[edge] = first[edge], EDGE, 0.0
        single = np.flatnonzero(count == 1)
        if len(single):
            chosen = first[single]
            covered = shapely.covers(self.polygons[chosen], points[single])
            index[single] = chosen
            kind[single] = np.where(covered, INSIDE, NEAR)
            distance[single] = 0.0
            apart = single[~covered]
            distance[apart] = shapely.distance(self.polygons[chosen[~covered]], points[apart])
        lonely = np.flatnonzero(count == 0)
        if len(lonely) and tolerance_m > 0:
            (which, found), dist = self.tree.query_nearest(
                points[lonely], max_distance=tolerance_m, return_distance=True, all_matches=True
            )
            best = np.full(len(lonely), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, which, found)
            closest = np.full(len(lonely), np.inf)
            np.minimum.at(closest, which, dist)
            hit = best < np.iinfo(np.int64).max
            index[lonely[hit]], kind[lonely[hit]], distance[lonely[hit]] = best[hit], NEAR, closest[hit]
        return Matches(index, kind, distance)
