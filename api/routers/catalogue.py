"""The four platforms and their responsibility lists, with each category's history."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import PrincipalDep, SessionDep, commit, require
from api.schemas import CategoryPublic, PlatformCode, PlatformPublic
from api.schemas_rosters import CategoryUpdate, CategoryVersionPublic
from grids.catalogue import category_history, list_categories, list_platforms, update_category
from grids.users import Principal

router = APIRouter(tags=["catalogue 平台与权责清单"])
AdminDep = Annotated[Principal, Depends(require("admin"))]
CodeParam = Annotated[str, Path(max_length=41, description="category code, e.g. street_vending")]


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


@router.patch("/categories/{code}", response_model=CategoryPublic, summary="Change a category (admin)")
def change_category(
    code: CodeParam, body: CategoryUpdate, db: SessionDep, caller: AdminDep
) -> CategoryPublic:
    """Change a category's platform, time limits or duplicate rule: new cases use it at once, cases
    already taken in keep their deadlines, and the previous version stays in the history."""
    category = update_category(db, code=code, change=body.to_change(), caller=caller)
    commit(db)
    return CategoryPublic.model_validate(category)


@router.get(
    "/categories/{code}/history", response_model=list[CategoryVersionPublic], summary="A category's history"
)
def history(code: CodeParam, db: SessionDep, caller: PrincipalDep) -> list[CategoryVersionPublic]:
    """Every version of a category, oldest first, with the period it held and who made it."""
    return [CategoryVersionPublic.of(v) for v in category_history(db, code=code)]
