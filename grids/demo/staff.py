"""The demo's people: households in blocks, grid workers, grid heads and platform staff.

Rows are built with local ids from 0; the loader reserves real ids and calls `shift` before writing.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import numpy as np
import shapely

from grids.demo.geography import Geography, UnitRec
from grids.models.base import PLATFORMS

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢"
)
WEEKDAY = (time(8, 30), time(17, 30))
WEEKEND = (time(9, 0), time(17, 0))


def synthetic_name(rng: np.random.Generator, number: int) -> str:
    """A name no one has: a common surname, 示例 and a number."""
    return f"{SURNAMES[int(rng.integers(len(SURNAMES)))]}示例{number:05d}"


def synthetic_phone(rng: np.random.Generator) -> str:
    """A mobile number in the 199 range with random digits."""
    return f"199{int(rng.integers(0, 10**8)):08d}"


@dataclass
class Blocks:
    """Household blocks in metres: point, households, population, unit index and label."""

    xy: np.ndarray
    households: np.ndarray
    population: np.ndarray
    unit: np.ndarray
    labels: list[str]


def sample_blocks(geo: Geography, rng: np.random.Generator) -> Blocks:
    """About 20 blocks per ordinary grid (170–500 households, the usual 300–500 guideline; 900–1,400 in the
    overloaded village)."""
    ranges = {  # blocks, households (upper bounds exclusive)
        "gap": ((8, 15), (80, 261)),
        "dedicated": ((1, 5), (5, 61)),
        "overloaded": ((25, 36), (900, 1401)),
        "ordinary": ((15, 26), (170, 501)),
    }
    counts, totals = [], []
    for u in geo.units:
        kind = "gap" if u.kind == "gap" else "dedicated" if u.kind != "ordinary" else "ordinary"
        if kind == "ordinary" and u.village_code == geo.overloaded_village:
            kind = "overloaded"
        n_range, total_range = ranges[kind]
        counts.append(int(rng.integers(*n_range)))
        totals.append(max(int(rng.integers(*total_range)), counts[-1]))
    polys = np.array([u.geom for u in geo.units], dtype=object)
    xy, unit = sample_points(polys, np.array(counts), rng, margin=3.0)
    households = np.empty(len(unit), dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)))
    for i, (n, total) in enumerate(zip(counts, totals, strict=True)):
        share = rng.dirichlet(np.full(n, 2.0))
        households[starts[i] : starts[i + 1]] = 1 + rng.multinomial(total - n, share)
    population = np.round(households * rng.uniform(2.2, 3.2, size=len(households))).astype(np.int64)
    labels = [f"{geo.units[i].name}{k}号" for i, n in enumerate(counts) for k in range(1, n + 1)]
    return Blocks(xy, households, population, unit, labels)


def sample_points(
    polys: np.ndarray, counts: np.ndarray, rng: np.random.Generator, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """`counts[i]` random points inside `polys[i]`, `margin` or more from its boundary, by polygon."""
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    rings = shapely.boundary(polys)
    owners: list[np.ndarray] = []
    found: list[np.ndarray] = []
    need = counts.astype(np.int64).copy()
    while need.sum() > 0:
        idx = np.repeat(np.arange(len(polys)), need * 3)
        lo, hi = bounds[idx, :2], bounds[idx, 2:]
        pts = lo + rng.random((len(idx), 2)) * (hi - lo)
        ok = shapely.contains_xy(polys[idx], pts[:, 0], pts[:, 1])
        ok[ok] = shapely.distance(rings[idx[ok]], shapely.points(pts[ok])) >= margin
        idx, pts = idx[ok], pts[ok]
        take = np.arange(len(idx)) - np.searchsorted(idx, idx, side="left") < need[idx]
        owners.append(idx[take])
        found.append(pts[take])
        need -= np.bincount(idx[take], minlength=len(polys))
    order = np.argsort(np.concatenate(owners), kind="stable")
    xy = np.concatenate(found)[order]
    return xy, np.repeat(np.arange(len(polys)), counts)


@dataclass
class Staff:
    """Worker rows and the lookups cases need (primary worker and platform staff of each grid)."""

    people: list[tuple[int, str, str]] = field(default_factory=list)
    workers: list[tuple[int, str, int, str, str | None, str, float, float]] = field(default_factory=list)
    assignments: list[tuple[int, str, str, datetime]] = field(default_factory=list)
    duty: list[tuple[int, int, time, time]] = field(default_factory=list)
    primary: dict[str, int] = field(default_factory=dict)
    platform_for: dict[tuple[str, str], int] = field(default_factory=dict)
    staff_no: dict[int, str] = field(default_factory=dict)

    def shift(self, person_first: int, worker_first: int) -> None:
        """Turn local ids (from 0) into the ids the loader reserved."""
        p, w = person_first, worker_first
        self.people = [(i + p, name, phone) for i, name, phone in self.people]
        self.workers = [(i + w, no, pid + p, *rest) for i, no, pid, *rest in self.workers]  # type: ignore[misc]
        self.assignments = [(i + w, *rest) for i, *rest in self.assignments]  # type: ignore[misc]
        self.duty = [(i + w, *rest) for i, *rest in self.duty]  # type: ignore[misc]
        self.primary = {g: i + w for g, i in self.primary.items()}
        self.platform_for = {k: i + w for k, i in self.platform_for.items()}
        self.staff_no = {i + w: no for i, no in self.staff_no.items()}


class _Hiring:
    """Adds workers township by township, numbering their staff numbers within the township."""

    def __init__(self, rng: np.random.Generator, as_of: datetime) -> None:
        self.rng, self.as_of, self.staff = rng, as_of, Staff()
        self.seq: dict[str, int] = {}

    def hire(self, role: str, township: str, base: tuple[float, float], platform: str | None = None) -> int:
        """A new worker with a synthetic person, a base point and weekday duty (some weekend rotas)."""
        s, i = self.staff, len(self.staff.workers)
        s.people.append((i, synthetic_name(self.rng, i + 1), synthetic_phone(self.rng)))
        self.seq[township] = self.seq.get(township, 0) + 1
        staff_no = f"D{township[:9]}{self.seq[township]:04d}"
        s.workers.append((i, staff_no, i, role, platform, township, *base))
        s.staff_no[i] = staff_no
        s.duty += [(i, day, *WEEKDAY) for day in range(1, 6)]
        if role != "grid_head" and self.rng.random() < 0.3:
            s.duty.append((i, 6 + i % 2, *WEEKEND))
        return i

    def assign(self, worker: int, grid: str, kind: str) -> None:
        """A duty on a grid since a date long before the demo's cases (local midnight, in UTC)."""
        days = int(self.rng.integers(120, 1200))
        since = (self.as_of - timedelta(days=days)).replace(hour=16, minute=0, second=0, microsecond=0)
        self.staff.assignments.append((worker, grid, kind, since))
        if kind == "primary":
            self.staff.primary[grid] = worker


