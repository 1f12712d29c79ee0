"""`grids coverage redraw` as a planner runs it: a real process on a copy of the demo city."""

import os
import subprocess
import sys
from pathlib import Path

from tests.coverage_redraw.conftest import Proposed

GRIDS = str(Path(sys.executable).with_name("grids"))


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `grids ARGS` against `url`."""
    env = {**os.environ, "GRIDS_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([GRIDS, *args], env=env, capture_output=True, text=True, timeout=300)


def test_redraw_prints_the_table_and_the_draft(proposed: Proposed) -> None:
    """Exit 0; a row per proposed grid with its households, the cap verdict, the draft to validate."""
    done = run(proposed.url, "coverage", "redraw", proposed.village, "--floor", "300", "--cap", "500")
    assert done.returncode == 0, done.stderr
    for grid in proposed.proposal.grids:
        assert grid.code in done.stdout and str(grid.households) in done.stdout
    assert "上限满足 cap holds" in done.stdout and "可以发布 publishable" in done.stdout
    name = next(line.split()[-1] for line in done.stdout.splitlines() if "grids boundaries validate" in line)
    assert name.startswith(proposed.proposal.name) and name != proposed.proposal.name
    checked = run(proposed.url, "boundaries", "validate", name)
    assert checked.returncode == 0 and "no problems" in checked.stdout


def test_unknown_village_is_one_line_and_exit_2(proposed: Proposed) -> None:
    """A village that does not exist: one error line, exit code 2, no traceback."""
    done = run(proposed.url, "coverage", "redraw", "990199888777")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "990199888777" in done.stderr
    assert "Traceback" not in done.stderr
