"""Grid boundaries: drafts from uploads or GeoJSON bodies, divisions imports, validation, publishing."""

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response

from api.deps import PrincipalDep, SessionDep, commit
from api.schemas_boundaries import (
    DiffPublic,
    DivisionImportPublic,
    DraftImportPublic,
    FeatureCollectionBody,
    FixPublic,
    GenerationPublic,
    HeldPublic,
    PublicationPublic,
    RepairPublic,
    ValidationPublic,
)
from gis.io import READABLE
from grids.boundaries.access import require_planner, require_reader
from grids.boundaries.diff import diff_draft
from grids.boundaries.divisions import import_divisions
from grids.boundaries.drafts import get_draft, list_generations
from grids.boundaries.export import export_grids
from grids.boundaries.fix import fix_draft
from grids.boundaries.history import grid_held
from grids.boundaries.imports import import_draft
from grids.boundaries.publish import publish_draft
from grids.boundaries.validate import problems_geojson, validate_draft
from grids.errors import InvalidInput

router = APIRouter(prefix="/boundaries", tags=["boundaries 网格边界"])

MAX_UPLOAD_BYTES = 256 * 1024**2
UPLOADABLE = (*READABLE, ".csv")
NameForm = Annotated[str, Form(min_length=1, max_length=100, description="name of the new draft")]
DraftId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="id of the draft generation")]
CrsField = Annotated[str | None, Form(max_length=64, description="wgs84, cgcs2000, gcj02, bd09 or EPSG:…")]


@contextmanager
def _saved(upload: UploadFile, allowed: tuple[str, ...]) -> Iterator[Path]:
    """The upload as a temporary file keeping its suffix (GDAL goes by it); refused when too large."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in allowed:
        raise InvalidInput(
            f"file {upload.filename!r}: give one of {', '.join(allowed)} (不支持的文件类型)", field="file"
        )
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"file is {upload.size >> 20} MiB; at most {MAX_UPLOAD_BYTES >> 20} MiB may be uploaded, "
            "split it or zip it (文件过大)",
        )
    with tempfile.TemporaryDirectory(prefix="grids-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        yield path


@router.post(
    "/drafts/upload",
    response_model=DraftImportPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Import a draft from an uploaded file (planner)",
)
def upload_draft(
    db: SessionDep,
    caller: PrincipalDep,
    file: Annotated[UploadFile, File(description="GeoJSON, GeoPackage, zipped Shapefile, KML or KMZ")],
    name: NameForm,
    crs: CrsField = None,
    scope: Annotated[str | None, Form(max_length=12, description="division the draft redraws")] = None,
) -> DraftImportPublic:
    """Store an uploaded file's grids as a new draft, faults included, within the caller's jurisdiction."""
    with _saved(file, READABLE) as path:
        draft = import_draft(db, path=path, name=name, caller=caller, crs=crs, scope=scope)
    commit(db)
    return DraftImportPublic(**draft.__dict__)


@router.post(
    "/drafts",
    response_model=DraftImportPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Import a draft from a GeoJSON body (planner)",
)
def post_draft(
    body: FeatureCollectionBody,
    db: SessionDep,
    caller: PrincipalDep,
    name: Annotated[str, Query(min_length=1, max_length=100, description="name of the new draft")],
    crs: Annotated[str | None, Query(max_length=64, description="CRS if not WGS84 (e.g. gcj02)")] = None,
    scope: Annotated[str | None, Query(max_length=12, description="division the draft redraws")] = None,
) -> DraftImportPublic:
    """Store a GeoJSON FeatureCollection's grids as a new draft, faults included."""
    with tempfile.TemporaryDirectory(prefix="grids-body-") as folder:
        path = Path(folder) / "body.geojson"
        path.write_text(json.dumps(body.model_dump(), ensure_ascii=False), encoding="utf-8")
        draft = import_draft(db, path=path, name=name, caller=caller, crs=crs, scope=scope)
    commit(db)
    return DraftImportPublic(**draft.__dict__)


@router.get("/drafts", response_model=list[GenerationPublic], summary="List drafts")
def drafts(db: SessionDep, caller: PrincipalDep) -> list[GenerationPublic]:
    """Drafts touching the caller's jurisdiction, newest first (planners and admins)."""
    require_planner(caller)
    return [GenerationPublic.model_validate(g) for g in list_generations(db, caller=caller, status="draft")]


@router.post("/divisions/upload", response_model=DivisionImportPublic, summary="Import divisions (planner)")
def upload_divisions(
    db: SessionDep,
    caller: PrincipalDep,
    file: Annotated[UploadFile, File(description="boundary file, or a code-list CSV with code,name")],
    level: Annotated[str | None, Form(description="county, township or village")] = None,
    crs: CrsField = None,
    code_field: Annotated[str | None, Form(max_length=64)] = None,
    name_field: Annotated[str | None, Form(max_length=64)] = None,
) -> DivisionImportPublic:
    """Create or update divisions from a file; parents implied by codes become placeholders."""
    with _saved(file, UPLOADABLE) as path:
        report = import_divisions(
            db, path=path, caller=caller, level=level, crs=crs, code_field=code_field, name_field=name_field
        )
    commit(db)
    return DivisionImportPublic(**report.__dict__)


