"""`grids workers import` and `grids categories import`: rosters and responsibility lists from files."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.context import sessions
from cli.locate import OPERATOR
from grids.cases.files import read_table
from grids.cases.rosters import import_calendar, import_categories, import_roster
from grids.db import transaction

workers = typer.Typer(help="网格员花名册 worker rosters.", no_args_is_help=True)
categories = typer.Typer(help="权责清单 case categories and their time limits.", no_args_is_help=True)
out = Console(highlight=False)
FileArg = Annotated[Path, typer.Argument(help="a .csv or .xlsx file")]


@workers.command("import")
def import_workers(file: FileArg) -> None:
    """Import workers with their dated grid assignments and duty windows (one assignment per row)."""
    rows = read_table(file)
    with transaction(sessions()) as db:
        summary = import_roster(db, rows=rows, caller=OPERATOR)
    out.print(
        f"已导入 imported: {summary.workers_added} new worker(s), {summary.workers_updated} updated, "
        f"{summary.assignments_added} assignment(s) opened, {summary.assignments_ended} ended"
    )


@categories.command("import")
def import_categories_(file: FileArg) -> None:
    """Insert or update case categories (code, platform, stage time limits, duplicate rule)."""
    rows = read_table(file)
    with transaction(sessions()) as db:
        count = import_categories(db, rows=rows)
    out.print(f"已导入 imported {count} categor{'y' if count == 1 else 'ies'}")


@categories.command("holidays")
def import_holidays(file: FileArg) -> None:
    """Holidays and make-up working days for working-hour limits (day, working yes/no, name)."""
    rows = read_table(file)
    with transaction(sessions()) as db:
        count = import_calendar(db, rows=rows)
    out.print(f"已导入 imported {count} calendar day(s)")
