"""Tests of sendalloc.properties: hand-worked cases and brute-force cross-checks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sendalloc as sa
from sendalloc import properties as P
from sendalloc.testing import strategies as sst

FAST = settings(max_examples=150, deadline=None)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def crossed() -> sa.Problem:
    """Two children who both prefer setting 0; setting 0 ranks child 1 first."""
    return sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]], priorities=[[1, 0], [0, 1]])


@pytest.fixture
def swap() -> sa.Problem:
    """Two children each placed at the other's first choice would swap."""
    return sa.Problem.from_lists([1, 1], [[0, 1], [1, 0]])


# --------------------------------------------------------------------------- input
def test_accepts_allocation_or_array(crossed: sa.Problem) -> None:
    a = sa.Allocation.from_assignment(crossed, [1, 0])
    assert P.is_stable(crossed, a)
    assert P.is_stable(crossed, [1, 0])
    assert P.is_stable(crossed, np.array([1, 0], dtype=np.int8))


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([0], r"assignment: expected shape \(2,\)"),
        ([[0, 1]], r"expected a 1-D array"),
        ([0.5, 1], r"assignment\[0\] = 0.5: expected an integer"),
        ([0, -2], r"assignment\[1\] = -2: not a setting index"),
        ([0, 2], r"assignment\[1\] = 2: not a setting index in \[0, 2\) or -1"),
        (["a", 0], r"expected integers"),
    ],
)
def test_malformed_assignment_raises(
    crossed: sa.Problem, bad: object, match: str
) -> None:
    with pytest.raises(sa.InvalidProblemError, match=match):
        P.blocking_pairs(crossed, bad)  # type: ignore[arg-type]


def test_is_feasible_judges_out_of_range_index(crossed: sa.Problem) -> None:
    assert not P.is_feasible(crossed, [0, 2])
    with pytest.raises(sa.InvalidProblemError, match="assignment"):
        P.is_feasible(crossed, [0, -3])


def test_allocation_of_another_problem_is_refused(crossed: sa.Problem) -> None:
    other = sa.Problem.from_lists([1], [[0]])
    a = sa.allocate(other, "first_available")
    with pytest.raises(sa.InvalidProblemError, match="another problem"):
        P.is_stable(crossed, a)


def test_problem_type_checked() -> None:
    with pytest.raises(sa.InvalidProblemError, match="expected a Problem"):
        P.is_feasible("p", [0])  # type: ignore[arg-type]


def test_empty_problem() -> None:
    p = sa.Problem.from_lists([], [])
    for f in (P.is_feasible, P.is_within_lists, P.is_stable, P.is_non_wasteful):
        assert f(p, [])
    assert P.is_pareto_efficient(p, [])
    assert P.blocking_pairs(p, []).shape == (0, 2)
    assert P.justified_envy(p, []).shape == (0,)


# ----------------------------------------------------------------- hand-worked
def test_feasible_and_within_lists() -> None:
    p = sa.Problem.from_lists([1, 0], [[0, 1], [1]])
    assert P.is_feasible(p, [0, -1])
    assert not P.is_feasible(p, [0, 1])  # setting 1 has no places
    assert not P.is_feasible(p, [0, 0])
    assert P.is_within_lists(p, [0, 1])
    assert not P.is_within_lists(p, [-1, 0])  # child 1 did not rank setting 0


def test_blocking_pair_through_priority(crossed: sa.Problem) -> None:
    assert P.blocking_pairs(crossed, [0, 1]).tolist() == [[1, 0]]
    assert P.justified_envy(crossed, [0, 1]).tolist() == [False, True]
    assert not P.is_stable(crossed, [0, 1])
    assert P.is_non_wasteful(crossed, [0, 1])
    # The stable matching: child 1 takes 0 by priority, child 0 takes 1.
    assert P.blocking_pairs(crossed, [1, 0]).shape == (0, 2)
    assert P.is_stable(crossed, [1, 0])


