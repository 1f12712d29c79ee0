"""Intake: `grids cases import` of a 100,000-row CSV end to end, and `POST /cases` with 16 clients.

    .venv/bin/python bench/bench_intake.py --url postgresql+psycopg2://postgres@127.0.0.1:55432/cases_prov

Baselines in the same run: for the import, PostgreSQL alone storing the imported cases again (the
same rows, keys and receive events, COPY text made beforehand, the import's connections, rolled
back: what the tables' indexes, keys and triggers cost with no Python at all); for `POST /cases`,
`GET /livez` with the same 16 clients. The import's figures also count the machine's busy
core-seconds (every process), which bound the fastest any overlap of the same work could be on its
cores. Each run adds new cases (external ids carry the run's time).
Targets: import ≥ 20,000 cases/s, POST ≥ 300/s.
"""

import argparse
import csv
import gc
import http.client
import io
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import psutil
from sqlalchemy.orm import Session

from grids.cases.bulk import WRITERS, import_cases
from grids.cases.files import read_rows, to_input
from grids.db import make_engine
from grids.demo.catalogue import CATEGORIES
from grids.locate import indexes
from grids.users import OPERATOR

sys.path.insert(0, str(Path(__file__).parent))
from bench_locate import sample, token, wait_until_up

GRIDS = str(Path(sys.executable).with_name("grids"))
CHANNELS = ("zwfw", "pingan", "hotline12345", "minqing", "village_centre", "open311")


