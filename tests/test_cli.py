"""The `grids` command as a user runs it: real processes on a real database; errors are one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from grids.models import Division, User
from grids.users import authenticate

GRIDS = str(Path(sys.executable).with_name("grids"))


def run(database_url: str, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `grids ARGS` against `database_url`."""
    env = {**os.environ, "GRIDS_DATABASE_URL": database_url, "COLUMNS": "200"}
    if home is not None:
        env["GRIDS_HOME"] = str(home)
    return subprocess.run([GRIDS, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def city_url(database_url: str) -> str:
    """A database holding the province, city and one county of the demo codes."""
    engine = create_engine(database_url)
    with Session(engine) as db, db.begin():
        db.add_all(
            [
                Division(code="990000000000", level="province", name="示范省"),
                Division(code="990100000000", level="city", name="示范市", parent_code="990000000000"),
                Division(code="990102000000", level="county", name="甲县", parent_code="990100000000"),
            ]
        )
    engine.dispose()
    return database_url


def users_count(url: str) -> int:
    """How many users exist."""
    engine = create_engine(url)
    with Session(engine) as db:
        count = db.scalar(select(func.count()).select_from(User)) or 0
    engine.dispose()
    return count


def test_users_add_and_token(city_url: str) -> None:
    """A short scope is padded; the token is alone on the last line and authenticates the user."""
    added = run(city_url, "users", "add", "李规划", "--role", "planner", "--scope", "990102")
    assert added.returncode == 0, added.stderr
    issued = run(city_url, "users", "token", "李规划")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("grd_") and " " not in token
    engine = create_engine(city_url)
    with Session(engine) as db:
        who = authenticate(db, token)
    engine.dispose()
    assert (who.name, who.role, who.scope_code) == ("李规划", "planner", "990102000000")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["users", "add", "x", "--role", "boss", "--scope", "9901"], "role 'boss'"),
        (["users", "add", "x", "--role", "leader", "--scope", "99x"], "scope '99x'"),
        (["users", "add", "x", "--role", "leader", "--scope", "990199"], "scope 990199000000"),
        (
            ["users", "add", "x", "--role", "leader", "--scope", "9901", "--platform", "police"],
            "platform 'police'",
        ),
        (["users", "add", "x", "--role", "leader"], "--scope"),
        (["users", "token", "nobody"], "nobody"),
        (["demo", "--scale", "planet", "--no-serve"], "--scale 'planet'"),
        (["serve", "--port", "70000"], "--port"),
        (["nonsense"], "nonsense"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    city_url: str, args: list[str], needle: str
) -> None:
    """Every refusal is a single readable line on stderr, exit code 2, and no user is written."""
    before = users_count(city_url)
    result = run(city_url, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr
    assert users_count(city_url) == before


def test_duplicate_user_is_refused(city_url: str) -> None:
    """Adding a user twice fails the second time, leaving one."""
    assert run(city_url, "users", "add", "王", "--role", "leader", "--scope", "*").returncode == 0
    again = run(city_url, "users", "add", "王", "--role", "leader", "--scope", "*")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert users_count(city_url) == 1


def test_users_add_with_db_login_creates_the_qgis_login(city_url: str) -> None:
    """`--db-login` creates the planner's PostgreSQL login with the user, in one go."""
    login = f"cli_login_{os.getpid()}"
    env_password = {"GRIDS_DB_LOGIN_PASSWORD": "a-long-enough-secret"}
    os.environ.update(env_password)
    engine = create_engine(city_url)
    try:
        result = run(
            city_url, "users", "add", "赵规划", "--role", "planner", "--scope", "990102", "--db-login", login
        )
        assert result.returncode == 0, result.stderr
        with engine.connect() as c:
            roles = c.execute(
                text("SELECT pg_has_role(:l, 'grids_editor', 'member') FROM pg_roles WHERE rolname = :l"),
                {"l": login},
            ).all()
        assert roles == [(True,)]
        refused = run(
            city_url,
            "users",
            "add",
            "钱调度",
            "--role",
            "dispatcher",
            "--scope",
            "990102",
            "--db-login",
            login + "_x",
        )
        assert refused.returncode == 2 and "only planners" in refused.stderr
        assert users_count(city_url) == 1  # the refused user was not half-written
    finally:
        os.environ.pop("GRIDS_DB_LOGIN_PASSWORD", None)
        with engine.begin() as c:
            c.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
        engine.dispose()
