"""Top trading cycles for school choice (Abdulkadiroglu & Sonmez 2003).

Each setting with a place points to the child it ranks highest among those
left; each child points to the best setting on their parent's list with a
place left; every cycle of pointers is carried out (each child in it gets the
setting they point to) and the rest point again.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, full, kernel, zeros
from sendalloc._rng import check_rng
from sendalloc.problem import Allocation, Problem

__all__ = ["top_trading_cycles", "top_trading_cycles_kernel"]


@kernel
def top_trading_cycles_kernel(
    capacity: NDArray[np.int32],
    preferences: NDArray[np.int32],
    plist_children: NDArray[np.int32],
    plist_start: NDArray[np.int64],
) -> NDArray[np.int32]:
    """Canonical top trading cycles over plain arrays; returns the assignment.

    Cycles are found one at a time by walking pointers from a child, with the
    current path kept on a stack and an on-path flag per child. A setting's
    pointer is the first child not yet removed at or after its cursor in its
    priority list; removed positions are skipped with a path-compressed
    "next live position" forest over ``plist_children``, so a common priority
    list shared by all settings is walked in near-linear total time. After a
    cycle is cleared only the child just below it on the path needs to point
    again. Each child enters the path once: O(N L + P alpha(P)) for P the
    total length of the priority lists.
    """
    n, width = preferences.shape
    total = plist_children.shape[0]
    remaining = capacity.astype(np.int64)
    assignment = full(n, -1, np.int32)
    removed = zeros(n, np.bool_)
    on_path = full(n, -1, np.int64)  # position on the path, or -1
    child_cursor = zeros(n, np.int64)
    setting_cursor = plist_start.copy()
    parent = empty(total + 1, np.int64)  # next-live-position forest
    for q in range(total + 1):
        parent[q] = q
    path_child = empty(n, np.int64)
    path_setting = empty(n, np.int64)
    for c0 in range(n):
        if removed[c0]:
            continue
        top = 0
        path_child[0] = c0
        on_path[c0] = 0
        while top >= 0:
            c = path_child[top]
            k = child_cursor[c]  # the child points to the best setting with a place
            while (
                k < width
                and preferences[c, k] >= 0
                and remaining[preferences[c, k]] == 0
            ):
                k += 1
            child_cursor[c] = k
            if k == width or preferences[c, k] < 0:
                removed[c] = True  # no ranked setting has a place: leaves unplaced
                on_path[c] = -1
                top -= 1
                continue
            s = preferences[c, k]
            path_setting[top] = s
            # The setting points to its best remaining child. c ranked s, so c is
            # on s's list and not removed: the search stops inside s's slice.
            r = setting_cursor[s]
            while True:
                while parent[r] != r:
                    r = parent[r]
                if r < total and removed[plist_children[r]]:
                    parent[r] = r + 1
                    r += 1
                else:
                    break
            x = setting_cursor[s]
            while x != r:
                y = parent[x]
                parent[x] = r
                x = y
            setting_cursor[s] = r
            c2 = plist_children[r]
            j = on_path[c2]
            if j < 0:
                top += 1
                path_child[top] = c2
                on_path[c2] = top
                continue
            for t in range(j, top + 1):  # a cycle: path[j..top] trade
                ci = path_child[t]
                si = path_setting[t]
                assignment[ci] = si
                remaining[si] -= 1
                removed[ci] = True
                on_path[ci] = -1
            top = j - 1
    return assignment


def top_trading_cycles(problem: Problem, *, rng: object = None) -> Allocation:
    """Allocate places by top trading cycles (the canonical school-choice rule).

    Repeat until no child is left: each setting with a place left points to the
    child with the highest priority there among those left (whether or not the
    child ranked it); each child points to the most preferred setting on their
    parent's list with a place left, and a child with none leaves without a
    place. There is at least one cycle; in every cycle each child gets the
    setting they point to, that setting loses a place, and the child leaves.

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
    The canonical rule of [1]_ (after Shapley and Scarf's housing market):
    settings' priorities act as tradable endowments. It is strategy-proof and
    Pareto efficient for children but not stable. A setting points at the
    children in its priority list (``problem.priority_lists``): with
    :meth:`~sendalloc.Problem.from_lists` or ``from_dicts`` that list may rank
    children who did not list the setting, who can then pass a place on by
    trading; with :meth:`~sendalloc.Problem.from_arrays` each list holds only
    the children who ranked the setting. A setting whose list is exhausted drops
    out. With a common priority order (including the default, ``problem.order``)
    the result equals :func:`~sendalloc.mechanisms.first_available`.

    Cycles are disjoint and a cycle stays a cycle until cleared, so clearing
    them one at a time, as the kernel does, gives the same allocation as
    clearing all of a step's cycles together. O(N L + P alpha(P)) time for P the
    total length of the priority lists (N for a common order).

    References
    ----------
    .. [1] Abdulkadiroglu, A. & Sonmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.
    .. [2] Shapley, L. & Scarf, H. (1974). On cores and indivisibility. Journal
       of Mathematical Economics 1(1), 23-37.

    Examples
    --------
    Amy has top priority at Oak and Ben at Elm, but each prefers the other's
    setting. Under deferred acceptance Cat's claim on Oak forces them to stay
    put; top trading cycles lets them trade, and Cat is no worse off:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1, "Ash": 1},
    ...     {"amy": ["Elm", "Oak", "Ash"], "ben": ["Oak", "Elm", "Ash"],
    ...      "cat": ["Oak", "Elm", "Ash"]},
    ...     priorities={"Oak": ["amy", "cat", "ben"], "Elm": ["ben", "amy", "cat"],
    ...                 "Ash": ["cat", "amy", "ben"]},
    ... )
    >>> sa.allocate(p, "top_trading_cycles").to_dict()
    {'amy': 'Elm', 'ben': 'Oak', 'cat': 'Ash'}
    >>> sa.allocate(p, "deferred_acceptance").to_dict()
    {'amy': 'Oak', 'ben': 'Elm', 'cat': 'Ash'}
    """
    check_rng(rng)
    problem._require_strict("top_trading_cycles")
    a = top_trading_cycles_kernel(
        problem.capacity,
        problem.preferences,
        problem.plist_children,
        problem.plist_start,
    )
    return Allocation._trusted(problem, a, "top_trading_cycles")
