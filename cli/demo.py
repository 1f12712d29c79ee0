"""`grids demo`: from nothing to serving the demo city in one command."""

from typing import Annotated

import typer
from rich.console import Console

from cli.progress import progress_bar
from cli.serve import HostOpt, PortOpt, run_server
from grids.db import make_engine, session_factory, transaction
from grids.demo import load_demo
from grids.demo.accounts import create_demo_accounts
from grids.embedded import EmbeddedPostgres, resolve_database_url
from grids.errors import InvalidInput
from grids.migrate import upgrade
from grids.settings import DatabaseSettings

out = Console(highlight=False)
SCALES = ("small", "province")


def demo(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    scale: Annotated[str, typer.Option(help="small (~400 grids) or province (~100,000 grids)")] = "small",
    seed: Annotated[int, typer.Option(help="seed of the synthetic city")] = 20231,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the API after loading")] = True,
) -> None:
    """Start the database, migrate, load the demo city 示范市, print demo tokens, and serve the API."""
    if scale not in SCALES:
        raise InvalidInput(
            f"--scale {scale!r} is not one of {', '.join(SCALES)} (规模参数有误)", field="scale"
        )
    settings = DatabaseSettings()
    if settings.database_url is None:
        out.print(f"数据库 database: embedded PostGIS under {settings.home}")
        EmbeddedPostgres(settings.home, settings.database_name).up()
    url = resolve_database_url(settings)
    upgrade(url)
    engine = make_engine(url, pool_size=2)
    with progress_bar(out) as progress:
        summary = load_demo(engine, seed=seed, scale=scale, progress=progress)
    with transaction(session_factory(engine)) as db:
        accounts = create_demo_accounts(
            db,
            city_code=summary.city_code,
            county_codes=summary.county_codes,
            township_codes=summary.township_codes,
        )
    engine.dispose()
    out.print(
        f"示范市 demo city loaded in {summary.seconds:.1f} s: {summary.counties} counties, "
        f"{summary.townships} townships, {summary.villages} villages, {summary.grids} grids, "
        f"{summary.workers} workers, {summary.cases} cases"
    )
    out.print("演示账号 demo accounts (user, role, scope, token):")
    for a in accounts:  # plain lines: a table would fold the tokens in a narrow terminal
        print(f"{a.name:<28} {a.role:<11} {a.scope_code} {a.token}")
    out.print(f'try: curl -H "Authorization: Bearer {accounts[0].token}" http://{host}:{port}/me')
    if serve:
        run_server(host, port)
