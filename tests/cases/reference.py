"""An independent reference for locate: boundaries exported with a plain query, then a plain loop of
`shapely.covers` / `shapely.distance` over every grid and division (no spatial index)."""

from dataclasses import dataclass

import numpy as np
import psycopg2
import shapely
from pyproj import Transformer
from sqlalchemy.engine import make_url

TO_METRIC = Transformer.from_crs(4490, 4549, always_xy=True)
TO_STORAGE = Transformer.from_crs(4549, 4490, always_xy=True)
EDGE_M, TOLERANCE_M = 0.05, 200.0
DEPTH = {"village": 0, "township": 1, "county": 2}


def metric(geoms: np.ndarray) -> np.ndarray:
    """Geometries in EPSG:4490 projected vertex by vertex to EPSG:4549."""
    return shapely.transform(geoms, lambda c: np.column_stack(TO_METRIC.transform(c[:, 0], c[:, 1])))


@dataclass
class Exported:
    """Active grids and county/township/village divisions, in metres."""

    grid_codes: list[str]
    grid_villages: list[str]
    grids: np.ndarray
    division_codes: list[str]
    division_levels: list[str]
    divisions: np.ndarray


def export(url: str) -> Exported:
    """Read the boundaries with plain SQL."""
    conn = psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT g.code, g.village_code, ST_AsBinary(g.geom) FROM grids g "
            "JOIN generations ge ON ge.id = g.generation_id WHERE ge.status = 'active'"
        )
        grids = cur.fetchall()
        cur.execute(
            "SELECT code, level, ST_AsBinary(geom) FROM divisions "
            "WHERE level IN ('county', 'township', 'village') AND geom IS NOT NULL"
        )
        divisions = cur.fetchall()
    finally:
        conn.close()
    return Exported(
        [r[0] for r in grids],
        [r[1] for r in grids],
        metric(shapely.from_wkb([bytes(r[2]) for r in grids])),
        [r[0] for r in divisions],
        [r[1] for r in divisions],
        metric(shapely.from_wkb([bytes(r[2]) for r in divisions])),
    )


def expected(ex: Exported, x: float, y: float) -> tuple[str, str | None, float | None, str | None]:
    """(match or 'invalid', grid code, distance, deepest division code) of one metric point."""
    point = shapely.Point(x, y)
    d = shapely.distance(ex.grids, point)
    close = np.flatnonzero(d <= EDGE_M)
    if len(close) >= 2:
        i = min(close, key=lambda k: ex.grid_codes[k])
        return "edge", ex.grid_codes[i], 0.0, ex.grid_villages[i]
    if len(close) == 1 and shapely.covers(ex.grids[close[0]], point):
        return "inside", ex.grid_codes[close[0]], 0.0, ex.grid_villages[close[0]]
    dd = shapely.distance(ex.divisions, point)
    holders = [k for k in range(len(dd)) if dd[k] <= EDGE_M]
    if not holders:
        return "invalid", None, None, None
    home = min(holders, key=lambda k: (DEPTH[ex.division_levels[k]], ex.division_codes[k]))
    if len(close) == 1:
        return "near", ex.grid_codes[close[0]], float(d[close[0]]), ex.division_codes[home]
    best = float(d.min())
    if best <= TOLERANCE_M:
        i = min(np.flatnonzero(d == best), key=lambda k: ex.grid_codes[k])
        return "near", ex.grid_codes[i], best, ex.division_codes[home]
    return "outside", None, None, ex.division_codes[home]
