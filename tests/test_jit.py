"""Kernel helpers (sendalloc._kernels.jit): compiled once, plain Python from Python.

And ``as_ref``: a named tuple passed to helpers as one pointer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from sendalloc._kernels.jit import as_ref, helper


@helper(nrt=False)
def _bump(a: npt.NDArray[np.int64], i: int, by: int) -> None:
    a[i] += by


@helper
def _ones(n: int) -> npt.NDArray[np.int64]:
    return np.ones(n, dtype=np.int64)  # allocates: needs reference counting


def test_helper_runs_as_plain_python_when_called_from_python() -> None:
    a = np.zeros(2, dtype=np.int64)
    _bump(a, 1, 5)
    assert a.tolist() == [0, 5]
    assert _bump.py_func is not _bump  # type: ignore[attr-defined]


def test_helper_is_compiled_once_whatever_constants_it_is_given() -> None:
    # A numba dispatcher would compile a version for every distinct constant
    # (Literal[int](1), (2), ...): the event kernel's compile time was several
    # times longer for it.
    import numba
    from numba.core import event

    compiled: list[str] = []

    class Listener(event.Listener):
        def on_start(self, ev: Any) -> None:
            compiled.append(ev.data["dispatcher"].py_func.__name__)

        def on_end(self, ev: Any) -> None:
            pass

    bump = _bump.compiled()  # type: ignore[attr-defined]
    ones = _ones.compiled()  # type: ignore[attr-defined]

    def caller(a: npt.NDArray[np.int64]) -> int:
        bump(a, 0, 1)
        bump(a, 1, 2)
        bump(a, 2, 3)
        return int(ones(2).sum())

    a = np.zeros(3, dtype=np.int64)
    with event.install_listener("numba:compile", Listener()):
        got = numba.njit(caller)(a)
    assert a.tolist() == [1, 2, 3]
    assert got == 2
    assert compiled.count("_bump") == 1
    assert compiled.count("_ones") == 1


class _State(NamedTuple):
    """A small state as kernels pass it: arrays, a record table, scalars."""

    counts: npt.NDArray[np.int64]
    table: np.recarray
    weights: npt.NDArray[np.float64]
    step: int
    scale: float
    on: bool


_TABLE = np.dtype([("a", np.int64), ("b", np.float64)], align=True)


@helper(nrt=False)
def _touch(st: _State, i: int) -> float:
    """Reads every kind of field through the reference and writes arrays."""
    st.counts[i] += st.step
    st.table[i].a += 1
    st.table[i].b = st.weights[i] * st.scale
    return st.table[i].b if st.on else -1.0


@helper(nrt=False)
def _walk(st: _State) -> float:
    """Calls another helper with the reference, many times (stack reused)."""
    total = 0.0
    for i in range(st.counts.shape[0]):
        total += _touch(st, i)
    return total


def _kernel(st: _State) -> float:
    return _walk(as_ref(st))  # type: ignore[no-any-return]


def _state(n: int, seed: int, on: bool) -> _State:
    rng = np.random.default_rng(seed)
    table = np.recarray(n, dtype=_TABLE)
    table.a = rng.integers(-5, 5, n)
    table.b = 0.0
    return _State(
        counts=rng.integers(0, 100, n),
        table=table,
        weights=rng.random(n),
        step=int(rng.integers(1, 4)),
        scale=float(rng.random()),
        on=on,
    )


def test_as_ref_is_the_tuple_itself_in_python() -> None:
    st = _state(3, 0, True)
    assert as_ref(st) is st


@settings(max_examples=25, deadline=None)
@given(n=st_.integers(0, 40), seed=st_.integers(0, 2**32 - 1), on=st_.booleans())
def test_as_ref_helpers_read_and_write_as_plain_python_does(
    n: int, seed: int, on: bool
) -> None:
    # The compiled reference (a pointer to the kernel's copy of the tuple's
    # members) against the plain-Python path, where it is the tuple itself.
    compiled = _compiled_kernel()
    want, got = _state(n, seed, on), _state(n, seed, on)
    total_want = _kernel(want)
    total_got = compiled(got)
    assert total_got == total_want
    for field in ("counts", "weights"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    np.testing.assert_array_equal(got.table, want.table)


def test_as_ref_refuses_what_is_not_a_named_tuple() -> None:
    import numba

    ref = as_ref.compiled()  # type: ignore[attr-defined]

    def caller(a: npt.NDArray[np.int64]) -> int:
        ref(a)
        return 0

    with pytest.raises(numba.core.errors.TypingError, match="make_ref"):
        numba.njit(caller)(np.zeros(2, dtype=np.int64))


_COMPILED: list[Any] = []


def _compiled_kernel() -> Any:
    """``_kernel`` compiled once per test session (its helpers bound)."""
    if not _COMPILED:
        import numba

        walk = _walk.compiled()  # type: ignore[attr-defined]
        ref = as_ref.compiled()  # type: ignore[attr-defined]

        def kernel(st: _State) -> float:
            return walk(ref(st))  # type: ignore[no-any-return]

        _COMPILED.append(numba.njit(kernel))
    return _COMPILED[0]
