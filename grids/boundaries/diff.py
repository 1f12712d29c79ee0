"""A draft against the active grids: grid changes, households moved, workers and open cases affected."""

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.coverage import to_metric
from grids.boundaries.access import require_planner
from grids.boundaries.plan import Plan, make_plan
from grids.codes import prefix
from grids.models import Generation
from grids.models.cases import OPEN_CONDITION
from grids.users import Principal

NEAR_M = 200.0
"""A case outside every grid goes to the nearest one within this distance (as the re-homing SQL does)."""
KEEPS_ITS_GRID = ("pinned", "manual")
"""Cases a dispatcher placed by hand keep their grid while its code lives on."""

_BLOCKS = text("SELECT households, ST_X(geom), ST_Y(geom) FROM household_blocks WHERE village_code LIKE :p")
_WORKERS = text("""
SELECT w.id, w.staff_no, w.role, a.kind, a.grid_code
FROM worker_assignments a JOIN workers w ON w.id = a.worker_id
WHERE a.grid_code = ANY(:codes) AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
ORDER BY a.grid_code, w.staff_no
""")
_COUNTIES = text("SELECT code FROM divisions WHERE level = 'county' AND code LIKE :p")
_CASES = text(f"""
SELECT county_code, id, status, grid_code, assigned_by, ST_X(geom), ST_Y(geom)
FROM cases
WHERE county_code = ANY(:counties) AND {OPEN_CONDITION} AND geom IS NOT NULL
  AND coalesce(village_code::text, grid_code::text) LIKE :p
ORDER BY county_code, id
""")


@dataclass(frozen=True)
class HouseholdMove:
    """Households (from household blocks) that change grid, from one code to another."""

    from_code: str | None
    to_code: str | None
    households: int
    blocks: int


@dataclass(frozen=True)
class WorkerChange:
    """A worker whose grid is reshaped or removed (never a name: personal data stays out)."""

    worker_id: int
    staff_no: str
    role: str
    assignment: str
    grid_code: str
    change: str


@dataclass(frozen=True)
class CaseMove:
    """An open case that would change grid."""

    county_code: str
    case_id: int
    status: str
    from_code: str | None
    to_code: str | None


@dataclass
class Diff:
    """A draft against the active generation(s) of its scope."""

    plan: Plan
    households: list[HouseholdMove]
    workers: list[WorkerChange]
    cases: list[CaseMove]


def diff_draft(session: Session, *, generation: Generation, caller: Principal) -> Diff:
    """What publishing the draft would change; nothing is written."""
    require_planner(caller)
    plan = make_plan(session, generation=generation)
    new_codes, new_shapes = final_grids(plan)
    scope = prefix(generation.scope_code)
    households = _households(session, scope, plan.active_geoms, plan.active_codes, new_shapes, new_codes)
    touched = sorted({c.code for c in plan.changes if c.change in ("reshaped", "removed")})
    workers = [
        WorkerChange(int(r[0]), r[1], r[2], r[3], r[4], "removed" if r[4] in _removed(plan) else "reshaped")
        for r in session.execute(_WORKERS, {"codes": touched})
    ]
    old_changed = {c.code for c in plan.changes if c.change in ("reshaped", "removed")}
    new_changed = {c.code for c in plan.changes if c.change in ("reshaped", "added")}
    cases = _cases(session, scope, new_shapes, new_codes, old_changed, new_changed)
    return Diff(plan, households, workers, cases)


def final_grids(plan: Plan) -> tuple[list[str], np.ndarray]:
    """The draft's grids under their final codes, in code order (the order edges are settled in)."""
    codes = plan.codes()
    order = sorted(
        (codes[grid_id], i)
        for i, grid_id in enumerate(plan.draft.ids)
        if plan.draft_shapes[i] is not None and grid_id in codes
    )
    return [c for c, _ in order], np.array([plan.draft_shapes[i] for _, i in order], dtype=object)


def _removed(plan: Plan) -> set[str]:
    return {c.code for c in plan.changes if c.change == "removed"}


def _households(
    session: Session,
    scope: str,
    old_shapes: np.ndarray,
    old_codes: list[str],
    new_shapes: np.ndarray,
    new_codes: list[str],
) -> list[HouseholdMove]:
    rows = session.execute(_BLOCKS, {"p": scope + "%"}).all()
    if not rows:
        return []
    counts = np.array([r[0] for r in rows])
    lon, lat = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    before = codes_at(old_shapes, old_codes, lon, lat)
    after = codes_at(new_shapes, new_codes, lon, lat)
    moved: dict[tuple[str | None, str | None], list[int]] = {}
    for b, a, n in zip(before, after, counts.tolist(), strict=True):
        if a != b:
            moved.setdefault((b, a), []).append(n)
    return [
        HouseholdMove(b, a, sum(ns), len(ns))
        for (b, a), ns in sorted(moved.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or ""))
    ]


def codes_at(
    shapes: np.ndarray, codes: list[str], lon: np.ndarray, lat: np.ndarray, *, near_m: float = 0.0
) -> list[str | None]:
    """The grid of each point as publishing assigns it: the covering grid (lowest code on a shared edge),
    else the nearest within `near_m` metres (lowest code on a tie), else None."""
    points = shapely.points(lon, lat)
    found: list[str | None] = [None] * len(points)
    if not len(shapes):
        return found
    which, grid = shapely.STRtree(shapes).query(points, predicate="covered_by")
    for w, g in zip(which.tolist(), grid.tolist(), strict=True):
        current = found[w]
        found[w] = codes[g] if current is None or codes[g] < current else current
    lonely = [i for i, f in enumerate(found) if f is None]
    if lonely and near_m > 0:
        metric = to_metric(shapes)
        targets = to_metric(points[lonely])
        (which, grid), dist = shapely.STRtree(metric).query_nearest(
            targets, max_distance=near_m, return_distance=True, all_matches=True
        )
        best: dict[int, tuple[float, str]] = {}
        for w, g, d in zip(which.tolist(), grid.tolist(), dist.tolist(), strict=True):
            best[w] = min(best.get(w, (d, codes[g])), (d, codes[g]))
        for w, (_, code) in best.items():
            found[lonely[w]] = code
    return found


def _cases(
    session: Session,
    scope: str,
    new_shapes: np.ndarray,
    new_codes: list[str],
    old_changed: set[str],
    new_changed: set[str],
) -> list[CaseMove]:
    """Open cases whose grid changed or that lie in a changed grid, and that would change grid."""
    counties = list(session.scalars(_COUNTIES, {"p": scope[:6] + "%"}))
    rows = session.execute(_CASES, {"counties": counties, "p": scope + "%"}).all()
    if not rows:
        return []
    lon, lat = np.array([r[5] for r in rows]), np.array([r[6] for r in rows])
    after = codes_at(new_shapes, new_codes, lon, lat, near_m=NEAR_M)
    alive = set(new_codes)
    moves = []
    for r, code in zip(rows, after, strict=True):
        current = r[3].strip() if r[3] else None
        if r[4] in KEEPS_ITS_GRID and current in alive:
            continue
        if current not in old_changed and code not in new_changed:
            continue  # nothing changed where it lies
        if code != current:
            moves.append(CaseMove(r[0], int(r[1]), r[2], current, code))
    return moves
