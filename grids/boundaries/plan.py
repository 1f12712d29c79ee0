"""What a draft does to the active grids of its scope, grid by grid, and the code each grid will carry.

A grid code is a stable identity (DESIGN.md §3): a draft grid carrying an active code keeps it; a
draft grid without a code that covers mostly the same ground as an active grid (intersection over
union ≥ 0.5) persists under that grid's code; any other new grid gets the next sequence under its
village never used by any generation, numbered north→south, west→east; active grids no draft grid
took over are removed, and their codes retired for good.
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.coverage import area_m2, usable_shapes
from grids.boundaries.validate import DraftData, load_draft
from grids.codes import prefix
from grids.models import Generation

PERSISTS_IOU = 0.5

_ACTIVE = text("""
SELECT g.id, g.code, g.village_code, g.generation_id, ST_AsBinary(g.geom)
FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active'
WHERE g.village_code LIKE :p ORDER BY g.code
""")
_LAST_SEQUENCE = text("""
SELECT left(code, 12) AS village, max(right(code, 3)::int)
FROM grids WHERE left(code, 12) = ANY(:villages) AND code ~ '^[0-9]{15}$'
GROUP BY 1
""")


@dataclass(frozen=True)
class GridChange:
    """One grid's fate: unchanged, reshaped, added or removed, with its areas in m².

    `code_source` says where its code comes from: kept (the draft carried an active code), persisted
    (matched by its ground), given (a new code the draft carried), numbered (a new number), retired.
    """

    change: str
    code: str
    code_source: str
    village_code: str | None
    draft_id: int | None
    active_id: int | None
    old_area_m2: float | None
    new_area_m2: float | None

    @property
    def area_change_m2(self) -> float | None:
        """New minus old area (None for an added or removed grid)."""
        if self.old_area_m2 is None or self.new_area_m2 is None:
            return None
        return round(self.new_area_m2 - self.old_area_m2, 2)

    @property
    def area_change_pct(self) -> float | None:
        """The area change in percent of the old area."""
        change = self.area_change_m2
        if change is None or not self.old_area_m2:
            return None
        return round(100 * change / self.old_area_m2, 2)


@dataclass
class Plan:
    """The grid changes of a draft against the active generations of its scope."""

    generation: Generation
    draft: DraftData
    active_generations: list[int]
    changes: list[GridChange]
    active_codes: list[str]
    active_geoms: np.ndarray
    draft_shapes: np.ndarray

    def codes(self) -> dict[int, str]:
        """The code each draft grid will carry, by grid id."""
        return {c.draft_id: c.code for c in self.changes if c.draft_id is not None}

    def counts(self) -> dict[str, int]:
        """Grids per kind of change."""
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.change] = out.get(c.change, 0) + 1
        return out


def make_plan(session: Session, *, generation: Generation, draft: DraftData | None = None) -> Plan:
    """Match the draft's grids to the active grids of its scope and settle every grid's code.

    `draft` is the draft as validation just loaded it, if it was (saves loading it again).
    """
    draft = draft or load_draft(session, generation)
    rows = session.execute(_ACTIVE, {"p": prefix(generation.scope_code) + "%"}).all()
    active_geoms = np.array([shapely.from_wkb(bytes(r[4])) for r in rows], dtype=object)
    active = {r[1]: i for i, r in enumerate(rows)}
    shapes = usable_shapes(draft.geoms)
    new_area = area_m2(np.where(shapely.is_missing(shapes), shapely.Polygon(), shapes))
    old_area = area_m2(active_geoms) if len(rows) else np.empty(0)
    taken: dict[int, int] = {}  # draft index -> active index
    claimed: set[int] = set()
    for i, code in enumerate(draft.codes):
        if code in active and active[code] not in claimed:
            taken[i] = active[code]
            claimed.add(active[code])
    persisted = _persisting(draft, shapes, active_geoms, taken)
    taken.update(persisted)
    numbered = _number_new(session, draft, shapes, taken)
    same = _same_ground(shapes, active_geoms, taken)
    changes = []
    for i, draft_id in enumerate(draft.ids):
        village = draft.villages_of[i]
        if i in taken:
            j = taken[i]
            changes.append(
                GridChange(
                    "unchanged" if i in same else "reshaped",
                    rows[j][1],
                    "persisted" if i in persisted else "kept",
                    village,
                    draft_id,
                    int(rows[j][0]),
                    round(float(old_area[j]), 2),
                    round(float(new_area[i]), 2),
                )
            )
        else:
            code, source = (numbered[i], "numbered") if i in numbered else (draft.codes[i], "given")
            changes.append(
                GridChange("added", code, source, village, draft_id, None, None, round(float(new_area[i]), 2))
            )
    for j in sorted(set(range(len(rows))) - set(taken.values())):
        changes.append(
            GridChange(
                "removed",
                rows[j][1],
                "retired",
                rows[j][2],
                None,
                int(rows[j][0]),
                round(float(old_area[j]), 2),
                None,
            )
        )
    return Plan(
        generation,
        draft,
        sorted({int(r[3]) for r in rows}),
        changes,
        [r[1] for r in rows],
        active_geoms,
        shapes,
    )


def _same_ground(shapes: np.ndarray, active_geoms: np.ndarray, taken: dict[int, int]) -> set[int]:
    """Draft grids covering exactly the ground of the active grid they took over."""
    pairs = [(i, j) for i, j in taken.items() if shapes[i] is not None]
    if not pairs:
        return set()
    a = np.array([i for i, _ in pairs])
    b = np.array([j for _, j in pairs])
    # Identical coordinates settle most pairs cheaply; the rest get the topological test.
    exact = shapely.equals_exact(shapes[a], active_geoms[b], tolerance=0.0)
    rest = np.flatnonzero(~exact)
    exact[rest] = shapely.equals(shapes[a[rest]], active_geoms[b[rest]])
    return set(a[exact].tolist())


def _persisting(
    draft: DraftData, shapes: np.ndarray, active_geoms: np.ndarray, taken: dict[int, int]
) -> dict[int, int]:
    """Draft grids without a code matched to the untaken active grid they mostly coincide with."""
    uncoded = [i for i, c in enumerate(draft.codes) if not c and shapes[i] is not None]
    free = np.array(sorted(set(range(len(active_geoms))) - set(taken.values())), dtype=np.intp)
    if not uncoded or not len(free):
        return {}
    tree = shapely.STRtree(active_geoms[free])
    left, right = tree.query(shapes[uncoded], predicate="intersects")
    a = np.asarray(uncoded)[left]
    b = free[right]
    common = area_m2(shapely.intersection(shapes[a], active_geoms[b]))
    union = area_m2(shapely.union(shapes[a], active_geoms[b]))
    iou = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
    found: dict[int, int] = {}
    used: set[int] = set()
    for k in np.argsort(-iou, kind="stable").tolist():
        if iou[k] < PERSISTS_IOU:
            break
        if a[k] not in found and b[k] not in used:
            found[int(a[k])] = int(b[k])
            used.add(int(b[k]))
    return found


def _number_new(
    session: Session, draft: DraftData, shapes: np.ndarray, taken: dict[int, int]
) -> dict[int, str]:
    """New codes for grids without one: after the highest sequence any generation ever used."""
    waiting: dict[str, list[int]] = {}
    for i, code in enumerate(draft.codes):
        village = draft.villages_of[i]
        if not code and i not in taken and village is not None:
            waiting.setdefault(village, []).append(i)
    if not waiting:
        return {}
    last: dict[str, int] = {
        str(v): int(n) for v, n in session.execute(_LAST_SEQUENCE, {"villages": sorted(waiting)})
    }
    for code in draft.codes:
        if len(code) == 15 and code.isdigit() and code[:12] in waiting:
            last[code[:12]] = max(last.get(code[:12], 0), int(code[12:]))
    numbered = {}
    for village, members in waiting.items():
        points = shapely.get_coordinates(
            [
                shapely.point_on_surface(shapes[i]) if shapes[i] is not None else draft.geoms[i].centroid
                for i in members
            ]
        )
        start = last.get(village, 0)
        for n, k in enumerate(reading_order(points).tolist(), start=1):
            numbered[members[k]] = f"{village}{start + n:03d}"
    return numbered


def reading_order(points: np.ndarray) -> np.ndarray:
    """Indexes of points in reading order: rows north→south, each row west→east.

    A row is as tall as the points' spread divided by √n, so a later point is either in a row further
    south or further east in the same row (the rule the first numbering followed).
    """
    n = len(points)
    top, bottom = points[:, 1].max(), points[:, 1].min()
    height = (top - bottom) / max(1, round(math.sqrt(n))) or 1.0
    row = np.floor((top - points[:, 1]) / height)
    return np.lexsort((points[:, 0], row))
