"""Entry point of the `grids` command: any error becomes one readable line and exit code 2."""

import sys

import typer
from rich.console import Console
from typer._click.exceptions import NoArgsIsHelpError
from typer.exceptions import TyperException

from cli import boundaries, cases, coverage, db, demo, divisions, locate, rosters, serve, users
from grids.errors import GridsError

app = typer.Typer(
    name="grids",
    help="网格管理 grid management for the four platforms (四个平台).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(divisions.app, name="divisions")
app.add_typer(boundaries.app, name="boundaries")
app.add_typer(cases.app, name="cases")
app.add_typer(coverage.app, name="coverage")
app.add_typer(rosters.workers, name="workers")
app.add_typer(rosters.categories, name="categories")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("locate")(locate.locate)

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    _err.print(f"[bold red]错误 error:[/] {message}")
    sys.exit(2)


def main() -> None:
    """Run the command line, turning usage and domain errors into one line with exit code 2."""
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(0)
    except typer.Abort:
        _err.print("已中止 aborted")
        sys.exit(130)
    except TyperException as exc:  # typer's own click: usage errors, bad parameters
        ctx = getattr(exc, "ctx", None)
        where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        _fail(f"{exc.format_message()}{where}")
    except GridsError as exc:
        _fail(exc.message)
    sys.exit(code if isinstance(code, int) else 0)
