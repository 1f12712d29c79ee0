"""Entry point of the `grids` command; domain errors become one line and exit code 2."""

import sys

import typer
from rich.console import Console

from cli import db, demo, serve, users
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
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def main() -> None:
    """Run the command line, turning any domain error into one readable line."""
    try:
        app(standalone_mode=True)
    except GridsError as exc:
        _err.print(f"[bold red]错误 error:[/] {exc.message}")
        sys.exit(2)
