"""What every command needs: the database URL from the settings, and sessions on it."""

from sqlalchemy.orm import Session, sessionmaker

from grids.db import make_engine, session_factory
from grids.embedded import resolve_database_url
from grids.settings import DatabaseSettings


def database_url() -> str:
    """The configured database: `GRIDS_DATABASE_URL`, else the running embedded cluster."""
    return resolve_database_url(DatabaseSettings())


def sessions() -> sessionmaker[Session]:
    """A session factory on the configured database."""
    return session_factory(make_engine(database_url(), pool_size=2))
