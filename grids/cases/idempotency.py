"""The `Idempotency-Key` request header (IETF draft-ietf-httpapi-idempotency-key-header).

The key is held by a transaction-scoped advisory lock while its request runs, and its answer is
stored in the same transaction as the work: a repeat replays the stored answer, a repeat while the
first is still running is a conflict (409), the same key with a different body is refused (422), and
a request that died with its server left nothing behind, so a retry simply runs.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grids.errors import Conflict, InvalidInput
from grids.models import IdempotencyRecord

IDEMPOTENCY_LOCK = 4_120_002  # advisory-lock namespace of (user, key)


@dataclass(frozen=True)
class Stored:
    """An answer given before to the same key and body."""

    status_code: int
    response: Any


def parse_key(raw: str) -> str:
    """The key of the header: a structured-field string (quoted), or tolerated bare."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not 1 <= len(value) <= 255 or not value.isprintable():
        raise InvalidInput(
            'Idempotency-Key must be 1–255 printable characters, e.g. "8e03978e-40d5-43e8" (幂等键格式有误)',
            field="Idempotency-Key",
        )
    return value


def fingerprint(body: str) -> str:
    """The SHA-256 digest of a request body in canonical form."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def claim(session: Session, *, user_id: int, key: str, endpoint: str, body: str) -> Stored | None:
    """Hold the key for this transaction; the stored answer if the same request was answered before."""
    held = session.scalar(
        select(func.pg_try_advisory_xact_lock(IDEMPOTENCY_LOCK, func.hashtext(f"{user_id}\x1f{key}")))
    )
    if not held:
        raise Conflict(
            f"a request with Idempotency-Key {key!r} is still being processed; retry later "
            "(相同幂等键的请求仍在处理中)"
        )
    record = session.get(IdempotencyRecord, (user_id, key))
    if record is None:
        return None
    if record.endpoint != endpoint or record.fingerprint != fingerprint(body):
        raise InvalidInput(
            f"Idempotency-Key {key!r} was already used with a different request "
            "(同一幂等键对应的请求内容不同)",
            field="Idempotency-Key",
        )
    return Stored(record.status_code, record.response)


def remember(
    session: Session,
    *,
    user_id: int,
    key: str,
    endpoint: str,
    body: str,
    status_code: int,
    response: Any,
) -> None:
    """Store the answer to replay, in the transaction that did the work."""
    session.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            endpoint=endpoint,
            fingerprint=fingerprint(body),
            status_code=status_code,
            response=response,
        )
    )
    session.flush()
