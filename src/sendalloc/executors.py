"""Process pools for Monte Carlo runs, and notice of numba compiling.

:func:`simulate`, :func:`sweep` and the other drivers take any
:class:`concurrent.futures.Executor`. :func:`process_pool` builds the local one
the ``sendalloc`` command uses, with two differences from a plain
``ProcessPoolExecutor``:

- **Workers die with their parent.** A batch system that kills a run with
  SIGKILL at its time limit gives the parent no chance to stop its workers; a
  plain pool's workers then keep running (or waiting) for ever. Each worker
  here watches its parent and exits within a fraction of a second of its death.
- **Kernels compiled once.** ``warm_up`` runs in this process before any
  worker starts: called with a small run of the job, it compiles the numba
  kernels the job needs and writes numba's on-disk cache, so that workers load
  them instead of each compiling the same kernels again (workers forked after
  it, the default on Linux, inherit them compiled). With ``precompile`` (the
  mechanisms the job runs) the kernels are first compiled side by side in as
  many processes as the pool will have (:func:`precompile_kernels`).

:func:`compiling` tells a program when numba starts compiling (on a first run,
or after an upgrade) so that it can say why nothing happens for a while.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from typing import Any

from sendalloc._kernels.jit import precompile_tasks
from sendalloc.mechanisms import MECHANISMS, allocate
from sendalloc.problem import Allocation, Problem

__all__ = ["PARENT_CHECK_SECONDS", "compiling", "precompile_kernels", "process_pool"]

#: How often a worker checks that its parent is still alive.
PARENT_CHECK_SECONDS = 0.2


def _parent_alive(parent_pid: int, start_ppid: int) -> bool:
    if os.getppid() != start_ppid:  # re-parented: the parent (or forkserver) died
        return False
    if parent_pid == start_ppid or sys.platform == "win32":
        return True  # (os.kill(pid, 0) would terminate the process on Windows)
    try:  # a forkserver's child: the parent is not our direct parent
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else: cannot be our parent
        return False
    return True


def _watch_parent(parent_pid: int, start_ppid: int, interval: float) -> None:
    while _parent_alive(parent_pid, start_ppid):
        time.sleep(interval)
    os._exit(1)  # nobody is left to take the results


def _start_worker(
    parent_pid: int,
    interval: float,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
) -> None:
    """Worker set-up: the parent watcher, a quiet kernel-cache note, the user's."""
    start_ppid = os.getppid()
    if not _parent_alive(parent_pid, start_ppid):
        os._exit(1)
    threading.Thread(
        target=_watch_parent,
        args=(parent_pid, start_ppid, interval),
        name="sendalloc-parent-watch",
        daemon=True,
    ).start()
    # The parent already said where compiled kernels are cached (read-only
    # installs): workers do not repeat it.
    logging.getLogger("sendalloc.kernels").setLevel(logging.ERROR)
    if initializer is not None:
        initializer(*initargs)


def _tiny_problem() -> Problem:
    """Three children, two settings, strict priorities: every rule can run."""
    prefs = [[0, 1], [1, 0], [0, -1]]
    return Problem.from_arrays([1, 1], prefs, priority=[[2, 1], [0, 3], [1, -1]])


