"""Lazy numba compilation for allocation kernels.

``import sendalloc`` must stay fast and must not import numba; a kernel is compiled
the first time it is called (and cached on disk by numba, so later processes load
it). The undecorated Python function stays reachable as ``kernel.py_func``: tests
run it directly to cross-check the compiled code path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["kernel"]

F = TypeVar("F", bound=Callable[..., Any])


def kernel(fn: F) -> F:
    """Compile ``fn`` with ``numba.njit(cache=True, nogil=True)`` on first call."""
    compiled: Callable[..., Any] | None = None

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        nonlocal compiled
        if compiled is None:
            import numba

            compiled = numba.njit(cache=True, nogil=True)(fn)
        return compiled(*args)

    wrapper.py_func = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
