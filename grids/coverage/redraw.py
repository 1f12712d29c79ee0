"""Redraw proposals for overloaded villages: the ground of a village's ordinary grids regionalised into
contiguous grids within a households floor and cap, stored as a draft to validate, diff and publish.

The draft is scoped to the village (publishing it carries the rest of the county over unchanged, as
any narrower draft does): its dedicated grids are copied as they are, its ordinary grids replaced by
the proposal's. The new grids carry no code; publishing settles them as every redraw does (a grid
covering mostly the ground of an old one keeps its code, the others get new numbers), and the
proposal lists the codes they would get if published now.
"""

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from gis.regions import cut_ground, dissolve, node_shapes, node_weights, split_nodes
from grids.boundaries.access import require_planner
from grids.boundaries.drafts import draft_from_active
from grids.boundaries.history import LOCAL
from grids.boundaries.plan import make_plan
from grids.boundaries.validate import Report, validate_draft
from grids.codes import division_code, level_of
from grids.errors import InvalidInput, NotFound
from grids.models import Division, Generation, Grid
from grids.users import Principal

MOST_HOUSEHOLDS = 1_000_000
"""Upper limit of a floor or cap (no grid holds a million households)."""

_GRIDS = text("""
SELECT g.id, g.code, g.kind, ST_AsBinary(g.geom)
FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active'
WHERE g.village_code = :v ORDER BY g.code
""")
_BLOCKS = text("""
SELECT id, coalesce(label, ''), households, ST_AsBinary(geom)
FROM household_blocks WHERE ST_Covers(ST_GeomFromWKB(:ground, 4490), geom) ORDER BY id
""")
_DROP_ORDINARY = text("DELETE FROM grids WHERE generation_id = :g AND kind = 'ordinary'")
_RENAME = text("UPDATE grids SET name = :name WHERE id = :id")


@dataclass(frozen=True)
class ProposedGrid:
    """A grid of the proposal: its draft row, the code publishing would give it, its households."""

    grid_id: int
    code: str
    code_source: str
    households: int


@dataclass(frozen=True)
class RedrawProposal:
    """A stored redraw draft: its grids, whether floor and cap hold, why not, and its validation."""

    generation_id: int
    name: str
    village_code: str
    floor: int
    cap: int
    households: int
    grids: list[ProposedGrid]
    kept: list[str]
    replaced: list[str]
    cap_holds: bool
    floor_holds: bool
    message_zh: str
    message_en: str
    validation: Report

    @property
    def min_households(self) -> int:
        """Households of the smallest proposed grid."""
        return min(g.households for g in self.grids)

    @property
    def max_households(self) -> int:
        """Households of the largest proposed grid."""
        return max(g.households for g in self.grids)


@dataclass(frozen=True)
class _Blocks:
    labels: list[str]
    households: np.ndarray
    points: np.ndarray


def propose_redraw(
    session: Session, *, village_code: str, caller: Principal, floor: int = 300, cap: int = 500
) -> RedrawProposal:
    """Regionalise a village's ordinary grids into contiguous grids of `floor`–`cap` households (a draft)."""
    require_planner(caller)
    _check_bounds(floor, cap)
    village = _village(session, village_code, caller)
    rows = session.execute(_GRIDS, {"v": village.code}).all()
    ordinary = [r for r in rows if r[2] == "ordinary"]
    if not ordinary:
        raise InvalidInput(
            f"村社区{village.code}没有可重划的综合网格 (village {village.code} has no active ordinary grid "
            "to redraw)",
            field="village_code",
        )
    ground = _ground([shapely.from_wkb(bytes(r[3])) for r in ordinary])
    blocks = _blocks(session, ground)
    if not len(blocks.points):
        raise InvalidInput(
            f"村社区{village.code}的综合网格内没有户数点，无从均衡 (village {village.code} has no household "
            "block in its ordinary grids, so there is nothing to balance)",
            field="village_code",
        )
    pieces = cut_ground(blocks.points, ground)
    weights = node_weights(pieces, blocks.points, blocks.households)
    split = split_nodes(node_shapes(pieces), weights, floor=floor, cap=cap)
    regions = dissolve(pieces, split.labels)
    generation = _store(session, village, regions, caller, floor=floor, cap=cap)
    report = validate_draft(session, generation=generation)
    grids = _proposed(session, generation, report, village.name)
    sizes = [g.households for g in grids]
    cap_holds, floor_holds = max(sizes) <= cap, min(sizes) >= floor
    zh, en = _message(blocks, sizes, floor=floor, cap=cap, widened=split.widened)
    return RedrawProposal(
        generation_id=generation.id,
        name=generation.name,
        village_code=village.code,
        floor=floor,
        cap=cap,
        households=int(blocks.households.sum()),
        grids=grids,
        kept=[r[1] for r in rows if r[2] != "ordinary"],
        replaced=[r[1] for r in ordinary],
        cap_holds=cap_holds,
        floor_holds=floor_holds,
        message_zh=zh,
        message_en=en,
        validation=report,
    )


