"""Weak priorities: tie-breaking lotteries and weak stability.

Settings often rank children in *priority classes* (looked-after children, then
children whose needs the setting is designated for, then distance bands) and
break ties within a class by lottery. A :class:`~sendalloc.Problem` built with
tie classes is *weak* (:attr:`~sendalloc.Problem.is_weak`); the strict
mechanisms refuse it. :func:`break_ties` makes the lottery an explicit step: it
returns a strict problem with the lottery recorded on it, so that any strict rule
can run and the tie-breaking mechanisms (``deferred_acceptance_stb``,
``deferred_acceptance_mtb``, ``stable_improvement_cycles``) reuse the same
lottery. :func:`weak_blocking_pairs` and :func:`is_weakly_stable` judge an
allocation against the weak priorities themselves.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._problem.builders import freeze
from sendalloc._problem.convert import INDEX
from sendalloc._problem.plists import align_priorities
from sendalloc._rng import as_generator
from sendalloc.errors import InvalidProblemError
from sendalloc.problem import Allocation, Problem, TieBreak
from sendalloc.properties import is_feasible

__all__ = ["break_ties", "is_weakly_stable", "weak_blocking_pairs"]

RULES = ("single", "multiple")


def break_ties(
    problem: Problem,
    rule: str = "single",
    *,
    rng: Any = None,
    lottery: Sequence[Hashable] | Mapping[Hashable, Sequence[Hashable]] | None = None,
) -> Problem:
    """Break ties within priority classes by lottery; return a strict problem.

    Within each tie class a setting ranks children by their lottery number,
    lower first; children in different classes keep their order. The lottery is
    recorded on the result (:class:`~sendalloc.TieBreak`, attribute
    ``lottery``), together with the weak priorities it broke.

    Parameters
    ----------
    problem : Problem
        A weak or strict problem; not one already returned by ``break_ties``.
    rule : {"single", "multiple"}, default "single"
        ``"single"``: one lottery shared by every setting (single tie-breaking,
        STB). ``"multiple"``: an independent lottery at each setting (MTB).
    rng : numpy.random.Generator, int or None
        Draws the lottery when ``lottery`` is not given: a uniform permutation
        of the children (one per setting for ``"multiple"``).
    lottery : sequence or mapping of child labels, optional
        A lottery to use instead of drawing one, earlier is better within a
        class. For ``"single"``: every child label once, in lottery order. For
        ``"multiple"``: a mapping from setting label to such a sequence, which
        must hold every child in that setting's priority list (other children
        may appear and are ignored); a setting with no ties may be left out.

    Returns
    -------
    Problem
        A strict problem (``is_weak`` false) with the same places, rankings,
        order and labels, and ``lottery`` set.

    Raises
    ------
    ValueError
        If ``rule`` is not one of the valid names.
    InvalidProblemError
        If ``lottery`` is malformed (unknown label, repeated or missing child),
        or ``problem`` already had its ties broken.

    Notes
    -----
    A common priority order stays one shared list under the single rule
    (O(N log N)); the multiple rule gives each setting its own list, so it
    costs O(N M) time and memory for a common order, and O(P log P) for
    per-setting lists of total length P. The recorded ``ranks`` have shape
    (N,) for the single rule and (M, N) for the multiple rule. Single and
    multiple tie-breaking lead deferred acceptance to different outcomes in
    general; with single tie-breaking, deferred acceptance's outcome is
    constrained efficient more often [1]_.

    References
    ----------
    .. [1] Abdulkadiroglu, A., Pathak, P. A. & Roth, A. E. (2009).
       Strategy-proofness versus efficiency in matching with indifferences:
       redesigning the NYC high school match. American Economic Review 99(5),
       1954-1978.

    Examples
    --------
    Amy and Ben tie at Oak; the lottery puts Ben first:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"], "cat": ["Oak"]},
    ...     priorities={"Oak": [["amy", "ben"], "cat"]},
    ... )
    >>> s = sa.break_ties(p, "single", lottery=["cat", "ben", "amy"])
    >>> s.is_weak, s.priority_lists[0].tolist(), s.lottery.rule
    (False, [1, 0, 2], 'single')
    >>> sa.break_ties(p, "multiple", rng=7).lottery.ranks.shape
    (1, 3)
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem, got {type(problem).__name__}")
    if rule not in RULES:
        raise ValueError(
            f"rule: unknown tie-breaking rule {rule!r}; valid names: "
            + ", ".join(RULES)
        )
    if problem.lottery is not None:
        raise InvalidProblemError(
            "problem: its ties were already broken by break_ties (a "
            f"{problem.lottery.rule!r} lottery is recorded); pass the weak problem"
        )
    n, m = problem.n_children, problem.n_settings
    if lottery is None:
        gen = as_generator(rng)
        if rule == "single":
            ranks = _inverse(gen.permutation(n))
        else:
            perms = gen.permuted(np.tile(np.arange(n, dtype=np.int64), (m, 1)), axis=1)
            ranks = np.empty((m, n), dtype=np.int64)
            np.put_along_axis(ranks, perms, np.arange(n, dtype=np.int64)[None, :], 1)
    elif rule == "single":
        ranks = _single_lottery(problem, lottery)
    else:
        ranks = _multiple_lottery(problem, lottery)

    plist, klass = problem.plist_children, problem.plist_class
    start, end = problem.plist_start, problem.plist_end
    prefs = problem.preferences
    if problem.has_common_priority and rule == "single":
        # One shared list stays shared: sort it by (class, lottery).
        srt = np.lexsort((ranks[plist], klass))
        new_plist = plist[srt].astype(np.int64)
        new_start, new_end = start, end
        pos_of = _inverse(new_plist)
        prio = np.where(prefs >= 0, pos_of[:, None], -1)
    else:
        counts = (end - start).astype(np.int64)
        new_end = np.cumsum(counts)
        new_start = new_end - counts
        total = int(new_end[-1]) if m else 0
        idx = (
            np.arange(total, dtype=np.int64)
            - np.repeat(new_start, counts)
            + np.repeat(start.astype(np.int64), counts)
        )
        owner = np.repeat(np.arange(m, dtype=np.int64), counts)
        ent = plist[idx].astype(np.int64)
        lot = ranks[ent] if rule == "single" else ranks[owner, ent]
        srt = np.lexsort((lot, klass[idx], owner))
        new_plist = ent[srt]
        pos = np.arange(total, dtype=np.int64) - np.repeat(new_start, counts)
        prio = align_priorities(
            new_plist, new_start, counts, pos, prefs.astype(np.int64), m
        )
    record = TieBreak(
        rule=rule,
        ranks=_readonly(ranks.astype(INDEX)),
        priority_class=problem.priority,
    )
    fields = freeze(
        problem.capacity,
        prefs,
        prio,
        problem.order,
        new_plist,
        new_start,
        new_end,
        problem.child_ids,
        problem.setting_ids,
    )
    return Problem(**fields, lottery=record)


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _inverse(perm: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    out = np.empty(perm.shape[0], dtype=np.int64)
    out[perm] = np.arange(perm.shape[0], dtype=np.int64)
    return out


def _child_indices(problem: Problem, labels: Any, name: str) -> NDArray[np.int64]:
    """Translate a sequence of child labels, refusing unknown or repeated ones."""
    if isinstance(labels, str | bytes | Mapping) or not isinstance(
        labels, Sequence | np.ndarray
    ):
        raise InvalidProblemError(
            f"{name}: expected a sequence of child labels, got {type(labels).__name__}"
        )
    index = {c: i for i, c in enumerate(problem.child_ids)}
    out = np.empty(len(labels), dtype=np.int64)
    first: dict[int, int] = {}
    for t, lab in enumerate(labels):
        key = lab.item() if isinstance(lab, np.generic) else lab
        try:
            i = index[key]
        except (KeyError, TypeError):
            raise InvalidProblemError(
                f"{name}[{t}] = {lab!r}: unknown child (not a label of the problem)"
            ) from None
        j = first.setdefault(i, t)
        if j != t:
            raise InvalidProblemError(
                f"{name}[{t}] = {lab!r}: child drawn twice (also at {name}[{j}])"
            )
        out[t] = i
    return out


def _single_lottery(problem: Problem, lottery: Any) -> NDArray[np.int64]:
    n = problem.n_children
    idx = _child_indices(problem, lottery, "lottery")
    if idx.shape[0] != n:
        missing = np.setdiff1d(np.arange(n), idx)
        raise InvalidProblemError(
            f"lottery: a single lottery must list all {n} children, got "
            f"{idx.shape[0]}; missing {problem.child_ids[int(missing[0])]!r}"
        )
    return _inverse(idx)


def _multiple_lottery(problem: Problem, lottery: Any) -> NDArray[np.int64]:
    if not isinstance(lottery, Mapping):
        raise InvalidProblemError(
            "lottery: the multiple rule expects a mapping of setting label to a "
            f"sequence of child labels, got {type(lottery).__name__}"
        )
    n, m = problem.n_children, problem.n_settings
    s_index = {s: j for j, s in enumerate(problem.setting_ids)}
    for s in lottery:
        if s not in s_index:
            raise InvalidProblemError(
                f"lottery key {s!r}: unknown setting (not a label of the problem)"
            )
    # Children not drawn at a setting rank after those drawn, in index order.
    ranks = np.tile(np.arange(n, dtype=np.int64) + n, (m, 1))
    plists = problem.priority_lists
    classes = [
        problem.plist_class[a:b]
        for a, b in zip(
            problem.plist_start.tolist(), problem.plist_end.tolist(), strict=True
        )
    ]
    for j, s in enumerate(problem.setting_ids):
        members = plists[j]
        if s not in lottery:
            if classes[j].shape[0] > 1 and (np.diff(classes[j]) == 0).any():
                raise InvalidProblemError(
                    f"lottery: setting {s!r} has tied children but no lottery"
                )
            continue
        idx = _child_indices(problem, lottery[s], f"lottery[{s!r}]")
        ranks[j, idx] = np.arange(idx.shape[0])
        drawn = np.zeros(n, dtype=np.bool_)
        drawn[idx] = True
        if not drawn[members].all():
            c = int(members[~drawn[members]][0])
            raise InvalidProblemError(
                f"lottery[{s!r}]: child {problem.child_ids[c]!r} is in the "
                "setting's priority list but not in its lottery"
            )
    return ranks


def strict_for(problem: Problem, rule: str | None, rng: Any, mechanism: str) -> Problem:
    """The strict problem a tie-breaking mechanism runs on.

    A problem whose ties :func:`break_ties` already broke is used as it is (its
    recorded rule must be ``rule`` unless ``rule`` is None); a weak problem has
    its ties broken by a lottery drawn from ``rng`` (single tie-breaking when
    ``rule`` is None); a strict problem has no ties to break.
    """
    if problem.lottery is not None:
        if rule is not None and problem.lottery.rule != rule:
            raise InvalidProblemError(
                f"{mechanism}: the problem's ties were broken by a "
                f"{problem.lottery.rule!r} lottery, but this rule uses a {rule!r} "
                "one; pass the weak problem or a problem from "
                f"break_ties(problem, {rule!r})"
            )
        return problem
    if problem.is_weak:
        return break_ties(problem, rule or "single", rng=rng)
    return problem


def weak_classes(problem: Problem) -> NDArray[np.int32]:
    """The weak priority classes (N, L): recorded ones if ties were broken."""
    if problem.lottery is not None:
        return problem.lottery.priority_class
    return problem.priority


def weak_blocking_pairs(
    problem: Problem, a: Allocation | ArrayLike
) -> NDArray[np.int64]:
    """Pairs (child, setting) that block an allocation under weak priorities.

    Child ``i`` and setting ``s`` block when the parent ranked ``s`` above the
    child's place (or the child is unplaced) and either ``s`` has a free place
    or ``s`` holds a child of a *strictly* worse priority class than ``i``'s.
    A child who merely ties with everyone held is not wronged.

    Parameters
    ----------
    problem : Problem
        Judged by its weak priorities: ``problem.priority`` for an unbroken
        problem, the classes recorded in ``problem.lottery`` for one returned by
        :func:`break_ties`.
    a : Allocation or array_like of int, shape (N,)
        Setting index per child, -1 for none.

    Returns
    -------
    ndarray of int64, shape (K, 2)
        Rows ``(child, setting)``, by child then by the parent's ranking.

    Notes
    -----
    A child placed at a setting their parent did not rank counts as the lowest
    priority there. Vectorised over the (N, L) arrays: O(N L).

    Examples
    --------
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"], "cat": ["Oak"]},
    ...     priorities={"Oak": [["amy", "ben"], "cat"]},
    ... )
    >>> sa.ties.weak_blocking_pairs(p, [-1, 0, -1]).tolist()
    []
    >>> sa.ties.weak_blocking_pairs(p, [-1, -1, 0]).tolist()
    [[0, 0], [1, 0]]
    """
    assign = _assignment(problem, a)
    m = problem.n_settings
    prefs = problem.preferences.astype(np.int64)
    classes = weak_classes(problem).astype(np.int64)
    width = prefs.shape[1]
    listed = prefs >= 0
    hit = listed & (prefs == assign[:, None]) & (assign[:, None] >= 0)
    on_list = hit.any(axis=1)
    first = hit.argmax(axis=1) if width else np.zeros(hit.shape[0], dtype=np.int64)
    rank = np.where(on_list, first, width)
    placed = assign >= 0
    worst = np.full(m, -1, dtype=np.int64)
    held = np.full(assign.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    rows = np.flatnonzero(on_list)
    held[rows] = classes[rows, rank[rows]]
    np.maximum.at(worst, assign[placed], held[placed])
    free = problem.capacity.astype(np.int64) - np.bincount(assign[placed], minlength=m)
    slot = np.where(listed, prefs, 0)
    better = listed & (np.arange(width)[None, :] < rank[:, None])
    block = better & ((free[slot] > 0) | (worst[slot] > classes))
    i, k = np.nonzero(block)
    return np.stack([i, prefs[i, k]], axis=1).astype(np.int64).reshape(-1, 2)


def is_weakly_stable(problem: Problem, a: Allocation | ArrayLike) -> bool:
    """Whether an allocation is feasible and weakly stable.

    Weakly stable: no setting is over capacity and no pair blocks in the sense of
    :func:`weak_blocking_pairs` (a child beats someone held only by being in a
    strictly better priority class, or by finding a free place).

    Parameters
    ----------
    problem : Problem
    a : Allocation or array_like of int, shape (N,)

    Returns
    -------
    bool

    Examples
    --------
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]},
    ...     priorities={"Oak": [["amy", "ben"]]},
    ... )
    >>> sa.ties.is_weakly_stable(p, [-1, 0]), sa.ties.is_weakly_stable(p, [0, 0])
    (True, False)
    """
    assign = _assignment(problem, a)
    if not is_feasible(problem, assign):
        return False
    return bool(weak_blocking_pairs(problem, assign).shape[0] == 0)


def _assignment(problem: Problem, a: Allocation | ArrayLike) -> NDArray[np.int64]:
    if isinstance(a, Allocation):
        if a.assignment.shape != (problem.n_children,):
            raise InvalidProblemError(
                f"a: an allocation of {a.assignment.shape[0]} children, expected "
                f"{problem.n_children}"
            )
        return a.assignment.astype(np.int64)
    return Allocation.from_assignment(problem, a).assignment.astype(np.int64)
