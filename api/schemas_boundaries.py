"""Bodies of the `/boundaries` endpoints."""

from datetime import datetime
from typing import Any, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Orm
from grids.boundaries.diff import Diff
from grids.boundaries.messages import KINDS
from grids.boundaries.publish import Publication
from grids.boundaries.validate import Problem, Report


class FeatureCollectionBody(BaseModel):
    """A GeoJSON FeatureCollection of grids (RFC 7946; a legacy `crs` member is honoured)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]] = Field(max_length=200_000)


class DraftImportPublic(BaseModel):
    """A draft just stored from a file."""

    generation_id: int
    name: str
    scope_code: str
    grids: int
    without_village: int = Field(description="grids lying in no known village")
    source_crs: str


class DivisionImportPublic(BaseModel):
    """What a divisions import changed."""

    created: list[str]
    updated: list[str]
    placeholders: list[str] = Field(description="parents implied by codes, created and named by their code")
    repaired: list[str] = Field(description="divisions whose invalid boundary was repaired with make_valid")


class GenerationPublic(Orm):
    """A generation of grids: draft, active or retired."""

    id: int
    name: str
    scope_code: str
    status: Literal["draft", "active", "retired"]
    description: str | None
    created_by: str
    created_at: datetime
    activated_by: str | None
    activated_at: datetime | None
    retired_at: datetime | None


class ProblemPublic(BaseModel):
    """One problem of a draft: geometry as GeoJSON, location as [longitude, latitude] (CGCS2000)."""

    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    severity: Literal["blocking", "warning"]
    grid_codes: list[str] = Field(description="codes of the grids involved (#id for a grid with no code yet)")
    grid_ids: list[int]
    village_code: str | None
    location: tuple[float, float] | None
    geometry: dict[str, Any] | None = Field(description="the offending geometry (GeoJSON)")
    area_m2: float | None
    message_zh: str
    message_en: str
    reason: str | None = Field(description="GEOS's reason for invalid geometry")
    fixable: bool | None = Field(description="whether make_valid would repair an invalid geometry")

    @classmethod
    def of(cls, p: Problem) -> "ProblemPublic":
        """The public view of a problem."""
        geometry = None if p.geometry is None else shapely.geometry.mapping(p.geometry)
        return cls(**{**p.__dict__, "geometry": geometry})


class ValidationPublic(BaseModel):
    """The validation report of a draft; `blocking` is true when it cannot be published."""

    generation_id: int
    name: str
    scope_code: str
    grids: int
    blocking: bool
    counts: dict[str, int]
    problems: list[ProblemPublic]

    @classmethod
    def of(cls, report: Report) -> "ValidationPublic":
        """The public view of a report."""
        return cls(
            generation_id=report.generation_id,
            name=report.name,
            scope_code=report.scope_code,
            grids=report.grids,
            blocking=report.blocking,
            counts=report.counts(),
            problems=[ProblemPublic.of(p) for p in report.problems],
        )


class RepairPublic(BaseModel):
    """A repair `fix` applied."""

    kind: Literal["make_valid", "snap", "sliver"]
    grid_code: str
    grid_id: int
    area_change_m2: float
    message_zh: str
    message_en: str


class FixPublic(BaseModel):
    """The repairs applied and the report after them."""

    repairs: list[RepairPublic]
    validation: ValidationPublic


class GridChangePublic(BaseModel):
    """One grid's fate in a diff."""

    change: Literal["unchanged", "reshaped", "added", "removed"]
    code: str
    code_source: Literal["kept", "persisted", "given", "numbered", "retired"]
    village_code: str | None
    draft_id: int | None
    active_id: int | None
    old_area_m2: float | None
    new_area_m2: float | None
    area_change_m2: float | None
    area_change_pct: float | None


class HouseholdMovePublic(BaseModel):
    """Households changing grid."""

    from_code: str | None
    to_code: str | None
    households: int
    blocks: int


class WorkerChangePublic(BaseModel):
    """A worker whose grid is reshaped or removed (staff number, never a name)."""

    worker_id: int
    staff_no: str
    role: str
    assignment: str
    grid_code: str
    change: Literal["reshaped", "removed"]


class CaseMovePublic(BaseModel):
    """An open case that would change grid."""

    county_code: str
    case_id: int
    status: str
    from_code: str | None
    to_code: str | None


class DiffPublic(BaseModel):
    """A draft against the active generation(s) of its scope; unchanged grids are only counted."""

    generation_id: int
    name: str
    scope_code: str
    active_generations: list[int]
    counts: dict[str, int]
    grids: list[GridChangePublic]
    households_moved: list[HouseholdMovePublic]
    workers: list[WorkerChangePublic]
    cases: list[CaseMovePublic]

    @classmethod
    def of(cls, diff: Diff) -> "DiffPublic":
        """The public view of a diff."""
        plan = diff.plan
        return cls(
            generation_id=plan.generation.id,
            name=plan.generation.name,
            scope_code=plan.generation.scope_code,
            active_generations=plan.active_generations,
            counts=plan.counts(),
            grids=[
                GridChangePublic(
                    **c.__dict__, area_change_m2=c.area_change_m2, area_change_pct=c.area_change_pct
                )
                for c in plan.changes
                if c.change != "unchanged"
            ],
            households_moved=[HouseholdMovePublic(**h.__dict__) for h in diff.households],
            workers=[WorkerChangePublic(**w.__dict__) for w in diff.workers],
            cases=[CaseMovePublic(**m.__dict__) for m in diff.cases],
        )


class PublicationPublic(BaseModel):
    """What a publish did, or in a dry run would do."""

    generation_id: int
    name: str
    scope_code: str
    committed: bool
    counts: dict[str, int]
    numbered: list[str] = Field(description="codes given to new grids")
    retired_generations: list[int]
    cases_rehomed: int
    assignments_ended: int
    grids_without_worker: list[str]
    diff: DiffPublic | None = Field(description="in a dry run: the full diff")

    @classmethod
    def of(cls, p: Publication) -> "PublicationPublic":
        """The public view of a publication."""
        return cls(
            generation_id=p.generation_id,
            name=p.name,
            scope_code=p.scope_code,
            committed=p.committed,
            counts=p.counts,
            numbered=sorted(p.numbered),
            retired_generations=p.retired_generations,
            cases_rehomed=p.cases_rehomed,
            assignments_ended=p.assignments_ended,
            grids_without_worker=p.grids_without_worker,
            diff=None if p.diff is None else DiffPublic.of(p.diff),
        )


class HeldPublic(BaseModel):
    """A grid that held a point at a moment, with the generation it belonged to."""

    code: str
    name: str
    kind: str
    village_code: str | None
    generation_id: int
    generation_name: str
    activated_at: datetime
    retired_at: datetime | None
