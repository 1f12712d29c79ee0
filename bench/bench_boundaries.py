"""Time validating a 10,000-grid draft, and publishing one that reshapes 10% of its grids while
100,000 open cases wait; beside it, PostGIS's default `INSERT … SELECT … ST_Contains` re-homing.

    .venv/bin/python bench/bench_boundaries.py --url postgresql+psycopg2://postgres@127.0.0.1:55432/bench_boundaries

The database must hold the medium demo (10,287 grids in 10 county generations, 100,000 cases):
`load_demo(engine, scale="medium")`, or a copy of such a database. `--prepare` makes every case of
it open (so that 100,000 open cases wait for the publish); only run it on a copy. Every timed run
is rolled back, so the script can be run again on the same data.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

import grids.boundaries.publish as publishing
from grids.boundaries.drafts import draft_from_active
from grids.boundaries.publish import publish_draft
from grids.boundaries.validate import validate_draft
from grids.db import make_engine, session_factory
from grids.models.cases import CLOSED_STATUSES, OPEN_CONDITION
from grids.users import Principal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the redraw helpers of the tests
from tests.boundaries.redraw import draft_grids, neighbours, put, reshape

OPERATOR = Principal(0, "bench", "admin", None, None)
CITY = "990100000000"

DEFAULT_REHOME = text(f"""
WITH moved AS (
  SELECT c.county_code, c.id, c.status, c.grid_code AS old_code, c.worker_id AS old_worker, g.code AS new_code
  FROM cases c JOIN grids g ON g.generation_id = :generation AND ST_Contains(g.geom, c.geom)
  WHERE c.county_code = ANY(CAST(:counties AS bpchar[])) AND c.{OPEN_CONDITION}
    AND g.code IS DISTINCT FROM c.grid_code
), updated AS (
  UPDATE cases c SET grid_code = m.new_code, assigned_by = 'republished', updated_at = now()
  FROM moved m WHERE c.county_code = m.county_code AND c.id = m.id
)
INSERT INTO case_events
  (county_code, case_id, actor_user_id, actor, action, from_status, to_status, reason, data)
SELECT m.county_code, m.id, :actor_id, :actor, 'rehome', m.status, m.status, 'default plan',
       jsonb_build_object('from_grid', m.old_code, 'to_grid', m.new_code)
FROM moved m
""")


@contextmanager
def statement_timer(engine: Engine, marker: str) -> Iterator[list[float]]:
    """Seconds spent in each statement whose SQL contains `marker`."""
    spent: list[float] = []
    started: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if marker in statement:
            started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if id(cursor) in started:
            spent.append(time.perf_counter() - started.pop(id(cursor)))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def prepare(engine: Engine) -> None:
    """Open every case (a bench copy only), so that 100,000 open cases wait for the publish."""
    with engine.begin() as conn:
        changed = conn.execute(
            text("UPDATE cases SET status = 'dispatched', closed_at = NULL WHERE status = ANY(:closed)"),
            {"closed": list(CLOSED_STATUSES)},
        ).rowcount
        conn.exec_driver_sql("ANALYZE cases")
    print(f"prepared: {changed} cases reopened")


def bench_validation(session: Session, rounds: int) -> None:
    """Validate a copy of the whole city; baseline: the database's self-join overlap check on it."""
    draft, grids = draft_from_active(session, scope=CITY, name="bench-validate", caller=OPERATOR)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        report = validate_draft(session, generation=draft)
        times.append(time.perf_counter() - started)
    print(
        f"validate {grids} grids: median {statistics.median(times):.2f} s, "
        f"runs {[round(t, 2) for t in times]}"
    )
    print(f"  problems: {report.counts()}")
    started = time.perf_counter()
    overlaps = session.execute(
        text(
            "SELECT count(*) FROM grids a JOIN grids b ON a.id < b.id AND a.geom && b.geom "
            "AND ST_Relate(a.geom, b.geom, '2********') WHERE a.generation_id = :g AND b.generation_id = :g"
        ),
        {"g": draft.id},
    ).scalar_one()
    print(
        f"  baseline, PostGIS self-join overlap check alone: {time.perf_counter() - started:.2f} s "
        f"({overlaps} overlaps)"
    )


def redrawn_draft(session: Session, share: float) -> tuple[int, int]:
    """A city draft with `share` of its grids reshaped (pairs of neighbours re-cut) and its gaps filled."""
    draft, _ = draft_from_active(session, scope=CITY, name="bench-publish", caller=OPERATOR)
    for problem in validate_draft(session, generation=draft).problems:
        if problem.kind == "gap":
            session.execute(
                text(
                    "INSERT INTO grids (generation_id, code, name, village_code, geom) "
                    "VALUES (:g, '', '新增网格', :v, ST_Multi(ST_GeomFromWKB(:w, 4490)))"
                ),
                {"g": draft.id, "v": problem.village_code, "w": shapely.to_wkb(problem.geometry)},
            )
    grids = draft_grids(session, draft)
    wanted = int(share * len(grids))
    used: set[str] = set()
    done = 0
    rng = np.random.default_rng(7)
    pairs = neighbours(grids)
    for k in rng.permutation(len(pairs)).tolist():
        a, b = pairs[k]
        if done >= wanted:
            break
        if {a.code, b.code} & used:
            continue
        cut = reshape(a, b)
        if cut is not None:
            put(session, a.id, cut[0])
            put(session, b.id, cut[1])
            used |= {a.code, b.code}
            done += 2
    return draft.id, done


def bench_publish(engine: Engine, share: float) -> None:
    """Publish with our plan, then (same data, rolled back) with the default INSERT … SELECT plan."""
    sessions = session_factory(engine)
    for label, statement in (("ours", publishing.REHOME), ("default ST_Contains", DEFAULT_REHOME)):
        with sessions() as session:
            draft_id, reshaped = redrawn_draft(session, share)
            open_cases = session.execute(
                text(f"SELECT count(*) FROM cases WHERE {OPEN_CONDITION}")
            ).scalar_one()
            publishing.REHOME = statement
            try:
                with statement_timer(engine, "INSERT INTO case_events") as rehome:
                    started = time.perf_counter()
                    result = publish_draft(session, ref=draft_id, caller=OPERATOR, commit=True)
                    total = time.perf_counter() - started
            finally:
                publishing.REHOME = REHOME_OURS
            events = session.execute(
                text("SELECT count(*) FROM case_events WHERE action = 'rehome'")
            ).scalar_one()
            session.rollback()
        print(
            f"publish ({label}): {total:.2f} s end to end, re-homing statement {sum(rehome):.2f} s; "
            f"{reshaped} grids reshaped, {result.counts}; {open_cases} open cases, "
            f"{events} re-homed with an event"
        )


REHOME_OURS = publishing.REHOME


def main() -> None:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--prepare", action="store_true", help="reopen every case first (bench copies only)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.10, help="share of grids to reshape")
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=2)
    if args.prepare:
        prepare(engine)
    with session_factory(engine)() as session:
        bench_validation(session, args.rounds)
        session.rollback()
    bench_publish(engine, args.share)
    engine.dispose()


if __name__ == "__main__":
    main()
