"""Apply the schema migrations programmatically (`grids db migrate`, tests, `grids demo`)."""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from grids.db import translate
from grids.errors import InvalidInput

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at our migrations and at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Migrate the database at `url` up to `revision`, creating the extensions it needs."""
    _run(command.upgrade, url, revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`base` removes everything)."""
    _run(command.downgrade, url, revision)


def _run(step: Callable[[Config, str], None], url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            step(config, revision)
    except CommandError as exc:
        raise InvalidInput(
            f"migration to {revision!r} failed: {exc} (数据库迁移失败)", field="revision"
        ) from exc
    except DBAPIError as exc:
        raise translate(exc) from exc
    finally:
        engine.dispose()


def current(url: str) -> set[str]:
    """The revisions the database at `url` is at (empty when it was never migrated)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def heads() -> set[str]:
    """The newest revision of every branch of our migrations."""
    return set(ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads())
