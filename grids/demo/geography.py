"""The demo land: one Voronoi coverage of grid cells in metres, grouped bottom-up into divisions.

Every boundary at every level is an edge of that single Voronoi diagram, so neighbours share exactly
the same vertices; transforming each vertex to EPSG:4490 the same way keeps the coverage exact
(no slivers for the database's overlap check to find). Dedicated grids are holes cut wholly inside
one cell, with the same ring on both sides; a planted gap is a whole cell given to no grid.
"""

import heapq
import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from pyproj import Transformer
from shapely.geometry import Polygon

from gis.crs import METRIC_SRID, STORAGE_SRID
from grids.codes import level_of
from grids.demo.catalogue import (
    CITY_NAMES,
    COUNTY_STEMS,
    DEDICATED,
    PLACE_FIRST,
    PLACE_SECOND,
    ScaleSpec,
)  # fmt: skip

PROVINCE_CODE = "990000000000"
CENTRE = Transformer.from_crs(STORAGE_SRID, METRIC_SRID, always_xy=True).transform(119.9, 28.4)
_TO_STORAGE = Transformer.from_crs(METRIC_SRID, STORAGE_SRID, always_xy=True)


@dataclass
class DivisionRec:
    """A division to store; `geom` and `seat` (office or committee point) are in metres."""

    code: str
    level: str
    name: str
    parent_code: str | None
    geom: shapely.Geometry
    seat: tuple[float, float]
    kind: str = ""


@dataclass
class UnitRec:
    """A piece of a village in metres: a grid (ordinary or dedicated) or a planted gap (code None)."""

    code: str | None
    kind: str
    name: str
    village_code: str
    geom: Polygon


@dataclass
class Geography:
    """The demo land and what was planted in it."""

    divisions: list[DivisionRec]
    units: list[UnitRec]
    gap_villages: list[str]
    overloaded_village: str
    unstaffed_grids: list[str]


def to_storage(geoms: np.ndarray) -> np.ndarray:
    """Geometries in metres (EPSG:4549) to EPSG:4490, each vertex transformed independently."""
    return shapely.transform(geoms, lambda c: np.column_stack(_TO_STORAGE.transform(c[:, 0], c[:, 1])))


def build_geography(seed: int, spec: ScaleSpec) -> Geography:
    """Draw the cells and group them into cities, counties, townships and villages."""
    rng = np.random.default_rng([seed, 1])
    villages = spec.cities * spec.counties_per_city * spec.townships_per_county * spec.villages_per_township
    n = round(villages * spec.cells_per_village)
    area = n * spec.cell_km2 * 1e6
    outline = _outline(rng, math.sqrt(area / math.pi))
    towns = _points_in(rng, outline, villages // spec.villages_per_township)
    points = _seeds(rng, outline, n, towns, 0.15 * math.sqrt(area / len(towns)))
    return _Builder(rng, spec, _cells(_relax(points, outline), outline)).build()


def _outline(rng: np.random.Generator, radius: float) -> Polygon:
    t = np.linspace(0.0, 2 * math.pi, 256, endpoint=False)
    r = np.full_like(t, radius)
    for k, amplitude in ((2, 0.10), (3, 0.07), (5, 0.04)):
        r *= 1 + amplitude * np.sin(k * t + rng.uniform(0, 2 * math.pi))
    return Polygon(np.column_stack((CENTRE[0] + r * np.cos(t), CENTRE[1] + r * np.sin(t))))


def _points_in(rng: np.random.Generator, outline: Polygon, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = outline.bounds
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        c = rng.uniform((minx, miny), (maxx, maxy), size=(2 * n + 8, 2))
        found.append(c[shapely.contains_xy(outline, c[:, 0], c[:, 1])])
    return np.concatenate(found)[:n]


def _seeds(rng: np.random.Generator, outline: Polygon, n: int, towns: np.ndarray, sigma: float) -> np.ndarray:
    # Denser cells around towns (urban grids are small, mountain grids large): thin uniform points by
    # a density drawn on a raster, each town adding a bump of height `peak` to a base of 1.
    peak, step = 8.0, sigma / 3
    minx, miny, maxx, maxy = outline.bounds
    shape = (int((maxy - miny) / step) + 2, int((maxx - minx) / step) + 2)
    rho = np.ones(shape)
    reach = int(3 * sigma / step) + 1
    offsets = np.arange(-reach, reach + 1) * step
    bump = peak * np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma * sigma))
    padded = np.pad(rho, reach)
    for row, col in zip(
        ((towns[:, 1] - miny) / step).round().astype(int),
        ((towns[:, 0] - minx) / step).round().astype(int),
        strict=True,
    ):
        padded[row : row + 2 * reach + 1, col : col + 2 * reach + 1] += bump
    rho = np.minimum(padded[reach:-reach, reach:-reach], 1 + peak)
    kept: list[np.ndarray] = []
    while sum(len(k) for k in kept) < n:
        c = _points_in(rng, outline, 2 * n)
        here = rho[((c[:, 1] - miny) / step).astype(int), ((c[:, 0] - minx) / step).astype(int)]
        kept.append(c[rng.random(len(c)) * (1 + peak) < here])
    return np.concatenate(kept)[:n]


