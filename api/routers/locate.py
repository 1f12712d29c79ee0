"""Locate a point: division chain, grid, responsible worker on duty, platform staff."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import PrincipalDep, ReadSessionDep
from api.schemas_locate import LocatePublic, LocateRequest
from grids.locate import locate as locate_point

router = APIRouter(tags=["locate 定位"])


@router.post("/locate", response_model=LocatePublic, summary="Locate a point")
def locate(body: LocateRequest, db: ReadSessionDep, caller: PrincipalDep) -> Response:
    """The grid a point falls in (inside / edge / near / outside) and who answers for it; any role."""
    found = locate_point(
        db, lon=body.lon, lat=body.lat, crs=body.crs, caller=caller, at=body.at, tolerance_m=body.tolerance_m
    )
    # Serialised once by pydantic: returned as a model, FastAPI would dump, validate and encode it again.
    return Response(LocatePublic.of(found).model_dump_json(), media_type="application/json")
