"""Importing administrative divisions from boundary files or the national code list (CSV)."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from gis.io import FileProblem, describe_types, read_code_list, read_features
from grids.boundaries.access import require_planner
from grids.boundaries.fields import DIVISION_CODE_FIELDS, DIVISION_NAME_FIELDS, pick_field, text_of
from grids.codes import division_code, level_of
from grids.errors import Forbidden, InvalidInput
from grids.models import Division
from grids.users import Principal

IMPORT_LEVELS = ("county", "township", "village")
_PARENT_LENGTH = {"city": 2, "county": 4, "township": 6, "village": 9}


@dataclass
class DivisionImport:
    """What an import changed: codes created, updated, implied as placeholders, and shapes repaired."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    geom: shapely.Geometry | None


def parent_of(code: str) -> str | None:
    """The 12-digit code of a division's parent (None for a province)."""
    level = level_of(code)
    return None if level == "province" else code[: _PARENT_LENGTH[level]].ljust(12, "0")


def import_divisions(
    session: Session,
    *,
    path: Path,
    caller: Principal,
    level: str | None = None,
    crs: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
) -> DivisionImport:
    """Create or update the divisions a file holds; ancestors implied by codes become placeholders."""
    require_planner(caller)
    if level is not None and level not in IMPORT_LEVELS:
        raise InvalidInput(
            f"--level {level!r} is not one of {', '.join(IMPORT_LEVELS)} (层级有误)", field="level"
        )
    rows = (
        _code_list_rows(path)
        if path.suffix.lower() == ".csv"
        else _feature_rows(path, crs, code_field, name_field)
    )
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if level is not None and level_of(row.code) != level:
            raise InvalidInput(
                f"row {number}: code {row.code} names a {level_of(row.code)}, not a {level} "
                f"(第{number}行的代码层级与 --level 不符)",
                field="level",
            )
        if row.code in seen:
            raise InvalidInput(
                f"row {number}: code {row.code} appears twice in the file (代码重复)", field="code"
            )
        if not caller.sees(row.code):
            raise Forbidden(f"division {row.code} lies outside your jurisdiction (超出辖区范围)")
        seen.add(row.code)
    return _store(session, rows)


def _code_list_rows(path: Path) -> list[_Row]:
    try:
        pairs = read_code_list(path)
    except FileProblem as exc:
        raise InvalidInput(str(exc), field="file") from exc
    return [
        _Row(division_code(code, field=f"code on line {i}"), name, None)
        for i, (code, name) in enumerate(pairs, 2)
    ]


def _feature_rows(path: Path, crs: str | None, code_field: str | None, name_field: str | None) -> list[_Row]:
    try:
        features = read_features(path, crs=crs)
    except FileProblem as exc:
        raise InvalidInput(str(exc), field="file") from exc
    code_at = pick_field(
        features.fields, given=code_field, usual=DIVISION_CODE_FIELDS, option="--code-field", required=True
    )
    name_at = pick_field(
        features.fields, given=name_field, usual=DIVISION_NAME_FIELDS, option="--name-field", required=False
    )
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(features.geoms), (3, 6)))
    if len(bad):
        raise InvalidInput(
            f"feature {bad[0] + 1} is not a polygon ({describe_types(features.geoms[bad[:1]])}); division "
            "boundaries must be polygons (区划边界须为面要素)",
            field="file",
        )
    rows = []
    for number, (record, geom) in enumerate(zip(features.records, features.geoms, strict=True), start=1):
        raw = text_of(record, code_at)
        if not raw:
            raise InvalidInput(
                f"feature {number} has no code in field {code_at} (缺少区划代码)", field="code_field"
            )
        code = division_code(raw, field=f"{code_at} of feature {number}")
        rows.append(_Row(code, text_of(record, name_at), geom))
    return rows


def _polygons(geom: shapely.Geometry) -> tuple[shapely.Geometry, bool]:
    """A valid MultiPolygon of `geom`, and whether it had to be repaired."""
    repaired = not shapely.is_valid(geom)
    if repaired:
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    parts = [p for p in shapely.get_parts(shapely.get_parts(geom)) if shapely.get_type_id(p) == 3]
    return shapely.multipolygons(parts), repaired


def _store(session: Session, rows: list[_Row]) -> DivisionImport:
    report = DivisionImport()
    wanted = {r.code for r in rows}
    for r in rows:
        parent = parent_of(r.code)
        while parent is not None:
            wanted.add(parent)
            parent = parent_of(parent)
    known = {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(wanted)))}
    given = {r.code: r for r in rows}
    # Parents before children, so every foreign key is satisfied at each flush.
    for code in sorted(wanted - set(known), key=lambda c: (len(c.rstrip("0")), c)):
        row = given.get(code)
        division = Division(
            code=code, level=level_of(code), name=code, parent_code=parent_of(code), placeholder=True
        )
        if row is None:
            report.placeholders.append(code)
        else:
            report.created.append(code)
            _apply(division, row, report)
        session.add(division)
        known[code] = division
    session.flush()
    for code, row in given.items():
        if code not in report.created:
            report.updated.append(code)
            _apply(known[code], row, report)
    session.flush()
    return report


def _apply(division: Division, row: _Row, report: DivisionImport) -> None:
    if row.name:
        division.name, division.placeholder = row.name, False
    if row.geom is not None:
        geom, repaired = _polygons(row.geom)
        if repaired:
            report.repaired.append(row.code)
        division.geom = WKBElement(shapely.to_wkb(geom), srid=STORAGE_SRID)
