"""Boston mechanism: classic immediate acceptance by settings' priorities.

In round ``k`` every child still without a place applies to the ``k``-th setting
on their parent's list, even if it is already full; each setting accepts its
applicants for good, highest priority first, up to its remaining places. The
rule used by many school districts before deferred acceptance replaced it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, full, kernel, zeros
from sendalloc._rng import check_rng
from sendalloc.mechanisms._slots import slots_by_setting_kernel
from sendalloc.problem import Allocation, Problem

__all__ = ["boston", "boston_kernel"]


@kernel
def boston_kernel(
    capacity: NDArray[np.int32],
    start: NDArray[np.int64],
    child: NDArray[np.int64],
    rank: NDArray[np.int64],
    n: int,
    width: int,
) -> NDArray[np.int32]:
    """Immediate acceptance over plain arrays; returns the (N,) assignment.

    Takes the ranked slots grouped by setting in priority order (from
    :func:`~sendalloc.mechanisms._slots.slots_by_setting_kernel`) and orders
    them stably by rank, giving every application in (round, setting,
    priority) order. Walking that order, a child still unplaced takes the
    slot's setting if it has a place. A child placed in round ``k`` was placed
    through their own round-``k`` slot, so "unplaced when reached" is the same
    as "unplaced at the start of the round".
    """
    m = capacity.shape[0]
    count = child.shape[0]
    remaining = capacity.astype(np.int64)
    assignment = full(n, -1, np.int32)
    first = zeros(width + 1, np.int64)
    for t in range(count):
        first[rank[t] + 1] += 1
    for k in range(width):
        first[k + 1] += first[k]
    by_round = empty(count, np.int64)
    setting_of = empty(count, np.int64)
    for s in range(m):
        for t in range(start[s], start[s + 1]):
            k = rank[t]
            by_round[first[k]] = child[t]
            setting_of[first[k]] = s
            first[k] += 1
    for t in range(count):
        i = by_round[t]
        if assignment[i] >= 0:
            continue
        s = setting_of[t]
        if remaining[s] > 0:
            remaining[s] -= 1
            assignment[i] = s
    return assignment


def boston(problem: Problem, *, rng: object = None) -> Allocation:
    """Allocate places by immediate acceptance (the classic Boston mechanism).

    Round ``k = 0, 1, ...``: every child without a place applies to the
    ``k``-th setting their parent ranked, whether or not it still has a place.
    Each setting accepts its applicants permanently, in order of its priority
    (lower ``problem.priority`` wins), until its places run out; the rest wait
    for the next round.

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
    The classic variant of [1]_: applications to a setting that filled in an
    earlier round are wasted (see :func:`~sendalloc.mechanisms.adaptive_boston`
    for the variant that skips full settings). Pareto efficient with respect to
    the stated rankings, but not strategy-proof: a parent may gain by ranking a
    less popular setting first, and priorities count only among children who
    ranked the setting equally high. ``problem.order`` is not used.
    O(N L + N + M) time: counting sorts put all applications in (round,
    setting, priority) order, then one pass decides them.

    References
    ----------
    .. [1] Abdulkadiroglu, A. & Sonmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.
    .. [2] Ergin, H. & Sonmez, T. (2006). Games of school choice under the
       Boston mechanism. Journal of Public Economics 90(1-2), 215-237.

    Examples
    --------
    Ben ranks Oak first and is accepted there in round 0; Amy, who ranked Oak
    second, finds it full in round 1 although she has the higher priority:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1},
    ...     {"amy": ["Elm", "Oak"], "ben": ["Oak"], "cat": ["Elm"]},
    ...     priorities={"Oak": ["amy", "ben"], "Elm": ["cat", "amy"]},
    ... )
    >>> sa.allocate(p, "boston").to_dict()
    {'amy': None, 'ben': 'Oak', 'cat': 'Elm'}
    """
    check_rng(rng)
    problem._require_strict("boston")
    prefs = problem.preferences
    start, child, rank = slots_by_setting_kernel(
        prefs, problem.priority, problem.n_settings
    )
    a = boston_kernel(
        problem.capacity, start, child, rank, problem.n_children, prefs.shape[1]
    )
    return Allocation._trusted(problem, a, "boston")