@router.get("/drafts/{draft_id}/validation", response_model=ValidationPublic, summary="Validate a draft")
def validation(
    draft_id: DraftId,
    db: SessionDep,
    caller: PrincipalDep,
    format: Annotated[
        Literal["json", "geojson"], Query(description="json: the report; geojson: problems for QGIS")
    ] = "json",
) -> Any:
    """Every problem of a draft (planners): kind, severity, grids, place, geometry and messages."""
    require_planner(caller)
    report = validate_draft(db, generation=get_draft(db, ref=draft_id, caller=caller))
    commit(db)  # the draft's household figures were refreshed
    if format == "geojson":
        return JSONResponse(problems_geojson(report), media_type="application/geo+json")
    return ValidationPublic.of(report)


@router.post("/drafts/{draft_id}/fix", response_model=FixPublic, summary="Apply safe repairs to a draft")
def fix(draft_id: DraftId, db: SessionDep, caller: PrincipalDep) -> FixPublic:
    """make_valid, snapping within tolerance and sliver hand-over; each repair reported, then re-validated."""
    generation = get_draft(db, ref=draft_id, caller=caller, lock=True)
    repairs = fix_draft(db, generation=generation, caller=caller)
    report = validate_draft(db, generation=generation)
    commit(db)
    return FixPublic(
        repairs=[RepairPublic(**r.__dict__) for r in repairs], validation=ValidationPublic.of(report)
    )


@router.get(
    "/drafts/{draft_id}/diff", response_model=DiffPublic, summary="Diff a draft against the active grids"
)
def diff(draft_id: DraftId, db: SessionDep, caller: PrincipalDep) -> DiffPublic:
    """Grids added, removed and reshaped, households moved, workers and open cases affected (planners)."""
    require_planner(caller)
    return DiffPublic.of(diff_draft(db, generation=get_draft(db, ref=draft_id, caller=caller), caller=caller))


@router.post("/drafts/{draft_id}/publish", response_model=PublicationPublic, summary="Publish a draft")
def publish(
    draft_id: DraftId,
    db: SessionDep,
    caller: PrincipalDep,
    commit_: Annotated[bool, Query(alias="commit", description="really publish; false is a dry run")] = False,
) -> PublicationPublic:
    """Refused (409) while anything blocks; else activates the draft atomically and re-homes open cases."""
    result = publish_draft(db, ref=draft_id, caller=caller, commit=commit_)
    if commit_:
        commit(db)
    return PublicationPublic.of(result)


@router.get("/generations", response_model=list[GenerationPublic], summary="List generations")
def generations(db: SessionDep, caller: PrincipalDep) -> list[GenerationPublic]:
    """Generations touching the caller's jurisdiction, newest first (planners, dispatchers, leaders)."""
    require_reader(caller)
    return [GenerationPublic.model_validate(g) for g in list_generations(db, caller=caller)]


@router.get("/history", response_model=list[HeldPublic], summary="Which grid held a point on a date")
def history(
    db: SessionDep,
    caller: PrincipalDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude")],
    on: Annotated[date | datetime, Query(description="a date (its end, China time) or a datetime")],
    crs: Annotated[str, Query(max_length=64, description="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
) -> list[HeldPublic]:
    """The grid(s) that held the point then (two when it lies on a shared edge); none outside your area."""
    return [HeldPublic(**h.__dict__) for h in grid_held(db, lon=lon, lat=lat, on=on, caller=caller, crs=crs)]


EXPORT_TYPES = {
    "geojson": ("application/geo+json", ".geojson"),
    "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
    "shp": ("application/zip", ".shp"),
}


@router.get("/export", summary="Export grids (GeoJSON, GeoPackage or zipped Shapefile)")
def export(
    db: SessionDep,
    caller: PrincipalDep,
    format: Annotated[Literal["geojson", "gpkg", "shp"], Query(description="file format")] = "geojson",
    generation: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="default: every active grid")
    ] = None,
) -> Response:
    """Grids with their attributes, Chinese names intact; a Shapefile comes zipped with its .cpg."""
    media, suffix = EXPORT_TYPES[format]
    with tempfile.TemporaryDirectory(prefix="grids-export-") as folder:
        path = Path(folder) / f"grids{suffix}"
        export_grids(db, path=path, caller=caller, generation=generation)
        if format == "shp":
            archive = Path(folder) / "grids.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                for part in sorted(Path(folder).glob("grids.*")):
                    if part.suffix != ".zip":
                        z.write(part, part.name)
            path = archive
        content = path.read_bytes()
    name = f"grids-{generation or 'active'}{'.zip' if format == 'shp' else suffix}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