def _voronoi(points: np.ndarray, frame: Polygon) -> np.ndarray:
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
    return shapely.get_parts(diagram)


def _relax(points: np.ndarray, outline: Polygon, rounds: int = 2) -> np.ndarray:
    # Two Lloyd rounds remove the slivers of random points but keep the density gradient.
    shapely.prepare(outline)
    frame = outline.buffer(outline.length / 10)
    for _ in range(rounds):
        cells = _voronoi(points, frame)
        outside = ~shapely.within(cells, outline)
        cells[outside] = shapely.intersection(cells[outside], outline)
        moved = shapely.get_coordinates(shapely.centroid(cells))
        ok = shapely.contains_xy(outline, moved[:, 0], moved[:, 1])
        points = np.where(ok[:, None], moved, points)
    return points


def _cells(points: np.ndarray, outline: Polygon) -> np.ndarray:
    # A ring of discarded sites just outside the outline bounds the outer cells, so no cell is ever
    # clipped: clipping computes each shared corner twice, possibly not bit for bit the same.
    n = len(points)
    rough = _voronoi(points, outline.buffer(outline.length / 10))
    edge = shapely.intersects(rough, outline.exterior)
    spacing = float(np.median(np.sqrt(shapely.area(shapely.intersection(rough[edge], outline)))))
    ring = outline.buffer(spacing / 2).exterior
    count = max(16, math.ceil(ring.length / spacing))
    frame = shapely.get_coordinates(ring.interpolate(np.linspace(0, ring.length, count, endpoint=False)))
    everything = np.vstack((points, frame))
    cells = _voronoi(everything, shapely.box(*everything.min(0), *everything.max(0)).buffer(spacing * 4))[:n]
    cells = shapely.remove_repeated_points(shapely.transform(cells, lambda c: np.round(c, 3)))
    if not (shapely.is_valid(cells).all() and (shapely.get_type_id(cells) == 3).all()):
        raise RuntimeError("demo cells are not all valid polygons; try another seed")
    return cells


def _adjacency(cells: np.ndarray) -> list[list[int]]:
    coords, owner = shapely.get_coordinates(cells, return_index=True)
    _, vertex = np.unique(coords, axis=0, return_inverse=True)
    vertex = vertex.ravel()
    same = owner[1:] == owner[:-1]
    a, b = vertex[:-1][same], vertex[1:][same]
    key = np.minimum(a, b).astype(np.int64) * (int(vertex.max()) + 1) + np.maximum(a, b)
    cell = owner[:-1][same]
    order = np.argsort(key, kind="stable")
    key, cell = key[order], cell[order]
    pair = key[1:] == key[:-1]
    neighbours: list[list[int]] = [[] for _ in range(len(cells))]
    for u, v in zip(cell[:-1][pair].tolist(), cell[1:][pair].tolist(), strict=True):
        if u != v:
            neighbours[u].append(v)
            neighbours[v].append(u)
    return neighbours


