"""Entry point of the `grids` command: any error becomes one readable line and exit code 2."""

import sys
from importlib import import_module

import typer
from rich.console import Console
from typer._click.exceptions import NoArgsIsHelpError
from typer.exceptions import TyperException

from grids.errors import GridsError

# Each command's module is imported only when that command runs (all of them for help): the modules
# bring the whole service with them, and an import should not wait a second for the map server's.
_GROUPS = {
    "db": ("cli.db", "app"),
    "users": ("cli.users", "app"),
    "divisions": ("cli.divisions", "app"),
    "boundaries": ("cli.boundaries", "app"),
    "cases": ("cli.cases", "app"),
    "coverage": ("cli.coverage", "app"),
    "workers": ("cli.rosters", "workers"),
    "categories": ("cli.rosters", "categories"),
}
_COMMANDS = {
    "demo": ("cli.demo", "demo"),
    "serve": ("cli.serve", "serve"),
    "locate": ("cli.locate", "locate"),
}


def _group() -> None:
    pass


def build(argv: list[str]) -> typer.Typer:
    """The `grids` command with the command named in `argv` (every command when none is named)."""
    app = typer.Typer(
        name="grids",
        help="网格管理 grid management for the four platforms (四个平台).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_group)  # a group even with one command in it: `grids demo …`, never `grids …`
    named = next((a for a in argv if not a.startswith("-")), None)
    wanted = [named] if named in _GROUPS or named in _COMMANDS else [*_GROUPS, *_COMMANDS]
    for name in wanted:
        if name in _GROUPS:
            module, attribute = _GROUPS[name]
            app.add_typer(getattr(import_module(module), attribute), name=name)
        else:
            module, attribute = _COMMANDS[name]
            app.command(name)(getattr(import_module(module), attribute))
    return app


_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    _err.print(f"[bold red]错误 error:[/] {message}")
    sys.exit(2)


def main() -> None:
    """Run the command line, turning usage and domain errors into one line with exit code 2."""
    try:
        code = build(sys.argv[1:])(standalone_mode=False)
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
