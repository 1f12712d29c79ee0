"""Importing divisions: files in any CRS and encoding, code lists, placeholders, and bad files."""

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.offsets import wgs84_to_gcj02
from grids.boundaries.divisions import import_divisions
from grids.errors import Forbidden, InvalidInput
from grids.models import Division
from grids.users import Principal
from tests.boundaries.conftest import (
    OPERATOR,
    ORIGIN,
    TO_METRES,
    TOWNSHIP,
    VILLAGES,
    Files,
    count,
    metres,
    stored,
    village_shapes,
)

# ../shared/data beside the checkout (as in CI), or wherever GRIDS_SHARED_DATA points.
SHARED = Path(os.environ.get("GRIDS_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


def division(session: Session, code: str) -> Division:
    """One stored division."""
    found = session.get(Division, code)
    assert found is not None, code
    return found


def test_village_file_into_empty_installation_creates_placeholders(session: Session, files: Files) -> None:
    """Villages whose township, county, city and province are unknown get them as placeholders, reported."""
    shapes = village_shapes()
    path = files.write(
        "v.geojson", [{"QUHUADAIMA": c, "NAME": "东山村"} for c in VILLAGES], list(shapes.values())
    )
    report = import_divisions(session, path=path, caller=OPERATOR, level="village")
    assert sorted(report.created) == list(VILLAGES)
    assert report.placeholders == ["990000000000", "990100000000", "990102000000", TOWNSHIP]
    township = division(session, TOWNSHIP)
    assert township.placeholder and township.name == TOWNSHIP and township.level == "township"
    village = division(session, VILLAGES[1])
    assert village.parent_code == TOWNSHIP and village.name == "东山村" and not village.placeholder
    back = metres(shapely.from_wkb(bytes(village.geom.data)))
    assert back.symmetric_difference(shapes[VILLAGES[1]]).area < 0.01


def test_code_list_names_placeholders_and_short_codes_are_padded(world: Session, tmp_path: Path) -> None:
    """A `code,name` CSV names the placeholder township; a 9-digit code is padded to 12."""
    csv = tmp_path / "townships.csv"
    csv.write_text('code,name,areaCode\n990102001,"东山镇",990102\n', encoding="utf-8")
    report = import_divisions(world, path=csv, caller=OPERATOR)
    assert report.updated == [TOWNSHIP] and report.created == [] and report.placeholders == []
    township = division(world, TOWNSHIP)
    assert township.name == "东山镇" and not township.placeholder and township.geom is None


def test_gbk_code_list(session: Session, tmp_path: Path) -> None:
    """A code list saved in GBK (as Excel does on Chinese Windows) reads with its names intact."""
    csv = tmp_path / "villages.csv"
    csv.write_bytes("code,name\n990102001001,东山村\n".encode("gbk"))
    report = import_divisions(session, path=csv, caller=OPERATOR, level="village")
    assert report.created == ["990102001001"] and division(session, "990102001001").name == "东山村"


@pytest.mark.parametrize("name", ["lishui_townships_2023.csv", "lishui_villages_2023.csv"])
def test_national_code_list(session: Session, name: str) -> None:
    """Lishui's township and village code lists import without geometry, parents implied."""
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared data absent: {path}")
    lines = path.read_text(encoding="utf-8").strip().splitlines()[1:]
    report = import_divisions(session, path=path, caller=OPERATOR)
    assert len(report.created) == len(lines)
    assert "330000000000" in report.placeholders and "331100000000" in report.placeholders
    code, name_ = lines[0].split(",")[:2]
    stored_ = division(session, code.ljust(12, "0"))
    assert stored_.name == name_.strip('"') and stored_.geom is None


def test_gbk_shapefile_without_cpg(session: Session, files: Files) -> None:
    """A Shapefile whose .dbf is GBK with no .cpg and no language id is read as GBK, not Latin-1."""
    path = files.write(
        "v.shp", [{"code": VILLAGES[0], "name": "东山村"}], [village_shapes()[VILLAGES[0]]], encoding="GBK"
    )
    path.with_suffix(".cpg").unlink()
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0  # no language driver id either
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    import_divisions(session, path=path, caller=OPERATOR, level="village")
    assert division(session, VILLAGES[0]).name == "东山村"


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_shapefile_cpg_is_honoured(session: Session, files: Files, encoding: str) -> None:
    """A .cpg naming the encoding is what the attributes are decoded with."""
    path = files.write(
        "v.shp", [{"code": VILLAGES[0], "name": "西溪村"}], [village_shapes()[VILLAGES[0]]], encoding=encoding
    )
    assert path.with_suffix(".cpg").read_text().strip().upper() == encoding
    import_divisions(session, path=path, caller=OPERATOR, level="village")
    assert division(session, VILLAGES[0]).name == "西溪村"


def test_zipped_shapefile_geopackage_and_kml(session: Session, files: Files, tmp_path: Path) -> None:
    """A zipped Shapefile, a GeoPackage and a KML all import."""
    shapes = village_shapes()
    shp = files.write(
        "a.shp", [{"code": VILLAGES[0], "name": "东山村"}], [shapes[VILLAGES[0]]], encoding="UTF-8"
    )
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp.parent.glob("a.*"):
            z.write(part, part.name)
    gpkg = files.write(
        "b.gpkg", [{"code": VILLAGES[1], "name": "西溪村"}], [shapes[VILLAGES[1]]], driver="GPKG"
    )
    kml = files.write(
        "c.kml", [{"Name": "南岭村", "code": "990102001003"}], [shapes[VILLAGES[1]]], driver="KML"
    )
    for path in (archive, gpkg, kml):
        import_divisions(session, path=path, caller=OPERATOR, level="village")
    names = {d.code: d.name for d in session.scalars(select(Division).where(Division.level == "village"))}
    assert names == {VILLAGES[0]: "东山村", VILLAGES[1]: "西溪村", "990102001003": "南岭村"}


def test_projected_and_gcj02_files_land_in_place(session: Session, files: Files) -> None:
    """A file in EPSG:4549 metres and one in GCJ-02 (labelled WGS84) both land on the same ground."""
    shape = village_shapes()[VILLAGES[0]]
    metric = files.write(
        "m.gpkg",
        [{"code": VILLAGES[0]}],
        [shape],
        crs=4549,
        transform=lambda g: shapely.affinity.translate(g, 500_000, 3_140_000),
    )

    def to_gcj(g: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(
            stored(g), lambda c: __import__("numpy").column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))
        )

    gcj = files.write("g.geojson", [{"code": VILLAGES[1]}], [shape], crs=4326, transform=to_gcj)
    import_divisions(session, path=metric, caller=OPERATOR, level="village")
    import_divisions(session, path=gcj, caller=OPERATOR, level="village", crs="gcj02")
    projected = shapely.from_wkb(bytes(division(session, VILLAGES[0]).geom.data))
    back = shapely.transform(
        projected, lambda c: np.column_stack(TO_METRES.transform(c[:, 0], c[:, 1])) - ORIGIN
    )
    assert back.symmetric_difference(shape).area < 0.01
    offset = metres(shapely.from_wkb(bytes(division(session, VILLAGES[1]).geom.data)))
    assert offset.symmetric_difference(shape).area < 1.0  # GCJ-02's inverse is good to 1 cm


def bad_files(files: Files, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files that must be refused, with a fragment of the message each must get."""
    shape = village_shapes()[VILLAGES[0]]
    text_file = tmp_path / "notes.geojson"
    text_file.write_text("村界调整说明：东山村与西溪村以溪为界。", encoding="utf-8")
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    wrong = files.write(
        "wrong.geojson",
        [{"code": VILLAGES[0]}],
        [shape],
        crs=4326,
        transform=lambda g: shapely.affinity.translate(g, 500_000, 3_140_000),
    )
    points = files.write("points.geojson", [{"code": VILLAGES[0]}], [shapely.Point(10, 10)])
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    shp = files.write("broken.shp", [{"code": VILLAGES[0]}], [shape])
    shp.write_bytes(shp.read_bytes()[:60])
    word = tmp_path / "村界.docx"
    word.write_bytes(b"PK\x03\x04 a word document")
    return {
        "text": (text_file, "not a readable geospatial file"),
        "empty": (empty, "holds no features"),
        "wrong crs": (wrong, "declared CRS is probably wrong"),
        "points": (points, "not a polygon"),
        "corrupt zip": (corrupt, "not a valid zip archive"),
        "truncated shapefile": (shp, "unreadable, or corrupt"),
        "word document": (word, "unsupported file type .docx"),
    }


def test_bad_files_are_refused_and_change_nothing(world: Session, files: Files, tmp_path: Path) -> None:
    """Each bad file gets a clear error naming the problem; no division is added or changed."""
    before = [
        (d.code, d.name, bytes(d.geom.data) if d.geom is not None else None)
        for d in world.scalars(select(Division))
    ]
    for label, (path, fragment) in bad_files(files, tmp_path).items():
        with pytest.raises(InvalidInput, match=fragment) as caught:
            import_divisions(world, path=path, caller=OPERATOR, level="village")
        assert caught.value.field == "file", label
        world.rollback()
    after = [
        (d.code, d.name, bytes(d.geom.data) if d.geom is not None else None)
        for d in world.scalars(select(Division))
    ]
    assert after == before and count(world, "divisions") == 6


def test_level_mismatch_and_jurisdiction(world: Session, tmp_path: Path) -> None:
    """A code at another level than --level is refused; so is a division outside a planner's scope."""
    csv = tmp_path / "c.csv"
    csv.write_text("code,name\n990102001,东山镇\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="names a township, not a village"):
        import_divisions(world, path=csv, caller=OPERATOR, level="village")
    planner = Principal(7, "p", "planner", "990103000000", None)
    with pytest.raises(Forbidden, match="outside your jurisdiction"):
        import_divisions(world, path=csv, caller=planner)
    dispatcher = Principal(8, "d", "dispatcher", None, None)
    with pytest.raises(Forbidden):
        import_divisions(world, path=csv, caller=dispatcher)
