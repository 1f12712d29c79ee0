"""pydeck presets of the catalogued layers for leaders' notebooks, scoped like every other output.

`deck(...)` needs no basemap and no network: `deck(...).to_html(offline=True)` inlines deck.gl,
so the page draws on a government intranet (pydeck's page still names its CDN style sheets,
which simply fail to load there; nothing drawn depends on them); `layers.page` writes pages that
name nothing outside the file. Every pickable object carries `tip`, its tooltip (Chinese first).
"""

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pydeck as pdk
import shapely
from sqlalchemy.orm import Session

from grids.coverage.gaps import FIGURES, KINDS, PLACE, SEVERITIES, Gap
from grids.features import Box
from grids.users import Principal
from layers import features
from layers.catalogue import layer
from layers.crs import output_crs
from layers.page import Legend

NO_WORKER = [158, 158, 158, 170]
LOAD_STEPS = (  # the web map's colours (map.js): open cases per worker from 0, 1, 2 and 3
    (3.0, [165, 0, 38, 170]),
    (2.0, [244, 109, 67, 170]),
    (1.0, [254, 224, 139, 170]),
    (0.0, [26, 152, 80, 170]),
)
UNASSIGNED, ASSIGNED = [215, 48, 39, 220], [69, 117, 180, 220]
GAP_COLOURS = {  # ground gaps are filled; staffing and load gaps outline their grid
    "uncovered": [118, 42, 131, 200],
    "outside_villages": [194, 165, 207, 200],
    "no_worker": [215, 48, 39, 255],
    "off_duty": [253, 174, 97, 255],
    "no_platform_staff": [230, 97, 1, 255],
    "households_over_cap": [33, 102, 172, 255],
    "open_cases_over_cap": [67, 147, 195, 255],
    "out_of_reach": [1, 133, 113, 255],
}
GROUND = ("uncovered", "outside_villages")
GAP_WIDTH = {"high": 4, "medium": 2, "low": 1}
NO_RATE = [158, 158, 158, 170]
RATE_STEPS = (  # on-time rates: assessment targets are usually 90–95%
    (0.95, [26, 152, 80, 200]),
    (0.90, [145, 207, 96, 200]),
    (0.85, [254, 224, 139, 200]),
    (0.80, [252, 141, 89, 200]),
    (0.0, [215, 48, 39, 200]),
)
LOAD_LEGEND = Legend(
    "网格负荷 Grid load (open cases per worker)",
    [
        (LOAD_STEPS[3][1], "0–1 件/人"),
        (LOAD_STEPS[2][1], "1–2 件/人"),
        (LOAD_STEPS[1][1], "2–3 件/人"),
        (LOAD_STEPS[0][1], "≥3 件/人"),
        (NO_WORKER, "无网格员 No worker"),
    ],
)
UNASSIGNED_LEGEND = Legend("未办结事件 Open cases", [(UNASSIGNED, "未分派 Unassigned")])
RATE_LEGEND = Legend(
    "按时率 On-time rate",
    [
        (RATE_STEPS[0][1], "≥95%"),
        (RATE_STEPS[1][1], "90–95%"),
        (RATE_STEPS[2][1], "85–90%"),
        (RATE_STEPS[3][1], "80–85%"),
        (RATE_STEPS[4][1], "<80%"),
        (NO_RATE, "无事件 No cases"),
    ],
)


def tip(title: str, *rows: tuple[str, object]) -> str:
    """A tooltip's HTML: a bold title, then one escaped `label: value` line per row."""
    lines = [f"<b>{html.escape(title)}</b>"]
    lines += [f"{html.escape(label)}: {html.escape('—' if v is None else str(v))}" for label, v in rows]
    return "<br>".join(lines)


def load_colour(load: float | None) -> list[int]:
    """The fill of a grid by its open cases per worker (grey: no worker)."""
    if load is None:
        return NO_WORKER
    return next(colour for step, colour in LOAD_STEPS if load >= step)


def collection(
    session: Session,
    layer_id: str,
    *,
    caller: Principal,
    bbox: Box | None = None,
    limit: int = 20_000,
    filters: dict[str, str | int | float | bool] | None = None,
) -> dict[str, Any]:
    """A layer's features in the caller's jurisdiction as a GeoJSON FeatureCollection (CRS84)."""
    item = layer(layer_id, caller=caller)
    chosen = features.selection(session, item, caller=caller, bbox=bbox, filters=filters)
    page = features.page(session, item, selection=chosen, crs=output_crs(None), limit=limit, offset=0)
    return {"type": "FeatureCollection", "features": [json.loads(f) for f in page.features]}


