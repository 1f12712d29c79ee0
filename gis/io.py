"""Reading and writing vector files: GeoJSON, GeoPackage, Shapefile (GBK or UTF-8), KML, code-list CSV.

Every geometry read is converted to the storage CRS (EPSG:4490) vertex by vertex with
`gis.crs.to_storage`, so GCJ-02 and BD-09 input works like any EPSG code.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from numpy.typing import NDArray
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from gis.crs import STORAGE_SRID, UnknownCRS, normalise, to_storage

READABLE = (".geojson", ".json", ".gpkg", ".shp", ".kml", ".kmz", ".zip")
WRITABLE = {".geojson": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile"}

# Generous bounds of China and its seas in longitude/latitude: anything read outside them was
# read in the wrong CRS (a projected file declared as WGS84, or the other way round).
CHINA = (70.0, 0.0, 140.0, 56.0)

MAX_UNZIPPED_BYTES = 2 * 1024**3
"""An archive that would unpack to more than this is refused (a zip bomb, not a boundary file)."""


class FileProblem(ValueError):
    """A file that cannot be read as the boundaries it should hold; the message says why and what to do."""


@dataclass(frozen=True)
class Features:
    """What a file held: geometries in the storage CRS (None where a feature had none) and attributes."""

    geoms: NDArray[np.object_]
    records: list[dict[str, Any]]
    fields: list[str]
    source_crs: str

    def __len__(self) -> int:
        """How many features."""
        return len(self.records)


def read_features(path: Path, *, crs: str | None = None) -> Features:
    """Every feature of every layer of a vector file, converted to the storage CRS.

    `crs` overrides what the file declares (needed for GCJ-02/BD-09 files, which call themselves
    WGS84, and for files that declare nothing).
    """
    source = _dataset(path)
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise FileProblem(
            f"{path.name} is not a readable geospatial file (无法识别的地理数据文件): {exc}"
        ) from exc
    frames = []
    for layer in layers:
        frame = _read_layer(source, layer, path)
        if frame is not None:
            frames.append(frame)
    if not frames or sum(len(f[1]) for f in frames) == 0:
        raise FileProblem(f"{path.name} holds no features (文件中没有要素)")
    declared = {f[0] for f in frames}
    given = _crs_name(crs) if crs else None
    if given is None and None in declared:
        raise FileProblem(
            f"{path.name} does not declare its coordinate system; give one with --crs, e.g. "
            "cgcs2000, wgs84, gcj02, bd09 or EPSG:4549 (文件未声明坐标系，请用 --crs 指定)"
        )
    if given is None and len(declared) > 1:
        raise FileProblem(
            f"the layers of {path.name} use different CRS {sorted(map(str, declared))} (图层坐标系不一致)"
        )
    source_crs = given or _crs_name(str(next(iter(declared))))
    geoms = np.concatenate([f[1] for f in frames])
    records = [r for f in frames for r in f[2]]
    fields = list(dict.fromkeys(name for f in frames for name in f[3]))
    return Features(_to_storage(geoms, source_crs, path.name), records, fields, source_crs)


def _crs_name(name: str) -> str:
    try:
        return normalise(name)
    except UnknownCRS as exc:
        raise FileProblem(f"{exc} (坐标系无法识别)") from exc


def _dataset(path: Path) -> str:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileProblem(f"no file {path} (文件不存在)")
    if suffix not in READABLE:
        raise FileProblem(
            f"{path.name}: unsupported file type {suffix or '(none)'}; give one of {', '.join(READABLE)} "
            "(不支持的文件类型)"
        )
    if suffix == ".zip":
        return _zipped(path)
    return str(path)


def _zipped(path: Path) -> str:
    """The one dataset inside a zip archive (a Shapefile's parts, a GeoPackage, …) as a GDAL path."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileProblem(f"{path.name} is not a valid zip archive (压缩包已损坏): {exc}") from exc
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise FileProblem(f"{path.name} unpacks to more than {MAX_UNZIPPED_BYTES >> 30} GiB (压缩包过大)")
    inside = [m.filename for m in members if Path(m.filename).suffix.lower() in READABLE[:-1]]
    if len(inside) != 1:
        raise FileProblem(
            f"{path.name} must hold exactly one .shp, .gpkg, .geojson or .kml file; found {len(inside)} "
            "(压缩包内应有且只有一个数据文件)"
        )
    return f"/vsizip/{path}/{inside[0]}"


def _read_layer(
    source: str, layer: str, path: Path
) -> tuple[str | None, NDArray[np.object_], list[dict[str, Any]], list[str]] | None:
    try:
        info = pyogrio.read_info(source, layer=layer)
        if info["geometry_type"] is None:
            return None  # an attribute-only table, e.g. in a GeoPackage
        encoding = _shapefile_encoding(source) if info["driver"] == "ESRI Shapefile" else None
        meta, _, geometry, values = pyogrio.raw.read(source, layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError, FieldError, GeometryError, OSError, UnicodeError) as exc:
        raise FileProblem(f"{path.name} cannot be read (文件无法读取): {exc}") from exc
    try:
        geoms = shapely.from_wkb(geometry, on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        raise FileProblem(f"{path.name} holds a corrupt geometry (几何数据损坏): {exc}") from exc
    fields = [str(f) for f in meta["fields"]]
    records = [
        {name: _plain(column[i]) for name, column in zip(fields, values, strict=True)}
        for i in range(len(geoms))
    ]
    return meta["crs"], np.asarray(geoms, dtype=object), records, fields


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _shapefile_encoding(source: str) -> str | None:
    """GBK or UTF-8 for a .dbf that names no encoding (no .cpg, no language id); None to let GDAL decide."""
    if pyogrio.read_info(source)["encoding"] != "ISO-8859-1":
        return None  # GDAL found a .cpg or a language driver id and honours it
    if source.startswith("/vsizip/"):
        return None  # inside an archive GDAL reads the .cpg too; without one there is no way to tell
    dbf = next(
        (p for p in Path(source).parent.glob(Path(source).stem + ".*") if p.suffix.lower() == ".dbf"), None
    )
    if dbf is None:
        return None
    data = dbf.read_bytes()
    header = int.from_bytes(data[8:10], "little") if len(data) > 10 else 0
    try:
        data[header:].decode("utf-8")
    except UnicodeDecodeError:
        return "GBK"
    return "UTF-8"


def _to_storage(geoms: NDArray[np.object_], crs: str, label: str) -> NDArray[np.object_]:
    def move(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = to_storage(coords[:, 0], coords[:, 1], crs)
        return np.column_stack((x, y))

    present = ~shapely.is_missing(geoms)
    out = geoms.copy()
    out[present] = shapely.transform(geoms[present], move)
    coords = shapely.get_coordinates(out[present])
    if len(coords) and (
        not np.isfinite(coords).all()
        or coords[:, 0].min() < CHINA[0]
        or coords[:, 1].min() < CHINA[1]
        or coords[:, 0].max() > CHINA[2]
        or coords[:, 1].max() > CHINA[3]
    ):
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        raise FileProblem(
            f"{label}: read as {crs}, the coordinates span longitude {lo[0]:.4f}…{hi[0]:.4f}, latitude "
            f"{lo[1]:.4f}…{hi[1]:.4f}, outside China; the declared CRS is probably wrong, give the right "
            "one with --crs (坐标不在中国境内，坐标系可能有误)"
        )
    return out


def describe_types(geoms: NDArray[np.object_]) -> str:
    """The geometry types present, in words: "points, lines"."""
    names = {-1: "features without geometry", 0: "points", 1: "lines", 2: "lines", 3: "polygons"}
    names |= {4: "points", 5: "lines", 6: "polygons", 7: "collections"}
    return ", ".join(sorted({names[int(t)] for t in shapely.get_type_id(geoms)}))


def read_code_list(path: Path) -> list[tuple[str, str]]:
    """The (code, name) rows of a national code-list CSV with a `code,name` header (UTF-8 or GBK)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes any byte string, so this is unreachable in practice
        raise FileProblem(f"{path.name} is neither UTF-8 nor GBK text (编码无法识别)")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "code" not in header or "name" not in header:
        raise FileProblem(
            f"{path.name}: a code list needs a header with columns code and name; found {header[:6]} "
            "(代码表须有 code,name 表头)"
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not values["code"] or not values["name"]:
            raise FileProblem(
                f"{path.name} line {number}: code and name must not be empty (代码和名称不能为空)"
            )
        rows.append((values["code"], values["name"]))
    if not rows:
        raise FileProblem(f"{path.name} holds no rows (代码表为空)")
    return rows


def write_features(
    path: Path, geoms: NDArray[np.object_], records: list[dict[str, Any]], *, layer: str
) -> None:
    """Write features in the storage CRS to GeoJSON (RFC 7946), GeoPackage or Shapefile (UTF-8, .cpg)."""
    driver = WRITABLE.get(path.suffix.lower())
    if driver is None:
        raise FileProblem(f"{path.name}: export to one of {', '.join(WRITABLE)} (不支持的导出格式)")
    fields = list(records[0]) if records else []
    columns = [_column([r[f] for r in records]) for f in fields]
    options: dict[str, Any] = {}
    crs = f"EPSG:{STORAGE_SRID}"
    if driver == "GeoJSON":
        # RFC 7946 means WGS84 longitude/latitude; CGCS2000 is taken as numerically equal (DESIGN.md §3).
        # Full precision, not RFC 7946's customary 7 decimals: rounding would move a vertex lying on a
        # neighbour's edge off it, and a re-imported file would then overlap by a hair.
        options["layer_options"] = {"RFC7946": "YES", "WRITE_NAME": "NO", "COORDINATE_PRECISION": "12"}
        crs = "OGC:CRS84"
    elif driver == "ESRI Shapefile":
        options["encoding"] = "UTF-8"
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(shapely.force_2d(geoms)),
        columns,
        fields,
        layer=layer,
        driver=driver,
        crs=crs,
        geometry_type="MultiPolygon",
        **options,
    )


def _column(values: list[Any]) -> NDArray[Any]:
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)
