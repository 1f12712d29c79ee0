"""Users, their jurisdiction, and bearer tokens (kept only as SHA-256 digests)."""

import hashlib
import secrets
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from grids.codes import in_scope, prefix
from grids.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from grids.models import ApiToken, Division, User
from grids.models.base import PLATFORMS, USER_ROLES

TOKEN_PREFIX = "grd_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: role, jurisdiction (None = the whole installation) and optional platform."""

    user_id: int
    name: str
    role: str
    scope_code: str | None
    platform_code: str | None

    def sees(self, code: str) -> bool:
        """Whether a division or grid code lies in this caller's jurisdiction."""
        return in_scope(code, self.scope_code)


OPERATOR = Principal(0, "cli", "admin", None, None)
"""Whoever runs the `grids` command on the server: the installation's operator, with full rights."""


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    session: Session, *, name: str, role: str, scope_code: str | None, platform_code: str | None = None
) -> User:
    """Create a user; the scope must be a known division and the name unused."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name must be 1–100 characters (用户名长度须为1–100个字符)", field="name")
    if role not in USER_ROLES:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(USER_ROLES)} (角色不存在)", field="role")
    if platform_code is not None and platform_code not in PLATFORMS:
        raise InvalidInput(
            f"platform {platform_code!r} is not one of {', '.join(PLATFORMS)} (平台不存在)", field="platform"
        )
    if scope_code is not None and session.get(Division, scope_code) is None:
        raise InvalidInput(f"scope {scope_code} is not a known division (辖区代码不存在)", field="scope")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists (用户已存在)")
    user = User(name=name, role=role, scope_code=scope_code, platform_code=platform_code)
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, *, name: str) -> str:
    """A new bearer token for user `name`; only its digest is stored, so show it to the user now."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r} (用户不存在)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token)))
    session.flush()
    return token


def revoke_tokens(session: Session, *, name: str) -> int:
    """Revoke every live token of user `name`; returns how many were revoked."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r} (用户不存在)")
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def authenticate(session: Session, token: str) -> Principal:
    """The principal behind a bearer token, or Unauthenticated."""
    return _by_digest(session, _digest(token))


def _by_digest(session: Session, digest: str) -> Principal:
    row = session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.digest == digest, ApiToken.revoked_at.is_(None), User.disabled.is_(False))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthenticated("token unknown or revoked (令牌无效或已吊销)")
    return principal_of(row)


class PrincipalCache:
    """Principals of recently checked tokens, kept `ttl` seconds in this process.

    A token lookup costs a pooled connection and a query, more than many requests' own work; kept
    here, a busy caller pays it once per `ttl`. The price is a delay: a revoked token, a disabled
    user, or a changed role, jurisdiction or platform takes effect in each server process only when
    its entry expires, at most `ttl` seconds later (0 looks every token up). Only valid tokens are
    kept, so an unknown or revoked one is looked up every time and stays a 401, and at most `maxsize`
    of them (the least recently used leave first).
    """

    def __init__(self, *, ttl: float, maxsize: int = 10_000) -> None:
        self._principals: TTLCache[str, Principal] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()  # TTLCache is not thread-safe; requests run on a thread pool

    def cached(self, token: str) -> Principal | None:
        """The principal kept for `token` from a lookup within `ttl`, if any (no database work)."""
        digest = _digest(token)
        with self._lock:
            return self._principals.get(digest)

    def authenticate(self, sessions: sessionmaker[Session], token: str) -> Principal:
        """The principal behind `token`: kept from a lookup within `ttl`, else looked up in a new session."""
        found = self.cached(token)
        if found is None:
            digest = _digest(token)
            with sessions() as session:
                found = _by_digest(session, digest)
            with self._lock:
                self._principals[digest] = found
        return found


def principal_of(user: User) -> Principal:
    """The principal view of a user row."""
    return Principal(user.id, user.name, user.role, user.scope_code, user.platform_code)


def list_users(session: Session, *, scope_code: str | None) -> list[User]:
    """Users whose jurisdiction lies inside `scope_code` (None: every user)."""
    query = select(User).order_by(User.name)
    if scope_code is not None:
        query = query.where(User.scope_code.startswith(prefix(scope_code)))
    return list(session.scalars(query))


def require_role(caller: Principal, *roles: str) -> None:
    """Refuse a caller whose role is not among `roles`."""
    if caller.role not in roles:
        raise Forbidden(f"role {caller.role} may not do this; allowed: {', '.join(roles)} (当前角色无此权限)")
