"""The runner: input checks, work units, the one executor loop and progress.

Every Monte Carlo entry point (:func:`~sendalloc.simulate`,
:func:`~sendalloc.sweep`) checks its arguments with the functions here, cuts
its runs into work units, runs them through :func:`run_units` (in this process,
or on any :class:`concurrent.futures.Executor`) and reports progress through a
:class:`Progress`: a tqdm bar for ``progress=True`` (``tqdm.auto``, a widget in
Jupyter; the ``progress`` extra), a callback, or nothing. A unit's numbers
depend only on its runs' streams (:mod:`sendalloc._engine.streams`), never on
the executor or the chunking.

An engine (one per mode, see :mod:`sendalloc._engine.modes`) is an
:class:`Engine`: a picklable chunk runner that returns :class:`RunArrays`, the
metrics it produces, and a builder of its result.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.policies import Policy
from sendalloc._engine.results import SimulationResult
from sendalloc._engine.streams import Root, root_seed, run_streams
from sendalloc.scenario import load_scenario

if TYPE_CHECKING:
    from sendalloc.scenario import Instance, Scenario

__all__ = [
    "MAX_CHUNK",
    "Engine",
    "Progress",
    "ProgressLike",
    "RunArrays",
    "RunOutcome",
    "check_chunk_size",
    "check_progress",
    "check_runs",
    "check_seed",
    "chunk_bounds",
    "padded",
    "resolve_scenario",
    "run_chunks",
    "run_units",
    "stack_runs",
]

#: Most runs per task of :func:`run_chunks`: large enough to amortise the
#: overhead of a task, small enough to balance the workers.
MAX_CHUNK = 25

T = TypeVar("T")

#: What an entry point takes as ``progress``: True for a bar, a callback
#: ``f(done_runs, total_runs)``, or None/False for nothing.
ProgressLike: TypeAlias = bool | Callable[[int, int], object] | None

_NO_TQDM = (
    "progress=True draws a progress bar with tqdm, which is not installed: "
    "pip install 'sendalloc[progress]' (or pass a callable progress(done, total))"
)


# --------------------------------------------------------------------------- checks
def check_runs(runs: object) -> int:
    """``runs`` as an int; a ValueError unless it is a positive integer."""
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise ValueError(f"runs: expected a positive integer, got {runs!r}")
    return int(runs)


def check_seed(seed: object) -> Root:
    """The root of the runs' streams from a ``seed`` argument (``streams.root_seed``).

    An int ``>= 0``, a SeedSequence, a Generator (spawned from, not drawn
    from) or None (fresh entropy); the root returned is what the result
    records, an int or a SeedSequence.
    """
    return root_seed(seed, "seed")


def check_chunk_size(chunk_size: object) -> int | None:
    """``chunk_size`` as an int (None stays None); a ValueError unless positive."""
    if chunk_size is None:
        return None
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int | np.integer)
        or chunk_size < 1
    ):
        raise ValueError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    return int(chunk_size)


def resolve_scenario(scenario: Any) -> Any:
    """A scenario object from a Scenario, a preset name or a TOML path."""
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(scenario)
    if not hasattr(scenario, "sample"):
        raise TypeError(
            "scenario: expected a Scenario, a preset name or a TOML path, got "
            f"{type(scenario).__name__}"
        )
    return scenario


# --------------------------------------------------------------------------- progress
def _tqdm() -> Any:
    """``tqdm.auto.tqdm`` (a notebook widget in Jupyter, text elsewhere)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(_NO_TQDM) from None
    return tqdm


def check_progress(progress: object) -> ProgressLike:
    """``progress`` checked: True (and tqdm installed), False, None or a callable.

    Raises
    ------
    TypeError
        For any other value.
    ImportError
        For True without tqdm, naming the ``progress`` extra.
    """
    if progress is True:
        _tqdm()
        return True
    if progress is None or progress is False:
        return None
    if isinstance(progress, bool | int | float | str) or not callable(progress):
        raise TypeError(
            "progress: expected True (a tqdm bar), False, None or a callable "
            f"progress(done_runs, total_runs), got {progress!r}"
        )
    return progress


