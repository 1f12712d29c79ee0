"""About 90 days of cases before the demo's "now": every channel and status, hotspots, events.

Each county's cases are made on their own random stream (seed, county), so the loader can stream
them county by county. Times are whole seconds since the epoch until rows are written.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely

from grids.demo.catalogue import CATEGORIES, CHANNELS, HOTSPOTS, Category
from grids.demo.geography import Geography, to_storage
from grids.demo.staff import Blocks, Staff, synthetic_name, synthetic_phone
from grids.models.base import PLATFORMS

HOUR, DAY, LOCAL = 3600, 86400, 8 * 3600  # Asia/Shanghai has no daylight saving
HOURLY = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 11, 13, 13, 12, 10, 8, 7, 6, 4, 3, 2], float)
SATISFACTION = np.cumsum([0.02, 0.04, 0.10, 0.30])  # then 0.54 give 5
Event = tuple[
    int, str, str, str | None, str, str | None, dict[str, Any] | None
]  # at, actor, action, from, to


@dataclass(slots=True)
class Case:
    """One case being made, with its events (at, actor, action, from, to, reason, data)."""

    channel: str
    category: Category
    xy: tuple[float, float] | None
    reported: int
    received: int
    source: int = -1  # the household block the case was scattered from
    local: int = 0
    township: str = ""
    village: str | None = None
    grid: str | None = None
    worker: int | None = None
    assigned_by: str | None = "inside"
    status: str = "received"
    address: str = ""
    description: str = ""
    reporter: int | None = None
    satisfaction: int | None = None
    closed_at: int | None = None
    dup_of: "Case | None" = None
    dues: tuple[int, ...] = ()
    lonlat: tuple[float, float] | None = None
    events: list[Event] = field(default_factory=list)


@dataclass
class CountyCases:
    """A county's cases with local ids (from 0), their reporters and their events."""

    county: str
    cases: list[Case]
    people: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        """How many events the county's cases went through."""
        return sum(len(c.events) for c in self.cases)

    def rows(self, case_first: int, event_first: int, person_first: int) -> tuple[list[tuple[Any, ...]], ...]:
        """People, cases, intake keys and events as rows, with the ids the loader reserved."""
        stamps = {t for c in self.cases for t in (c.reported, c.received, *c.dues, *(e[0] for e in c.events))}
        at = {s: datetime.fromtimestamp(s, UTC).isoformat() for s in stamps}  # COPY takes the text
        points = shapely.set_srid(shapely.points([c.lonlat for c in self.cases if c.lonlat]), 4490)
        hexes = iter(shapely.to_wkb(points, hex=True, include_srid=True).tolist())
        people = [(person_first + i, name, phone) for i, name, phone in self.people]
        cases, keys, events = [], [], []
        eid = event_first
        for c in self.cases:
            cid, cat = case_first + c.local, c.category
            raw = CHANNELS[c.channel].raw_crs if c.lonlat else None
            lon, lat = c.lonlat if c.lonlat and raw else (None, None)
            # fmt: off
            cases.append((
                self.county, cid, c.channel, cat.code, c.description, c.address,
                at[c.reported], at[c.received], lon, lat, raw, next(hexes) if c.lonlat else None,
                c.township, c.village, c.grid, c.worker,
                cat.platform_code, c.status, c.assigned_by, 0.0 if c.assigned_by == "inside" else None,
                *(at[d] for d in c.dues), None if c.closed_at is None else at[c.closed_at],
                None if c.dup_of is None else case_first + c.dup_of.local, c.satisfaction,
                None if c.reporter is None else person_first + c.reporter, at[c.events[-1][0]],
            ))
            # fmt: on
            day = datetime.fromtimestamp(c.reported + LOCAL, UTC).strftime("%Y%m%d")
            external = f"{CHANNELS[c.channel].prefix}{day}{self.county[2:6]}{c.local:07d}"
            keys.append((c.channel, external, self.county, cid))
            for t, actor, action, before, after, reason, data in c.events:
                events.append(
                    (self.county, eid, cid, at[t], None, actor, action, before, after, reason, data)
                )
                eid += 1
        return people, cases, keys, events


