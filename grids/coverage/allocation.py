"""Staff allocation planning (人员力量统筹配置): which of a platform's staff covers each grid of a
township or county, so that expected workload is balanced, travel short and few grids change hands.

Expected workload of a grid, in cases per month: half from the platform's own case history there
(the last `history_days`), half from its households at the area's rate of cases per household —
history where there is some, households where there is little. The model is in `solver`.
"""

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.coverage import to_metric
from grids.codes import level_of, prefix
from grids.coverage.solver import Problem, lower_bound, solve
from grids.coverage.summary import DAYS_PER_MONTH
from grids.errors import InvalidInput, NotFound
from grids.models import AllocationPlan, Division, Worker
from grids.models.base import PLATFORMS
from grids.users import Principal

MAX_STAFF = 60
_SQL = text(resources.files("grids").joinpath("sql/coverage_allocation.sql").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class StaffInput:
    """A staff member to allocate: an existing one by staff number, or a new position; base optional."""

    staff_no: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Position:
    """A staff member in the plan, with the base distances are measured from and where it came from."""

    staff_no: str | None
    worker_id: int | None
    lon: float
    lat: float
    base_from: str
    """`roster` (the worker's recorded base), `given` (in the request) or `chosen` (by the planner)."""


@dataclass(frozen=True)
class Figures:
    """How an allocation scores: loads per staff member, balance, travel, and what it leaves out."""

    loads: list[float]
    max_load: float
    mean_load: float
    imbalance: float | None
    """Largest load over the mean, minus one (0 is perfect balance)."""
    gap_to_lower_bound: float | None
    """Largest load over the lower bound, minus one."""
    mean_distance_m: float | None
    worst_distance_m: float | None
    unallocated_grids: int


def propose(
    session: Session,
    *,
    caller: Principal,
    code: str,
    platform: str,
    at: datetime,
    staff: list[StaffInput] | None = None,
    count: int | None = None,
    history_days: int = 180,
    change_penalty_m: float = 2_000.0,
    balance_slack: float = 0.05,
    work_limit: float = 20.0,
) -> AllocationPlan:
    """Solve an allocation for the grids of township or county `code` and store it as a proposal."""
    area = _area(session, caller=caller, code=code)
    if platform not in PLATFORMS:
        raise InvalidInput(
            f"platform {platform!r} is not one of {', '.join(PLATFORMS)} (平台有误)", field="platform"
        )
    if staff is not None and count is not None:
        raise InvalidInput("give staff or count, not both (人员名单与人数只能给一个)", field="count")
    if not 0 <= balance_slack <= 0.5:
        raise InvalidInput("balance_slack must be 0–0.5 (均衡容差须在0–0.5之间)", field="balance_slack")
    if not 1 <= history_days <= 3660:
        raise InvalidInput("history_days must be 1–3660 (历史天数须在1–3660之间)", field="history_days")
    rows = session.execute(
        _SQL,
        {
            "scope": prefix(area.code) + "%",
            "platform": platform,
            "from": at - timedelta(days=history_days),
            "to": at,
            "at": at,
        },
    ).all()
    if not rows:
        raise InvalidInput(f"{area.name} {area.code} has no active grids to allocate (无网格)", field="code")
    grid_xy = np.array([(r.x, r.y) for r in rows], dtype=float)
    households = np.array([r.households for r in rows], dtype=float)
    cases = np.array([r.cases for r in rows], dtype=float)
    loads = expected_load(households, cases, history_days)
    positions = _positions(session, area=area, platform=platform, staff=staff, count=count, rows=rows)
    positions = _choose_bases(positions, grid_xy, loads, rows)
    base_xy = _metric_xy([p.lon for p in positions], [p.lat for p in positions])
    distance = np.hypot(*(base_xy[:, None, :] - grid_xy[None, :, :]).transpose(2, 0, 1))
    index = {p.worker_id: i for i, p in enumerate(positions) if p.worker_id is not None}
    current = np.array([next((index[w] for w in r.current if w in index), -1) for r in rows], dtype=np.int64)
    problem = Problem(
        loads,
        distance,
        current,
        change_penalty_m=change_penalty_m,
        slack=balance_slack,
        work_limit=work_limit,
    )
    solution = solve(problem)
    bound = lower_bound(loads, len(positions))
    before, after = (
        _figures(loads, distance, a, len(positions), bound) for a in (current, solution.staff_of)
    )
    result = {
        "positions": [asdict(p) for p in positions],
        "grids": [
            {
                "code": r.code,
                "name": r.name,
                "households": r.households,
                "cases": r.cases,
                "load": round(float(loads[g]), 3),
                "before": None if current[g] < 0 else int(current[g]),
                "after": int(solution.staff_of[g]),
                "current_workers": list(r.current),
                "distance_m": round(float(distance[solution.staff_of[g], g]), 1),
            }
            for g, r in enumerate(rows)
        ],
        "before": asdict(before),
        "after": asdict(after),
        "lower_bound": round(bound, 3),
        "total_load": round(float(loads.sum()), 3),
        "largest_grid_load": round(float(loads.max()), 3),
        "moves": int(np.sum(solution.staff_of != current)),
        "solver": {
            "name": "OR-Tools CP-SAT",
            "balance_status": solution.makespan_status,
            "best_max_load": round(solution.makespan, 3),
            "proven_min_max_load": round(solution.makespan_bound, 3),
            "travel_status": solution.travel_status,
        },
    }
    result["verdict"] = verdict(result)
    request = {
        "code": area.code,
        "platform": platform,
        "staff": None if staff is None else [asdict(s) for s in staff],
        "count": count,
        "history_days": history_days,
        "change_penalty_m": change_penalty_m,
        "balance_slack": balance_slack,
        "at": at.isoformat(),
    }
    plan = AllocationPlan(
        scope_code=area.code,
        platform_code=platform,
        status="proposed",
        created_by=caller.name,
        request=request,
        result=result,
    )
    session.add(plan)
    session.flush()
    return plan


def expected_load(
    households: NDArray[np.float64], cases: NDArray[np.float64], days: int
) -> NDArray[np.float64]:
    """Cases per month a grid is expected to bring: half its own history, half its households' share."""
    months = days / DAYS_PER_MONTH
    if cases.sum() == 0:
        return households / 100.0  # no history at all: households, in hundreds
    per_household = cases.sum() / max(households.sum(), 1.0) / months
    return 0.5 * cases / months + 0.5 * per_household * households


def verdict(result: dict[str, Any]) -> str:
    """Whether the largest load is within 10% of the lower bound, and if not, why not (Chinese first)."""
    after, bound = result["after"]["max_load"], result["lower_bound"]
    proven = result["solver"]["proven_min_max_load"]
    gap = after / bound - 1 if bound > 0 else 0.0
    if gap <= 0.10:
        return (
            f"最大负荷距下界 {gap:.1%}（≤10%） largest load is {gap:.1%} above the lower bound (within 10%)"
        )
    if proven > bound * 1.10:
        return (
            f"最大负荷距下界 {gap:.1%}：求解器证明任何方案最大负荷不低于 {proven:g} "
            f"largest load {gap:.1%} above the lower bound; "
            f"the solver proved no allocation goes below {proven:g}"
        )
    return (
        f"最大负荷距下界 {gap:.1%}，未证明最优 largest load {gap:.1%} above the lower bound; "
        f"the solver's proven floor is {proven:g}"
    )


def _area(session: Session, *, caller: Principal, code: str) -> Division:
    if level_of(code) not in ("township", "county"):
        raise InvalidInput(f"{code} is not a township or county (须为乡镇或县)", field="code")
    area = session.get(Division, code)
    if area is None or not caller.sees(code):
        raise NotFound(f"no township or county {code} in your jurisdiction (辖区内无此区划)", field="code")
    return area


def _positions(
    session: Session,
    *,
    area: Division,
    platform: str,
    staff: list[StaffInput] | None,
    count: int | None,
    rows: Any,
) -> list[Position]:
    roster = session.scalars(
        select(Worker)
        .where(
            Worker.role == "platform_staff",
            Worker.platform_code == platform,
            Worker.active,
            Worker.township_code.like(prefix(area.code) + "%"),
        )
        .order_by(Worker.staff_no)
    ).all()
    bases = _bases(session, [w.id for w in roster])
    if staff is None:
        # Keep those covering the most grids today when fewer are asked for; add new positions when more.
        covering = {w.id: sum(w.id in r.current for r in rows) for w in roster}
        kept = sorted(roster, key=lambda w: (-covering[w.id], w.staff_no))[: count or len(roster)]
        chosen = [StaffInput(w.staff_no) for w in sorted(kept, key=lambda w: w.staff_no)]
        staff = chosen + [StaffInput() for _ in range(max(0, (count or 0) - len(chosen)))]
    if not 1 <= len(staff) <= MAX_STAFF:
        raise InvalidInput(
            f"allocate 1–{MAX_STAFF} staff, not {len(staff)} (人数须在1–{MAX_STAFF}之间)", field="staff"
        )
    by_no = {w.staff_no: w for w in roster}
    positions = []
    for i, item in enumerate(staff):
        if (item.lon is None) != (item.lat is None):
            raise InvalidInput(f"staff[{i}]: give both lon and lat, or neither (经纬度须成对)", field="staff")
        if (
            item.lon is not None
            and item.lat is not None
            and not (-180 <= item.lon <= 180 and -90 <= item.lat <= 90)
        ):
            raise InvalidInput(f"staff[{i}]: lon/lat out of range (经纬度超出范围)", field="staff")
        worker = None
        if item.staff_no is not None:
            worker = by_no.get(item.staff_no)
            if worker is None:
                raise InvalidInput(
                    f"staff[{i}]: {item.staff_no!r} is not active {platform} staff of {area.name} "
                    f"(非本区域该平台在岗人员)",
                    field="staff",
                )
        if item.lon is not None and item.lat is not None:
            lon, lat, source = item.lon, item.lat, "given"
        elif worker is not None and worker.id in bases:
            lon, lat, source = *bases[worker.id], "roster"
        else:
            lon, lat, source = math.nan, math.nan, "chosen"
        positions.append(Position(item.staff_no, None if worker is None else worker.id, lon, lat, source))
    if len({p.worker_id for p in positions if p.worker_id is not None}) < sum(
        p.worker_id is not None for p in positions
    ):
        raise InvalidInput("a staff member is listed twice (人员重复)", field="staff")
    return positions


def _bases(session: Session, worker_ids: list[int]) -> dict[int, tuple[float, float]]:
    if not worker_ids:
        return {}
    found = session.execute(
        text("SELECT id, ST_X(base), ST_Y(base) FROM workers WHERE id = ANY(:ids) AND base IS NOT NULL"),
        {"ids": worker_ids},
    )
    return {r[0]: (r[1], r[2]) for r in found}


def _choose_bases(
    positions: list[Position], grid_xy: NDArray[np.float64], loads: NDArray[np.float64], rows: Any
) -> list[Position]:
    """Bases for positions without one: grid centres, each the one that cuts load-weighted travel most."""
    known = [p for p in positions if not math.isnan(p.lon)]
    if len(known) == len(positions):
        return positions
    pairwise = np.hypot(*(grid_xy[:, None, :] - grid_xy[None, :, :]).transpose(2, 0, 1))
    if known:
        xy = _metric_xy([p.lon for p in known], [p.lat for p in known])
        nearest = np.min(np.hypot(*(xy[:, None, :] - grid_xy[None, :, :]).transpose(2, 0, 1)), axis=0)
    else:
        nearest = np.full(len(grid_xy), np.inf)
    chosen = []
    for p in positions:
        if not math.isnan(p.lon):
            chosen.append(p)
            continue
        cost = np.array([np.sum(loads * np.minimum(nearest, pairwise[c])) for c in range(len(grid_xy))])
        c = int(np.argmin(cost))
        nearest = np.minimum(nearest, pairwise[c])
        chosen.append(Position(p.staff_no, p.worker_id, float(rows[c].lon), float(rows[c].lat), "chosen"))
    return chosen


def _metric_xy(lon: list[float], lat: list[float]) -> NDArray[np.float64]:
    """Points given in longitude/latitude (storage CRS) as metric x/y rows."""
    return np.asarray(shapely.get_coordinates(to_metric(shapely.points(lon, lat))), dtype=float)


def _figures(
    loads: NDArray[np.float64],
    distance: NDArray[np.float64],
    staff_of: NDArray[np.int64],
    n: int,
    bound: float,
) -> Figures:
    covered = staff_of >= 0
    per_staff = np.bincount(staff_of[covered], weights=loads[covered], minlength=n)
    gaps = distance[staff_of[covered], np.flatnonzero(covered)]
    mean = float(per_staff.mean())
    top = float(per_staff.max())
    return Figures(
        loads=[round(float(v), 3) for v in per_staff],
        max_load=round(top, 3),
        mean_load=round(mean, 3),
        imbalance=None if mean == 0 else round(top / mean - 1, 4),
        gap_to_lower_bound=None if bound == 0 else round(top / bound - 1, 4),
        mean_distance_m=None if gaps.size == 0 else round(float(gaps.mean()), 1),
        worst_distance_m=None if gaps.size == 0 else round(float(gaps.max()), 1),
        unallocated_grids=int(np.sum(~covered)),
    )
