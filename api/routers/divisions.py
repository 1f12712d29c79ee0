"""Administrative divisions within the caller's jurisdiction."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import PrincipalDep, SessionDep
from api.schemas import DivisionPage, DivisionPublic, Level
from grids.codes import division_code
from grids.divisions import get_division, list_divisions

router = APIRouter(prefix="/divisions", tags=["divisions 行政区划"])

CodeParam = Annotated[str, Path(description="statistical code; short forms such as 331102 are padded")]


@router.get("", response_model=DivisionPage, summary="List divisions")
def divisions(
    db: SessionDep,
    caller: PrincipalDep,
    level: Annotated[Level | None, Query(description="province, city, county, township or village")] = None,
    parent: Annotated[str | None, Query(description="parent division code")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DivisionPage:
    """Divisions in the caller's jurisdiction, by level and parent, in code order."""
    parent_code = division_code(parent, field="parent") if parent is not None else None
    rows, total = list_divisions(
        db, caller=caller, level=level, parent_code=parent_code, limit=limit, offset=offset
    )
    return DivisionPage(
        items=[DivisionPublic.model_validate(r) for r in rows],
        number_matched=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{code}", response_model=DivisionPublic, summary="One division")
def division(code: CodeParam, db: SessionDep, caller: PrincipalDep) -> DivisionPublic:
    """One division; outside the caller's jurisdiction it is not found."""
    return DivisionPublic.model_validate(get_division(db, code=division_code(code), caller=caller))
