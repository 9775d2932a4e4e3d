"""Tests of sendalloc.testing: the strategies, the assertions, check_mechanism."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample

import sendalloc as sa
import sendalloc.testing as sat
from sendalloc import properties as P
from sendalloc.testing import strategies as sst
from sendalloc.testing._assertions import describe, rebuild, reproducer

FAST = settings(max_examples=60, deadline=None)
FIND = settings(database=None, deadline=None, derandomize=True)
TINY = sa.Problem.from_lists([1], [[0]])


# --------------------------------------------------------------------------- API
@pytest.mark.parametrize("module", [sat, sst])
def test_all_is_sorted_and_exists(module: Any) -> None:
    assert list(module.__all__) == sorted(module.__all__) or module is sat
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            assert obj.__doc__, name


def test_import_sendalloc_does_not_import_hypothesis() -> None:
    code = (
        "import sys, sendalloc\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('hypothesis', 'matplotlib', 'pandas', 'dask')]\n"
        "assert not bad, bad\n"
        "assert 'sendalloc.testing' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- strategies
BAD_ARGS: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (sst.problems, {"max_children": -1}),
    (sst.problems, {"min_children": 3, "max_children": 2}),
    (sst.problems, {"max_children": 1.5}),
    (sst.problems, {"max_children": True}),
    (sst.problems, {"min_settings": 2, "max_settings": 1}),
    (sst.problems, {"min_list": 2, "max_list": 1}),
    (sst.problems, {"min_list": 3, "max_settings": 2}),
    (sst.problems, {"min_capacity": 2, "max_capacity": 1}),
    (sst.problems, {"max_capacity": "2"}),
    (sst.problems, {"capacity": -1}),
    (sst.problems, {"capacity": 1.0}),
    (sst.problems, {"capacity": True}),
    (sst.problems, {"capacity": 1, "min_capacity": 0}),
    (sst.problems, {"capacity": 1, "max_capacity": 1}),
    (sst.problems, {"capacity": 0, "min_capacity": 0, "max_capacity": 2}),
    (sst.problems, {"priorities": "weak"}),
    (sst.problems, {"priorities": None}),
    (sst.problems, {"allow_empty_lists": "no"}),
    (sst.problems, {"allow_empty_lists": False, "max_list": 0}),
    (sst.problems, {"allow_empty_lists": False, "max_settings": 0}),
    (sst.problems, {"random_order": 1}),
    (sst.capacities, {"min_settings": -1}),
    (sst.capacities, {"min_capacity": 3, "max_capacity": 0}),
    (sst.preference_lists, {"n_children": 2, "n_settings": 1, "min_list": 2}),
    (sst.preference_lists, {"n_children": -2, "n_settings": 1}),
    (sst.preference_arrays, {"n_children": 1, "n_settings": None}),
    (sst.priority_arrays, {"preferences": [0, 1]}),
    (sst.priority_arrays, {"preferences": [[0.5]]}),
    (sst.priority_lists, {"preferences": [[1]], "n_settings": 1}),
    (sst.priority_lists, {"preferences": [[0]], "n_children": 2}),
    (sst.priority_lists, {"preferences": [[0]], "include_unlisted": None}),
    (sst.orders, {"n_children": -1}),
    (sst.orders, {"n_children": 2.0}),
    (sst.allocations, {"problem": "not a problem"}),
    (sst.settings_tables, {"min_settings": 3, "max_settings": 1}),
    (sst.settings_tables, {"max_capacity": -1}),
    (sst.children_tables, {"max_children": "5"}),
    (sst.allocations, {"problem": TINY, "feasible": 1}),
    (sst.allocations, {"problem": TINY, "within_lists": "yes"}),
]


@pytest.mark.parametrize(("function", "kwargs"), BAD_ARGS)
def test_bad_arguments_raise_at_once(
    function: Callable[..., Any], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgument):
        function(**kwargs)


def test_bad_argument_message_names_argument() -> None:
    with pytest.raises(InvalidArgument, match=r"min_children=3 is greater than"):
        sst.problems(min_children=3, max_children=2)
    with pytest.raises(InvalidArgument, match=r"priorities='weak': expected one of"):
        sst.problems(priorities="weak")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidArgument,
        match=r"capacity=1 and max_capacity=3 both given; capacity fixes every "
        r"setting's places",
    ):
        sst.problems(capacity=1, max_capacity=3)
    with pytest.raises(InvalidArgument, match=r"capacity=-1: expected an integer >= 0"):
        sst.problems(capacity=-1)


@FAST
@given(st.data())
def test_problems_respect_bounds(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["strict", "common", "none"]))
    empty = data.draw(st.booleans())
    p = data.draw(
        sst.problems(
            min_children=1,
            max_children=4,
            min_settings=2,
            max_settings=3,
            max_list=2,
            min_capacity=1,
            max_capacity=3,
            priorities=kind,  # type: ignore[arg-type]
            allow_empty_lists=empty,
        )
    )
    assert 1 <= p.n_children <= 4
    assert 2 <= p.n_settings <= 3
    assert ((p.capacity >= 1) & (p.capacity <= 3)).all()
    lengths = p.list_length
    assert (lengths <= 2).all()
    if not empty:
        assert (lengths >= 1).all()
    if kind == "none":
        assert p.has_common_priority
        assert p.plist_children.tolist() == p.order.tolist()
    elif kind == "common":
        assert p.has_common_priority
    # Round trip through the reproducer: the problem is valid and complete.
    again = eval(reproducer(p), {"sa": sa})
    for name in ("capacity", "preferences", "priority", "order"):
        assert np.array_equal(getattr(again, name), getattr(p, name)), name


@FAST
@given(st.data())
def test_problems_fixed_capacity(data: st.DataObject) -> None:
    c = data.draw(st.integers(0, 3))
    p = data.draw(sst.problems(max_children=3, capacity=c))
    assert (p.capacity == c).all()


def test_problems_capacity_defaults_when_not_given() -> None:
    # min_capacity / max_capacity keep their defaults, 0 and 2, when omitted.
    p = find(sst.problems(), lambda p: p.capacity.max() >= 2, settings=FIND)
    assert p.capacity.tolist() == [2]
    with pytest.raises(NoSuchExample):
        find(sst.problems(), lambda p: p.capacity.max() > 2, settings=FIND)
    p = find(sst.problems(min_capacity=1), lambda p: True, settings=FIND)
    assert p.capacity.tolist() == [1]


@FAST
@given(sst.problems(max_children=4, priorities="strict"))
def test_strict_priority_lists_rank_every_lister(p: sa.Problem) -> None:
    for s, lst in enumerate(p.priority_lists):
        listers = {i for i in range(p.n_children) if s in p.preferences[i]}
        assert listers <= set(lst.tolist())
        assert len(set(lst.tolist())) == len(lst)


def test_strict_priority_lists_can_include_unlisted_children() -> None:
    p = find(
        sst.problems(priorities="strict"),
        lambda p: any(
            len(lst) > sum(1 for r in p.preferences if s in r)
            for s, lst in enumerate(p.priority_lists)
        ),
        settings=FIND,
    )
    assert p.n_children == 1
    assert p.n_settings == 1


@FAST
@given(st.data())
def test_parts_compose_into_valid_problems(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 4))
    cap = data.draw(sst.capacities(min_settings=1, max_settings=3))
    m = cap.shape[0]
    prefs = data.draw(sst.preference_arrays(n_children=n, n_settings=m, max_list=2))
    prio = data.draw(sst.priority_arrays(prefs))
    order = data.draw(sst.orders(n))
    p = sa.Problem.from_arrays(cap, prefs, priority=prio, order=order)
    assert p.n_children == n
    lists = data.draw(sst.priority_lists(prefs, n_children=n, n_settings=m))
    q = sa.Problem.from_lists(
        cap, [[s for s in r if s >= 0] for r in prefs], priorities=lists or None
    )
    assert q.n_settings == m


@FAST
@given(st.data())
def test_allocations_are_what_they_claim(data: st.DataObject) -> None:
    p = data.draw(sst.problems(max_children=4))
    a = data.draw(sst.allocations(p))
    assert P.is_feasible(p, a)
    assert P.is_within_lists(p, a)
    b = data.draw(sst.allocations(p, feasible=False, within_lists=False))
    assert b.assignment.shape == (p.n_children,)
    assert ((b.assignment >= -1) & (b.assignment < p.n_settings)).all()


@FAST
@given(sst.settings_tables(), sst.children_tables())
def test_scenario_tables_are_valid(table: sa.Settings, children: sa.Children) -> None:
    assert 1 <= len(table.id) <= 4
    assert (table.min_age <= table.max_age).all()
    assert (table.capacity <= 3).all()
    assert 0 <= children.n <= 5
    assert ((children.plan_day >= 1) & (children.plan_day <= 365)).all()


def test_problems_shrink_to_one_child_one_setting() -> None:
    p = find(sst.problems(), lambda p: p.n_children >= 1, settings=FIND)
    assert (p.n_children, p.n_settings) == (1, 1)
    assert p.capacity.tolist() == [0]
    assert p.list_length.tolist() == [0]


def test_problems_shrink_to_minimal_unstable_example() -> None:
    # first_available ignores priorities: the smallest witness is two children
    # competing for one place that ranks them against the processing order.
    p = find(
        sst.problems(),
        lambda p: not P.is_stable(p, sa.allocate(p, "first_available")),
        settings=settings(FIND, max_examples=2000),
    )
    assert p.n_children == 2
    # Shrinking is greedy: usually one setting, occasionally a second one
    # that a list still ranks but does not matter.
    assert p.n_settings <= 2
    assert int(p.capacity.sum()) == 1


def test_problems_shrink_drops_bystander_children() -> None:
    # Boston is manipulable with two children and two settings: a child whose
    # first choice has no place loses its second choice to a first choice.
    # Deleting an uninvolved child (an empty list here) is one contiguous
    # deletion that changes nothing else, so no bystander survives shrinking.
    def manipulable(p: sa.Problem) -> bool:
        try:
            sat.assert_strategyproof("boston", p)
        except AssertionError:
            return True
        return False

    p = find(sst.problems(), manipulable, settings=settings(FIND, max_examples=2000))
    assert (p.n_children, p.n_settings) == (2, 2)
    assert int(p.capacity.sum()) == 1
    assert (p.list_length >= 1).all()


def test_allocations_shrink_to_unplaced() -> None:
    p = sa.Problem.from_lists([2, 2], [[0, 1], [1], [0]])
    a = find(sst.allocations(p), lambda a: a.placed[2], settings=FIND)
    assert a.assignment.tolist() == [-1, -1, 0]


# --------------------------------------------------------------------------- assertions
CROSSED = sa.Problem.from_dicts(
    {"Oak": 1, "Elm": 1},
    {"amy": ["Oak", "Elm"], "ben": ["Oak", "Elm"]},
    priorities={"Oak": ["ben", "amy"], "Elm": ["amy", "ben"]},
)


def test_assert_feasible_message() -> None:
    sat.assert_feasible(CROSSED, [0, 1])
    with pytest.raises(
        AssertionError,
        match=r"setting 0 \('Oak'\) has 1 place but "
        r"holds 2 children \[0, 1\]",
    ) as err:
        sat.assert_feasible(CROSSED, [0, 0])
    text = str(err.value)
    assert "child 0 ('amy') ranks [0, 1] -> setting 0 ('Oak') (ranked 1st)" in text
    assert "to reproduce: sa.Problem.from_lists([1, 1], [[0, 1], [0, 1]]" in text
    with pytest.raises(AssertionError, match="only 2 settings"):
        sat.assert_feasible(CROSSED, [0, 7])


def test_assert_within_lists_message() -> None:
    p = sa.Problem.from_lists([1, 1], [[0], [1]])
    with pytest.raises(AssertionError, match=r"child 0 is placed at setting 1, which"):
        sat.assert_within_lists(p, [1, -1])


def test_assert_stable_names_blocking_pair() -> None:
    sat.assert_stable(CROSSED, [1, 0])
    with pytest.raises(
        AssertionError,
        match=r"blocking pair \(child 1 \('ben'\), setting 0 \('Oak'\)\).*holds "
        r"child 0 \('amy'\), who has lower priority",
    ):
        sat.assert_stable(CROSSED, [0, 1])
    p = sa.Problem.from_lists([1, 1], [[0, 1], [1]])
    with pytest.raises(AssertionError, match="has 1 free place"):
        sat.assert_stable(p, [1, -1])
    with pytest.raises(AssertionError, match="not feasible"):
        sat.assert_stable(p, [1, 1])


def test_assert_non_wasteful_message() -> None:
    p = sa.Problem.from_lists([1, 1], [[0, 1], [1]])
    sat.assert_non_wasteful(p, [0, 1])
    with pytest.raises(
        AssertionError,
        match=r"wasteful: child 0 is placed at setting "
        r"1 \(ranked 2nd\) but ranks setting 0 \(ranked 1st\) higher",
    ):
        sat.assert_non_wasteful(p, [1, -1])


def test_assert_pareto_efficient_shows_exchange() -> None:
    p = sa.Problem.from_lists([1, 1], [[0, 1], [1, 0]])
    sat.assert_pareto_efficient(p, [0, 1])
    with pytest.raises(
        AssertionError,
        match=r"(?s)trade places.*improved "
        r"assignment: \[0, 1\]",
    ):
        sat.assert_pareto_efficient(p, [1, 0])


def test_describe_elides_large_problems() -> None:
    p = sa.Problem.from_lists([1] * 20, [[0]] * 30)
    text = describe(p, np.full(30, -1))
    assert "and 8 more settings" in text
    assert "and 18 more children" in text


# --------------------------------------------------------------------------- mechanisms
def shortest_list_first(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
    """Serial dictatorship that serves short lists first: rewards truncation."""
    order = np.argsort(problem.list_length, kind="stable")
    q = sa.Problem.from_arrays(problem.capacity, problem.preferences, order=order)
    return sa.Allocation.from_assignment(
        problem, sa.allocate(q, "first_available").assignment
    )


def lowest_index_first(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
    """Serial dictatorship by child index, ignoring the processing order."""
    q = sa.Problem.from_arrays(problem.capacity, problem.preferences)
    return sa.Allocation.from_assignment(
        problem, sa.allocate(q, "first_available").assignment
    )


def test_assert_strategyproof_finds_truncation() -> None:
    p = sa.Problem.from_lists([1, 1], [[0, 1], [0]])
    sat.assert_strategyproof("first_available", p)
    # Child 0 ranks [0, 1], gets 1; reporting [0] alone puts them first for 0.
    with pytest.raises(AssertionError, match=r"reporting \[0\] instead gets setting 0"):
        sat.assert_strategyproof(
            shortest_list_first,
            sa.Problem.from_lists([1, 1], [[0, 1], [0]], order=[0, 1]),
        )


def test_rebuild_identity_and_relabel_roundtrip() -> None:
    p = sa.Problem.from_lists(
        [1, 2, 0],
        [[2, 0], [1], [0, 1]],
        priorities=[[2, 0, 1], [1, 2], [0]],
        order=[2, 0, 1],
    )
    q = rebuild(p)
    for name in ("capacity", "preferences", "priority", "order"):
        assert np.array_equal(getattr(q, name), getattr(p, name))
    r = rebuild(
        p,
        child_permutation=np.array([2, 0, 1]),
        setting_permutation=np.array([1, 2, 0]),
    )
    assert r.child_ids == (2, 0, 1)
    assert r.capacity.tolist() == [2, 0, 1]
    assert r.preferences[0].tolist()[:2] == [2, 0]  # old child 2 ranked [0, 1]


def test_rebuild_keeps_weak_priorities() -> None:
    p = sa.Problem.from_arrays(
        [1], [[0], [0], [0]], priority=[[1], [0], [1]], ties=True
    )
    q = rebuild(p, child_permutation=np.array([1, 2, 0]))
    assert q.is_weak
    assert q.priority.ravel().tolist() == [0, 1, 1]


@FAST
@given(sst.problems(max_children=4))
def test_first_available_label_invariant(p: sa.Problem) -> None:
    sat.assert_label_invariant("first_available", p)


def test_assert_label_invariant_catches_index_dependence() -> None:
    p = sa.Problem.from_lists([1], [[0], [0]], order=[1, 0])
    with pytest.raises(AssertionError, match="not label-invariant"):
        sat.assert_label_invariant(lowest_index_first, p, child_permutation=[1, 0])
    with pytest.raises(ValueError, match="expected permutations"):
        sat.assert_label_invariant("first_available", p, child_permutation=[0, 0])


# ------------------------------------------------------------------- check_mechanism
def test_check_mechanism_unknown_property() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown property 'fair'; valid names: "
        r"feasible, within_lists, stable",
    ):
        sat.check_mechanism("first_available", ["fair"])
    with pytest.raises(ValueError, match="unknown mechanism 'nope'"):
        sat.check_mechanism("nope", ["feasible"])
    with pytest.raises(InvalidArgument):
        sat.check_mechanism("first_available", ["feasible"], max_children=-1)
    with pytest.raises(TypeError, match="expected a name or a callable"):
        sat.check_mechanism(3, ["feasible"])  # type: ignore[arg-type]


def test_check_mechanism_passes_first_available() -> None:
    sat.check_mechanism(
        "first_available",
        [
            "feasible",
            "within_lists",
            "non_wasteful",
            "pareto_efficient",
            "strategyproof",
            "label_invariant",
        ],
        max_examples=30,
        max_children=3,
    )
    sat.check_mechanism("first_available", "stable", max_examples=30, priorities="none")


def over_capacity(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
    """First available with one extra place at every setting."""
    q = sa.Problem.from_arrays(
        problem.capacity + 1, problem.preferences, order=problem.order
    )
    return sa.Allocation.from_assignment(
        problem, sa.allocate(q, "first_available").assignment
    )


def off_list(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
    """First available, then every unplaced child is put at setting 0."""
    a = sa.allocate(problem, "first_available").assignment.copy()
    a[a < 0] = 0 if problem.n_settings else -1
    return sa.Allocation.from_assignment(problem, a)


def leaves_place_empty(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
    """First available, then the last child served is sent home."""
    a = sa.allocate(problem, "first_available").assignment.copy()
    served = [int(i) for i in problem.order if a[i] >= 0]
    if served:
        a[served[-1]] = -1
    return sa.Allocation.from_assignment(problem, a)


@pytest.mark.parametrize(
    ("broken", "prop", "message"),
    [
        (over_capacity, "feasible", "not feasible: setting 0 has 0 places but holds 1"),
        (off_list, "within_lists", "not within lists: child 0 is placed at setting 0"),
        ("first_available", "stable", "not stable: blocking pair (child 1, setting"),
        (leaves_place_empty, "non_wasteful", "wasteful: child 0 has no place"),
        (leaves_place_empty, "pareto_efficient", "a child takes a free place"),
        (lowest_index_first, "label_invariant", "not label-invariant"),
        (shortest_list_first, "strategyproof", "not strategy-proof"),
    ],
)
def test_check_mechanism_catches_broken_rules(
    broken: Any, prop: str, message: str
) -> None:
    with pytest.raises(AssertionError) as err:
        sat.check_mechanism(broken, [prop], max_examples=200)
    assert message in str(err.value)
