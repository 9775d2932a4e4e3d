"""The annual engine: one placement round per run, every policy on the same round.

Run ``r`` samples one instance from its ``instance`` stream, then each policy
places the round with a fresh generator on the run's ``mechanism`` stream (the
same for every policy: common random numbers), then the outcome metrics
(:func:`sendalloc.metrics.outcome_arrays`) are measured on the policy's final
placements, with justified envy judged on the rule's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sendalloc._engine.policies import Policy
from sendalloc._engine.results import SimulationResult
from sendalloc._engine.runner import Engine, RunArrays, padded
from sendalloc._engine.streams import generator, stream
from sendalloc.metrics import (
    GROUP_METRICS,
    GROUPINGS,
    METRICS,
    Context,
    Outcome,
    class_justified_envy,
    group_labels,
    outcome_arrays,
)

if TYPE_CHECKING:
    from sendalloc.scenario import Instance, Scenario

__all__ = ["ANNUAL", "first_instance", "run_chunk", "run_one"]


def first_instance(scenario: Scenario, run: np.random.SeedSequence) -> Instance:
    """The instance run ``run`` samples (in every mode, its first year's)."""
    return scenario.sample(generator(run, "instance"))


def run_one(
    scenario: Any, policies: Sequence[Policy], run: np.random.SeedSequence
) -> list[Outcome]:
    """The outcome of every policy on the round of one run."""
    inst = first_instance(scenario, run)
    ctx = Context.of(inst)
    mech_ss = stream(run, "mechanism")
    out = []
    for policy in policies:
        placed = policy.place(inst, np.random.default_rng(mech_ss))
        envy = class_justified_envy(inst.problem, placed.assignment)
        out.append(
            outcome_arrays(inst, placed.assignment, placed.final, envy, context=ctx)
        )
    return out


def run_chunk(
    scenario: Any,
    policies: Sequence[Policy],
    seeds: Sequence[np.random.SeedSequence],
) -> RunArrays:
    """The runs of ``seeds``: values, rank profiles and breakdowns."""
    lab = group_labels()
    n_groups = tuple(len(lab[g]) for g in GROUPINGS)
    per_run = [run_one(scenario, policies, ss) for ss in seeds]
    r, k = len(per_run), len(policies)
    values = np.array([[o.values for o in run] for run in per_run]).reshape(
        r, k, len(METRICS)
    )
    profile = padded([[o.rank_profile for o in run] for run in per_run], k)
    groups = {
        g: np.array([[o.groups[g] for o in run] for run in per_run]).reshape(
            r, k, n, len(GROUP_METRICS)
        )
        for g, n in zip(GROUPINGS, n_groups, strict=True)
    }
    return RunArrays(values, profile, groups)


def result(
    scenario: Any, names: tuple[str, ...], runs: int, seed: int, arrays: RunArrays
) -> SimulationResult:
    """The :class:`SimulationResult` of an annual simulation."""
    labels = group_labels()
    return SimulationResult(
        scenario=str(getattr(scenario, "name", "scenario")),
        mechanisms=names,
        runs=runs,
        seed=seed,
        values=arrays.values,
        rank_profile=arrays.profile,
        groups=arrays.groups,
        group_labels={g: labels[g] for g in GROUPINGS},
        description=str(getattr(scenario, "description", "")),
    )


#: The annual engine.
ANNUAL = Engine(
    mode="annual",
    metrics=METRICS,
    run_chunk=run_chunk,
    result=result,
    first_instance=first_instance,
)
