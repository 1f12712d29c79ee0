"""Bodies of `GET /supervision/overdue` and `GET /assessment`."""

from datetime import datetime

from pydantic import BaseModel

from api.schemas_cases import CasePublic
from grids.cases.assessment import UnitFigures
from grids.cases.supervision import OverdueGroup


class OverdueGroupPublic(BaseModel):
    """A township, platform or worker (by staff number) with its late and soon-due open cases."""

    key: str
    name: str
    late: int
    due_soon: int

    @classmethod
    def of(cls, group: OverdueGroup) -> "OverdueGroupPublic":
        """The public form."""
        return cls(key=group.key, name=group.name, late=group.late, due_soon=group.due_soon)


class OverduePublic(BaseModel):
    """Open cases late in their stage or due within the horizon: counts by unit, and the cases."""

    as_of: datetime
    within_hours: float
    by: str
    groups: list[OverdueGroupPublic]
    items: list[CasePublic]


class StagePublic(BaseModel):
    """One stage of one unit."""

    done: int
    on_time: int
    open_late: int
    on_time_rate: float | None


class UnitPublic(BaseModel):
    """The figures of one township, platform or worker."""

    key: str
    name: str
    cases: int
    stages: dict[str, StagePublic]
    close_rate: float | None
    return_rate: float | None
    mean_handling_hours: float | None

    @classmethod
    def of(cls, f: UnitFigures) -> "UnitPublic":
        """The public form."""
        stages = {
            name: StagePublic(
                done=s.done, on_time=s.on_time, open_late=s.open_late, on_time_rate=s.on_time_rate
            )
            for name, s in f.stages.items()
        }
        return cls(
            key=f.key,
            name=f.name,
            cases=f.cases,
            stages=stages,
            close_rate=f.close_rate,
            return_rate=f.return_rate,
            mean_handling_hours=f.mean_handling_hours,
        )


class AssessmentPublic(BaseModel):
    """Assessment of the cases received in [from, to) per unit."""

    level: str
    start: datetime
    end: datetime
    units: list[UnitPublic]
