"""Stage deadlines: each stage's time limit (calendar hours) counted on from the previous stage's."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from grids.models import CaseCategory

STAGES = ("receive", "dispatch", "handle", "reply")
"""信息接收, 分流交办, 执行处置, 回复反馈 — the timed stages, in order."""

STAGE_DONE = {"receive": "accept", "dispatch": "dispatch", "handle": "handle", "reply": "reply"}
"""The action that completes each stage."""


@dataclass(frozen=True)
class Deadlines:
    """When each stage is due."""

    receive_due: datetime
    dispatch_due: datetime
    handle_due: datetime
    reply_due: datetime


def deadlines(category: CaseCategory, received_at: datetime) -> Deadlines:
    """Each stage's deadline from receipt, in calendar hours of the category's time limits."""
    receive = received_at + timedelta(hours=category.receive_hours)
    dispatch = receive + timedelta(hours=category.dispatch_hours)
    handle = dispatch + timedelta(hours=category.handle_hours)
    return Deadlines(receive, dispatch, handle, handle + timedelta(hours=category.reply_hours))
