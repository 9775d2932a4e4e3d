"""The planner's benchmark: place as many children as capacity allows.

Not a rule a local authority could announce (it ignores priorities and rewards
no honesty), but the yardstick for every rule: the largest number of children
who could be placed at a setting their parent ranked, and among allocations
that place that many, one with the least total rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc.problem import Allocation, Problem

__all__ = ["max_placement"]


def _max_placed(
    capacity: NDArray[np.int32],
    rows: NDArray[np.int64],
    settings: NDArray[np.int64],
    n: int,
) -> int:
    """Maximum number of children placeable on ranked settings (a max flow)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import maximum_flow

    m = capacity.shape[0]
    src, sink = n + m, n + m + 1
    head = np.concatenate([np.full(n, src), rows, n + np.arange(m)])
    tail = np.concatenate([np.arange(n), n + settings, np.full(m, sink)])
    cap = np.concatenate([np.ones(n + rows.shape[0]), capacity]).astype(np.int32)
    graph = sp.csr_matrix((cap, (head, tail)), shape=(n + m + 2, n + m + 2))
    return int(maximum_flow(graph, src, sink).flow_value)


def max_placement(problem: Problem, *, rng: object = None) -> Allocation:
    r"""Place the most children on ranked settings, then minimise total rank.

    Among all allocations that give each child at most one place at a setting
    their parent ranked and respect every setting's places, choose one that
    places the largest number of children and, among those, has the smallest
    sum of ranks obtained.

    Parameters
    ----------
    problem : Problem
    rng : ignored
        Accepted for the common mechanism signature; the rule is deterministic.

    Returns
    -------
    Allocation

    Raises
    ------
    RuntimeError
        If the linear program fails or its solution does not round to a
        feasible optimal allocation (not expected: the program is integral).

    Notes
    -----
    A planner's benchmark, not a mechanism: it ignores priorities and the
    processing order and is not strategy-proof. Solved in two phases. First the
    largest number placed, F, is a maximum flow (source to each child, child
    to each ranked setting, setting to sink with its places;
    ``scipy.sparse.csgraph.maximum_flow``). Then the transportation linear
    program

    .. math:: \min \sum_{i,k} k\,x_{ik} \quad\text{s.t.}\quad
       \sum_k x_{ik} \le 1,\; \sum_{(i,k): s_{ik}=s} x_{ik} \le c_s,\;
       \sum_{i,k} x_{ik} \ge F,\; 0 \le x \le 1

    is solved with HiGHS (``scipy.optimize.linprog``). Its feasible set is a
    flow polytope with integer data, so basic optimal solutions are 0/1; the
    solution is rounded and checked (integral, feasible, F placed, the optimal
    total rank) before it is returned. Which of several optimal allocations is
    returned is up to the solver, but deterministic. scipy is imported on
    first call. Roughly 20 s for N = 100,000 and L = 10 on one core.

    References
    ----------
    .. [1] Ahuja, R. K., Magnanti, T. L. & Orlin, J. B. (1993). Network Flows:
       Theory, Algorithms, and Applications. Prentice Hall. (Transportation
       problems and total unimodularity.)
    .. [2] Abdulkadiroglu, A. & Sonmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    First available in this order places only Amy, at Oak; the planner sends
    her to her second choice so that Ben gets a place too:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1}, {"amy": ["Oak", "Elm"], "ben": ["Oak"]}
    ... )
    >>> sa.allocate(p, "first_available").to_dict()
    {'amy': 'Oak', 'ben': None}
    >>> sa.allocate(p, "max_placement").to_dict()
    {'amy': 'Elm', 'ben': 'Oak'}
    """
    n, m = problem.n_children, problem.n_settings
    prefs = problem.preferences
    rows, cols = np.nonzero(prefs >= 0)
    rows = rows.astype(np.int64)
    settings = prefs[rows, cols].astype(np.int64)
    assignment = np.full(n, -1, dtype=np.int32)
    n_var = rows.shape[0]
    target = _max_placed(problem.capacity, rows, settings, n) if n_var else 0
    if target == 0:
        return Allocation._trusted(problem, assignment, "max_placement")

    import scipy.sparse as sp
    from scipy.optimize import linprog

    var = np.arange(n_var)
    ones = np.ones(n_var)
    a_ub = sp.vstack(
        [
            sp.csr_matrix((ones, (rows, var)), shape=(n, n_var)),
            sp.csr_matrix((ones, (settings, var)), shape=(m, n_var)),
            sp.csr_matrix(-ones[None, :]),
        ],
        format="csr",
    )
    b_ub = np.concatenate([np.ones(n), problem.capacity, [-target]]).astype(float)
    cost = cols.astype(float)
    res: Any = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    if res.status != 0:
        raise RuntimeError(f"max_placement: the LP solver failed: {res.message}")
    x = np.asarray(res.x)
    chosen = x > 0.5
    if np.abs(x - chosen).max() > 1e-6:
        raise RuntimeError("max_placement: the LP solution is not integral")
    assignment[rows[chosen]] = settings[chosen]
    per_child = np.bincount(rows[chosen], minlength=n)
    per_setting = np.bincount(settings[chosen], minlength=m)
    if (
        per_child.max() > 1
        or (per_setting > problem.capacity).any()
        or int(chosen.sum()) != target
        or int(cols[chosen].sum()) != round(float(res.fun))
    ):
        raise RuntimeError(
            "max_placement: the rounded LP solution is not a feasible optimal "
            "allocation"
        )
    return Allocation._trusted(problem, assignment, "max_placement")