def grid_layer(session: Session, *, caller: Principal, bbox: Box | None = None) -> pdk.Layer:
    """Grids coloured by open-case load, outlined, pickable for the tooltip."""
    data = collection(session, "grids", caller=caller, bbox=bbox)
    for feature in data["features"]:
        p = feature["properties"]
        p["fill"] = load_colour(p["load"])
        p["tip"] = tip(
            f"{p['name']} {p['code']}",
            ("户数 Households", p["households"]),
            ("网格员 Workers", p["workers"]),
            ("专职网格员工号 Primary worker", p["primary_staff_no"]),
            ("未办结事件 Open cases", p["open_cases"]),
            ("未分派 Unassigned", p["unassigned_cases"]),
            ("人均待办 Load", p["load"]),
        )
    return pdk.Layer(
        "GeoJsonLayer",
        data,
        id="grids",
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=[80, 80, 80, 200],
        line_width_min_pixels=1,
    )


def township_layer(session: Session, *, caller: Principal, bbox: Box | None = None) -> pdk.Layer:
    """Township boundaries as lines, their name on hover."""
    data = collection(session, "townships", caller=caller, bbox=bbox)
    for feature in data["features"]:
        p = feature["properties"]
        p["tip"] = tip(f"{p['name']} {p['code']}", ("户数 Households", p["households"]))
    return pdk.Layer(
        "GeoJsonLayer",
        data,
        id="townships",
        pickable=True,
        stroked=True,
        filled=False,
        get_line_color=[0, 0, 0, 255],
        line_width_min_pixels=2,
    )


def case_layer(
    session: Session, *, caller: Principal, bbox: Box | None = None, unassigned_only: bool = False
) -> pdk.Layer:
    """Open cases as points, red where nobody is assigned (only those, if `unassigned_only`)."""
    wanted: dict[str, str | int | float | bool] = {"open": True}
    if unassigned_only:
        wanted["unassigned"] = True
    data = collection(session, "cases", caller=caller, bbox=bbox, filters=wanted, limit=100_000)
    points = [
        {
            "position": f["geometry"]["coordinates"],
            "colour": UNASSIGNED if f["properties"]["unassigned"] else ASSIGNED,
            **{k: f["properties"][k] for k in ("id", "category_name", "status", "grid_code")},
            "tip": tip(
                f"事件 Case {f['properties']['id']}",
                ("类别 Category", f["properties"]["category_name"]),
                ("状态 Status", f["properties"]["status"]),
                ("网格 Grid", f["properties"]["grid_code"]),
                ("未分派 Unassigned", "是 yes" if f["properties"]["unassigned"] else "否 no"),
            ),
        }
        for f in data["features"]
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        points,
        id="cases",
        get_position="position",
        get_fill_color="colour",
        get_radius=25,
        radius_min_pixels=2,
        pickable=True,
    )


def gap_layer(session: Session, *, caller: Principal, bbox: Box | None = None) -> pdk.Layer:
    """Coverage gaps now, coloured by kind: uncovered ground filled, grids with a gap outlined.

    A grid may have several gaps; the more severe are drawn later, on top.
    """
    data = collection(session, "coverage-gaps", caller=caller, bbox=bbox)
    for feature in data["features"]:
        p = feature["properties"]
        gap = Gap(
            fid=str(feature["id"]),
            kind=p["kind"],
            severity=p["severity"],
            place={name: p.get(name) for name in PLACE},
            figures={name: p.get(name) for name in FIGURES},
            geometry={},
        )
        colour = GAP_COLOURS[gap.kind]
        p["line"] = colour
        p["fill"] = colour if gap.kind in GROUND else [0, 0, 0, 0]
        p["width"] = GAP_WIDTH[gap.severity]
        p["tip"] = tip(" ".join(KINDS[gap.kind]), ("位置 Where", gap.where), ("详情 Detail", gap.message))
    data["features"].sort(key=lambda f: -SEVERITIES.index(f["properties"]["severity"]))
    return pdk.Layer(
        "GeoJsonLayer",
        data,
        id="coverage-gaps",
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color="properties.line",
        get_line_width="properties.width",
        line_width_units="'pixels'",  # quoted: pydeck reads a bare string as an expression
    )


