"""Problem.from_arrays: the compiled fast path against the frozen reference.

``tests/reference_from_arrays.py`` is the builder as it was before the fast
path; every field of the Problem and every error message must match it. The
fast path normally starts at ``MIN_SLOTS`` slots; most tests lower that to 0
so that many small, varied problems go through it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from reference_from_arrays import reference_from_arrays
from sendalloc.errors import InvalidProblemError

# The constructors (and the switch to the compiled path) live here.
problem_module = importlib.import_module("sendalloc._problem.builders")
FIELDS = (
    "capacity",
    "preferences",
    "priority",
    "order",
    "plist_children",
    "plist_start",
    "plist_end",
    "plist_class",
)


@pytest.fixture
def fast_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(problem_module, "MIN_SLOTS", 0)


def _outcome(build: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", build()
    except InvalidProblemError as exc:
        return "error", str(exc)


def assert_same(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The fast builder and the reference agree: same fields, or same error."""
    got_kind, got = _outcome(lambda: sa.Problem.from_arrays(*args, **kwargs))
    want_kind, want = _outcome(lambda: reference_from_arrays(*args, **kwargs))
    assert got_kind == want_kind, (got, want)
    if got_kind == "error":
        assert got == want
        return
    for name in FIELDS:
        a, b = getattr(got, name), want[name]
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert not a.flags.writeable, name
    assert got.child_ids == want["child_ids"]
    assert got.setting_ids == want["setting_ids"]


def random_problem(rng: np.random.Generator) -> tuple[tuple[Any, ...], dict[str, Any]]:
    n = int(rng.integers(0, 30))
    m = int(rng.integers(0, 7))
    width = int(rng.integers(0, 6))
    cap = rng.integers(0, 4, m)
    prefs = np.full((n, width), -1, dtype=np.int64)
    for i in range(n):
        k = int(rng.integers(0, min(width, m) + 1))
        prefs[i, :k] = rng.choice(m, k, replace=False)
    style = rng.integers(0, 5)
    if style == 0:  # small values: many ties
        prio = rng.integers(-2, 3, (n, width))
    elif style == 1:  # distinct values
        prio = rng.permutation(max(n * width, 1))[: n * width].reshape(n, width)
    elif style == 2:  # the int64 extremes: keys do not pack
        prio = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, (n, width))
    elif style == 3:  # integral floats
        prio = rng.integers(0, 50, (n, width)).astype(np.float64)
    else:  # a wide range that still packs
        prio = rng.integers(-(2**30), 2**30, (n, width))
    kwargs: dict[str, Any] = {"priority": prio, "ties": bool(rng.integers(0, 2))}
    if rng.integers(0, 2):
        kwargs["order"] = rng.permutation(n)
    if rng.integers(0, 2):  # the dtypes callers use
        prefs = prefs.astype(np.int32)
        if style in (0, 1, 4):
            kwargs["priority"] = prio.astype(np.int32)
    if rng.integers(0, 4) == 0:  # not contiguous
        prefs = np.asfortranarray(prefs)
    if rng.integers(0, 3) == 0:  # one bad entry somewhere
        prefs, kwargs = _corrupt(rng, prefs, kwargs, m)
    return (cap, prefs), kwargs


def _corrupt(
    rng: np.random.Generator, prefs: Any, kwargs: dict[str, Any], m: int
) -> tuple[Any, dict[str, Any]]:
    prefs = np.array(prefs, dtype=np.int64)
    kwargs = dict(kwargs)
    what = rng.integers(0, 6)
    n, width = prefs.shape
    if what == 0 and prefs.size:  # out of range
        prefs[rng.integers(0, n), rng.integers(0, width)] = rng.choice([-2, m, m + 5])
    elif what == 1 and width >= 2:  # an entry after padding
        i = int(rng.integers(0, n)) if n else 0
        if n:
            prefs[i, 0] = -1
            prefs[i, 1] = 0 if m else -1
    elif what == 2 and width >= 2 and m and n:  # a setting twice in a row
        i = int(rng.integers(0, n))
        prefs[i, :2] = int(rng.integers(0, m))
    elif what == 3 and "order" in kwargs and n >= 2:  # order not a permutation
        order = np.array(kwargs["order"])
        order[0] = order[1]
        kwargs["order"] = order
    elif what == 4:  # priority of another shape
        kwargs["priority"] = np.zeros((n + 1, width), dtype=np.int64)
    elif what == 5 and prefs.size:  # a fraction in the priorities
        prio = np.array(kwargs["priority"], dtype=np.float64)
        prio.flat[int(rng.integers(0, prio.size))] = 0.5
        kwargs["priority"] = prio
    return prefs, kwargs


@pytest.mark.usefixtures("fast_everywhere")
def test_fast_path_matches_reference_on_random_problems() -> None:
    rng = np.random.default_rng(15)
    for _ in range(3000):
        args, kwargs = random_problem(rng)
        assert_same(args, kwargs)


