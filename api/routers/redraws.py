"""Redraw proposals: an overloaded village's ordinary grids regionalised within a households floor and cap."""

from fastapi import APIRouter, status

from api.deps import PrincipalDep, SessionDep, commit
from api.schemas_redraws import RedrawCreate, RedrawPublic
from grids.coverage.redraw import propose_redraw

router = APIRouter(prefix="/coverage", tags=["coverage 覆盖分析"])


@router.post(
    "/redraws",
    response_model=RedrawPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Propose a redraw of a village's ordinary grids as a draft (planner)",
)
def post_redraw(body: RedrawCreate, db: SessionDep, caller: PrincipalDep) -> RedrawPublic:
    """Store a draft whose ordinary grids hold `floor`–`cap` households each, contiguous; say whether the
    cap holds and why not, with the draft's validation (validate, diff and publish it under /boundaries)."""
    proposal = propose_redraw(
        db, village_code=body.village_code, caller=caller, floor=body.floor, cap=body.cap
    )
    commit(db)
    return RedrawPublic.of(proposal)
