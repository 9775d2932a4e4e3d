"""The theorems each shipped mechanism should satisfy, checked through properties.

EXPECTED tables, for every registered mechanism, which of stability,
non-wastefulness, Pareto efficiency and strategy-proofness it has; each
property it lacks is shown by a witness. Every mechanism is judged by
sendalloc.properties and sendalloc.testing only, never by its own code.
Stable matchings are enumerated by brute force on tiny problems to check
child-optimality, child-pessimality and the rural hospitals theorem.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import sendalloc as sa
import sendalloc.testing as sat
from sendalloc import properties as P
from sendalloc.testing import strategies as sst

FAST = settings(max_examples=60, deadline=None)
TINY = sst.problems(max_children=4, max_settings=3, max_list=3, max_capacity=2)

# --------------------------------------------------------- expected-property table
# Every registered mechanism against four properties, as the literature has it.
# True is a theorem, checked under hypothesis; False must have a witness, found
# by hypothesis.find and confirmed by the sendalloc.testing assertion. Problems
# come from sst.problems with strict per-setting priorities (no ties), so the
# tie-breaking variants run as plain deferred acceptance. "pareto_efficient" is
# with respect to the stated lists; "strategyproof" is for children (parents),
# at one fixed draw (rng=0), over every reordering and truncation of a list.
PROPERTIES = ("stable", "non_wasteful", "pareto_efficient", "strategyproof")
EXPECTED: dict[str, tuple[bool, bool, bool, bool]] = {
    #                     (stable, non_wasteful, pareto_efficient, strategyproof)
    # Serial dictatorship: Pareto efficient and strategy-proof (Satterthwaite &
    # Sonnenschein 1981; Abdulkadiroglu & Sonmez 1998). A place still free at the
    # end was free when each child chose, so no waste; priorities are ignored.
    "first_available": (False, True, True, True),
    # The same, at the order drawn from rng=0 (misreports do not change it).
    "random_serial_dictatorship": (False, True, True, True),
    # Immediate acceptance: Pareto efficient for the stated lists, manipulable,
    # not stable (Abdulkadiroglu & Sonmez 2003; Ergin & Sonmez 2006). Not
    # wasteful either: a child applies to a setting in round k only after every
    # setting ranked higher rejected them when full, and acceptances are final,
    # so those settings stay full.
    "boston": (False, True, True, False),
    # Skips settings full at the start of a round: non-wasteful, neither
    # strategy-proof nor stable (Mennle & Seuken 2014). Pareto efficient for the
    # stated lists by the same round argument: every setting a child ranks
    # above their own was filled by children placed in earlier rounds.
    "adaptive_boston": (False, True, True, False),
    # Stable (Gale & Shapley 1962), strategy-proof for the proposing side
    # (Dubins & Freedman 1981; Roth 1982), not Pareto efficient (Roth 1982;
    # Abdulkadiroglu & Sonmez 2003). Stable implies non-wasteful.
    "deferred_acceptance": (True, True, False, True),
    # Stable (Gale & Shapley 1962) but children, the receiving side, can gain
    # by truncating (Roth 1982); child-pessimal, so not Pareto efficient.
    "setting_proposing_deferred_acceptance": (True, True, False, False),
    # Pareto efficient and strategy-proof, not stable (Abdulkadiroglu & Sonmez
    # 2003). A child points at their best setting with a place left until they
    # leave, so no ranked place is left free above their own.
    "top_trading_cycles": (False, True, True, True),
    # Most children placed, then least total rank: a Pareto improvement would
    # place as many at a smaller total rank, and taking a free place would
    # place more or lower the total. Ignores priorities; a parent can gain by
    # truncating their list.
    "max_placement": (False, True, True, False),
    # Deferred acceptance after single / multiple tie-breaking: with strict
    # priorities no lottery is drawn, so the same as deferred acceptance
    # (Abdulkadiroglu, Pathak & Roth 2009).
    "deferred_acceptance_stb": (True, True, False, True),
    "deferred_acceptance_mtb": (True, True, False, True),
    # Stable improvement cycles: with strict priorities there is no cycle and
    # the result is deferred acceptance (Erdil & Ergin 2008).
    "stable_improvement_cycles": (True, True, False, True),
}
HOLDS = [
    pytest.param(name, prop, id=f"{name}-{prop}")
    for name, row in EXPECTED.items()
    for prop, ok in zip(PROPERTIES, row, strict=True)
    if ok
]
FAILS = [
    pytest.param(name, prop, id=f"{name}-{prop}")
    for name, row in EXPECTED.items()
    for prop, ok in zip(PROPERTIES, row, strict=True)
    if not ok
]
ALL = list(EXPECTED)


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


# ------------------------------------------------------------ the table, checked
TABLE_PROBLEMS = st.one_of(
    sst.problems(max_children=4, max_settings=3),
    # Crowded problems, where counter-examples are ten times as common: one
    # place at every setting, children who rank two or three settings.
    sst.problems(
        min_children=3,
        max_children=4,
        min_settings=2,
        max_settings=3,
        min_list=2,
        capacity=1,
    ),
)
# Deterministic, and without shrinking: the witness need not be minimal, and
# shrinking all of them would take most of the table's time budget.
WITNESS = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=1000,
    phases=[Phase.generate],
)
ASSERT = {
    "stable": sat.assert_stable,
    "non_wasteful": sat.assert_non_wasteful,
    "pareto_efficient": sat.assert_pareto_efficient,
}
VERIFY = {
    "stable": P.is_stable,
    "non_wasteful": P.is_non_wasteful,
    "pareto_efficient": P.is_pareto_efficient,
}
FAILURE = {
    "stable": "not stable: blocking pair",
    "non_wasteful": "wasteful: ",
    "pareto_efficient": "not Pareto efficient: ",
    "strategyproof": "not strategy-proof: ",
}


def _with_lists(p: sa.Problem, rows: list[list[int]]) -> sa.Problem:
    """The problem with other preference lists, all else the same."""
    return sa.Problem.from_lists(
        p.capacity.tolist(),
        rows,
        priorities=[lst.tolist() for lst in p.priority_lists],
        order=p.order.tolist(),
    )


def profitable_misreport(p: sa.Problem, name: str) -> bool:
    """Whether some child gains by reporting a reordered or truncated list."""
    rows = _rows(p)
    truth = run(p, name)
    for i, row in enumerate(rows):
        for k in range(len(row) + 1):
            for report in itertools.permutations(row, k):
                lie = run(
                    _with_lists(p, [*rows[:i], list(report), *rows[i + 1 :]]), name
                )
                if _rank(row, lie[i]) < _rank(row, truth[i]):
                    return True
    return False


def holds(p: sa.Problem, name: str, prop: str) -> bool:
    """Judged by sendalloc.properties (or the reference search above)."""
    if prop == "strategyproof":
        return not profitable_misreport(p, name)
    return bool(VERIFY[prop](p, sa.allocate(p, name, rng=0)))


def assert_holds(p: sa.Problem, name: str, prop: str) -> None:
    """Judged by the sendalloc.testing assertions."""
    if prop == "strategyproof":
        sat.assert_strategyproof(name, p)
    else:
        ASSERT[prop](p, sa.allocate(p, name, rng=0))


def test_table_covers_every_registered_mechanism() -> None:
    assert sorted(EXPECTED) == sorted(sa.MECHANISMS)


@pytest.mark.parametrize(("name", "prop"), HOLDS)
@settings(max_examples=100, deadline=None)
@given(problem=TABLE_PROBLEMS)
def test_expected_property_holds(name: str, prop: str, problem: sa.Problem) -> None:
    assert_holds(problem, name, prop)


@pytest.mark.parametrize(("name", "prop"), FAILS)
def test_expected_property_fails_with_witness(name: str, prop: str) -> None:
    try:
        witness = find(
            TABLE_PROBLEMS, lambda p: not holds(p, name, prop), settings=WITNESS
        )
    except NoSuchExample:
        pytest.fail(f"{name} should violate {prop}, but no witness was found")
    with pytest.raises(AssertionError, match=FAILURE[prop]):
        assert_holds(witness, name, prop)


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
# Pareto efficiency of each rule: see EXPECTED and test_expected_property_holds.
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
# Strategy-proofness of each rule: see EXPECTED and the two table tests.
def test_boston_manipulable_hand_example() -> None:
    # Both children rank setting 0 first; setting 0 prefers child 1. Child 0's
    # second choice (setting 1) is child 2's first choice, so Boston fills it
    # in round 1. Ranking setting 1 first secures it for child 0.
    p = sa.Problem.from_lists([1, 1], [[0, 1], [0], [1]], priorities=[[1, 0], [0, 2]])
    assert run(p, "boston") == [-1, 0, 1]
    with pytest.raises(AssertionError, match=r"reporting \[1\] instead gets setting 1"):
        sat.assert_strategyproof("boston", p)
