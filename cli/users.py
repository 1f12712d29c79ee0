"""`grids users`: accounts and their API tokens."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.context import sessions
from grids.boundaries.qgis import create_db_login
from grids.codes import scope_code
from grids.db import transaction
from grids.users import OPERATOR, add_user, issue_token, list_users, revoke_tokens

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
    db_login: Annotated[
        str | None, typer.Option(help="also create this PostgreSQL login for QGIS (planners and admins)")
    ] = None,
    db_password: Annotated[
        str | None,
        typer.Option(envvar="GRIDS_DB_LOGIN_PASSWORD", help="password of --db-login, ≥ 12 characters"),
    ] = None,
) -> None:
    """Add a user with a role and a jurisdiction, optionally with a database login for QGIS."""
    code = scope_code(scope)
    if db_login and not db_password:
        db_password = typer.prompt("数据库密码 database password", hide_input=True, confirmation_prompt=True)
    with transaction(sessions()) as db:
        user = add_user(db, name=name, role=role, scope_code=code, platform_code=platform)
        if db_login:
            create_db_login(
                db, user_name=user.name, login=db_login, password=db_password or "", caller=OPERATOR
            )
    out.print(f"已添加用户 added user [bold]{user.name}[/] role={user.role} scope={user.scope_code or '*'}")
    if db_login:
        out.print(
            f"已开通 database login [bold]{db_login}[/]: in QGIS add a PostgreSQL connection with it; "
            "it sees drafts of this jurisdiction only (see README, QGIS)"
        )


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
