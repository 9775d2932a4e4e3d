"""The mode table: one engine per scenario ``mode``, used by every entry point.

:func:`~sendalloc.simulate`, :func:`~sendalloc.sweep` and
:mod:`~sendalloc.capacity` all find their engine here, so a variant of a sweep
runs exactly as :func:`~sendalloc.simulate` would run it, whatever its mode. A
new mode is a new :class:`~sendalloc._engine.runner.Engine` added to
:data:`ENGINES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from types import MappingProxyType
from typing import Any

from sendalloc import status_quo
from sendalloc._engine.annual import ANNUAL, annual_metrics
from sendalloc._engine.draws import check_uncertainty, drawn_chunk
from sendalloc._engine.policies import Policy, reports_process
from sendalloc._engine.results import SimulationResult
from sendalloc._engine.runner import Engine, ProgressLike, run_chunks
from sendalloc._engine.streams import Root
from sendalloc._engine.timed import IN_YEAR, MULTI_YEAR
from sendalloc._engine.timemetrics import IN_YEAR_PROCESS_METRICS
from sendalloc._engine.year import run_year
from sendalloc.problem import Problem

__all__ = [
    "ENGINES",
    "check_modes",
    "compile_tasks",
    "engine_for",
    "metrics_for",
    "metrics_of",
    "run_simulation",
]

#: Every engine, by the scenario ``mode`` it runs.
ENGINES: Mapping[str, Engine] = MappingProxyType(
    {e.mode: e for e in (ANNUAL, IN_YEAR, MULTI_YEAR)}
)


def engine_for(scenario: Any) -> Engine:
    """The engine of a scenario's ``mode`` (``"annual"`` when it has none)."""
    mode = str(getattr(scenario, "mode", "annual"))
    try:
        return ENGINES[mode]
    except KeyError:
        raise ValueError(
            f"scenario mode {mode!r}: expected one of {', '.join(ENGINES)}"
        ) from None


def metrics_for(mode: str, policies: Sequence[Policy] = ()) -> tuple[str, ...]:
    """The metrics a run of ``policies`` in ``mode`` measures.

    The engine's metrics, and the process metrics when a policy reports them
    (in the annual mode :func:`~sendalloc._engine.annual.annual_metrics`,
    else :data:`~sendalloc._engine.timemetrics.IN_YEAR_PROCESS_METRICS`).

    Examples
    --------
    >>> from sendalloc._engine.policies import resolve_policies
    >>> len(metrics_for("annual", resolve_policies(["status_quo"]))) > len(
    ...     metrics_for("annual"))
    True
    """
    if mode == ANNUAL.mode:
        return annual_metrics(policies)
    if reports_process(policies):
        return ENGINES[mode].metrics + IN_YEAR_PROCESS_METRICS
    return ENGINES[mode].metrics


def metrics_of(
    modes: Sequence[str], policies: Sequence[Policy] = ()
) -> tuple[str, ...]:
    """The metrics of every mode in ``modes``, each once, in the table's order.

    Examples
    --------
    >>> metrics_of(["in_year"])[:2]
    ('children', 'mean_days_waiting')
    >>> "waited" in metrics_of(["annual", "in_year"])
    True
    """
    out: dict[str, None] = {}
    for mode in ENGINES:
        if mode in modes:
            out |= dict.fromkeys(metrics_for(mode, policies))
    return tuple(out)


def check_modes(mode: str, policies: Sequence[Policy]) -> None:
    """A ValueError if a policy does not run in ``mode`` (its ``modes``, if any)."""
    for p in policies:
        modes = getattr(p, "modes", None)
        if modes is not None and mode not in modes:
            raise ValueError(
                f"{p.name} runs in the {' and '.join(modes)} mode only, not in "
                f"{mode!r}: leave it out, or run the scenario with "
                f"mode = {modes[0]!r}"
            )


def _event_kernel_year() -> None:
    """A two-child year with a leaver and no batch: compiles the event kernel."""
    p = Problem.from_lists([1, 0], [[0, 1], [1]])
    run_year(p, [5, 9], leave_day=[20], leave_setting=[0])


def _statutory_round(scenario: Any) -> None:
    """Today's statutory process on one round: compiles its two kernels."""
    status_quo.place(scenario.sample(0), rng=0)


def compile_tasks(scenario: Any, names: Iterable[str]) -> list[Callable[[], object]]:
    """Units of compiling a run of ``scenario`` needs besides its rules' kernels.

    Each compiles (or loads from numba's cache) kernels of the run's own
    steps, without running any rule: the event kernel in the in-year and
    multi-year modes, today's statutory process (``status_quo`` among
    ``names``) in the annual mode. :func:`sendalloc.executors.precompile_kernels`
    compiles them on a cold start side by side with the rules' kernels.

    Examples
    --------
    >>> import sendalloc as sa
    >>> len(compile_tasks(sa.load_scenario("county"), ["status_quo"]))
    1
    >>> compile_tasks(sa.load_scenario("county"), ["boston"])
    []
    """
    if engine_for(scenario).mode != ANNUAL.mode:
        return [_event_kernel_year]
    if "status_quo" in names:
        return [partial(_statutory_round, scenario)]
    return []


def run_simulation(
    scenario: Any,
    policies: Sequence[Policy],
    *,
    runs: int,
    seed: Root,
    executor: Executor | None,
    progress: ProgressLike,
    chunk_size: int | None,
    uncertainty: str = "none",
) -> SimulationResult:
    """Run every policy on ``runs`` rounds of a scenario with its mode's engine.

    Arguments already checked (:mod:`sendalloc._engine.runner`) but
    ``uncertainty``, checked here: what each run draws besides its children
    (:mod:`sendalloc._engine.draws`). The result's class is the engine's.
    """
    engine = engine_for(scenario)
    check_modes(engine.mode, policies)
    space = check_uncertainty(uncertainty, scenario)
    if uncertainty == "none":
        chunk = partial(engine.run_chunk, scenario, tuple(policies))
    else:
        chunk = partial(
            drawn_chunk, engine.run_chunk, scenario, space, uncertainty, tuple(policies)
        )
    arrays = run_chunks(
        chunk,
        runs,
        seed,
        executor=executor,
        progress=progress,
        chunk_size=chunk_size,
        desc=str(getattr(scenario, "name", "")),
    )
    names = tuple(p.name for p in policies)
    result = engine.result(scenario, names, runs, seed, arrays)
    return result if uncertainty == "none" else replace(result, uncertainty=uncertainty)
