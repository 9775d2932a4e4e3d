"""Adaptive Boston mechanism: immediate acceptance that skips full settings.

Like :func:`~sendalloc.mechanisms.boston`, but in each round a child without a
place applies to the next setting on their parent's list that still had a free
place when the round began, rather than wasting a round on a full one.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, full, kernel, zeros
from sendalloc._rng import check_rng
from sendalloc.problem import Allocation, Problem

__all__ = ["adaptive_boston", "adaptive_boston_kernel"]


@kernel
def adaptive_boston_kernel(
    capacity: NDArray[np.int32],
    preferences: NDArray[np.int32],
    priority: NDArray[np.int32],
) -> NDArray[np.int32]:
    """Adaptive immediate acceptance over plain arrays; returns the assignment.

    Each round: every active child advances their cursor past settings with no
    place left (as at the start of the round) and applies; the applications
    are sorted by (setting, priority) and accepted while places last. A
    rejected child's setting is now full, so every active child's cursor moves
    at least one slot per round: at most L rounds.
    """
    n, width = preferences.shape
    remaining = capacity.astype(np.int64)
    assignment = full(n, -1, np.int32)
    cursor = zeros(n, np.int64)
    top = 0
    for i in range(n):
        for k in range(width):
            if preferences[i, k] >= 0 and priority[i, k] > top:
                top = priority[i, k]
    span = np.int64(top) + 1
    active = empty(n, np.int64)
    for i in range(n):
        active[i] = i
    n_active = n
    keys = empty(n, np.int64)
    who = empty(n, np.int64)
    while n_active > 0:
        n_apply = 0
        for t in range(n_active):
            i = active[t]
            k = cursor[i]
            while (
                k < width
                and preferences[i, k] >= 0
                and remaining[preferences[i, k]] == 0
            ):
                k += 1
            cursor[i] = k
            if k == width or preferences[i, k] < 0:
                continue  # nothing left on the list with a place: stays unplaced
            keys[n_apply] = np.int64(preferences[i, k]) * span + priority[i, k]
            who[n_apply] = i
            n_apply += 1
        perm = np.argsort(keys[:n_apply])  # keys are distinct: no tie to break
        n_active = 0
        for t in range(n_apply):
            i = who[perm[t]]
            s = preferences[i, cursor[i]]
            if remaining[s] > 0:
                remaining[s] -= 1
                assignment[i] = s
            else:
                cursor[i] += 1
                active[n_active] = i
                n_active += 1
    return assignment


def adaptive_boston(problem: Problem, *, rng: object = None) -> Allocation:
    """Allocate places by adaptive immediate acceptance.

    In each round every child without a place applies to the most preferred
    setting on their parent's list that had a free place at the start of the
    round. Each setting accepts its applicants permanently, in order of its
    priority (lower ``problem.priority`` wins), until its places run out.

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
    The adaptive (or "modified") Boston mechanism of [1]_: no application is
    wasted on a setting already full, so it is non-wasteful with respect to
    ranked settings. Like the classic rule it is neither strategy-proof nor
    stable. ``problem.order`` is not used. At most L rounds, each sorting its
    applications: O(N L log N) time.

    References
    ----------
    .. [1] Mennle, T. & Seuken, S. (2014). The naive versus the adaptive Boston
       mechanism. arXiv:1406.3327.
    .. [2] Abdulkadiroglu, A. & Sonmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    Oak and Elm fill in round 0. In round 1 Amy skips full Oak and applies to
    Ash with Dan, and has the higher priority there; under the classic rule she
    wastes round 1 on Oak and finds Ash gone to Dan in round 2:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1, "Ash": 1},
    ...     {"amy": ["Elm", "Oak", "Ash"], "ben": ["Oak"], "cat": ["Elm"],
    ...      "dan": ["Oak", "Ash"]},
    ...     priorities={"Oak": ["ben", "dan", "amy"], "Elm": ["cat", "amy"],
    ...                 "Ash": ["amy", "dan"]},
    ... )
    >>> sa.allocate(p, "adaptive_boston").to_dict()
    {'amy': 'Ash', 'ben': 'Oak', 'cat': 'Elm', 'dan': None}
    >>> sa.allocate(p, "boston").to_dict()
    {'amy': None, 'ben': 'Oak', 'cat': 'Elm', 'dan': 'Ash'}
    """
    check_rng(rng)
    problem._require_strict("adaptive_boston")
    a = adaptive_boston_kernel(problem.capacity, problem.preferences, problem.priority)
    return Allocation._trusted(problem, a, "adaptive_boston")
