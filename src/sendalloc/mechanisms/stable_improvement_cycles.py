"""Stable improvement cycles (Erdil & Ergin 2008): child-optimal weak stability.

Deferred acceptance after tie-breaking is stable, but the lottery adds
stability constraints the weak priorities do not impose, so children can often
all gain without anyone being wronged. Starting from deferred acceptance with
tie-breaking, the algorithm repeatedly finds a *stable improvement cycle*,
children each of whom takes the place of the next, every move to a setting the
child prefers and where no child who wants that setting has a strictly higher
priority class, and carries it out. When none remains the allocation is a
child-optimal weakly stable one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, full, kernel, zeros
from sendalloc._rng import check_rng
from sendalloc.mechanisms.deferred_acceptance import deferred_acceptance_kernel
from sendalloc.problem import Allocation, Problem
from sendalloc.ties import strict_for, weak_classes

__all__ = ["stable_improvement_cycles", "stable_improvement_cycles_kernel"]


@kernel
def stable_improvement_cycles_kernel(
    n_settings: int,
    preferences: NDArray[np.int32],
    priority_class: NDArray[np.int32],
    tiebreak: NDArray[np.int32],
    assignment: NDArray[np.int32],
) -> NDArray[np.int32]:
    """Carry out stable improvement cycles until none remains; return the assignment.

    ``priority_class`` (N, L) holds the weak classes and ``tiebreak`` (N, L) the
    tie-broken strict priorities, both aligned with ``preferences``;
    ``assignment`` (N,) is a weakly stable starting point (copied). Each round
    builds the graph on settings of :func:`stable_improvement_cycles` (edges in
    one array, sorted by (source, target, tie-break)), drops settings with no
    outgoing edge until none is left to drop, then walks from the
    lowest-indexed remaining setting along lowest-indexed remaining successors.
    """
    n, width = preferences.shape
    m = n_settings
    assign = assignment.copy()
    cut = full(n, width, np.int64)  # slots k < cut[i] are desired
    for i in range(n):
        for k in range(width):
            s = preferences[i, k]
            if s < 0:
                break
            if s == assign[i]:
                cut[i] = k
                break
    big = np.iinfo(np.int64).max
    best = empty(m, np.int64)
    cap_e = n * width + 1
    e_src = empty(cap_e, np.int64)
    e_dst = empty(cap_e, np.int64)
    e_child = empty(cap_e, np.int64)
    e_slot = empty(cap_e, np.int64)
    e_key = empty(cap_e, np.int64)
    outdeg = zeros(m, np.int64)
    alive = zeros(m, np.bool_)
    succ_start = zeros(m + 1, np.int64)
    pred_start = zeros(m + 1, np.int64)
    visit = full(m, -1, np.int64)
    while True:
        # 1. best[s]: the best class among children who desire s.
        best[:] = big
        top = 0
        for i in range(n):
            for k in range(cut[i]):
                s = preferences[i, k]
                if s < 0:
                    break
                c = priority_class[i, k]
                if c < best[s]:
                    best[s] = c
                if tiebreak[i, k] > top:
                    top = tiebreak[i, k]
        # 2. Edges assign[i] -> s for placed children in the best class at s.
        ne = 0
        for i in range(n):
            if assign[i] < 0:
                continue
            for k in range(cut[i]):
                s = preferences[i, k]
                if s < 0:
                    break
                if priority_class[i, k] == best[s]:
                    e_src[ne] = assign[i]
                    e_dst[ne] = s
                    e_child[ne] = i
                    e_slot[ne] = k
                    e_key[ne] = (np.int64(assign[i]) * m + s) * (
                        np.int64(top) + 1
                    ) + tiebreak[i, k]
                    ne += 1
        if ne == 0:
            break
        perm = np.argsort(e_key[:ne], kind="mergesort")
        # Keep the first edge of each (source, target): the lottery's favourite.
        keep = empty(ne, np.int64)
        nk = 0
        for t in range(ne):
            e = perm[t]
            if nk > 0:
                f = keep[nk - 1]
                if e_src[f] == e_src[e] and e_dst[f] == e_dst[e]:
                    continue
            keep[nk] = e
            nk += 1
        # 3. Successor lists (sorted by target) and predecessor lists.
        succ_start[:] = 0
        pred_start[:] = 0
        for t in range(nk):
            succ_start[e_src[keep[t]] + 1] += 1
            pred_start[e_dst[keep[t]] + 1] += 1
        for s in range(m):
            succ_start[s + 1] += succ_start[s]
            pred_start[s + 1] += pred_start[s]
        succ = keep[:nk].copy()  # already sorted by (source, target)
        pred = empty(nk, np.int64)
        fill = pred_start[:m].copy()
        for t in range(nk):
            e = keep[t]
            pred[fill[e_dst[e]]] = e
            fill[e_dst[e]] += 1
        # 4. Drop settings with no outgoing edge to a remaining setting.
        queue = empty(m, np.int64)
        qh = 0
        qt = 0
        for s in range(m):
            outdeg[s] = succ_start[s + 1] - succ_start[s]
            alive[s] = outdeg[s] > 0
            if not alive[s]:
                queue[qt] = s
                qt += 1
        while qh < qt:
            v = queue[qh]
            qh += 1
            for t in range(pred_start[v], pred_start[v + 1]):
                u = e_src[pred[t]]
                if alive[u]:
                    outdeg[u] -= 1
                    if outdeg[u] == 0:
                        alive[u] = False
                        queue[qt] = u
                        qt += 1
        start = -1
        for s in range(m):
            if alive[s]:
                start = s
                break
        if start < 0:
            break
        # 5. Walk lowest-indexed remaining successors until a setting repeats.
        path = empty(m + 1, np.int64)  # edge taken out of each step
        visit[:] = -1
        v = start
        step = 0
        while visit[v] < 0:
            visit[v] = step
            for t in range(succ_start[v], succ_start[v + 1]):
                e = succ[t]
                if alive[e_dst[e]]:
                    path[step] = e
                    v = e_dst[e]
                    break
            step += 1
        # 6. Carry out the cycle: every child on it moves to the next setting.
        for t in range(visit[v], step):
            e = path[t]
            i = e_child[e]
            assign[i] = e_dst[e]
            cut[i] = e_slot[e]
    return assign


def stable_improvement_cycles(problem: Problem, *, rng: Any = None) -> Allocation:
    """Child-optimal weakly stable allocation by stable improvement cycles.

    Step 0: break ties by lottery and run child-proposing deferred acceptance.
    Step t: for each setting, find the best priority class among the children
    who *desire* it (rank it above their place, or have none). Draw an edge from
    setting ``s`` to setting ``t`` when a child placed at ``s`` desires ``t``
    and is in that best class at ``t``. If the graph has a cycle, move each
    child on it to the next setting and repeat; otherwise stop.

    Parameters
    ----------
    problem : Problem
        Weak or strict. If :func:`~sendalloc.break_ties` already broke its ties
        (either rule), the recorded lottery is used for step 0 and the recorded
        weak priorities for the cycles.
    rng : numpy.random.Generator, int or None
        Draws a single lottery when the problem is weak and has none recorded.

    Returns
    -------
    Allocation
        For the problem given (``a.problem is problem``).

    Notes
    -----
    The algorithm of [1]_. The result is weakly stable, no child is worse off
    than under deferred acceptance with the same lottery, and no weakly stable
    allocation makes a child better off without making another worse off. With
    strict priorities there is never a cycle and the result is deferred
    acceptance.

    Which cycle is carried out, when several exist, is fixed so the rule is
    deterministic given the lottery: between two settings ``s -> t`` the child
    who moves is the one the tie-broken priority at ``t`` ranks first; settings
    with no outgoing edge are set aside repeatedly (they lie on no cycle); then,
    from the lowest-indexed remaining setting, each step follows the edge to
    the lowest-indexed remaining setting until a setting repeats, and the cycle
    closed there is carried out. Different choices can end at different
    child-optimal weakly stable allocations.

    Each cycle moves at least two children to settings they rank higher, so
    there are at most N L rounds; each costs O(N L log(N L)): fine for the
    small and medium problems it is meant for. Not strategy-proof: no
    child-optimal weakly stable mechanism is [1]_.

    References
    ----------
    .. [1] Erdil, A. & Ergin, H. (2008). What's the matter with tie-breaking?
       Improving efficiency in school choice. American Economic Review 98(3),
       669-689.

    Examples
    --------
    Oak ranks Amy and Ben in one class; Elm ranks Ben first, then Amy and Cat
    in one class. The lottery favours Cat at Elm, so Cat pushes Amy to Oak,
    where she pushes Ben, who takes Elm back from Cat. Amy and Ben would both
    rather swap, and Cat, tied with Amy at Elm, has no claim against her:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1},
    ...     {"amy": ["Elm", "Oak"], "ben": ["Oak", "Elm"], "cat": ["Elm"]},
    ...     priorities={"Oak": [["amy", "ben"]], "Elm": ["ben", ["amy", "cat"]]},
    ... )
    >>> stb = sa.break_ties(p, "single", lottery=["cat", "amy", "ben"])
    >>> sa.allocate(stb, "deferred_acceptance_stb").to_dict()
    {'amy': 'Oak', 'ben': 'Elm', 'cat': None}
    >>> sa.allocate(stb, "stable_improvement_cycles").to_dict()
    {'amy': 'Elm', 'ben': 'Oak', 'cat': None}
    """
    check_rng(rng)
    strict = strict_for(problem, None, rng, "stable_improvement_cycles")
    start = deferred_acceptance_kernel(
        strict.capacity, strict.preferences, strict.priority
    )
    a = stable_improvement_cycles_kernel(
        problem.n_settings,
        strict.preferences,
        np.ascontiguousarray(weak_classes(strict)),
        strict.priority,
        start,
    )
    return Allocation._trusted(problem, a, "stable_improvement_cycles")
