"""The caller, and user administration within an admin's jurisdiction."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.deps import PrincipalDep, SessionDep, commit, require
from api.schemas import MePublic, UserCreate, UserCreated, UserPublic
from grids.codes import in_scope, scope_code
from grids.errors import Forbidden
from grids.models import User
from grids.users import Principal, add_user, issue_token, list_users

router = APIRouter(tags=["users 用户"])
AdminDep = Annotated[Principal, Depends(require("admin"))]


def _public(user: User) -> UserPublic:
    return UserPublic(
        name=user.name, role=user.role, scope=user.scope_code or "*", platform=user.platform_code
    )


@router.get("/me", response_model=MePublic, summary="Who am I")
def me(caller: PrincipalDep) -> MePublic:
    """The caller's role, jurisdiction and platform."""
    return MePublic(
        name=caller.name, role=caller.role, scope=caller.scope_code or "*", platform=caller.platform_code
    )


@router.get("/users", response_model=list[UserPublic], summary="List users (admin)")
def users(db: SessionDep, caller: AdminDep) -> list[UserPublic]:
    """Users whose jurisdiction lies within the admin's."""
    return [_public(u) for u in list_users(db, scope_code=caller.scope_code)]


@router.post(
    "/users", response_model=UserCreated, status_code=status.HTTP_201_CREATED, summary="Add a user (admin)"
)
def create_user(body: UserCreate, db: SessionDep, caller: AdminDep) -> UserCreated:
    """Create a user within the admin's jurisdiction and return its first token, shown once."""
    scope = scope_code(body.scope)
    if caller.scope_code is not None and (scope is None or not in_scope(scope, caller.scope_code)):
        raise Forbidden("a new user's scope must lie within your own jurisdiction (只能在本辖区内创建用户)")
    user = add_user(db, name=body.name, role=body.role, scope_code=scope, platform_code=body.platform)
    token = issue_token(db, name=user.name)
    commit(db)
    return UserCreated(**_public(user).model_dump(), token=token)
