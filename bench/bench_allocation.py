"""Staff allocation (OR-Tools CP-SAT) on the demo's largest township, for every platform.

    .venv/bin/python bench/bench_allocation.py --url postgresql+psycopg2://postgres@127.0.0.1:PORT/DB

Target: under 30 s per plan, the same answer twice, largest load within 10% of the lower bound
(max of total load ÷ staff and the largest grid). Baselines in the same run: today's allocation and a
greedy one (largest grid first to the least-loaded staff member), scored on the same loads.
Nothing is written: every plan is rolled back.
"""

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import text

from grids.coverage.allocation import propose
from grids.coverage.solver import lower_bound
from grids.db import make_engine, session_factory
from grids.models.base import PLATFORMS
from grids.users import Principal

LEADER = Principal(0, "bench", "leader", None, None)


def greedy_max(loads: np.ndarray, staff: int) -> float:
    """The largest load of the greedy allocation (largest grid first, to the least-loaded)."""
    totals = np.zeros(staff)
    for load in sorted(loads, reverse=True):
        totals[np.argmin(totals)] += load
    return float(totals.max())


def main() -> None:
    """Plan each platform twice on the largest township and print the figures against the baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=1)
    sessions = session_factory(engine)
    at = datetime.now(UTC)
    with sessions() as db:
        township, grids = db.execute(
            text(
                "SELECT left(g.code, 9) || '000', count(*) FROM grids g JOIN generations ge "
                "ON ge.id = g.generation_id AND ge.status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
            )
        ).one()
    print(f"largest township {township}: {grids} grids; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    header = ("platform", "staff", "seconds", "same twice", "today max", "greedy max", "plan max", "bound",
              "plan vs bound", "moves", "balance")  # fmt: skip
    print(" | ".join(header))
    for platform in PLATFORMS:
        answers, seconds = [], []
        for _ in range(2):
            with sessions() as db:
                started = time.perf_counter()
                plan = propose(db, caller=LEADER, code=township, platform=platform, at=at)
                seconds.append(time.perf_counter() - started)
                answers.append(plan.result)
                db.rollback()
        result = answers[0]
        loads = np.array([g["load"] for g in result["grids"]])
        staff = len(result["positions"])
        same = [g["after"] for g in answers[0]["grids"]] == [g["after"] for g in answers[1]["grids"]]
        bound = lower_bound(loads, staff)
        row = (
            platform, str(staff), f"{max(seconds):.1f}", "yes" if same else "NO",
            f"{result['before']['max_load']:.2f}", f"{greedy_max(loads, staff):.2f}",
            f"{result['after']['max_load']:.2f}", f"{bound:.2f}",
            f"{result['after']['max_load'] / bound - 1:+.1%}", str(result["moves"]),
            result["solver"]["balance_status"],
        )  # fmt: skip
        print(" | ".join(row))
    engine.dispose()


if __name__ == "__main__":
    main()
