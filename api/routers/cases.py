"""Cases: intake (one, a batch), lists and one case with its events, and actions of the closed loop.

POSTs honour the `Idempotency-Key` header: a repeat replays the stored answer, a repeat while the
first runs is a 409, the same key with a different body a 422.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import SessionDep, commit, require
from api.idempotent import error_status, idempotent
from api.schemas_cases import (
    ActionCreate,
    BatchError,
    BatchItemPublic,
    BatchPublic,
    CaseBatchCreate,
    CaseCreate,
    CaseCreated,
    CaseDetail,
    CasePage,
    CasePublic,
    Channel,
    EventPublic,
    ReporterPublic,
    Status,
)
from grids.cases.intake import Intake, receive_batch, receive_case
from grids.cases.lifecycle import act, allowed_actions
from grids.cases.queries import CaseFilters, CaseView, events_of, get_case, list_cases, reporter_of, view_of
from grids.errors import Forbidden
from grids.users import Principal

router = APIRouter(tags=["cases 事件"])
IntakeDep = Annotated[Principal, Depends(require("integration", "dispatcher", "admin", "worker"))]
ReaderDep = Annotated[Principal, Depends(require("dispatcher", "leader", "admin", "worker", "integration"))]
ActorDep = Annotated[Principal, Depends(require("dispatcher", "leader", "admin", "worker", "integration"))]
KeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=300, description="repeat-safe key (IETF idempotency draft)"),
]
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1, description="case id")]


def _check_channel(caller: Principal, channel: str) -> None:
    if caller.role == "worker" and channel != "patrol":
        raise Forbidden("grid workers report through the patrol channel only (网格员只能通过巡查渠道上报)")


def answer_view(db: Session, intake: Intake, caller: Principal) -> CaseView:
    """What an intake answers with: a new case as it was just stored, one made before as it is now."""
    now = datetime.now(UTC)
    if intake.created:
        return view_of(intake.case, now)
    return get_case(db, case_id=intake.case.id, caller=caller, now=now)


@router.post(
    "/cases",
    response_model=CaseCreated,
    status_code=201,
    responses={200: {"model": CaseCreated, "description": "sent before: the case it made"}},
    summary="Take in a case",
)
def create_case(
    body: CaseCreate, db: SessionDep, caller: IntakeDep, idempotency_key: KeyHeader = None
) -> JSONResponse:
    """Locate, route, assign and time one case; 201 when created, 200 when its external id was seen."""
    _check_channel(caller, body.channel)

    def run() -> tuple[int, BaseModel]:
        intake = receive_case(db, data=body.to_input(), caller=caller)
        answer = CaseCreated(
            **CasePublic.of(answer_view(db, intake, caller)).model_dump(), created=intake.created
        )
        return (201 if intake.created else 200), answer

    return idempotent(db, caller, idempotency_key, "POST /cases", body.model_dump_json(), run)


@router.post("/cases/batch", response_model=BatchPublic, summary="Take in a batch of cases")
def create_batch(
    body: CaseBatchCreate, db: SessionDep, caller: IntakeDep, idempotency_key: KeyHeader = None
) -> JSONResponse:
    """Up to 1,000 cases in one transaction; each item created, existing, or refused with its error."""
    for item in body.items:
        _check_channel(caller, item.channel)

    def run() -> tuple[int, BaseModel]:
        now = datetime.now(UTC)
        results = receive_batch(db, items=[i.to_input() for i in body.items], caller=caller, now=now)
        items = []
        for r in results:
            if r.intake is None:
                assert r.error is not None
                error = BatchError(status=error_status(r.error), detail=r.error.message, field=r.error.field)
                items.append(BatchItemPublic(index=r.index, outcome="error", case=None, error=error))
            else:
                view = answer_view(db, r.intake, caller)
                outcome: Literal["created", "existing"] = "created" if r.intake.created else "existing"
                items.append(
                    BatchItemPublic(index=r.index, outcome=outcome, case=CasePublic.of(view), error=None)
                )
        counts = {k: sum(i.outcome == k for i in items) for k in ("created", "existing", "error")}
        return 200, BatchPublic(
            created=counts["created"], existing=counts["existing"], errors=counts["error"], items=items
        )

    return idempotent(db, caller, idempotency_key, "POST /cases/batch", body.model_dump_json(), run)


@router.get("/cases", response_model=CasePage, summary="List cases")
def cases(
    db: SessionDep,
    caller: ReaderDep,
    status: Annotated[Status | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    external_id: Annotated[str | None, Query(max_length=200)] = None,
    grid: Annotated[str | None, Query(max_length=15, description="15-digit grid code")] = None,
    division: Annotated[
        str | None, Query(max_length=12, description="county, township or village code")
    ] = None,
    platform: Annotated[str | None, Query(max_length=20)] = None,
    worker: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    overdue: Annotated[bool | None, Query(description="late in the stage it is in")] = None,
    mine: Annotated[bool, Query(description="a grid worker's own cases")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CasePage:
    """Cases in your jurisdiction (a worker: their own), newest first; no personal data."""
    filters = CaseFilters(status, channel, external_id, grid, division, platform, worker, overdue, mine)
    rows, total = list_cases(
        db, caller=caller, filters=filters, now=datetime.now(UTC), limit=limit, offset=offset
    )
    return CasePage(items=[CasePublic.of(r) for r in rows], number_matched=total, limit=limit, offset=offset)


def _detail(db: Session, view: CaseView, caller: Principal, reveal: bool) -> CaseDetail:
    return CaseDetail(
        **CasePublic.of(view).model_dump(),
        events=[EventPublic.of(e) for e in events_of(db, view.case)],
        reporter=ReporterPublic.of(reporter_of(db, case=view.case, caller=caller, reveal=reveal)),
        allowed_actions=allowed_actions(view.case.status, caller.role),
    )


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="One case with its events")
def case(
    case_id: CaseId,
    db: SessionDep,
    caller: ReaderDep,
    reveal: Annotated[
        bool, Query(description="unmask the reporter (the handling dispatcher; logged)")
    ] = False,
) -> CaseDetail:
    """One case in your jurisdiction with its events; the reporter masked unless revealed."""
    detail = _detail(db, get_case(db, case_id=case_id, caller=caller, now=datetime.now(UTC)), caller, reveal)
    if reveal:
        commit(db)  # the reveal is logged
    return detail


@router.post("/cases/{case_id}/actions", response_model=CaseDetail, summary="Take an action on a case")
def action(
    case_id: CaseId, body: ActionCreate, db: SessionDep, caller: ActorDep, idempotency_key: KeyHeader = None
) -> JSONResponse:
    """One step of the closed loop; an action the case's status does not allow is a 409 naming the allowed."""

    def run() -> tuple[int, BaseModel]:
        view = act(db, case_id=case_id, action=body.to_input(), caller=caller, now=datetime.now(UTC))
        return 200, _detail(db, view, caller, False)

    return idempotent(
        db, caller, idempotency_key, f"POST /cases/{case_id}/actions", body.model_dump_json(), run
    )
