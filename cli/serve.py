"""`grids serve`: serve the API on an existing database."""

from typing import Annotated

import typer
import uvicorn

from cli.context import database_url
from grids.errors import InvalidInput

HostOpt = Annotated[str, typer.Option(help="interface to listen on")]
PortOpt = Annotated[int, typer.Option(help="TCP port")]


def run_server(host: str, port: int, url: str) -> None:
    """Serve the app factory on `url` until interrupted."""
    if not 1 <= port <= 65535:
        raise InvalidInput(f"--port {port} is not a TCP port (端口须在1–65535之间)", field="port")
    from api.app import create_app

    uvicorn.run(create_app(database_url=url), host=host, port=port, log_level="info")


def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Serve the API (and, as they arrive, the map and layers) on the configured database."""
    run_server(host, port, database_url())
