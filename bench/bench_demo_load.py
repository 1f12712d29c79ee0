"""Time `load_demo`, step by step, and compare COPY with an ORM `add_all` for 2,000 cases.

    .venv/bin/python bench/bench_demo_load.py --url postgresql+psycopg2://user@host/db [--scale small]

The database must be migrated; its demo (everything under division 99) is replaced. The baseline
runs in a transaction that is rolled back, so it leaves the loaded demo as it was.
"""

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from grids.db import make_engine
from grids.demo import load_demo
from grids.demo.load import CASE_COLUMNS, copy_rows
from grids.models import Case

AS_OF = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
STEP_TABLES = {  # the tables each progress step of load_demo writes
    "divisions": ("divisions", "division_parts"),
    "grids": ("generations", "grids", "grid_parts"),
    "households": ("household_blocks",),
    "workers": ("workers", "worker_assignments", "duty_windows"),
    "cases": ("cases", "case_events", "case_intake_keys", "people"),  # people: reporters (and workers)
}


def timed_load(engine: Engine, scale: str, seed: int) -> tuple[float, dict[str, float]]:
    """Load the demo; return total seconds and seconds per progress step (ended at its last report)."""
    ends: dict[str, float] = {}
    start = time.perf_counter()

    def progress(step: str, done: int, total: int) -> None:
        ends[step] = time.perf_counter()

    summary = load_demo(engine, seed=seed, scale=scale, as_of=AS_OF, progress=progress)
    steps, previous = {}, start
    for step, end in sorted(ends.items(), key=lambda item: item[1]):
        steps[step], previous = end - previous, end
    figures = f"{summary.grids} grids, {summary.cases} cases, {summary.case_events} events"
    print(f"load_demo {scale} (seed {seed}): {summary.seconds:.1f} s, {figures}")
    return summary.seconds, steps


def count(engine: Engine, table: str) -> int:
    """Rows in a table."""
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def baseline(engine: Engine, n: int = 2_000) -> None:
    """Insert n copies of demo cases with the ORM and with COPY, each rolled back; print rows/s."""
    table = Case.__table__
    columns = [table.c[name] for name in CASE_COLUMNS]  # what the loader writes; triggers do the rest
    with Session(engine) as session:
        rows = [dict(r._mapping) for r in session.execute(select(*columns).limit(n))]
        top = int(session.scalar(select(func.max(Case.id))) or 0)
    copies = [{**r, "id": top + i + 1, "duplicate_of_id": None} for i, r in enumerate(rows)]

    def orm(session: Session) -> None:
        session.add_all([Case(**r) for r in copies])
        session.flush()

    def copy(session: Session) -> None:
        cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        copy_rows(cur, "cases", CASE_COLUMNS, [[_ewkb(r[c]) for c in CASE_COLUMNS] for r in copies])

    for name, write in (("ORM add_all", orm), ("COPY", copy)):
        seconds = _rolled_back(engine, write)
        print(
            f"  {name:<12} {len(copies):>6} cases  {seconds:6.2f} s  {len(copies) / seconds:>10,.0f} rows/s"
        )


def _ewkb(value: Any) -> Any:
    # GeoAlchemy2 hands back WKBElements; COPY wants EWKB hex.
    return value.desc if hasattr(value, "desc") and hasattr(value, "srid") else value


def _rolled_back(engine: Engine, write: Callable[[Session], None]) -> float:
    with Session(engine) as session:
        session.execute(text("SET LOCAL jit = off"))
        start = time.perf_counter()
        write(session)
        seconds = time.perf_counter() - start
        session.rollback()
    return seconds


def main() -> None:
    """Parse the arguments, run the load and the baseline, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated PostGIS (its demo is replaced)")
    parser.add_argument("--scale", default="small", choices=("small", "medium", "province"))
    parser.add_argument("--seed", type=int, default=20231)
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=1)
    try:
        total, steps = timed_load(engine, args.scale, args.seed)
        print(f"{'step':<12} {'seconds':>8} {'rows':>11} {'rows/s':>11}  tables")
        for step, seconds in steps.items():
            tables = STEP_TABLES.get(step, ())
            rows = sum(count(engine, t) for t in tables)
            rate = f"{rows / seconds:>11,.0f}" if tables and seconds > 0 else f"{'':>11}"
            print(f"{step:<12} {seconds:>8.2f} {rows:>11,} {rate}  {', '.join(tables) or '(in memory)'}")
        print(f"{'total':<12} {total:>8.2f}")
        print("baseline, 2,000 cases into the loaded database (rolled back):")
        baseline(engine)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
