"""Reads of a jurisdiction: case list, overdue list, assessment, coverage summary, worker list.

    .venv/bin/python bench/bench_case_lists.py --url postgresql+psycopg2://postgres@127.0.0.1:55432/cases_prov

On the province demo, for the dispatcher of the township with the most cases and for its county's,
each read is timed in process (`list_cases`, `overdue`, `assess`, `summarise`: the functions behind
`GET /cases`, `/supervision/overdue`, `/assessment` and `/coverage/summary`), median of `--repeat`
reads, and the worker list (`GET /workers`). Baseline in the same run: the same reads in a
transaction that has dropped the indexes a jurisdiction is found by (`ix_cases_township_code`,
`ix_cases_queue`, `ix_workers_township_code`; rolled back), so that every case or worker is read to
find the jurisdiction's, as the prefix rule (a LIKE on the township, else the queue's division) made
it before it became ranges of codes. The drops lock the tables while they last: a bench database only.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.cases.assessment import assess
from grids.cases.queries import CaseFilters, list_cases
from grids.cases.supervision import overdue
from grids.cases.workers import list_workers
from grids.codes import level_of
from grids.coverage.summary import summarise
from grids.db import make_engine, session_factory
from grids.users import Principal

JURISDICTION_INDEXES = ("ix_cases_township_code", "ix_cases_queue", "ix_workers_township_code")


def _median_ms(read: Callable[[], Any], repeat: int) -> float:
    read()  # plans and caches warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _reads(db: Session, caller: Principal, now: datetime) -> dict[str, Callable[[], Any]]:
    below = "village" if caller.scope_code and level_of(caller.scope_code) == "township" else "township"
    return {
        "case list (50 newest, with the total)": lambda: list_cases(
            db, caller=caller, filters=CaseFilters(), now=now, limit=50
        ),
        "overdue list (due within 24 h, by township)": lambda: overdue(
            db, caller=caller, now=now, within_hours=24, by="township"
        ),
        "assessment (last 30 days, by township)": lambda: assess(
            db, caller=caller, level="township", start=now - timedelta(days=30), end=now, now=now
        ),
        "coverage summary (one level down, gaps included)": lambda: summarise(
            db, caller=caller, level=below, at=now
        ),
        "worker list (first 50 by staff number, with the total)": lambda: list_workers(db, caller=caller),
    }


def main() -> None:
    """Print each read's median time for a township's and a county's dispatcher, and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated database with the province demo loaded")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=1)
    now = datetime.now(UTC)
    with session_factory(engine)() as db:
        total = db.scalar(text("SELECT count(*) FROM cases"))
        township = db.scalar(
            text(
                "SELECT township_code FROM cases WHERE township_code IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        )
        print(f"{total:,} cases in the database")
        for scope in (township, township[:6] + "000000"):
            caller = Principal(0, "bench", "dispatcher", scope, None)
            held = list_cases(db, caller=caller, filters=CaseFilters(), now=now, limit=1)[1]
            print(f"dispatcher of {scope} ({held:,} cases in the jurisdiction):")
            for name, read in _reads(db, caller, now).items():
                ours = _median_ms(read, args.repeat)
                db.execute(text(f"DROP INDEX {', '.join(JURISDICTION_INDEXES)}"))
                scanned = _median_ms(read, args.repeat)
                db.rollback()
                print(f"  {name}: {ours:.1f} ms; without the jurisdiction's indexes {scanned:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
