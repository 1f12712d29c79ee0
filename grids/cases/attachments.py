"""Photos of a case (before and after handling): checked by their bytes, not their name or header."""

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from grids.cases.queries import get_case
from grids.errors import Conflict, Forbidden, InvalidInput, NotFound
from grids.models import CaseAttachment, CaseEvent
from grids.models.cases import CLOSED_STATUSES
from grids.models.intake import ATTACHMENT_KINDS, MAX_ATTACHMENT_BYTES
from grids.users import Principal

UPLOADERS = ("worker", "dispatcher", "admin")


def sniff(data: bytes) -> str | None:
    """The image type the bytes are (JPEG, PNG or WebP), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def add_attachment(
    session: Session, *, case_id: int, caller: Principal, kind: str, data: bytes, now: datetime
) -> CaseAttachment:
    """Attach a photo to an open case in the caller's view; an `attach` event records it."""
    if caller.role not in UPLOADERS:
        raise Forbidden(
            f"role {caller.role} may not attach photos; allowed: {', '.join(UPLOADERS)} (无权上传)"
        )
    if kind not in ATTACHMENT_KINDS:
        raise InvalidInput(
            f"kind {kind!r} is not one of {', '.join(ATTACHMENT_KINDS)} (照片类型有误)", field="kind"
        )
    if not 0 < len(data) <= MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            f"file of {len(data):,} bytes: photos must be 1 byte to {MAX_ATTACHMENT_BYTES // 2**20} MiB "
            "(照片大小须在5 MiB以内)",
            field="file",
        )
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput("file is not a JPEG, PNG or WebP image (仅支持 JPEG/PNG/WebP 图片)", field="file")
    case = get_case(session, case_id=case_id, caller=caller, now=now, lock=True).case
    if case.status in CLOSED_STATUSES:
        raise Conflict(f"case {case_id} is {case.status}: photos are taken while it is open (事件已办结)")
    attachment = CaseAttachment(
        county_code=case.county_code,
        case_id=case.id,
        kind=kind,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=caller.user_id,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    session.add(
        CaseEvent(
            county_code=case.county_code,
            case_id=case.id,
            at=now,
            actor_user_id=caller.user_id,
            actor=caller.name,
            action="attach",
            from_status=case.status,
            to_status=case.status,
            data={"attachment_id": attachment.id, "kind": kind, "content_type": content_type},
        )
    )
    session.flush()
    return attachment


def list_attachments(
    session: Session, *, case_id: int, caller: Principal, now: datetime
) -> list[CaseAttachment]:
    """The photos of a case in the caller's view (without their bytes)."""
    case = get_case(session, case_id=case_id, caller=caller, now=now).case
    query = (
        select(CaseAttachment)
        .options(defer(CaseAttachment.data))
        .where(CaseAttachment.county_code == case.county_code, CaseAttachment.case_id == case.id)
        .order_by(CaseAttachment.id)
    )
    return list(session.scalars(query))


def get_attachment(
    session: Session, *, case_id: int, attachment_id: int, caller: Principal, now: datetime
) -> CaseAttachment:
    """One photo of a case in the caller's view; else not found."""
    case = get_case(session, case_id=case_id, caller=caller, now=now).case
    attachment = session.get(CaseAttachment, attachment_id)
    if attachment is None or (attachment.county_code, attachment.case_id) != (case.county_code, case.id):
        raise NotFound(f"no photo {attachment_id} of case {case_id} (无此照片)")
    return attachment
