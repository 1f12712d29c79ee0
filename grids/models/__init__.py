"""Tables of the service, one module per aggregate; `Base.metadata` is what migrations mirror."""

from grids.models.base import Base
from grids.models.boundaries import Generation, Grid, GridPart, HouseholdBlock
from grids.models.cases import Case, CaseEvent, CaseIntakeKey, GridCaseFigures
from grids.models.catalogue import CaseCategory, CaseCategoryVersion, Platform
from grids.models.coverage import AllocationPlan
from grids.models.divisions import Division, DivisionPart
from grids.models.intake import (
    CacheVersion,
    CalendarDay,
    CaseAttachment,
    IdempotencyRecord,
    PersonalDataAccess,
    WorkerAccount,
)
from grids.models.people import DutyWindow, GridWorkerFigures, Person, Worker, WorkerAssignment
from grids.models.users import ApiToken, DbLogin, User

__all__ = [
    "AllocationPlan",
    "ApiToken",
    "Base",
    "CacheVersion",
    "CalendarDay",
    "Case",
    "CaseAttachment",
    "CaseCategory",
    "CaseCategoryVersion",
    "CaseEvent",
    "CaseIntakeKey",
    "DbLogin",
    "Division",
    "DivisionPart",
    "DutyWindow",
    "Generation",
    "Grid",
    "GridCaseFigures",
    "GridPart",
    "GridWorkerFigures",
    "HouseholdBlock",
    "IdempotencyRecord",
    "Person",
    "PersonalDataAccess",
    "Platform",
    "User",
    "Worker",
    "WorkerAccount",
    "WorkerAssignment",
]