def test_blocking_pair_through_free_place() -> None:
    p = sa.Problem.from_lists([1, 1], [[0, 1], [1]])
    # Child 0 wants free setting 0; child 1 wants 1, held by child 0 who has
    # priority there (by order), so that is no blocking pair.
    assert P.blocking_pairs(p, [1, -1]).tolist() == [[0, 0]]
    assert not P.is_non_wasteful(p, [1, -1])
    assert P.justified_envy(p, [1, -1]).tolist() == [False, False]
    assert P.blocking_pairs(p, [0, -1]).tolist() == [[1, 1]]
    assert P.is_stable(p, [0, 1])


def test_blocking_pairs_ordered_by_child_then_preference() -> None:
    p = sa.Problem.from_lists([1, 1, 1], [[0, 1, 2], [2, 1, 0]])
    assert P.blocking_pairs(p, [2, -1]).tolist() == [[0, 0], [0, 1], [1, 1], [1, 0]]


def test_priority_with_unlisted_children_in_lists() -> None:
    # Setting 0 ranks child 2 first though child 2 did not list it; child 2
    # placed there off-list has top priority, so child 0 has no envy.
    p = sa.Problem.from_lists([1, 1], [[0], [1], [1]], priorities=[[2, 0], [1, 2]])
    assert P.justified_envy(p, [-1, 1, 0]).tolist() == [False, False, False]
    assert not P.is_within_lists(p, [-1, 1, 0])
    assert not P.is_stable(p, [-1, 1, 0])
    # Child 2 at setting 1 blocks with... nothing: child 1 has priority there.
    assert P.is_stable(p, [0, 1, -1])


def test_off_list_child_not_ranked_loses_priority() -> None:
    p = sa.Problem.from_lists([1, 1], [[0], [1]], priorities=[[0], [1]])
    # Child 1 placed off-list at 0, which does not rank it: child 0 envies;
    # child 1 is not envious but wastes the free place at 1.
    assert P.justified_envy(p, [-1, 0]).tolist() == [True, False]
    assert P.blocking_pairs(p, [-1, 0]).tolist() == [[0, 0], [1, 1]]


def test_over_capacity_is_not_stable_or_efficient() -> None:
    p = sa.Problem.from_lists([1], [[0], [0]])
    assert not P.is_stable(p, [0, 0])
    assert not P.is_pareto_efficient(p, [0, 0])


def test_weak_priorities_ties_do_not_block() -> None:
    p = sa.Problem.from_arrays([1], [[0], [0]], priority=[[0], [0]], ties=True)
    assert P.is_stable(p, [0, -1])
    assert P.is_stable(p, [-1, 0])


# --------------------------------------------------------------------------- Pareto
def test_pareto_cycle_witness(swap: sa.Problem) -> None:
    assert P.is_pareto_efficient(swap, [0, 1])
    assert P.pareto_improvement(swap, [0, 1]) is None
    imp = P.pareto_improvement(swap, [1, 0])
    assert imp is not None
    assert imp.kind == "cycle"
    assert imp.moves == ((0, 1, 0), (1, 0, 1))
    assert imp.apply([1, 0]).tolist() == [0, 1]
    assert "trade places" in imp.describe(swap)
    assert not P.is_pareto_efficient(swap, [1, 0])


def test_pareto_cycle_of_three_among_others() -> None:
    # Children 0, 1, 2 sit at 1, 2, 0 and each wants the next; child 3 is happy.
    p = sa.Problem.from_lists([1, 1, 1, 1], [[0, 1], [1, 2], [2, 0], [3]])
    imp = P.pareto_improvement(p, [1, 2, 0, 3])
    assert imp is not None
    assert imp.kind == "cycle"
    assert sorted(m[0] for m in imp.moves) == [0, 1, 2]
    assert imp.apply([1, 2, 0, 3]).tolist() == [0, 1, 2, 3]


def test_pareto_waste_witness() -> None:
    p = sa.Problem.from_lists([1, 1], [[0, 1], [1]])
    imp = P.pareto_improvement(p, [0, -1])
    assert imp == P.ParetoImprovement("waste", ((1, -1, 1),))
    imp = P.pareto_improvement(p, [1, -1])
    assert imp is not None
    assert imp.kind == "waste"
    assert imp.moves[0] == (0, 1, 0)


