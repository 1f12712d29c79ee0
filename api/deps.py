"""Request-scoped dependencies: a database session and the authenticated caller."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from grids.db import translate
from grids.errors import Unauthenticated
from grids.users import Principal, authenticate, require_role

_bearer = HTTPBearer(auto_error=False, description="API token from `grids users token NAME`")


def session(request: Request) -> Iterator[Session]:
    """One session per request; handlers that write call `commit`, anything else is rolled back."""
    with request.app.state.sessions() as db:
        yield db


def commit(db: Session) -> None:
    """Commit the request's work, turning a refused write into a domain error."""
    try:
        db.commit()
    except DBAPIError as exc:
        db.rollback()
        raise translate(exc) from exc


SessionDep = Annotated[Session, Depends(session)]


def principal(
    db: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller behind the bearer token: 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send `Authorization: Bearer <token>` (请提供访问令牌)")
    return authenticate(db, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(principal)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers whose role is among `roles` (403 otherwise)."""

    def check(caller: PrincipalDep) -> Principal:
        require_role(caller, *roles)
        return caller

    return check
