"""Assertions about one allocation or one mechanism on one problem.

Each ``assert_*`` raises :class:`AssertionError` whose message prints the
problem, the allocation and the counter-example in words, plus a line of code
that rebuilds the problem.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc.mechanisms import allocate
from sendalloc.problem import Allocation, Problem
from sendalloc.properties import (
    allocation_state,
    assignment_of,
    describe_place,
    envy_mask,
    is_feasible,
    pareto_improvement,
    waste_mask,
)

__all__ = [
    "assert_feasible",
    "assert_label_invariant",
    "assert_non_wasteful",
    "assert_pareto_efficient",
    "assert_stable",
    "assert_strategyproof",
    "assert_within_lists",
]

MechanismLike = str | Callable[..., Allocation]
_SHOW = 12  # children / settings printed in full before eliding


# --------------------------------------------------------------------------- formatting
def _who(ids: tuple[Any, ...], i: int, kind: str) -> str:
    return f"{kind} {i}" + ("" if ids[i] == i else f" ({ids[i]!r})")


def _c(problem: Problem, i: int) -> str:
    return _who(problem.child_ids, i, "child")


def _s(problem: Problem, s: int) -> str:
    return _who(problem.setting_ids, s, "setting")


def _plists(problem: Problem) -> list[Any] | None:
    """Priority lists in the form ``Problem.from_lists`` takes back.

    A common strict order is one list of children; otherwise one list per
    setting, whose entries are children or (weak problems) lists of tied
    children.
    """
    if problem.n_children == 0:
        return None
    if problem.has_common_priority and not problem.is_weak:
        return [int(c) for c in problem.plist_children]
    out: list[Any] = []
    klass = problem.plist_class
    for s, lst in enumerate(problem.priority_lists):
        if not problem.is_weak:
            out.append([int(c) for c in lst])
            continue
        cls_ = klass[int(problem.plist_start[s]) : int(problem.plist_end[s])]
        groups: list[list[int]] = []
        prev = -1
        for c, k in zip(lst.tolist(), cls_.tolist(), strict=True):
            if groups and k == prev:
                groups[-1].append(int(c))
            else:
                groups.append([int(c)])
            prev = k
        out.append([g[0] if len(g) == 1 else g for g in groups])
    return out


def _rows(problem: Problem) -> list[list[int]]:
    return [[int(s) for s in r if s >= 0] for r in problem.preferences]


def reproducer(problem: Problem) -> str:
    """One line of code that rebuilds ``problem`` (labels omitted)."""
    order = [int(c) for c in problem.order]
    plists = _plists(problem)
    text = f"sa.Problem.from_lists({problem.capacity.tolist()}, {_rows(problem)}"
    if plists is not None and not (problem.has_common_priority and plists == order):
        text += f", priorities={plists}"
    if order != list(range(problem.n_children)) or "priorities" in text:
        # from_lists defaults order to a common priority list: always spell it.
        text += f", order={order}"
    return text + ")"


def describe(problem: Problem, assignment: ArrayLike | None = None) -> str:
    """Print a small problem (and an allocation of it) for a failure message."""
    n, m = problem.n_children, problem.n_settings
    a = None if assignment is None else np.asarray(assignment)
    lines = [
        f"problem: {n} child{'ren' if n != 1 else ''}, "
        f"{m} setting{'s' if m != 1 else ''}"
    ]
    common = problem.has_common_priority
    for s in range(min(m, _SHOW)):
        cap = int(problem.capacity[s])
        line = f"  {_s(problem, s)}: {cap} place{'s' if cap != 1 else ''}"
        if a is not None:
            line += f", holds {np.flatnonzero(a == s).tolist()}"
        if not common:
            line += f", priority {problem.priority_lists[s].tolist()} (best first)"
        lines.append(line)
    if m > _SHOW:
        lines.append(f"  ... and {m - _SHOW} more settings")
    if common and n:
        lines.append(
            f"  every setting ranks children {problem.plist_children.tolist()} "
            "(best first)"
        )
    for i in range(min(n, _SHOW)):
        line = f"  {_c(problem, i)} ranks {_rows(problem)[i]}"
        if a is not None:
            line += f" -> {describe_place(problem, i, int(a[i]))}"
        lines.append(line)
    if n > _SHOW:
        lines.append(f"  ... and {n - _SHOW} more children")
    lines.append(f"  processing order {problem.order.tolist()}")
    lines.append(f"to reproduce: {reproducer(problem)}")
    if a is not None:
        lines.append(f"assignment: {a.tolist()}")
    return "\n".join(lines)


def _fail(headline: str, problem: Problem, assignment: ArrayLike | None) -> None:
    raise AssertionError(f"{headline}\n{describe(problem, assignment)}")


# ------------------------------------------------------------------------- allocations
def assert_feasible(problem: Problem, allocation: Allocation | ArrayLike) -> None:
    """Assert that no setting is over capacity and every index is a setting.

    Parameters
    ----------
    problem : Problem
    allocation : Allocation or array_like of int, shape (N,)

    Raises
    ------
    AssertionError
        Naming the over-full setting and the children it holds.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_feasible
    >>> p = sa.Problem.from_lists([1], [[0], [0]])
    >>> assert_feasible(p, [0, -1])
    >>> assert_feasible(p, [0, 0])
    Traceback (most recent call last):
    ...
    AssertionError: not feasible: setting 0 has 1 place but holds 2 children [0, 1]
    ...
    """
    a = assignment_of(problem, allocation, check_range=False)
    if is_feasible(problem, a):
        return
    m = problem.n_settings
    out = np.flatnonzero(a >= m)
    if out.size:
        i = int(out[0])
        _fail(
            f"not feasible: {_c(problem, i)} is placed at setting {int(a[i])}, "
            f"but there are only {m} settings",
            problem,
            a,
        )
    occ = np.bincount(a[a >= 0], minlength=m)
    s = int(np.flatnonzero(occ > problem.capacity)[0])
    cap = int(problem.capacity[s])
    _fail(
        f"not feasible: {_s(problem, s)} has {cap} place{'s' if cap != 1 else ''} "
        f"but holds {int(occ[s])} children {np.flatnonzero(a == s).tolist()}",
        problem,
        a,
    )


def assert_within_lists(problem: Problem, allocation: Allocation | ArrayLike) -> None:
    """Assert that every placed child is at a setting their parent ranked.

    Parameters
    ----------
    problem : Problem
    allocation : Allocation or array_like of int, shape (N,)

    Raises
    ------
    AssertionError
        Naming a child placed off their list.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_within_lists
    >>> p = sa.Problem.from_lists([1, 1], [[0], [1]])
    >>> assert_within_lists(p, [1, 0])
    Traceback (most recent call last):
    ...
    AssertionError: not within lists: child 0 is placed at setting 1, which their ...
    ...
    """
    st = allocation_state(problem, allocation)
    off = np.flatnonzero(st.off_list)
    if off.size:
        i = int(off[0])
        _fail(
            f"not within lists: {_c(problem, i)} is placed at "
            f"{_s(problem, int(st.assign[i]))}, which their parent did not rank "
            f"(list {_rows(problem)[i]})",
            problem,
            st.assign,
        )


def _pair_reason(problem: Problem, st: Any, i: int, s: int) -> str:
    free = int(st.free[s])
    if free > 0:
        return f"{_s(problem, s)} has {free} free place{'s' if free != 1 else ''}"
    k = int(np.flatnonzero(problem.preferences[i] == s)[0])
    mine = int(problem.priority[i, k])
    held = np.flatnonzero(st.assign == s)
    prio = st.held[held]  # the occupant with the worst priority at s
    j = int(held[int(np.argmax(prio))])
    theirs = int(prio.max())
    return (
        f"{_s(problem, s)} holds {_c(problem, j)}, who has lower priority there "
        f"(position {theirs} in its priority list, against {mine})"
    )


def assert_stable(problem: Problem, allocation: Allocation | ArrayLike) -> None:
    """Assert that the allocation is stable, naming a blocking pair if not.

    Stable: feasible, within lists, and no child-setting pair where the child
    prefers the setting and the setting has a free place or holds a child of
    lower priority.

    Parameters
    ----------
    problem : Problem
    allocation : Allocation or array_like of int, shape (N,)

    Raises
    ------
    AssertionError
        Naming the blocking pair and why it blocks.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_stable
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]], priorities=[[1, 0], [0, 1]])
    >>> assert_stable(p, [1, 0])
    >>> assert_stable(p, [0, 1])
    Traceback (most recent call last):
    ...
    AssertionError: not stable: blocking pair (child 1, setting 0): child 1 ranks ...
    ...
    """
    assert_feasible(problem, allocation)
    assert_within_lists(problem, allocation)
    st = allocation_state(problem, allocation)
    mask = envy_mask(problem, st) | waste_mask(st)
    if not mask.any():
        return
    rows, cols = np.nonzero(mask)
    i, k = int(rows[0]), int(cols[0])
    s = int(st.slot[i, k])
    more = rows.size - 1
    _fail(
        f"not stable: blocking pair ({_c(problem, i)}, {_s(problem, s)}): "
        f"{_c(problem, i)} ranks {describe_place(problem, i, s)} above "
        f"{describe_place(problem, i, int(st.assign[i]))}, and "
        f"{_pair_reason(problem, st, i, s)}"
        + (f" ({more} more blocking pair{'s' if more != 1 else ''})" if more else ""),
        problem,
        st.assign,
    )


def assert_non_wasteful(problem: Problem, allocation: Allocation | ArrayLike) -> None:
    """Assert that no child is denied a free place they prefer.

    Parameters
    ----------
    problem : Problem
    allocation : Allocation or array_like of int, shape (N,)

    Raises
    ------
    AssertionError
        Naming the child and the free place.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_non_wasteful
    >>> p = sa.Problem.from_lists([1], [[0]])
    >>> assert_non_wasteful(p, [-1])
    Traceback (most recent call last):
    ...
    AssertionError: wasteful: child 0 has no place but ranks setting 0 (ranked 1st), ...
    ...
    """
    st = allocation_state(problem, allocation)
    waste = waste_mask(st)
    if not waste.any():
        return
    rows, cols = np.nonzero(waste)
    i, k = int(rows[0]), int(cols[0])
    s = int(st.slot[i, k])
    free = int(st.free[s])
    have = (
        "has no place"
        if st.assign[i] < 0
        else f"is placed at {describe_place(problem, i, int(st.assign[i]))}"
    )
    _fail(
        f"wasteful: {_c(problem, i)} {have} but ranks {describe_place(problem, i, s)}"
        f"{' higher' if st.assign[i] >= 0 else ''}, which has {free} free "
        f"place{'s' if free != 1 else ''}",
        problem,
        st.assign,
    )


def assert_pareto_efficient(
    problem: Problem, allocation: Allocation | ArrayLike
) -> None:
    """Assert Pareto efficiency, showing an improving exchange if it fails.

    Parameters
    ----------
    problem : Problem
    allocation : Allocation or array_like of int, shape (N,)

    Raises
    ------
    AssertionError
        With the moves that make some child better off and none worse, and
        the improved assignment.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_pareto_efficient
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [1, 0]])
    >>> assert_pareto_efficient(p, [1, 0])
    Traceback (most recent call last):
    ...
    AssertionError: not Pareto efficient: children trade places around a cycle ...
      child 0 moves from setting 1 (ranked 2nd) to setting 0 (ranked 1st)
      child 1 moves from setting 0 (ranked 2nd) to setting 1 (ranked 1st)
    improved assignment: [0, 1]
    ...
    """
    assert_feasible(problem, allocation)
    a = assignment_of(problem, allocation)
    imp = pareto_improvement(problem, a)
    if imp is None:
        return
    _fail(
        f"not Pareto efficient: {imp.describe(problem)}\n"
        f"improved assignment: {imp.apply(a).tolist()}",
        problem,
        a,
    )


# --------------------------------------------------------------------------- mechanisms
def run_mechanism(
    mechanism: MechanismLike, problem: Problem, seed: int
) -> NDArray[np.int64]:
    result = allocate(problem, mechanism, rng=np.random.default_rng(seed))
    return assignment_of(problem, result, check_range=False)


def rebuild(
    problem: Problem,
    preferences: Sequence[Sequence[int]] | None = None,
    *,
    child_permutation: NDArray[np.int64] | None = None,
    setting_permutation: NDArray[np.int64] | None = None,
) -> Problem:
    """A copy of ``problem`` with new preferences and/or relabelled indices.

    ``child_permutation[j]`` is the old index of new child ``j``; likewise for
    settings. Priorities, order and labels follow the children and settings.
    """
    n, m = problem.n_children, problem.n_settings
    sig = np.arange(n) if child_permutation is None else np.asarray(child_permutation)
    tau = (
        np.arange(m) if setting_permutation is None else np.asarray(setting_permutation)
    )
    inv_sig = np.empty(n, dtype=np.int64)
    inv_sig[sig] = np.arange(n)
    inv_tau = np.empty(m, dtype=np.int64)
    inv_tau[tau] = np.arange(m)
    rows = _rows(problem) if preferences is None else [list(r) for r in preferences]
    new_rows = [[int(inv_tau[s]) for s in rows[int(sig[j])]] for j in range(n)]
    plists = _plists(problem)

    def relabel(entry: Any) -> Any:
        if isinstance(entry, list):
            return [relabel(e) for e in entry]
        return int(inv_sig[entry])

    new_plists: list[Any] | None
    if plists is None:
        new_plists = None
    elif plists and not isinstance(plists[0], list):  # one common order
        new_plists = relabel(plists)
    else:
        new_plists = [relabel(plists[int(tau[t])]) for t in range(m)]
    return Problem.from_lists(
        [int(problem.capacity[int(tau[t])]) for t in range(m)],
        new_rows,
        priorities=new_plists,
        order=[int(inv_sig[c]) for c in problem.order],
        child_ids=[problem.child_ids[int(sig[j])] for j in range(n)],
        setting_ids=[problem.setting_ids[int(tau[t])] for t in range(m)],
    )


def _utility_rank(row: Sequence[int], s: int) -> int:
    """Position of ``s`` in the true list; no place after it; off-list last."""
    if s < 0:
        return len(row)
    return row.index(s) if s in row else len(row) + 1


def misreports(row: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every reordering and truncation of a list: ordered subsets, shortest first."""
    for k in range(len(row) + 1):
        yield from itertools.permutations(row, k)


