"""The in-year and multi-year engines: each run a year, or years, of dated events.

Run ``r`` samples its years' instances once (year 0 from the same ``instance``
stream as the annual engine, so the modes compare on the same children), then
each policy lives through them (:func:`~sendalloc._engine.projection.project`)
with the run's ``leavers`` and ``mechanism`` streams of each year, and the time
metrics are measured (:mod:`sendalloc._engine.timemetrics`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sendalloc._engine.annual import first_instance
from sendalloc._engine.policies import Policy, reports_process, statutory_params
from sendalloc._engine.projection import project, year_samples
from sendalloc._engine.results import DynamicResult
from sendalloc._engine.runner import Engine, RunArrays, RunOutcome, stack_runs
from sendalloc._engine.streams import Root
from sendalloc._engine.timemetrics import (
    DYNAMIC_GROUP_METRICS,
    DYNAMIC_METRICS,
    IN_YEAR_PROCESS_METRICS,
    MONTHLY_METRICS,
    PROJECTION_METRICS,
    TIME_GROUPINGS,
    group_table,
    named_within_limit,
    process_scalars,
    scalars,
    time_labels,
    year_columns,
    year_metrics,
)

__all__ = ["IN_YEAR", "MULTI_YEAR", "run_chunk", "run_one", "years_of"]


def years_of(scenario: Any) -> int:
    """Simulated years per run: ``dynamics.years`` for a projection, else 1."""
    return int(scenario.dynamics.years) if scenario.mode == "multi_year" else 1


def run_one(
    scenario: Any, policies: Sequence[Policy], run: np.random.SeedSequence
) -> list[RunOutcome]:
    """Every policy's time metrics of one run: values, profile and breakdowns."""
    years = years_of(scenario)
    insts, caseload = year_samples(scenario, years, run)
    lab = time_labels(years)
    n_kinds = len(lab["kind"]) - 1
    settings = insts[0].settings
    spec = np.asarray(settings.specialist)
    ool = float(scenario.dynamics.out_of_list_cost)
    multi = str(scenario.mode) == "multi_year"
    columns = year_columns(multi)
    process = reports_process(policies)
    consult = int(scenario.dynamics.consultation_days)
    timing = (
        float(scenario.dynamics.assessment_days),
        float(scenario.dynamics.assessment_cv),
    )
    res = []
    for policy in policies:
        sq = statutory_params(policy, insts[0])
        proj = project(scenario, insts, policy.allocate, run, statutory=sq)
        yms = [year_metrics(yr.inst, yr.out, ool, n_kinds) for yr in proj]
        yearly = np.empty((years, len(columns)))
        for y, (ym, yr) in enumerate(zip(yms, proj, strict=True)):
            row = scalars(ym.cols.sum(axis=0), ym.idle, 1, projection=multi)
            names = PROJECTION_METRICS if multi else DYNAMIC_METRICS
            cells = dict(zip(names, row, strict=True))
            cells["caseload"] = caseload[y]
            cells["specialist_places"] = float(yr.cap[spec].sum())
            cells["specialist_free_start"] = float(np.maximum(yr.free[spec], 0).sum())
            cells["carried_in"] = float(yr.carried_in)
            cells["aged_out"] = float(yr.aged_out)
            yearly[y] = [cells[c] for c in columns]
        cols = np.concatenate([ym.cols for ym in yms])
        keys = [
            np.concatenate([ym.keys[g] for ym in yms])
            for g in range(len(TIME_GROUPINGS))
        ]
        idle = sum(ym.idle for ym in yms)
        values = np.array(scalars(cols.sum(axis=0), idle, years, projection=multi))
        if process:  # pooled over years, each year weighted by its children
            parts = [
                named_within_limit(
                    yr.out, ~np.asarray(yr.inst.children.transfer), *timing
                )
                for yr in proj
            ]
            more = np.array(
                [
                    process_scalars(yr.out, consult, p)
                    for yr, p in zip(proj, parts, strict=True)
                ]
            )
            w = np.array([yr.out.arrival_day.size for yr in proj], dtype=np.float64)
            pooled = (more * w[:, None]).sum(axis=0) / max(w.sum(), 1.0)
            # ... but the 20-week share by the new plans it counts
            named, base = np.sum(parts, axis=0)
            pooled[-1] = named / base if base else math.nan
            values = np.concatenate([values, pooled])
        width = max(ym.rank_counts.size for ym in yms)
        prof = np.zeros(width)
        for ym in yms:
            prof[: ym.rank_counts.size] += ym.rank_counts
        prof = prof / max(cols.shape[0], 1)
        groups = {
            g: group_table(cols, keys[j], len(lab[g]))
            for j, g in enumerate(TIME_GROUPINGS)
        }
        groups["month"] = np.concatenate([ym.monthly for ym in yms])
        groups["year"] = yearly
        res.append(RunOutcome(values, prof, groups))
    return res


def run_chunk(
    scenario: Any,
    policies: Sequence[Policy],
    seeds: Sequence[np.random.SeedSequence],
) -> RunArrays:
    """The runs of ``seeds``: time metrics, rank profiles and breakdowns."""
    per_run = [run_one(scenario, policies, ss) for ss in seeds]
    return stack_runs(per_run, (*TIME_GROUPINGS, "month", "year"))


def result(
    scenario: Any, names: tuple[str, ...], runs: int, seed: Root, arrays: RunArrays
) -> DynamicResult:
    """The :class:`DynamicResult` of an in-year or multi-year simulation."""
    mode = str(scenario.mode)
    years = years_of(scenario)
    labels = time_labels(years)
    multi = mode == "multi_year"
    gm = dict.fromkeys(TIME_GROUPINGS, DYNAMIC_GROUP_METRICS)
    gm["month"] = MONTHLY_METRICS
    gm["year"] = year_columns(multi)
    metrics = PROJECTION_METRICS if multi else DYNAMIC_METRICS
    if arrays.values.shape[2] > len(metrics):
        metrics = metrics + IN_YEAR_PROCESS_METRICS
    return DynamicResult(
        scenario=str(scenario.name),
        mechanisms=names,
        runs=runs,
        seed=seed,
        values=arrays.values,
        rank_profile=arrays.profile,
        groups=arrays.groups,
        group_labels={g: labels[g] for g in arrays.groups},
        description=str(scenario.description),
        metrics=metrics,
        mode=mode,
        years=years,
        group_metrics=gm,
    )


#: The in-year engine: one year of dated events per run.
IN_YEAR = Engine(
    mode="in_year",
    metrics=DYNAMIC_METRICS,
    run_chunk=run_chunk,
    result=result,
    first_instance=first_instance,
)
#: The multi-year engine: ``dynamics.years`` chained years per run.
MULTI_YEAR = Engine(
    mode="multi_year",
    metrics=PROJECTION_METRICS,
    run_chunk=run_chunk,
    result=result,
    first_instance=first_instance,
)
