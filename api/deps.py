"""Request-scoped dependencies: a database session and the authenticated caller."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from grids.db import translate
from grids.errors import Unauthenticated
from grids.users import Principal, PrincipalCache, require_role

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


async def read_session(request: Request) -> AsyncIterator[Session]:
    """A session outside any transaction, for requests that only read.

    Each statement commits on its own (read committed takes a snapshot per statement anyway), which
    saves a transaction's BEGIN and ROLLBACK round trips; and with no transaction to roll back,
    opening and closing it does no I/O, so it runs on the event loop instead of costing two trips
    through the worker threads (their hand-offs were a third of a `/locate`'s CPU time).
    """
    db = request.app.state.reads()
    try:
        yield db
    finally:
        db.close()


ReadSessionDep = Annotated[Session, Depends(read_session)]


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller behind the bearer token: 401 without a valid one.

    Checked tokens are kept per process for `GRIDS_API_PRINCIPAL_TTL_SECONDS` (grids.users.PrincipalCache):
    a request that needs no other database work opens no connection, and a kept token is found on the
    event loop without a worker thread. A revoked token, disabled user or changed role or jurisdiction
    takes effect within that time.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(_SEND_TOKEN)
    return await _holder(request, credentials.credentials)


async def caller(request: Request) -> Principal:
    """`principal` for a route that reads its request itself (no dependency solving)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_SEND_TOKEN)
    return await _holder(request, token.strip())


_SEND_TOKEN = "send `Authorization: Bearer <token>` (请提供访问令牌)"


async def _holder(request: Request, token: str) -> Principal:
    cache: PrincipalCache = request.app.state.principals
    found = cache.cached(token)
    if found is None:
        found = await run_in_threadpool(cache.authenticate, request.app.state.reads, token)
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers whose role is among `roles` (403 otherwise)."""

    async def check(caller: PrincipalDep) -> Principal:  # no I/O: on the event loop, not a worker thread
        require_role(caller, *roles)
        return caller

    return check
