"""Verifiers of allocation properties, independent of any mechanism.

Each verifier takes a :class:`~sendalloc.Problem` and an allocation, given as an
:class:`~sendalloc.Allocation` or as an (N,) array of setting indices (-1 for no
place), and judges it from the problem's arrays alone. They never look at which
rule produced the allocation, so they can test any rule, including a user's own.

Conventions shared by every verifier:

* A child's preferences are the settings their parent ranked, best first. Any
  ranked setting is better than no place; a setting the parent did not rank is
  *unacceptable* (the tailored list says it cannot meet the child's needs), so it
  is worse than no place and worse than every ranked setting.
* A setting's priority over children is its priority list, lower position wins.
  A child who ranks a setting is always in its list; a child placed off their
  list at a setting that does not rank them has the lowest priority there.
* With weak priorities (:attr:`Problem.is_weak`), ``priority`` holds priority
  classes and only a strictly better class counts: a tie never blocks (weak
  stability, Erdil & Ergin 2008).

All verifiers are vectorised over the (N, L) preference array: per-setting
thresholds (free places, the worst priority held) are computed once with
``np.bincount`` and ``np.maximum.at`` and compared against every ranked slot, so
N = 1,000,000 children with lists of 10 take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._problem.convert import as_int_array
from sendalloc.errors import InvalidProblemError
from sendalloc.problem import Allocation, Problem

__all__ = [
    "ParetoImprovement",
    "blocking_pairs",
    "is_feasible",
    "is_non_wasteful",
    "is_pareto_efficient",
    "is_stable",
    "is_within_lists",
    "justified_envy",
    "pareto_improvement",
]

_NOT_RANKED = np.iinfo(np.int64).max  # priority of a child a setting does not rank


# --------------------------------------------------------------------------- helpers
def assignment_of(
    problem: Problem, a: Allocation | ArrayLike, *, check_range: bool = True
) -> NDArray[np.int64]:
    """Validate ``a`` and return its assignment as an int64 array of shape (N,)."""
    if not isinstance(problem, Problem):
        raise InvalidProblemError(
            f"problem: expected a Problem, got {type(problem).__name__}"
        )
    n, m = problem.n_children, problem.n_settings
    if isinstance(a, Allocation):
        out = np.asarray(a.assignment, dtype=np.int64)
        if out.shape != (n,):
            raise InvalidProblemError(
                f"a: the Allocation has {out.shape[0]} children but the problem has "
                f"{n}; was it made for another problem?"
            )
    else:
        out = as_int_array(a, "assignment", 1, want="of shape (N,)")
        if out.shape != (n,):
            raise InvalidProblemError(
                f"assignment: expected shape ({n},), one entry per child, "
                f"got {out.shape}"
            )
    bad = (out < -1) | (out >= m) if check_range else out < -1
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidProblemError(
            f"assignment[{i}] = {int(out[i])}: not a setting index in [0, {m}) or -1"
        )
    return out


def _rank(problem: Problem, assign: NDArray[np.int64]) -> NDArray[np.int64]:
    """0-based rank of each child's setting in their list; -1 if none or off-list."""
    prefs = problem.preferences
    if prefs.shape[1] == 0:
        return np.full(assign.shape, -1, dtype=np.int64)
    hit = (prefs == assign[:, None]) & (assign[:, None] >= 0)
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int64)


@dataclass(frozen=True, slots=True)
class AllocationState:
    """Per-child and per-setting quantities every verifier needs."""

    assign: NDArray[np.int64]  # (N,) setting or -1
    rank: NDArray[np.int64]  # (N,) rank, -1 if unplaced or off-list
    off_list: NDArray[np.bool_]  # (N,) placed at a setting not ranked
    better: NDArray[np.bool_]  # (N, L) ranked slot strictly above the child's place
    slot: NDArray[np.int64]  # (N, L) preferences with padding replaced by 0
    free: NDArray[np.int64]  # (M,) capacity - occupancy (negative if over)
    occupancy: NDArray[np.int64]  # (M,)
    worst: NDArray[np.int64]  # (M,) worst priority held, -1 if empty
    held: NDArray[np.int64]  # (N,) priority at own setting, -1 if unplaced


