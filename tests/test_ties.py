"""Weak priorities: builders, break_ties, weak stability, DA with tie-breaking."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sendalloc as sa
from sendalloc import InvalidProblemError, Problem
from sendalloc.ties import is_weakly_stable, weak_blocking_pairs


# --------------------------------------------------------------------------- builders
def test_from_dicts_tie_classes_per_setting() -> None:
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 2},
        {"amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm", "Oak"]},
        priorities={"Oak": [["amy", "ben"], "cat"], "Elm": ["cat", {"ben", "amy"}]},
    )
    assert p.is_weak
    # Oak: amy, ben class 0, cat class 1. Elm: cat class 0, amy and ben class 1.
    np.testing.assert_array_equal(p.priority, [[0, 1], [0, -1], [0, 1]])
    assert [x.tolist() for x in p.priority_lists] == [[0, 1, 2], [2, 0, 1]]
    np.testing.assert_array_equal(p.plist_class, [0, 0, 1, 0, 1, 1])


def test_from_dicts_tie_classes_in_a_common_order() -> None:
    caps, prefs = {"Oak": 1, "Elm": 1}, {"amy": ["Oak"], "ben": ["Elm"], "cat": []}
    p = Problem.from_dicts(caps, prefs, priorities=["cat", ["ben", "amy"]])
    assert p.is_weak
    assert p.has_common_priority
    np.testing.assert_array_equal(p.priority, [[1], [1], [-1]])
    # A common order made only of classes is still a common order here.
    q = Problem.from_dicts(caps, prefs, priorities=[["amy", "ben", "cat"]])
    assert q.is_weak
    assert q.has_common_priority
    np.testing.assert_array_equal(q.plist_class, [0, 0, 0])


def test_from_lists_tie_classes() -> None:
    per_setting = Problem.from_lists(
        [1, 1], [[0, 1], [0], [1]], priorities=[[[0, 1]], [2, (0,)]]
    )
    assert per_setting.is_weak
    np.testing.assert_array_equal(per_setting.priority, [[0, 1], [0, -1], [0, -1]])
    common = Problem.from_lists([1], [[0], [0], [0]], priorities=[[2, 0], 1])
    assert common.has_common_priority
    np.testing.assert_array_equal(common.priority.ravel(), [0, 1, 0])


def test_from_arrays_ties_flag() -> None:
    prefs = [[0, 1], [0, -1], [1, 0]]
    prio = [[5, 5], [5, 0], [5, 6]]
    with pytest.raises(InvalidProblemError, match="ties with"):
        Problem.from_arrays([1, 1], prefs, priority=prio)
    p = Problem.from_arrays([1, 1], prefs, priority=prio, ties=True)
    assert p.is_weak
    np.testing.assert_array_equal(p.priority, [[0, 0], [0, -1], [0, 1]])
    assert [x.tolist() for x in p.priority_lists] == [[0, 1, 2], [0, 2]]
    strict = Problem.from_arrays([1, 1], prefs, priority=[[1, 5], [2, 0], [3, 6]])
    assert not strict.is_weak


def test_strict_problems_are_unchanged() -> None:
    p = Problem.from_lists([1, 2], [[0, 1], [1]], priorities=[[1, 0], [0, 1]])
    assert not p.is_weak
    assert p.lottery is None
    np.testing.assert_array_equal(p.plist_class, [0, 1, 0, 1])
    q = Problem.from_lists([1], [[0], [0]])
    np.testing.assert_array_equal(q.plist_class, [0, 1])
    assert not q.is_weak


def test_builders_agree_on_weak_problems() -> None:
    a = Problem.from_dicts(
        {"A": 1, "B": 1},
        {"x": ["A", "B"], "y": ["A"], "z": ["B", "A"]},
        priorities={"A": [["x", "y"], "z"], "B": [["x", "z"]]},
    )
    b = Problem.from_lists(
        [1, 1], [[0, 1], [0], [1, 0]], priorities=[[[0, 1], 2], [[0, 2]]]
    )
    c = Problem.from_arrays(
        [1, 1], [[0, 1], [0, -1], [1, 0]], priority=[[0, 0], [0, 0], [0, 1]], ties=True
    )
    for name in ("priority", "preferences", "plist_children", "plist_class"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name), getattr(c, name))


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (
            lambda: Problem.from_dicts(
                {"A": 1}, {"x": ["A"]}, priorities={"A": [[], "x"]}
            ),
            r"priorities\['A'\]\[0\] = \[\]: an empty tie class",
        ),
        (
            lambda: Problem.from_dicts(
                {"A": 1}, {"x": ["A"]}, priorities={"A": [["x", "q"]]}
            ),
            r"priorities\['A'\]\[0\]\[1\] = 'q': unknown child",
        ),
        (
            lambda: Problem.from_lists([1], [[0], [0]], priorities=[[[0, 1], 1]]),
            r"child 1 is ranked twice by setting 0",
        ),
        (
            lambda: Problem.from_lists([1], [[0], [0]], priorities=[[[0, "a"]]]),
            r"priorities\[0\]\[0\]\[1\] = 'a': expected a child index",
        ),
        (
            lambda: Problem.from_lists([1], [[0], [0], [0]], priorities=[[0, 1], 1]),
            r"priorities\[2\] = 1: child 1 appears twice",
        ),
        (
            lambda: Problem.from_lists([1], [[0], [0]], priorities=[[[0]]]),
            r"child 1 lists setting 0 .* missing from its priority list",
        ),
    ],
)
def test_malformed_tie_classes_are_refused(call: Any, pattern: str) -> None:
    with pytest.raises(InvalidProblemError, match=pattern):
        call()


# --------------------------------------------------------------------------- break_ties
def _oak() -> Problem:
    return Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm"]},
        priorities={"Oak": [["amy", "ben"]], "Elm": [["amy", "cat"]]},
    )


def test_break_ties_single_with_given_lottery() -> None:
    p = _oak()
    s = sa.break_ties(p, "single", lottery=["ben", "cat", "amy"])
    assert not s.is_weak
    assert s.lottery is not None
    assert s.lottery.rule == "single"
    np.testing.assert_array_equal(s.lottery.ranks, [2, 0, 1])
    np.testing.assert_array_equal(s.lottery.priority_class, p.priority)
    assert [x.tolist() for x in s.priority_lists] == [[1, 0], [2, 0]]
    np.testing.assert_array_equal(s.priority, [[1, 1], [0, -1], [0, -1]])
    for name in ("capacity", "preferences", "order"):
        np.testing.assert_array_equal(getattr(s, name), getattr(p, name))
    assert s.child_ids == p.child_ids
    assert s.setting_ids == p.setting_ids
    assert not s.lottery.ranks.flags.writeable


def test_break_ties_multiple_with_given_lottery() -> None:
    p = _oak()
    s = sa.break_ties(
        p, "multiple", lottery={"Oak": ["amy", "ben"], "Elm": ["cat", "amy"]}
    )
    assert s.lottery is not None
    assert s.lottery.rule == "multiple"
    assert s.lottery.ranks.shape == (2, 3)
    assert [x.tolist() for x in s.priority_lists] == [[0, 1], [2, 0]]


def test_break_ties_keeps_classes_apart() -> None:
    # The lottery only orders children within a class: cat stays below amy and ben.
    p = Problem.from_dicts(
        {"A": 1},
        {"amy": ["A"], "ben": ["A"], "cat": ["A"]},
        priorities=[["amy", "ben"], "cat"],
    )
    s = sa.break_ties(p, "single", lottery=["cat", "ben", "amy"])
    assert s.has_common_priority
    assert s.plist_children.tolist() == [1, 0, 2]
    m = sa.break_ties(p, "multiple", lottery={"A": ["cat", "amy", "ben"]})
    assert m.priority_lists[0].tolist() == [0, 1, 2]


def test_break_ties_common_order_multiple_expands_per_setting() -> None:
    p = Problem.from_dicts(
        {"A": 1, "B": 1}, {"x": ["A", "B"], "y": ["B", "A"]}, priorities=[["x", "y"]]
    )
    s = sa.break_ties(p, "multiple", lottery={"A": ["y", "x"], "B": ["x", "y"]})
    assert not s.has_common_priority
    assert [x.tolist() for x in s.priority_lists] == [[1, 0], [0, 1]]
    np.testing.assert_array_equal(s.priority, [[1, 0], [1, 0]])


def test_break_ties_draws_reproducibly() -> None:
    p = Problem.from_lists([1, 1], [[0, 1]] * 6)
    w = Problem.from_lists([1, 1], [[0, 1]] * 6, priorities=[[list(range(6))]] * 2)
    assert w.is_weak
    assert not p.is_weak
    for rule in ("single", "multiple"):
        a = sa.break_ties(w, rule, rng=5)
        b = sa.break_ties(w, rule, rng=np.random.default_rng(5))
        assert a.lottery is not None
        assert b.lottery is not None
        np.testing.assert_array_equal(a.lottery.ranks, b.lottery.ranks)
        np.testing.assert_array_equal(a.priority, b.priority)
        assert not a.is_weak
    # A strict problem may be "broken" too: the lottery is recorded, nothing moves.
    s = sa.break_ties(p, "single", rng=1)
    np.testing.assert_array_equal(s.priority, p.priority)


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"rule": "triple"}, ValueError, r"unknown tie-breaking rule 'triple'"),
        (
            {"lottery": ["amy", "ben"]},
            InvalidProblemError,
            r"must list all 3 children, got 2; missing 'cat'",
        ),
        (
            {"lottery": ["amy", "amy", "ben"]},
            InvalidProblemError,
            r"lottery\[1\] = 'amy': child drawn twice",
        ),
        (
            {"lottery": ["amy", "dan", "ben"]},
            InvalidProblemError,
            r"lottery\[1\] = 'dan': unknown child",
        ),
        ({"lottery": "amy"}, InvalidProblemError, r"expected a sequence of child"),
        (
            {"rule": "multiple", "lottery": ["amy", "ben", "cat"]},
            InvalidProblemError,
            r"expects a mapping",
        ),
        (
            {"rule": "multiple", "lottery": {"Oak": ["amy", "ben"]}},
            InvalidProblemError,
            r"setting 'Elm' has tied children but no lottery",
        ),
        (
            {"rule": "multiple", "lottery": {"Oak": ["amy"], "Elm": ["amy", "cat"]}},
            InvalidProblemError,
            r"lottery\['Oak'\]: child 'ben' is in the setting's priority list",
        ),
        (
            {"rule": "multiple", "lottery": {"Ash": []}},
            InvalidProblemError,
            r"lottery key 'Ash': unknown setting",
        ),
    ],
)
def test_break_ties_refuses_bad_arguments(
    kwargs: dict[str, Any], exc: type[Exception], pattern: str
) -> None:
    with pytest.raises(exc, match=pattern):
        sa.break_ties(_oak(), **kwargs)


def test_break_ties_refuses_a_broken_problem() -> None:
    s = sa.break_ties(_oak(), rng=0)
    with pytest.raises(InvalidProblemError, match="already broken"):
        sa.break_ties(s)


# --------------------------------------------------------------------------- refusal
STRICT_RULES = [
    "boston",
    "adaptive_boston",
    "deferred_acceptance",
    "setting_proposing_deferred_acceptance",
    "top_trading_cycles",
]


@pytest.mark.parametrize("name", STRICT_RULES)
def test_strict_mechanisms_refuse_weak_problems(name: str) -> None:
    import importlib

    fn = getattr(importlib.import_module(f"sendalloc.mechanisms.{name}"), name)
    with pytest.raises(InvalidProblemError, match=re.escape("sa.break_ties")):
        fn(_oak())
    fn(sa.break_ties(_oak(), rng=0))  # fine once the ties are broken


@pytest.mark.parametrize("name", ["first_available", "random_serial_dictatorship"])
def test_order_based_mechanisms_accept_weak_problems(name: str) -> None:
    a = sa.allocate(_oak(), name, rng=0)
    assert sa.properties.is_feasible(a.problem, a)


def test_tie_breaking_rules_check_the_recorded_rule() -> None:
    single = sa.break_ties(_oak(), "single", rng=0)
    with pytest.raises(InvalidProblemError, match="'single' lottery"):
        sa.allocate(single, "deferred_acceptance_mtb")
    multiple = sa.break_ties(_oak(), "multiple", rng=0)
    with pytest.raises(InvalidProblemError, match="'multiple' lottery"):
        sa.allocate(multiple, "deferred_acceptance_stb")


# --------------------------------------------------------------------------- examples
def test_lottery_changes_how_many_are_placed() -> None:
    # Oak and Elm have one place each. amy lists Oak then Elm, ben only Oak; amy
    # and ben tie at Oak, Elm ranks amy.
    # Lottery amy < ben: amy and ben propose to Oak, Oak holds amy (lottery), ben
    #   is rejected and has nothing left: 1 placed, Elm stays empty.
    # Lottery ben < amy: Oak holds ben, rejects amy, amy proposes to Elm and is
    #   held there: 2 placed.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Oak", "Elm"], "ben": ["Oak"]},
        priorities={"Oak": [["amy", "ben"]], "Elm": ["amy"]},
    )
    a = sa.allocate(sa.break_ties(p, lottery=["amy", "ben"]), "deferred_acceptance_stb")
    b = sa.allocate(sa.break_ties(p, lottery=["ben", "amy"]), "deferred_acceptance_stb")
    assert a.to_dict() == {"amy": "Oak", "ben": None}
    assert b.to_dict() == {"amy": "Elm", "ben": "Oak"}
    assert int(a.placed.sum()) == 1
    assert int(b.placed.sum()) == 2
    # Both are weakly stable: ben only ties with amy at Oak, so he has no claim.
    assert is_weakly_stable(p, a)
    assert is_weakly_stable(p, b)


def _xyz() -> Problem:
    # Places: A 1, B 1. Everyone ties at both settings.
    # x: A > B; y: B > A; z: B > A.
    return Problem.from_dicts(
        {"A": 1, "B": 1},
        {"x": ["A", "B"], "y": ["B", "A"], "z": ["B", "A"]},
        priorities=[["x", "y", "z"]],
    )


def test_single_and_multiple_tie_breaking_differ() -> None:
    # Multiple lotteries A: z, y, x and B: x, z, y. Deferred acceptance:
    #   1. x -> A (held); y, z -> B: B prefers z, rejects y.
    #   2. y -> A: A prefers y to x, rejects x.
    #   3. x -> B: B prefers x to z, rejects z.
    #   4. z -> A: A prefers z to y, rejects y, who has nothing left.
    #   Result x: B, z: A, y: none. x and z would both rather swap.
    p = _xyz()
    lots = {"A": ["z", "y", "x"], "B": ["x", "z", "y"]}
    mtb = sa.allocate(
        sa.break_ties(p, "multiple", lottery=lots), "deferred_acceptance_mtb"
    )
    assert mtb.to_dict() == {"x": "B", "y": None, "z": "A"}
    assert not sa.properties.is_pareto_efficient(p, mtb)
    # With one lottery for both settings and every child tied everywhere,
    # deferred acceptance is serial dictatorship in lottery order: Pareto
    # efficient, so no single lottery yields the MTB outcome. E.g. lottery
    # x, y, z: x takes A, y takes B, z gets nothing.
    seen = set()
    for lot in itertools.permutations(["x", "y", "z"]):
        stb = sa.allocate(
            sa.break_ties(p, lottery=list(lot)), "deferred_acceptance_stb"
        )
        assert sa.properties.is_pareto_efficient(p, stb)
        seen.add(tuple(sorted(stb.to_dict().items(), key=lambda kv: kv[0])))
    assert (("x", "B"), ("y", None), ("z", "A")) not in seen
    stb = sa.allocate(
        sa.break_ties(p, lottery=["x", "y", "z"]), "deferred_acceptance_stb"
    )
    assert stb.to_dict() == {"x": "A", "y": "B", "z": None}


def test_tie_breaking_mechanisms_draw_from_rng() -> None:
    p = _xyz()
    for name in ("deferred_acceptance_stb", "deferred_acceptance_mtb"):
        a = sa.allocate(p, name, rng=3)
        b = sa.allocate(p, name, rng=np.random.default_rng(3))
        np.testing.assert_array_equal(a.assignment, b.assignment)
        assert a.problem is p
        assert a.mechanism == name
        outcomes = {tuple(sa.allocate(p, name, rng=s).assignment) for s in range(40)}
        assert len(outcomes) > 1


def test_strict_problem_needs_no_lottery() -> None:
    p = Problem.from_lists([1, 1], [[0, 1], [0, 1]], priorities=[[1, 0], [0, 1]])
    for name in ("deferred_acceptance_stb", "deferred_acceptance_mtb"):
        a = sa.allocate(p, name, rng=0)
        assert a.assignment.tolist() == [1, 0]


# --------------------------------------------------------------------------- verifier
def test_weak_blocking_pairs_by_hand() -> None:
    # Oak (1 place): amy ~ ben above cat. Elm (1 place) ranks cat first.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Oak"], "ben": ["Oak", "Elm"], "cat": ["Oak", "Elm"]},
        priorities={"Oak": [["amy", "ben"], "cat"], "Elm": ["cat", "ben"]},
    )
    # cat at Oak: amy and ben are in a strictly better class, and ben also
    # finds Elm free.
    assert weak_blocking_pairs(p, [-1, -1, 0]).tolist() == [[0, 0], [1, 0], [1, 1]]
    # ben at Oak, cat at Elm: amy ties with ben, so no pair blocks.
    assert weak_blocking_pairs(p, [-1, 0, 1]).tolist() == []
    assert is_weakly_stable(p, [-1, 0, 1])
    assert not is_weakly_stable(p, [0, 0, 1])  # over capacity
    # A tie-broken problem is judged by the recorded weak classes, not the lottery.
    s = sa.break_ties(p, lottery=["amy", "ben", "cat"])
    assert is_weakly_stable(s, [-1, 0, 1])
    assert not sa.properties.is_stable(s, [-1, 0, 1])


def _brute_weak_blocking(p: Problem, assign: list[int]) -> set[tuple[int, int]]:
    cls = sa.ties.weak_classes(p)
    prefs = p.preferences
    out = set()
    for i in range(p.n_children):
        row = [int(s) for s in prefs[i] if s >= 0]
        mine = row.index(assign[i]) if assign[i] in row else len(row)
        for k in range(mine):
            s = row[k]
            held = [j for j in range(p.n_children) if assign[j] == s]
            if len(held) < p.capacity[s]:
                out.add((i, s))
                continue
            for j in held:
                rj = [int(t) for t in prefs[j] if t >= 0]
                cj = cls[j, rj.index(s)] if s in rj else np.inf
                if cls[i, k] < cj:
                    out.add((i, s))
    return out


# ---------------------------------------------------------------- hypothesis problems
@st.composite
def weak_problems(
    draw: st.DrawFn, max_children: int = 5, max_settings: int = 3
) -> Problem:
    """Small weak problems: every setting ranks every child, in random classes."""
    n = draw(st.integers(1, max_children))
    m = draw(st.integers(1, max_settings))
    caps = draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    prefs = [
        draw(st.permutations(range(m)).map(lambda r: list(r)))[
            : draw(st.integers(0, m))
        ]
        for _ in range(n)
    ]
    plists: list[list[list[int]]] = []
    for _ in range(m):
        perm = draw(st.permutations(range(n)))
        cuts = draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1))
        classes: list[list[int]] = [[perm[0]]]
        for c, new in zip(perm[1:], cuts, strict=True):
            if new:
                classes.append([c])
            else:
                classes[-1].append(c)
        plists.append(classes)
    return Problem.from_lists(caps, prefs, priorities=plists)


@settings(max_examples=150, deadline=None)
@given(weak_problems(), st.integers(0, 2**32 - 1))
def test_da_with_tie_breaking_is_weakly_stable(p: Problem, seed: int) -> None:
    for name in ("deferred_acceptance_stb", "deferred_acceptance_mtb"):
        a = sa.allocate(p, name, rng=seed)
        assert is_weakly_stable(p, a)


@settings(max_examples=150, deadline=None)
@given(weak_problems(), st.data())
def test_weak_blocking_pairs_match_brute_force(p: Problem, data: st.DataObject) -> None:
    assign = [
        data.draw(st.sampled_from([-1] + [int(s) for s in p.preferences[i] if s >= 0]))
        for i in range(p.n_children)
    ]
    got = {(int(i), int(s)) for i, s in weak_blocking_pairs(p, assign)}
    assert got == _brute_weak_blocking(p, assign)


@settings(max_examples=100, deadline=None)
@given(weak_problems(), st.integers(0, 2**32 - 1))
def test_weak_stability_equals_stability_of_strict_problems(
    p: Problem, seed: int
) -> None:
    s = sa.break_ties(p, "single", rng=seed)
    strict = Problem.from_lists(
        s.capacity.tolist(),
        [[int(x) for x in r if x >= 0] for r in s.preferences],
        priorities=[x.tolist() for x in s.priority_lists],
    )
    a = sa.allocate(p, "random_serial_dictatorship", rng=seed)
    assert is_weakly_stable(strict, a) == sa.properties.is_stable(strict, a)
