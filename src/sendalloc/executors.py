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
  it, the default on Linux, inherit them compiled).

:func:`compiling` tells a program when numba starts compiling (on a first run,
or after an upgrade) so that it can say why nothing happens for a while.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from typing import Any

__all__ = ["PARENT_CHECK_SECONDS", "compiling", "process_pool"]

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


def process_pool(
    max_workers: int | None = None,
    *,
    warm_up: Callable[[], object] | None = None,
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
