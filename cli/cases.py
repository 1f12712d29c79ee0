"""`grids cases`: import case files, and link worker accounts."""

import gc
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.context import database_url, sessions
from cli.progress import progress_bar
from grids.cases.accounts import link_worker
from grids.cases.bulk import CHUNK, import_cases
from grids.cases.files import read_rows, to_input
from grids.cases.intake import CaseInput
from grids.db import make_engine, transaction
from grids.errors import GridsError, InvalidInput
from grids.locate import build_in_background
from grids.users import OPERATOR

app = typer.Typer(help="事件 cases: import files of cases, link worker accounts.", no_args_is_help=True)
out = Console(highlight=False)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="a .csv, .geojson or .xlsx file of cases")],
    chunk: Annotated[
        int,
        typer.Option(
            min=100, max=100_000, help="rows written at a time, by county in up to two transactions"
        ),
    ] = CHUNK,
) -> None:
    """Import cases: every row checked and located first; nothing is written if any row is bad."""
    # Millions of short-lived objects and no cycles among them: the cyclic collector would walk them
    # again and again and free nothing (4 s of a 100,000-row import). The command's process ends after.
    gc.disable()
    engine = make_engine(database_url(), pool_size=2)
    try:
        build_in_background(engine)  # the grids and rosters load while the file is read
        inputs = _read(file)
        with progress_bar(out) as report:
            summary = import_cases(engine, inputs=inputs, caller=OPERATOR, chunk=chunk, progress=report)
    finally:
        engine.dispose()
    out.print(
        f"已导入 imported {summary.created} new case(s); {summary.existing} already present (已存在) "
        f"of {summary.rows} row(s)"
    )


def _read(file: Path) -> list[CaseInput]:
    rows = read_rows(file)
    errors, inputs = [], []
    for line, row in enumerate(rows, start=2):
        try:
            inputs.append(to_input(row, line))
        except GridsError as exc:
            errors.append(exc.message)
    if errors:
        more = f"; … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise InvalidInput(
            f"{len(errors)} rows refused, nothing imported (未导入): {'; '.join(errors[:10])}{more}"
        )
    return inputs


@app.command("link-worker")
def link_worker_(
    user: Annotated[str, typer.Argument(help="a user with role worker")],
    staff_no: Annotated[str, typer.Argument(help="the worker's staff number (工号)")],
) -> None:
    """Make a worker user's account the grid worker with this staff number (their own cases)."""
    with transaction(sessions()) as db:
        link_worker(db, user_name=user, staff_no=staff_no)
    out.print(f"已关联 linked user {user} to worker {staff_no}")
