"""The one catalogue of map layers: every output (OGC API Features, vector tiles, TileJSON, pydeck)
reads its layers from here, so a property is published everywhere or nowhere.

No layer carries personal data: names and phones of people never appear; workers are named by
staff number, cases carry neither description, address nor reporter.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from grids.coverage.gaps import Rules
from grids.errors import Forbidden, NotFound
from grids.users import Principal

PropertyType = Literal["string", "integer", "number", "boolean", "datetime"]


@dataclass(frozen=True)
class Property:
    """A published attribute: name in the read-model, JSON type, bilingual title, whether tiles carry it."""

    name: str
    type: PropertyType
    title: str
    in_tiles: bool = True


@dataclass(frozen=True)
class Layer:
    """A map layer: identity, titles, its read-model in `grids.features`, properties, zooms and time."""

    id: str
    title_zh: str
    title_en: str
    description: str
    source: str
    properties: tuple[Property, ...]
    geometry_type: Literal["MultiPolygon", "Point"]
    min_zoom: int
    max_zoom: int
    params: Mapping[str, Any] = field(default_factory=dict)
    temporal: tuple[str, str | None] | None = None
    tile_filters: Mapping[str, str] = field(default_factory=dict)
    cluster_below: int | None = None
    cluster_flags: tuple[str, ...] = ()
    roles: tuple[str, ...] | None = None
    editable: bool = False

    @property
    def title(self) -> str:
        """Chinese title with the English beside it."""
        return f"{self.title_zh} {self.title_en}"

    @property
    def names(self) -> tuple[str, ...]:
        """Every published property name, in catalogue order."""
        return tuple(p.name for p in self.properties)

    @property
    def tile_names(self) -> tuple[str, ...]:
        """The property names vector tiles carry."""
        return tuple(p.name for p in self.properties if p.in_tiles)


def _division(level: str) -> tuple[Property, ...]:
    return (
        Property("code", "string", "统计用区划代码 Division code"),
        Property("name", "string", "名称 Name"),
        Property("level", "string", "层级 Level", in_tiles=False),
        Property("parent_code", "string", "上级代码 Parent code", in_tiles=level != "county"),
        Property("households", "integer", "户数 Households"),
        Property("population", "integer", "人口 Population"),
    )


GRID_PROPERTIES = (
    Property("code", "string", "网格编码 Grid code"),
    Property("name", "string", "网格名称 Grid name"),
    Property("kind", "string", "网格类型 Kind (ordinary / dedicated)"),
    Property("village_code", "string", "村（社区）代码 Village code"),
    Property("township_code", "string", "乡镇（街道）代码 Township code"),
    Property("generation_id", "integer", "网格版本 Generation", in_tiles=False),
    Property("valid_from", "datetime", "启用时间 Valid from", in_tiles=False),
    Property("valid_to", "datetime", "停用时间 Valid to (open if empty)", in_tiles=False),
    Property("households", "integer", "户数 Households"),
    Property("population", "integer", "人口 Population"),
    Property("workers", "integer", "网格员数 Grid workers now (head, primary, backup)"),
    Property("primary_staff_no", "string", "专职网格员工号 Primary worker's staff number"),
    Property("open_cases", "integer", "未办结事件 Open cases"),
    Property("unassigned_cases", "integer", "未分派事件 Unassigned open cases"),
    Property("load", "number", "人均待办 Open cases per worker"),
)

CASE_PROPERTIES = (
    Property("id", "integer", "事件编号 Case id"),
    Property("county_code", "string", "县（市、区）代码 County code", in_tiles=False),
    Property("township_code", "string", "乡镇（街道）代码 Township code", in_tiles=False),
    Property("village_code", "string", "村（社区）代码 Village code", in_tiles=False),
    Property("grid_code", "string", "网格编码 Grid code"),
    Property("category_code", "string", "事件类别 Category"),
    Property("category_name", "string", "类别名称 Category name"),
    Property("platform_code", "string", "责任平台 Platform"),
    Property("channel", "string", "来源渠道 Channel", in_tiles=False),
    Property("status", "string", "状态 Status"),
    Property("open", "boolean", "未办结 Open"),
    Property("unassigned", "boolean", "未分派 Unassigned"),
    Property("worker_staff_no", "string", "责任网格员工号 Responsible worker's staff number"),
    Property("assigned_by", "string", "落格方式 How the grid was found", in_tiles=False),
    Property("reported_at", "datetime", "上报时间 Reported at"),
    Property("handle_due", "datetime", "办理时限 Handling due", in_tiles=False),
    Property("closed_at", "datetime", "办结时间 Closed at", in_tiles=False),
    Property("overdue", "boolean", "已超时 Overdue"),
)

GAP_PROPERTIES = (
    Property("kind", "string", "缺口类型 Kind"),
    Property("severity", "string", "严重程度 Severity (high / medium / low)"),
    Property("county_code", "string", "县（市、区）代码 County code", in_tiles=False),
    Property("township_code", "string", "乡镇（街道）代码 Township code"),
    Property("village_code", "string", "村（社区）代码 Village code"),
    Property("grid_code", "string", "网格编码 Grid code"),
    Property("platform_code", "string", "平台 Platform"),
    Property("area_m2", "number", "面积（平方米） Area in m²"),
    Property("households", "integer", "户数 Households"),
    Property("cases", "integer", "落入事件 Cases that fell there", in_tiles=False),
    Property("open_cases", "integer", "未办结事件 Open cases"),
    Property("workers", "integer", "网格员数 Grid workers", in_tiles=False),
    Property("households_per_worker", "number", "人均户数 Households per full-time worker", in_tiles=False),
    Property("open_cases_per_worker", "number", "人均待办 Open cases per worker", in_tiles=False),
    Property("distance_m", "number", "最近平台人员距离（米） Distance to the nearest staff", in_tiles=False),
    Property("threshold", "number", "阈值 The cap or distance exceeded", in_tiles=False),
)

DRAFT_PROPERTIES = (
    Property("id", "integer", "要素编号 Feature id"),
    Property("generation_id", "integer", "草稿版本 Draft generation"),
    Property("code", "string", "网格编码 Grid code"),
    Property("name", "string", "网格名称 Grid name"),
    Property("kind", "string", "网格类型 Kind (ordinary / dedicated)"),
    Property("village_code", "string", "村（社区）代码 Village code"),
    Property("households", "integer", "户数 Households (computed)"),
    Property("population", "integer", "人口 Population (computed)"),
    Property("version", "integer", "版本号 Version (send it back to edit)"),
    Property("updated_at", "datetime", "修改时间 Updated at", in_tiles=False),
)

CATALOGUE: tuple[Layer, ...] = (
    Layer(
        "counties",
        "县（市、区）",
        "Counties",
        "County-level divisions with their household and population figures.",
        "divisions",
        _division("county"),
        "MultiPolygon",
        5,
        12,
        params={"level": "county"},
    ),
    Layer(
        "townships",
        "乡镇（街道）",
        "Townships",
        "Townships and sub-districts, the level that runs the four platforms.",
        "divisions",
        _division("township"),
        "MultiPolygon",
        7,
        14,
        params={"level": "township"},
    ),
    Layer(
        "villages",
        "村（社区）",
        "Villages and communities",
        "Villages and urban communities, which grids tile without gaps or overlaps.",
        "divisions",
        _division("village"),
        "MultiPolygon",
        9,
        16,
        params={"level": "village"},
    ),
    Layer(
        "grids",
        "网格",
        "Grids",
        "Grids of the active generations (a published one by `generation`; `datetime` selects by "
        "validity), with households, workers on duty and open-case load now.",
        "grids",
        GRID_PROPERTIES,
        "MultiPolygon",
        10,
        16,
        temporal=("valid_from", "valid_to"),
    ),
    Layer(
        "cases",
        "事件",
        "Cases",
        "Located cases with their category, platform, status and grid; no personal data. Tiles "
        "carry open cases, counted in clusters below zoom 13.",
        "cases",
        CASE_PROPERTIES,
        "Point",
        8,
        16,
        temporal=("reported_at", None),
        tile_filters={"open": "true"},
        cluster_below=13,
        cluster_flags=("unassigned", "overdue"),
    ),
    Layer(
        "coverage-gaps",
        "网格覆盖缺口",
        "Coverage gaps",
        "Gaps computed on request with the default caps, now: ground no grid covers (uncovered, "
        "outside_villages), grids short of workers or platform staff (no_worker, off_duty, "
        "no_platform_staff), load over the caps (households_over_cap, open_cases_over_cap) and "
        "platform staff too far away (out_of_reach). Staffing gaps carry their grid's shape. Ask for "
        "an area with bbox, or use tiles, on large jurisdictions.",
        "gaps",
        GAP_PROPERTIES,
        "MultiPolygon",
        10,
        16,
        params=Rules().params(),
    ),
    Layer(
        "drafts",
        "网格草稿",
        "Draft grids",
        "Grids of draft generations inside your jurisdiction, faults included, editable over OGC "
        "API Features Part 4 by planners; every edit is answered with the problems left in its draft.",
        "drafts",
        DRAFT_PROPERTIES,
        "MultiPolygon",
        10,
        16,
        roles=("admin", "planner"),
        editable=True,
    ),
)

_BY_ID = {layer.id: layer for layer in CATALOGUE}


def layers_for(caller: Principal) -> list[Layer]:
    """The layers the caller's role may read."""
    return [item for item in CATALOGUE if item.roles is None or caller.role in item.roles]


def layer(layer_id: str, *, caller: Principal) -> Layer:
    """The layer called `layer_id` if the caller's role may read it, else NotFound naming those there are."""
    found = _BY_ID.get(layer_id)
    if found is None:
        names = ", ".join(item.id for item in layers_for(caller))
        raise NotFound(f"no collection {layer_id!r}; there are {names} (图层不存在)", field="collectionId")
    if found.roles is not None and caller.role not in found.roles:
        raise Forbidden(
            f"role {caller.role} may not read {layer_id}; allowed: {', '.join(found.roles)} (无权查看该图层)"
        )
    return found
