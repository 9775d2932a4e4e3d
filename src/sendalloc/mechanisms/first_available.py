"""First available place in order of preference: the government's proposal.

The local authority takes children one at a time in its processing order; each
child is given the first setting in their parent's ranking that still has a free
place. This is serial dictatorship (Satterthwaite & Sonnenschein 1981) with the
LA's order as the dictator order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import full, kernel
from sendalloc._rng import check_rng
from sendalloc.problem import Allocation, Problem

__all__ = ["first_available", "serial_dictatorship_kernel"]


@kernel
def serial_dictatorship_kernel(
    capacity: NDArray[np.int32],
    preferences: NDArray[np.int32],
    order: NDArray[np.int32],
) -> NDArray[np.int32]:
    """Serial dictatorship over plain arrays; returns the (N,) assignment."""
    n, width = preferences.shape
    remaining = capacity.astype(np.int64)
    assignment = full(n, -1, np.int32)
    for t in range(n):
        i = order[t]
        for k in range(width):
            s = preferences[i, k]
            if s < 0:
                break
            if remaining[s] > 0:
                remaining[s] -= 1
                assignment[i] = s
                break
    return assignment


def first_available(problem: Problem, *, rng: object = None) -> Allocation:
    """Allocate the first available place in order of each parent's preference.

    Children are processed in ``problem.order``; each takes the highest-ranked
    setting on their parent's list that still has a free place, or nothing.

    Parameters
    ----------
    problem : Problem
    rng : optional
        Not used (the rule is deterministic), but checked: a value no
        Generator can be built from is an error naming ``rng``.

    Returns
    -------
    Allocation

    Notes
    -----
    Serial dictatorship in the LA's processing order. It is strategy-proof for
    parents and Pareto efficient, but ignores settings' priorities, so it can
    leave justified envy. Its outcome depends on the processing order (plan
    date, severity, lottery), which the proposal does not fix. O(N L) time.

    References
    ----------
    .. [1] Satterthwaite, M. A. & Sonnenschein, H. (1981). Strategy-proof
       allocation mechanisms at differentiable points. Review of Economic
       Studies 48(4), 587-597.
    .. [2] Abdulkadiroglu, A. & Sonmez, T. (1998). Random serial dictatorship
       and the core from random endowments in house allocation problems.
       Econometrica 66(3), 689-701.

    Examples
    --------
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts({"Oak": 1, "Elm": 1},
    ...     {"amy": ["Oak", "Elm"], "ben": ["Oak", "Elm"]}, order=["ben", "amy"])
    >>> sa.allocate(p, "first_available").to_dict()
    {'amy': 'Elm', 'ben': 'Oak'}
    """
    check_rng(rng)
    a = serial_dictatorship_kernel(problem.capacity, problem.preferences, problem.order)
    return Allocation._trusted(problem, a, "first_available")
