"""In-year and multi-year dynamics: the first available place at the moment of need.

"The first available place" is a statement about time. Plans are finalised all
year, phase transfers are settled together on their statutory dates, children
leave and places free up during the year, and the caseload grows. sendalloc
runs a year as a sequence of dated events over plain arrays, and a projection as
a sequence of such years, carrying the children still waiting on 31 December
into the next year's waiting list.

Three tiers, as for the mechanisms:

- :func:`run_year` is the documented event simulation of one year of one
  :class:`~sendalloc.Problem` (arrival days, leavers, capacity changes, batches).
  Hand-worked timelines and property tests use it directly.
- :func:`simulate_instance_year` and :func:`simulate_projection` prepare a
  sampled :class:`~sendalloc.scenario.Instance` (leavers drawn from the rolls,
  capacity plans, the scenario's ``[dynamics]`` policies).
- The event loop, a numba kernel over integer arrays, with the code that lays
  out its state (``sendalloc._engine.events``).

:func:`sendalloc.simulate` runs a scenario whose ``mode`` is ``"in_year"`` or
``"multi_year"`` with the time engines and returns a :class:`DynamicResult` (a
:class:`~sendalloc.SimulationResult` with time metrics). docs/dynamics.md
describes the model and what it changes compared with the annual picture.

Event order is fully specified: events are processed by day, then by type
(capacity changes, leavers, consultation replies, arrivals held for a batch,
batches, individual arrivals, tribunal decisions), then by id (a child's
position in the LA's processing order, a setting's index, or the event's
index), so the same inputs give the same timeline.

This module is the front door; the code lives in ``sendalloc._engine``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, cast

from sendalloc._engine.calendar import MONTHS, TERM_END_DAYS
from sendalloc._engine.events import Statutory, StatutoryOutcome, YearOutcome
from sendalloc._engine.modes import run_simulation
from sendalloc._engine.policies import resolve_policies
from sendalloc._engine.projection import simulate_projection
from sendalloc._engine.results import DynamicResult
from sendalloc._engine.runner import ProgressLike, check_seed
from sendalloc._engine.streams import SeedLike
from sendalloc._engine.timemetrics import (
    DYNAMIC_GROUP_METRICS,
    DYNAMIC_METRICS,
    IN_YEAR_PROCESS_METRICS,
    MONTHLY_METRICS,
    PROJECTION_METRICS,
    PROJECTION_YEARLY_METRICS,
    YEARLY_METRICS,
)
from sendalloc._engine.year import run_year, simulate_instance_year, statutory_inputs
from sendalloc.problem import Allocation

if TYPE_CHECKING:
    from sendalloc.scenario import Scenario

__all__ = [
    "DYNAMIC_GROUP_METRICS",
    "DYNAMIC_METRICS",
    "IN_YEAR_PROCESS_METRICS",
    "MONTHLY_METRICS",
    "MONTHS",
    "PROJECTION_METRICS",
    "PROJECTION_YEARLY_METRICS",
    "TERM_END_DAYS",
    "YEARLY_METRICS",
    "DynamicResult",
    "Statutory",
    "StatutoryOutcome",
    "YearOutcome",
    "run_year",
    "simulate_dynamic",
    "simulate_instance_year",
    "simulate_projection",
    "statutory_inputs",
]


def simulate_dynamic(
    scenario: Scenario,
    mechs: Sequence[str | Callable[..., Allocation]],
    names: tuple[str, ...],
    *,
    runs: int,
    seed: SeedLike,
    executor: Executor | None = None,
    progress: ProgressLike = None,
    chunk_size: int | None = None,
) -> DynamicResult:
    """The Monte Carlo engine of the ``in_year`` and ``multi_year`` modes.

    :func:`sendalloc.simulate` runs these modes itself (use that); this entry
    takes arguments already validated and mechanisms ``mechs`` shown as
    ``names``; ``seed`` as for :func:`sendalloc.simulate`. Run ``r`` uses
    ``SeedSequence(seed).spawn(runs)[r]`` for an int seed, so results
    do not depend on the executor or the chunking. Within a run every mechanism
    sees the same children in every year (and, in the first year, the same
    leavers).

    Returns
    -------
    DynamicResult

    Raises
    ------
    ValueError
        If the scenario's mode is ``"annual"``.
    """
    if str(scenario.mode) not in ("in_year", "multi_year"):
        raise ValueError(
            f"scenario mode {scenario.mode!r}: simulate_dynamic runs 'in_year' and "
            "'multi_year'; use sendalloc.simulate"
        )
    result = run_simulation(
        scenario,
        resolve_policies(mechs, modes=(str(scenario.mode),)),
        runs=runs,
        seed=check_seed(seed),
        executor=executor,
        progress=progress,
        chunk_size=chunk_size,
    )
    return dataclasses.replace(cast(DynamicResult, result), mechanisms=tuple(names))