def assert_strategyproof(
    mechanism: MechanismLike,
    problem: Problem,
    *,
    seed: int = 0,
    max_list: int = 5,
) -> None:
    """Assert that no parent gains by misreporting their ranking.

    For each child, every reordering and truncation of their list (every
    ordered subset, including the empty list) is reported in turn, the
    others' reports fixed; the child's outcome is judged by their true list.

    Parameters
    ----------
    mechanism : str or callable
        A name from :data:`sendalloc.MECHANISMS` or ``f(problem, *, rng=None)``.
    problem : Problem
    seed : int, default 0
        Every run gets ``numpy.random.default_rng(seed)``, so a randomised rule
        is judged at one fixed draw (random serial dictatorship becomes serial
        dictatorship for one order).
    max_list : int, default 5
        Children with longer lists are checked with misreports of their first
        ``max_list`` settings only (there are about e * L! misreports).

    Raises
    ------
    AssertionError
        Showing the child, the truthful and the profitable report and what
        each gets.

    Notes
    -----
    Only misreports drawn from the child's own tailored list are searched:
    a parent can rank only settings the list offers.

    Examples
    --------
    First available place is strategy-proof:

    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_strategyproof
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0], [1]],
    ...                           priorities=[[1, 0, 2], [0, 2]])
    >>> assert_strategyproof("first_available", p)
    """
    truth = run_mechanism(mechanism, problem, seed)
    rows = _rows(problem)
    for i, row in enumerate(rows):
        honest = _utility_rank(row, int(truth[i]))
        if honest == 0:
            continue
        for report in misreports(row[:max_list]):
            if list(report) == row[: len(report)] and len(report) == len(row):
                continue
            new_rows = [*rows[:i], list(report), *rows[i + 1 :]]
            lie = run_mechanism(mechanism, rebuild(problem, new_rows), seed)
            got = _utility_rank(row, int(lie[i]))
            if got < honest:
                was = describe_place(problem, i, int(truth[i]))
                _fail(
                    f"not strategy-proof: {_c(problem, i)} ranks {row} and gets "
                    f"{was}; reporting {list(report)} "
                    f"instead gets {describe_place(problem, i, int(lie[i]))}\n"
                    f"assignment with the misreport: {lie.tolist()}",
                    problem,
                    truth,
                )


