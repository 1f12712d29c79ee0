"""Household and population figures of grids and divisions, summed from household blocks."""

from sqlalchemy import text
from sqlalchemy.orm import Session

# A block on an edge shared by two grids is covered by both: it counts once, for the lowest code.
# Only rows whose figures change are written, so an active generation's guard runs for those alone.
_REFRESH_GRIDS = text("""
WITH covered AS (
  SELECT DISTINCT ON (b.id) g.id AS grid_id, b.households, b.population
  FROM grids g
  JOIN household_blocks b ON b.geom && g.geom AND ST_Covers(g.geom, b.geom)
  WHERE g.generation_id = :generation_id AND ST_IsValid(g.geom)
  ORDER BY b.id, g.code
), figures AS (
  SELECT g.id, coalesce(sum(c.households), 0)::int AS households,
         coalesce(sum(c.population), 0)::int AS population
  FROM grids g LEFT JOIN covered c ON c.grid_id = g.id
  WHERE g.generation_id = :generation_id
  GROUP BY g.id
)
UPDATE grids g SET households = f.households, population = f.population
FROM figures f
WHERE g.id = f.id AND (g.households, g.population) IS DISTINCT FROM (f.households, f.population)
""")

_REFRESH_VILLAGES = text("""
WITH figures AS (
  SELECT d.code, coalesce(sum(b.households), 0)::int AS households,
         coalesce(sum(b.population), 0)::int AS population
  FROM divisions d LEFT JOIN household_blocks b ON b.village_code = d.code
  WHERE d.level = 'village' AND d.code LIKE :pattern
  GROUP BY d.code
)
UPDATE divisions d SET households = f.households, population = f.population
FROM figures f
WHERE d.code = f.code AND (d.households, d.population) IS DISTINCT FROM (f.households, f.population)
""")

_REFRESH_PARENTS = text("""
WITH figures AS (
  SELECT p.code, coalesce(sum(c.households), 0)::int AS households,
         coalesce(sum(c.population), 0)::int AS population
  FROM divisions p LEFT JOIN divisions c ON c.parent_code = p.code
  WHERE p.level = :level AND p.code LIKE :pattern
  GROUP BY p.code
)
UPDATE divisions d SET households = f.households, population = f.population
FROM figures f
WHERE d.code = f.code AND (d.households, d.population) IS DISTINCT FROM (f.households, f.population)
""")


def refresh_grid_figures(session: Session, *, generation_id: int) -> int:
    """Set each grid's households and population to the sum of the blocks it covers; returns rows updated."""
    result = session.execute(_REFRESH_GRIDS, {"generation_id": generation_id})
    return int(result.rowcount)  # type: ignore[attr-defined]


def refresh_division_figures(session: Session, *, prefix: str = "") -> int:
    """Sum blocks into villages, then villages up to the province, for codes starting with `prefix`."""
    pattern = prefix + "%"
    updated = int(session.execute(_REFRESH_VILLAGES, {"pattern": pattern}).rowcount)  # type: ignore[attr-defined]
    for level in ("township", "county", "city", "province"):
        result = session.execute(_REFRESH_PARENTS, {"level": level, "pattern": pattern})
        updated += int(result.rowcount)  # type: ignore[attr-defined]
    return updated
