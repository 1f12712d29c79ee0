"""Liveness and readiness."""

from fastapi import APIRouter

from api.deps import SessionDep
from api.schemas import HealthPublic
from grids.health import database_versions

router = APIRouter(tags=["health 健康检查"])


@router.get("/livez", summary="The process is up")
def livez() -> dict[str, str]:
    """A constant answer: the process is up (no database call)."""
    return {"status": "ok"}


@router.get("/healthz", response_model=HealthPublic, summary="The database answers")
def healthz(db: SessionDep) -> HealthPublic:
    """Check the database and report the PostgreSQL and PostGIS versions."""
    return HealthPublic(status="ok", **database_versions(db))
