"""The in-year targets of the calibration: today's process run as a year of events.

The annual round has no calendar; the share of new plans issued within 20
weeks of the request needs one. :func:`measure_in_year` runs a scenario's
year under ``status_quo`` in the in-year engine and reads its
``plans_within_20_weeks`` (and any other in-year metric a target names);
:func:`fit_in_year` solves for the one key that target pins down, the mean
days of the assessment before the plan day, by a bracketing root search over
common random numbers (the assessment dates each request and changes no
allocation, so the share falls smoothly as the assessment lengthens).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from sendalloc._calibrate.targets import Target
from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario import Scenario
from sendalloc.simulate import simulate

__all__ = ["InYearFit", "fit_in_year", "measure_in_year"]

#: z of a two-sided 95% interval.
_Z95 = 1.959963984540054


def measure_in_year(
    scenario: Scenario, targets: Sequence[Target], *, runs: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Targets' means over ``runs`` in-year years of today's process, and per run.

    Returns the means, shape (T,), and each run's values, shape (T, runs).

    The scenario runs in the in-year mode (whatever its ``mode``) with
    ``status_quo`` alone, on the streams of ``seed``; a target's measure is a
    metric of the in-year result.
    """
    sc = scenario.with_overrides({"mode": "in_year"})
    res = simulate(sc, ["status_quo"], runs=runs, seed=seed, progress=False)
    per_run = np.empty((len(targets), runs))
    for i, t in enumerate(targets):
        if t.measure not in res.metrics:
            raise InvalidScenarioError(
                f"target {t.name!r}: {t.measure!r} is not an in-year metric"
            )
        per_run[i] = res.metric(t.measure, "status_quo")
    return per_run.mean(axis=1), per_run


@dataclass(frozen=True, slots=True, eq=False)
class InYearFit:
    """The fit of one key to one in-year target (:func:`fit_in_year`).

    ``estimate`` solves ``value(estimate) = target.observed`` (or is the
    bound nearest to it when no value within the bounds does: ``solved`` is
    then False); ``se`` carries the target's uncertainty (its tolerance band
    read as ±2 standard deviations) and the Monte Carlo error through the
    slope ``derivative`` of the value by the key; ``low``-``high`` is the 95%
    interval, within the bounds.
    """

    scenario: Scenario
    key: str
    target: Target
    bounds: tuple[float, float]
    start: float
    estimate: float
    se: float
    low: float
    high: float
    value: float
    mc_se: float
    derivative: float
    solved: bool
    evaluations: int
    runs: int
    seed: int
    seconds: float


def fit_in_year(
    scenario: Scenario,
    key: str,
    bounds: tuple[float, float],
    target: Target,
    *,
    runs: int,
    seed: int,
) -> InYearFit:
    """Solve for ``key`` so that today's process meets one in-year ``target``.

    Parameters
    ----------
    scenario : Scenario
        Run in the in-year mode whatever its ``mode``; its value of ``key`` is
        recorded as the start.
    key : str
        A dotted numeric key (``"dynamics.assessment_days"``).
    bounds : tuple of float
        The search interval.
    target : Target
        An in-year target (:data:`~sendalloc.calibrate.IN_YEAR_TARGETS`).
    runs, seed : int
        Years simulated per evaluation, the same ones every time (common
        random numbers).

    Returns
    -------
    InYearFit

    Notes
    -----
    The value must move monotonically with the key (the assessment's mean
    days and the 20-week share do: a longer assessment leaves less of the 20
    weeks); :func:`scipy.optimize.brentq` brackets the root to 0.05 of the
    key. One key for one target: the fit is exact, and checks nothing by
    itself. Cost: about 15 evaluations of ``runs`` in-year years.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.calibrate import IN_YEAR_TARGETS, fit_in_year
    >>> f = fit_in_year(sa.load_scenario("london_borough"),
    ...                 "dynamics.assessment_days", (30.0, 365.0),
    ...                 IN_YEAR_TARGETS[0], runs=2, seed=0)
    >>> f.solved, 100 < f.estimate < 180, round(f.value, 2)
    (True, True, 0.46)
    """
    t0 = time.perf_counter()
    lo, hi = (float(b) for b in bounds)
    start = float(_number(scenario, key))
    count = [0]
    per_run: dict[float, NDArray[np.float64]] = {}

    def value(x: float) -> float:
        count[0] += 1
        v, rows = measure_in_year(
            scenario.with_overrides({key: x}), [target], runs=runs, seed=seed
        )
        per_run[x] = rows[0]
        return float(v[0])

    f_lo, f_hi = value(lo) - target.observed, value(hi) - target.observed
    solved = f_lo * f_hi <= 0
    if solved:
        est = float(
            optimize.brentq(
                lambda x: value(x) - target.observed, lo, hi, xtol=0.05, rtol=1e-6
            )
        )
    else:
        est = lo if abs(f_lo) < abs(f_hi) else hi
    h = 0.01 * (hi - lo)
    a, b = max(lo, est - h), min(hi, est + h)
    slope = (value(b) - value(a)) / (b - a)
    at = value(est)
    mc = float(np.std(per_run[est], ddof=1) / math.sqrt(runs)) if runs > 1 else 0.0
    sd = math.hypot(target.observed * target.tolerance / 2.0, mc)
    se = sd / abs(slope) if slope else math.inf
    return InYearFit(
        scenario=scenario.with_overrides({key: est}),
        key=key,
        target=target,
        bounds=(lo, hi),
        start=start,
        estimate=est,
        se=se,
        low=max(lo, est - _Z95 * se),
        high=min(hi, est + _Z95 * se),
        value=at,
        mc_se=mc,
        derivative=slope,
        solved=solved,
        evaluations=count[0],
        runs=runs,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _number(scenario: Scenario, key: str) -> float:
    node: object = scenario.key_tree()
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise InvalidScenarioError(f"{scenario.source}: {key}: no such key")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise InvalidScenarioError(f"{scenario.source}: {key}: expected a number")
    return float(node)