def test_large_problems_take_the_fast_path_and_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    from instances import make_instance

    for n, seed in ((7_000, 1), (20_000, 2)):
        inst = make_instance(n, seed=seed)
        assert inst.preferences.size >= problem_module.MIN_SLOTS
        args = (inst.capacity, inst.preferences)
        kwargs = {"priority": inst.priority, "order": inst.order}
        assert_same(args, kwargs)
        ties = {"priority": inst.priority // 1000, "ties": True}
        assert_same(args, ties)
    # ... and it is the fast path that ran.
    calls: list[int] = []
    real = problem_module.priority_lists

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(problem_module, "priority_lists", spy)
    sa.Problem.from_arrays(*args, **kwargs)
    assert calls == [1]


@pytest.mark.usefixtures("fast_everywhere")
def test_padding_with_extreme_priorities_still_packs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Values at padded slots do not count: the ranked slots' range packs."""
    results: list[Any] = []
    real = problem_module.priority_lists

    def spy(*a: Any, **k: Any) -> Any:
        results.append(real(*a, **k))
        return results[-1]

    monkeypatch.setattr(problem_module, "priority_lists", spy)
    prefs = np.array([[0, 1, -1], [1, -1, -1], [1, 0, 2]], dtype=np.int32)
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    prio = np.array([[5, 2, lo], [6, hi, lo], [7, 1, 3]], dtype=np.int64)
    for ties in (False, True):
        kwargs = {"priority": prio, "ties": ties, "order": [2, 0, 1]}
        assert_same(([1, 1, 1], prefs), kwargs)
    assert len(results) == 2
    assert all(r is not None for r in results)


BAD: list[tuple[Any, Any, dict[str, Any]]] = [
    ([1, 1], [[0, 2]], {"priority": [[0, 1]]}),
    ([1, 1], [[0, -2]], {"priority": [[0, 1]]}),
    ([1, 1], [[-1, 0]], {"priority": [[0, 1]]}),
    ([1, 1], [[1, 1]], {"priority": [[0, 1]]}),
    ([1, 1], [[0, 1], [1, 0]], {"priority": [[0, 1], [1, 1]]}),
    ([1, 1], [[0, 1], [1, 0]], {"priority": [[0, 1], [1]]}),
    ([1, 1], [[0, 1]], {"priority": [[0, 1, 2]]}),
    ([1, 1], [[0, 1]], {"priority": [[0.5, 1]]}),
    ([1, 1], [[0, 1]], {"priority": [[np.nan, 1]]}),
    ([1, 1], [[0, 1]], {"priority": [[True, False]]}),
    ([1, 1], [[0, 1]], {"priority": [["a", "b"]]}),
    ([1, 1], [[0, 1]], {"priority": [[0, 1]], "order": [1]}),
    ([1, 1], [[0, 1], [1, 0]], {"priority": [[0, 1], [2, 3]], "order": [0, 0]}),
    ([1, 1], [[0, 1], [1, 0]], {"priority": [[0, 1], [2, 3]], "order": [0, 2]}),
    ([1, -1], [[0, 1]], {"priority": [[0, 1]]}),
    ([1, 2**40], [[0, 1]], {"priority": [[0, 1]]}),
    ([1, 1], [[0, 5], [7, 7]], {"priority": [[0.5, 1], [1, 1]], "order": [3, 3]}),
    ([1, 1], [0, 1], {"priority": [0, 1]}),
    ([1, 1], [[0, 1]], {"priority": np.array([[2**63, 0]], dtype=np.uint64)}),
    ([1, 1], [[0, 1]], {"priority": np.array([[2**64, 0]], dtype=object)}),
]


@pytest.mark.usefixtures("fast_everywhere")
@pytest.mark.parametrize(("cap", "prefs", "kwargs"), BAD)
def test_every_error_message_is_the_reference_one(
    cap: Any, prefs: Any, kwargs: dict[str, Any]
) -> None:
    assert_same((cap, prefs), kwargs)
    with pytest.raises(InvalidProblemError):
        sa.Problem.from_arrays(cap, prefs, **kwargs)


@pytest.mark.usefixtures("fast_everywhere")
def test_callers_arrays_are_left_alone() -> None:
    prefs = np.array([[0, 1], [1, -1]], dtype=np.int32)
    prio = np.array([[3, 1], [0, 9]], dtype=np.int32)
    order = np.array([1, 0], dtype=np.int32)
    before = (prefs.copy(), prio.copy(), order.copy())
    p = sa.Problem.from_arrays([1, 1], prefs, priority=prio, order=order)
    for a, b in zip((prefs, prio, order), before, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.flags.writeable
    assert not np.shares_memory(p.preferences, prefs)
    assert not np.shares_memory(p.order, order)


# ------------------------------------------------------------------ huge float priority
@pytest.mark.parametrize(
    "value",
    [2.0**63, 1e19, -(2.0**63) - 4096, np.float32(1e19), np.longdouble(2) ** 63],
)
@pytest.mark.parametrize("fast", [False, True])
def test_float_priority_outside_int64_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: Any, fast: bool
) -> None:
    """Cast to int64 it became INT64_MIN, the best priority: the wrong child won."""
    if fast:
        monkeypatch.setattr(problem_module, "MIN_SLOTS", 0)
    prio = np.array([[value], [0]], dtype=np.asarray(value).dtype)
    with pytest.raises(InvalidProblemError, match=r"priority\[0, 0\] = .*int64 range"):
        sa.Problem.from_arrays([1], [[0], [0]], priority=prio)


def test_float_priorities_inside_int64_still_work() -> None:
    big = float(2**63 - 1024)  # the largest float below 2**63
    p = sa.Problem.from_arrays([1], [[0], [0]], priority=[[big], [-(2.0**63)]])
    assert sa.allocate(p, "deferred_acceptance").assignment.tolist() == [-1, 0]
    with pytest.raises(InvalidProblemError, match=r"capacity\[0\] = 1e\+19"):
        sa.Problem.from_arrays([1e19], [[0]])
    with pytest.raises(InvalidProblemError, match=r"order\[1\] = 1e\+19"):
        sa.Problem.from_arrays([1], [[0], [0]], order=[0.0, 1e19])
