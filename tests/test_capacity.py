from __future__ import annotations

from types import SimpleNamespace as NS

import networkx as nx
import numpy as np
import pytest

import sendalloc as sa
from sendalloc._arrays import largest_remainder
from sendalloc._capacity.cost import _crossing
from sendalloc.capacity import (
    capacity_gap,
    gap_summary,
    max_flow_bound,
    places_needed,
)
from test_simulate import ToyScenario


def _nx_bound(cap: np.ndarray, lists: np.ndarray) -> int:
    g = nx.DiGraph()
    for i, row in enumerate(lists):
        g.add_edge("s", ("c", i), capacity=1)
        for s in row[row >= 0]:
            g.add_edge(("c", i), ("p", int(s)), capacity=1)
    for s, c in enumerate(cap):
        g.add_edge(("p", s), "t", capacity=int(c))
    if "t" not in g:
        return 0
    return int(nx.maximum_flow_value(g, "s", "t"))


def test_hand_worked_cut() -> None:
    # Oak (1 place) is listed by c0, c1, c2; Elm (2 places) by c2, c3.
    # Best: c0 or c1 at Oak, c2 and c3 at Elm -> 3 placed. The cut: {c0, c1}
    # compete for Oak's single place, so one of them always goes unplaced.
    cap = np.array([1, 2])
    lists = np.array([[0, -1], [0, -1], [0, 1], [1, -1]])
    placed, assign, kids, places = max_flow_bound(cap, lists)
    assert placed == 3
    assert kids.tolist() == [True, True, False, False]
    assert places.tolist() == [True, False]
    assert kids.sum() - cap[places].sum() == 4 - placed
    # the placement is feasible and on the lists
    used = np.bincount(assign[assign >= 0], minlength=2)
    assert (used <= cap).all(), used  # elementwise, not list order
    for i, s in enumerate(assign):
        assert s == -1 or s in lists[i]


def test_max_flow_fills_no_setting_beyond_its_places() -> None:
    # Four children who all prefer Elm (2 places) to Oak (1 place). A flow that
    # ignored capacity would put them all at Elm: [0, 4], which Python's list
    # order would call "<=" [1, 2]. Compared setting by setting it is not.
    cap = np.array([1, 2])
    lists = np.array([[1, 0]] * 4)
    placed, assign, _, _ = max_flow_bound(cap, lists)
    used = np.bincount(assign[assign >= 0], minlength=2)
    assert (used <= cap).all(), used
    assert placed == used.sum() == 3


def test_empty_lists_and_zero_capacity() -> None:
    placed, assign, kids, _ = max_flow_bound(
        np.array([0, 3]), np.array([[0, -1], [-1, -1], [1, 0]])
    )
    assert placed == 1
    assert assign.tolist()[2] == 1
    # the child with an empty list and the one listing only a 0-place setting
    assert kids.tolist() == [True, True, False]


@pytest.mark.parametrize("seed", range(20))
def test_bound_matches_networkx_and_beats_mechanisms(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inst = ToyScenario(n=40, m=6).sample(rng)
    cap = inst.problem.capacity
    placed, assign, kids, places = max_flow_bound(cap, inst.lists)
    assert placed == _nx_bound(cap, inst.lists)
    assert kids.sum() - cap[places].sum() == len(assign) - placed
    for mech in ("first_available", "random_serial_dictatorship"):
        final = sa.metrics.la_fallback(inst, sa.allocate(inst.problem, mech, rng=seed))
        assert (final >= 0).sum() <= placed
    g = capacity_gap(inst, on="preferences")
    assert g.max_placed == _nx_bound(cap, inst.problem.preferences)
    if "max_placement" in sa.MECHANISMS:
        a = sa.allocate(inst.problem, "max_placement")
        assert int(a.placed.sum()) == g.max_placed


def test_capacity_gap_breakdowns() -> None:
    inst = NS(
        problem=sa.Problem.from_lists([1, 2], [[0], [0], [1], [1]]),
        lists=np.array([[0, -1], [0, -1], [0, 1], [1, -1]]),
        children=NS(need=np.array([0, 5, 2, 2])),
        settings=NS(kind=np.array([2, 0]), id=("Oak", "Elm")),
    )
    g = capacity_gap(inst)
    assert g.gap == 1
    assert g.bound == pytest.approx(0.75)
    assert g.bottleneck_ids == ("Oak",)
    assert g.excess_by_need.tolist()[:6] == [1, 0, 0, 0, 0, 1]
    assert g.bottleneck_places_by_kind.tolist()[:3] == [0, 0, 1]
    with pytest.raises(ValueError, match="on: expected"):
        capacity_gap(inst, on="wishes")


def test_gap_summary() -> None:
    s = gap_summary(ToyScenario(), runs=6, seed=1)
    assert s.bound.shape == (6,)
    assert (s.first_available <= s.bound + 1e-12).all()
    text = s.text()
    assert "max-flow bound" in text


def test_helpers() -> None:
    # 5 split 1:1:2 is 1.25, 1.25, 2.5: the unit left over goes to the largest
    # fraction; equal fractions go to the first.
    assert largest_remainder(np.array([1.25, 1.25, 2.5]), 5).tolist() == [1, 1, 3]
    assert largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist() == [2, 1, 1]
    assert largest_remainder(np.array([0.0]), 0).tolist() == [0]
    xs = np.array([0.0, 10.0, 20.0])
    assert _crossing(xs, np.array([0.5, 0.7, 0.9]), 0.8) == pytest.approx(15.0)
    assert _crossing(xs, np.array([0.5, 0.7, 0.9]), 0.4) == 0.0
    assert _crossing(xs, np.array([0.5, 0.7, 0.9]), 0.95) == np.inf


def test_places_needed_reaches_target() -> None:
    scen = ToyScenario(fallback=True)
    r = places_needed(scen, 0.97, runs=8, seed=0, n_boot=50)
    assert r.baseline < 0.97 <= r.achieved
    assert r.ci_low <= r.extra + 1e-9
    assert r.by_group.sum() == r.extra
    assert len(r.groups) == 7
    # one place fewer does not reach it (bisection found the smallest)
    xs, ys = r.curve
    below = xs < r.extra
    assert (ys[below] < 0.97).all()
    assert "Extra places" in r.text()
    rn = places_needed(scen, 0.97, runs=8, seed=0, by="need", n_boot=20)
    assert len(rn.groups) == 13
    assert rn.achieved >= 0.97


def test_places_needed_errors() -> None:
    scen = ToyScenario()
    with pytest.raises(ValueError, match="metric: expected one of"):
        places_needed(scen, 0.9, metric="happiness", runs=2)
    with pytest.raises(ValueError, match="by: expected"):
        places_needed(scen, 0.9, by="phase", runs=2)
    with pytest.raises(ValueError, match="target: expected a share"):
        places_needed(scen, 90, runs=2)
    # ToyScenario has no empty lists, so use unplaced with an impossible goal
    # on first preference instead: a child's first preference is one setting.
    r = places_needed(scen, 0.02, metric="unplaced", runs=4, n_boot=10)
    assert r.achieved <= 0.02
