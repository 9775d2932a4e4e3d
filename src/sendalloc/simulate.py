"""Monte Carlo engine: many simulated rounds, every mechanism on each.

:func:`simulate` samples ``runs`` instances of a scenario and runs every requested
mechanism (and the scenario's LA fallback) on each one, so that mechanisms are
compared on the same simulated children and places (common random numbers). Run
``r`` draws from its own stream, ``SeedSequence(seed).spawn(runs)[r]``, so a run's
numbers do not depend on which worker computes it: the result is identical for
any executor and any number of workers. Runs are batched into chunks (one task
per chunk) and the results are assembled in run order.

This module is the front door; the engine itself (one per mode, the runner,
the statistics and the result classes) lives in ``sendalloc._engine``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from sendalloc._engine.modes import run_simulation
from sendalloc._engine.policies import DEFAULT_MECHANISMS, POLICIES, resolve_policies
from sendalloc._engine.results import SimulationResult
from sendalloc._engine.runner import (
    ProgressLike,
    check_progress,
    check_runs,
    check_seed,
    resolve_scenario,
)
from sendalloc._engine.stats import Summary
from sendalloc._engine.streams import SeedLike
from sendalloc.problem import Allocation

if TYPE_CHECKING:
    from sendalloc.scenario import Scenario

__all__ = [
    "DEFAULT_MECHANISMS",
    "POLICIES",
    "SimulationResult",
    "Summary",
    "simulate",
]


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    mechanisms: Iterable[str | Callable[..., Allocation]] | str | None = None,
    *,
    runs: int = 1000,
    seed: SeedLike = 0,
    executor: Executor | None = None,
    progress: ProgressLike = None,
    chunk_size: int | None = None,
    uncertainty: str = "none",
) -> SimulationResult:
    """Simulate many allocation rounds and measure every mechanism on each.

    Parameters
    ----------
    scenario : Scenario, str or path
        A :class:`~sendalloc.scenario.Scenario`, a preset name or a TOML path.
    mechanisms : iterable of (str or callable), optional
        Names from :data:`~sendalloc.MECHANISMS` or :data:`POLICIES`
        (``"status_quo"``: today's statutory process, docs/status-quo.md), or
        callables ``f(problem, *, rng=None) -> Allocation`` (picklable if an
        executor runs them in other processes). Default:
        :data:`DEFAULT_MECHANISMS`: today's process, the proposal, the main
        alternatives and the planner's benchmark (less any that does not run
        in the scenario's mode, and the planner's benchmark outside the annual
        mode: ``DEFAULT_MODES`` of ``sendalloc._engine.policies``).
    runs : int, default 1000
        Number of simulated rounds (instances).
    seed : int, SeedSequence, Generator or None, default 0
        The root of the runs' random streams. An int ``s``: run ``r`` uses
        ``SeedSequence(s).spawn(runs)[r]``. A SeedSequence is the root as it
        is (not spawned from, not changed). A Generator is spawned, not drawn
        from: the root is a new child of its bit generator's seed sequence,
        as ``Generator.spawn`` makes, so the generator's numbers are untouched
        and each call gets independent streams. None: fresh entropy from the
        operating system. The result's ``seed`` records the root (an int or a
        SeedSequence); passed back, it reproduces the run.
    executor : concurrent.futures.Executor, optional
        Runs the chunks, e.g. a ``ProcessPoolExecutor`` or a dask.distributed
        client's ``get_executor()``. Default: in this process.
    progress : bool or callable, optional
        True draws a progress bar with ``tqdm.auto`` (a widget in Jupyter, text
        on the terminal; needs the ``progress`` extra, ``pip install
        'sendalloc[progress]'``). A callable is called as ``progress(done_runs,
        runs)`` after each chunk completes. None or False: silent.
    chunk_size : int, optional
        Runs per task. Default: about four tasks per worker, at most 25 runs.
        It affects only speed, never the result.
    uncertainty : {"none", "assumptions", "layout", "assumptions+layout"}
        What each run draws besides its children. ``"none"`` (default): the
        scenario as written, so the 95% ranges are over simulated rounds only.
        ``"assumptions"``: each run draws every range of the scenario's
        ``[uncertainty]`` table (its own stream, ``assumptions``), so the
        ranges cover the children *and* the assumptions. ``"layout"``: each
        run lays the settings out afresh (a new ``geography.layout_seed``).
        The result records it (``uncertainty``, ``interval``) and every
        renderer names it; see docs/uncertainty.md.

    Returns
    -------
    SimulationResult

    Notes
    -----
    The scenario's ``mode`` picks the engine from one table (the same one
    :func:`~sendalloc.sweep` uses): ``"annual"`` (the default), or
    ``"in_year"`` and ``"multi_year"``, whose result is a
    :class:`~sendalloc.dynamic.DynamicResult` (a subclass) of time metrics in
    which each mechanism allocates the year's batches (see docs/dynamics.md).

    Each annual run samples one instance (its ``instance`` stream), then runs
    each mechanism on that instance with a generator on the run's
    ``mechanism`` stream (a fresh one for every mechanism, on the same
    stream), then the scenario's LA fallback, then the metrics
    (:func:`sendalloc.metrics.evaluate`). Per run the cost is the
    sampling plus, per mechanism, the allocation kernel and O(N (L + K))
    vectorised metrics. With ``"status_quo"`` among them, every rule is also
    measured on :data:`~sendalloc.metrics.PROCESS_METRICS` (requests granted
    and refused, over-capacity namings, appeals, special schools over
    capacity), NaN where a rule has no such step.

    Examples
    --------
    >>> import sendalloc as sa
    >>> mechs = ["first_available", "random_serial_dictatorship"]
    >>> r = sa.simulate("london_borough", mechs, runs=6, seed=3)
    >>> r.values.shape[:2]
    (6, 2)
    >>> r2 = sa.simulate("london_borough", mechs, runs=6, seed=3, chunk_size=1)
    >>> r.to_json() == r2.to_json()
    True
    >>> u = sa.simulate("london_borough", mechs, runs=6, seed=3,
    ...                 uncertainty="assumptions")
    >>> u.interval
    '95% range over simulated rounds and assumptions'
    """
    runs, root = check_runs(runs), check_seed(seed)
    progress = check_progress(progress)
    scen = resolve_scenario(scenario)
    policies = resolve_policies(
        mechanisms, modes=(str(getattr(scen, "mode", "annual")),)
    )
    return run_simulation(
        scen,
        policies,
        runs=runs,
        seed=root,
        executor=executor,
        progress=progress,
        chunk_size=chunk_size,
        uncertainty=uncertainty,
    )
