"""Kernel helpers (sendalloc._kernels.jit): compiled once, plain Python from Python."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from sendalloc._kernels.jit import helper


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