class _Allocate:
    """A picklable task: run one mechanism on the tiny problem (compiles it)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> None:
        allocate(_tiny_problem(), self.name, rng=0)


#: Task states in :func:`_drain`'s shared table.
_FREE, _TAKEN, _DONE = 0, 1, 2
#: How long a process waits for the units a task needs before it compiles
#: them itself (a helper process that died leaves them taken).
_WAIT_SECONDS = 60.0


def _next_task(state: Any, needs: Sequence[Sequence[int]]) -> int | None:
    """Take the first free task whose needs are done, in list order.

    Returns its index, -1 if a task is free but none is ready yet, None if
    every task is taken.
    """
    with state.get_lock():
        waiting = False
        for i, need in enumerate(needs):
            if state[i] != _FREE:
                continue
            if all(state[j] == _DONE for j in need):
                state[i] = _TAKEN
                return i
            waiting = True
        return -1 if waiting else None


def _rank_nothing() -> None:
    """The smallest unit: the ranks of an empty allocation (compiles ranks_kernel)."""
    Allocation.from_assignment(_tiny_problem(), [-1, -1, -1])


def _drain(
    tasks: Sequence[Callable[[], object]],
    needs: Sequence[Sequence[int]],
    state: Any,
    parent: int | None,
) -> None:
    """Run tasks from the shared table ``state`` until none is left.

    A process takes the first free task (in list order) all of whose
    ``needs`` (indices of other tasks) are done: a rule is compiled only once
    the helpers it calls are cached, so that it loads them rather than
    compiling them again, and meanwhile the process takes later tasks.
    In a helper process (``parent`` given) watch the parent as workers do and
    keep quiet about the kernel cache. A failing task is skipped: this only
    fills numba's cache, and the job itself reports its own errors.
    """
    if parent is not None:
        _start_worker(parent, PARENT_CHECK_SECONDS, None, ())
    since = time.monotonic()
    while True:
        i = _next_task(state, needs)
        if i is None:
            return
        if i < 0:
            if time.monotonic() - since < _WAIT_SECONDS:
                time.sleep(0.005)
                continue
            i = _next_task(state, [()] * len(needs))  # give up waiting
            if i is None or i < 0:
                return
        _run_quietly(tasks[i])
        with state.get_lock():
            state[i] = _DONE
        since = time.monotonic()


def precompile_kernels(
    mechanisms: Iterable[str | Callable[[], object]], processes: int = 1
) -> None:
    """Compile (or load) the kernels of ``mechanisms``, in several processes.

    The work is split into independent units (each rule on a tiny problem,
    the separately compiled helpers of long kernels such as max_placement's,
    and any further units given as callables), taken in turn by this process
    and ``processes - 1`` forked helper processes that exit when done; each
    unit is written to numba's on-disk cache, and this process later loads
    what the others compiled. A rule whose helpers are still being compiled
    waits for them while its process takes the next unit. Nothing is forked
    when the first unit shows the cache is warm (it loads instead of
    compiling), nor where ``fork`` is not available.

    Parameters
    ----------
    mechanisms : iterable of str or callable
        Names from :data:`~sendalloc.MECHANISMS` (unknown names raise), and
        callables with no arguments: further units (such as one that compiles
        the in-year event kernel on a tiny year), taken before the rules.
    processes : int, default 1
        Processes to share the compiling (this one included).

    Examples
    --------
    >>> from sendalloc.executors import precompile_kernels
    >>> precompile_kernels(["first_available", "boston"], processes=2)
    """
    items = list(mechanisms)
    names = list(dict.fromkeys(m for m in items if isinstance(m, str)))
    extra = [m for m in items if not isinstance(m, str)]
    for name in names:
        if name not in MECHANISMS:
            raise ValueError(
                f"unknown mechanism {name!r}; valid names: "
                + ", ".join(sorted(MECHANISMS))
            )
    # First the smallest unit every simulation needs (the ranks of every
    # rule's allocation), alone: it tells a cold cache from a warm one. Then,
    # shared out, the further units (the longest: the in-year event kernel),
    # serial dictatorship (the LA's fallback), the helpers (longest first), the
    # rules that call them (each once its helpers are cached: compiled earlier
    # it would compile a helper another process is still compiling) and the
    # rules without helpers.
    helpers = {n: precompile_tasks(MECHANISMS[n].__module__) for n in names}
    tasks: list[Callable[[], object]] = [
        _rank_nothing,
        *extra,
        _Allocate("first_available"),
    ]
    needs: list[tuple[int, ...]] = [()] * len(tasks)
    after: dict[str, tuple[int, ...]] = {}
    for n in names:
        if helpers[n]:
            after[n] = tuple(range(len(tasks), len(tasks) + len(helpers[n])))
            tasks += helpers[n]
            needs += [()] * len(helpers[n])
    for n in names:
        if n in after:
            tasks.append(_Allocate(n))
            needs.append(after[n])
    for n in names:
        if n not in after and n != "first_available":
            tasks.append(_Allocate(n))
            needs.append(())
    compiled: list[bool] = []
    with compiling(lambda: compiled.append(True)):
        _run_quietly(tasks[0])
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if compiled and processes > 1 and forkable and sys.platform != "darwin":
        ctx = multiprocessing.get_context("fork")
        state = ctx.Array("b", [_DONE] + [_FREE] * (len(tasks) - 1))
        procs = [
            ctx.Process(
                target=_drain, args=(tasks, needs, state, os.getpid()), daemon=True
            )
            for _ in range(processes - 1)
        ]
        for proc in procs:
            proc.start()
        try:
            _drain(tasks, needs, state, None)
        finally:
            for proc in procs:
                proc.join()
    else:
        for task in tasks[1:]:
            _run_quietly(task)


def _run_quietly(task: Callable[[], object]) -> None:
    try:
        task()
    except Exception:  # the run itself will raise it
        return


def process_pool(
    max_workers: int | None = None,
    *,
    warm_up: Callable[[], object] | None = None,
    precompile: Iterable[str | Callable[[], object]] = (),
    mp_context: BaseContext | None = None,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A process pool whose workers exit when this process dies.

    Parameters
    ----------
    max_workers : int, optional
        Number of worker processes; default ``os.cpu_count()``.
    warm_up : callable, optional
        Called once, in this process, before the pool is made: typically a
        one-run version of the job (``lambda: sa.simulate(scenario, runs=1)``),
        which compiles and caches the numba kernels the job needs so that the
        workers do not each compile them.
    precompile : iterable of str or callable, optional
        Mechanisms whose kernels are compiled first, shared among
        ``max_workers`` processes (:func:`precompile_kernels`): on a cold
        cache the compiling takes about as many times less. Callables are
        further units of compiling shared the same way (the kernels of the
        job's other steps, so that ``warm_up`` finds them compiled).
    mp_context : multiprocessing context, optional
        As for :class:`~concurrent.futures.ProcessPoolExecutor`.
    initializer, initargs : optional
        Run in each worker after sendalloc's own set-up, as for
        :class:`~concurrent.futures.ProcessPoolExecutor`.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        Use it as any executor; shut it down (or use it in a ``with`` block)
        when done.

    Notes
    -----
    Each worker runs a daemon thread that checks every
    :data:`PARENT_CHECK_SECONDS` that its parent still exists (that it has
    not been re-parented), and ends the worker at once when it does not: a
    SIGKILL of the parent, which the parent cannot handle, no longer leaves
    orphans computing or waiting for ever. A thread rather than Linux's
    parent-death signal, which fires when the *thread* that started the worker
    ends and so would kill the workers of a pool created or first used from a
    short-lived thread. Worker processes are started by the pool as usual
    (``fork`` on Linux before Python 3.14, else ``spawn`` or ``forkserver``).
    On Windows, where a process is not re-parented, a dead parent is not
    detected.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.executors import process_pool
    >>> with process_pool(2) as pool:
    ...     r = sa.simulate("london_borough", "first_available", runs=4, executor=pool)
    >>> r.runs
    4
    """
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers: expected a positive integer, got {max_workers}")
    names = list(precompile)
    if names:
        precompile_kernels(names, max_workers or os.cpu_count() or 1)
    if warm_up is not None:
        warm_up()
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=mp_context,
        initializer=_start_worker,
        initargs=(os.getpid(), PARENT_CHECK_SECONDS, initializer, tuple(initargs)),
    )


@contextmanager
def compiling(notice: Callable[[], object]) -> Iterator[None]:
    """Call ``notice()`` once if numba starts compiling inside the block.

    numba compiles a kernel on its first call in a process unless it finds it
    in its on-disk cache; loading from the cache is quick and calls nothing.
    Only compiling in this process is seen (not in worker processes).

    Parameters
    ----------
    notice : callable
        Called with no arguments, at most once, when compiling starts.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.executors import compiling
    >>> p = sa.Problem.from_lists([1], [[0], [0]])
    >>> seen = []
    >>> with compiling(lambda: seen.append("first")):  # compiles unless cached
    ...     a = sa.allocate(p, "first_available")
    >>> with compiling(lambda: seen.append("second")):  # compiled by now
    ...     a = sa.allocate(p, "first_available")
    >>> "second" in seen
    False
    """
    from numba.core import event

    seen = [False]

    class _Listener(event.Listener):
        def on_start(self, ev: Any) -> None:
            if not seen[0]:
                seen[0] = True
                notice()

        def on_end(self, ev: Any) -> None:
            pass

    with event.install_listener("numba:compile", _Listener()):
        yield
