"""Lazy numba compilation for allocation kernels.

``import sendalloc`` must stay fast and must not import numba; a kernel is compiled
the first time it is called (and cached on disk by numba, so later processes load
it). The undecorated Python function stays reachable as ``kernel.py_func``: tests
run it directly to cross-check the compiled code path.

A kernel may call *helpers* (functions decorated with :func:`helper` in the same
module): each is compiled once, as a function of its own, with the first kernel
that calls it, and its code is cached inside that kernel's cache. Splitting a long
kernel into helpers cuts numba's compile time, which grows faster than the length
of a function (nested closures are worse still: numba inlines a closure at every
call site). Called from Python, as ``kernel.py_func`` does, a helper runs its
plain Python body, so ``py_func`` stays uncompiled end to end. Keep a kernel's
helpers in its module: numba invalidates a kernel's cache when the kernel's source
file changes, not when another file does.
"""

from __future__ import annotations

import functools
import threading
import types
from collections.abc import Callable
from typing import Any, TypeVar, overload

__all__ = ["helper", "kernel"]

F = TypeVar("F", bound=Callable[..., Any])

_LOCK = threading.RLock()  # one compile at a time


def _with_helpers(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the helpers it names bound to their compiled versions.

    A copy of the function over a copy of its module's globals, so the module
    itself (and Python callers of the helpers) is left unchanged.
    """
    names = {
        name: value.compiled()
        for name in fn.__code__.co_names
        if isinstance(value := fn.__globals__.get(name), _Helper)
    }
    if not names:
        return fn
    copy = types.FunctionType(
        fn.__code__,
        {**fn.__globals__, **names},
        fn.__name__,
        fn.__defaults__,
        fn.__closure__,
    )
    copy.__qualname__ = fn.__qualname__
    copy.__module__ = fn.__module__
    copy.__doc__ = fn.__doc__
    return copy


class _Helper:
    """A function kernels call: typed by its caller, compiled into its cache.

    Compiled as a numba overload of the plain function (what
    ``numba.extending.register_jitable`` does), so that a call with a constant
    argument is typed with the constant's type, not its value: a dispatcher
    would compile one version for every distinct constant passed to it. It is
    called only from compiled code, so it gets no Python or C entry point, and
    with ``nrt=False`` no reference counting (each costs compile time); such a
    helper must allocate no array (numba refuses to compile one that does).
    numba keys a compiled overload on its caller's compile options too: a
    helper called both from a kernel and from helpers is compiled twice, so a
    long kernel is best one call to a helper holding its body.
    """

    def __init__(self, fn: Callable[..., Any], nrt: bool) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self.options: dict[str, bool] = {
            "nogil": True,
            "_nrt": nrt,
            "no_cpython_wrapper": True,
            "no_cfunc_wrapper": True,
        }
        self._registered = False

    def __call__(self, *args: Any) -> Any:
        return self.py_func(*args)

    def compiled(self) -> Callable[..., Any]:
        """What compiled callers name: the plain function, with its overload."""
        with _LOCK:
            if not self._registered:
                from numba.extending import overload as numba_overload

                impl = _with_helpers(self.py_func)

                def typer(*args: Any) -> Callable[..., Any]:
                    return impl

                opts: Any = self.options
                numba_overload(self.py_func, jit_options=opts, strict=False)(typer)
                self._registered = True
            return self.py_func


@overload
def helper(fn: F) -> F: ...


@overload
def helper(*, nrt: bool = True) -> Callable[[F], F]: ...


def helper(fn: F | None = None, *, nrt: bool = True) -> F | Callable[[F], F]:
    """Mark ``fn`` as a helper of the kernels of its module (see module notes).

    ``@helper``, or ``@helper(nrt=False)`` for a helper that allocates nothing
    (compiled without reference counting: faster to compile).
    """

    def wrap(f: F) -> F:
        return _Helper(f, nrt)  # type: ignore[return-value]

    return wrap if fn is None else wrap(fn)


def kernel(fn: F) -> F:
    """Compile ``fn`` with ``numba.njit(cache=True, nogil=True)`` on first call."""
    compiled: Callable[..., Any] | None = None

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        nonlocal compiled
        if compiled is None:
            with _LOCK:
                if compiled is None:
                    import numba

                    jit = numba.njit(cache=True, nogil=True)
                    compiled = jit(_with_helpers(fn))
        return compiled(*args)

    wrapper.py_func = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