def gap_legend(counts: Mapping[str, int] | None = None) -> Legend:
    """The colour of each kind of gap, with how many there are of each when `counts` is given."""
    return Legend(
        "覆盖缺口 Coverage gaps (filled: ground; outlined: grids)",
        [
            (GAP_COLOURS[k], " ".join(KINDS[k]) + ("" if counts is None else f" ({counts.get(k, 0)})"))
            for k in KINDS
        ],
    )


def rate_colour(rate: float | None) -> list[int]:
    """The fill of an on-time rate (grey: nothing to count)."""
    if rate is None:
        return NO_RATE
    return next(colour for step, colour in RATE_STEPS if rate >= step)


def rate_layer(
    session: Session,
    *,
    caller: Principal,
    rates: Mapping[str, float | None],
    label: str,
    bbox: Box | None = None,
) -> pdk.Layer:
    """Townships filled by an on-time rate given per township code; `label` names the rate."""
    data = collection(session, "townships", caller=caller, bbox=bbox)
    for feature in data["features"]:
        p = feature["properties"]
        rate = rates.get(p["code"])
        p["fill"] = rate_colour(rate)
        p["tip"] = tip(f"{p['name']} {p['code']}", (label, None if rate is None else f"{rate:.1%}"))
    return pdk.Layer(
        "GeoJsonLayer",
        data,
        id="township-rates",
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=[60, 60, 60, 255],
        line_width_min_pixels=1,
    )


def township_labels(
    session: Session,
    *,
    caller: Principal,
    bbox: Box | None = None,
    rates: Mapping[str, float | None] | None = None,
) -> pdk.Layer:
    """Township names at a point inside each, with the township's rate beneath when `rates` is given."""
    data = collection(session, "townships", caller=caller, bbox=bbox)
    labels = []
    for feature in data["features"]:
        p = feature["properties"]
        point = shapely.geometry.shape(feature["geometry"]).point_on_surface()
        text = p["name"]
        if rates is not None:
            rate = rates.get(p["code"])
            text += "\n" + ("—" if rate is None else f"{rate:.1%}")
        labels.append({"position": [point.x, point.y], "text": text})
    # Quoted strings: pydeck reads a bare string as an expression. Browsers draw Chinese with their fonts.
    return pdk.Layer(
        "TextLayer",
        labels,
        id="township-labels",
        get_position="position",
        get_text="text",
        get_size=14,
        get_color=[20, 20, 20, 255],
        character_set="'auto'",
        font_family="'Noto Sans CJK SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei, sans-serif'",
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=[255, 255, 255, 230],
    )


PRESETS = {
    "townships": township_layer,
    "township-labels": township_labels,
    "grids": grid_layer,
    "cases": case_layer,
    "coverage-gaps": gap_layer,
}


def view(session: Session, *, caller: Principal, bbox: Box | None = None) -> pdk.ViewState:
    """The camera framing `bbox`, else the caller's jurisdiction."""
    extent = features.extent(session, layer("townships", caller=caller), caller=caller).bbox or (
        119.0,
        27.0,
        121.0,
        29.0,
    )
    west, south, east, north = (bbox.xmin, bbox.ymin, bbox.xmax, bbox.ymax) if bbox else extent
    return pdk.data_utils.compute_view([[west, south], [east, north]])


def frame(layers: Sequence[pdk.Layer], view_state: pdk.ViewState) -> pdk.Deck:
    """A basemap-free deck of `layers`, each pickable object's `tip` as its tooltip."""
    return pdk.Deck(
        layers=list(layers),
        initial_view_state=view_state,
        map_provider=None,
        map_style=None,
        tooltip={"html": "{tip}"},
    )


def deck(
    session: Session,
    *,
    caller: Principal,
    layers: Sequence[str] = ("grids", "townships", "cases"),
    bbox: Box | None = None,
) -> pdk.Deck:
    """A basemap-free deck of the chosen presets, framed on the caller's jurisdiction."""
    return frame(
        [PRESETS[name](session, caller=caller, bbox=bbox) for name in layers],
        view(session, caller=caller, bbox=bbox),
    )