class Progress:
    """Counts finished runs and shows them: a tqdm bar, a callback or nothing.

    The one place progress is reported from. ``progress`` True draws a
    ``tqdm.auto`` bar of ``total`` runs labelled ``desc`` (closed by
    :meth:`close`, or on leaving a ``with`` block); a callable is called as
    ``progress(done, total)``; None or False reports nothing.

    Examples
    --------
    >>> seen = []
    >>> with Progress(lambda d, t: seen.append((d, t)), 5) as p:
    ...     p.advance(2)
    ...     p.advance(3)
    >>> seen
    [(2, 5), (5, 5)]
    """

    def __init__(self, progress: ProgressLike, total: int, *, desc: str = ""):
        progress = check_progress(progress)
        self.total = total
        self.done = 0
        self.callback: Callable[[int, int], object] | None = None
        self.bar: Any = None
        if progress is True:
            self.bar = _tqdm()(total=total, desc=desc or None, unit="run")
        elif callable(progress):
            self.callback = progress

    def advance(self, runs: int, *, report: bool = True) -> None:
        """Count ``runs`` more finished runs, and report unless told not to."""
        self.done += runs
        if report:
            self.report()

    def report(self) -> None:
        """Report the count as it stands."""
        if self.bar is not None:
            self.bar.update(self.done - self.bar.n)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def close(self) -> None:
        """Close the bar (if any); the count stays."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------- arrays
@dataclass(frozen=True, slots=True)
class RunArrays:
    """Per-run metrics of some runs, for every policy.

    Attributes
    ----------
    values : ndarray of float64, shape (runs, n_policies, n_metrics)
    profile : ndarray of float64, shape (runs, n_policies, L)
        Rank profiles, zero-padded to the widest.
    groups : dict of str to ndarray of float64, shape (runs, n_policies, G, C)
    """

    values: NDArray[np.float64]
    profile: NDArray[np.float64]
    groups: dict[str, NDArray[np.float64]]

    @staticmethod
    def join(parts: Sequence[RunArrays]) -> RunArrays:
        """Parts in run order as one (profiles padded to the widest)."""
        width = max(p.profile.shape[2] for p in parts)
        profile = np.concatenate(
            [
                np.pad(p.profile, ((0, 0), (0, 0), (0, width - p.profile.shape[2])))
                for p in parts
            ]
        )
        return RunArrays(
            values=np.concatenate([p.values for p in parts]),
            profile=profile,
            groups={
                g: np.concatenate([p.groups[g] for p in parts]) for g in parts[0].groups
            },
        )


@dataclass(frozen=True, slots=True, eq=False)
class RunOutcome:
    """One policy's metrics of one run (the shape of a metrics ``Outcome``)."""

    values: NDArray[np.float64]  # (n_metrics,)
    rank_profile: NDArray[np.float64]  # (L,)
    groups: dict[str, NDArray[np.float64]]  # each (G, C)


def stack_runs(per_run: Sequence[Sequence[Any]], groups: Sequence[str]) -> RunArrays:
    """One chunk's :class:`RunArrays` from each run's outcome of each policy.

    An outcome has ``values`` (n_metrics,), ``rank_profile`` (L,) and
    ``groups`` (a mapping with a (G, C) table for each name in ``groups``).
    """
    k = len(per_run[0])
    return RunArrays(
        values=np.array([[o.values for o in run] for run in per_run]),
        profile=padded([[o.rank_profile for o in run] for run in per_run], k),
        groups={
            g: np.array([[o.groups[g] for o in run] for run in per_run]) for g in groups
        },
    )


def padded(
    profiles: Sequence[Sequence[NDArray[np.float64]]], k: int
) -> NDArray[np.float64]:
    """Rank profiles per run and policy as one array, zero-padded to the longest.

    Shape (len(profiles), k, L), L the longest profile.
    """
    width = max((p.shape[0] for run in profiles for p in run), default=0)
    out = np.zeros((len(profiles), k, width))
    for i, run in enumerate(profiles):
        for j, p in enumerate(run):
            out[i, j, : p.shape[0]] = p
    return out


