"""Fixtures of the redraw tests: a copy of the demo city per module holding one proposal for its
overloaded village, and helpers that read grids straight from the database."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from grids.coverage.redraw import RedrawProposal, propose_redraw
from grids.db import make_engine, session_factory
from grids.users import Principal
from tests.conftest import Demo, Server


def planner(county: str) -> Principal:
    """A planner whose jurisdiction is `county`."""
    return Principal(0, f"test-planner-{county}", "planner", county, None)


@dataclass(frozen=True)
class Proposed:
    """A database copy of the demo holding one committed proposal for the overloaded village."""

    url: str
    engine: Engine
    village: str
    county: str
    proposal: RedrawProposal

    def session(self) -> Session:
        """A new session on the copy."""
        return session_factory(self.engine)()


@pytest.fixture(scope="module")
def proposed(server: Server, demo: Demo) -> Iterator[Proposed]:
    """The overloaded village's redraw (300–500 households), proposed by its county's planner."""
    name = server.clone(demo.template, "rd")
    url = server.database(name)
    engine = make_engine(url, pool_size=2)
    village = demo.summary.planted["overloaded_village"]
    county = village[:6] + "000000"
    try:
        with session_factory(engine)() as db:
            proposal = propose_redraw(db, village_code=village, caller=planner(county))
            db.commit()
        yield Proposed(url, engine, village, county, proposal)
    finally:
        engine.dispose()
        server.drop(name)


def grid_rows(db: Session, generation_id: int, kind: str | None = None) -> dict[str, shapely.Geometry]:
    """Geometries of a generation's grids by id (as text), optionally of one kind."""
    rows = db.execute(
        text(
            "SELECT id::text, ST_AsBinary(geom) FROM grids WHERE generation_id = :g "
            "AND (CAST(:k AS text) IS NULL OR kind = :k) ORDER BY id"
        ),
        {"g": generation_id, "k": kind},
    )
    return {r[0]: shapely.from_wkb(bytes(r[1])) for r in rows}


def active_grids(db: Session, prefix: str) -> dict[str, bytes]:
    """WKB of every active grid whose code starts with `prefix`, by code."""
    rows = db.execute(
        text(
            "SELECT g.code, ST_AsBinary(g.geom) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
            "WHERE ge.status = 'active' AND g.code LIKE :p ORDER BY g.code"
        ),
        {"p": prefix + "%"},
    )
    return {r[0]: bytes(r[1]) for r in rows}