def hire_staff(geo: Geography, rng: np.random.Generator, as_of: datetime) -> Staff:
    """Grid workers for nearly every grid, a grid head per village, platform staff per township."""
    h = _Hiring(rng, as_of)
    seats = {d.code: d.seat for d in geo.divisions}
    by_village: dict[str, list[UnitRec]] = {}
    for u in geo.units:
        if u.code is not None and u.code not in geo.unstaffed_grids:
            by_village.setdefault(u.village_code, []).append(u)
    townships: dict[str, list[str]] = {}
    for v in sorted(by_village):
        townships.setdefault(v[:9] + "000", []).append(v)
    for township, villages in townships.items():
        for v in villages:
            grids = by_village[v]
            head = h.hire("grid_head", township, seats[v])
            for u in grids:
                h.assign(head, str(u.code), "head")
            ordinary = [u for u in grids if u.kind == "ordinary"]
            if v == geo.overloaded_village:  # stretched: one worker per three grids, no backups
                for start in range(0, len(ordinary), 3):
                    worker = h.hire("full_time", township, seats[v])
                    for u in ordinary[start : start + 3]:
                        h.assign(worker, str(u.code), "primary")
            else:
                for u in ordinary:
                    h.assign(h.hire("full_time", township, seats[v]), str(u.code), "primary")
                    if rng.random() < 0.55:
                        h.assign(h.hire("part_time", township, seats[v]), str(u.code), "backup")
            for u in grids:
                if u.kind != "ordinary":  # the enterprise's or school's own part-time worker
                    h.assign(h.hire("part_time", township, seats[v]), str(u.code), "primary")
        _platform_staff(h, township, seats, [u for v in villages for u in by_village[v]], villages)
    return h.staff


def _platform_staff(
    h: _Hiring,
    township: str,
    seats: dict[str, tuple[float, float]],
    grids: list[UnitRec],
    villages: list[str],
) -> None:
    # Each platform's staff sit at the township office and at village committees spread by
    # farthest-point choice; each takes the grids nearest its base, a contiguous patch.
    office = np.array(seats[township])
    committees = np.array([seats[v] for v in villages])
    centres = shapely.get_coordinates(shapely.centroid(np.array([u.geom for u in grids], dtype=object)))
    k = max(2, min(5, round(len(grids) / 10), len(villages) + 1))
    bases = [office]
    while len(bases) < k:
        d = np.min([np.hypot(*(committees - b).T) for b in bases], axis=0)
        bases.append(committees[int(d.argmax())])
    nearest = np.argmin([np.hypot(*(centres - b).T) for b in bases], axis=0)
    for platform in PLATFORMS:
        for j, base in enumerate(bases):
            worker = h.hire("platform_staff", township, (float(base[0]), float(base[1])), platform)
            for u in (g for g, n in zip(grids, nearest, strict=True) if n == j):
                h.assign(worker, str(u.code), "platform")
                h.staff.platform_for[(str(u.code), platform)] = worker
