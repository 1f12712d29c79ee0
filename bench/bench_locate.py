"""Locate, in process and over HTTP, on a loaded demo (the targets are for the province scale).

    .venv/bin/python bench/bench_locate.py --url postgresql+psycopg2://postgres@127.0.0.1:55432/cases_prov

Baselines in the same run: a bare `STRtree.query(point, "intersects")` (one at a time and vectorised)
for the in-process figures, and `GET /livez` of the same server for the HTTP figures (ApacheBench,
4 keep-alive connections). Targets: ≥ 20,000 full answers/s one at a time, ≥ 200,000 points/s for a
batch of 1,000,000, /locate ≥ 70% of /livez's requests/s with p99 under 10 ms.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from grids.db import make_engine
from grids.locate import indexes
from grids.models import User
from grids.users import add_user, issue_token

USER = "bench-locate"


def sample(bounds: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points in the divisions' bounding box (mostly inside grids, some outside everything)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def in_process(url: str, one: int, batch: int) -> None:
    """Full answers one at a time and a vectorised batch, each against its shapely baseline."""
    engine = make_engine(url, pool_size=1)
    with Session(engine) as db:
        started = time.perf_counter()
        grids, rosters = indexes(db)
        print(f"index build: {time.perf_counter() - started:.1f} s for {len(grids.codes):,} grids")
    engine.dispose()
    lon, lat = sample(grids.bounds, one, 1)
    tree = grids.grids.tree
    mx, my = grids.grids.to_metric(lon, lat)
    points = [shapely.Point(x, y) for x, y in zip(mx, my, strict=True)]
    started = time.perf_counter()
    for p in points:
        tree.query(p, predicate="intersects")
    base = one / (time.perf_counter() - started)
    now = datetime.now(UTC)
    started = time.perf_counter()
    answered = 0
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        found = grids.answer(x, y)
        if found is not None:
            rosters.complete(found, at=now, visible=True)
            answered += 1
    rate = one / (time.perf_counter() - started)
    print(f"one at a time: {rate:,.0f} full answers/s ({answered:,} of {one:,} on the map); "
          f"baseline STRtree.query: {base:,.0f}/s; target ≥ 20,000/s")  # fmt: skip
    lon, lat = sample(grids.bounds, batch, 2)
    started = time.perf_counter()
    mx, my = grids.grids.to_metric(lon, lat)
    tree.query(shapely.points(mx, my), predicate="intersects")
    base = batch / (time.perf_counter() - started)
    started = time.perf_counter()
    m = grids.assign_many(lon, lat)
    rate = batch / (time.perf_counter() - started)
    kinds = {k: int((m.match == k).sum()) for k in ("inside", "edge", "near", "outside")}
    print(f"vectorised batch of {batch:,}: {rate:,.0f} points/s {kinds}; "
          f"baseline projected STRtree.query: {base:,.0f}/s; target ≥ 200,000/s")  # fmt: skip


def token(url: str) -> str:
    """A fresh token of the benchmark's admin user (created once)."""
    engine = make_engine(url, pool_size=1)
    with Session(engine) as db, db.begin():
        if db.scalar(select(User.id).where(User.name == USER)) is None:
            add_user(db, name=USER, role="admin", scope_code=None)
        value = issue_token(db, name=USER)
    engine.dispose()
    return value


def ab(args: list[str]) -> tuple[float, float]:
    """Requests/s and p99 (ms) of an ApacheBench run."""
    done = subprocess.run(["ab", "-q", "-k", "-s", "300", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ab failed: {done.stderr.strip()}")
    out = done.stdout
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = float(re.search(r"\s99%\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    assert failed == 0 and non2xx is None, out
    return rps, p99


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    """Poll /livez until the server answers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/livez", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def over_http(url: str, requests: int, workers: int) -> None:
    """`/locate` against `/livez` of the same server, 4 connections each."""
    bearer = token(url)
    engine = make_engine(url, pool_size=1)
    with Session(engine) as db:
        grids, _ = indexes(db)
    engine.dispose()
    lon, lat = sample(grids.bounds, 1, 3)
    point = grids.assign_many(lon, lat)
    while point.grid[0] is None:  # a point on a grid: the full answer with workers
        lon, lat = sample(grids.bounds, 1, int(time.time()))
        point = grids.assign_many(lon, lat)
    port = 18765
    env = {**os.environ, "GRIDS_DATABASE_URL": url, "GRIDS_API_POOL_SIZE": "8"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"lon": float(lon[0]), "lat": float(lat[0])}, f)
        auth = ["-H", f"Authorization: Bearer {bearer}"]
        ab(["-c", "4", "-n", "2000", *auth, "-p", f.name, "-T", "application/json", f"{base}/locate"])  # warm
        livez = ab(["-c", "4", "-n", str(requests), f"{base}/livez"])
        locate = ab(
            ["-c", "4", "-n", str(requests), *auth, "-p", f.name, "-T", "application/json", f"{base}/locate"]
        )
        share = locate[0] / livez[0]
        print(f"HTTP, {workers} worker(s), 4 connections: /livez {livez[0]:,.0f} req/s "
              f"(p99 {livez[1]:.0f} ms); /locate {locate[0]:,.0f} req/s (p99 {locate[1]:.0f} ms) = "
              f"{share:.0%} of /livez; target ≥ 70%, p99 < 10 ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    """Run the in-process and HTTP benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated database with a demo loaded")
    parser.add_argument("--one", type=int, default=50_000, help="points located one at a time")
    parser.add_argument("--batch", type=int, default=1_000_000, help="points in the vectorised batch")
    parser.add_argument("--requests", type=int, default=20_000, help="HTTP requests per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    in_process(args.url, args.one, args.batch)
    over_http(args.url, args.requests, args.workers)


if __name__ == "__main__":
    main()