def allocation_state(problem: Problem, a: Allocation | ArrayLike) -> AllocationState:
    assign = assignment_of(problem, a)
    n, m = problem.n_children, problem.n_settings
    prefs = problem.preferences
    width = prefs.shape[1]
    rank = _rank(problem, assign)
    placed = assign >= 0
    off_list = placed & (rank < 0)
    listed = prefs >= 0
    # Unplaced and off-list children prefer every setting they ranked.
    cutoff = np.where(rank >= 0, rank, width)
    better = listed & (np.arange(width)[None, :] < cutoff[:, None])
    occupancy = np.bincount(assign[placed], minlength=m).astype(np.int64)
    free = problem.capacity.astype(np.int64) - occupancy
    held = np.full(n, -1, dtype=np.int64)
    on = np.flatnonzero(rank >= 0)
    held[on] = problem.priority[on, rank[on]]
    off = np.flatnonzero(off_list)
    if off.size:  # only broken rules place children off their lists
        held[off] = _plist_position(problem, off, assign[off])
    worst = np.full(m, -1, dtype=np.int64)
    np.maximum.at(worst, assign[placed], held[placed])
    slot = np.where(listed, prefs, 0).astype(np.int64)
    return AllocationState(
        assign, rank, off_list, better, slot, free, occupancy, worst, held
    )


