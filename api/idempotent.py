"""The `Idempotency-Key` header around a write: replay, run and remember, commit."""

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import commit
from api.errors import DEFAULT_STATUS_CODES
from grids.cases.idempotency import claim, parse_key, remember
from grids.errors import GridsError
from grids.users import Principal


def error_status(exc: GridsError) -> int:
    """The HTTP status a domain error maps to."""
    return next((DEFAULT_STATUS_CODES[c] for c in type(exc).__mro__ if c in DEFAULT_STATUS_CODES), 400)


def idempotent(
    db: Session,
    caller: Principal,
    raw_key: str | None,
    endpoint: str,
    body: str,
    run: Callable[[], tuple[int, BaseModel]],
) -> JSONResponse:
    """Run a write once per Idempotency-Key: replay a stored answer, else run, store and commit."""
    key = None if raw_key is None else parse_key(raw_key)
    if key is not None:
        stored = claim(db, user_id=caller.user_id, key=key, endpoint=endpoint, body=body)
        if stored is not None:
            return JSONResponse(stored.response, status_code=stored.status_code)
    status_code, model = run()
    payload: Any = model.model_dump(mode="json")
    if key is not None:
        remember(
            db,
            user_id=caller.user_id,
            key=key,
            endpoint=endpoint,
            body=body,
            status_code=status_code,
            response=payload,
        )
    commit(db)
    return JSONResponse(payload, status_code=status_code)
