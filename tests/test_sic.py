"""Stable improvement cycles (Erdil & Ergin 2008) against plain-Python references."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sendalloc as sa
from sendalloc import Problem
from sendalloc.mechanisms.stable_improvement_cycles import (
    stable_improvement_cycles_kernel,
)
from sendalloc.ties import is_weakly_stable, weak_classes
from test_ties import weak_problems


# --------------------------------------------------------------------------- references
def reference_sic(
    prefs: list[list[int]],
    cls: dict[tuple[int, int], int],
    tie: dict[tuple[int, int], int],
    assign: list[int],
) -> list[int]:
    """Erdil-Ergin stable improvement cycles, written out with dicts and sets.

    The same deterministic choice as the kernel: the edge s -> t is carried by
    the child at s whom t's tie-broken priority ranks first; settings with no
    edge into the remaining graph are dropped until none is; the walk starts at
    the lowest remaining setting and follows the lowest remaining successor.
    """
    assign = list(assign)
    n = len(prefs)
    while True:

        def desired(i: int) -> list[int]:
            row = prefs[i]
            return row[: row.index(assign[i])] if assign[i] in row else row

        best: dict[int, int] = {}
        for i in range(n):
            for s in desired(i):
                best[s] = min(best.get(s, cls[i, s]), cls[i, s])
        edges: dict[tuple[int, int], tuple[int, int]] = {}
        for i in range(n):
            if assign[i] < 0:
                continue
            for s in desired(i):
                if cls[i, s] == best[s]:
                    key = (assign[i], s)
                    edges[key] = min(edges.get(key, (tie[i, s], i)), (tie[i, s], i))
        alive = {u for u, _ in edges}
        changed = True
        while changed:
            changed = False
            for u in sorted(alive):
                if not any(a == u and b in alive for a, b in edges):
                    alive.discard(u)
                    changed = True
        if not alive:
            return assign
        v = min(alive)
        seen: dict[int, int] = {}
        path: list[tuple[int, int]] = []
        while v not in seen:
            seen[v] = len(path)
            t = min(b for a, b in edges if a == v and b in alive)
            path.append((v, t))
            v = t
        for u, t in path[seen[v] :]:
            assign[edges[u, t][1]] = t


def _parts(p: Problem) -> tuple[list[list[int]], dict, dict]:  # type: ignore[type-arg]
    prefs = [[int(s) for s in row if s >= 0] for row in p.preferences]
    cls_arr = weak_classes(p)
    cls = {
        (i, s): int(cls_arr[i, k]) for i, r in enumerate(prefs) for k, s in enumerate(r)
    }
    tie = {
        (i, s): int(p.priority[i, k])
        for i, r in enumerate(prefs)
        for k, s in enumerate(r)
    }
    return prefs, cls, tie


def all_weakly_stable(p: Problem) -> list[tuple[int, ...]]:
    """Every weakly stable allocation of a small problem, by enumeration."""
    choices = [[-1] + [int(s) for s in row if s >= 0] for row in p.preferences]
    return [a for a in itertools.product(*choices) if is_weakly_stable(p, np.array(a))]


def _rank(p: Problem, i: int, s: int) -> int:
    row = [int(x) for x in p.preferences[i] if x >= 0]
    return row.index(s) if s >= 0 else len(row)


def dominates(p: Problem, b: tuple[int, ...], a: tuple[int, ...]) -> bool:
    """Whether allocation b Pareto-dominates a for the children."""
    ra = [_rank(p, i, s) for i, s in enumerate(a)]
    rb = [_rank(p, i, s) for i, s in enumerate(b)]
    return all(x <= y for x, y in zip(rb, ra, strict=True)) and rb != ra


# --------------------------------------------------------------------------- examples
def test_erdil_ergin_style_example() -> None:
    # Two settings, one place each (the shape of Erdil & Ergin's motivating
    # example; the numbers here are ours, every step worked by hand).
    #   Oak: amy ~ ben.            Elm: ben, then amy ~ cat.
    #   amy: Elm > Oak.  ben: Oak > Elm.  cat: Elm only.
    # Lottery cat, amy, ben, so Oak: amy, ben and Elm: ben, cat, amy.
    # DA: amy -> Elm, ben -> Oak, cat -> Elm; Elm keeps cat (lottery), rejects
    #   amy; amy -> Oak beats ben (lottery); ben -> Elm beats cat (class);
    #   cat has nothing left.  DA-STB = amy: Oak, ben: Elm, cat: none.
    # Cycles: Elm is desired by amy and cat, best class {amy, cat}, so amy (at
    #   Oak) gives the edge Oak -> Elm; Oak is desired by ben only: Elm -> Oak.
    #   Carrying out the cycle: amy: Elm, ben: Oak, cat: none. Now Elm is
    #   desired by cat only and Oak by nobody: no edge out of Oak, no cycle.
    # The result is weakly stable: cat ties with amy at Elm, so has no claim.
    p = Problem.from_dicts(
        {"Oak": 1, "Elm": 1},
        {"amy": ["Elm", "Oak"], "ben": ["Oak", "Elm"], "cat": ["Elm"]},
        priorities={"Oak": [["amy", "ben"]], "Elm": ["ben", ["amy", "cat"]]},
    )
    stb = sa.break_ties(p, "single", lottery=["cat", "amy", "ben"])
    da = sa.allocate(stb, "deferred_acceptance_stb")
    sic = sa.allocate(stb, "stable_improvement_cycles")
    assert da.to_dict() == {"amy": "Oak", "ben": "Elm", "cat": None}
    assert sic.to_dict() == {"amy": "Elm", "ben": "Oak", "cat": None}
    assert is_weakly_stable(p, sic)
    assert is_weakly_stable(stb, sic)  # judged by the recorded classes
    assert (sic.rank <= da.rank).all()
    assert sic.problem is stb
    assert sic.mechanism == "stable_improvement_cycles"


def test_cycles_undo_multiple_tie_breaking() -> None:
    # The DA-MTB example of test_ties: x: B, z: A, y: none, everyone tied.
    # Cycles: A is desired by x (at B) and y (unplaced), all class 0, so x
    #   gives B -> A; B is desired by z (at A) and y: z gives A -> B.  Carry
    #   out: x: A, z: B. Then x and z hold their first choices; only y
    #   desires anything and y holds no place: no edge, stop.
    p = Problem.from_dicts(
        {"A": 1, "B": 1},
        {"x": ["A", "B"], "y": ["B", "A"], "z": ["B", "A"]},
        priorities=[["x", "y", "z"]],
    )
    mtb = sa.break_ties(
        p, "multiple", lottery={"A": ["z", "y", "x"], "B": ["x", "z", "y"]}
    )
    assert sa.allocate(mtb, "stable_improvement_cycles").to_dict() == {
        "x": "A",
        "y": None,
        "z": "B",
    }


def test_three_cycle_through_the_kernel() -> None:
    # Three settings, one place each, children 0, 1, 2:
    #   0: S1 > S0;  1: S2 > S1;  2: S0 > S2.
    # Classes (aligned with the rows): each child is in class 1 at their first
    # choice and class 0 at their second. Start from second choices:
    #   0 at S0, 1 at S1, 2 at S2 (weakly stable: each setting holds a class-0
    #   child, nobody has a strictly better class anywhere).
    # Desire: S1 by 0 alone (best class 1), S2 by 1 alone, S0 by 2 alone, so
    #   edges S0 -> S1 (child 0), S1 -> S2 (1), S2 -> S0 (2). Nothing to prune;
    #   walk from S0: S0, S1, S2, S0: one 3-cycle, and every child moves to
    #   their first choice. Then nobody desires anything: stop.
    prefs = np.array([[1, 0], [2, 1], [0, 2]], dtype=np.int32)
    cls = np.array([[1, 0], [1, 0], [1, 0]], dtype=np.int32)
    tie = np.array([[1, 0], [1, 0], [1, 0]], dtype=np.int32)
    start = np.array([0, 1, 2], dtype=np.int32)
    out = stable_improvement_cycles_kernel(3, prefs, cls, tie, start)
    assert out.tolist() == [1, 2, 0]
    assert start.tolist() == [0, 1, 2]  # input untouched


def test_choice_among_cycles_is_deterministic() -> None:
    # Two disjoint 2-cycles: S0 <-> S1 (children 0, 1) and S2 <-> S3 (2, 3),
    # everyone in one class everywhere, starting from second choices.
    #   0: S1 > S0 at S0;  1: S0 > S1 at S1;  2: S3 > S2 at S2;  3: S2 > S3 at S3.
    # Round 1: walk from S0 -> S1 -> S0: swap 0 and 1. Round 2: only S2 <-> S3
    #   is left: swap 2 and 3. Either order ends at first choices for all.
    # And two children able to carry the same edge S0 -> S1: children 0 and 4
    # both at S0 (two places), both want S1; child 1 at S1 wants S0. The edge
    # goes to the child S1's tie-break ranks first: child 4 (tie 0 < 1).
    prefs = np.array([[1, 0], [0, 1], [3, 2], [2, 3]], dtype=np.int32)
    zeros = np.zeros((4, 2), dtype=np.int32)
    out = stable_improvement_cycles_kernel(
        4, prefs, zeros, zeros, np.array([0, 1, 2, 3], dtype=np.int32)
    )
    assert out.tolist() == [1, 0, 3, 2]
    prefs5 = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.int32)
    tie5 = np.array([[1, 0], [0, 0], [0, 1]], dtype=np.int32)
    out5 = stable_improvement_cycles_kernel(
        2,
        prefs5,
        np.zeros((3, 2), dtype=np.int32),
        tie5,
        np.array([0, 1, 0], dtype=np.int32),
    )
    assert out5.tolist() == [0, 0, 1]


def test_strict_problem_is_deferred_acceptance() -> None:
    p = Problem.from_lists(
        [1, 1], [[0, 1], [0, 1], [1]], priorities=[[1, 0, 2], [2, 0, 1]]
    )
    assert sa.allocate(p, "stable_improvement_cycles").assignment.tolist() == (
        sa.allocate(p, "deferred_acceptance_stb").assignment.tolist()
    )


def test_draws_lottery_from_rng() -> None:
    p = Problem.from_lists(
        [1, 1], [[0, 1], [1, 0], [0, 1]], priorities=[[[0, 1, 2]]] * 2
    )
    a = sa.allocate(p, "stable_improvement_cycles", rng=9)
    b = sa.allocate(sa.break_ties(p, "single", rng=9), "stable_improvement_cycles")
    np.testing.assert_array_equal(a.assignment, b.assignment)


# --------------------------------------------------------------------------- properties
@settings(max_examples=200, deadline=None)
@given(
    weak_problems(), st.integers(0, 2**32 - 1), st.sampled_from(["single", "multiple"])
)
def test_kernel_matches_reference(p: Problem, seed: int, rule: str) -> None:
    s = sa.break_ties(p, rule, rng=seed)
    da = sa.allocate(s, f"deferred_acceptance_{rule[0]}tb").assignment
    prefs, cls, tie = _parts(s)
    expected = reference_sic(prefs, cls, tie, [int(x) for x in da])
    got = sa.allocate(s, "stable_improvement_cycles").assignment.tolist()
    assert got == expected
    py = stable_improvement_cycles_kernel.py_func(  # type: ignore[attr-defined]
        s.n_settings, s.preferences, weak_classes(s), s.priority, da
    )
    assert py.tolist() == expected


@settings(max_examples=150, deadline=None)
@given(weak_problems(max_children=4), st.integers(0, 2**32 - 1))
def test_sic_is_child_optimal_weakly_stable(p: Problem, seed: int) -> None:
    s = sa.break_ties(p, "single", rng=seed)
    da = sa.allocate(s, "deferred_acceptance_stb")
    sic = sa.allocate(s, "stable_improvement_cycles")
    # Weakly stable.
    assert is_weakly_stable(p, sic)
    assert is_weakly_stable(p, da)
    # Never worse for any child than DA with the same lottery.
    ra = [_rank(p, i, int(x)) for i, x in enumerate(da.assignment)]
    rs = [_rank(p, i, int(x)) for i, x in enumerate(sic.assignment)]
    assert all(x <= y for x, y in zip(rs, ra, strict=True))
    # Not Pareto-dominated by any weakly stable allocation (enumeration).
    got = tuple(int(x) for x in sic.assignment)
    stable = all_weakly_stable(p)
    assert got in stable
    assert not any(dominates(p, b, got) for b in stable)
