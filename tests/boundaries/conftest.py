"""Fixtures of the boundaries area: a small hand-made county drawn in metres, files written from it."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from grids.db import make_engine, session_factory
from grids.users import Principal

OPERATOR = Principal(0, "test-operator", "admin", None, None)
TO_STORAGE = Transformer.from_crs(4549, 4490, always_xy=True)
TO_METRES = Transformer.from_crs(4490, 4549, always_xy=True)
ORIGIN = (500_000.0, 3_140_000.0)  # about 120.0 E, 28.37 N in EPSG:4549

TOWNSHIP = "990102001000"
VILLAGES = ("990102001001", "990102001002")


# The hand-made world is drawn in metres and stored through an affine map to longitude/latitude,
# so that points on a straight edge stay exactly on it (a projection would bend edges by rounding
# and every T-junction would become a micro-overlap the database rightly refuses).
LON0, LAT0 = TO_STORAGE.transform(*ORIGIN)
DEG_X = (TO_STORAGE.transform(ORIGIN[0] + 1000, ORIGIN[1])[0] - LON0) / 1000
DEG_Y = (TO_STORAGE.transform(ORIGIN[0], ORIGIN[1] + 1000)[1] - LAT0) / 1000


def stored(geom: shapely.Geometry) -> shapely.Geometry:
    """A geometry drawn in metres relative to ORIGIN, in the storage CRS (EPSG:4490)."""
    return shapely.transform(
        geom, lambda c: np.column_stack((LON0 + c[:, 0] * DEG_X, LAT0 + c[:, 1] * DEG_Y))
    )


def metres(geom: shapely.Geometry) -> shapely.Geometry:
    """A stored geometry back in the metres it was drawn in."""
    return shapely.transform(
        geom, lambda c: np.column_stack(((c[:, 0] - LON0) / DEG_X, (c[:, 1] - LAT0) / DEG_Y))
    )


def true_area(geom: shapely.Geometry) -> float:
    """The area in m² (EPSG:4549) of a shape drawn in metres once stored, as the validator measures it."""
    projected = shapely.transform(
        stored(geom), lambda c: np.column_stack(TO_METRES.transform(c[:, 0], c[:, 1]))
    )
    return float(projected.area)


def square(x: float, y: float, size: float) -> shapely.Polygon:
    """An axis-aligned square in metres with its lower-left corner at (x, y)."""
    return shapely.box(x, y, x + size, y + size)


def village_shapes() -> dict[str, shapely.Polygon]:
    """Two 1 km villages side by side, west and east."""
    return {VILLAGES[0]: square(0, 0, 1000), VILLAGES[1]: square(1000, 0, 1000)}


def grid_shapes() -> list[tuple[str, shapely.Polygon]]:
    """Each village cut into four 500 m grids, numbered west→east, north→south within the village."""
    out = []
    for code, (x0, _) in zip(VILLAGES, ((0, 0), (1000, 0)), strict=True):
        cells = [
            square(x0, 500, 500),
            square(x0 + 500, 500, 500),
            square(x0, 0, 500),
            square(x0 + 500, 0, 500),
        ]
        out += [(f"{code}{i:03d}", cell) for i, cell in enumerate(cells, start=1)]
    return out


@dataclass(frozen=True)
class Files:
    """Writes features drawn in metres to vector files in a temporary folder."""

    folder: Path

    def write(
        self,
        name: str,
        rows: list[dict[str, Any]],
        geoms: list[shapely.Geometry | None],
        *,
        driver: str | None = None,
        crs: Any = 4490,
        encoding: str | None = None,
        transform: Callable[[shapely.Geometry], shapely.Geometry] = stored,
    ) -> Path:
        """A file holding `rows` with `geoms` (in metres) converted by `transform`."""
        path = self.folder / name
        shapes = [None if g is None else transform(g) for g in geoms]
        frame = gpd.GeoDataFrame(rows, geometry=shapes, crs=crs)
        options: dict[str, Any] = {"driver": driver} if driver else {}
        if encoding:
            options["encoding"] = encoding
        frame.to_file(path, **options)
        return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """A file writer in a fresh temporary folder."""
    return Files(tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh empty database."""
    e = make_engine(database_url, pool_size=2)
    yield e
    e.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a fresh empty database (tests commit what they want kept)."""
    with session_factory(engine)() as s:
        yield s


def count(session: Session, table: str) -> int:
    """Rows in a table."""
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def world(session: Session, files: Files) -> Session:
    """A database holding the two villages (with boundaries), imported through the service and committed."""
    from grids.boundaries.divisions import import_divisions

    shapes = village_shapes()
    path = files.write(
        "villages.geojson",
        [{"code": c, "name": n} for c, n in zip(VILLAGES, ("东山村", "西溪村"), strict=True)],
        list(shapes.values()),
    )
    import_divisions(session, path=path, caller=OPERATOR, level="village")
    session.commit()
    return session


@dataclass(frozen=True)
class Api:
    """A live server on the hand-made world, with tokens of a planner, a leader and a dispatcher."""

    base: str
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        """Authorization headers of the user with `role`."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def api(world: Session, database_url: str) -> Iterator[Api]:
    """The API serving the hand-made world; users are scoped to its township (the leader to the county)."""
    from grids.users import add_user, issue_token
    from tests.live import live_server

    tokens = {}
    for role, scope in (("planner", TOWNSHIP), ("dispatcher", TOWNSHIP), ("leader", "990102000000")):
        add_user(world, name=f"test-{role}", role=role, scope_code=scope)
        tokens[role] = issue_token(world, name=f"test-{role}")
    add_user(world, name="test-outsider", role="planner", scope_code="990102000000")
    world.execute(
        text(
            "INSERT INTO divisions (code, level, name, parent_code) VALUES "
            "('990102002000', 'township', '别镇', '990102000000')"
        )
    )
    add_user(world, name="test-elsewhere", role="planner", scope_code="990102002000")
    tokens["elsewhere"] = issue_token(world, name="test-elsewhere")
    world.commit()
    with live_server(database_url) as base:
        yield Api(base, tokens)