def _kmeans(pts: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 10) -> np.ndarray:
    centres = [pts[rng.integers(len(pts))]]
    for _ in range(1, k):
        d2 = np.min([((pts - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(pts[rng.choice(len(pts), p=d2 / d2.sum())])
    c = np.array(centres)
    for _ in range(rounds):
        label = ((pts[:, None, :] - c[None, :, :]) ** 2).sum(2).argmin(1)
        for j in range(k):
            if (label == j).any():
                c[j] = pts[label == j].mean(0)
    return c


class _Builder:
    """Groups cells into connected divisions level by level, names and numbers them, plants faults."""

    def __init__(self, rng: np.random.Generator, spec: ScaleSpec, cells: np.ndarray) -> None:
        self.rng, self.spec, self.cells, self.neighbours = rng, spec, cells, _adjacency(cells)
        self.xy, self.areas = shapely.get_coordinates(shapely.centroid(cells)), shapely.area(cells)
        xy = self.xy
        self.xs, self.ys = xy[:, 0].tolist(), xy[:, 1].tolist()
        self.divisions: list[DivisionRec] = []
        self.village_cells: dict[str, np.ndarray] = {}
        self.cell_village = [""] * len(cells)

    def partition(self, members: np.ndarray, k: int) -> list[np.ndarray]:
        """Split connected cells into k connected groups of similar (not equal) numbers of cells.

        Sources come from k-means; then the groups take turns, each claiming the unclaimed cell
        nearest its source among those touching it, so every group stays connected.
        """
        k = min(k, len(members))
        pts = self.xy[members]
        d2 = ((pts[:, None, :] - _kmeans(pts, k, self.rng)[None, :, :]) ** 2).sum(2)
        sources: list[int] = []
        for j in range(k):
            sources.append(next(int(members[i]) for i in np.argsort(d2[:, j]) if members[i] not in sources))
        label = dict.fromkeys(members.tolist(), -1)
        rate = self.rng.uniform(0.7, 1.3, size=k)
        fronts: list[list[tuple[float, int]]] = [[(0.0, s)] for s in sources]
        turns = [(0.0, j) for j in range(k)]
        taken = [0] * k
        while turns:
            _, j = heapq.heappop(turns)
            front = fronts[j]
            while front and label[front[0][1]] != -1:
                heapq.heappop(front)
            if not front:
                continue  # boxed in by its neighbours: this group is done
            _, u = heapq.heappop(front)
            label[u] = j
            taken[j] += 1
            sx, sy = self.xs[sources[j]], self.ys[sources[j]]
            for v in self.neighbours[u]:
                if label.get(v, 0) == -1:
                    heapq.heappush(front, (math.hypot(self.xs[v] - sx, self.ys[v] - sy), v))
            heapq.heappush(turns, (taken[j] / rate[j], j))
        labels = np.array([label[m] for m in members.tolist()])
        groups = [members[labels == j] for j in range(k)]
        return sorted(groups, key=lambda g: float(self.xy[g, 0].mean()))  # codes run west→east

    def names(self, n: int) -> list[str]:
        """Distinct two-character place names."""
        pool = [a + b for a in PLACE_FIRST for b in PLACE_SECOND]
        return [pool[i] for i in self.rng.choice(len(pool), size=n, replace=False)]

    def add(self, code: str, name: str, members: np.ndarray, geom: Polygon, kind: str = "") -> DivisionRec:
        """Record a division; its seat is the middle of its most central cell."""
        centre = self.xy[members].mean(0)
        middle = members[((self.xy[members] - centre) ** 2).sum(1).argmin()]
        point = shapely.point_on_surface(self.cells[middle])
        level = level_of(code)
        parent = (
            None if level == "province" else code[: {"city": 2, "county": 4, "township": 6}.get(level, 9)]
        )
        rec = DivisionRec(code, level, name, parent and parent.ljust(12, "0"), geom, (point.x, point.y), kind)
        self.divisions.append(rec)
        return rec

    def build(self) -> Geography:
        """Build divisions top-down from the groups, polygons bottom-up from the cells."""
        spec = self.spec
        everything = np.arange(len(self.cells))
        province = self.add(PROVINCE_CODE, "示范省", everything, Polygon())
        city_polys = []
        for c, city in enumerate(self.partition(everything, spec.cities), start=1):
            code = f"99{c:02d}00000000"
            rec = self.add(code, f"{CITY_NAMES[c - 1]}市", city, Polygon())
            counties = []
            for k, county in enumerate(self.partition(city, spec.counties_per_city), start=1):
                counties.append(self.county(f"99{c:02d}{k:02d}000000", k, county))
            rec.geom = shapely.coverage_union_all(counties)
            city_polys.append(rec.geom)
        province.geom = shapely.coverage_union_all(city_polys)
        return self.plant()

    def county(self, code: str, k: int, members: np.ndarray) -> shapely.Geometry:
        """A county (the second of a city is its urban district) and everything under it."""
        district = k == 2
        name = f"{COUNTY_STEMS[(k - 1) % len(COUNTY_STEMS)]}{'区' if district else '县'}"
        rec = self.add(code, name, members, Polygon())
        groups = self.partition(members, self.spec.townships_per_county)
        density = np.array([self.areas[g].mean() for g in groups])
        rank = np.argsort(np.argsort(density))  # 0 = densest
        # The densest township is the county seat's 街道 (most are 街道 in a district), the sparsest are 乡.
        kinds = ["街道" if r == 0 or (district and r < 0.6 * len(groups)) else "镇" for r in rank]
        kinds = [
            "乡" if r >= 0.75 * len(groups) and t == "镇" else t for t, r in zip(kinds, rank, strict=True)
        ]
        starts = {"街道": 1, "镇": 101, "乡": 201}
        polys = []
        for group, kind, base in zip(groups, kinds, self.names(len(groups)), strict=True):
            t_code = f"{code[:6]}{starts[kind]:03d}000"
            starts[kind] += 1
            polys.append(self.township(t_code, f"{base}{kind}示范", kind, group))
        rec.geom = shapely.coverage_union_all(polys)
        return rec.geom

    def township(self, code: str, name: str, kind: str, members: np.ndarray) -> shapely.Geometry:
        """A township and its villages; the densest village is its seat and holds its office."""
        groups = self.partition(members, self.spec.villages_per_township)
        seat = int(np.argmin([self.areas[g].mean() for g in groups]))
        polys, starts = [], {"社区": 1, "村": 201}
        records = []
        for i, (group, base) in enumerate(zip(groups, self.names(len(groups)), strict=True)):
            v_kind = "社区" if kind == "街道" or (kind == "镇" and i == seat) else "村"
            v_code = f"{code[:9]}{starts[v_kind]:03d}"
            starts[v_kind] += 1
            geom = shapely.coverage_union_all(self.cells[group])
            records.append(self.add(v_code, f"{base}{v_kind}示范", group, geom, v_kind))
            self.village_cells[v_code] = group
            for i in group.tolist():
                self.cell_village[i] = v_code
            polys.append(geom)
        rec = self.add(code, name, members, shapely.coverage_union_all(polys), kind)
        rec.seat = records[seat].seat
        return rec.geom

    def plant(self) -> Geography:
        """Choose the planted faults and the dedicated grids, then cut the villages into units."""
        rng = self.rng
        villages = {d.code: d for d in self.divisions if d.level == "village"}
        big = [v for v in villages if len(self.village_cells[v]) >= 3]
        order = [big[i] for i in rng.permutation(len(big))]
        gaps: list[str] = []
        for v in order:
            if len(gaps) < 3 and all(g[:6] != v[:6] for g in gaps):
                gaps.append(v)
        for v in order:  # fewer counties than gaps: settle for distinct townships
            if len(gaps) < 3 and v not in gaps and all(g[:9] != v[:9] for g in gaps):
                gaps.append(v)
        urban_first = sorted(order, key=lambda v: villages[v].kind != "社区")
        overloaded = next(v for v in urban_first if all(g[:9] != v[:9] for g in gaps))
        gap_cells = {int(self.village_cells[v][self.areas[self.village_cells[v]].argmin()]) for v in gaps}
        calm = [
            i
            for i in rng.permutation(len(self.cells)).tolist()
            if i not in gap_cells and self.cell_village[i] not in (*gaps, overloaded)
        ]
        unstaffed_cells: list[int] = []
        for i in calm:
            if len(unstaffed_cells) < 4 and all(
                self.cell_village[j][:9] != self.cell_village[i][:9] for j in unstaffed_cells
            ):
                unstaffed_cells.append(i)
        weights = np.array([1 / self.areas[i] for i in calm])
        size = max(3, round(0.05 * len(self.cells)))
        chosen = [calm[i] for i in rng.choice(len(calm), size=size, replace=False, p=weights / weights.sum())]
        dedicated = {
            i: str(rng.choice(list(DEDICATED), p=[d[3] for d in DEDICATED.values()]))
            for i in chosen
            if i not in unstaffed_cells
        }
        units: list[UnitRec] = []
        unstaffed: list[str] = []
        for code, members in self.village_cells.items():
            for unit, cell in self.village_units(villages[code], members, gap_cells, dedicated):
                units.append(unit)
                if cell in unstaffed_cells and unit.kind == "ordinary" and unit.code:
                    unstaffed.append(unit.code)
        return Geography(self.divisions, units, gaps, overloaded, sorted(unstaffed))

    def village_units(
        self, village: DivisionRec, members: np.ndarray, gap_cells: set[int], dedicated: dict[int, str]
    ) -> list[tuple[UnitRec, int]]:
        """The village's grids numbered in reading order, then its gap if it has one, each with its cell."""
        grids: list[tuple[str, Polygon, int]] = []
        gap: list[tuple[UnitRec, int]] = []
        for i in members.tolist():
            cell = self.cells[i]
            if i in gap_cells:
                gap.append((UnitRec(None, "gap", f"{village.name}未划网格区域", village.code, cell), i))
            elif i in dedicated:
                hole = self.carve(cell, dedicated[i])
                grids.append(("ordinary", Polygon(cell.exterior.coords, [hole.exterior.coords]), i))
                grids.append((dedicated[i], hole, i))
            else:
                grids.append(("ordinary", cell, i))
        centres = shapely.get_coordinates(shapely.centroid([g[1] for g in grids]))
        units = []
        for seq, j in enumerate(reading_order(centres).tolist(), start=1):
            kind, geom, cell_id = grids[j]
            label = f"第{seq}网格" if kind == "ordinary" else f"{DEDICATED[kind][0]}专属网格"
            units.append(
                (
                    UnitRec(f"{village.code}{seq:03d}", kind, f"{village.name}{label}", village.code, geom),
                    cell_id,
                )
            )
        return units + gap

    def carve(self, cell: Polygon, kind: str) -> Polygon:
        """A rotated rectangle well inside the cell (within half its largest inscribed circle)."""
        _, width, height, _ = DEDICATED[kind]
        radius_line = shapely.maximum_inscribed_circle(cell, 1.0)
        (cx, cy), _ = shapely.get_coordinates(radius_line)
        scale = min(1.0, 0.5 * radius_line.length / math.hypot(width / 2, height / 2))
        w, h, a = width * scale / 2, height * scale / 2, self.rng.uniform(0, math.pi)
        rect = shapely.affinity.rotate(shapely.box(-w, -h, w, h), a, origin=(0, 0), use_radians=True)
        moved = shapely.affinity.translate(rect, cx, cy)
        return shapely.transform(moved, lambda c: np.round(c, 3))


def reading_order(centres: np.ndarray) -> np.ndarray:
    """Indexes of points in reading order: rows north→south, each row west→east.

    A row is as tall as the spread of the points divided by √n, so a later point is always either
    in a row further south (its y is lower) or further east in the same row.
    """
    n = len(centres)
    top, bottom = centres[:, 1].max(), centres[:, 1].min()
    height = (top - bottom) / max(1, round(math.sqrt(n))) or 1.0
    row = np.floor((top - centres[:, 1]) / height)
    return np.lexsort((centres[:, 0], row))
