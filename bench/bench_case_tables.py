"""What each part of the case tables costs a stored case: indexes, foreign keys, checks, triggers.

    .venv/bin/python bench/bench_case_tables.py --url postgresql+psycopg2://postgres@127.0.0.1:55432/cases_prov

Stored cases of an earlier `bench_intake.py` run, with their keys and `receive` events, are copied
again under new ids (COPY text made beforehand) on one connection, in a transaction rolled back:
once with every part of the tables on (the baseline), once with one group of parts dropped or
disabled inside the same transaction. The two alternate, `--rounds` times; each group's figure is
the median of its differences, in microseconds of one core per case. This is the tables' own cost:
no Python is timed. It needs a database no one else writes to (the drops lock `cases` while they
last) and at least `--cases` cases imported by the intake bench.
"""

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from grids.db import make_engine

sys.path.insert(0, str(Path(__file__).parent))
from bench_intake import copy_texts


def _names(cur: Any, query: str) -> list[str]:
    cur.execute(query)
    return [name for (name,) in cur.fetchall()]


def _groups(cur: Any) -> dict[str, list[str]]:
    """Each group of the tables' parts, as the statements that take it away for one transaction."""
    on_cases = "WHERE {} = 'cases'::regclass"
    indexes = _names(
        cur,
        "SELECT c.relname || '|' || am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        f"JOIN pg_am am ON am.oid = c.relam {on_cases.format('i.indrelid')} AND NOT i.indisprimary",
    )
    keys = _names(cur, f"SELECT conname FROM pg_constraint {on_cases.format('conrelid')} AND contype = 'f'")
    checks = _names(cur, f"SELECT conname FROM pg_constraint {on_cases.format('conrelid')} AND contype = 'c'")
    btree = [name for name, kind in (i.split("|") for i in indexes) if kind == "btree"]
    gist = [name for name, kind in (i.split("|") for i in indexes) if kind == "gist"]
    drop = "ALTER TABLE cases DROP CONSTRAINT {}"
    disable = "ALTER TABLE cases DISABLE TRIGGER {}"
    return {
        f"{len(btree)} b-tree indexes of cases (primary key kept)": [f"DROP INDEX {i}" for i in btree],
        f"{len(gist)} GiST indexes of cases": [f"DROP INDEX {i}" for i in gist],
        f"{len(keys)} foreign keys of cases": [drop.format(k) for k in keys],
        f"{len(checks)} check constraints of cases": [drop.format(c) for c in checks],
        "the EPSG:3857 trigger of cases": [disable.format("layers_refresh_3857")],
        "the per-grid figure trigger of cases": [disable.format("grid_case_figures_insert")],
    }


def _copy(conn: Any, copies: list[tuple[str, str]], without: list[str]) -> float:
    """Seconds to copy every table's text with `without` run first; all of it rolled back."""
    cur = conn.cursor()
    try:
        for statement in without:
            cur.execute(statement)
        started = time.perf_counter()
        for command, lines in copies:
            cur.copy_expert(command, io.StringIO(lines))
        return time.perf_counter() - started
    finally:
        conn.rollback()


def main() -> None:
    """Print the baseline cost of a case and what each group of parts adds to it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a demo database the intake bench has imported into")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=1)
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT county_code, case_id FROM case_intake_keys WHERE external_id ~ '^BENCH-[0-9]+-[0-9]+$' "
            "ORDER BY case_id LIMIT %s",
            (args.cases,),
        )
        stored = cur.fetchall()
        if len(stored) < args.cases:
            sys.exit(f"needs {args.cases:,} cases imported by bench_intake.py; found {len(stored):,}")
        copies = copy_texts(conn, sorted({county for county, _ in stored}), [case for _, case in stored])
        groups = _groups(cur)
        conn.rollback()
        per_case = 1e6 / len(stored)
        everything: list[float] = []
        saved: dict[str, list[float]] = {name: [] for name in groups}
        for _ in range(args.rounds):
            for name, without in groups.items():
                everything.append(_copy(conn, copies, []))
                saved[name].append(everything[-1] - _copy(conn, copies, without))
        baseline = statistics.median(everything) * per_case
        print(
            f"{len(stored):,} cases with their keys and receive events, one connection, "
            f"{args.rounds} rounds: {baseline:.0f} µs a case with every part on (median)"
        )
        for name, seconds in saved.items():
            spread = ", ".join(f"{s * per_case:.0f}" for s in seconds)
            print(f"  {name}: {statistics.median(seconds) * per_case:.0f} µs a case (rounds: {spread})")
    finally:
        conn.close()
        engine.dispose()


if __name__ == "__main__":
    main()
