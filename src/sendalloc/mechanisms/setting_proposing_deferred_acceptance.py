"""Setting-proposing deferred acceptance (Gale & Shapley 1962).

Settings offer places down their priority lists; each child holds the best
offer by their parent's ranking and refuses the rest; a setting whose offer is
refused, or later dropped, offers to the next child on its list. The result is
the setting-optimal stable allocation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, full, kernel, zeros
from sendalloc._rng import check_rng
from sendalloc.mechanisms._slots import slots_by_setting_kernel
from sendalloc.problem import Allocation, Problem

__all__ = [
    "setting_proposing_deferred_acceptance",
    "setting_proposing_deferred_acceptance_kernel",
]


@kernel
def setting_proposing_deferred_acceptance_kernel(
    capacity: NDArray[np.int32],
    offer_start: NDArray[np.int64],
    offer_child: NDArray[np.int64],
    offer_rank: NDArray[np.int64],
    n: int,
) -> NDArray[np.int32]:
    """Setting-proposing deferred acceptance; returns the (N,) assignment.

    Setting ``s`` offers, in order, to ``offer_child[offer_start[s]:offer_start[s
    + 1]]`` (the children who ranked it, highest priority first);
    ``offer_rank`` is the rank the child gave ``s``. A stack holds settings that
    may still have places to offer; each offer is made once, so the loop runs
    in O(N L).
    """
    m = capacity.shape[0]
    cursor = offer_start[:m].copy()
    held = zeros(m, np.int64)
    holds = full(n, -1, np.int32)
    held_rank = full(n, np.iinfo(np.int64).max, np.int64)
    stack = empty(m + offer_child.shape[0], np.int64)
    top = 0
    for s in range(m - 1, -1, -1):
        stack[top] = s
        top += 1
    while top > 0:
        top -= 1
        s = stack[top]
        end = offer_start[s + 1]
        while held[s] < capacity[s] and cursor[s] < end:
            t = cursor[s]
            cursor[s] = t + 1
            c = offer_child[t]
            k = offer_rank[t]
            if k >= held_rank[c]:
                continue  # refused: the child holds a better offer
            old = holds[c]
            if old >= 0:  # the child drops the offer it held
                held[old] -= 1
                stack[top] = old
                top += 1
            holds[c] = s
            held_rank[c] = k
            held[s] += 1
    return holds


def setting_proposing_deferred_acceptance(
    problem: Problem, *, rng: object = None
) -> Allocation:
    """Allocate places by setting-proposing deferred acceptance.

    Each setting offers its free places to the children highest on its
    priority list (``problem.priority_lists``) who have not yet refused it. A
    child who did not rank the setting refuses at once; otherwise the child
    holds the best offer by their parent's ranking and refuses the others,
    dropping a held offer when a better one comes. A setting offers again
    whenever it has fewer held acceptances than places; when no offer is left
    to make, held offers become final.

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
    Gale and Shapley's algorithm [1]_ with the other side proposing. The
    outcome is the setting-optimal stable allocation: stable, and every child
    weakly prefers every other stable allocation to it (the lattice of stable
    matchings, [2]_ ch. 2 and 5). It is not strategy-proof for parents. Offers
    to children who did not rank the setting are refused at once and change
    nothing, so the kernel skips them: each setting walks only the children
    who ranked it, which keeps a common priority order shared by all settings
    from costing O(N M). O(N L + N + M) time: the lists are built by a
    counting sort, and each offer is made at most once.

    References
    ----------
    .. [1] Gale, D. & Shapley, L. S. (1962). College admissions and the
       stability of marriage. American Mathematical Monthly 69(1), 9-15.
    .. [2] Roth, A. E. & Sotomayor, M. (1990). Two-Sided Matching. Cambridge
       University Press.

    Examples
    --------
    Each setting gives its top-priority child their second choice, and no
    child can do better with a setting that would rather have them:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1},
    ...     {"amy": ["Oak", "Elm"], "ben": ["Elm", "Oak"]},
    ...     priorities={"Oak": ["ben", "amy"], "Elm": ["amy", "ben"]},
    ... )
    >>> sa.allocate(p, "setting_proposing_deferred_acceptance").to_dict()
    {'amy': 'Elm', 'ben': 'Oak'}
    >>> sa.allocate(p, "deferred_acceptance").to_dict()
    {'amy': 'Oak', 'ben': 'Elm'}
    """
    check_rng(rng)
    problem._require_strict("setting_proposing_deferred_acceptance")
    start, child, rank = slots_by_setting_kernel(
        problem.preferences, problem.priority, problem.n_settings
    )
    a = setting_proposing_deferred_acceptance_kernel(
        problem.capacity, start, child, rank, problem.n_children
    )
    return Allocation._trusted(problem, a, "setting_proposing_deferred_acceptance")
