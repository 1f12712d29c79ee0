"""`grids users`: accounts and their API tokens."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.context import sessions
from grids.codes import scope_code
from grids.db import transaction
from grids.users import add_user, issue_token, list_users, revoke_tokens

app = typer.Typer(help="用户与令牌 users and their API tokens.", no_args_is_help=True)
out = Console(highlight=False)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option(help="admin, planner, dispatcher, leader, worker or integration")],
    scope: Annotated[
        str, typer.Option(help="division code (3311, 331102 … padded to 12 digits) or * for all")
    ],
    platform: Annotated[str | None, typer.Option(help="governance, market, enforcement or services")] = None,
) -> None:
    """Add a user with a role and a jurisdiction."""
    code = scope_code(scope)
    with transaction(sessions()) as db:
        user = add_user(db, name=name, role=role, scope_code=code, platform_code=platform)
    out.print(f"已添加用户 added user [bold]{user.name}[/] role={user.role} scope={user.scope_code or '*'}")


@app.command("token")
def token(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """Issue a new API token; it is printed alone on the last line and never stored in clear."""
    with transaction(sessions()) as db:
        value = issue_token(db, name=name)
    out.print(f"新令牌 new token for {name} (shown once; keep it safe):")
    print(value)


@app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """Revoke every token of a user."""
    with transaction(sessions()) as db:
        count = revoke_tokens(db, name=name)
    out.print(f"已吊销 revoked {count} token(s) of {name}")


@app.command("list")
def list_() -> None:
    """List users with their roles and jurisdictions."""
    with transaction(sessions()) as db:
        rows = list_users(db, scope_code=None)
    table = Table("name 用户", "role 角色", "scope 辖区", "platform 平台")
    for u in rows:
        table.add_row(u.name, u.role, u.scope_code or "*", u.platform_code or "")
    out.print(table)
