"""Domain errors → HTTP, as RFC 9457 problem details (`application/problem+json`)."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from grids.db import translate
from grids.errors import (
    Conflict,
    EnvironmentProblem,
    Forbidden,
    GridsError,
    IntegrityViolation,
    InvalidInput,
    NotFound,
    Unauthenticated,
)

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

DEFAULT_STATUS_CODES: dict[type[GridsError], int] = {
    InvalidInput: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    IntegrityViolation: 409,
    EnvironmentProblem: 503,
    GridsError: 400,
}

TITLES = {
    400: "Bad request (请求有误)",
    401: "Authentication required (需要登录令牌)",
    403: "Forbidden (无权操作)",
    404: "Not found (未找到)",
    405: "Method not allowed (不支持的请求方法)",
    409: "Conflict (与现有数据冲突)",
    415: "Unsupported media type (不支持的内容类型)",
    422: "Invalid input (输入有误)",
    500: "Internal error (服务内部错误)",
    503: "Service unavailable (服务暂不可用)",
}


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _status_of(exc: GridsError) -> int:
    for cls in type(exc).__mro__:
        if cls in DEFAULT_STATUS_CODES:
            return DEFAULT_STATUS_CODES[cls]
    return 400


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GridsError)
    status = _status_of(exc)
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, exc.message, errors=errors, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _location(tuple(e.get("loc", ()))),
            "in": str(e.get("loc", ("?",))[0]),
            "message": e.get("msg"),
        }
        for e in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(422, f"invalid request (请求参数有误): {summary}", errors=errors)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path} (路径不存在)"
    return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _database(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    return await _domain(request, translate(exc))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):
        # psycopg2 refuses NUL in text before the database sees it; the input is at fault, not us.
        return problem(422, "text may not contain the NUL character U+0000 (文本中不能包含空字符)")
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal error; it has been logged (服务内部错误，已记录)")


def add_exception_handlers(app: FastAPI) -> None:
    """Answer every error as problem details; no traceback ever reaches the caller."""
    app.add_exception_handler(GridsError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(Exception, _unexpected)