def _check_bounds(floor: int, cap: int) -> None:
    if not 1 <= cap <= MOST_HOUSEHOLDS:
        raise InvalidInput(
            f"户数上限须为1–{MOST_HOUSEHOLDS:,}户 (cap {cap} must be 1–{MOST_HOUSEHOLDS:,} households)",
            field="cap",
        )
    if not 0 <= floor <= cap:
        raise InvalidInput(
            f"户数下限须在0与上限{cap}户之间 (floor {floor} must be 0–{cap} households, at most the cap)",
            field="floor",
        )


def _village(session: Session, raw: str, caller: Principal) -> Division:
    code = division_code(raw, field="village_code")
    if level_of(code) != "village":
        raise InvalidInput(
            f"须为村/社区的12位代码 (village_code {raw!r} names a {level_of(code)}, not a village: give the "
            "12-digit code of a village or community)",
            field="village_code",
        )
    if not caller.sees(code):
        raise NotFound(f"辖区内无此村社区 (no village {code} in your jurisdiction)")
    village = session.get(Division, code)
    if village is None:
        raise InvalidInput(
            f"村社区代码{code}不存在 (village {code} is not a known division)", field="village_code"
        )
    return village


def _ground(grids: list[shapely.Geometry]) -> shapely.Geometry:
    """The ground the ordinary grids cover: their exact union where they tile, a full union otherwise."""
    ground = shapely.coverage_union_all(grids)
    return ground if shapely.is_valid(ground) else shapely.union_all(grids)


def _blocks(session: Session, ground: shapely.Geometry) -> _Blocks:
    rows = session.execute(_BLOCKS, {"ground": shapely.to_wkb(ground)}).all()
    return _Blocks(
        labels=[r[1] or f"#{r[0]}" for r in rows],
        households=np.array([int(r[2]) for r in rows], dtype=np.int64),
        points=np.asarray(shapely.from_wkb([bytes(r[3]) for r in rows]), dtype=object),
    )


def _store(
    session: Session, village: Division, regions: np.ndarray, caller: Principal, *, floor: int, cap: int
) -> Generation:
    """A draft of the village: its active grids copied, the ordinary ones replaced by the regions."""
    generation, _ = draft_from_active(
        session, scope=village.code, name=_free_name(session, village), caller=caller
    )
    generation.description = f"redraw proposal: {floor}–{cap} households per ordinary grid (重划方案)"
    session.execute(_DROP_ORDINARY, {"g": generation.id})
    session.execute(
        insert(Grid),
        [
            {
                "generation_id": generation.id,
                "code": "",
                "name": f"{village.name}重划网格{i}",
                "kind": "ordinary",
                "village_code": village.code,
                "geom": WKBElement(shapely.to_wkb(region), srid=STORAGE_SRID),
            }
            for i, region in enumerate(regions, start=1)
        ],
    )
    session.flush()
    return generation


