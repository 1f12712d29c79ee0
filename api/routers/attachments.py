"""Photos of cases: upload (multipart), list, download."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import SessionDep, commit, require
from grids.cases.attachments import add_attachment, get_attachment, list_attachments
from grids.models import CaseAttachment
from grids.models.intake import MAX_ATTACHMENT_BYTES
from grids.users import Principal

router = APIRouter(tags=["cases 事件"])
ReaderDep = Annotated[Principal, Depends(require("dispatcher", "leader", "admin", "worker", "integration"))]
UploaderDep = Annotated[Principal, Depends(require("worker", "dispatcher", "admin"))]
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class AttachmentPublic(BaseModel):
    """A photo's description (the bytes are at its own URL)."""

    id: int
    kind: Literal["before", "after", "other"]
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def of(cls, a: CaseAttachment) -> "AttachmentPublic":
        """The public form."""
        return cls(
            id=a.id, kind=a.kind, content_type=a.content_type, size_bytes=a.size_bytes,  # type: ignore[arg-type]
            sha256=a.sha256, uploaded_at=a.uploaded_at,
        )  # fmt: skip


@router.post(
    "/cases/{case_id}/attachments", response_model=AttachmentPublic, status_code=201, summary="Attach a photo"
)
def upload(
    case_id: CaseId,
    db: SessionDep,
    caller: UploaderDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MiB")],
    kind: Annotated[Literal["before", "after", "other"], Form()] = "other",
) -> AttachmentPublic:
    """A before/after photo of an open case (the worker it is assigned to, or a dispatcher)."""
    data = file.file.read(MAX_ATTACHMENT_BYTES + 1)
    attachment = add_attachment(
        db, case_id=case_id, caller=caller, kind=kind, data=data, now=datetime.now(UTC)
    )
    answer = AttachmentPublic.of(attachment)
    commit(db)
    return answer


@router.get("/cases/{case_id}/attachments", response_model=list[AttachmentPublic], summary="A case's photos")
def attachments(case_id: CaseId, db: SessionDep, caller: ReaderDep) -> list[AttachmentPublic]:
    """The photos of a case in your jurisdiction."""
    return [
        AttachmentPublic.of(a)
        for a in list_attachments(db, case_id=case_id, caller=caller, now=datetime.now(UTC))
    ]


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
    summary="One photo",
)
def attachment(
    case_id: CaseId,
    attachment_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    db: SessionDep,
    caller: ReaderDep,
) -> Response:
    """The photo's bytes."""
    found = get_attachment(
        db, case_id=case_id, attachment_id=attachment_id, caller=caller, now=datetime.now(UTC)
    )
    return Response(found.data, media_type=found.content_type, headers={"Cache-Control": "private"})
