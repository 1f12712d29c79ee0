"""`grids db`: the embedded PostgreSQL + PostGIS cluster, migrations, backup and restore."""

from pathlib import Path

import typer
from pydantic import ValidationError

from grids.embedded import EmbeddedPostgres, backup_database, resolve_database_url, restore_database
from grids.errors import InvalidInput
from grids.settings import DatabaseSettings

app = typer.Typer(help="The database: embedded PostGIS cluster, migrations, backups.", no_args_is_help=True)
_EXTERNAL = "An external database is configured (GRIDS_DATABASE_URL); the embedded cluster is not used."


def _settings() -> DatabaseSettings:
    try:
        return DatabaseSettings()
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def _embedded(settings: DatabaseSettings) -> EmbeddedPostgres:
    return EmbeddedPostgres(settings.home, settings.database_name)


def _masked(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if "@" not in rest:
        return url
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else url


@app.command()
def up() -> None:
    """Create (once) and start the embedded cluster; print its URL."""
    settings = _settings()
    if settings.database_url:
        typer.echo(_EXTERNAL)
        return
    embedded = _embedded(settings)
    url = embedded.up()
    typer.echo(f"PostgreSQL + PostGIS running, data in {embedded.data_dir}")
    typer.echo(url)


@app.command()
def down() -> None:
    """Stop the embedded cluster (fast shutdown)."""
    settings = _settings()
    if settings.database_url:
        typer.echo(_EXTERNAL)
        return
    _embedded(settings).down()
    typer.echo("stopped")


@app.command()
def status() -> None:
    """Show whether the embedded cluster exists and runs, its port, data folder and version."""
    settings = _settings()
    if settings.database_url:
        rows = {"database": f"external: {_masked(settings.database_url)}"}
    else:
        state = _embedded(settings).status()
        rows = {
            "initialised": "yes" if state.initialised else "no",
            "running": "yes" if state.running else "no",
            "port": str(state.port) if state.port is not None else "-",
            "data dir": str(state.data_dir),
            "version": state.server_version or "-",
            "url": state.url or "-",
        }
    # Plain lines rather than a table: a table would wrap long paths and URLs on narrow terminals.
    for label, value in rows.items():
        typer.echo(f"{label:<12} {value}")


@app.command()
def url() -> None:
    """Print the database URL alone (exit 2 when the embedded cluster is not running)."""
    typer.echo(resolve_database_url(_settings()))


@app.command()
def migrate(revision: str = typer.Option("heads", help="alembic revision to upgrade to")) -> None:
    """Upgrade the database schema to the latest (or the given) revision."""
    from grids import migrate as migrations  # alembic is slow to import and only this command needs it

    migrations.upgrade(resolve_database_url(_settings()), revision)
    typer.echo(f"database upgraded to {revision}")


@app.command()
def backup(file: Path = typer.Argument(..., help="archive to write (pg_dump custom format)")) -> None:
    """Write a pg_dump custom-format archive of the database."""
    backup_database(resolve_database_url(_settings()), file)
    typer.echo(f"backup written to {file}")


@app.command()
def restore(file: Path = typer.Argument(..., help="archive written by `grids db backup`")) -> None:
    """Restore an archive into the database, replacing its objects, all or nothing."""
    restore_database(resolve_database_url(_settings()), file)
    typer.echo(f"restored from {file}")