def _plist_position(
    problem: Problem, children: NDArray[np.int64], settings: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Each child's priority class in the setting's list (_NOT_RANKED if absent).

    In a strict problem the class is the position in the list.
    """
    plist, start, end = problem.plist_children, problem.plist_start, problem.plist_end
    klass = problem.plist_class.astype(np.int64)
    out = np.full(children.shape, _NOT_RANKED, dtype=np.int64)
    if problem.has_common_priority:
        where = np.empty(plist.shape[0], dtype=np.int64)
        where[plist] = np.arange(plist.shape[0])
        out[:] = klass[where[children]]
        return out
    if (start[1:] == end[:-1]).all() and (start[:1] == 0).all():
        # Disjoint consecutive slices: look up key (setting, child) in sorted keys.
        counts = end - start
        owner = np.repeat(np.arange(start.shape[0], dtype=np.int64), counts)
        n = max(problem.n_children, 1)
        key = owner * n + plist
        srt = np.argsort(key, kind="stable")
        want = settings * n + children
        hit = np.minimum(np.searchsorted(key[srt], want), max(key.size - 1, 0))
        if key.size:
            found = key[srt][hit] == want
            out[found] = klass[srt[hit[found]]]
        return out
    for t, (i, s) in enumerate(zip(children.tolist(), settings.tolist(), strict=True)):
        pos = np.flatnonzero(plist[start[s] : end[s]] == i)
        if pos.size:
            out[t] = int(klass[start[s] + pos[0]])
    return out


def envy_mask(problem: Problem, st: AllocationState) -> NDArray[np.bool_]:
    """(N, L): ranked slots above the child's place held by lower priority."""
    return st.better & (problem.priority < st.worst[st.slot])


def waste_mask(st: AllocationState) -> NDArray[np.bool_]:
    """(N, L): ranked slots better than the child's place with a free place."""
    return st.better & (st.free[st.slot] > 0)


# --------------------------------------------------------------------------- verifiers
def is_feasible(problem: Problem, a: Allocation | ArrayLike) -> bool:
    """Whether no setting is over capacity and every place is a real setting.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)
        Setting index per child, -1 for no place.

    Returns
    -------
    bool
        False if some entry is not a setting index in ``[0, M)`` or -1, or some
        setting holds more children than its capacity.

    Raises
    ------
    InvalidProblemError
        If ``a`` has the wrong shape, is not integer, or has an entry below -1.

    Notes
    -----
    O(N + M) with ``np.bincount``.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import is_feasible
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]])
    >>> is_feasible(p, [0, 1]), is_feasible(p, [0, 0]), is_feasible(p, [0, 5])
    (True, False, False)
    """
    assign = assignment_of(problem, a, check_range=False)
    m = problem.n_settings
    if (assign >= m).any():
        return False
    occupancy = np.bincount(assign[assign >= 0], minlength=m)
    return bool((occupancy <= problem.capacity).all())


def is_within_lists(problem: Problem, a: Allocation | ArrayLike) -> bool:
    """Whether every placed child is at a setting their parent ranked.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    bool

    Notes
    -----
    Individual rationality: a setting off the tailored list cannot meet the
    child's needs. O(N L).

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import is_within_lists
    >>> p = sa.Problem.from_lists([1, 1], [[0], [0, 1]])
    >>> is_within_lists(p, [0, 1]), is_within_lists(p, [1, 0])
    (True, False)
    """
    assign = assignment_of(problem, a)
    rank = _rank(problem, assign)
    return bool(((assign < 0) | (rank >= 0)).all())


def blocking_pairs(problem: Problem, a: Allocation | ArrayLike) -> NDArray[np.int64]:
    """Every (child, setting) pair that would rather be matched to each other.

    Child ``i`` and setting ``s`` block if ``i`` ranks ``s`` above their place
    (or is unplaced, or placed off their list, and ranks ``s``), and ``s``
    either has a free place or holds a child with lower priority at ``s``
    than ``i``.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    ndarray of int64, shape (K, 2)
        Rows ``(child, setting)``, by child and then in the child's preference
        order. Empty, shape (0, 2), if there is none.

    Raises
    ------
    InvalidProblemError
        If ``a`` is malformed (shape, dtype, index out of range).

    See Also
    --------
    is_stable, justified_envy, is_non_wasteful

    Notes
    -----
    For each setting the worst priority it holds and its free places are
    computed once (``np.maximum.at``, ``np.bincount``); every ranked slot of
    the (N, L) preference array is then compared with its setting's
    threshold. O(N L) time and memory, no Python loop over pairs. The pairs
    with a free place are waste [3]_; the others are justified envy [2]_.

    References
    ----------
    .. [1] Gale, D. & Shapley, L. S. (1962). College admissions and the
       stability of marriage. American Mathematical Monthly 69(1), 9-15.
    .. [2] Balinski, M. & Sönmez, T. (1999). A tale of two mechanisms: student
       placement. Journal of Economic Theory 84(1), 73-94.
    .. [3] Abdulkadiroğlu, A. & Sönmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    Setting 0 ranks child 1 first, but child 0 holds its only place:

    >>> import sendalloc as sa
    >>> from sendalloc.properties import blocking_pairs
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]], priorities=[[1, 0], [0, 1]])
    >>> blocking_pairs(p, [0, 1])
    array([[1, 0]])
    >>> blocking_pairs(p, [1, 0]).shape
    (0, 2)
    """
    st = allocation_state(problem, a)
    mask = envy_mask(problem, st) | waste_mask(st)
    rows, cols = np.nonzero(mask)
    return np.stack([rows.astype(np.int64), st.slot[rows, cols]], axis=1).reshape(-1, 2)


def is_stable(problem: Problem, a: Allocation | ArrayLike) -> bool:
    """Whether the allocation is stable: feasible, within lists, no blocking pair.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    bool

    See Also
    --------
    blocking_pairs

    Notes
    -----
    Stability in the sense of Gale & Shapley [1]_, for school choice [2]_: a
    matching that respects capacities, places no child on a setting they did
    not rank, and has no blocking pair (equivalently, is non-wasteful and has
    no justified envy). O(N L).

    References
    ----------
    .. [1] Gale, D. & Shapley, L. S. (1962). College admissions and the
       stability of marriage. American Mathematical Monthly 69(1), 9-15.
    .. [2] Abdulkadiroğlu, A. & Sönmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import is_stable
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]], priorities=[[1, 0], [0, 1]])
    >>> is_stable(p, [1, 0]), is_stable(p, [0, 1])
    (True, False)
    """
    if not is_feasible(problem, a):
        return False
    st = allocation_state(problem, a)
    if st.off_list.any():
        return False
    return not bool((envy_mask(problem, st) | waste_mask(st)).any())


def is_non_wasteful(problem: Problem, a: Allocation | ArrayLike) -> bool:
    """Whether no child is denied a free place they ranked above their own.

    A free place at a setting that an unplaced child ranked, or that a placed
    child ranked above their setting, is waste.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    bool

    Notes
    -----
    Non-wastefulness in the sense of Balinski & Sönmez [1]_. It ignores
    priorities. O(N L).

    References
    ----------
    .. [1] Balinski, M. & Sönmez, T. (1999). A tale of two mechanisms: student
       placement. Journal of Economic Theory 84(1), 73-94.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import is_non_wasteful
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [1]])
    >>> [is_non_wasteful(p, a) for a in ([0, 1], [0, -1], [1, -1])]
    [True, False, False]
    """
    return not bool(waste_mask(allocation_state(problem, a)).any())


def justified_envy(problem: Problem, a: Allocation | ArrayLike) -> NDArray[np.bool_]:
    """Which children have justified envy.

    Child ``i`` has justified envy if some child ``j`` is placed at a setting
    ``s`` that ``i`` ranks above their own place (or ``i`` is unplaced and
    ranks ``s``) while ``j`` has lower priority at ``s`` than ``i``.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    ndarray of bool, shape (N,)

    See Also
    --------
    blocking_pairs : the pairs, including those through free places.

    Notes
    -----
    The blocking pairs through occupied places; free places are waste, not
    envy. Definition from Balinski & Sönmez [1]_; O(N L) with a per-setting
    threshold (the worst priority held).

    References
    ----------
    .. [1] Balinski, M. & Sönmez, T. (1999). A tale of two mechanisms: student
       placement. Journal of Economic Theory 84(1), 73-94.
    .. [2] Abdulkadiroğlu, A. & Sönmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import justified_envy
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]], priorities=[[1, 0], [0, 1]])
    >>> justified_envy(p, [0, 1])
    array([False,  True])
    """
    st = allocation_state(problem, a)
    return np.asarray(envy_mask(problem, st).any(axis=1))


# --------------------------------------------------------------------------- Pareto
@dataclass(frozen=True, slots=True)
class ParetoImprovement:
    """A set of simultaneous moves that makes some child better off and none worse.

    Attributes
    ----------
    kind : {"waste", "cycle", "off_list"}
        ``"waste"``: one child takes a free place they prefer. ``"cycle"``:
        children trade places around a cycle of settings, each getting one they
        prefer. ``"off_list"``: a child placed at a setting they did not rank
        gives it up (an unranked setting is worse than no place).
    moves : tuple of (int, int, int)
        ``(child, from_setting, to_setting)``; -1 means no place.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import pareto_improvement
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [1, 0]])
    >>> imp = pareto_improvement(p, [1, 0])
    >>> imp.kind, imp.moves
    ('cycle', ((0, 1, 0), (1, 0, 1)))
    >>> imp.apply([1, 0])
    array([0, 1])
    >>> print(imp.describe(p))
    children trade places around a cycle of settings:
      child 0 moves from setting 1 (ranked 2nd) to setting 0 (ranked 1st)
      child 1 moves from setting 0 (ranked 2nd) to setting 1 (ranked 1st)
    """

    kind: Literal["waste", "cycle", "off_list"]
    moves: tuple[tuple[int, int, int], ...]

    def apply(self, assignment: ArrayLike) -> NDArray[np.int64]:
        """Return a copy of ``assignment`` with the moves made.

        Parameters
        ----------
        assignment : array_like of int, shape (N,)

        Returns
        -------
        ndarray of int64, shape (N,)
        """
        out = np.array(assignment, dtype=np.int64)
        for child, _, to in self.moves:
            out[child] = to
        return out

    def describe(self, problem: Problem) -> str:
        """Explain the moves in words, with the problem's labels.

        Parameters
        ----------
        problem : Problem

        Returns
        -------
        str
        """
        head = {
            "waste": "a child takes a free place they prefer:",
            "cycle": "children trade places around a cycle of settings:",
            "off_list": "a child gives up a setting their parent did not rank:",
        }[self.kind]
        lines = [head]
        for child, frm, to in self.moves:
            old = describe_place(problem, child, frm)
            lines.append(
                f"  {_child(problem, child)} moves from {old} "
                f"to {describe_place(problem, child, to)}"
            )
        return "\n".join(lines)


def _label(ids: tuple[Any, ...], i: int) -> str:
    if not 0 <= i < len(ids):
        return " (out of range)"
    return "" if ids[i] == i else f" ({ids[i]!r})"


def _child(problem: Problem, i: int) -> str:
    return f"child {i}{_label(problem.child_ids, i)}"


def describe_place(problem: Problem, i: int, s: int) -> str:
    if s < 0:
        return "no place"
    row = problem.preferences[i].tolist()
    where = f"ranked {_ordinal(row.index(s) + 1)}" if s in row else "not ranked"
    return f"setting {s}{_label(problem.setting_ids, s)} ({where})"


def _ordinal(k: int) -> str:
    suffix = (
        "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    )
    return f"{k}{suffix}"


def pareto_improvement(
    problem: Problem, a: Allocation | ArrayLike
) -> ParetoImprovement | None:
    """Find a Pareto improvement of an allocation, or None if there is none.

    A Pareto improvement is another feasible, within-list allocation that every
    child likes at least as much and some child likes more. The witness is the
    smallest kind of change that shows one exists.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)
        Judged against the free places it leaves; an over-full setting simply
        has none.

    Returns
    -------
    ParetoImprovement or None

    See Also
    --------
    is_pareto_efficient

    Notes
    -----
    Build the *improvement graph* on settings: an edge ``s -> t`` whenever a
    child placed at ``s`` ranks ``t`` above ``s``. Any improvement moves
    children along edges; each displaced child must be placed somewhere they
    prefer, so the moves form cycles and chains that end at a free place. A
    chain ending at a free place contains a last step that is itself an
    improvement (a child taking a free place they prefer: waste), so an
    improvement exists iff some child (placed, unplaced or off-list) ranks a
    setting with a free place above their own, or the graph has a cycle, or
    some child is placed off their list. Cycles are found from the strongly
    connected components (``scipy.sparse.csgraph``): with no self-loops, a
    cycle exists iff some component has two or more settings, and one is
    traced inside it. O(N L + M) time.

    References
    ----------
    .. [1] Abdulkadiroğlu, A. & Sönmez, T. (1998). Random serial dictatorship
       and the core from random endowments in house allocation problems.
       Econometrica 66(3), 689-701.
    .. [2] Abdulkadiroğlu, A. & Sönmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import pareto_improvement
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [1]])
    >>> pareto_improvement(p, [0, 1]) is None
    True
    >>> pareto_improvement(p, [0, -1])
    ParetoImprovement(kind='waste', moves=((1, -1, 1),))
    """
    st = allocation_state(problem, a)
    off = np.flatnonzero(st.off_list)
    if off.size:
        i = int(off[0])
        return ParetoImprovement("off_list", ((i, int(st.assign[i]), -1),))
    waste = waste_mask(st)
    if waste.any():
        rows, cols = np.nonzero(waste)
        # The child's best free place, so the witness reads naturally.
        i, k = int(rows[0]), int(cols[0])
        return ParetoImprovement("waste", ((i, int(st.assign[i]), int(st.slot[i, k])),))
    cycle = _improvement_cycle(problem, st)
    if cycle is None:
        return None
    return ParetoImprovement("cycle", cycle)


def _improvement_cycle(
    problem: Problem, st: AllocationState
) -> tuple[tuple[int, int, int], ...] | None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = problem.n_settings
    edge = st.better & (st.assign >= 0)[:, None]
    kids, cols = np.nonzero(edge)
    if kids.size == 0:
        return None
    src = st.assign[kids]
    dst = st.slot[kids, cols]
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(m, m))
    graph = graph.tocsr()
    n_comp, label = connected_components(graph, directed=True, connection="strong")
    size = np.bincount(label, minlength=n_comp)
    big = np.flatnonzero(size > 1)
    if big.size == 0:
        return None
    comp = int(big[0])
    indptr, indices = graph.indptr, graph.indices
    # Walk inside the component: every node of a nontrivial SCC has an edge
    # that stays inside it, so the walk revisits a node within size steps.
    u = int(np.flatnonzero(label == comp)[0])
    seen: dict[int, int] = {}
    path: list[int] = []
    while u not in seen:
        seen[u] = len(path)
        path.append(u)
        nbrs = indices[indptr[u] : indptr[u + 1]]
        u = int(nbrs[label[nbrs] == comp][0])
    loop = path[seen[u] :]
    moves = []
    for s, t in zip(loop, loop[1:] + loop[:1], strict=True):
        j = int(np.flatnonzero((src == s) & (dst == t))[0])
        moves.append((int(kids[j]), s, t))
    return tuple(sorted(moves))


def is_pareto_efficient(problem: Problem, a: Allocation | ArrayLike) -> bool:
    """Whether no feasible reallocation makes a child better off and none worse.

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    bool
        False if ``a`` is infeasible, places a child off their list, or has a
        Pareto improvement.

    See Also
    --------
    pareto_improvement : the witness when the answer is False.

    Notes
    -----
    Efficiency for the children only (settings' priorities are not welfare).
    Decided by the improvement-graph test described in
    :func:`pareto_improvement`: non-wasteful and no cycle of settings whose
    occupants would trade. O(N L + M).

    References
    ----------
    .. [1] Abdulkadiroğlu, A. & Sönmez, T. (2003). School choice: a mechanism
       design approach. American Economic Review 93(3), 729-747.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.properties import is_pareto_efficient
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [1, 0]])
    >>> is_pareto_efficient(p, [0, 1]), is_pareto_efficient(p, [1, 0])
    (True, False)
    """
    return is_feasible(problem, a) and pareto_improvement(problem, a) is None
