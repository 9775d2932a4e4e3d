"""Every mechanism's kernel against its plain-Python reference implementation.

Generated small problems (hypothesis) and seeded larger ones must give identical
assignments; each kernel's uncompiled Python (``kernel.py_func``) must agree
with its compiled version. Theorems (stability, efficiency) live elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings

import reference as ref
import sendalloc as sa
from gen import random_problem, small_problems
from sendalloc import Problem
from sendalloc.mechanisms._slots import slots_by_setting_kernel
from sendalloc.mechanisms.adaptive_boston import adaptive_boston_kernel
from sendalloc.mechanisms.boston import boston_kernel
from sendalloc.mechanisms.deferred_acceptance import deferred_acceptance_kernel
from sendalloc.mechanisms.first_available import serial_dictatorship_kernel
from sendalloc.mechanisms.setting_proposing_deferred_acceptance import (
    setting_proposing_deferred_acceptance_kernel,
)
from sendalloc.mechanisms.top_trading_cycles import top_trading_cycles_kernel

SMALL = settings(max_examples=200, deadline=None)
DETERMINISTIC = sorted(ref.REFERENCES)
SEEDS = range(50)


def check_feasible(p: Problem, a: sa.Allocation) -> None:
    """Every placed child is at a setting they ranked, within its places."""
    assert a.assignment.shape == (p.n_children,)
    placed = a.placed
    assert (a.rank[placed] >= 0).all()
    assert (a.rank[~placed] == -1).all()
    assert (a.occupancy <= p.capacity).all()


# --------------------------------------------------------------- small, generated
@pytest.mark.parametrize("name", DETERMINISTIC)
@SMALL
@given(p=small_problems())
def test_matches_reference_on_small_problems(name: str, p: Problem) -> None:
    a = sa.allocate(p, name)
    assert a.mechanism == name
    assert a.assignment.tolist() == ref.REFERENCES[name](p)
    check_feasible(p, a)


@SMALL
@given(p=small_problems())
def test_random_serial_dictatorship_is_serial_dictatorship_in_a_drawn_order(
    p: Problem,
) -> None:
    a = sa.allocate(p, "random_serial_dictatorship", rng=7)
    assert a.assignment.tolist() == ref.random_serial_dictatorship(p, 7)


@SMALL
@given(p=small_problems())
def test_max_placement_is_optimal_on_small_problems(p: Problem) -> None:
    a = sa.allocate(p, "max_placement")
    check_feasible(p, a)
    placed = int(a.placed.sum())
    assert (placed, int(a.rank[a.placed].sum())) == ref.max_placement_value(p)


# --------------------------------------------------------------- larger, seeded
@pytest.mark.parametrize("seed", SEEDS)
def test_matches_reference_on_seeded_problems(seed: int) -> None:
    p = random_problem(seed, n=200 + 13 * seed)  # N from 200 to 837
    for name in DETERMINISTIC:
        a = sa.allocate(p, name)
        assert a.assignment.tolist() == ref.REFERENCES[name](p), name
    rsd = sa.allocate(p, "random_serial_dictatorship", rng=seed)
    assert rsd.assignment.tolist() == ref.random_serial_dictatorship(p, seed)


@pytest.mark.parametrize("seed", range(0, 50, 5))
def test_max_placement_on_seeded_problems(seed: int) -> None:
    p = random_problem(seed, n=200 + 13 * seed)
    a = sa.allocate(p, "max_placement")
    check_feasible(p, a)
    placed = int(a.placed.sum())
    assert (placed, int(a.rank[a.placed].sum())) == ref.max_placement_value(p)


def test_deferred_acceptance_on_a_yardstick_style_instance() -> None:
    """Capacities summing to 0.9 N, per-setting random priorities, as refalloc.c."""
    p = random_problem(1234, n=2000, kind="arrays")
    a = sa.allocate(p, "deferred_acceptance")
    assert a.assignment.tolist() == ref.deferred_acceptance(p)


# --------------------------------------------------------------- compiled vs py_func
def _runs(p: Problem) -> dict[str, Callable[[bool], np.ndarray]]:
    """Each kernel called as the public function calls it, compiled or not."""

    def k(fn: Callable[..., object], py: bool) -> Callable[..., object]:
        return fn.py_func if py else fn  # type: ignore[attr-defined, no-any-return]

    def slots(py: bool) -> tuple[np.ndarray, ...]:
        return k(slots_by_setting_kernel, py)(  # type: ignore[return-value]
            p.preferences, p.priority, p.n_settings
        )

    n, width = p.preferences.shape
    return {
        "first_available": lambda py: k(serial_dictatorship_kernel, py)(
            p.capacity, p.preferences, p.order
        ),
        "boston": lambda py: k(boston_kernel, py)(p.capacity, *slots(py), n, width),
        "adaptive_boston": lambda py: k(adaptive_boston_kernel, py)(
            p.capacity, p.preferences, p.priority
        ),
        "deferred_acceptance": lambda py: k(deferred_acceptance_kernel, py)(
            p.capacity, p.preferences, p.priority
        ),
        "setting_proposing_deferred_acceptance": lambda py: k(
            setting_proposing_deferred_acceptance_kernel, py
        )(p.capacity, *slots(py), n),
        "top_trading_cycles": lambda py: k(top_trading_cycles_kernel, py)(
            p.capacity, p.preferences, p.plist_children, p.plist_start
        ),
    }  # type: ignore[return-value]


@pytest.mark.parametrize("kind", ["none", "common", "lists", "arrays"])
@pytest.mark.parametrize("name", DETERMINISTIC)
def test_py_func_agrees_with_compiled_kernel(name: str, kind: str) -> None:
    p = random_problem(99, n=150, kind=kind)
    run = _runs(p)[name]
    compiled, python = np.asarray(run(False)), np.asarray(run(True))
    np.testing.assert_array_equal(compiled, python)
    assert compiled.tolist() == ref.REFERENCES[name](p)
    assert compiled.tolist() == sa.allocate(p, name).assignment.tolist()


def test_py_func_of_slots_kernel_agrees_with_compiled() -> None:
    p = random_problem(5, n=300, kind="lists")
    fast = slots_by_setting_kernel(p.preferences, p.priority, p.n_settings)
    slow = slots_by_setting_kernel.py_func(  # type: ignore[attr-defined]
        p.preferences, p.priority, p.n_settings
    )
    for x, y in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(x, y)
    # Each setting's slots follow its priority list, leaving out non-listers.
    start, child, rank = fast
    for s, lst in enumerate(ref.plists_of(p)):
        kids = child[start[s] : start[s + 1]].tolist()
        assert kids == [c for c in lst if s in ref.prefs_of(p)[c]]
        assert all(
            p.preferences[c, k] == s
            for c, k in zip(kids, rank[start[s] : start[s + 1]], strict=True)
        )


# --------------------------------------------------------------- edge cases
@pytest.mark.parametrize(
    "name", [*DETERMINISTIC, "max_placement", "random_serial_dictatorship"]
)
def test_edge_cases(name: str) -> None:
    empty = Problem.from_lists([2, 0], [])
    assert sa.allocate(empty, name, rng=0).assignment.tolist() == []
    no_lists = Problem.from_lists([1, 1], [[], []])
    assert sa.allocate(no_lists, name, rng=0).assignment.tolist() == [-1, -1]
    no_places = Problem.from_lists([0, 0], [[0, 1], [1]])
    assert sa.allocate(no_places, name, rng=0).assignment.tolist() == [-1, -1]
    one = Problem.from_lists([1], [[0]])
    assert sa.allocate(one, name, rng=0).assignment.tolist() == [0]


@pytest.mark.parametrize("name", [*DETERMINISTIC, "max_placement"])
def test_inputs_not_modified_and_deterministic(name: str) -> None:
    p = random_problem(3, n=300)
    before = [a.copy() for a in (p.capacity, p.preferences, p.priority, p.order)]
    first = sa.allocate(p, name).assignment
    second = sa.allocate(p, name, rng=123).assignment
    np.testing.assert_array_equal(first, second)
    for a, b in zip(
        before, (p.capacity, p.preferences, p.priority, p.order), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_registry_lists_every_mechanism() -> None:
    for name in [*DETERMINISTIC, "max_placement", "random_serial_dictatorship"]:
        assert name in sa.MECHANISMS