# --------------------------------------------------------------------------- engine
@dataclass(frozen=True, slots=True)
class Engine:
    """One mode of simulation, as the mode table holds it.

    Attributes
    ----------
    mode : str
        The scenario ``mode`` it runs.
    metrics : tuple of str
        The scalar metrics of its results (columns of ``RunArrays.values``).
    run_chunk : callable
        ``run_chunk(scenario, policies, seeds) -> RunArrays``: the runs whose
        root sequences are ``seeds``, every policy on each. A module-level
        function, so that executors can pickle it.
    result : callable
        ``result(scenario, names, runs, seed, arrays) -> SimulationResult``.
    first_instance : callable
        ``first_instance(scenario, run) -> Instance``: the (first year's)
        instance a run samples, the same in every mode.
    """

    mode: str
    metrics: tuple[str, ...]
    run_chunk: Callable[
        [Any, Sequence[Policy], Sequence[np.random.SeedSequence]], RunArrays
    ]
    result: Callable[[Any, tuple[str, ...], int, Root, RunArrays], SimulationResult]
    first_instance: Callable[[Scenario, np.random.SeedSequence], Instance]


# --------------------------------------------------------------------------- executor
def chunk_bounds(runs: int, chunk_size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each unit of ``chunk_size`` runs (the last may be short)."""
    return [(a, min(a + chunk_size, runs)) for a in range(0, runs, chunk_size)]


def _workers(executor: Executor | None) -> int:
    if executor is None:
        return 1
    w = getattr(executor, "_max_workers", None)
    return int(w) if isinstance(w, int) and w > 0 else (os.cpu_count() or 1)


def run_units(
    fn: Callable[..., T],
    units: Sequence[tuple[Any, ...]],
    finish: Callable[[int, T], None],
    *,
    executor: Executor | None,
    drain: bool = False,
) -> None:
    """Run ``fn(*units[i])`` for every unit; ``finish(i, result)`` as each completes.

    Without an executor, in this process and in order. With one, every unit is
    submitted at once and handled as it finishes (units finished together, in
    order). On a failure, in ``fn`` or in ``finish``, or an interrupt, the units
    not yet started are cancelled; with ``drain`` the units already running are
    finished (and handed to ``finish``) before the first failure is raised, so
    a store keeps them; without it the failure is raised at once.
    """
    if executor is None:
        for i, args in enumerate(units):
            finish(i, fn(*args))
        return
    futures: dict[Future[T], int] = {
        executor.submit(fn, *args): i for i, args in enumerate(units)
    }
    pending = set(futures)
    failure: Exception | None = None
    try:
        while pending and failure is None:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=futures.__getitem__):
                try:
                    finish(futures[fut], fut.result())
                except Exception as exc:
                    if not drain:
                        raise
                    failure = failure or exc  # keep handling this batch's others
    finally:
        running = [f for f in pending if not f.cancel()]
        if drain:
            for fut in running:
                try:
                    finish(futures[fut], fut.result())
                except Exception:  # the first failure is the one reported
                    continue
    if failure is not None:
        raise failure


def run_chunks(
    run_chunk: Callable[[Sequence[np.random.SeedSequence]], RunArrays],
    runs: int,
    seed: Root,
    *,
    executor: Executor | None,
    progress: ProgressLike,
    chunk_size: int | None,
    desc: str = "",
) -> RunArrays:
    """Run ``run_chunk`` over the runs' streams, chunk by chunk; joined in run order.

    Run ``r`` gets ``run_streams(seed, 0, runs)[r]`` (for an int seed,
    ``SeedSequence(seed).spawn(runs)[r]``) whatever the chunking
    and the executor. ``chunk_size`` None: about four units per worker, at
    most :data:`MAX_CHUNK` runs each. ``progress`` as for :class:`Progress`,
    its bar labelled ``desc``.
    """
    size = check_chunk_size(chunk_size)
    if size is None:
        size = max(1, min(MAX_CHUNK, math.ceil(runs / (4 * _workers(executor)))))
    seeds = run_streams(seed, 0, runs)
    bounds = chunk_bounds(runs, size)
    parts: list[RunArrays | None] = [None] * len(bounds)

    with Progress(progress, runs, desc=desc) as tracker:

        def finish(c: int, part: RunArrays) -> None:
            parts[c] = part
            tracker.advance(bounds[c][1] - bounds[c][0])

        units = [(seeds[a:b],) for a, b in bounds]
        run_units(run_chunk, units, finish, executor=executor)
    return RunArrays.join([p for p in parts if p is not None])
