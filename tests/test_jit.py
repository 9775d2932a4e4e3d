"""Kernel helpers (sendalloc._kernels.jit): compiled once, plain Python from Python.

And ``as_ref``: a named tuple passed to helpers as one pointer; signed helpers,
called by a symbol rather than compiled again into each caller; ``empty``,
``full`` and ``zeros``: numpy's functions, written inline in compiled code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from sendalloc._kernels.jit import as_ref, empty, full, helper, zeros


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


# ---- signed helpers: called by a symbol, errors and references as numba's own


@helper(signature="(int64[::1], int64)")
def _signed_grown(
    a: npt.NDArray[np.int64], k: int
) -> tuple[int, npt.NDArray[np.int64]]:
    """A new array (a new reference back to the caller) and a scalar."""
    if k < 0:
        raise ValueError("k must not be negative")
    out = full(a.shape[0] + k, 7, np.int64)
    for i in range(a.shape[0]):
        out[i] = a[i] * 2
    return out.shape[0], out


def _grown_twice(a: npt.NDArray[np.int64], k: int) -> int:
    n, out = _signed_grown(a, k)
    m, again = _signed_grown(out, k)  # the first result, passed on
    return n + m + int(again.sum())


_SIGNED: list[Any] = []


def _compiled_grown_twice() -> Any:
    if not _SIGNED:
        import numba

        grown = _signed_grown.compiled()  # type: ignore[attr-defined]

        def caller(a: npt.NDArray[np.int64], k: int) -> int:
            n, out = grown(a, k)
            m, again = grown(out, k)
            return n + m + int(again.sum())

        _SIGNED.append(numba.njit(caller))
    return _SIGNED[0]


@settings(max_examples=20, deadline=None)
@given(a=st_.lists(st_.integers(-(2**30), 2**30), max_size=30), k=st_.integers(0, 5))
def test_signed_helper_called_by_symbol_as_python_does(a: list[int], k: int) -> None:
    x = np.array(a, dtype=np.int64)
    assert _compiled_grown_twice()(x, k) == _grown_twice(x, k)


def test_signed_helper_raises_through_its_caller() -> None:
    with pytest.raises(ValueError, match="k must not be negative"):
        _compiled_grown_twice()(np.zeros(2, dtype=np.int64), -1)


def test_signed_helper_code_is_not_compiled_again_into_its_caller() -> None:
    # numba's default (a dispatcher called from compiled code) links the
    # callee's code into the caller and optimises and compiles it there again.
    caller = _compiled_grown_twice()
    caller(np.zeros(1, dtype=np.int64), 0)
    (llvm,) = caller.inspect_llvm().values()
    defines = [ln for ln in llvm.splitlines() if ln.startswith("define")]
    assert not any("_signed_grown" in ln for ln in defines)
    assert any(
        ln.startswith("declare") and "sendalloc.signed." in ln and "_signed_grown" in ln
        for ln in llvm.splitlines()
    )


def test_signed_helper_refuses_other_argument_types() -> None:
    import numba

    grown = _signed_grown.compiled()  # type: ignore[attr-defined]

    def caller(a: npt.NDArray[np.int32]) -> int:
        return grown(a, 1)[0]  # type: ignore[no-any-return]

    with pytest.raises(numba.core.errors.TypingError):
        numba.njit(caller)(np.zeros(2, dtype=np.int32))


@pytest.mark.timeout(300)
def test_kernel_calling_signed_helpers_loads_from_the_cache(tmp_path: Any) -> None:
    # A second process loads max_placement's kernel and its signed helpers
    # from numba's cache (compiling nothing) and finds the helpers' symbols.
    script = textwrap.dedent(
        """
        import sendalloc as sa
        from numba.core import event

        compiled = []

        class Listener(event.Listener):
            def on_start(self, ev):
                compiled.append(ev.data["dispatcher"].py_func.__name__)

            def on_end(self, ev):
                pass

        p = sa.Problem.from_dicts(
            {"Oak": 1, "Elm": 1, "Ash": 2},
            {"amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm", "Ash"]},
        )
        with event.install_listener("numba:compile", Listener()):
            got = sa.allocate(p, "max_placement").to_dict()
        print(got, len(compiled))
        """
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    want = "{'amy': 'Elm', 'ben': 'Oak', 'cat': 'Ash'}"
    cold, warm = (run.stdout.strip().rsplit(" ", 1) for run in runs)
    assert cold[0] == warm[0] == want
    assert int(cold[1]) > 0
    assert int(warm[1]) == 0


# ---- empty, full, zeros: numpy's, inline in compiled code

_DTYPES = [np.int8, np.int32, np.int64, np.float64, np.bool_]


def _make(shape: Any, value: int, dtype: Any) -> tuple[Any, Any, Any]:
    return empty(shape, dtype), full(shape, value, dtype), zeros(shape, dtype)


_ARRAYS: dict[Any, Any] = {}


def _compiled_make() -> Any:
    if not _ARRAYS:
        import numba

        e, f, z = (g.compiled() for g in (empty, full, zeros))  # type: ignore[attr-defined]

        def make(shape: Any, value: int, dtype: Any) -> tuple[Any, Any, Any]:
            return e(shape, dtype), f(shape, value, dtype), z(shape, dtype)

        _ARRAYS[0] = numba.njit(make)
    return _ARRAYS[0]


@settings(max_examples=40, deadline=None)
@given(
    shape=st_.one_of(
        st_.integers(0, 9), st_.tuples(st_.integers(0, 5), st_.integers(0, 5))
    ),
    value=st_.integers(-128, 127),
    dtype=st_.sampled_from(_DTYPES),
)
def test_array_makers_compiled_as_numpy(shape: Any, value: int, dtype: Any) -> None:
    want = _make(shape, value, dtype)
    got = _compiled_make()(shape, value, dtype)
    for w, g in zip(want, got, strict=True):
        assert (g.dtype, g.shape) == (w.dtype, w.shape)
        assert g.flags.c_contiguous
    np.testing.assert_array_equal(got[1], want[1])  # full
    np.testing.assert_array_equal(got[2], want[2])  # zeros


def test_array_makers_refuse_a_negative_size() -> None:
    with pytest.raises(ValueError, match="negative dimensions"):
        _compiled_make()(-1, 0, np.int64)


def test_array_makers_refuse_what_numpy_scalar_types_are_not() -> None:
    import numba

    f = full.compiled()  # type: ignore[attr-defined]

    def caller(n: int) -> Any:
        return f(n, 1, "int64")

    with pytest.raises(numba.core.errors.TypingError):
        numba.njit(caller)(3)


def test_zeros_clears_memory_just_freed() -> None:
    # Memory freed a moment ago (here filled with 99) is what the allocator
    # hands out next: zeros must clear it, not rely on fresh pages.
    import numba

    f, z = full.compiled(), zeros.compiled()  # type: ignore[attr-defined]

    def churn(n: int) -> int:
        bad = 0
        for _ in range(50):
            a = f(n, 99, np.int64)
            bad += a[n - 1] - 99
            b = z(n, np.int64)
            for i in range(n):
                bad += b[i] != 0
        return bad

    assert numba.njit(churn)(1000) == 0
