"""Runs that draw their own scenario: assumption uncertainty and new layouts.

With ``uncertainty="assumptions"`` each run draws one point of the scenario's
:class:`~sendalloc.scenario.AssumptionSpace` from its ``assumptions`` stream
(one uniform per dimension, in the space's order) and simulates the scenario
with those values; with ``"layout"`` it draws a ``geography.layout_seed`` from
its ``layout`` stream, so the settings are laid out afresh; ``"assumptions+layout"``
does both. Every other stream of the run is as without the draw, so the run's
children are drawn the same way, only from the drawn scenario. A run's draw
depends only on its own streams: the same on any executor and in any chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sendalloc._engine.policies import Policy
from sendalloc._engine.runner import RunArrays
from sendalloc._engine.stats import UNCERTAINTY
from sendalloc._engine.streams import generator
from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario import AssumptionSpace

__all__ = ["LAYOUT_SEEDS", "check_uncertainty", "drawn_chunk", "run_scenario"]

#: Layout seeds are drawn uniformly from ``0 .. LAYOUT_SEEDS - 1``.
LAYOUT_SEEDS = 2**63 - 1


def check_uncertainty(uncertainty: object, scenario: Any) -> AssumptionSpace | None:
    """The assumption space a run of ``uncertainty`` draws from (None if none).

    Raises
    ------
    ValueError
        For a value not in :data:`~sendalloc._engine.stats.UNCERTAINTY`.
    InvalidScenarioError
        For ``"assumptions"`` on a scenario without uncertain keys, or whose
        ranges make an invalid scenario at their low or high ends.
    """
    if not isinstance(uncertainty, str) or uncertainty not in UNCERTAINTY:
        raise ValueError(
            f"uncertainty: expected one of {', '.join(map(repr, UNCERTAINTY))}, "
            f"got {uncertainty!r}"
        )
    if "assumptions" not in uncertainty:
        return None
    space = AssumptionSpace(scenario)
    if not len(space):
        raise InvalidScenarioError(
            f"{scenario.source}: uncertainty={uncertainty!r} draws the ranges of the "
            "scenario's [uncertainty] table, but it has none that vary"
        )
    space.check()
    return space


def run_scenario(
    scenario: Any, space: AssumptionSpace | None, uncertainty: str, run: Any
) -> Any:
    """The scenario run ``run`` simulates: drawn as ``uncertainty`` says."""
    extra: dict[str, object] = {}
    if "layout" in uncertainty:
        g = generator(run, "layout")
        extra["geography.layout_seed"] = int(g.integers(LAYOUT_SEEDS))
    if space is None:
        return scenario.with_overrides(extra) if extra else scenario
    u = generator(run, "assumptions").random(len(space))
    return space.scenario_at(u, extra)


def drawn_chunk(
    run_chunk: Callable[[Any, Sequence[Policy], Sequence[Any]], RunArrays],
    scenario: Any,
    space: AssumptionSpace | None,
    uncertainty: str,
    policies: Sequence[Policy],
    seeds: Sequence[np.random.SeedSequence],
) -> RunArrays:
    """An engine's ``run_chunk``, each run on the scenario it draws."""
    return RunArrays.join(
        [
            run_chunk(run_scenario(scenario, space, uncertainty, ss), policies, [ss])
            for ss in seeds
        ]
    )
