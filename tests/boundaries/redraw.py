"""Redrawing demo grids the way a planner would, keeping the coverage exact (no new vertices)."""

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.drafts import draft_from_active
from grids.boundaries.validate import validate_draft
from grids.models import Generation
from tests.boundaries.conftest import OPERATOR


@dataclass
class Grid:
    """A draft grid row (storage CRS)."""

    id: int
    code: str
    kind: str
    village: str
    geom: shapely.Geometry


def draft_grids(session: Session, draft: Generation) -> list[Grid]:
    """The draft's grids in code order."""
    rows = session.execute(
        text(
            "SELECT id, code, kind, village_code, ST_AsBinary(geom) FROM grids WHERE generation_id = :g ORDER BY code"
        ),
        {"g": draft.id},
    )
    return [Grid(r[0], r[1], r[2], r[3], shapely.from_wkb(bytes(r[4]))) for r in rows]


def put(session: Session, grid_id: int, geom: shapely.Geometry) -> None:
    """Overwrite a draft grid's geometry (storage CRS)."""
    session.execute(
        text("UPDATE grids SET geom = ST_Multi(ST_GeomFromWKB(:wkb, 4490)) WHERE id = :id"),
        {"wkb": shapely.to_wkb(geom), "id": grid_id},
    )


def neighbours(grids: list[Grid]) -> list[tuple[Grid, Grid]]:
    """Pairs of plain ordinary grids (coded, no holes) of one village sharing an edge."""
    plain = [
        g
        for g in grids
        if g.code and g.kind == "ordinary" and len(g.geom.geoms) == 1 and not g.geom.geoms[0].interiors
    ]
    pairs = []
    for i, a in enumerate(plain):
        for b in plain[i + 1 :]:
            if a.village == b.village and a.geom.intersection(b.geom).length > 0:
                pairs.append((a, b))
    return pairs


def reshape(a: Grid, b: Grid) -> tuple[shapely.Geometry, shapely.Geometry] | None:
    """A and B re-cut along a chord between two vertices of their union, or None if no chord works.

    Every vertex already exists, so the new edges match the neighbours' exactly.
    """
    union = shapely.coverage_union(a.geom, b.geom)
    if union.geom_type != "Polygon":
        return None
    ring = np.asarray(union.exterior.coords)[:-1]
    n = len(ring)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            chord = shapely.LineString([ring[i], ring[j]])
            if not union.buffer(-1e-9).contains(chord.interpolate(0.5, normalized=True)) or not chord.within(
                union
            ):
                continue
            parts = shapely.get_parts(shapely.ops.split(union, chord))
            if len(parts) != 2:
                continue
            first = 0 if parts[0].intersection(a.geom).area >= parts[1].intersection(a.geom).area else 1
            new_a, new_b = parts[first], parts[1 - first]
            changed = new_a.symmetric_difference(a.geom).area / a.geom.area
            if 0.05 < changed < 0.4 and new_a.is_valid and new_b.is_valid:
                return new_a, new_b
    return None


def county_draft(session: Session, county: str, name: str) -> tuple[Generation, list[Grid]]:
    """A draft copying a county's grids, with each planted gap filled by a new grid without a code."""
    draft, _ = draft_from_active(session, scope=county, name=name, caller=OPERATOR)
    for problem in validate_draft(session, generation=draft).problems:
        if problem.kind == "gap":
            session.execute(
                text(
                    "INSERT INTO grids (generation_id, code, name, village_code, geom) "
                    "VALUES (:g, '', '新增网格', :v, ST_Multi(ST_GeomFromWKB(:w, 4490)))"
                ),
                {"g": draft.id, "v": problem.village_code, "w": shapely.to_wkb(problem.geometry)},
            )
    return draft, draft_grids(session, draft)
