"""Editing the grids of a draft generation feature by feature (OGC API Features Part 4, QGIS).

Each edit locks its draft, checks the caller's role and jurisdiction and the grid's version
(optimistic locking: an edit names the version it was made from, and a stale one is refused), then
validates the draft and returns the problems the edit leaves around the grid. Active and retired
generations are never edited here: their grids are simply not found.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from grids.boundaries.access import require_planner
from grids.boundaries.drafts import get_draft
from grids.boundaries.validate import Problem, Report, validate_draft
from grids.errors import Conflict, InvalidInput, NotFound
from grids.models import Division, Generation, Grid
from grids.models.base import GRID_KINDS
from grids.users import Principal

EDITABLE = ("code", "name", "kind", "village_code")
REQUIRED = ("code", "name")
_VILLAGE = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class GridEdit:
    """What a client sent for a draft grid: some of EDITABLE, and a shape in the storage CRS."""

    fields: Mapping[str, str | None]
    geometry: shapely.Geometry | None = None


@dataclass(frozen=True)
class EditResult:
    """The grid after an edit (None once deleted), its version, and the draft's report."""

    grid_id: int | None
    version: int | None
    report: Report
    nearby: list[Problem]


def _check_fields(session: Session, fields: Mapping[str, str | None]) -> dict[str, str | None]:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(
            f"properties {', '.join(sorted(unknown))} cannot be set; editable: {', '.join(EDITABLE)} "
            f"(households and population are computed) (这些属性不可编辑)",
            field=sorted(unknown)[0],
        )
    checked: dict[str, str | None] = {}
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be text (应为文本)", field=name)
        value = value.strip() if value is not None else None
        if name in ("code", "name") and not value:
            raise InvalidInput(f"{name} must not be empty (不能为空)", field=name)
        if name == "code" and value is not None and len(value) > 32:
            raise InvalidInput(
                "code is at most 32 characters; grid codes have 15 digits (编码过长)", field=name
            )
        if name == "name" and value is not None and len(value) > 100:
            raise InvalidInput("name is at most 100 characters (名称过长)", field=name)
        if name == "kind" and value not in GRID_KINDS:
            raise InvalidInput(
                f"kind {value!r} is not one of {', '.join(GRID_KINDS)} (网格类型有误)", field=name
            )
        if name == "village_code" and value is not None:
            known = _VILLAGE.match(value) and session.scalar(
                select(Division.code).where(Division.code == value, Division.level == "village")
            )
            if not known:
                raise InvalidInput(
                    f"village_code {value!r} is not a known village (村社区代码不存在)", field=name
                )
        checked[name] = value
    return checked


def _apply(session: Session, grid: Grid, edit: GridEdit) -> None:
    for name, value in _check_fields(session, edit.fields).items():
        setattr(grid, name, value)
    if edit.geometry is not None:
        if shapely.is_empty(edit.geometry):
            raise InvalidInput("geometry is empty (几何为空)", field="geometry")
        grid.geom = from_shape(edit.geometry, srid=STORAGE_SRID)


def _defaults(fields: Mapping[str, str | None]) -> dict[str, str | None]:
    """A whole grid's fields: what is not sent, or sent empty (QGIS sends nulls), takes its default."""
    return {"kind": "ordinary", "village_code": None, **{k: v for k, v in fields.items() if v is not None}}


def _draft(session: Session, caller: Principal, generation_id: int) -> Generation:
    require_planner(caller)
    draft = get_draft(session, ref=generation_id, caller=caller, lock=True)
    if not caller.sees(draft.scope_code):  # a draft around the caller's jurisdiction is read, not edited
        raise NotFound(f"no draft {generation_id} inside your jurisdiction (辖区内无此草稿)")
    return draft


