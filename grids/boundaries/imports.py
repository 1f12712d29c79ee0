"""Importing a grid draft from a file: stored as given, faults included, for validation to show."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from numpy.typing import NDArray
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from gis.io import Features, FileProblem, describe_types, read_features
from grids.boundaries.access import require_planner, require_within
from grids.boundaries.drafts import analyze_after, bulk_mode, check_draft_name
from grids.boundaries.fields import (
    GRID_CODE_FIELDS,
    GRID_KIND_FIELDS,
    GRID_NAME_FIELDS,
    kind_of,
    pick_field,
    text_of,
)
from grids.codes import division_code
from grids.errors import InvalidInput
from grids.households import refresh_grid_figures
from grids.models import Division, Generation, Grid
from grids.progress import Progress, silent
from grids.users import Principal

CHUNK = 2_000
_LEVEL_LENGTHS = (12, 9, 6, 4, 2)

_VILLAGE_AT = text("""
SELECT p.i, min(d.division_code) AS code
FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
JOIN division_parts d ON ST_Covers(d.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4490))
JOIN divisions v ON v.code = d.division_code AND v.level = 'village'
GROUP BY p.i
""")


@dataclass(frozen=True)
class DraftImport:
    """A stored draft: its generation, scope, how many grids, and how many no village could be found for."""

    generation_id: int
    name: str
    scope_code: str
    grids: int
    without_village: int
    source_crs: str


def import_draft(
    session: Session,
    *,
    path: Path,
    name: str,
    caller: Principal,
    crs: str | None = None,
    scope: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    kind_field: str | None = None,
    progress: Progress | None = None,
) -> DraftImport:
    """Store the grids of a file as a new draft generation, as given; nothing is written on error."""
    require_planner(caller)
    name = check_draft_name(session, name)
    report: Progress = progress or silent
    try:
        features = read_features(path, crs=crs)
    except FileProblem as exc:
        raise InvalidInput(str(exc), field="file") from exc
    if not np.isin(shapely.get_type_id(features.geoms), (3, 6)).any():
        raise InvalidInput(
            f"{path.name} holds no polygons (only {describe_types(features.geoms)}); grid boundaries "
            "must be polygons (文件中没有面要素，网格边界须为面)",
            field="file",
        )
    fields = features.fields
    code_at = pick_field(
        fields, given=code_field, usual=GRID_CODE_FIELDS, option="--code-field", required=False
    )
    name_at = pick_field(
        fields, given=name_field, usual=GRID_NAME_FIELDS, option="--name-field", required=False
    )
    kind_at = pick_field(
        fields, given=kind_field, usual=GRID_KIND_FIELDS, option="--kind-field", required=False
    )
    codes = [text_of(r, code_at) for r in features.records]
    kinds = [kind_of(text_of(r, kind_at), row=i) for i, r in enumerate(features.records, start=1)]
    names = [text_of(r, name_at) or f"网格{i}" for i, r in enumerate(features.records, start=1)]
    villages = _villages(session, features, codes)
    scope_code = division_code(scope, field="scope") if scope else _common_scope(villages)
    require_within(caller, scope_code)
    if session.get(Division, scope_code) is None:
        raise InvalidInput(f"scope {scope_code} is not a known division (辖区代码不存在)", field="scope")
    generation = Generation(name=name, scope_code=scope_code, status="draft", created_by=caller.name)
    session.add(generation)
    session.flush()
    geoms = _storable(features.geoms)
    rows = [
        {
            "generation_id": generation.id,
            "code": codes[i],
            "name": names[i],
            "kind": kinds[i],
            "village_code": villages[i],
            "geom": WKBElement(geoms[i], srid=STORAGE_SRID),
        }
        for i in range(len(features))
    ]
    bulk_mode(session)
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Grid), rows[start : start + CHUNK])
        report("storing 写入", min(len(rows), start + CHUNK), len(rows))
    analyze_after(session, len(rows))
    refresh_grid_figures(session, generation_id=generation.id)
    return DraftImport(
        generation.id, name, scope_code, len(rows), sum(v is None for v in villages), features.source_crs
    )


def _storable(geoms: NDArray[np.object_]) -> list[bytes]:
    """WKB of each geometry: polygons as MultiPolygons, a missing geometry as an empty collection."""
    filled = np.where(shapely.is_missing(geoms), shapely.from_wkt("GEOMETRYCOLLECTION EMPTY"), geoms)
    single = np.flatnonzero(shapely.get_type_id(filled) == 3)
    filled[single] = shapely.multipolygons(filled[single], indices=np.arange(len(single)))
    return list(shapely.to_wkb(shapely.force_2d(filled)))


def _villages(session: Session, features: Features, codes: list[str]) -> list[str | None]:
    """Each grid's village: the one holding a point inside it, else the one its code names, else None."""
    geoms = features.geoms
    index = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    points = shapely.point_on_surface(shapely.make_valid(geoms[index]))
    index, points = index[~shapely.is_empty(points)], points[~shapely.is_empty(points)]
    found: dict[int, str] = {}
    if len(index):
        xy = shapely.get_coordinates(points)
        result = session.execute(_VILLAGE_AT, {"xs": xy[:, 0].tolist(), "ys": xy[:, 1].tolist()})
        found = {int(index[i - 1]): code for i, code in result}
    claimed = {c[:12] for c in codes if len(c) == 15 and c.isdigit()}
    known = set(
        session.scalars(select(Division.code).where(Division.code.in_(claimed), Division.level == "village"))
    )
    out: list[str | None] = []
    for i, code in enumerate(codes):
        out.append(found.get(i) or (code[:12] if code[:12] in known and len(code) == 15 else None))
    return out


def _common_scope(villages: list[str | None]) -> str:
    known = sorted({v for v in villages if v is not None})
    if not known:
        raise InvalidInput(
            "no grid of the file lies in a known village and none carries a known village's code, so the "
            "draft's area cannot be told; import the villages first or give --scope (无法确定草稿所属区域)",
            field="scope",
        )
    first, last = known[0], known[-1]
    shared = next((n for n in range(12) if first[n] != last[n]), 12)
    length = next(n for n in _LEVEL_LENGTHS if n <= shared) if shared >= 2 else 0
    if length == 0:
        raise InvalidInput(
            "the draft spans several provinces; give --scope (草稿跨省，请指定 --scope)", field="scope"
        )
    return first[:length].ljust(12, "0")
