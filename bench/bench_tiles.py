"""Grid tiles and item pages: our API against tipg serving the same `grids` table, same run.

    .venv/bin/python bench/bench_tiles.py --url postgresql+psycopg2://user@host/db \\
        --tipg-python /path/to/tipg-venv/bin/python [--tiles 300] [--pages 60] [--rounds 3]

The database must hold the demo (`grids demo --scale province --no-serve`). tipg runs in its own
virtual environment (its pins are not ours): `python3 -m venv V && V/bin/pip install tipg uvicorn`.
Both servers run here as one uvicorn process each, with no cache. Ours answers as a city
planner (authentication and jurisdiction checks on); tipg has neither. The tiles are a fixed,
seeded set of z12–z14 tiles around grids of that city; the pages walk its grids 100 at a time.
"""

import argparse
import http.client
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from grids.db import make_engine, session_factory, transaction
from grids.models import User
from grids.users import add_user, issue_token

ROOT = Path(__file__).resolve().parents[1]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The WebMercatorQuad tile holding a point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def planner_token(url: str) -> tuple[str, str, int]:
    """A token of the bench's city planner (created once), the city, and its active grid count."""
    engine = make_engine(url, pool_size=1)
    with transaction(session_factory(engine)) as db:
        city = db.scalar(text("SELECT min(code) FROM divisions WHERE level = 'city' AND code LIKE '99%'"))
        name = f"bench-planner-{city[:4]}"
        if db.scalar(select(User.id).where(User.name == name)) is None:
            add_user(db, name=name, role="planner", scope_code=city)
        token = issue_token(db, name=name)
        grids = db.scalar(
            text(
                "SELECT count(*) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                "AND ge.status = 'active' WHERE g.code LIKE :p"
            ),
            {"p": city[:4] + "%"},
        )
    engine.dispose()
    return token, city, int(grids)


def tile_set(url: str, scope: str, count: int, seed: int) -> list[tuple[int, int, int]]:
    """A fixed set of distinct z12–z14 tiles around seeded grids of the jurisdiction."""
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        points = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' "
                "WHERE g.code LIKE :p ORDER BY g.code"
            ),
            {"p": scope[:4] + "%"},
        ).all()
    engine.dispose()
    rng = random.Random(seed)
    tiles: list[tuple[int, int, int]] = []
    for lon, lat in rng.sample(points, len(points)):
        tile = tile_of(lon, lat, 12 + len(tiles) % 3)
        if tile not in tiles:
            tiles.append(tile)
        if len(tiles) == count:
            break
    return tiles


@contextmanager
def serving(command: list[str], env: dict[str, str], probe: str, headers: dict[str, str]) -> Iterator[None]:
    """Run a server until the block ends; wait until `probe` answers 200."""
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(probe, headers=headers, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"server did not start: {' '.join(command)}")
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(urls: list[str], headers: dict[str, str], threads: int) -> tuple[float, list[float]]:
    """Seconds taken and each request's latency over `urls` with `threads` concurrent clients.

    The clients share the servers' two cores, so they are the standard library's lean keep-alive
    connections (about 0.2 ms of CPU a request, where httpx took 0.75 ms and capped the faster server).
    """
    latencies: list[float] = []

    def worker(chunk: list[str]) -> None:
        where = urlsplit(chunk[0])
        client = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        try:
            for url in chunk:
                parts = urlsplit(url)
                target = f"{parts.path}?{parts.query}" if parts.query else parts.path
                started = time.perf_counter()
                client.request("GET", target, headers=headers)
                response = client.getresponse()
                body = response.read()
                latencies.append(time.perf_counter() - started)
                if response.status not in (200, 204):
                    raise RuntimeError(f"{url}: {response.status} {body[:200]!r}")
        finally:
            client.close()

    chunks = [urls[i::threads] for i in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, chunks))
    return time.perf_counter() - started, latencies


def compare(
    servers: dict[str, list[str]], headers: dict[str, str], rounds: int, clients: tuple[int, ...]
) -> None:
    """Alternate the servers round by round (so drift hits all alike); print rate, p50, p95, ratio."""
    print(f"  {'server':<16} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for urls in servers.values():  # warm all: plans cached, pages in shared buffers
        run(urls, headers, 2)
    rates: dict[tuple[str, int], float] = {}
    for threads in clients:
        seconds = dict.fromkeys(servers, 0.0)
        latencies: dict[str, list[float]] = {server: [] for server in servers}
        for _ in range(rounds):
            for server, urls in servers.items():
                taken, measured = run(urls, headers, threads)
                seconds[server] += taken
                latencies[server] += measured
        for server, urls in servers.items():
            ordered = sorted(latencies[server])
            rates[(server, threads)] = rounds * len(urls) / seconds[server]
            p50, p95 = statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000
            print(f"  {server:<16} {threads:>7} {rates[(server, threads)]:>9.1f} {p50:>8.1f} {p95:>8.1f}")
    for threads in clients:
        best = max(rate for (server, t), rate in rates.items() if t == threads and server != "ours")
        print(f"  ours / best tipg, {threads} client(s): {rates[('ours', threads)] / best:.2f}×")


def main() -> None:
    """Start both servers, warm them, measure tiles and pages, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the database holding the demo")
    parser.add_argument("--tipg-python", required=True, help="python of a virtual environment with tipg")
    parser.add_argument("--tiles", type=int, default=300)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the set, servers alternating")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4], help="client counts to measure")
    args = parser.parse_args()

    token, city, grids = planner_token(args.url)
    tiles = tile_set(args.url, city, args.tiles, args.seed)
    offsets = random.Random(args.seed).sample(
        range(0, max(grids - 100, 1), 100), min(args.pages, grids // 100)
    )
    ours = "http://127.0.0.1:18731"
    tipg = "http://127.0.0.1:18732"
    bearer = {"Authorization": f"Bearer {token}"}
    libpq = make_url(args.url).set(drivername="postgresql").render_as_string(hide_password=False)
    our_server = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--port",
        "18731",
        "--log-level",
        "warning",
    ]
    tipg_server = [
        args.tipg_python,
        "-m",
        "uvicorn",
        "tipg.main:app",
        "--port",
        "18732",
        "--log-level",
        "warning",
    ]
    tipg_env = {
        "DATABASE_URL": libpq,
        "TIPG_DB_TABLES": '["public.grids"]',
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_DB_MAX_CONN_SIZE": "10",
    }
    workloads = {
        "tiles": {
            "ours": [f"{ours}/collections/grids/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles],
            "tipg": [
                f"{tipg}/collections/public.grids/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles
            ],
            "tipg geom_3857": [
                f"{tipg}/collections/public.grids/tiles/WebMercatorQuad/{z}/{x}/{y}?geom-column=geom_3857"
                for z, x, y in tiles
            ],
        },
        "item pages": {
            "ours": [f"{ours}/collections/grids/items?limit=100&offset={o}" for o in offsets],
            "tipg": [f"{tipg}/collections/public.grids/items?limit=100&offset={o}" for o in offsets],
        },
    }
    print(f"city {city}: {grids} active grids; {len(tiles)} tiles (z12–z14), {len(offsets)} pages of 100")
    with (
        serving(our_server, {"GRIDS_DATABASE_URL": args.url}, f"{ours}/me", bearer),
        serving(tipg_server, tipg_env, f"{tipg}/collections", {}),
    ):
        for workload, servers in workloads.items():
            print(f"\n{workload}")
            compare(servers, bearer, args.rounds, tuple(args.clients))


if __name__ == "__main__":
    main()
