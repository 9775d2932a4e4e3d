"""Problem and Allocation: construction, validation, immutability, labels."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc import InvalidProblemError, Problem


# --------------------------------------------------------------------------- builders
def test_from_dicts_matches_design_example() -> None:
    p = Problem.from_dicts(
        capacity={"Oak": 1, "Elm": 2},
        preferences={"amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm", "Oak"]},
        priorities={"Oak": ["ben", "amy", "cat"], "Elm": ["amy", "cat", "ben"]},
        order=["cat", "amy", "ben"],
    )
    assert p.n_children == 3
    assert p.n_settings == 2
    assert p.child_ids == ("amy", "ben", "cat")
    assert p.setting_ids == ("Oak", "Elm")
    np.testing.assert_array_equal(p.capacity, [1, 2])
    np.testing.assert_array_equal(p.preferences, [[0, 1], [0, -1], [1, 0]])
    np.testing.assert_array_equal(p.order, [2, 0, 1])
    # priority[i, k] = position of child i in the list of preferences[i, k]
    np.testing.assert_array_equal(p.priority, [[1, 0], [0, -1], [1, 2]])
    assert [lst.tolist() for lst in p.priority_lists] == [[1, 0, 2], [0, 2, 1]]
    assert not p.has_common_priority


def test_default_priority_is_processing_order() -> None:
    p = Problem.from_lists([1, 1], [[0, 1], [1], [0]], order=[2, 0, 1])
    assert p.has_common_priority
    # every setting ranks children by order: child 2 first, then 0, then 1
    np.testing.assert_array_equal(p.priority, [[1, 1], [2, -1], [0, -1]])
    for lst in p.priority_lists:
        assert lst.tolist() == [2, 0, 1]


def test_common_priority_list_separate_from_order() -> None:
    p = Problem.from_dicts(
        {"A": 1},
        {"x": ["A"], "y": ["A"]},
        priorities=["y", "x"],
        order=["x", "y"],
    )
    assert p.has_common_priority
    np.testing.assert_array_equal(p.order, [0, 1])
    np.testing.assert_array_equal(p.priority, [[1], [0]])
    # first_available follows order, deferred acceptance would follow priority
    assert sa.allocate(p, "first_available").to_dict() == {"x": "A", "y": None}


def test_common_priority_list_leaves_default_order() -> None:
    # DESIGN.md: order defaults to the order children were given in, whatever
    # the priorities say.
    p = Problem.from_lists([1], [[0], [0], [0]], priorities=[2, 0, 1])
    np.testing.assert_array_equal(p.order, [0, 1, 2])
    assert p.has_common_priority
    assert p.priority_lists[0].tolist() == [2, 0, 1]
    assert sa.allocate(p, "first_available").assignment.tolist() == [0, -1, -1]


def test_priority_lists_may_rank_children_who_did_not_apply() -> None:
    p = Problem.from_lists([1, 1], [[0], [0]], priorities=[[1, 0], [0, 1]])
    assert [lst.tolist() for lst in p.priority_lists] == [[1, 0], [0, 1]]
    np.testing.assert_array_equal(p.priority, [[1], [0]])


def test_from_arrays_priority_lists_hold_only_applicants() -> None:
    p = Problem.from_arrays(
        [2, 1], [[0, 1], [1, -1], [0, -1]], priority=[[30, 7], [3, 99], [10, 0]]
    )
    assert [lst.tolist() for lst in p.priority_lists] == [[2, 0], [1, 0]]
    np.testing.assert_array_equal(p.priority, [[1, 1], [0, -1], [0, -1]])


def test_from_lists_and_from_arrays_agree() -> None:
    prefs = [[2, 0], [], [1, 2, 0]]
    a = Problem.from_lists([1, 0, 2], prefs, order=[1, 2, 0])
    b = Problem.from_arrays(
        [1, 0, 2], [[2, 0, -1], [-1, -1, -1], [1, 2, 0]], order=[1, 2, 0]
    )
    for name in ("capacity", "preferences", "priority", "order"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_empty_problems() -> None:
    p = Problem.from_lists([], [])
    assert (p.n_children, p.n_settings) == (0, 0)
    assert sa.allocate(p, "first_available").to_dict() == {}
    q = Problem.from_lists([3], [[], []])
    assert q.preferences.shape == (2, 0)
    a = sa.allocate(q, "first_available")
    assert a.assignment.tolist() == [-1, -1]
    assert a.unplaced_reason.tolist() == [sa.Unplaced.EMPTY_LIST] * 2


def test_labels_round_trip() -> None:
    caps = {("east", 1): 1, 7: 1}
    prefs: dict[Any, list[Any]] = {"z": [7, ("east", 1)], 3.5: [("east", 1)]}
    p = Problem.from_dicts(caps, prefs)
    a = sa.allocate(p, "first_available")
    assert a.to_dict() == {"z": 7, 3.5: ("east", 1)}
    assert list(a.to_dict()) == list(prefs)


def test_arrays_are_read_only_and_inputs_untouched() -> None:
    cap = np.array([1, 1])
    prefs = np.array([[0, 1], [1, -1]])
    prio = np.array([[4, 2], [1, -5]])
    order = np.array([1, 0])
    before = [x.copy() for x in (cap, prefs, prio, order)]
    p = Problem.from_arrays(cap, prefs, priority=prio, order=order)
    for arr in (p.capacity, p.preferences, p.priority, p.order, p.plist_children):
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[...] = 0
    for x, y in zip((cap, prefs, prio, order), before, strict=True):
        np.testing.assert_array_equal(x, y)
        assert x.flags.writeable
    cap[0] = 99  # the Problem holds its own copy
    assert p.capacity[0] == 1
    a = sa.allocate(p, "first_available")
    assert not a.assignment.flags.writeable
    with pytest.raises(AttributeError):
        p.capacity = cap  # type: ignore[misc]


def test_integral_floats_are_integers() -> None:
    p = Problem.from_arrays(np.array([1.0, 2.0]), np.array([[1.0, 0.0]]))
    assert p.capacity.dtype == np.int32
    np.testing.assert_array_equal(p.preferences, [[1, 0]])


def test_repr() -> None:
    p = Problem.from_lists([1, 2], [[0], [1, 0]])
    assert repr(p) == "Problem(n_children=2, n_settings=2, places=3, max_list=2)"
    assert repr(sa.allocate(p, "first_available")) == (
        "Allocation(mechanism='first_available', placed=2 of 2)"
    )


# --------------------------------------------------------------------------- malformed
BAD_INPUTS: list[tuple[str, Any, str]] = [
    # (case, call, message pattern)
    (
        "negative capacity",
        lambda: Problem.from_lists([1, -1], [[0]]),
        r"capacity\[1\] = -1: capacities must be >= 0",
    ),
    (
        "NaN capacity",
        lambda: Problem.from_arrays([1.0, np.nan], [[0]]),
        r"capacity\[1\] = nan: expected an integer",
    ),
    (
        "fractional capacity",
        lambda: Problem.from_arrays([1.5], [[0]]),
        r"capacity\[0\] = 1.5: expected an integer",
    ),
    (
        "string capacity",
        lambda: Problem.from_arrays(["a"], [[0]]),
        r"capacity: expected integers, got an array of dtype <U1",
    ),
    (
        "bool capacity",
        lambda: Problem.from_arrays([True], [[0]]),
        r"capacity: expected integers, got an array of dtype bool",
    ),
    (
        "2-D capacity",
        lambda: Problem.from_arrays([[1]], [[0]]),
        r"capacity: expected a 1-D array of shape \(M,\), got shape \(1, 1\)",
    ),
    (
        "1-D preferences",
        lambda: Problem.from_arrays([1], [0]),
        r"preferences: expected a 2-D array of shape \(N, L\), got shape \(1,\)",
    ),
    (
        "ragged preferences array",
        lambda: Problem.from_arrays([1], [[0], [0, 1]]),
        r"preferences: expected a 2-D array of integers",
    ),
    (
        "unknown setting index",
        lambda: Problem.from_arrays([1, 1], [[0, 2]]),
        r"preferences\[0, 1\] = 2: not a setting index in \[0, 2\)",
    ),
    (
        "index below -1",
        lambda: Problem.from_arrays([1], [[-2]]),
        r"preferences\[0, 0\] = -2: not a setting index",
    ),
    (
        "padding in the middle",
        lambda: Problem.from_arrays([1, 1], [[0, 1], [-1, 1]]),
        r"preferences\[1, 1\] = 1: follows padding \(-1 at preferences\[1, 0\]\)",
    ),
    (
        "duplicate in a row",
        lambda: Problem.from_arrays([1, 1], [[1, 0, 1]]),
        r"preferences\[0, 2\] = 1: setting 1 is ranked twice by child 0 "
        r"\(also at preferences\[0, 0\]\)",
    ),
    (
        "NaN in preferences",
        lambda: Problem.from_arrays([1], [[np.nan]]),
        r"preferences\[0, 0\] = nan: expected an integer",
    ),
    (
        "from_lists non-integer",
        lambda: Problem.from_lists([1], [[0.5]]),
        r"preferences\[0\]\[0\] = 0.5: expected an integer",
    ),
    (
        "from_lists out of range",
        lambda: Problem.from_lists([1], [[0], [3]]),
        r"preferences\[1\]\[0\] = 3: not a setting index in \[0, 1\)",
    ),
    (
        "from_lists duplicate",
        lambda: Problem.from_lists([1], [[0, 0]]),
        r"preferences\[0, 1\] = 0: setting 0 is ranked twice",
    ),
    (
        "order not a permutation",
        lambda: Problem.from_lists([1], [[0], [0]], order=[0, 0]),
        r"order\[1\] = 0: child 0 appears twice \(first at order\[0\]\)",
    ),
    (
        "order wrong length",
        lambda: Problem.from_lists([1], [[0], [0]], order=[0]),
        r"order: expected shape \(2,\), a permutation of the 2 children, "
        r"got shape \(1,\)",
    ),
    (
        "order out of range",
        lambda: Problem.from_lists([1], [[0], [0]], order=[0, 2]),
        r"order\[1\] = 2: not a child index in \[0, 2\)",
    ),
    (
        "priority wrong shape",
        lambda: Problem.from_arrays([1], [[0], [0]], priority=[[1]]),
        r"priority: expected shape \(2, 1\) to match preferences, got \(1, 1\)",
    ),
    (
        "priority tie",
        lambda: Problem.from_arrays([1], [[0], [0]], priority=[[3], [3]]),
        r"priority\[1, 0\] = 3: ties with priority\[0, 0\] at setting 0; "
        r"priorities must be strict within a setting; "
        r"pass ties=True for priority classes$",
    ),
    (
        "priority NaN",
        lambda: Problem.from_arrays([1], [[0]], priority=[[np.nan]]),
        r"priority\[0, 0\] = nan: expected an integer",
    ),
    (
        "missing from priority list",
        lambda: Problem.from_lists([1, 1], [[0], [0, 1]], priorities=[[0, 1], [0]]),
        r"priorities\[1\]: child 1 lists setting 1 \(preferences\[1\]\[1\]\) but is "
        r"missing from its priority list",
    ),
    (
        "priority list duplicate",
        lambda: Problem.from_lists([1], [[0], [0]], priorities=[[0, 1, 0]]),
        r"priorities\[0\]\[2\] = 0: child 0 is ranked twice by setting 0",
    ),
    (
        "priority list unknown child",
        lambda: Problem.from_lists([1], [[0]], priorities=[[0, 4]]),
        r"priorities\[0\]\[1\] = 4: not a child index in \[0, 1\)",
    ),
    (
        "wrong number of priority lists",
        lambda: Problem.from_lists([1, 1], [[0]], priorities=[[0]]),
        r"priorities: expected one list per setting \(2\) or one list of all 1 "
        r"children, "
        r"got 1 lists",
    ),
    (
        "common priority not a permutation",
        lambda: Problem.from_lists([1], [[0], [0]], priorities=[1, 1]),
        r"priorities\[1\] = 1: child 1 appears twice",
    ),
    (
        "dict unknown setting",
        lambda: Problem.from_dicts({"A": 1}, {"x": ["A", "B"]}),
        r"preferences\['x'\]\[1\] = 'B': unknown setting \(not a key of capacity\)",
    ),
    (
        "dict unknown child in order",
        lambda: Problem.from_dicts({"A": 1}, {"x": ["A"]}, order=["y"]),
        r"order\[0\] = 'y': unknown child \(not a key of preferences\)",
    ),
    (
        "dict unknown child in priorities",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"]}, priorities={"A": ["x", "q"]}
        ),
        r"priorities\['A'\]\[1\] = 'q': unknown child",
    ),
    (
        "dict unknown setting in priorities",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"]}, priorities={"A": ["x"], "Z": []}
        ),
        r"priorities key 'Z' = 'Z': unknown setting",
    ),
    (
        "dict setting absent from priorities",
        lambda: Problem.from_dicts(
            {"A": 1, "B": 1}, {"x": ["A", "B"]}, priorities={"A": ["x"]}
        ),
        r"priorities\['B'\]: child 'x' lists setting 'B' \(preferences\['x'\]\[1\]\) "
        r"but is missing from its priority list",
    ),
    (
        "dict row is a string",
        lambda: Problem.from_dicts({"A": 1}, {"x": "A"}),
        r"preferences\['x'\] = 'A': expected a list of setting labels",
    ),
    (
        "dict capacity not a mapping",
        lambda: Problem.from_dicts([1], {"x": []}),  # type: ignore[arg-type]
        r"capacity: expected a mapping of setting label to places, got list",
    ),
    # from_dicts names the caller's labels, never index positions
    (
        "dict duplicate in a row",
        lambda: Problem.from_dicts({"A": 1}, {"x": ["A", "A"]}),
        r"^preferences\['x'\]\[1\] = 'A': setting 'A' is ranked twice by child 'x' "
        r"\(also at preferences\['x'\]\[0\]\)$",
    ),
    (
        "dict duplicate in a row with per-setting priorities",
        lambda: Problem.from_dicts(
            {"A": 1, "B": 1}, {"x": ["B", "A", "B"]}, priorities={"A": ["x"]}
        ),
        r"^preferences\['x'\]\[2\] = 'B': setting 'B' is ranked twice by child 'x' "
        r"\(also at preferences\['x'\]\[0\]\)$",
    ),
    (
        "dict negative capacity",
        lambda: Problem.from_dicts({"A": 1, "B": -1}, {"x": ["A"]}),
        r"^capacity\['B'\] = -1: capacities must be >= 0$",
    ),
    (
        "dict negative capacity with per-setting priorities",
        lambda: Problem.from_dicts({"A": -1}, {"x": ["A"]}, priorities={"A": ["x"]}),
        r"^capacity\['A'\] = -1: capacities must be >= 0$",
    ),
    (
        "dict fractional capacity",
        lambda: Problem.from_dicts({"A": 1, "B": 2.5}, {"x": ["A"]}),
        r"^capacity\['B'\] = 2.5: expected an integer$",
    ),
    (
        "dict string capacity",
        lambda: Problem.from_dicts({"A": "3"}, {"x": ["A"]}),
        r"^capacity\['A'\] = '3': expected an integer$",
    ),
    (
        "dict lister missing from priority list",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, priorities={"A": ["x"]}
        ),
        r"^priorities\['A'\]: child 'y' lists setting 'A' \(preferences\['y'\]\[0\]\) "
        r"but is missing from its priority list$",
    ),
    (
        "dict order duplicate",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, order=["y", "x", "x"]
        ),
        r"^order\[2\] = 'x': child 'x' appears twice \(first at order\[1\]\)",
    ),
    (
        "dict order duplicate, right length",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, order=["x", "x"]
        ),
        r"^order\[1\] = 'x': child 'x' appears twice \(first at order\[0\]\)",
    ),
    (
        "dict order missing a child",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"], "z": []}, order=["x", "y"]
        ),
        r"^order: child 'z' is missing; expected each of the 3 children once$",
    ),
    (
        "dict order missing a child with per-setting priorities",
        lambda: Problem.from_dicts(
            {"A": 1},
            {"x": ["A"], "y": ["A"], "z": []},
            priorities={"A": ["y", "x"]},
            order=["x", "y"],
        ),
        r"^order: child 'z' is missing",
    ),
    (
        "dict common priority missing a child",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, priorities=["y"]
        ),
        r"^priorities: child 'x' is missing; expected each of the 2 children once$",
    ),
    (
        "dict common priority empty",
        lambda: Problem.from_dicts({"A": 1}, {"x": ["A"]}, priorities=[]),
        r"^priorities: child 'x' is missing",
    ),
    (
        "dict common priority duplicate",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, priorities=["y", "x", "y"]
        ),
        r"^priorities\[2\] = 'y': child 'y' appears twice \(first at priorities\[0\]\)",
    ),
    (
        "dict common priority duplicate across tie classes",
        lambda: Problem.from_dicts(
            {"A": 1},
            {"x": ["A"], "y": ["A"], "z": ["A"]},
            priorities=[["y", "x"], ["z", "y"]],
        ),
        r"^priorities\[1\] = 'y': child 'y' appears twice \(first at priorities\[0\]\)",
    ),
    (
        "dict priority list duplicate",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, priorities={"A": ["y", "x", "y"]}
        ),
        r"^priorities\['A'\]\[2\] = 'y': child 'y' is ranked twice by setting 'A' "
        r"\(also at priorities\['A'\]\[0\]\)$",
    ),
    (
        "dict priority list duplicate after a tie class",
        lambda: Problem.from_dicts(
            {"A": 1}, {"x": ["A"], "y": ["A"]}, priorities={"A": [["y", "x"], "y"]}
        ),
        r"^priorities\['A'\]\[1\] = 'y': child 'y' is ranked twice by setting 'A' "
        r"\(also at priorities\['A'\]\[0\]\)$",
    ),
    # from_lists with per-setting lists checks capacity and rows like from_arrays
    (
        "from_lists per-setting negative capacity",
        lambda: Problem.from_lists([1, -1], [[0]], priorities=[[0], [0]]),
        r"^capacity\[1\] = -1: capacities must be >= 0$",
    ),
    (
        "from_lists per-setting duplicate in a row",
        lambda: Problem.from_lists([1], [[0, 0]], priorities=[[0]]),
        r"^preferences\[0, 1\] = 0: setting 0 is ranked twice by child 0 "
        r"\(also at preferences\[0, 0\]\)$",
    ),
    (
        "duplicate child ids",
        lambda: Problem.from_lists([1], [[0], [0]], child_ids=["a", "a"]),
        r"child_ids\[1\] = 'a': duplicate label \(also at child_ids\[0\]\)",
    ),
    (
        "wrong number of setting ids",
        lambda: Problem.from_lists([1], [[0]], setting_ids=["s", "t"]),
        r"setting_ids: expected 1 labels, got 2",
    ),
    (
        "unhashable label",
        lambda: Problem.from_lists([1], [[0]], child_ids=[["a"]]),
        r"child_ids\[0\] = \['a'\]: labels must be hashable",
    ),
]


@pytest.mark.parametrize(
    ("call", "pattern"),
    [(c, p) for _, c, p in BAD_INPUTS],
    ids=[n for n, _, _ in BAD_INPUTS],
)
def test_malformed_input_is_refused(call: Any, pattern: str) -> None:
    with pytest.raises(InvalidProblemError, match=pattern):
        call()


def test_invalid_problem_error_is_a_value_error() -> None:
    assert issubclass(InvalidProblemError, ValueError)
    assert issubclass(InvalidProblemError, sa.SendallocError)
    assert issubclass(sa.InvalidScenarioError, ValueError)


# --------------------------------------------------------------------------- Allocation
def test_from_assignment_derives_ranks_and_reasons() -> None:
    p = Problem.from_lists([1, 1, 1], [[2, 0], [0], [1, 2], []])
    a = sa.Allocation.from_assignment(p, [0, -1, 0, -1], mechanism="mine")
    assert a.mechanism == "mine"
    # child 2 sits at a setting it did not rank: rank -1 (judged by sa.properties)
    assert a.rank.tolist() == [1, -1, -1, -1]
    assert a.occupancy.tolist() == [2, 0, 0]
    reasons = [sa.Unplaced(r) for r in a.unplaced_reason]
    assert reasons == [
        sa.Unplaced.PLACED,
        sa.Unplaced.ALL_FULL,  # setting 0 is over-full
        sa.Unplaced.PLACED,
        sa.Unplaced.EMPTY_LIST,
    ]
    b = sa.Allocation.from_assignment(p, [-1, -1, -1, -1])
    assert [sa.Unplaced(r) for r in b.unplaced_reason][:3] == [
        sa.Unplaced.NOT_OFFERED
    ] * 3


@pytest.mark.parametrize(
    ("assignment", "pattern"),
    [
        ([0], r"assignment: expected shape \(2,\), one entry per child, got \(1,\)"),
        ([0, 5], r"assignment\[1\] = 5: not a setting index in \[0, 2\) or -1"),
        ([0, -3], r"assignment\[1\] = -3"),
        ([[0, 1]], r"assignment: expected a 1-D array of shape \(N,\), got shape"),
        ([0.5, 0], r"assignment\[0\] = 0.5: expected an integer"),
    ],
)
def test_from_assignment_refuses_malformed(assignment: Any, pattern: str) -> None:
    p = Problem.from_lists([1, 1], [[0], [1]])
    with pytest.raises(InvalidProblemError, match=pattern):
        sa.Allocation.from_assignment(p, assignment)


def test_from_assignment_copies_input() -> None:
    p = Problem.from_lists([1, 1], [[0], [1]])
    arr = np.array([0, 1], dtype=np.int32)
    a = sa.Allocation.from_assignment(p, arr)
    arr[0] = -1
    assert a.assignment.tolist() == [0, 1]
    assert arr.flags.writeable


# --------------------------------------------------------------------------- allocate
def test_unknown_mechanism_lists_valid_names() -> None:
    p = Problem.from_lists([1], [[0]])
    with pytest.raises(
        ValueError, match="unknown mechanism 'nope'; valid names: "
    ) as exc:
        sa.allocate(p, "nope")
    for name in sa.MECHANISMS:
        assert name in str(exc.value)


def test_allocate_runs_a_user_callable() -> None:
    p = Problem.from_lists([1, 1], [[0, 1], [0]])

    def last_choice(problem: Problem, *, rng: Any = None) -> sa.Allocation:
        width = problem.list_length
        pick = np.where(width > 0, problem.preferences[np.arange(2), width - 1], -1)
        return sa.Allocation.from_assignment(problem, pick, mechanism="last_choice")

    a = sa.allocate(p, last_choice)
    assert a.to_dict() == {0: 1, 1: 0}
    with pytest.raises(TypeError, match="returned dict, expected an Allocation"):
        sa.allocate(p, lambda q, rng=None: {})
    with pytest.raises(TypeError, match="expected a name or a callable, got int"):
        sa.allocate(p, 3)  # type: ignore[arg-type]


def test_first_available_follows_processing_order() -> None:
    # Two parents want Oak (one place); whoever the LA processes first gets it.
    caps = {"Oak": 1, "Elm": 1}
    prefs = {"amy": ["Oak", "Elm"], "ben": ["Oak"]}
    a = sa.allocate(
        Problem.from_dicts(caps, prefs, order=["amy", "ben"]), "first_available"
    )
    b = sa.allocate(
        Problem.from_dicts(caps, prefs, order=["ben", "amy"]), "first_available"
    )
    assert a.to_dict() == {"amy": "Oak", "ben": None}
    assert b.to_dict() == {"amy": "Elm", "ben": "Oak"}


def test_random_serial_dictatorship_is_seeded() -> None:
    rng = np.random.default_rng(0)
    prefs = [list(rng.permutation(5)[:3]) for _ in range(40)]
    p = Problem.from_lists([3, 2, 0, 4, 1], [[int(s) for s in r] for r in prefs])
    a = sa.allocate(p, "random_serial_dictatorship", rng=7)
    b = sa.allocate(p, "random_serial_dictatorship", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.assignment, b.assignment)
    outcomes = {
        tuple(sa.allocate(p, "random_serial_dictatorship", rng=s).assignment)
        for s in range(8)
    }
    assert len(outcomes) > 1
    assert all(sum(1 for x in o if x >= 0) == 10 for o in outcomes)


def test_first_available_kernel_python_path_agrees() -> None:
    from sendalloc.mechanisms.first_available import serial_dictatorship_kernel as k

    rng = np.random.default_rng(3)
    prefs = np.full((300, 4), -1, dtype=np.int32)
    for i in range(300):
        ln = rng.integers(0, 5)
        prefs[i, :ln] = rng.choice(30, size=ln, replace=False)
    cap = rng.integers(0, 12, size=30).astype(np.int32)
    order = rng.permutation(300).astype(np.int32)
    np.testing.assert_array_equal(k(cap, prefs, order), k.py_func(cap, prefs, order))  # type: ignore[attr-defined]


def test_public_names_exist_and_are_documented() -> None:
    import importlib
    import pkgutil

    modules = ["sendalloc"] + [
        m.name
        for m in pkgutil.walk_packages(sa.__path__, "sendalloc.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
    assert "sendalloc.testing.strategies" in modules
    for modname in modules:
        mod = importlib.import_module(modname)
        assert mod.__doc__, f"{modname} has no module docstring"
        assert hasattr(mod, "__all__"), f"{modname} has no __all__"
        for name in mod.__all__:
            assert hasattr(mod, name), f"{modname}.__all__ names missing {name!r}"
            obj = getattr(mod, name)
            if (callable(obj) or isinstance(obj, type)) and name != "Mechanism":
                assert obj.__doc__, f"{modname}.{name} has no docstring"


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sendalloc; "
        "bad = [m for m in ('numba', 'hypothesis', 'pandas', 'matplotlib', 'dask') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_priority_lists_match_priority_array() -> None:
    """For every listed pair, priority[i, k] is i's position in the setting's list."""
    rng = np.random.default_rng(11)
    n, m = 60, 7
    prefs = [
        list(map(int, rng.choice(m, size=rng.integers(0, 4), replace=False)))
        for _ in range(n)
    ]
    plists = [list(map(int, rng.permutation(n))) for _ in range(m)]
    p = Problem.from_lists(
        rng.integers(0, 5, size=m).tolist(), prefs, priorities=plists
    )
    for i, row in enumerate(prefs):
        for k, s in enumerate(row):
            assert p.priority[i, k] == plists[s].index(i)
    assert re.search(r"max_list=3", repr(p))


def test_ranks_kernel_matches_python() -> None:
    from sendalloc._kernels.ranks import ranks_kernel

    rng = np.random.default_rng(5)
    prefs = np.full((500, 4), -1, dtype=np.int32)
    for i in range(500):
        ln = rng.integers(0, 5)
        prefs[i, :ln] = rng.choice(9, size=ln, replace=False)
    assign = rng.integers(-1, 9, size=500).astype(np.int32)
    expect = [
        row.tolist().index(s) if s >= 0 and s in row.tolist() else -1
        for row, s in zip(prefs, assign, strict=True)
    ]
    assert ranks_kernel(prefs, assign).tolist() == expect
    assert ranks_kernel.py_func(prefs, assign).tolist() == expect  # type: ignore[attr-defined]