class CaseMaker:
    """Makes a county's cases from the land, the blocks and the staff."""

    def __init__(self, geo: Geography, blocks: Blocks, staff: Staff, as_of: datetime, seed: int) -> None:
        self.blocks, self.staff, self.seed, self.units = blocks, staff, seed, geo.units
        self.now = int(as_of.timestamp())
        self.names = {d.code: d.name for d in geo.divisions}
        self.geoms = np.array([u.geom for u in geo.units], dtype=object)
        county_of_unit = np.array([u.village_code[:6] for u in geo.units])
        self.block_county = county_of_unit[blocks.unit]
        self.gap_block = np.array([u.code is None for u in geo.units])[blocks.unit]
        self.county_units = {c: np.flatnonzero(county_of_unit == c) for c in np.unique(county_of_unit)}
        # Grid codes ranked so the lowest code wins a shared edge; gaps rank last.
        codes = [u.code or "9" * 16 for u in geo.units]
        self.rank = np.argsort(np.argsort(codes, kind="stable"), kind="stable")
        self.by_rank = np.argsort(codes, kind="stable")
        # Category probabilities per channel (platform mix × frequency) and per hotspot kind.
        index = {c.code: i for i, c in enumerate(CATEGORIES)}
        frequency = np.array([c.frequency for c in CATEGORIES])
        platform = np.array([PLATFORMS.index(c.platform_code) for c in CATEGORIES])
        within = frequency / np.bincount(platform, weights=frequency)[platform]
        self.channel_mix = np.array([np.array(ch.platforms)[platform] * within for ch in CHANNELS.values()])
        self.spot_mix = np.zeros((len(HOTSPOTS), len(CATEGORIES)))
        for k, (_, weights) in enumerate(HOTSPOTS.values()):
            for code, w in weights.items():
                self.spot_mix[k, index[code]] = w
        self.spot_mix /= self.spot_mix.sum(1, keepdims=True)

    def counts(self, total: int) -> dict[str, int]:
        """Cases per county (12-digit code), in proportion to households, summing to `total`."""
        counties = sorted(self.county_units)
        weight = np.array([self.blocks.households[self.block_county == c].sum() for c in counties], float)
        exact = total * weight / weight.sum()
        n = np.floor(exact).astype(int)
        n[np.argsort(n - exact)[: total - n.sum()]] += 1
        return {c + "000000": int(k) for c, k in zip(counties, n, strict=True)}

    def county(self, county: str, n: int) -> CountyCases:
        """The cases of one county, sorted by time of receipt, with their events."""
        rng = np.random.default_rng([self.seed, 4, int(county)])
        key = county[:6]
        mine = np.flatnonzero((self.block_county == key) & ~self.gap_block)
        gaps = np.flatnonzero((self.block_county == key) & self.gap_block)
        self.tree, self.key = shapely.STRtree(self.geoms[self.county_units[key]]), key
        gap_count = int(rng.integers(4, 8)) * len(set(self.blocks.unit[gaps].tolist()))
        dup_count = round(0.02 * n)
        cases = self._base(rng, n - gap_count - dup_count, mine)
        cases += self._duplicates(rng, cases, dup_count)
        cases += self._gap_cases(rng, gaps, gap_count)
        cases.sort(key=lambda c: (c.received, c.reported))
        pool = [(synthetic_name(rng, i + 1), synthetic_phone(rng)) for i in range(max(20, n // 3))]
        lonlat = to_storage(shapely.points([c.xy for c in cases if c.xy is not None]))
        coords = iter(np.round(shapely.get_coordinates(lonlat), 7).tolist())
        draws = rng.random((len(cases), 32)).tolist()  # the lifecycle's random numbers, drawn at once
        reporters: dict[int, int] = {}  # index in the pool -> local person id, in order of first report
        for i, c in enumerate(cases):
            u = iter(draws[i])
            c.local = i
            c.lonlat = None if c.xy is None else tuple(next(coords))
            if next(u) < CHANNELS[c.channel].with_reporter:
                regular = next(u) < 0.1  # a few people report again and again
                chosen = int(next(u) * (len(pool) // 20 + 1 if regular else len(pool)))
                c.reporter = reporters.setdefault(chosen, len(reporters))
            self._describe(c, next(u))
            self._lifecycle(c, u)
        return CountyCases(county, cases, [(local, *pool[i]) for i, local in reporters.items()])

    def _hotspots(self, rng: np.random.Generator, mine: np.ndarray) -> list[tuple[int, str, int, float]]:
        # (kind index, place name, block index, strength): 3–5 per township, each at a household block.
        spots, places = [], [name for name, _ in HOTSPOTS.values()]
        townships = np.array([self.units[u].village_code[:9] for u in self.blocks.unit[mine].tolist()])
        for t in sorted(set(townships.tolist())):
            here = mine[townships == t]
            for kind in rng.choice(len(HOTSPOTS), size=int(rng.integers(3, 6)), replace=False).tolist():
                b = int(rng.choice(here))
                name = self.names[self.units[self.blocks.unit[b]].village_code] + places[kind]
                spots.append((kind, name, b, float(rng.uniform(0.5, 2.0))))
        return spots

    def _times(self, rng: np.random.Generator, patrol: np.ndarray) -> np.ndarray:
        midnight = (self.now + LOCAL) // DAY * DAY - LOCAL
        n = len(patrol)
        day = rng.integers(0, 90, size=n)
        second = rng.choice(24, size=n, p=HOURLY / HOURLY.sum()) * HOUR + rng.integers(0, HOUR, size=n)
        second[patrol] = rng.integers(8 * HOUR + 1800, 17 * HOUR + 1800, size=int(patrol.sum()))
        weekday = ((midnight + LOCAL) // DAY - day + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
        day[patrol] += np.maximum(weekday[patrol] - 4, 0)  # patrols happen on weekdays
        t = midnight - day * DAY + second
        late = t > self.now - 600
        t[late] = self.now - rng.integers(600, 6 * HOUR, size=int(late.sum()))
        return t

    def _locate(self, xy: np.ndarray, fallback: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Points moved back to their block when off the map or in a gap, and the grid of each.

        A point on an edge shared by several grids goes to the lowest code.
        """
        points, units = self.tree.query(shapely.points(xy), predicate="intersects")
        rank = self.rank[self.county_units[self.key][units]]
        best = np.full(len(xy), len(self.rank))
        np.minimum.at(best, points, rank)
        found = self.by_rank[np.minimum(best, len(self.rank) - 1)]
        moved = (best == len(self.rank)) | np.array(
            [self.units[i].code is None for i in found.tolist()], bool
        )
        xy = np.where(moved[:, None], self.blocks.xy[fallback], xy)
        best[moved] = self.rank[self.blocks.unit[fallback[moved]]]
        return xy, [str(self.units[i].code) for i in self.by_rank[best].tolist()]

    def _new(self, channel: str, category: Category, xy: list[float], t: int, delay: int, grid: str) -> Case:
        c = Case(channel, category, (xy[0], xy[1]), t, min(self.now, t + delay))
        c.grid, c.village, c.township = grid, grid[:12], grid[:9] + "000"
        c.worker = self.staff.primary.get(grid)
        return c

    def _delays(self, rng: np.random.Generator, channels: np.ndarray) -> np.ndarray:
        low, high = np.array([ch.delay_s for ch in CHANNELS.values()]).T
        return rng.integers(low[channels], high[channels])

    def _base(self, rng: np.random.Generator, n: int, mine: np.ndarray) -> list[Case]:
        spots = self._hotspots(rng, mine)
        names = list(CHANNELS)
        channel = rng.choice(len(names), size=n, p=[ch.share for ch in CHANNELS.values()])
        times = self._times(rng, channel == names.index("patrol"))
        strength = np.array([s[3] for s in spots])
        at_spot = rng.random(n) < 0.35
        spot = rng.choice(len(spots), size=n, p=strength / strength.sum())
        kind, spot_block = np.array([s[0] for s in spots]), np.array([s[2] for s in spots])
        mix = np.where(at_spot[:, None], self.spot_mix[kind[spot]], self.channel_mix[channel])
        category = np.minimum((mix.cumsum(1) < rng.random(n)[:, None]).sum(1), len(CATEGORIES) - 1)
        weight = self.blocks.households[mine] / self.blocks.households[mine].sum()
        source = np.where(at_spot, spot_block[spot], rng.choice(mine, size=n, p=weight))
        spread = np.where(at_spot, 60.0, 25.0)[:, None]
        xy, grids = self._locate(self.blocks.xy[source] + rng.normal(0, 1, size=(n, 2)) * spread, source)
        delay, flags = self._delays(rng, channel), rng.random((n, 3))
        cases = []
        rows = zip(xy.tolist(), times.tolist(), delay.tolist(), flags.tolist(), strict=True)
        for i, (x, t, d, f) in enumerate(rows):
            c = self._new(names[channel[i]], CATEGORIES[category[i]], x, t, d, grids[i])
            c.address, c.source = spots[spot[i]][1] if at_spot[i] else "", int(source[i])
            if c.channel == "hotline12345" and t > self.now - 2 * DAY and f[0] < 0.3:
                c.xy, c.village, c.grid, c.worker, c.assigned_by = None, None, None, None, None
                c.status = "to_locate"
            elif f[1] < 0.015:
                c.assigned_by = "manual" if f[2] < 0.6 else "pinned"
            cases.append(c)
        return cases

    def _duplicates(self, rng: np.random.Generator, cases: list[Case], n: int) -> list[Case]:
        # A second report of the same problem: near the first, within its category's window; merged.
        originals = [c for c in cases if c.xy is not None and c.channel != "patrol"]
        picked = [originals[i] for i in rng.permutation(len(originals)).tolist()]
        window = np.array([o.category.duplicate_window_hours for o in picked]) * HOUR
        t = np.array([o.received for o in picked]) + (rng.uniform(0.2, 0.8, len(picked)) * window).astype(int)
        keep = np.flatnonzero(t <= self.now - 600)[:n]
        picked = [picked[i] for i in keep.tolist()]
        reach = np.array([min(40.0, 0.3 * o.category.duplicate_radius_m) for o in picked])[:, None]
        xy = np.array([o.xy for o in picked]).reshape(-1, 2) + rng.uniform(-1, 1, (len(picked), 2)) * reach
        xy, grids = self._locate(xy, np.array([o.source for o in picked], dtype=int))
        names = ["hotline12345", "minqing", "zwfw", "open311"]
        channel = np.array([list(CHANNELS).index(c) for c in names])[rng.integers(0, 4, len(picked))]
        dups = []
        for i, o in enumerate(picked):
            d = int(self._delays(rng, channel[i : i + 1])[0])
            c = self._new(
                list(CHANNELS)[channel[i]], o.category, xy[i].tolist(), int(t[keep[i]]), d, grids[i]
            )
            c.address, c.dup_of, c.source = o.address, o, o.source
            dups.append(c)
        return dups

    def _gap_cases(self, rng: np.random.Generator, gaps: np.ndarray, n: int) -> list[Case]:
        # Reported in the last week from land no grid covers: they wait in the township's queue.
        cases = []
        for b in rng.choice(gaps, size=n).tolist() if n else []:
            channel = str(rng.choice(["minqing", "hotline12345", "pingan", "village_centre"]))
            t = self.now - int(rng.integers(HOUR, 7 * DAY))
            delay = int(rng.integers(*CHANNELS[channel].delay_s))
            category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            c = Case(channel, category, tuple(self.blocks.xy[b].tolist()), t, min(self.now, t + delay))
            village = self.units[self.blocks.unit[b]].village_code
            c.village, c.township, c.assigned_by = village, village[:9] + "000", "outside"
            cases.append(c)
        return cases

    def _describe(self, c: Case, u: float) -> None:
        township = self.names[c.township]
        if c.status == "to_locate":
            c.address = f"{township}{1 + int(u * 19)}号路附近"
        else:
            c.address = f"{township}{c.address or self.names[str(c.village)]}{1 + int(u * 299)}号"
        c.description = f"{c.category.name_zh}：{c.category.example}（示例数据）"

    def _lifecycle(self, c: Case, u: Iterator[float]) -> None:
        cat, t = c.category, c.received
        hours = (cat.receive_hours, cat.dispatch_hours, cat.handle_hours, cat.reply_hours)
        limits = [int(h * HOUR) for h in hours]
        c.dues = tuple(int(d) for d in np.cumsum(limits) + t)  # each stage's deadline, from receipt
        first = "to_locate" if c.status == "to_locate" else "received"
        c.events = [(t, CHANNELS[c.channel].receiver, "receive", None, first, None, None)]
        if c.status == "to_locate" or c.assigned_by == "outside":
            return
        desk = f"{self.names[c.township]}四平台指挥室"
        handler_id = self.staff.platform_for.get((str(c.grid), cat.platform_code), c.worker)
        handler = desk if handler_id is None else self.staff.staff_no[handler_id]
        worker = desk if c.worker is None else self.staff.staff_no[c.worker]

        def within(limit: int, late: float) -> int:  # mostly in time, sometimes up to 2.5 times late
            on_time = next(u) > late
            return int(limit * (0.05 + 0.85 * next(u) if on_time else 1.05 + 1.45 * next(u)))

        def between(low: int, high: int) -> int:
            return low + int(next(u) * (high - low))

        fate = next(u)
        plan: list[tuple[int, str, str, str, str | None]]
        accept = (within(limits[0], 0.08), desk, "accept", "accepted", None)
        if c.dup_of is not None:
            plan = [(between(300, 2 * HOUR), desk, "merge", "merged", "重复事件，已合并")]
        elif fate < 0.03:
            plan = [(within(limits[0], 0.05), desk, "reject", "rejected", "不属于受理范围或信息不全")]
        elif fate < 0.045:
            plan = [accept, (within(limits[1], 0.1), desk, "transfer", "transferred", "移交县级职能部门")]
        else:
            plan = [accept, (within(limits[1], 0.1), desk, "dispatch", "dispatched", None)]
            young = c.received > self.now - 30 * DAY
            if young and next(u) < (0.08 if cat.escalation_level == "county" else 0.01):
                plan.append((within(limits[2] // 3, 0.1), desk, "escalate", "escalated", "超出乡镇处置权限"))
            else:
                plan += [
                    (between(180, 2 * HOUR), handler, "sign", "signed", None),
                    (within(limits[2], 0.12), handler, "handle", "handled", None),
                    (within(limits[3], 0.1), desk, "reply", "replied", None),
                    (between(HOUR, DAY), worker, "verify", "verified", None),
                    (between(600, 6 * HOUR), desk, "close", "closed", None),
                ]
                if c.reporter is not None and next(u) < 0.7:
                    plan.append((between(2 * HOUR, 3 * DAY), "群众评价", "evaluate", "evaluated", None))
                if next(u) < 0.03:  # stalled between dispatch and handling: overdue
                    plan = plan[: between(2, 5)]
        for delay, actor, action, status, reason in plan:
            if t + delay > self.now:
                break
            t += delay
            data: dict[str, Any] | None = None
            if action == "dispatch":
                data = {"platform": cat.platform_code, "worker_id": handler_id}
            elif action == "evaluate":
                c.satisfaction = 1 + int(np.searchsorted(SATISFACTION, next(u)))
                data = {"satisfaction": c.satisfaction}
            c.events.append((t, actor, action, c.status, status, reason, data))
            c.status = status
            if action in ("close", "reject", "merge", "transfer"):
                c.closed_at = t
        if c.status != "merged":
            c.dup_of = None
