"""The planner's benchmark: optimality, tie-breaking and label invariance.

Optimality is judged against networkx's min-cost max-flow (tests/reference.py);
the tie-break rule (the earliest placed set in processing order) against brute
force enumeration of every optimal allocation of tiny problems.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings

import reference as ref
import sendalloc as sa
import sendalloc.testing as sat
from gen import random_problem, small_problems
from sendalloc import Problem
from sendalloc.mechanisms.max_placement import max_placement_kernel

SMALL = settings(max_examples=300, deadline=None)


def value(a: sa.Allocation) -> tuple[int, int]:
    """(children placed, total rank)."""
    return int(a.placed.sum()), int(a.rank[a.placed].sum())


def check_feasible(p: Problem, a: sa.Allocation) -> None:
    assert a.mechanism == "max_placement"
    assert (a.rank[a.placed] >= 0).all()
    assert (a.occupancy <= p.capacity).all()


# ------------------------------------------------------------ optimality
@SMALL
@given(p=small_problems())
def test_optimal_against_networkx_on_small_problems(p: Problem) -> None:
    a = sa.allocate(p, "max_placement")
    check_feasible(p, a)
    assert value(a) == ref.max_placement_value(p)


@pytest.mark.parametrize("seed", range(30))
def test_optimal_against_networkx_on_seeded_problems(seed: int) -> None:
    n = 3000 if seed % 10 == 9 else 150 + 40 * seed  # N from 150 to 3,000
    p = random_problem(1000 + seed, n=n)
    a = sa.allocate(p, "max_placement")
    check_feasible(p, a)
    assert value(a) == ref.max_placement_value(p)


@pytest.mark.parametrize("seed", range(3))
def test_py_func_agrees_with_compiled_kernel(seed: int) -> None:
    p = random_problem(seed, n=250)
    args = (p.capacity, p.preferences, p.order)
    compiled = max_placement_kernel(*args)
    python = max_placement_kernel.py_func(*args)  # type: ignore[attr-defined]
    assert compiled.dtype == python.dtype == np.int32
    np.testing.assert_array_equal(compiled, python)


@settings(max_examples=100, deadline=None)
@given(p=small_problems())
def test_places_no_fewer_than_first_available_or_deferred_acceptance(
    p: Problem,
) -> None:
    best = int(sa.allocate(p, "max_placement").placed.sum())
    for other in ("first_available", "deferred_acceptance"):
        assert best >= int(sa.allocate(p, other).placed.sum())


@pytest.mark.parametrize("seed", range(5))
def test_places_no_fewer_on_seeded_problems(seed: int) -> None:
    p = random_problem(seed, n=2000)
    best = int(sa.allocate(p, "max_placement").placed.sum())
    for other in ("first_available", "deferred_acceptance"):
        assert best >= int(sa.allocate(p, other).placed.sum())


# ------------------------------------------------------------ label invariance
@SMALL
@given(p=small_problems())
def test_label_invariant_on_small_problems(p: Problem) -> None:
    # Renumber children (order follows) and settings; the answer maps back.
    sat.assert_label_invariant("max_placement", p, trials=3)


@pytest.mark.parametrize("seed", range(4))
def test_label_invariant_on_seeded_problems(seed: int) -> None:
    sat.assert_label_invariant(
        "max_placement", random_problem(seed, n=800), seed=seed, trials=2
    )


# ------------------------------------------------------------ the tie-break rule
def optimal_allocations(p: Problem) -> list[tuple[int, ...]]:
    """Every allocation placing the most children with the least total rank."""
    rows = ref.prefs_of(p)
    cap = p.capacity.tolist()
    best: tuple[int, int] | None = None
    out: list[tuple[int, ...]] = []
    for a in itertools.product(*[[-1, *r] for r in rows]):
        used = [0] * len(cap)
        for s in a:
            if s >= 0:
                used[s] += 1
        if any(u > c for u, c in zip(used, cap, strict=True)):
            continue
        placed = sum(s >= 0 for s in a)
        rank = sum(r.index(s) for r, s in zip(rows, a, strict=True) if s >= 0)
        key = (-placed, rank)
        if best is None or key < best:
            best, out = key, [a]
        elif key == best:
            out.append(a)
    return out


def placed_positions(p: Problem, a: tuple[int, ...] | list[int]) -> list[int]:
    """Processing positions of the placed children, earliest first."""
    pos = {c: t for t, c in enumerate(p.order.tolist())}
    return sorted(pos[c] for c, s in enumerate(a) if s >= 0)


@settings(max_examples=150, deadline=None)
@given(p=small_problems(max_children=6, max_settings=4, max_capacity=2))
def test_placed_set_is_the_earliest_among_optimal_allocations(p: Problem) -> None:
    got = sa.allocate(p, "max_placement").assignment.tolist()
    optima = optimal_allocations(p)
    assert tuple(got) in optima
    # Lexicographically earliest set of processing positions; the minimum over
    # optima is attained by exactly one placed set (a matroid's unique
    # lexicographically first base).
    earliest = min(placed_positions(p, a) for a in optima)
    assert placed_positions(p, got) == earliest


def test_tie_break_on_a_hand_worked_example() -> None:
    # Oak 1, Elm 1. amy: Oak Elm; ben: Oak; cat: Elm.
    # At most 2 can be placed (2 places). Placing 2 with total rank 0:
    # {ben Oak, cat Elm} or {amy Oak, cat Elm}; {amy Elm, ben Oak} has rank 1
    # and is never chosen. cat is in both optimal sets; the other place goes to
    # whichever of amy and ben the LA processes first.
    prefs = {"amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm"]}
    cap = {"Oak": 1, "Elm": 1}

    def run(order: list[str]) -> dict[object, object]:
        p = Problem.from_dicts(cap, prefs, order=order)
        return sa.allocate(p, "max_placement").to_dict()

    amy_first = {"amy": "Oak", "ben": None, "cat": "Elm"}
    ben_first = {"amy": None, "ben": "Oak", "cat": "Elm"}
    assert run(["amy", "ben", "cat"]) == amy_first
    assert run(["cat", "amy", "ben"]) == amy_first
    assert run(["ben", "amy", "cat"]) == ben_first
    assert run(["cat", "ben", "amy"]) == ben_first
    # Ranks come before the order: with one place, the child for whom it is a
    # first choice gets it even if processed last.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 0},
        {"amy": ["Elm", "Oak"], "ben": ["Oak"]},
        order=["amy", "ben"],
    )
    assert sa.allocate(p, "max_placement").to_dict() == {"amy": None, "ben": "Oak"}


# ------------------------------------------------------------ edge cases
def test_edge_cases() -> None:
    def run(cap: list[int], prefs: list[list[int]]) -> list[int]:
        p = Problem.from_lists(cap, prefs)
        return sa.allocate(p, "max_placement").assignment.tolist()

    assert run([2, 0], []) == []  # no children
    assert run([1, 1], [[], []]) == [-1, -1]  # empty lists
    assert run([0, 0], [[0, 1], [1]]) == [-1, -1]  # no places
    assert run([0, 3], [[0], [0, 1], []]) == [-1, 1, -1]
    assert run([1, 5, 2], [[2], [2], [2]]) == [2, 2, -1]  # unranked settings
    assert run([3], [[0], [0]]) == [0, 0]  # more places than children


def test_does_not_modify_its_input() -> None:
    p = random_problem(7, n=400)
    before = [a.copy() for a in (p.capacity, p.preferences, p.order)]
    first = sa.allocate(p, "max_placement").assignment
    second = sa.allocate(p, "max_placement", rng=5).assignment
    np.testing.assert_array_equal(first, second)
    for x, y in zip(before, (p.capacity, p.preferences, p.order), strict=True):
        np.testing.assert_array_equal(x, y)