def _grid(session: Session, caller: Principal, grid_id: int, version: int | None) -> tuple[Grid, Generation]:
    require_planner(caller)
    generation_id = session.scalar(select(Grid.generation_id).where(Grid.id == grid_id))
    if generation_id is None:
        raise NotFound(f"no draft grid {grid_id} in your jurisdiction (辖区内无此草稿网格)")
    try:
        draft = _draft(session, caller, generation_id)
    except NotFound as exc:
        raise NotFound(f"no draft grid {grid_id} in your jurisdiction (辖区内无此草稿网格)") from exc
    grid = session.scalar(select(Grid).where(Grid.id == grid_id).with_for_update())
    if grid is None:
        raise NotFound(f"no draft grid {grid_id} in your jurisdiction (辖区内无此草稿网格)")
    if version is None:
        raise InvalidInput(
            f'say which version of grid {grid_id} you edited: If-Match: "{grid.version}" or property '
            f"version (请提供版本号以免覆盖他人修改)",
            field="If-Match",
        )
    if version != grid.version:
        raise Conflict(
            f"grid {grid_id} is at version {grid.version}, not {version}: someone changed it meanwhile; "
            f"reload it and edit again (该网格已被他人修改，请刷新后重试)"
        )
    return grid, draft


def _result(session: Session, draft: Generation, grid: Grid, *, deleted: bool = False) -> EditResult:
    session.flush()
    report = validate_draft(session, generation=draft)
    nearby = [
        p
        for p in report.problems
        if grid.id in p.grid_ids or (grid.village_code is not None and p.village_code == grid.village_code)
    ]
    if deleted:
        return EditResult(None, None, report, nearby)
    session.refresh(grid)
    return EditResult(grid.id, grid.version, report, nearby)


def create_grid(session: Session, *, caller: Principal, generation_id: int, edit: GridEdit) -> EditResult:
    """Add a grid to a draft; code, name and a geometry are required."""
    draft = _draft(session, caller, generation_id)
    missing = [name for name in REQUIRED if not edit.fields.get(name)]
    if missing or edit.geometry is None:
        absent = missing or ["geometry"]
        raise InvalidInput(f"a new grid needs {', '.join(absent)} (新网格缺少必填项)", field=absent[0])
    grid = Grid(generation_id=draft.id, code="", name="", kind="ordinary")
    _apply(session, grid, GridEdit(_defaults(edit.fields), edit.geometry))
    session.add(grid)
    return _result(session, draft, grid)


def replace_grid(
    session: Session, *, caller: Principal, grid_id: int, version: int | None, edit: GridEdit
) -> EditResult:
    """Replace a draft grid whole (PUT): what is not sent takes its default, and a geometry is required."""
    grid, draft = _grid(session, caller, grid_id, version)
    if edit.geometry is None:
        raise InvalidInput("a replacement needs a geometry (替换时须提供几何)", field="geometry")
    fields = _defaults(edit.fields)
    missing = [name for name in REQUIRED if not fields.get(name)]
    if missing:
        raise InvalidInput(f"a replacement needs {', '.join(missing)} (替换时缺少必填项)", field=missing[0])
    _apply(session, grid, GridEdit(fields, edit.geometry))
    grid.version = grid.version + 1
    grid.updated_at = func.now()
    return _result(session, draft, grid)


def update_grid(
    session: Session, *, caller: Principal, grid_id: int, version: int | None, edit: GridEdit
) -> EditResult:
    """Change some properties and/or the shape of a draft grid (PATCH)."""
    grid, draft = _grid(session, caller, grid_id, version)
    if not edit.fields and edit.geometry is None:
        raise InvalidInput(
            "nothing to change: send properties or a geometry (没有要修改的内容)", field="body"
        )
    _apply(session, grid, edit)
    grid.version = grid.version + 1
    grid.updated_at = func.now()
    return _result(session, draft, grid)


def delete_grid(session: Session, *, caller: Principal, grid_id: int, version: int | None) -> EditResult:
    """Remove a grid from its draft."""
    grid, draft = _grid(session, caller, grid_id, version)
    session.delete(grid)
    return _result(session, draft, grid, deleted=True)
