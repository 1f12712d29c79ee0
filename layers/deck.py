"""pydeck presets of the catalogued layers for leaders' notebooks, scoped like every other output.

`deck(...)` needs no basemap and no network: `deck(...).to_html(offline=True)` inlines deck.gl,
so the page draws on a government intranet (pydeck's page still names its CDN style sheets,
which simply fail to load there; nothing drawn depends on them).
"""

import json
from collections.abc import Sequence
from typing import Any

import pydeck as pdk
from sqlalchemy.orm import Session

from grids.features import Box
from grids.users import Principal
from layers import features
from layers.catalogue import layer
from layers.crs import output_crs

NO_WORKER = [158, 158, 158, 170]
LOAD_STEPS = (  # the web map's colours (map.js): open cases per worker from 0, 1, 2 and 3
    (3.0, [165, 0, 38, 170]),
    (2.0, [244, 109, 67, 170]),
    (1.0, [254, 224, 139, 170]),
    (0.0, [26, 152, 80, 170]),
)
UNASSIGNED, ASSIGNED = [215, 48, 39, 220], [69, 117, 180, 220]


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
        feature["properties"]["fill"] = load_colour(feature["properties"]["load"])
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
    """Township boundaries as lines."""
    data = collection(session, "townships", caller=caller, bbox=bbox)
    return pdk.Layer(
        "GeoJsonLayer",
        data,
        id="townships",
        stroked=True,
        filled=False,
        get_line_color=[0, 0, 0, 255],
        line_width_min_pixels=2,
    )


def case_layer(session: Session, *, caller: Principal, bbox: Box | None = None) -> pdk.Layer:
    """Open cases as points, red where nobody is assigned."""
    data = collection(session, "cases", caller=caller, bbox=bbox, filters={"open": True}, limit=100_000)
    points = [
        {
            "position": f["geometry"]["coordinates"],
            "colour": UNASSIGNED if f["properties"]["unassigned"] else ASSIGNED,
            **{k: f["properties"][k] for k in ("id", "category_name", "status", "grid_code")},
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


PRESETS = {"townships": township_layer, "grids": grid_layer, "cases": case_layer}


def deck(
    session: Session,
    *,
    caller: Principal,
    layers: Sequence[str] = ("grids", "townships", "cases"),
    bbox: Box | None = None,
) -> pdk.Deck:
    """A basemap-free deck of the chosen presets, framed on the caller's jurisdiction."""
    extent = features.extent(session, layer("townships", caller=caller), caller=caller).bbox or (
        119.0,
        27.0,
        121.0,
        29.0,
    )
    west, south, east, north = (bbox.xmin, bbox.ymin, bbox.xmax, bbox.ymax) if bbox else extent
    view = pdk.data_utils.compute_view([[west, south], [east, north]])
    return pdk.Deck(
        layers=[PRESETS[name](session, caller=caller, bbox=bbox) for name in layers],
        initial_view_state=view,
        map_provider=None,
        map_style=None,
        tooltip=True,
    )
