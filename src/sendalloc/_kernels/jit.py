"""Lazy numba compilation for kernels (allocation rules, problem builders).

``import sendalloc`` must stay fast and must not import numba; a kernel is compiled
the first time it is called (and cached on disk by numba, so later processes load
it). The undecorated Python function stays reachable as ``kernel.py_func``: tests
run it directly to cross-check the compiled code path.

A kernel may call *helpers* (functions decorated with :func:`helper` in the same
module). Splitting a long kernel into helpers cuts numba's compile time, which
grows faster than the length of a function (nested closures are worse still:
numba inlines a closure at every call site). Called from Python, as
``kernel.py_func`` does, a helper runs its plain Python body, so ``py_func``
stays uncompiled end to end. Two kinds:

- ``@helper`` / ``@helper(nrt=False)``: compiled once, as a numba overload typed
  by its caller, into the caller's cache. Keep such helpers in the kernel's
  module: numba invalidates a kernel's cache when the kernel's source file
  changes, not when another file does.
- ``@helper(signature=...)``: compiled for that signature alone and cached on
  its own, so that :func:`precompile_tasks` can compile it ahead, in another
  process, while other kernels compile; its callers call it (by a symbol), not
  a copy of its code.

Helpers that share a state take it as one pointer: a kernel passes
``as_ref(st)`` (a named tuple of arrays and scalars) to its helpers, which read
its fields as on the tuple; see :data:`as_ref`.

Kernels make their arrays with :func:`empty`, :func:`full` and :func:`zeros`
(``full(n, -1, np.int64)``: shape, [fill value,] dtype, positional): numpy's
functions in Python, and in compiled code written inline where they are
called. numba compiles its own ``np.empty``, ``np.full`` and ``np.zeros`` as
functions of their own, once for every argument type and every set of compile
options of their callers (about fifteen times, 0.7 s of CPU, in a cold run
of the annual rules).

A signed helper is called, not copied: its callers reach its compiled code by
a symbol of the process, so that their own compile neither optimises nor
generates its code again (numba's default links every callee's code into each
caller's and compiles it there once more).

Where numba keeps its cache: beside the package (``__pycache__``), else in the
user's cache directory (numba's own rules, or ``NUMBA_CACHE_DIR``). On a
read-only install where neither is writable, numba refuses to cache
(``RuntimeError: cannot cache function ...: no locator available``). Kernels
then use a private directory under the system's temporary directory, and if
there is none, are compiled in every process without a cache; either way one
line on the ``sendalloc.kernels`` logger says so, once per process.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import tempfile
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "as_ref",
    "cache_directory",
    "empty",
    "full",
    "helper",
    "kernel",
    "precompile_tasks",
    "zeros",
]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_LOG = logging.getLogger("sendalloc.kernels")
_LOCK = threading.RLock()  # one compile at a time; numba's own lock is global too
# How kernels are cached in this process, decided by the first compile:
# "numba" (numba's own locators), a directory path (the fallback), or "" (none).
_where: list[str | None] = [None]


def cache_directory() -> str | None:
    """The fallback cache directory kernels use, or None.

    None when numba's own cache locations work (or nothing was compiled yet);
    ``""`` when kernels run uncached.
    """
    where = _where[0]
    return None if where in (None, "numba") else where


def _private_tmp_dir() -> str | None:
    """A directory under the temporary directory, only this user can write."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = os.path.join(tempfile.gettempdir(), f"sendalloc-numba-cache-{uid}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
        # numba's cache holds pickled code: refuse a directory someone else
        # owns or can write, or a symbolic link planted in a shared /tmp.
        if not stat.S_ISDIR(st.st_mode):
            return None
        if hasattr(os, "getuid") and (
            st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            return None
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return None
    return path


@contextmanager
def _numba_cache_dir(path: str) -> Iterator[None]:
    """Point numba's user-provided cache locator at ``path`` while decorating.

    numba reads ``config.CACHE_DIR`` when it picks a cache location for a
    function (in ``njit(cache=True)``), so restoring it afterwards leaves every
    other function of the process as it was.
    """
    import numba.core.config

    config: Any = numba.core.config  # untyped
    old = config.CACHE_DIR
    config.CACHE_DIR = path
    try:
        yield
    finally:
        config.CACHE_DIR = old


def _njit(fn: Callable[..., Any], *, cache: bool, signature: str | None = None) -> Any:
    """``numba.njit(nogil=True)``, cached where a cache can be written.

    With a ``signature`` the function is compiled (or loaded) for it at once.
    """
    import numba

    nb: Any = numba  # no_cfunc_wrapper is a compile option its stubs omit

    def jit(cache: bool) -> Any:
        # no C-callable (cfunc) wrapper: kernels are called from Python or
        # from other kernels only, and the wrapper costs compile time.
        if signature:
            return nb.njit(signature, cache=cache, nogil=True, no_cfunc_wrapper=True)
        return nb.njit(cache=cache, nogil=True, no_cfunc_wrapper=True)

    if not cache:
        return jit(False)(fn)
    if _where[0] in (None, "numba"):
        try:
            dispatcher = jit(True)(fn)
        except RuntimeError as exc:  # numba: "... no locator available ..."
            if "locator" not in str(exc):
                raise
        else:
            _where[0] = "numba"
            return dispatcher
        path = _private_tmp_dir()
        _where[0] = path or ""
        if path:
            _LOG.warning(
                "sendalloc: cannot write numba's cache beside the package or in "
                "the user cache directory; caching compiled kernels in %s",
                path,
            )
        else:
            _LOG.warning(
                "sendalloc: no writable directory for numba's cache; kernels are "
                "compiled again in every process (set NUMBA_CACHE_DIR to a "
                "writable directory to keep them)"
            )
    path = _where[0]
    if not path:
        return jit(False)(fn)
    with _numba_cache_dir(path):
        return jit(True)(fn)


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
    """A function kernels call, compiled with its first caller.

    Without a signature it is compiled as a numba overload of the plain function
    (what ``numba.extending.register_jitable`` does), so that a call with a
    constant argument is typed with the constant's type, not its value: a
    dispatcher would compile one version for every distinct constant passed to
    it. It is called only from compiled code, so it gets no Python or C entry
    point, and with ``nrt=False`` no reference counting (each costs compile
    time); such a helper must allocate no array (numba refuses to compile one
    that does). numba keys a compiled overload on its caller's compile options
    too: a helper called both from a kernel and from helpers is compiled twice,
    so a long kernel is best one call to a helper holding its body.

    With a signature it is a dispatcher compiled for that signature alone and
    cached on its own, so that it can be compiled ahead, in another process,
    while other kernels compile (:func:`precompile_tasks`). Compiled callers
    call its compiled code by a symbol of the process (:func:`_call_by_symbol`)
    rather than link it into their own, and must pass exactly its signature's
    argument types (anything else is a typing error).
    """

    def __init__(
        self, fn: Callable[..., Any], signature: str | None, nrt: bool = True
    ) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self.signature = signature
        self.options: dict[str, bool] = {
            "nogil": True,
            "_nrt": nrt,
            "no_cpython_wrapper": True,
            "no_cfunc_wrapper": True,
        }
        self._compiled: Any = None
        self._call: Any = None
        self._registered = False

    def __call__(self, *args: Any) -> Any:
        return self.py_func(*args)

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return _module_attribute, (self.py_func.__module__, self.py_func.__name__)

    def compiled(self) -> Callable[..., Any]:
        """What compiled callers name: the dispatcher, or the overloaded function."""
        if self.signature is not None:
            with _LOCK:
                if self._call is None:
                    self._call = _call_by_symbol(self)
                return self._call  # type: ignore[no-any-return]
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

    def dispatcher(self) -> Any:
        """A signed helper, compiled (or loaded from the cache) on first use."""
        with _LOCK:
            if self._compiled is None:
                self._compiled = _njit(
                    _with_helpers(self.py_func),
                    cache=self.signature is not None,
                    signature=self.signature,
                )
            return self._compiled


class _Intrinsic(_Helper):
    """``fn`` in Python; in compiled code, what ``make()`` returns.

    ``make`` (a numba intrinsic, usually) is called on the first compiled use.
    """

    def __init__(self, fn: Callable[..., Any], make: Callable[[], Any]) -> None:
        super().__init__(fn, None, True)
        self._make = make

    def compiled(self) -> Callable[..., Any]:
        with _LOCK:
            if self._compiled is None:
                self._compiled = self._make()
            return self._compiled  # type: ignore[no-any-return]


def _call_by_symbol(h: _Helper) -> Any:
    """A numba intrinsic calling the signed helper ``h`` by a symbol.

    ``h`` is compiled (or loaded from the cache) first, and the address of its
    compiled code is given to LLVM as a symbol of the process, named after the
    helper's module and name (stable from one process to the next, unlike
    numba's own names of compiled functions), so that a caller loaded from the
    cache finds it too. The caller's code declares that symbol and calls it
    with numba's calling convention, as numba calls a function it compiled,
    errors included; what the helper returns is a new reference, as there.
    """
    import numba.core.cgutils
    import numba.core.codegen
    import numba.extending

    nb: Any = numba  # untyped here: numba's extension API has no stubs
    cgutils = nb.core.cgutils
    (cres,) = h.dispatcher().overloads.values()
    symbol = f"sendalloc.signed.{h.py_func.__module__}.{h.py_func.__qualname__}"
    address = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
    # llvmlite's binding as numba's code generator holds it (llvmlite is
    # numba's own dependency; sendalloc declares numba alone)
    nb.core.codegen.ll.add_symbol(symbol, address)
    want = cres.signature

    def typer(args: tuple[Any, ...]) -> Any:
        if tuple(args) != tuple(want.args):
            return None  # numba then says no signature matched

        def codegen(context: Any, builder: Any, sig: Any, llargs: Any) -> Any:
            conv = context.call_conv
            fnty = conv.get_function_type(sig.return_type, sig.args)
            fn = cgutils.get_or_insert_function(builder.module, fnty, symbol)
            status, value = conv.call_function(
                builder, fn, sig.return_type, sig.args, llargs
            )
            with cgutils.if_unlikely(builder, status.is_error):
                conv.return_status_propagate(builder, status)
            return value

        return want.return_type(*want.args), codegen

    # numba types an intrinsic by its Python signature: one name per argument
    names = ", ".join(f"a{i}" for i in range(len(want.args)))
    space: dict[str, Any] = {"typer": typer}
    exec(f"def call(typingctx, {names}):\n    return typer(({names},))", space)
    call = space["call"]
    call.__name__ = call.__qualname__ = h.py_func.__name__
    return nb.extending.intrinsic(call)


def _tuple_ref_intrinsic() -> Any:
    """:func:`as_ref` compiled: a pointer to the tuple's members.

    A numba type of its own, ``TupleRef``: one machine pointer to a copy of the
    tuple's members on the calling kernel's stack, read field by field
    (``ref.child``, typed as the tuple's field). No reference counting: the
    kernel holds its arguments while its helpers run, and fields are never
    reassigned, so helpers compiled without it can take the reference. An
    intrinsic, not a function: the copy lives in the frame of the kernel that
    calls it, and so for as long as that kernel runs.
    """
    import numba.core.cgutils
    import numba.core.datamodel.models
    import numba.core.imputils
    import numba.core.typing.templates
    import numba.extending

    nb: Any = numba  # untyped here: numba's extension API has no stubs
    cgutils, nt = nb.core.cgutils, nb.core.types
    models, imputils = nb.core.datamodel.models, nb.core.imputils
    templates, extending = nb.core.typing.templates, nb.extending

    class TupleRef(nt.Type):  # type: ignore[misc,name-defined]
        """A pointer to a named tuple's members, valid while its kernel runs."""

        def __init__(self, tup: Any) -> None:
            self.tuple = tup
            super().__init__(name=f"TupleRef({tup})")

    @extending.register_model(TupleRef)
    class TupleRefModel(models.PrimitiveModel):  # type: ignore[misc,name-defined]
        def __init__(self, dmm: Any, fe_type: Any) -> None:
            value = dmm.lookup(fe_type.tuple).get_value_type()
            super().__init__(dmm, fe_type, value.as_pointer())

    @templates.infer_getattr
    class TupleRefAttribute(templates.AttributeTemplate):  # type: ignore[misc,name-defined]
        key = TupleRef

        def generic_resolve(self, typ: Any, attr: str) -> Any:
            fields = typ.tuple.fields
            return typ.tuple.types[fields.index(attr)] if attr in fields else None

    @imputils.lower_getattr_generic(TupleRef)  # type: ignore[untyped-decorator]
    def getattr_impl(context: Any, builder: Any, typ: Any, val: Any, attr: str) -> Any:
        k = typ.tuple.fields.index(attr)
        member = builder.load(cgutils.gep_inbounds(builder, val, 0, k))
        return imputils.impl_ret_borrowed(context, builder, typ.tuple.types[k], member)

    @extending.intrinsic  # type: ignore[untyped-decorator]
    def make_ref(typingctx: Any, tup: Any) -> Any:
        if not isinstance(tup, nt.BaseNamedTuple):
            return None

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            return cgutils.alloca_once_value(builder, args[0])

        return TupleRef(tup)(tup), codegen

    return make_ref


def _identity(tup: T) -> T:
    """In Python, the tuple itself."""
    return tup


#: ``as_ref(st)``: the named tuple ``st`` (of arrays and scalars) as one
#: pointer to its members, for a kernel to pass to its helpers: a named tuple
#: of ``k`` arrays is passed as some ``7 k`` machine arguments, which numba and
#: LLVM unpack and pack again at every call, in compile time (a quarter of
#: the in-year event kernel's). Fields are read as on the tuple
#: (``st.child``), not reassigned; the pointer is valid while the kernel that
#: made it runs. In plain Python (``kernel.py_func``) it is the tuple itself.
as_ref: Callable[[T], T] = _Intrinsic(_identity, _tuple_ref_intrinsic)


@functools.cache
def _array_intrinsics() -> dict[str, Any]:
    """:func:`empty`, :func:`full` and :func:`zeros` compiled: numba intrinsics.

    Each allocates as numba's ``np.empty`` does (its own lowering of an array
    allocation, errors included), then, for ``full``, stores the fill value
    in every item and, for ``zeros``, clears the memory, all inline in the
    caller: no function of their own to compile. Where this numba lacks the
    lowering they use, numpy's functions themselves (compiled by numba, as
    before).
    """
    try:
        import numba.core.cgutils
        import numba.extending
        import numba.np.arrayobj

        nb: Any = numba  # untyped here: numba's extension API has no stubs
        allocate = nb.np.arrayobj._empty_nd_impl
        parse_shape = nb.np.arrayobj._parse_shape
        store_item = nb.np.arrayobj.store_item
    except (ImportError, AttributeError):  # pragma: no cover - other numba
        return {"empty": np.empty, "full": np.full, "zeros": np.zeros}
    nt, cgutils, intrinsic = nb.core.types, nb.core.cgutils, nb.extending.intrinsic

    def array_type(shape: Any, dtype: Any) -> Any:
        if isinstance(shape, nt.Integer):
            ndim = 1
        elif isinstance(shape, nt.UniTuple) and isinstance(shape.dtype, nt.Integer):
            ndim = len(shape)
        else:
            return None
        if isinstance(dtype, nt.NumberClass):
            return nt.Array(dtype.instance_type, ndim, "C")
        return None

    def new(context: Any, builder: Any, sig: Any, shape: Any) -> Any:
        dims = parse_shape(context, builder, sig.args[0], shape)
        return allocate(context, builder, sig.return_type, dims)

    def uninitialised_or_zeros(name: str, clear: bool) -> Any:
        def make(typingctx: Any, shape: Any, dtype: Any) -> Any:
            arr = array_type(shape, dtype)
            if arr is None:
                return None

            def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
                ary = new(context, builder, sig, args[0])
                if clear:
                    size = builder.mul(ary.itemsize, ary.nitems)
                    cgutils.memset(builder, ary.data, size, 0)
                return ary._getvalue()

            return arr(shape, dtype), codegen

        make.__name__ = make.__qualname__ = name
        return intrinsic(make)

    @intrinsic  # type: ignore[untyped-decorator]
    def full(typingctx: Any, shape: Any, value: Any, dtype: Any) -> Any:
        arr = array_type(shape, dtype)
        if arr is None or not isinstance(value, (nt.Number, nt.Boolean)):
            return None

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            ary = new(context, builder, sig, args[0])
            item = context.cast(builder, args[1], sig.args[1], arr.dtype)
            with cgutils.for_range(builder, ary.nitems) as loop:
                ptr = builder.gep(ary.data, [loop.index])
                store_item(context, builder, arr, item, ptr)
            return ary._getvalue()

        return arr(shape, value, dtype), codegen

    return {
        "empty": uninitialised_or_zeros("empty", clear=False),
        "full": full,
        "zeros": uninitialised_or_zeros("zeros", clear=True),
    }


def _array_intrinsic(name: str) -> Callable[[], Any]:
    """What makes the compiled ``name`` (all three are made at once, once)."""
    return lambda: _array_intrinsics()[name]


def _empty(shape: Any, dtype: Any) -> Any:
    return np.empty(shape, dtype=dtype)


def _full(shape: Any, value: Any, dtype: Any) -> Any:
    return np.full(shape, value, dtype=dtype)


def _zeros(shape: Any, dtype: Any) -> Any:
    return np.zeros(shape, dtype=dtype)


#: ``empty(shape, dtype)``: ``np.empty(shape, dtype=dtype)`` for kernels, the
#: shape an integer or a tuple of integers, the dtype a numpy scalar type
#: (``np.int64``), both positional. In compiled code it is written inline where
#: it is called (numba's own ``np.empty`` is a function compiled again for
#: every caller's argument types and compile options).
empty: Callable[[Any, Any], NDArray[Any]] = _Intrinsic(
    _empty, _array_intrinsic("empty")
)

#: ``full(shape, value, dtype)``: ``np.full(shape, value, dtype=dtype)`` for
#: kernels, as :data:`empty`.
full: Callable[[Any, Any, Any], NDArray[Any]] = _Intrinsic(
    _full, _array_intrinsic("full")
)

#: ``zeros(shape, dtype)``: ``np.zeros(shape, dtype=dtype)`` for kernels, as
#: :data:`empty`.
zeros: Callable[[Any, Any], NDArray[Any]] = _Intrinsic(
    _zeros, _array_intrinsic("zeros")
)


def _module_attribute(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


_SIGNED: list[_Helper] = []  # helpers with a signature, in definition order


@overload
def helper(fn: F) -> F: ...


@overload
def helper(*, signature: str) -> Callable[[F], F]: ...


@overload
def helper(*, nrt: bool = True) -> Callable[[F], F]: ...


def helper(
    fn: F | None = None, *, signature: str | None = None, nrt: bool = True
) -> F | Callable[[F], F]:
    """Mark ``fn`` as a helper of the kernels of its module (see module notes).

    ``@helper``; ``@helper(nrt=False)`` for a helper that allocates nothing
    (compiled without reference counting: faster to compile); or
    ``@helper(signature="(int64[::1], int64)")``: a numba signature of the
    arguments, exactly as the kernels pass them, to be compiled and cached on
    its own.
    """

    def wrap(f: F) -> F:
        h = _Helper(f, signature, nrt)
        if signature is not None:
            _SIGNED.append(h)
        return h  # type: ignore[return-value]

    return wrap if fn is None else wrap(fn)


def precompile_tasks(module: str) -> list[Callable[[], object]]:
    """One task per signed helper of ``module`` that no other one calls.

    Each task compiles its helper, with the helpers it calls, or loads them
    from the cache, so that several processes can share the compiling of one
    module's kernels without compiling anything twice. Longest code first:
    the code length stands in for the compile time.
    """
    signed = [h for h in _SIGNED if h.py_func.__module__ == module]
    called = {name for h in signed for name in h.py_func.__code__.co_names}
    roots = [h for h in signed if h.py_func.__name__ not in called]
    roots.sort(key=lambda h: -len(h.py_func.__code__.co_code))
    return [h.dispatcher for h in roots]


def kernel(fn: F) -> F:
    """Compile ``fn`` with ``numba.njit(cache=True, nogil=True)`` on first call."""
    compiled: Callable[..., Any] | None = None

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        nonlocal compiled
        if compiled is None:
            with _LOCK:
                if compiled is None:
                    compiled = _njit(_with_helpers(fn), cache=True)
        return compiled(*args)

    wrapper.py_func = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
