"""A staff allocation plan on the map: each grid of the area coloured by its staff member today
(`staff-before`) and as proposed (`staff-after`, grids that change hands outlined), and the staff
bases numbered as in the legend. Staff appear by staff number only."""

from dataclasses import replace
from typing import Any

import pydeck as pdk
from sqlalchemy.orm import Session

from grids.errors import NotFound
from grids.models import AllocationPlan
from grids.users import Principal
from layers.deck import collection, frame, tip, view
from layers.page import Choice, Legend

PALETTE = (  # ColorBrewer Paired and Set1, enough to tell a township's staff apart
    [31, 120, 180],
    [227, 26, 28],
    [51, 160, 44],
    [255, 127, 0],
    [106, 61, 154],
    [177, 89, 40],
    [166, 206, 227],
    [251, 154, 153],
    [178, 223, 138],
    [253, 191, 111],
    [202, 178, 214],
    [255, 255, 153],
)
UNALLOCATED = [158, 158, 158, 170]
SIDES = {"before": "今日配置 Today", "after": "优化方案 Proposed"}
CHOICES = (
    Choice("今日配置 Today's allocation", ["staff-before"]),
    Choice("优化方案 Proposed allocation", ["staff-after"]),
)


def staff_colour(index: int | None) -> list[int]:
    """The colour of staff member `index` of a plan (grey: no one)."""
    if index is None:
        return UNALLOCATED
    return [*PALETTE[index % len(PALETTE)], 190]


def staff_label(plan: AllocationPlan, index: int) -> str:
    """Staff member `index` of the plan by number and staff number (a new position has none)."""
    staff_no = plan.result["positions"][index]["staff_no"]
    return f"{index + 1} {staff_no or '新增岗位 new position'}"


def plan_layers(session: Session, *, caller: Principal, plan: AllocationPlan) -> list[pdk.Layer]:
    """The plan's grids today and as proposed, and the staff bases with their numbers."""
    area = _area(caller, plan)
    shapes = {f["properties"]["code"]: f for f in collection(session, "grids", caller=area)["features"]}
    result = plan.result
    layers = []
    for side, title in SIDES.items():
        features = []
        for grid in result["grids"]:
            shape = shapes.get(grid["code"])
            if shape is None:
                continue
            staff = grid[side]
            moved = side == "after" and grid["before"] != grid["after"]
            features.append(
                {
                    "type": "Feature",
                    "geometry": shape["geometry"],
                    "properties": {
                        "code": grid["code"],
                        "fill": staff_colour(staff),
                        "width": 3 if moved else 1,
                        "tip": tip(
                            f"{grid['name']} {grid['code']}",
                            (title, "未配置 none" if staff is None else staff_label(plan, staff)),
                            ("预计月负荷 Expected cases per month", grid["load"]),
                            ("调整 Changes hands", "是 yes" if grid["before"] != grid["after"] else "否 no"),
                        ),
                    },
                }
            )
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                {"type": "FeatureCollection", "features": features},
                id=f"staff-{side}",
                pickable=True,
                stroked=True,
                filled=True,
                get_fill_color="properties.fill",
                get_line_color=[40, 40, 40, 255],
                get_line_width="properties.width",
                line_width_units="'pixels'",  # quoted: pydeck reads a bare string as an expression
            )
        )
    bases = _bases(plan)
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            bases,
            id="staff-bases",
            get_position="position",
            get_fill_color="colour",
            get_line_color=[0, 0, 0, 255],
            stroked=True,
            line_width_min_pixels=2,
            get_radius=120,
            radius_min_pixels=9,
            pickable=True,
        )
    )
    layers.append(
        pdk.Layer(
            "TextLayer",
            bases,
            id="staff-labels",
            get_position="position",
            get_text="number",
            get_size=13,
            get_color=[0, 0, 0, 255],
            get_alignment_baseline="'center'",
        )
    )
    return layers


def _bases(plan: AllocationPlan) -> list[dict[str, Any]]:
    result = plan.result
    return [
        {
            "position": [p["lon"], p["lat"]],
            "number": str(i + 1),
            "colour": [*PALETTE[i % len(PALETTE)], 255],
            "tip": tip(
                f"驻点 Base of {staff_label(plan, i)}",
                ("驻点来源 Base from", p["base_from"]),
                ("今日负荷 Load today", result["before"]["loads"][i]),
                ("方案负荷 Load proposed", result["after"]["loads"][i]),
            ),
        }
        for i, p in enumerate(result["positions"])
    ]


def plan_legend(plan: AllocationPlan) -> Legend:
    """Each staff member's colour, number and staff number; grey for grids no one covers today."""
    items = [(staff_colour(i), staff_label(plan, i)) for i in range(len(plan.result["positions"]))]
    items.append((UNALLOCATED, "未配置 None"))
    return Legend("平台人员 Platform staff (粗边：调整的网格 thick outline: changes hands)", items)


def plan_deck(session: Session, *, caller: Principal, plan: AllocationPlan) -> pdk.Deck:
    """A deck of the plan's layers framed on its area; pair it with `CHOICES` on a page."""
    return frame(plan_layers(session, caller=caller, plan=plan), view(session, caller=_area(caller, plan)))


def _area(caller: Principal, plan: AllocationPlan) -> Principal:
    """The caller narrowed to the plan's area, so layers hold that area's grids only."""
    if not caller.sees(plan.scope_code):
        raise NotFound(f"no allocation plan {plan.id} in your jurisdiction (辖区内无此配置方案)", field="id")
    return replace(caller, scope_code=plan.scope_code)
