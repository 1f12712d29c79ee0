"""Reading case files as intake systems export them: CSV, GeoJSON and Excel, English or Chinese headers."""

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from grids.cases.intake import CaseInput, Reporter
from grids.errors import InvalidInput

HEADERS = {
    "channel": ("channel", "渠道"),
    "external_id": ("external_id", "外部编号", "编号"),
    "category": ("category", "类别", "事件类别"),
    "lon": ("lon", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "crs": ("crs", "坐标系"),
    "description": ("description", "描述", "事件描述"),
    "reported_at": ("reported_at", "上报时间"),
    "address": ("address", "地址"),
    "township": ("township", "乡镇"),
    "reporter_name": ("reporter_name", "报告人"),
    "reporter_phone": ("reporter_phone", "电话", "联系电话"),
}
_ALIAS = {alias.lower(): name for name, aliases in HEADERS.items() for alias in aliases}
REQUIRED = ("channel", "external_id", "category", "description", "reported_at")


def _rows_csv(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f)


def _rows_geojson(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid JSON: {exc} (GeoJSON 格式有误)", field="file") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput(f"{path.name} is not a GeoJSON FeatureCollection (须为要素集合)", field="file")
    for feature in data.get("features", []):
        props = dict(feature.get("properties") or {})
        geometry = feature.get("geometry")
        if geometry and geometry.get("type") == "Point":
            props["lon"], props["lat"] = geometry["coordinates"][:2]
        yield props


def _rows_excel(path: Path) -> Iterator[dict[str, Any]]:
    from openpyxl import load_workbook  # loaded only for Excel files: it takes a while to import

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for values in rows:
            if any(v not in (None, "") for v in values):
                yield dict(zip(header, values, strict=False))
    finally:
        book.close()


def read_table(path: Path) -> list[dict[str, Any]]:
    """The rows of a .csv, .geojson or .xlsx file, keyed by its own column names."""
    suffix = path.suffix.lower()
    readers = {".csv": _rows_csv, ".geojson": _rows_geojson, ".json": _rows_geojson, ".xlsx": _rows_excel}
    if suffix not in readers:
        raise InvalidInput(f"{path.name}: use a .csv, .geojson or .xlsx file (文件格式不支持)", field="file")
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist (文件不存在)", field="file")
    return list(readers[suffix](path))


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a case file, keyed by canonical column names."""
    return [
        {_ALIAS.get(str(k).strip().lower(), str(k)): v for k, v in row.items()} for row in read_table(path)
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any, field: str, line: int) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"row {line}: {field} {value!r} is not a number ({field}须为数字)", field=field
        ) from exc


def _time(value: Any, line: int) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise InvalidInput(
                f"row {line}: reported_at {value!r} is not an ISO time such as 2026-11-02T10:00:00+08:00 "
                "(上报时间格式有误)",
                field="reported_at",
            ) from exc
    return parsed


def to_input(row: dict[str, Any], line: int) -> CaseInput:
    """One row as a case input, or an error naming the row and the field."""
    for name in REQUIRED:
        if _text(row.get(name)) is None:
            raise InvalidInput(f"row {line}: {name} is missing (第{line}行缺少{name})", field=name)
    reporter = _text(row.get("reporter_name"))
    return CaseInput(
        channel=str(_text(row["channel"])),
        external_id=str(_text(row["external_id"])),
        category=str(_text(row["category"])),
        description=str(_text(row["description"])),
        reported_at=_time(row["reported_at"], line),
        lon=_number(row.get("lon"), "lon", line),
        lat=_number(row.get("lat"), "lat", line),
        crs=_text(row.get("crs")) or "wgs84",
        address=_text(row.get("address")),
        township=_text(row.get("township")),
        reporter=None if reporter is None else Reporter(reporter, _text(row.get("reporter_phone"))),
    )
