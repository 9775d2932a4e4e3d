"""The annual engine: one placement round per run, every policy on the same round.

Run ``r`` samples one instance from its ``instance`` stream, then each policy
places the round with a fresh generator on the run's ``mechanism`` stream (the
same for every policy: common random numbers), then the outcome metrics
(:func:`sendalloc.metrics.outcome_arrays`) are measured on the policy's final
placements, with justified envy judged on the rule's own. When a policy of the
run reports per-child process outcomes (today's process, ``status_quo``), every
policy is also measured on :data:`~sendalloc.metrics.PROCESS_METRICS`, after
:data:`~sendalloc.metrics.METRICS` (:func:`annual_metrics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sendalloc._engine.policies import Policy, reports_process
from sendalloc._engine.results import SimulationResult
from sendalloc._engine.runner import Engine, RunArrays, RunOutcome, stack_runs
from sendalloc._engine.streams import Root, generator, stream
from sendalloc.metrics import (
    GROUPINGS,
    METRICS,
    PROCESS_METRICS,
    Context,
    Outcome,
    class_justified_envy,
    group_labels,
    outcome_arrays,
    process_values,
)

if TYPE_CHECKING:
    from sendalloc.scenario import Instance, Scenario

__all__ = ["ANNUAL", "annual_metrics", "first_instance", "run_chunk", "run_one"]


def annual_metrics(policies: Sequence[Policy]) -> tuple[str, ...]:
    """The metrics of an annual run of ``policies``: METRICS, then the process's."""
    return METRICS + PROCESS_METRICS if reports_process(policies) else METRICS


def first_instance(scenario: Scenario, run: np.random.SeedSequence) -> Instance:
    """The instance run ``run`` samples (in every mode, its first year's)."""
    return scenario.sample(generator(run, "instance"))


def run_one(
    scenario: Any, policies: Sequence[Policy], run: np.random.SeedSequence
) -> list[Outcome | RunOutcome]:
    """The outcome of every policy on the round of one run."""
    inst = first_instance(scenario, run)
    ctx = Context.of(inst)
    mech_ss = stream(run, "mechanism")
    process = reports_process(policies)
    out: list[Outcome | RunOutcome] = []
    for policy in policies:
        placed = policy.place(inst, np.random.default_rng(mech_ss))
        envy = class_justified_envy(inst.problem, placed.assignment)
        extra = getattr(placed, "extra", None)
        o = outcome_arrays(
            inst,
            placed.assignment,
            placed.final,
            envy,
            context=ctx,
            day=None if extra is None else extra.get("day"),
            over_capacity=None if extra is None else extra.get("over_capacity"),
        )
        if not process:
            out.append(o)
            continue
        more = process_values(inst, placed.final, extra)
        values = np.concatenate([o.values, more])
        out.append(RunOutcome(values, o.rank_profile, dict(o.groups)))
    return out


def run_chunk(
    scenario: Any,
    policies: Sequence[Policy],
    seeds: Sequence[np.random.SeedSequence],
) -> RunArrays:
    """The runs of ``seeds``: values, rank profiles and breakdowns."""
    return stack_runs([run_one(scenario, policies, ss) for ss in seeds], GROUPINGS)


def result(
    scenario: Any, names: tuple[str, ...], runs: int, seed: Root, arrays: RunArrays
) -> SimulationResult:
    """The :class:`SimulationResult` of an annual simulation."""
    labels = group_labels()
    width = arrays.values.shape[2]
    metrics = METRICS + PROCESS_METRICS if width > len(METRICS) else METRICS
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
        metrics=metrics,
    )


#: The annual engine.
ANNUAL = Engine(
    mode="annual",
    metrics=METRICS,
    run_chunk=run_chunk,
    result=result,
    first_instance=first_instance,
)