def assert_label_invariant(
    mechanism: MechanismLike,
    problem: Problem,
    *,
    child_permutation: ArrayLike | None = None,
    setting_permutation: ArrayLike | None = None,
    seed: int = 0,
    trials: int = 3,
) -> None:
    """Assert that renumbering children and settings changes nothing.

    The problem is relabelled consistently (capacities, preferences, priority
    lists, processing order and labels all follow the children and settings),
    the mechanism is run again, and its answer is mapped back to the original
    numbering and compared.

    Parameters
    ----------
    mechanism : str or callable
    problem : Problem
    child_permutation, setting_permutation : array_like of int, optional
        ``child_permutation[j]`` is the original index of new child ``j``.
        When both are omitted, ``trials`` random pairs are drawn from ``seed``.
    seed : int, default 0
        Seeds the random permutations, and every run of the mechanism gets
        ``numpy.random.default_rng(seed)``. A rule that draws a random order
        by index (random serial dictatorship) is label-invariant only in
        distribution, so it fails this pointwise check.
    trials : int, default 3

    Raises
    ------
    AssertionError
        Showing the permutation and the first child whose place changed.

    Examples
    --------
    A rule that favours child 0 by index, not by the problem's order, is caught:

    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from sendalloc.testing import assert_label_invariant
    >>> def by_index(problem, *, rng=None):
    ...     return sa.allocate(
    ...         sa.Problem.from_lists(problem.capacity, [[int(s) for s in r if s >= 0]
    ...                               for r in problem.preferences]), "first_available")
    >>> p = sa.Problem.from_lists([1], [[0], [0]], order=[1, 0])
    >>> assert_label_invariant("first_available", p)
    >>> assert_label_invariant(by_index, p, child_permutation=[1, 0])
    Traceback (most recent call last):
    ...
    AssertionError: not label-invariant: after renumbering children by [1, 0] ...
    ...
    """
    n, m = problem.n_children, problem.n_settings
    gen = np.random.default_rng(seed)
    if child_permutation is None and setting_permutation is None:
        pairs = [(gen.permutation(n), gen.permutation(m)) for _ in range(trials)]
    else:
        sig = (
            np.arange(n) if child_permutation is None else np.asarray(child_permutation)
        )
        tau = (
            np.arange(m)
            if setting_permutation is None
            else np.asarray(setting_permutation)
        )
        pairs = [(sig, tau)]
    base = run_mechanism(mechanism, problem, seed)
    for sig, tau in pairs:
        sig = np.asarray(sig, dtype=np.int64)
        tau = np.asarray(tau, dtype=np.int64)
        if sorted(sig.tolist()) != list(range(n)) or sorted(tau.tolist()) != list(
            range(m)
        ):
            raise ValueError(
                f"child_permutation {sig.tolist()} / setting_permutation "
                f"{tau.tolist()}: expected permutations of range({n}) and range({m})"
            )
        other = run_mechanism(
            mechanism,
            rebuild(problem, child_permutation=sig, setting_permutation=tau),
            seed,
        )
        # New child j is old child sig[j]; new setting t is old setting tau[t].
        back = np.full(n, -1, dtype=np.int64)
        got = other >= 0
        back[sig[got]] = tau[other[got]]
        diff = np.flatnonzero(back != base)
        if diff.size:
            i = int(diff[0])
            _fail(
                f"not label-invariant: after renumbering children by {sig.tolist()} "
                f"and settings by {tau.tolist()}, {_c(problem, i)} gets "
                f"{describe_place(problem, i, int(back[i]))} instead of "
                f"{describe_place(problem, i, int(base[i]))}\n"
                f"assignment mapped back: {back.tolist()}",
                problem,
                base,
            )
