"""Time redraw proposals for every village of a demo city; beside each, a plain copy of the same village
validated (what a planner's hand-drawn draft costs) as the baseline.

    .venv/bin/python bench/bench_redraw.py --url postgresql+psycopg2://postgres@127.0.0.1:PORT/DB

`--floor` and `--cap` (default 300 and 500) set the range. The database must hold a demo city
(`load_demo(engine, scale="small")`). Every proposal is rolled back, so the script can be run again.
"""

import argparse
import statistics
import time

from sqlalchemy import text

from grids.boundaries.drafts import draft_from_active
from grids.boundaries.validate import validate_draft
from grids.coverage.redraw import propose_redraw
from grids.db import make_engine, session_factory
from grids.users import Principal

OPERATOR = Principal(0, "bench", "admin", None, None)
VILLAGES = text("""
SELECT g.village_code, count(*), sum(g.households)
FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active'
WHERE g.kind = 'ordinary' GROUP BY 1 ORDER BY 1
""")


def main() -> None:
    """Propose a redraw of each village, and validate a plain copy of it, each rolled back."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--floor", type=int, default=300)
    parser.add_argument("--cap", type=int, default=500)
    args = parser.parse_args()
    engine = make_engine(args.url, pool_size=1)
    sessions = session_factory(engine)
    with sessions() as db:
        villages = db.execute(VILLAGES).all()
    redraw, plain, held, widest = [], [], 0, (0.0, "")
    for code, grids, households in villages:
        with sessions() as db:
            start = time.perf_counter()
            proposal = propose_redraw(db, village_code=code, caller=OPERATOR, floor=args.floor, cap=args.cap)
            redraw.append(time.perf_counter() - start)
            db.rollback()
            start = time.perf_counter()
            copy, _ = draft_from_active(db, scope=code, name=f"bench {code}", caller=OPERATOR)
            validate_draft(db, generation=copy)
            plain.append(time.perf_counter() - start)
            db.rollback()
        held += proposal.cap_holds and proposal.floor_holds
        widest = max(widest, (redraw[-1], f"{code} ({grids} grids, {households} households)"))
    engine.dispose()
    print(f"villages: {len(villages)}; floor–cap held in {held}")
    print(
        f"redraw proposal s: median {statistics.median(redraw):.2f}, max {max(redraw):.2f} ({widest[1]}), "
        f"total {sum(redraw):.1f}"
    )
    print(f"baseline copy+validate s: median {statistics.median(plain):.2f}, max {max(plain):.2f}")
    print(f"redraw / baseline (medians): {statistics.median(redraw) / statistics.median(plain):.1f}×")


if __name__ == "__main__":
    main()
