"""The four platforms and their responsibility lists."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, SessionDep
from api.schemas import CategoryPublic, PlatformCode, PlatformPublic
from grids.catalogue import list_categories, list_platforms

router = APIRouter(tags=["catalogue 平台与权责清单"])


@router.get("/platforms", response_model=list[PlatformPublic], summary="The four platforms")
def platforms(db: SessionDep, caller: PrincipalDep) -> list[PlatformPublic]:
    """The four platforms (四个平台)."""
    return [PlatformPublic.model_validate(p) for p in list_platforms(db)]


@router.get("/categories", response_model=list[CategoryPublic], summary="Case categories")
def categories(
    db: SessionDep,
    caller: PrincipalDep,
    platform: Annotated[PlatformCode | None, Query(description="only this platform's list")] = None,
) -> list[CategoryPublic]:
    """Case categories with their stage time limits (权责清单)."""
    return [CategoryPublic.model_validate(c) for c in list_categories(db, platform_code=platform)]
