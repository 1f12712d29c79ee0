"""Rosters and responsibility lists through the API: the same file imports as the command line."""

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel

from api.deps import SessionDep, commit, require
from grids.cases.files import read_table
from grids.cases.rosters import import_categories, import_roster
from grids.errors import InvalidInput
from grids.users import Principal

router = APIRouter(tags=["rosters 花名册与权责清单"])
KeeperDep = Annotated[Principal, Depends(require("dispatcher", "admin"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
MAX_FILE = 20 * 2**20
UploadArg = Annotated[UploadFile, File(description="a .csv or .xlsx file as townships keep them")]


class RosterImportPublic(BaseModel):
    """What a roster import changed."""

    workers_added: int
    workers_updated: int
    assignments_added: int
    assignments_ended: int


class CategoryImportPublic(BaseModel):
    """How many categories were written."""

    categories: int


def _rows(upload: UploadFile) -> list[dict[str, object]]:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput("upload a .csv or .xlsx file (仅支持 CSV 或 Excel 文件)", field="file")
    data = upload.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise InvalidInput("the file is larger than 20 MiB (文件过大)", field="file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            return read_table(path)
        except (ValueError, KeyError, OSError) as exc:  # a damaged workbook or undecodable text
            raise InvalidInput(f"the file cannot be read: {exc} (文件无法读取)", field="file") from exc


@router.post("/workers/import", response_model=RosterImportPublic, summary="Import a roster")
def import_workers(db: SessionDep, caller: KeeperDep, file: UploadArg) -> RosterImportPublic:
    """Workers with dated grid assignments and duty windows, within your jurisdiction; all or nothing."""
    summary = import_roster(db, rows=_rows(file), caller=caller)
    commit(db)
    return RosterImportPublic(**vars(summary))


@router.post("/categories/import", response_model=CategoryImportPublic, summary="Import categories")
def import_category_list(db: SessionDep, caller: AdminDep, file: UploadArg) -> CategoryImportPublic:
    """Insert or update case categories with their platforms and stage time limits; all or nothing."""
    count = import_categories(db, rows=_rows(file), caller=caller)
    commit(db)
    return CategoryImportPublic(categories=count)
