"""`grids divisions import` and `grids boundaries import` as a user runs them."""

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.boundaries.conftest import VILLAGES, Files, grid_shapes, village_shapes
from tests.test_cli import run


def test_divisions_then_draft(database_url: str, files: Files, tmp_path: Path) -> None:
    """Villages into an empty installation (placeholders reported), then a draft with a progress bar."""
    shapes = village_shapes()
    villages = files.write(
        "v.shp", [{"XZQDM": c, "XZQMC": "东山村"} for c in VILLAGES], list(shapes.values())
    )
    done = run(database_url, "divisions", "import", str(villages), "--level", "village")
    assert done.returncode == 0, done.stderr
    assert "placeholders for 4 implied parents" in done.stdout and "990102001000" in done.stdout
    grids = grid_shapes()
    draft = files.write("g.geojson", [{"code": c} for c, _ in grids], [g for _, g in grids])
    imported = run(database_url, "boundaries", "import", str(draft), "--name", "二〇二六年调整")
    assert imported.returncode == 0, imported.stderr
    assert "storing 写入" in imported.stdout and "8 grids" in imported.stdout
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM grids")).scalar_one() == 8
    engine.dispose()


def test_bad_file_is_one_line_and_exit_2(database_url: str, tmp_path: Path) -> None:
    """A file that is not geospatial: one error line naming it, exit code 2."""
    junk = tmp_path / "junk.geojson"
    junk.write_text("说明文字", encoding="utf-8")
    failed = run(database_url, "boundaries", "import", str(junk), "--name", "坏")
    assert failed.returncode == 2
    assert (
        failed.stderr.count("\n") == 1 and "junk.geojson is not a readable geospatial file" in failed.stderr
    )
