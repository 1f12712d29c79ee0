"""`grids serve`: serve the API on an existing database."""

from typing import Annotated

import typer
import uvicorn

from cli.context import database_url

HostOpt = Annotated[str, typer.Option(help="interface to listen on")]
PortOpt = Annotated[int, typer.Option(help="TCP port", min=1, max=65535)]


def run_server(host: str, port: int) -> None:
    """Serve the app factory (it reads the same settings) until interrupted."""
    database_url()  # fail here, in one line, rather than inside the server's start-up
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")


def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Serve the API (and, as they arrive, the map and layers) on the configured database."""
    run_server(host, port)
