"""Database logins for planners who edit drafts in QGIS; row-level security does the rest."""

import re

from psycopg2 import sql
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.errors import Conflict, InvalidInput, NotFound
from grids.models import DbLogin, User
from grids.users import Principal, require_role

LOGIN = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
EDITORS = ("planner", "admin")


def create_db_login(
    session: Session, *, user_name: str, login: str, password: str, caller: Principal
) -> DbLogin:
    """A PostgreSQL login acting as user `user_name` (a planner): member of grids_editor, scoped by RLS."""
    require_role(caller, "admin")
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None:
        raise NotFound(f"no user named {user_name!r} (用户不存在)")
    if user.role not in EDITORS:
        raise InvalidInput(
            f"user {user_name!r} is a {user.role}; only planners and admins edit boundaries in QGIS "
            "(仅规划人员可开通数据库账号)",
            field="user",
        )
    if not LOGIN.match(login):
        raise InvalidInput(
            f"login {login!r}: 3–63 characters, lower-case letters, digits and _, starting with a letter "
            "(数据库账号格式有误)",
            field="login",
        )
    if len(password) < 12:
        raise InvalidInput("password must have at least 12 characters (密码至少12位)", field="password")
    if session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :l"), {"l": login}).first():
        raise Conflict(f"database login {login!r} already exists (数据库账号已存在)")
    if session.get(DbLogin, login) is not None or session.scalar(
        select(DbLogin).where(DbLogin.user_id == user.id)
    ):
        raise Conflict(f"user {user_name!r} already has a database login (该用户已有数据库账号)")
    cursor = session.connection().connection.cursor()
    cursor.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE grids_editor").format(
            sql.Identifier(login), sql.Literal(password)
        )
    )
    record = DbLogin(login=login, user_id=user.id)
    session.add(record)
    session.flush()
    return record