def test_pareto_off_list_witness() -> None:
    p = sa.Problem.from_lists([1, 1], [[0], [1]])
    imp = P.pareto_improvement(p, [1, -1])
    assert imp == P.ParetoImprovement("off_list", ((0, 1, -1),))
    assert "did not rank" in imp.describe(p)


def test_stable_but_not_efficient() -> None:
    # The textbook case: DA's stable outcome is Pareto dominated.
    p = sa.Problem.from_lists(
        [1, 1, 1],
        [[1, 0, 2], [0, 1, 2], [0, 2, 1]],
        priorities=[[0, 2, 1], [2, 1, 0], [0, 1, 2]],
    )
    stable = [0, 1, 2]
    assert P.is_stable(p, stable)
    imp = P.pareto_improvement(p, stable)
    assert imp is not None
    assert imp.kind == "cycle"
    assert imp.apply(stable).tolist() == [1, 0, 2]


# ----------------------------------------------------------------- brute force
def _rows(p: sa.Problem) -> list[list[int]]:
    return [[int(s) for s in r if s >= 0] for r in p.preferences]


def _prio(p: sa.Problem, i: int, s: int) -> float:
    lst = p.priority_lists[s].tolist()
    return lst.index(i) if i in lst else float("inf")


def _utility(row: Sequence[int], s: int) -> int:
    if s < 0:
        return 0
    return len(row) - row.index(s) if s in row else -1


def bf_feasible(p: sa.Problem, a: Sequence[int]) -> bool:
    if any(s >= p.n_settings for s in a):
        return False
    return all(
        sum(1 for x in a if x == s) <= p.capacity[s] for s in range(p.n_settings)
    )


def bf_blocking(p: sa.Problem, a: Sequence[int]) -> set[tuple[int, int]]:
    rows, out = _rows(p), set()
    for i, row in enumerate(rows):
        for s in row:
            if _utility(row, s) <= _utility(row, a[i]):
                continue
            held = [j for j in range(len(a)) if a[j] == s]
            if len(held) < p.capacity[s] or any(
                _prio(p, j, s) > _prio(p, i, s) for j in held
            ):
                out.add((i, s))
    return out


def bf_envy(p: sa.Problem, a: Sequence[int]) -> list[bool]:
    rows = _rows(p)
    return [
        any(
            _utility(row, s) > _utility(row, a[i])
            and any(
                a[j] == s and _prio(p, j, s) > _prio(p, i, s) for j in range(len(a))
            )
            for s in row
        )
        for i, row in enumerate(rows)
    ]


def bf_waste(p: sa.Problem, a: Sequence[int]) -> bool:
    rows = _rows(p)
    return any(
        _utility(row, s) > _utility(row, a[i])
        and sum(1 for x in a if x == s) < p.capacity[s]
        for i, row in enumerate(rows)
        for s in row
    )


def all_allocations(p: sa.Problem) -> list[tuple[int, ...]]:
    """Every feasible, within-list allocation (tiny problems only)."""
    rows = _rows(p)
    out = []
    for a in itertools.product(*[[-1, *r] for r in rows]):
        if bf_feasible(p, a):
            out.append(a)
    return out


def bf_pareto(p: sa.Problem, a: Sequence[int]) -> bool:
    if not bf_feasible(p, a):
        return False
    rows = _rows(p)
    mine = [_utility(r, s) for r, s in zip(rows, a, strict=True)]
    for b in all_allocations(p):
        theirs = [_utility(r, s) for r, s in zip(rows, b, strict=True)]
        if all(x >= y for x, y in zip(theirs, mine, strict=True)) and theirs != mine:
            return False
    return True


SMALL = sst.problems(max_children=4, max_settings=3, max_list=3, max_capacity=2)


@st.composite
def problem_and_assignment(draw: st.DrawFn) -> tuple[sa.Problem, list[int]]:
    p = draw(SMALL)
    feasible = draw(st.booleans())
    within = draw(st.booleans())
    a = draw(sst.allocations(p, feasible=feasible, within_lists=within))
    return p, a.assignment.tolist()


