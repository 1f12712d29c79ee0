"""Small helpers shared by the cases tests: headers, demo points and case bodies."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text


def auth(token: str, key: str | None = None) -> dict[str, str]:
    """The bearer header for `token`, with an Idempotency-Key when given."""
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = f'"{key}"'
    return headers


def grid_points(url: str, township: str, n: int = 5) -> list[tuple[str, float, float]]:
    """`n` active ordinary grids of a township that have a primary worker, each with an inner point."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                "WHERE g.code LIKE :t AND g.kind = 'ordinary' AND EXISTS (SELECT 1 FROM worker_assignments a "
                "WHERE a.grid_code = g.code AND a.kind = 'primary') ORDER BY g.code LIMIT :n"
            ),
            {"t": township[:9] + "%", "n": n},
        ).all()
    engine.dispose()
    return [(str(r[0]), float(r[1]), float(r[2])) for r in rows]


def body(external_id: str, lon: float | None, lat: float | None, **extra: Any) -> dict[str, Any]:
    """A case body on the hotline channel, reported an hour ago."""
    reported = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    base = {
        "channel": "hotline12345",
        "external_id": external_id,
        "category": "environmental_sanitation",
        "description": "垃圾堆放未及时清运（测试）",
        "reported_at": reported,
    }
    if lon is not None:
        base |= {"lon": lon, "lat": lat}
    return base | extra


def scalar(url: str, sql: str, **params: Any) -> Any:
    """One value of a query."""
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value
