"""`grids divisions`: import administrative divisions from boundary files or the national code list."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.boundaries import OPERATOR
from cli.context import sessions
from grids.boundaries.divisions import import_divisions
from grids.db import transaction

app = typer.Typer(help="行政区划 administrative divisions.", no_args_is_help=True)
out = Console(highlight=False)


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile (.shp or .zip), KML, or code-list CSV")
    ],
    level: Annotated[
        str | None, typer.Option(help="county, township or village; every code must be at this level")
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="CRS of the file if it declares none or a wrong one")
    ] = None,
    code_field: Annotated[str | None, typer.Option(help="field holding the division code")] = None,
    name_field: Annotated[str | None, typer.Option(help="field holding the division name")] = None,
) -> None:
    """Create or update divisions; parents implied by codes are created as placeholders and reported."""
    with transaction(sessions()) as db:
        report = import_divisions(
            db, path=file, caller=OPERATOR, level=level, crs=crs, code_field=code_field, name_field=name_field
        )
    out.print(
        f"新建 created {len(report.created)}, 更新 updated {len(report.updated)} divisions from {file.name}"
    )
    if report.placeholders:
        out.print(
            f"占位 placeholders for {len(report.placeholders)} implied parents (named by code until a "
            f"name arrives): {', '.join(report.placeholders)}"
        )
    if report.repaired:
        out.print(f"修复 repaired invalid boundaries (make_valid) of: {', '.join(report.repaired)}")