def points_on_grids(url: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` random points that fall on grids."""
    engine = make_engine(url, pool_size=1)
    with Session(engine) as db:
        grids, _ = indexes(db)
    engine.dispose()
    lon, lat = sample(grids.bounds, 3 * n, seed)
    found = grids.assign_many(lon, lat)
    keep = (found.match == "inside") | (found.match == "edge")
    return lon[keep][:n], lat[keep][:n]


def write_csv(path: Path, lon: np.ndarray, lat: np.ndarray, run: str) -> None:
    """A CSV of cases at the points, as an intake system would export it."""
    rng = np.random.default_rng(7)
    now = datetime.now(UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["channel", "external_id", "category", "lon", "lat", "description", "reported_at"])
        for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
            category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            at = now - timedelta(minutes=int(rng.integers(10, 1440)))
            channel = CHANNELS[i % len(CHANNELS)]
            point = [f"{x:.7f}", f"{y:.7f}"]
            out.writerow(
                [channel, f"BENCH-{run}-{i}", category.code, *point, category.example, at.isoformat()]
            )


def busy_seconds() -> float:
    """Core-seconds the whole machine has spent working since boot, every process counted (ours and
    PostgreSQL's): user, nice, system and interrupt time; not idle, waiting for disk, or stolen."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0))


def _of_part(case_id: str) -> str:
    """Rows of a part's counties and cases, found through the (county_code, case id) indexes."""
    return f"county_code = ANY(%(counties)s::bpchar[]) AND {case_id} = ANY(%(ids)s::bigint[])"


def copy_texts(conn: Any, counties: list[str], ids: list[int]) -> list[tuple[str, str]]:
    """The cases of `ids` (in `counties`), their keys and their receive events, as COPY text under
    new ids (the negated ones) and new external ids: the same rows, written again."""
    cur = conn.cursor()
    cur.execute(  # geom_3857 is the trigger's to fill, as on every write
        "SELECT attname FROM pg_attribute WHERE attrelid = 'cases'::regclass AND attnum > 0 "
        "AND NOT attisdropped AND attname <> 'geom_3857' ORDER BY attnum"
    )
    names = [name for (name,) in cur.fetchall()]
    columns = ", ".join(names)
    values = ", ".join("-id" if name == "id" else name for name in names)
    picks = {
        "cases": (columns, f"SELECT {values} FROM cases WHERE {_of_part('id')}"),
        "case_intake_keys": (
            "channel, external_id, county_code, case_id",
            "SELECT channel, 'FLOOR-' || external_id, county_code, -case_id FROM case_intake_keys "
            f"WHERE {_of_part('case_id')}",
        ),
        "case_events": (
            "county_code, case_id, at, actor_user_id, actor, action, from_status, to_status, data",
            "SELECT county_code, -case_id, at, actor_user_id, actor, action, from_status, to_status, data "
            f"FROM case_events WHERE {_of_part('case_id')} AND action = 'receive'",
        ),
    }
    copies = []
    for table, (listed, query) in picks.items():
        buffer, bound = io.StringIO(), cur.mogrify(query, {"counties": counties, "ids": ids}).decode()
        cur.copy_expert(f"COPY ({bound}) TO STDOUT", buffer)
        copies.append((f"COPY {table} ({listed}) FROM STDIN", buffer.getvalue()))
    cur.close()
    return copies


def database_floor(url: str, run: str, writers: int) -> tuple[int, float, float]:
    """PostgreSQL alone storing the import's cases again: the same rows, keys and receive events as
    ready COPY text, with every index, key and trigger of the tables, counties split over `writers`
    connections as the import splits them, each in a transaction rolled back. Cases, seconds, and the
    machine's busy core-seconds meanwhile."""
    engine = make_engine(url, pool_size=writers)
    with engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT county_code, array_agg(case_id) FROM case_intake_keys WHERE external_id ~ %s "
            "GROUP BY 1 ORDER BY count(*) DESC",
            (f"^BENCH-{run}-[0-9]+$",),  # this run's import, not the steps' one
        ).all()
    parts: list[tuple[list[str], list[int]]] = [([], []) for _ in range(writers)]
    for county, ids in stored:  # each county whole, into the part with the fewest rows so far
        counties, part = min(parts, key=lambda p: len(p[1]))
        counties.append(county)
        part.extend(ids)
    parts = [p for p in parts if p[1]]
    ready = threading.Barrier(len(parts) + 1)  # every part's text ready before the clock starts
    spans: list[tuple[float, float]] = []

    def write(counties: list[str], ids: list[int]) -> None:
        raw = engine.raw_connection()
        try:
            copies = copy_texts(raw, counties, ids)
            cur = raw.cursor()
            ready.wait()
            started = time.perf_counter()
            for command, lines in copies:
                cur.copy_expert(command, io.StringIO(lines))
            spans.append((started, time.perf_counter()))
        finally:
            raw.rollback()
            raw.close()

    threads = [threading.Thread(target=write, args=part) for part in parts]
    for t in threads:
        t.start()
    ready.wait()
    busy = busy_seconds()
    for t in threads:
        t.join()
    busy = busy_seconds() - busy
    engine.dispose()
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return sum(len(ids) for _, ids in parts), seconds, busy


def bench_import(url: str, rows: int) -> None:
    """Time `grids cases import` of a CSV of `rows` cases, end to end, against the database floor."""
    lon, lat = points_on_grids(url, rows, 11)
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        write_csv(path, lon, lat, run)
        env = {**os.environ, "GRIDS_DATABASE_URL": url}
        started, busy = time.perf_counter(), busy_seconds()
        done = subprocess.run([GRIDS, "cases", "import", str(path)], env=env, capture_output=True, text=True)
        seconds, busy = time.perf_counter() - started, busy_seconds() - busy
    assert done.returncode == 0, done.stderr
    rate = len(lon) / seconds
    print(f"grids cases import of {len(lon):,} rows: {seconds:.1f} s = {rate:,.0f} cases/s end to end;")
    stored, floor, floor_busy = database_floor(url, run, WRITERS)
    print(
        f"  baseline, PostgreSQL alone storing the same {stored:,} cases with their keys and events "
        f"(ready COPY text, {WRITERS} connections, rolled back): {floor:.1f} s = {stored / floor:,.0f} "
        f"cases/s;\n  the import runs at {rate / (stored / floor):.0%} of it; target ≥ 20,000 cases/s"
    )
    cores = psutil.cpu_count() or 1
    print(
        f"  CPU, whole machine: the import kept it busy {busy:.1f} core-s ({busy / (cores * seconds):.0%} "
        f"of {cores} cores × {seconds:.1f} s), PostgreSQL alone {floor_busy:.1f} core-s "
        f"({floor_busy / len(lon) * 1e6:.0f} µs a case);\n  so on {cores} cores, every part overlapped, "
        f"this import takes at least {busy / cores:.1f} s = {len(lon) * cores / busy:,.0f} cases/s, "
        f"and these tables alone {floor_busy / cores:.1f} s = {stored * cores / floor_busy:,.0f} cases/s"
    )
    with tempfile.TemporaryDirectory() as folder:  # a second file of the same points, new external ids
        path = Path(folder) / "cases.csv"
        write_csv(path, lon, lat, f"{run}-steps")
        steps = [sys.executable, __file__, "--url", url, "--steps-of", str(path)]
        print(subprocess.run(steps, check=True, capture_output=True, text=True).stdout, end="")


def import_steps(url: str, path: Path) -> None:
    """Where the import's time goes: the command's import of a file in this (fresh) process, each
    step timed from the import's own progress reports, with the core-seconds the machine and this
    process spent in it (the difference is PostgreSQL's)."""
    gc.disable()  # as the command does
    me = psutil.Process()

    def now() -> tuple[float, float, float]:
        mine = me.cpu_times()
        return time.perf_counter(), busy_seconds(), mine.user + mine.system

    marks = [("read and check the file", now())]
    inputs = [to_input(row, line) for line, row in enumerate(read_rows(path), start=2)]

    def report(step: str, done: int, total: int) -> None:
        if step != marks[-1][0]:
            marks.append((step, now()))

    engine = make_engine(url, pool_size=2)
    summary = import_cases(engine, inputs=inputs, caller=OPERATOR, progress=report)
    marks.append(("", now()))
    engine.dispose()
    whole = marks[-1][1][0] - marks[0][1][0]
    print(f"  steps of a second import in a fresh process ({summary.created:,} cases in {whole:.1f} s):")
    for (step, start), (_, end) in itertools.pairwise(marks):  # each to the next's start
        wall, machine, python = (b - a for a, b in zip(start, end, strict=True))
        print(f"    {step}: {wall:.1f} s; {machine:.1f} core-s busy, of them this process {python:.1f}")


def hammer(base: str, clients: int, seconds: float, make: Callable[[int, int], tuple[str, Any]]) -> float:
    """Requests/s of `clients` threads sending what `make(client, n)` gives for `seconds`.

    The clients share the server's two cores, so they are the standard library's lean keep-alive
    connections (about 0.2 ms of CPU a request where httpx took 0.75 ms, and capped the server).
    """
    counts = [0] * clients
    stop = time.monotonic() + seconds
    where = urlsplit(base)

    def client(k: int) -> None:
        headers = {**make(k, -1)[1], "Content-Type": "application/json"}
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        try:
            while time.monotonic() < stop:
                path, body = make(k, counts[k])
                payload = None if body is None else json.dumps(body)
                conn.request("GET" if body is None else "POST", path, body=payload, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                assert response.status < 300, answer
                counts[k] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


def bench_post(url: str, clients: int, seconds: float, workers: int) -> None:
    """`POST /cases` with `clients` threads against `GET /livez` with the same threads."""
    lon, lat = points_on_grids(url, 50_000, 12)
    bearer = token(url)
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    reported = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    port = 18766
    env = {**os.environ, "GRIDS_DATABASE_URL": url, "GRIDS_API_POOL_SIZE": "10"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {bearer}"}

    def case(k: int, n: int) -> tuple[str, Any]:
        if n < 0:
            return "", headers
        i = (k * 100_003 + n) % len(lon)
        body = {
            "channel": "minqing",
            "external_id": f"POST-{run}-{k}-{n}",
            "category": CATEGORIES[n % 30].code,
            "lon": float(lon[i]),
            "lat": float(lat[i]),
            "description": "压测",
            "reported_at": reported,
        }
        return "/cases", body

    try:
        wait_until_up(base, server)
        hammer(base, clients, 3, case)  # warm: every worker builds its index
        livez = hammer(base, clients, seconds, lambda k, n: ("/livez", None) if n >= 0 else ("", headers))
        posts = hammer(base, clients, seconds, case)
        print(f"POST /cases, {workers} worker(s), {clients} clients: {posts:,.0f} cases/s;")
        print(f"  baseline GET /livez with the same clients: {livez:,.0f} req/s; target ≥ 300 cases/s")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    """Run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated database with a demo loaded")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the imported CSV")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--steps-of", type=Path, help=argparse.SUPPRESS)  # the import's steps, alone
    args = parser.parse_args()
    if args.steps_of is not None:
        import_steps(args.url, args.steps_of)
        return
    bench_import(args.url, args.rows)
    bench_post(args.url, args.clients, args.seconds, args.workers)


if __name__ == "__main__":
    main()
