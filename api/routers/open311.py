"""Open311 GeoReport v2 at /open311/v2/ so civic-reporting clients can submit and follow cases.

JSON only. The API key is a token of this service (`api_key` parameter, or the usual bearer header);
`coord_sys` (wgs84, cgcs2000, gcj02, bd09) is our extension for Chinese map apps. Errors keep this
API's problem details rather than GeoReport's error list, so every client meets one error format.
Reporter names and phones are taken in but never shown back.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, RootModel

from api.deps import SessionDep
from api.idempotent import idempotent
from grids.cases.intake import CaseInput, Reporter, check_text, receive_case
from grids.cases.queries import CaseFilters, CaseView, get_case, list_cases
from grids.catalogue import list_categories
from grids.errors import NotFound, Unauthenticated
from grids.models import CaseCategory
from grids.models.cases import CLOSED_STATUSES
from grids.users import Principal, PrincipalCache, require_role

router = APIRouter(prefix="/open311/v2", tags=["open311 GeoReport v2"])
_bearer = HTTPBearer(auto_error=False)
READERS = ("dispatcher", "leader", "admin", "integration")
WRITERS = ("integration", "dispatcher", "admin")


def open311_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Query(max_length=200, description="a token of this service")] = None,
) -> Principal:
    """The caller behind the `api_key` query parameter (or a bearer token): 401 without one."""
    return _authenticate(request, api_key, credentials)


def open311_submitter(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Form(max_length=200, description="a token of this service")] = None,
) -> Principal:
    """The caller behind the `api_key` form field of a POST (or a bearer token): 401 without one."""
    return _authenticate(request, api_key, credentials)


def _authenticate(
    request: Request, api_key: str | None, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The token's principal through the process's cache, as for every other endpoint."""
    token = api_key or (credentials.credentials if credentials is not None else None)
    if not token:
        raise Unauthenticated("send api_key=<token> (请提供 api_key)")
    principals: PrincipalCache = request.app.state.principals
    return principals.authenticate(request.app.state.reads, token)


CallerDep = Annotated[Principal, Depends(open311_caller)]
SubmitterDep = Annotated[Principal, Depends(open311_submitter)]


class Service(BaseModel):
    """A GeoReport service: one case category of the responsibility list."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = False
    type: Literal["realtime"] = "realtime"
    keywords: str
    group: str


class ServiceRequest(BaseModel):
    """A GeoReport service request: a case, without personal data."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    lat: float | None
    long: float | None


class Created(BaseModel):
    """The answer to a new request."""

    service_request_id: str
    service_notice: str | None
    account_id: None = None


Services = RootModel[list[Service]]
Requests = RootModel[list[ServiceRequest]]
CreatedList = RootModel[list[Created]]


def _request(view: CaseView, names: dict[str, str]) -> ServiceRequest:
    c = view.case
    return ServiceRequest(
        service_request_id=str(c.id),
        status="closed" if c.status in CLOSED_STATUSES else "open",
        status_notes=c.status,
        service_name=names.get(c.category_code, c.category_code),
        service_code=c.category_code,
        description=c.description,
        agency_responsible=c.platform_code,
        requested_datetime=c.reported_at,
        updated_datetime=c.updated_at,
        expected_datetime=c.reply_due,
        address=c.address,
        lat=view.lat,
        long=view.lon,
    )


def _names(db: SessionDep) -> dict[str, str]:
    return {c.code: c.name_zh for c in list_categories(db)}


@router.get("/services.json", response_model=list[Service], summary="Service list (case categories)")
def services(db: SessionDep, caller: CallerDep) -> list[Service]:
    """Every case category as a GeoReport service."""
    return [
        Service(
            service_code=c.code,
            service_name=c.name_zh,
            description=c.name_en,
            keywords=c.family,
            group=c.platform_code,
        )
        for c in list_categories(db)
    ]


@router.get("/requests.json", response_model=list[ServiceRequest], summary="Service requests")
def requests(
    db: SessionDep,
    caller: CallerDep,
    service_code: Annotated[str | None, Query(max_length=41)] = None,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    start_date: Annotated[datetime | None, Query()] = None,
    end_date: Annotated[datetime | None, Query()] = None,
) -> list[ServiceRequest]:
    """Requests in the caller's jurisdiction, newest first (at most 1,000)."""
    require_role(caller, *READERS)
    filters = CaseFilters(
        category=service_code, open=None if status is None else status == "open",
        reported_from=start_date, reported_to=end_date,
    )  # fmt: skip
    rows, _ = list_cases(db, caller=caller, filters=filters, now=datetime.now(UTC), limit=1000)
    names = _names(db)
    return [_request(v, names) for v in rows]


@router.get("/requests/{request_id}.json", response_model=list[ServiceRequest], summary="One service request")
def request(
    request_id: Annotated[int, Path(ge=1, le=2**63 - 1)], db: SessionDep, caller: CallerDep
) -> list[ServiceRequest]:
    """One request (as a list of one, per GeoReport); outside the jurisdiction it is not found."""
    require_role(caller, *READERS)
    return [_request(get_case(db, case_id=request_id, caller=caller, now=datetime.now(UTC)), _names(db))]


@router.post("/requests.json", response_model=list[Created], status_code=201, summary="Submit a request")
def submit(
    db: SessionDep,
    caller: SubmitterDep,
    service_code: Annotated[str, Form(max_length=41)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    lat: Annotated[float | None, Form()] = None,
    long: Annotated[float | None, Form()] = None,
    coord_sys: Annotated[
        str, Form(max_length=64, description="extension: wgs84, cgcs2000, gcj02, bd09")
    ] = "wgs84",
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    first_name: Annotated[str | None, Form(max_length=50)] = None,
    last_name: Annotated[str | None, Form(max_length=50)] = None,
    phone: Annotated[str | None, Form(max_length=30)] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=300)] = None,
) -> JSONResponse:
    """A new case on the open311 channel, located, routed and timed like any other."""
    require_role(caller, *WRITERS)
    check_text(service_code=service_code)
    if db.get(CaseCategory, service_code) is None:
        raise NotFound(f"no service {service_code!r}; see services.json (服务类别不存在)")
    name = "".join(p for p in (last_name, first_name) if p) or None
    body = repr((service_code, description, lat, long, coord_sys, address_string, name, phone))

    def run() -> tuple[int, BaseModel]:
        data = CaseInput(
            "open311",
            f"{caller.user_id}-{uuid.uuid4()}",
            service_code,
            description,
            datetime.now(UTC),
            long,
            lat,
            coord_sys,
            address_string,
            None,
            None if name is None else Reporter(name, phone),
        )
        case = receive_case(db, data=data, caller=caller).case
        notice = "待定位 waiting to be located" if case.status == "to_locate" else None
        return 201, CreatedList([Created(service_request_id=str(case.id), service_notice=notice)])

    return idempotent(db, caller, idempotency_key, "POST /open311/v2/requests.json", body, run)
