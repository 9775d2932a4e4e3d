"""The theorems each shipped mechanism should satisfy, checked through properties.

Every mechanism is judged by sendalloc.properties and sendalloc.testing only,
never by its own code. Stable matchings are enumerated by brute force on tiny
problems to check child-optimality, child-pessimality and the rural hospitals
theorem.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import find, given, settings

import sendalloc as sa
import sendalloc.testing as sat
from sendalloc import properties as P
from sendalloc.testing import strategies as sst

FAST = settings(max_examples=60, deadline=None)
FIND = settings(database=None, deadline=None, max_examples=2000)
TINY = sst.problems(max_children=4, max_settings=3, max_list=3, max_capacity=2)

ALL = [
    "first_available",
    "random_serial_dictatorship",
    "boston",
    "adaptive_boston",
    "deferred_acceptance",
    "setting_proposing_deferred_acceptance",
    "top_trading_cycles",
    "max_placement",
]


def need(name: str) -> str:
    """Skip the test if the mechanism is not (yet) registered."""
    if name not in sa.MECHANISMS:
        pytest.skip(f"mechanism {name!r} is not in sa.MECHANISMS")
    return name


def run(problem: sa.Problem, name: str) -> list[int]:
    return sa.allocate(problem, need(name), rng=0).assignment.tolist()


# ----------------------------------------------------------------- brute force
def _rows(p: sa.Problem) -> list[list[int]]:
    return [[int(s) for s in r if s >= 0] for r in p.preferences]


def _rank(row: Sequence[int], s: int) -> int:
    return row.index(s) if s >= 0 else len(row)


def stable_matchings(p: sa.Problem) -> list[tuple[int, ...]]:
    """Every stable matching of a tiny problem, by enumeration."""
    rows = _rows(p)
    out = []
    for a in itertools.product(*[[-1, *r] for r in rows]):
        if P.is_feasible(p, a) and P.is_stable(p, a):
            out.append(a)
    return out


# ------------------------------------------------------------------ every rule
@pytest.mark.parametrize("name", ALL)
@FAST
@given(problem=TINY)
def test_feasible_and_within_lists(name: str, problem: sa.Problem) -> None:
    a = sa.allocate(problem, need(name), rng=0)
    sat.assert_feasible(problem, a)
    sat.assert_within_lists(problem, a)


# random_serial_dictatorship draws its order by index (invariant only in
# distribution).
@pytest.mark.parametrize("name", [n for n in ALL if n != "random_serial_dictatorship"])
@settings(max_examples=25, deadline=None)
@given(problem=sst.problems(max_children=4, max_settings=3))
def test_label_invariant(name: str, problem: sa.Problem) -> None:
    sat.assert_label_invariant(need(name), problem, trials=2)


# --------------------------------------------------------------------------- stability
@FAST
@given(problem=TINY)
def test_deferred_acceptance_stable_and_child_optimal(problem: sa.Problem) -> None:
    a = run(problem, "deferred_acceptance")
    sat.assert_stable(problem, a)
    rows = _rows(problem)
    for b in stable_matchings(problem):
        for i, row in enumerate(rows):
            assert _rank(row, a[i]) <= _rank(row, b[i]), (i, a, b)


@FAST
@given(problem=TINY)
def test_setting_proposing_stable_and_child_pessimal(problem: sa.Problem) -> None:
    a = run(problem, "setting_proposing_deferred_acceptance")
    sat.assert_stable(problem, a)
    rows = _rows(problem)
    for b in stable_matchings(problem):
        for i, row in enumerate(rows):
            assert _rank(row, a[i]) >= _rank(row, b[i]), (i, a, b)


@FAST
@given(problem=TINY)
def test_rural_hospitals_theorem(problem: sa.Problem) -> None:
    matchings = stable_matchings(problem)
    assert matchings  # a stable matching always exists
    m = problem.n_settings
    placed = {tuple(s >= 0 for s in a) for a in matchings}
    occupancy = {
        tuple(np.bincount([s for s in a if s >= 0], minlength=m).tolist())
        for a in matchings
    }
    assert len(placed) == 1
    assert len(occupancy) == 1


def test_first_available_not_stable_witness() -> None:
    p = sa.Problem.from_lists([1], [[0], [0]], priorities=[[1, 0]])
    with pytest.raises(AssertionError, match=r"blocking pair \(child 1, setting 0\)"):
        sat.assert_stable(p, run(p, "first_available"))


# ------------------------------------------------------------------ efficiency
@pytest.mark.parametrize(
    "name", ["first_available", "random_serial_dictatorship", "top_trading_cycles"]
)
@FAST
@given(problem=TINY)
def test_pareto_efficient(name: str, problem: sa.Problem) -> None:
    sat.assert_pareto_efficient(problem, run(problem, name))


def test_deferred_acceptance_not_pareto_efficient_witness() -> None:
    p = sa.Problem.from_lists(
        [1, 1, 1],
        [[1, 0, 2], [0, 1, 2], [0, 2, 1]],
        priorities=[[0, 2, 1], [2, 1, 0], [0, 1, 2]],
    )
    a = run(p, "deferred_acceptance")
    assert a == [0, 1, 2]
    with pytest.raises(AssertionError, match=r"trade places"):
        sat.assert_pareto_efficient(p, a)


@FAST
@given(problem=sst.problems(max_children=5, priorities="none"))
def test_without_priorities_da_ttc_first_available_agree(problem: sa.Problem) -> None:
    fa = run(problem, "first_available")
    assert run(problem, "deferred_acceptance") == fa
    assert run(problem, "top_trading_cycles") == fa


@FAST
@given(problem=TINY)
def test_max_placement_places_most(problem: sa.Problem) -> None:
    best = sum(s >= 0 for s in run(problem, "max_placement"))
    for name in ALL:
        if name in sa.MECHANISMS:
            assert best >= sum(s >= 0 for s in run(problem, name)), name


# ------------------------------------------------------------------ incentives
@pytest.mark.parametrize("name", ["deferred_acceptance", "first_available"])
@settings(max_examples=40, deadline=None)
@given(problem=sst.problems(max_children=4, max_settings=3, max_list=3))
def test_strategyproof(name: str, problem: sa.Problem) -> None:
    sat.assert_strategyproof(need(name), problem)


def test_boston_manipulable_hand_example() -> None:
    # Both children rank setting 0 first; setting 0 prefers child 1. Child 0's
    # second choice (setting 1) is child 2's first choice, so Boston fills it
    # in round 1. Ranking setting 1 first secures it for child 0.
    p = sa.Problem.from_lists([1, 1], [[0, 1], [0], [1]], priorities=[[1, 0], [0, 2]])
    assert run(p, "boston") == [-1, 0, 1]
    with pytest.raises(AssertionError, match=r"reporting \[1\] instead gets setting 1"):
        sat.assert_strategyproof("boston", p)


def test_boston_manipulable_found_by_hypothesis() -> None:
    need("boston")

    def manipulable(p: sa.Problem) -> bool:
        try:
            sat.assert_strategyproof("boston", p)
        except AssertionError:
            return True
        return False

    p = find(sst.problems(max_children=3, max_settings=2), manipulable, settings=FIND)
    assert p.n_children <= 3
    assert p.n_settings == 2