@FAST
@given(problem_and_assignment())
def test_verifiers_match_brute_force(case: tuple[sa.Problem, list[int]]) -> None:
    p, a = case
    assert P.is_feasible(p, a) == bf_feasible(p, a)
    rows = _rows(p)
    assert P.is_within_lists(p, a) == all(
        s < 0 or s in r for s, r in zip(a, rows, strict=True)
    )
    pairs = P.blocking_pairs(p, a)
    assert {tuple(x) for x in pairs.tolist()} == bf_blocking(p, a)
    assert len(pairs) == len(bf_blocking(p, a))
    assert P.justified_envy(p, a).tolist() == bf_envy(p, a)
    assert P.is_non_wasteful(p, a) == (not bf_waste(p, a))
    assert P.is_stable(p, a) == (
        bf_feasible(p, a) and P.is_within_lists(p, a) and not bf_blocking(p, a)
    )


@FAST
@given(problem_and_assignment())
def test_pareto_matches_enumeration(case: tuple[sa.Problem, list[int]]) -> None:
    p, a = case
    assert P.is_pareto_efficient(p, a) == bf_pareto(p, a)
    imp = P.pareto_improvement(p, a)
    if bf_feasible(p, a):
        assert (imp is None) == bf_pareto(p, a)
    if imp is not None and bf_feasible(p, a):
        b = imp.apply(a).tolist()
        rows = _rows(p)
        assert bf_feasible(p, b)
        before = [_utility(r, s) for r, s in zip(rows, a, strict=True)]
        after = [_utility(r, s) for r, s in zip(rows, b, strict=True)]
        assert all(x >= y for x, y in zip(after, before, strict=True))
        assert after != before
        # Children not moved keep their place.
        moved = {m[0] for m in imp.moves}
        assert all(a[i] == b[i] for i in range(len(a)) if i not in moved)


@FAST
@given(SMALL)
def test_first_available_judged_efficient(p: sa.Problem) -> None:
    a = sa.allocate(p, "first_available")
    assert P.is_feasible(p, a)
    assert P.is_within_lists(p, a)
    assert P.is_non_wasteful(p, a)
    assert P.is_pareto_efficient(p, a)


# --------------------------------------------------------------------------- scale
def test_vectorised_on_a_large_problem() -> None:
    rng = np.random.default_rng(7)
    n, m, width = 200_000, 500, 10
    base = np.stack([rng.choice(m, width, replace=False) for _ in range(64)])
    prefs = (base[rng.integers(0, 64, n)] + rng.integers(0, m, n)[:, None]) % m
    prefs[rng.random(n) < 0.2, 6:] = -1
    cap = rng.integers(0, 300, m)
    p = sa.Problem.from_arrays(cap, prefs)
    a = sa.allocate(p, "first_available")
    # With no priorities every setting ranks by order, so serial dictatorship
    # in that order is stable, and it is always Pareto efficient.
    assert P.is_stable(p, a)
    assert P.is_pareto_efficient(p, a)
    shuffled = a.assignment.copy()
    rng.shuffle(shuffled)
    # The pairs agree with a plain reading of the definition on a sample of
    # children: every setting ranked above the child's place that has a free
    # place or holds a child processed later (no priorities: order decides).
    pairs = P.blocking_pairs(p, shuffled)
    posn = np.empty(n, dtype=np.int64)
    posn[p.order] = np.arange(n)
    held = shuffled >= 0
    occupancy = np.bincount(shuffled[held], minlength=m)
    latest = np.full(m, -1)
    np.maximum.at(latest, shuffled[held], posn[held])
    starts = np.searchsorted(pairs[:, 0], np.arange(n + 1))
    for i in rng.choice(n, 300, replace=False).tolist():
        row = [int(s) for s in p.preferences[i] if s >= 0]
        own = int(shuffled[i])
        above = row[: row.index(own)] if own in row else row
        want = [s for s in above if occupancy[s] < cap[s] or latest[s] > posn[i]]
        assert pairs[starts[i] : starts[i + 1], 1].tolist() == want, i
    assert len(pairs) > 0
    imp = P.pareto_improvement(p, shuffled)
    assert imp is not None
