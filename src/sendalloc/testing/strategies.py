"""Hypothesis strategies for allocation problems and allocations.

Modelled on :mod:`hypothesis.extra.numpy`: keyword-only ``min_*``/``max_*``
arguments with small defaults, checked at once (a bad argument raises
:class:`hypothesis.errors.InvalidArgument` when the strategy is built, not when
it is drawn from), and values that shrink towards the smallest problem that
still fails: fewer settings, fewer children, smaller capacities, shorter lists,
priorities and processing order in index order.

Every :class:`~sendalloc.Problem` these strategies generate passes validation.

Examples
--------
>>> from hypothesis import given, settings
>>> from sendalloc.testing import strategies as sst
>>> import sendalloc as sa
>>> @settings(deadline=None, max_examples=20)  # numba compiles on first call
... @given(sst.problems(max_children=4))
... def test_first_available_is_feasible(problem):
...     a = sa.allocate(problem, "first_available")
...     assert sa.properties.is_feasible(problem, a)
>>> test_first_available_is_feasible()
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from numpy.typing import NDArray

from sendalloc.population import KINDS, NEEDS, Children, Settings
from sendalloc.problem import Allocation, Problem

__all__ = [
    "allocations",
    "capacities",
    "children_tables",
    "orders",
    "preference_arrays",
    "preference_lists",
    "priority_arrays",
    "priority_lists",
    "problems",
    "settings_tables",
]

Priorities = Literal["strict", "common", "none"]
_PRIORITY_KINDS = ("strict", "common", "none")


# --------------------------------------------------------------------------- checks
def _check_int(name: str, value: object, *, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgument(f"{name}={value!r}: expected an integer")
    if int(value) < low:
        raise InvalidArgument(f"{name}={value!r}: expected an integer >= {low}")
    return int(value)


def _check_range(name: str, low: int, high: int) -> None:
    if low > high:
        raise InvalidArgument(
            f"min_{name}={low} is greater than max_{name}={high}; "
            f"expected min_{name} <= max_{name}"
        )


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r}: expected True or False")
    return value


def _check_priorities(value: object) -> Priorities:
    if value not in _PRIORITY_KINDS:
        raise InvalidArgument(
            f"priorities={value!r}: expected one of "
            + ", ".join(map(repr, _PRIORITY_KINDS))
        )
    return value  # type: ignore[return-value]


def _check_problem(problem: object) -> Problem:
    if not isinstance(problem, Problem):
        raise InvalidArgument(f"problem={problem!r}: expected a sendalloc.Problem")
    return problem


# --------------------------------------------------------------------------- parts
def capacities(
    *,
    min_settings: int = 1,
    max_settings: int = 4,
    min_capacity: int = 0,
    max_capacity: int = 2,
) -> st.SearchStrategy[NDArray[np.int64]]:
    """Capacity vectors: free places per setting.

    Parameters
    ----------
    min_settings, max_settings : int
        Bounds on the number of settings M (>= 0).
    min_capacity, max_capacity : int
        Bounds on each setting's places (>= 0).

    Returns
    -------
    SearchStrategy of ndarray of int64, shape (M,)
        Shrinks towards fewer settings and fewer places.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import capacities
    >>> find(capacities(max_capacity=3), lambda c: c.sum() >= 3)
    array([3])
    """
    lo_m = _check_int("min_settings", min_settings)
    hi_m = _check_int("max_settings", max_settings)
    _check_range("settings", lo_m, hi_m)
    lo_c = _check_int("min_capacity", min_capacity)
    hi_c = _check_int("max_capacity", max_capacity)
    _check_range("capacity", lo_c, hi_c)
    return st.lists(st.integers(lo_c, hi_c), min_size=lo_m, max_size=hi_m).map(
        lambda xs: np.array(xs, dtype=np.int64)
    )


def preference_lists(
    *,
    n_children: int,
    n_settings: int,
    min_list: int = 0,
    max_list: int = 3,
) -> st.SearchStrategy[list[list[int]]]:
    """Ragged preference lists: each child's ranked settings, best first.

    Parameters
    ----------
    n_children, n_settings : int
        N and M.
    min_list, max_list : int
        Bounds on each list's length; lists never exceed ``n_settings``.

    Returns
    -------
    SearchStrategy of list of list of int
        Shrinks towards short lists of low-numbered settings.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import preference_lists
    >>> find(preference_lists(n_children=2, n_settings=3), lambda p: len(p[1]) == 2)
    [[], [0, 1]]
    """
    n = _check_int("n_children", n_children)
    m = _check_int("n_settings", n_settings)
    lo = _check_int("min_list", min_list)
    hi = _check_int("max_list", max_list)
    _check_range("list", lo, hi)
    if n and lo > m:
        raise InvalidArgument(
            f"min_list={lo} exceeds n_settings={m}: a list cannot rank more settings "
            "than there are"
        )
    row = st.lists(
        st.integers(0, max(m - 1, 0)), min_size=lo, max_size=min(hi, m), unique=True
    )
    return st.lists(row, min_size=n, max_size=n)


def preference_arrays(
    *,
    n_children: int,
    n_settings: int,
    min_list: int = 0,
    max_list: int = 3,
) -> st.SearchStrategy[NDArray[np.int64]]:
    """Preference arrays: shape (N, L), each row -1 padded at the end.

    Parameters
    ----------
    n_children, n_settings : int
        N and M.
    min_list, max_list : int
        Bounds on each row's number of real entries. The width L is the
        longest row drawn.

    Returns
    -------
    SearchStrategy of ndarray of int64, shape (N, L)

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import preference_arrays
    >>> strategy = preference_arrays(n_children=2, n_settings=2)
    >>> find(strategy, lambda p: (p >= 0).sum() == 3)
    array([[ 0, -1],
           [ 0,  1]])
    """
    return preference_lists(
        n_children=n_children,
        n_settings=n_settings,
        min_list=min_list,
        max_list=max_list,
    ).map(_pad)


def _pad(rows: Sequence[Sequence[int]]) -> NDArray[np.int64]:
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _listers(rows: Sequence[Sequence[int]], n_settings: int) -> list[list[int]]:
    """For each setting, the children whose list includes it (ascending)."""
    out: list[list[int]] = [[] for _ in range(n_settings)]
    for i, r in enumerate(rows):
        for s in r:
            out[int(s)].append(i)
    return out


def priority_arrays(preferences: Any) -> st.SearchStrategy[NDArray[np.int64]]:
    """Priority arrays aligned with a preference array, for ``Problem.from_arrays``.

    ``priority[i, k]`` is child ``i``'s priority at ``preferences[i, k]``
    (lower wins), with no ties among the children who list the same setting.

    Parameters
    ----------
    preferences : array_like of int, shape (N, L)
        A -1 padded preference array.

    Returns
    -------
    SearchStrategy of ndarray of int64, shape (N, L)
        Padded slots hold -1. Shrinks towards priority by child index.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import priority_arrays
    >>> find(priority_arrays([[0, 1], [1, -1]]), lambda p: True)
    array([[ 0,  0],
           [ 1, -1]])
    """
    prefs = np.asarray(preferences)
    if prefs.ndim != 2 or prefs.dtype.kind not in "iu":
        raise InvalidArgument(
            f"preferences: expected a 2-D integer array, got shape {prefs.shape} "
            f"and dtype {prefs.dtype}"
        )
    m = int(prefs.max()) + 1 if prefs.size else 0
    listers = _listers([[int(s) for s in r if s >= 0] for r in prefs], m)

    def build(perms: list[list[int]]) -> NDArray[np.int64]:
        out = np.full(prefs.shape, -1, dtype=np.int64)
        for s, perm in enumerate(perms):
            for pos, i in enumerate(perm):
                out[i, int(np.flatnonzero(prefs[i] == s)[0])] = pos
        return out

    return st.tuples(*(st.permutations(ls) for ls in listers)).map(
        lambda t: build([list(x) for x in t])
    )


def priority_lists(
    preferences: Any,
    *,
    n_children: int | None = None,
    n_settings: int | None = None,
    include_unlisted: bool = True,
) -> st.SearchStrategy[list[list[int]]]:
    """Per-setting priority lists, highest priority first, for ``from_lists``.

    Each setting's list holds every child who lists it and, when
    ``include_unlisted``, any subset of the other children (the canonical top
    trading cycles rule lets a setting point at them).

    Parameters
    ----------
    preferences : sequence of sequence of int, or array_like of shape (N, L)
        Ragged lists or a -1 padded array.
    n_children, n_settings : int, optional
        N and M; inferred from ``preferences`` when omitted.
    include_unlisted : bool, default True

    Returns
    -------
    SearchStrategy of list of list of int
        Shrinks towards no extra children and priority by child index.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import priority_lists
    >>> find(priority_lists([[0], [1]]), lambda p: len(p[0]) == 2)
    [[0, 1], [1]]
    """
    rows = [[int(s) for s in r if s >= 0] for r in preferences]
    n = len(rows) if n_children is None else _check_int("n_children", n_children)
    if n != len(rows):
        raise InvalidArgument(
            f"n_children={n} does not match the {len(rows)} preference rows"
        )
    need = max((max(r) + 1 for r in rows if r), default=0)
    m = need if n_settings is None else _check_int("n_settings", n_settings)
    if m < need:
        raise InvalidArgument(
            f"n_settings={m}: the preferences rank setting {need - 1}"
        )
    inc = _check_bool("include_unlisted", include_unlisted)
    listers = _listers(rows, m)

    def one(s: int) -> st.SearchStrategy[list[int]]:
        others = sorted(set(range(n)) - set(listers[s]))
        extra: st.SearchStrategy[list[int]] = (
            st.lists(st.sampled_from(others), unique=True)
            if inc and others
            else st.just([])
        )
        return extra.flatmap(lambda e: st.permutations(sorted(listers[s] + e))).map(
            list
        )

    return st.tuples(*(one(s) for s in range(m))).map(list)


def orders(n_children: int) -> st.SearchStrategy[NDArray[np.int64]]:
    """Processing orders: permutations of ``range(n_children)``.

    Parameters
    ----------
    n_children : int

    Returns
    -------
    SearchStrategy of ndarray of int64, shape (N,)
        Shrinks towards ``0, 1, ..., N - 1``.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import orders
    >>> find(orders(3), lambda o: o[0] == 2)
    array([2, ...])
    """
    n = _check_int("n_children", n_children)
    return st.permutations(list(range(n))).map(lambda xs: np.array(xs, dtype=np.int64))


# --------------------------------------------------------------------------- problems
@st.composite
def _problems(
    draw: st.DrawFn,
    lo_n: int,
    hi_n: int,
    lo_m: int,
    hi_m: int,
    lo_l: int,
    hi_l: int,
    lo_c: int,
    hi_c: int,
    kind: Priorities,
    random_order: bool,
) -> Problem:
    # Shrinking deletes a child only by deleting a contiguous run of at most
    # five choices (hypothesis's node deletion passes), so the draws are laid
    # out to make that one short deletion that leaves every other draw's
    # meaning unchanged:
    #
    # * Everything about a setting is drawn first, once per possible setting
    #   (an "id" in range(max_settings)): its places, a label key and whether
    #   it exists even if no list ranks it. Nothing after the children depends
    #   on how many children or settings were drawn.
    # * Everything about a child is one element of one list: a processing-order
    #   key (first, so the order shrinks to the identity before priorities do),
    #   a common-priority key, its ranked settings (each with the child's
    #   priority key there) and, for strict priorities, the unlisted settings
    #   that still rank it (again with a key). A child with an empty list is
    #   four choices.
    # * The settings are the ids some list ranks plus the flagged ones (plus the
    #   lowest other ids up to min_settings), so an unused setting disappears
    #   with the last list that ranks it and an extra one shrinks away with its
    #   flag. They are labelled by label key (which shrinks to 0), then by first
    #   appearance in the lists, then by id.
    # * Keys shrink to 0 and ties go to the lower child index, so deleting a
    #   child keeps everyone else's relative order.
    ids = st.integers(0, max(hi_m - 1, 0))
    key = st.integers(0, hi_n)
    places = draw(st.tuples(*[st.integers(lo_c, hi_c)] * hi_m))
    label_key = draw(st.tuples(*[ids] * hi_m))
    flagged = draw(st.tuples(*[st.booleans()] * hi_m))
    entry = st.tuples(ids, key) if kind == "strict" else st.tuples(ids)
    row = st.lists(
        entry,
        min_size=lo_l,
        max_size=min(hi_l, hi_m),
        unique_by=lambda e: e[0],
    )
    extra = st.lists(st.tuples(ids, key), max_size=hi_m, unique_by=lambda e: e[0])
    nothing: st.SearchStrategy[list[tuple[int, int]]] = st.just([])
    child = st.tuples(
        key if random_order else st.just(0),
        key if kind == "common" else st.just(0),
        row,
        extra if kind == "strict" else nothing,
    )
    drawn = draw(st.lists(child, min_size=lo_n, max_size=hi_n))
    n = len(drawn)

    first: dict[int, int] = {}
    for _, _, r, _ in drawn:
        for e in r:
            first.setdefault(e[0], len(first))
    exists = [x in first or flagged[x] for x in range(hi_m)]
    for x in range(hi_m):
        if sum(exists) >= lo_m:
            break
        exists[x] = True
    used = sorted(
        (x for x in range(hi_m) if exists[x]),
        key=lambda x: (label_key[x], first.get(x, len(first) + x)),
    )
    label = {x: s for s, x in enumerate(used)}
    m = len(used)
    prefs = [[label[e[0]] for e in r] for _, _, r, _ in drawn]
    cap = [places[x] for x in used]

    def by_key(keys: list[int]) -> list[int]:
        return sorted(range(len(keys)), key=lambda i: (keys[i], i))

    order = by_key([c[0] for c in drawn]) if random_order else None
    priorities: list[list[int]] | list[int] | None = None
    if kind == "strict":
        # (key, child) for each child a setting ranks: its listers and the
        # unlisted children it ranks anyway.
        ranked: list[list[tuple[int, int]]] = [[] for _ in range(m)]
        for i, (_, _, r, more) in enumerate(drawn):
            for x, k in r:
                ranked[label[x]].append((k, i))
            for x, k in more:
                if x in label and all(x != e[0] for e in r):
                    ranked[label[x]].append((k, i))
        priorities = [[i for _, i in sorted(ks)] for ks in ranked]
    elif kind == "common" and n:
        priorities = by_key([c[1] for c in drawn])
    return Problem.from_lists(cap, prefs, priorities=priorities, order=order)


def problems(
    *,
    min_children: int = 0,
    max_children: int = 5,
    min_settings: int = 1,
    max_settings: int = 4,
    min_list: int = 0,
    max_list: int = 3,
    min_capacity: int | None = None,
    max_capacity: int | None = None,
    capacity: int | None = None,
    priorities: Priorities = "strict",
    allow_empty_lists: bool = True,
    random_order: bool = True,
) -> st.SearchStrategy[Problem]:
    """Valid allocation problems.

    Parameters
    ----------
    min_children, max_children : int
        Bounds on N, the number of children.
    min_settings, max_settings : int
        Bounds on M, the number of settings.
    min_list, max_list : int
        Bounds on each parent's list length (never more than M).
    min_capacity, max_capacity : int, default 0 and 2
        Bounds on each setting's free places.
    capacity : int, optional
        The same fixed number of free places at every setting, instead of
        ``min_capacity`` and ``max_capacity`` (giving either of those with it
        is an error).
    priorities : {"strict", "common", "none"}
        ``"strict"``: each setting has its own priority list, which ranks every
        child who lists it and possibly others. ``"common"``: one priority order
        for every setting. ``"none"``: no priorities given, so every setting
        ranks children by the processing order.
    allow_empty_lists : bool, default True
        If False, every parent ranks at least one setting (and M >= 1).
    random_order : bool, default True
        Draw the processing order; if False it is ``0, 1, ..., N - 1``.

    Returns
    -------
    SearchStrategy of Problem
        Shrinks towards fewer settings, fewer children, smaller capacity,
        shorter lists and priorities and order by index.

    Raises
    ------
    hypothesis.errors.InvalidArgument
        At once, if an argument has the wrong type or the bounds conflict, or
        ``capacity`` is given with ``min_capacity`` or ``max_capacity``.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import problems
    >>> p = find(problems(), lambda p: p.n_children >= 1)
    >>> p, p.preferences.tolist()
    (Problem(n_children=1, n_settings=1, places=0, max_list=0), [[]])

    One place at every setting:

    >>> find(problems(capacity=1), lambda p: p.n_settings == 3).capacity
    array([1, 1, 1], dtype=int32)
    """
    lo_n = _check_int("min_children", min_children)
    hi_n = _check_int("max_children", max_children)
    _check_range("children", lo_n, hi_n)
    lo_m = _check_int("min_settings", min_settings)
    hi_m = _check_int("max_settings", max_settings)
    _check_range("settings", lo_m, hi_m)
    lo_l = _check_int("min_list", min_list)
    hi_l = _check_int("max_list", max_list)
    _check_range("list", lo_l, hi_l)
    if capacity is None:
        lo_c = 0 if min_capacity is None else _check_int("min_capacity", min_capacity)
        hi_c = 2 if max_capacity is None else _check_int("max_capacity", max_capacity)
        _check_range("capacity", lo_c, hi_c)
    else:
        for name, bound in (
            ("min_capacity", min_capacity),
            ("max_capacity", max_capacity),
        ):
            if bound is not None:
                raise InvalidArgument(
                    f"capacity={capacity!r} and {name}={bound!r} both given; "
                    "capacity fixes every setting's places, so pass one or the other"
                )
        lo_c = hi_c = _check_int("capacity", capacity)
    kind = _check_priorities(priorities)
    if not _check_bool("allow_empty_lists", allow_empty_lists):
        lo_l = max(lo_l, 1)
        if hi_l < 1:
            raise InvalidArgument(
                "allow_empty_lists=False needs max_list >= 1, got max_list=0"
            )
    _check_bool("random_order", random_order)
    if hi_n > 0 and lo_l > hi_m:
        raise InvalidArgument(
            f"min_list={lo_l} (at least 1 when allow_empty_lists=False) exceeds "
            f"max_settings={hi_m}: a list cannot rank more settings than there are"
        )
    return _problems(lo_n, hi_n, lo_m, hi_m, lo_l, hi_l, lo_c, hi_c, kind, random_order)


# ------------------------------------------------------------------------- allocations
@st.composite
def _allocations(
    draw: st.DrawFn, problem: Problem, feasible: bool, within_lists: bool
) -> Allocation:
    n, m = problem.n_children, problem.n_settings
    remaining = problem.capacity.astype(np.int64).copy()
    out = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if within_lists:
            options = [int(s) for s in problem.preferences[i] if s >= 0]
        else:
            options = list(range(m))
        if feasible:
            options = [s for s in options if remaining[s] > 0]
        s = draw(st.sampled_from([-1, *options]))
        out[i] = s
        if s >= 0:
            remaining[s] -= 1
    return Allocation.from_assignment(problem, out, mechanism="hypothesis")


def allocations(
    problem: Problem, *, feasible: bool = True, within_lists: bool = True
) -> st.SearchStrategy[Allocation]:
    """Allocations of a given problem.

    Parameters
    ----------
    problem : Problem
    feasible : bool, default True
        Respect every setting's capacity.
    within_lists : bool, default True
        Place children only at settings their parent ranked.

    Returns
    -------
    SearchStrategy of Allocation
        Shrinks towards leaving children unplaced.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import allocations
    >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0]])
    >>> find(allocations(p), lambda a: a.placed.all()).assignment
    array([1, 0], dtype=int32)
    """
    prob = _check_problem(problem)
    return _allocations(
        prob,
        _check_bool("feasible", feasible),
        _check_bool("within_lists", within_lists),
    )


# ------------------------------------------------------------------------- scenarios
_COORD = st.floats(0.0, 50.0, allow_nan=False, allow_infinity=False)


@st.composite
def _settings_tables(draw: st.DrawFn, lo: int, hi: int, hi_c: int) -> Settings:
    m = draw(st.integers(lo, hi))
    ages = [
        sorted(draw(st.tuples(st.integers(0, 25), st.integers(0, 25))))
        for _ in range(m)
    ]
    return Settings.from_columns(
        id=[f"s{j}" for j in range(m)],
        kind=[draw(st.sampled_from(KINDS)) for _ in range(m)],
        min_age=[a[0] for a in ages],
        max_age=[a[1] for a in ages],
        capacity=[draw(st.integers(0, hi_c)) for _ in range(m)],
        x_km=[draw(_COORD) for _ in range(m)],
        y_km=[draw(_COORD) for _ in range(m)],
        needs=[
            draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True))
            for _ in range(m)
        ],
    )


def settings_tables(
    *, min_settings: int = 1, max_settings: int = 4, max_capacity: int = 3
) -> st.SearchStrategy[Settings]:
    """Small, valid :class:`~sendalloc.population.Settings` tables.

    Parameters
    ----------
    min_settings, max_settings : int
        Bounds on the number of rows.
    max_capacity : int
        Upper bound on each setting's places.

    Returns
    -------
    SearchStrategy of Settings
        Kinds, age ranges, needs designations (at most two codes) and
        locations in a 50 km square; shrinks towards few, empty settings.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import settings_tables
    >>> find(settings_tables(), lambda t: len(t.id) == 2).id
    ('s0', 's1')
    """
    lo = _check_int("min_settings", min_settings)
    hi = _check_int("max_settings", max_settings)
    _check_range("settings", lo, hi)
    return _settings_tables(lo, hi, _check_int("max_capacity", max_capacity))


@st.composite
def _children_tables(draw: st.DrawFn, lo: int, hi: int) -> Children:
    n = draw(st.integers(lo, hi))
    return Children.from_columns(
        id=[f"c{i}" for i in range(n)],
        need=[draw(st.sampled_from(NEEDS)) for _ in range(n)],
        age=[draw(st.integers(0, 25)) for _ in range(n)],
        x_km=[draw(_COORD) for _ in range(n)],
        y_km=[draw(_COORD) for _ in range(n)],
        plan_day=[draw(st.integers(1, 365)) for _ in range(n)],
        severity=[draw(st.floats(0.0, 1.0)) for _ in range(n)],
        specialist=[draw(st.booleans()) for _ in range(n)],
        transfer=[draw(st.booleans()) for _ in range(n)],
    )


def children_tables(
    *, min_children: int = 0, max_children: int = 5
) -> st.SearchStrategy[Children]:
    """Small, valid :class:`~sendalloc.population.Children` tables.

    Parameters
    ----------
    min_children, max_children : int
        Bounds on the number of rows.

    Returns
    -------
    SearchStrategy of Children
        Needs, ages 0-25, homes in a 50 km square, plan days, severities and
        flags; shrinks towards few children with the first need code.

    Examples
    --------
    >>> from hypothesis import find
    >>> from sendalloc.testing.strategies import children_tables
    >>> find(children_tables(), lambda t: t.n == 1).need
    array([0], dtype=int8)
    """
    lo = _check_int("min_children", min_children)
    hi = _check_int("max_children", max_children)
    _check_range("children", lo, hi)
    return _children_tables(lo, hi)
