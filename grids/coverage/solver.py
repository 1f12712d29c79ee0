"""The allocation model: which staff member covers each grid, solved with OR-Tools CP-SAT.

Two stages, each solved to optimality or to a deterministic work limit:
1. minimise the largest load of any staff member (the makespan);
2. keeping the largest load within `slack` of the better of that optimum and the lower bound,
   minimise travel (load-weighted distance from each staff member's base to their grids, in
   100 m steps) plus a penalty for each grid that changes hands.

CP-SAT runs on one worker with a fixed seed and a deterministic time limit, so the same input gives
the same answer on any machine and load.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

SCALE = 100
"""Loads (expected cases per month) are solved as integers in hundredths."""
STEP_M = 100.0
"""Distances are solved as integers in 100 m steps."""


@dataclass(frozen=True)
class Problem:
    """Grids with their loads and the distance from every staff member's base to each grid."""

    loads: NDArray[np.float64]
    """Expected workload per grid (n_grids)."""
    distance_m: NDArray[np.float64]
    """Distance from staff member s's base to grid g (n_staff × n_grids)."""
    current: NDArray[np.int64]
    """Today's staff member of each grid (index into staff), or -1 when none of these staff covers it."""
    change_penalty_m: float = 2_000.0
    """A grid changing hands costs as much as this much extra travel for one grid's load."""
    slack: float = 0.05
    """How far above the best achievable maximum load stage 2 may go to shorten travel."""
    work_limit: float = 20.0
    """CP-SAT's deterministic time limit per stage (its own work units, about seconds)."""


@dataclass(frozen=True)
class Solution:
    """Who covers each grid, and what the solver proved."""

    staff_of: NDArray[np.int64]
    makespan_status: str
    makespan: float
    """The smallest largest load stage 1 found."""
    makespan_bound: float
    """The solver's proven lower bound on the largest load (stage 1)."""
    travel_status: str


def lower_bound(loads: NDArray[np.float64], staff: int) -> float:
    """No allocation has a largest load below the mean load per staff member or the largest grid."""
    return float(max(loads.sum() / staff, loads.max(initial=0.0)))


def solve(problem: Problem) -> Solution:
    """Balance first, then travel and stability, as the module says."""
    n_staff, n_grids = problem.distance_m.shape
    loads = np.round(problem.loads * SCALE).astype(np.int64)
    steps = np.round(problem.distance_m / STEP_M).astype(np.int64)
    hint = _greedy(loads, steps)

    model, x = _assignment(n_staff, n_grids)
    makespan = model.new_int_var(0, int(loads.sum()), "makespan")
    for s in range(n_staff):
        model.add(sum(int(loads[g]) * x[s][g] for g in range(n_grids)) <= makespan)
    model.minimize(makespan)
    _hint(model, x, hint)
    first, status1 = _run(model, problem.work_limit)
    best = first.objective_value
    bound = first.best_objective_bound
    # Never demand more balance than the lower bound allows, nor accept less than stage 1 found.
    limit = max(best, lower_bound(loads.astype(np.float64), n_staff) * (1 + problem.slack))
    limit = min(limit, best * (1 + problem.slack))
    chosen = _chosen(first, x)

    model, x = _assignment(n_staff, n_grids)
    for s in range(n_staff):
        model.add(sum(int(loads[g]) * x[s][g] for g in range(n_grids)) <= int(limit))
    penalty = round(problem.change_penalty_m / STEP_M)
    weights = np.maximum(loads, 1)
    terms = []
    for g in range(n_grids):
        for s in range(n_staff):
            cost = int(steps[s, g]) * int(weights[g]) // SCALE
            if problem.current[g] >= 0 and problem.current[g] != s:
                cost += penalty * int(weights[g]) // SCALE + penalty
            if cost:
                terms.append(cost * x[s][g])
    model.minimize(sum(terms))
    _hint(model, x, chosen)
    second, status2 = _run(model, problem.work_limit)
    return Solution(_chosen(second, x), status1, best / SCALE, bound / SCALE, status2)


def _assignment(n_staff: int, n_grids: int) -> tuple[cp_model.CpModel, list[list[cp_model.IntVar]]]:
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{s}_{g}") for g in range(n_grids)] for s in range(n_staff)]
    for g in range(n_grids):
        model.add_exactly_one(x[s][g] for s in range(n_staff))
    return model, x


def _chosen(solver: cp_model.CpSolver, x: list[list[cp_model.IntVar]]) -> NDArray[np.int64]:
    """The staff member whose variable is set, for every grid."""
    values = np.array([[solver.boolean_value(v) for v in row] for row in x], dtype=bool)
    return np.argmax(values, axis=0).astype(np.int64)


def _hint(model: cp_model.CpModel, x: list[list[cp_model.IntVar]], staff_of: NDArray[np.int64]) -> None:
    for s, row in enumerate(x):
        for g, var in enumerate(row):
            model.add_hint(var, int(staff_of[g] == s))


def _run(model: cp_model.CpModel, work_limit: float) -> tuple[cp_model.CpSolver, str]:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 20231
    solver.parameters.max_deterministic_time = work_limit
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no allocation: {solver.status_name(status)}")
    return solver, solver.status_name(status)


def _greedy(loads: NDArray[np.int64], steps: NDArray[np.int64]) -> NDArray[np.int64]:
    """Largest grids first, each to the least-loaded staff member (nearest on ties): a starting point."""
    n_staff, n_grids = steps.shape
    totals = np.zeros(n_staff, dtype=np.int64)
    staff_of = np.zeros(n_grids, dtype=np.int64)
    for g in sorted(range(n_grids), key=lambda g: (-loads[g], g)):
        s = min(range(n_staff), key=lambda s: (totals[s], steps[s, g], s))
        staff_of[g] = s
        totals[s] += loads[g]
    return staff_of
