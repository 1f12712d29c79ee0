"""`--fix`: the safe repairs of a draft, each reported; nothing beyond the tolerances is changed."""

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.coverage import area_m2, covered_union, gaps, repaired, suspects, usable_shapes
from gis.repair import absorb_slivers, metres_to_degrees, snap_edges
from grids.boundaries.access import require_planner, require_within
from grids.boundaries.validate import BoundarySettings, DraftData, load_draft
from grids.models import Generation
from grids.users import Principal

_WRITE = text("""
UPDATE grids SET geom = ST_Multi(ST_GeomFromWKB(:wkb, 4490)), version = version + 1, updated_at = now()
WHERE id = :id
""")


@dataclass(frozen=True)
class Repair:
    """One repair applied to a draft grid, with the area it gained (negative: lost) in m²."""

    kind: str
    grid_code: str
    grid_id: int
    area_change_m2: float
    message_zh: str
    message_en: str


def fix_draft(
    session: Session, *, generation: Generation, caller: Principal, settings: BoundarySettings | None = None
) -> list[Repair]:
    """Apply make_valid, snapping within tolerance, and sliver hand-over to a draft; report each."""
    require_planner(caller)
    require_within(caller, generation.scope_code)
    settings = settings or BoundarySettings()
    rules = settings.rules()
    data = load_draft(session, generation)
    shapes = data.geoms.copy()
    repairs: list[Repair] = []
    polygonal = np.isin(shapely.get_type_id(shapes), (3, 6)) & ~shapely.is_empty(shapes)
    for i in np.flatnonzero(polygonal & ~shapely.is_valid(shapes)).tolist():
        shape = repaired(shapes[i])
        if not shape.is_empty:
            repairs.append(_repair("make_valid", data, i, shapes[i], shape))
            shapes[i] = shape
    usable = usable_shapes(shapes)
    homes = data.homes()
    loose = np.flatnonzero(~shapely.is_missing(usable) & ~shapely.is_missing(homes))
    loose = loose[~shapely.covered_by(usable[loose], homes[loose])]
    candidates = np.union1d(np.flatnonzero(suspects(usable)), loose)
    for i, shape in snap_edges(usable, homes, candidates, metres_to_degrees(rules.snap_m)).items():
        repairs.append(_repair("snap", data, i, usable[i], shape))
        usable[i] = shape
    covered = covered_union(usable, suspects(usable))
    slivers = [
        f for f in gaps(data.village_geoms, covered, rules, ignore=~data.gridded()) if f.kind == "sliver_gap"
    ]
    for i, (shape, _) in absorb_slivers(usable, slivers).items():
        repairs.append(_repair("sliver", data, i, usable[i], shape))
        usable[i] = shape
    changed = {r.grid_id for r in repairs}
    rows = [
        {"id": data.ids[i], "wkb": shapely.to_wkb(usable[i])}
        for i in range(len(data.ids))
        if data.ids[i] in changed
    ]
    if rows:
        session.execute(_WRITE, rows)
    return repairs


_TEXT = {
    "make_valid": (
        "网格{code}边界已用 make_valid 修复",
        "grid {code}: invalid boundary repaired with make_valid",
    ),
    "snap": (
        "网格{code}边界已吸附到村界或相邻网格",
        "grid {code}: edges snapped to its village boundary or neighbours",
    ),
    "sliver": (
        "网格{code}已并入相邻细小缝隙",
        "grid {code}: took the sliver gap along its longest shared edge",
    ),
}


def _repair(kind: str, data: DraftData, i: int, before: shapely.Geometry, after: shapely.Geometry) -> Repair:
    change = float(area_m2(np.array([after], dtype=object))[0] - area_m2(np.array([before], dtype=object))[0])
    zh, en = _TEXT[kind]
    code = data.label(i)
    return Repair(
        kind,
        code,
        data.ids[i],
        round(change, 2),
        f"{zh.format(code=code)}（面积变化{change:+.2f}平方米）",
        f"{en.format(code=code)} (area {change:+.2f} m²)",
    )