def _free_name(session: Session, village: Division) -> str:
    """The village's name, code and today's date (China time), numbered if already taken."""
    stem = f"{village.name}{village.code}重划{datetime.now(LOCAL):%Y-%m-%d}"
    taken = set(session.scalars(select(Generation.name).where(Generation.name.like(f"{stem}%"))))
    return next(
        name for n in range(1, len(taken) + 2) if (name := stem if n == 1 else f"{stem}-{n}") not in taken
    )


def _proposed(
    session: Session, generation: Generation, report: Report, village_name: str
) -> list[ProposedGrid]:
    """The new grids under the codes publishing would give them, named after those codes."""
    assert report.data is not None
    plan = make_plan(session, generation=generation, draft=report.data)
    households = dict(zip(report.data.ids, report.data.households, strict=True))
    kinds = dict(zip(report.data.ids, report.data.kinds, strict=True))
    grids = sorted(
        (
            ProposedGrid(c.draft_id, c.code, c.code_source, households[c.draft_id])
            for c in plan.changes
            if c.draft_id is not None and kinds[c.draft_id] == "ordinary"
        ),
        key=lambda g: g.code,
    )
    session.execute(
        _RENAME, [{"id": g.grid_id, "name": f"{village_name}第{int(g.code[-3:])}网格"} for g in grids]
    )
    return grids


def _message(blocks: _Blocks, sizes: list[int], *, floor: int, cap: int, widened: bool) -> tuple[str, str]:
    """Chinese and English: that every grid lies within floor–cap, or why some cannot."""
    n, low, high = len(sizes), min(sizes), max(sizes)
    if low >= floor and high <= cap:
        return (
            f"全部{n}个综合网格户数均在{floor}–{cap}户之间（{low}–{high}户）",
            f"all {n} ordinary grids hold {floor}–{cap} households ({low}–{high})",
        )
    reasons = _reasons(blocks, floor=floor, cap=cap)
    if not reasons:
        reasons = [
            (
                "在连片约束下未找到每格户数均在范围内的划分，给出的是放宽范围后最接近的方案"
                if widened
                else "部分综合网格所在的连片区域户数不足下限",
                "no contiguous split with every grid in range was found; this is the closest after widening"
                if widened
                else "a detached part of the ground holds fewer households than the floor",
            )
        ]
    zh = f"{n}个综合网格户数为{low}–{high}户，未能全部落在{floor}–{cap}户之间：" + "；".join(
        r[0] for r in reasons
    )
    en = f"the {n} ordinary grids hold {low}–{high} households, not all within {floor}–{cap}: " + "; ".join(
        r[1] for r in reasons
    )
    return zh, en


def _reasons(blocks: _Blocks, *, floor: int, cap: int) -> list[tuple[str, str]]:
    """Why no split can hold floor and cap: blocks above the cap, too few households, no count that fits."""
    reasons = []
    heavy = np.flatnonzero(blocks.households > cap)
    for i in heavy[:5].tolist():
        label, h = blocks.labels[i], int(blocks.households[i])
        reasons.append(
            (
                f"户数点{label}单独就有{h}户，超过上限{cap}户，其所在网格必然超限",
                f"block {label} alone holds {h} households, above the cap {cap}, so its grid must exceed it",
            )
        )
    if len(heavy) > 5:
        reasons.append(
            (f"另有{len(heavy) - 5}个户数点超过上限", f"{len(heavy) - 5} more blocks exceed the cap")
        )
    total = int(blocks.households.sum())
    fewest = math.ceil(total / cap)
    most = total // floor if floor else fewest
    if total < floor:
        reasons.append(
            (
                f"综合网格范围内共{total}户，不足下限{floor}户",
                f"the ordinary grids hold {total} households in all, fewer than the floor {floor}",
            )
        )
    elif most < fewest:
        reasons.append(
            (
                f"{total}户无法分成每格{floor}–{cap}户：分{most}格则超过上限，分{fewest}格则不足下限",
                f"{total} households cannot make grids of {floor}–{cap}: {most} grids exceed the cap, "
                f"{fewest} fall short of the floor",
            )
        )
    return reasons
