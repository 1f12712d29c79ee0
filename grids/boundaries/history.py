"""Which grid held a point on a past date, from the generations' activation and retirement times."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import UnknownCRS, to_storage
from grids.boundaries.access import require_reader
from grids.errors import InvalidInput
from grids.moments import check_moment
from grids.users import Principal

LOCAL = ZoneInfo("Asia/Shanghai")

_HELD = text("""
WITH here AS (SELECT ST_SetSRID(ST_MakePoint(:x, :y), 4490) AS point)
SELECT DISTINCT g.code, g.name, g.kind, g.village_code, ge.id, ge.name, ge.activated_at, ge.retired_at
FROM here
JOIN grid_parts p ON p.geom && here.point AND ST_Covers(p.geom, here.point)
JOIN grids g ON g.id = p.grid_id
JOIN generations ge ON ge.id = g.generation_id
WHERE ge.activated_at <= :at AND (ge.retired_at IS NULL OR ge.retired_at > :at)
ORDER BY g.code
""")


@dataclass(frozen=True)
class Held:
    """A grid that held the point, and the generation it belonged to then."""

    code: str
    name: str
    kind: str
    village_code: str | None
    generation_id: int
    generation_name: str
    activated_at: datetime
    retired_at: datetime | None


def moment(on: date | datetime) -> datetime:
    """A date means the end of that day in China Standard Time; a naive datetime is taken as local."""
    check_moment(on, field="on")
    if isinstance(on, datetime):
        return on if on.tzinfo else on.replace(tzinfo=LOCAL)
    return datetime.combine(on, time.min, tzinfo=LOCAL) + timedelta(days=1) - timedelta(microseconds=1)


def parse_moment(raw: str) -> date | datetime:
    """A date (YYYY-MM-DD) or an ISO datetime as typed on the command line."""
    try:
        return date.fromisoformat(raw) if len(raw.strip()) == 10 else datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"--on {raw!r} is not a date (YYYY-MM-DD) or ISO datetime (日期格式有误)", field="on"
        ) from exc


def grid_held(
    session: Session, *, lon: float, lat: float, on: date | datetime, caller: Principal, crs: str = "wgs84"
) -> list[Held]:
    """The grid(s) holding a point at a moment (two on a shared edge); outside the caller's area: none."""
    require_reader(caller)
    try:
        xs, ys = to_storage([lon], [lat], crs)
    except UnknownCRS as exc:
        raise InvalidInput(f"crs: {exc} (坐标系无法识别)", field="crs") from exc
    x, y = float(xs[0]), float(ys[0])
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(
            f"lon/lat {lon}, {lat} are not a longitude and latitude (经纬度超出范围)", field="lon"
        )
    rows = session.execute(_HELD, {"x": x, "y": y, "at": moment(on)}).all()
    return [Held(*r) for r in rows if caller.sees(r[0][:12])]
