"""Exporting the grids of a generation (or every active grid) to GeoJSON, GeoPackage or Shapefile."""

from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.io import FileProblem, write_features
from grids.boundaries.access import require_reader
from grids.boundaries.drafts import get_generation
from grids.codes import prefix
from grids.errors import InvalidInput, NotFound
from grids.users import Principal

_GRIDS = text("""
SELECT g.code, g.name, g.kind, g.village_code, g.households, g.population, g.generation_id, ge.status,
       ST_AsBinary(g.geom)
FROM grids g JOIN generations ge ON ge.id = g.generation_id
WHERE (CAST(:g AS int) IS NULL AND ge.status = 'active' OR ge.id = :g) AND g.code LIKE :p
ORDER BY g.code
""")


def export_grids(session: Session, *, path: Path, caller: Principal, generation: int | None = None) -> int:
    """Write grids with their attributes (Chinese names intact in every format); returns how many."""
    require_reader(caller)
    if generation is not None:
        get_generation(session, ref=generation, caller=caller)
    scope = prefix(caller.scope_code) if caller.scope_code else ""
    rows = session.execute(_GRIDS, {"g": generation, "p": scope + "%"}).all()
    if not rows:
        raise NotFound("no grids to export in your jurisdiction (辖区内没有可导出的网格)")
    geoms = shapely.from_wkb([bytes(r[8]) for r in rows])
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not polygonal.all():
        raise InvalidInput(
            "the generation holds grids that are not polygons; export the validation problems instead "
            "(该版本含非面网格，无法导出)",
            field="generation",
        )
    records = [
        {
            "code": r[0],
            "name": r[1],
            "kind": r[2],
            "village": r[3] or "",
            "households": int(r[4]),
            "population": int(r[5]),
            "generation": int(r[6]),
            "status": r[7],
        }
        for r in rows
    ]
    try:
        write_features(path, np.asarray(geoms, dtype=object), records, layer="grids")
    except FileProblem as exc:
        raise InvalidInput(str(exc), field="out") from exc
    return len(records)
