"""Fitting today's process to observed national outcomes: simulated method of moments.

The presets' unknowns (how often the LA refuses a request, how often a parent
appeals, how much parents like each kind of setting, how full special schools
are before the round, ...) are fitted so that ``status_quo``
(:mod:`sendalloc.status_quo`) reproduces statistics published nationally: the
shares of pupils with a plan at each kind of setting, the settings new plans
name, how full special schools are, how many placement appeals there are and
how they end (docs/validation.md shows every target, fitted or held out).

- A :class:`Target` is one observed statistic: its value, its source ids, how it
  is measured on a simulated round (a name of :data:`MEASURES`) and a tolerance
  relative to the value.
- A :class:`Param` is a scenario key to fit, with bounds.
- :func:`measure` simulates a scenario's rounds under ``status_quo`` and
  measures targets on them (:class:`Moments`: values with their Monte Carlo
  errors).
- :func:`fit` finds the parameter values that bring the simulated targets
  nearest the observed ones (weighted least squares over common random numbers,
  :func:`scipy.optimize.least_squares`) and their uncertainty (a :class:`Fit`).
- :func:`load_record` reads the fit of the shipped presets
  (``sendalloc/data/calibration.json``, written by ``tools/calibrate_presets.py``)
  and :func:`render_validation` renders it as docs/validation.md.

Targets are measured in a mode: the annual ones on the annual round, those marked
``mode="in_year"`` (the share of new plans issued within 20 weeks) on today's
process in the in-year engine, fitted one key each by :func:`fit_in_year`.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from sendalloc._calibrate.moments import Moments
from sendalloc._calibrate.targets import (
    HELD_OUT,
    IN_YEAR_TARGETS,
    MEASURES,
    MODES,
    TARGETS,
    Round,
    Target,
    not_measured,
    rounds,
)
from sendalloc._calibrate.timing import InYearFit, fit_in_year, measure_in_year
from sendalloc._engine.runner import check_runs
from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario import Scenario, load_scenario

__all__ = [
    "ANNUAL_PARAMS",
    "HELD_OUT",
    "IN_YEAR_PARAMS",
    "IN_YEAR_TARGETS",
    "MEASURES",
    "MODES",
    "TARGETS",
    "Fit",
    "InYearFit",
    "Moments",
    "Param",
    "Round",
    "Target",
    "fit",
    "fit_in_year",
    "load_record",
    "measure",
    "rounds",
]

#: z of a two-sided 95% interval.
_Z95 = 1.959963984540054


def _check_targets(targets: Sequence[Target], what: str) -> tuple[Target, ...]:
    out = tuple(targets)
    for t in out:
        if not isinstance(t, Target):
            raise TypeError(f"{what}: expected Target objects, got {type(t).__name__}")
    names = [t.name for t in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{what}: target names repeat: {', '.join(dup)}")
    return out


def measure(
    scenario: Scenario | str,
    targets: Sequence[Target] = TARGETS,
    *,
    runs: int = 100,
    seed: int = 0,
) -> Moments:
    """Simulate ``runs`` rounds under today's process and measure ``targets``.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario or a preset's name.
    targets : sequence of Target
        Default :data:`TARGETS`.
    runs : int
    seed : int
        The root of the runs' streams (:func:`rounds`).

    Returns
    -------
    Moments

    Notes
    -----
    In-year targets run the scenario's year in the in-year engine too
    (whatever its ``mode``). O(runs (N K + M)).

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.calibrate import TARGETS, measure
    >>> m = measure("london_borough", TARGETS[:2], runs=5, seed=1)
    >>> m.names
    ('stock_state_special', 'stock_independent_special')
    >>> bool(0 < m.get("stock_state_special") < 1)
    True
    """
    sc = _scenario(scenario)
    ts = _check_targets(targets, "targets")
    runs = check_runs(runs)
    t = len(ts)
    num = np.zeros((runs, t))
    den = np.zeros((runs, t))
    fns = [MEASURES[x.measure] if x.mode == "annual" else not_measured for x in ts]
    if any(x.mode == "annual" for x in ts):
        for i, r in enumerate(rounds(sc, runs=runs, seed=seed)):
            for j, f in enumerate(fns):
                num[i, j], den[i, j] = f(r)
    in_year = [j for j, x in enumerate(ts) if x.mode == "in_year"]
    if in_year:  # each run's value, as a ratio over one denominator per run
        _, rows = measure_in_year(sc, [ts[j] for j in in_year], runs=runs, seed=seed)
        num[:, in_year], den[:, in_year] = rows.T, 1.0
    tot_n, tot_d = num.sum(axis=0), den.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(tot_d > 0, tot_n / tot_d, np.nan)
        z = (num - value * den) / (tot_d / runs)
    z = np.where(np.isfinite(z), z, 0.0)
    cov = (
        np.cov(z, rowvar=False, ddof=1).reshape(t, t) / runs
        if runs > 1
        else (np.full((t, t), np.nan))
    )
    return Moments(
        names=tuple(x.name for x in ts),
        value=value,
        cov=np.asarray(cov, dtype=np.float64),
        runs=runs,
        seed=int(seed),
    )


def _scenario(scenario: Scenario | str) -> Scenario:
    if isinstance(scenario, str):
        return load_scenario(scenario)
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"scenario: expected a Scenario or a preset name, got "
            f"{type(scenario).__name__}"
        )
    return scenario


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True, slots=True)
class Param:
    """A scenario key to fit, with the bounds of its search.

    Attributes
    ----------
    key : str
        A dotted scenario key holding a number (``"status_quo.refusal_at_full"``).
    low, high : float
        The bounds; the fit's prior is uniform on them.
    why : str
        What the parameter is and which targets move it, in words.
    tied : tuple of str
        Other keys that take the same value (one parameter, several keys: an
        assumption that two quantities are equal, which the fit keeps).

    Examples
    --------
    >>> Param("status_quo.refusal_at_full", 0.02, 0.9).span
    0.88
    >>> fill = Param("special.fill_mean", 0.85, 1.1, tied=("units.fill_mean",))
    >>> fill.keys
    ('special.fill_mean', 'units.fill_mean')
    """

    key: str
    low: float
    high: float
    why: str = ""
    tied: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"Param {self.key!r}: bounds must be finite numbers")
        if not self.low < self.high:
            raise ValueError(
                f"Param {self.key!r}: low = {self.low!r} must be below "
                f"high = {self.high!r}"
            )

    @property
    def span(self) -> float:
        """``high - low``."""
        return self.high - self.low

    @property
    def keys(self) -> tuple[str, ...]:
        """``key`` and the ``tied`` keys: every key the parameter sets."""
        return (self.key, *self.tied)


#: The parameters fitted for the presets, with bounds (docs/validation.md says
#: why these and not others).
ANNUAL_PARAMS: tuple[Param, ...] = (
    Param(
        "population.specialist_share_transfer",
        0.30,
        0.60,
        "share of phase transfers needing a setting outside mainstream: the "
        "stock's mainstream and special shares",
    ),
    Param(
        "population.specialist_share_new",
        0.105,
        0.251,
        "share of new plans needing a setting outside mainstream (the source's "
        "reading range): the settings new plans name",
    ),
    Param(
        "population.unit_share",
        0.08,
        0.266,
        "share of the mainstream stock in units and resourced provision (the "
        "source's range): how many children needing specialist provision could "
        "be placed in a unit rather than a special school, so the new plans "
        "naming a special school",
    ),
    Param(
        "preferences.kind_taste.independent_special",
        -1.0,
        1.5,
        "parents' taste for independent special schools: requests for them, "
        "the independent share and the appeals",
    ),
    Param(
        "independent_special.fill_mean",
        0.8,
        1.0,
        "how full independent special schools are before the round (at most "
        "full): the independent sector's free places",
    ),
    Param(
        "special.fill_mean",
        0.85,
        1.1,
        "how full state special schools, and (tied: no source measures it "
        "apart) units and resourced provision, are before the round: how many "
        "special schools are at or over capacity after it, and how many "
        "children needing specialist provision find a unit place rather than a "
        "special school",
        tied=("resourced_provision.fill_mean",),
    ),
    Param(
        "status_quo.over_capacity_tolerance",
        0.0,
        0.3,
        "how far beyond capacity the LA names a school that must admit: the "
        "pupils over capacity",
    ),
    Param(
        "status_quo.appeal_probability",
        0.02,
        0.6,
        "how often a refused parent appeals when the LA offers a kind they like "
        "as much or more: the appeals, and (as these are mostly for independent "
        "schools) the appeals won",
    ),
    Param(
        "status_quo.appeal_probability_worse_kind",
        0.05,
        0.9,
        "how often a refused parent appeals when the LA offers a kind they like "
        "less: the appeals",
    ),
)


#: The key fitted in the in-year mode (:func:`fit_in_year`), to
#: ``plans_within_20_weeks`` (:data:`IN_YEAR_TARGETS`).
IN_YEAR_PARAMS: tuple[Param, ...] = (
    Param(
        "dynamics.assessment_days",
        30.0,
        365.0,
        "mean days from a request for an assessment to the plan day: the share "
        "of new plans named within 20 weeks of the request",
    ),
)


def _lookup(tree: Mapping[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _start(scenario: Scenario, params: Sequence[Param]) -> NDArray[np.float64]:
    tree = scenario.key_tree()
    out = []
    for p in params:
        v = _lookup(tree, p.key)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InvalidScenarioError(
                f"{scenario.source}: {p.key}: a fitted key must hold a number, "
                f"got {v!r}"
            )
        if not p.low <= v <= p.high:
            raise InvalidScenarioError(
                f"{scenario.source}: {p.key} = {v!r} lies outside the fit's bounds "
                f"[{p.low!r}, {p.high!r}]"
            )
        out.append(float(v))
    return np.asarray(out)


def _at(scenario: Scenario, params: Sequence[Param], values: Any) -> Scenario:
    return scenario.with_overrides(
        {k: float(v) for p, v in zip(params, values, strict=True) for k in p.keys}
    )


# --------------------------------------------------------------------------- fit
@dataclass(frozen=True, slots=True, eq=False)
class Fit:
    """The result of :func:`fit`.

    Attributes
    ----------
    scenario : Scenario
        The scenario with the fitted values (and the chosen ``choices``).
    params : tuple of Param
    targets, held_out : tuple of Target
        The fitted targets and those measured alongside, not fitted.
    start, estimate, se : ndarray of float64, shape (P,)
        Each parameter's starting value, estimate and standard error.
    covariance : ndarray of float64, shape (P, P)
        The estimates' covariance (Notes).
    moments : Moments
        Every target (fitted, then held out) at the estimate, on the fit's runs.
    jacobian : ndarray of float64, shape (T, P)
        The derivative of each target's value (fitted, then held out) by each
        parameter at the estimate (central differences over the fit's runs).
    objective : float
        The sum of squared weighted residuals at the estimate:
        ``sum(((simulated - observed) / (tolerance * observed))**2)`` over the
        fitted targets.
    choice : dict of str to float
        The value chosen for each key of ``choices``.
    profile : tuple of (dict, float)
        Each combination of ``choices`` tried, with its best objective.
    evaluations : int
        Simulations of ``runs`` rounds the fit made (the Jacobian's included).
    runs, seed : int
    seconds : float
        Time the fit took.
    message : str
        The optimiser's, for the chosen combination.

    Notes
    -----
    ``covariance`` is ``(J' S^-1 J + P)^-1``: ``J`` the Jacobian of the fitted
    targets, ``S`` the covariance of their observation (each tolerance band
    read as ±2 standard deviations) plus the Monte Carlo covariance of the
    simulated values, and ``P`` the precision of each parameter's uniform
    prior on its bounds (``12 / span**2``): a Gaussian approximation of the
    posterior around the estimate. A parameter the targets do not pin down
    keeps about its prior spread (:attr:`identified` is False).
    """

    scenario: Scenario
    params: tuple[Param, ...]
    targets: tuple[Target, ...]
    held_out: tuple[Target, ...]
    start: NDArray[np.float64]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    covariance: NDArray[np.float64]
    moments: Moments
    jacobian: NDArray[np.float64]
    objective: float
    choice: dict[str, float]
    profile: tuple[tuple[dict[str, float], float], ...]
    evaluations: int
    runs: int
    seed: int
    seconds: float
    message: str = ""

    @property
    def interval(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """A 95% interval of each parameter, within its bounds, shape (P,) each."""
        lo = np.array([p.low for p in self.params])
        hi = np.array([p.high for p in self.params])
        return (
            np.maximum(self.estimate - _Z95 * self.se, lo),
            np.minimum(self.estimate + _Z95 * self.se, hi),
        )

    @property
    def identified(self) -> NDArray[np.bool_]:
        """Whether the targets at least halve each parameter's prior spread."""
        prior = np.array([p.span for p in self.params]) / math.sqrt(12.0)
        return np.asarray(self.se < 0.5 * prior)

    def simulated_se(self) -> NDArray[np.float64]:
        """Each target's standard error at the estimate, shape (T,).

        The Monte Carlo error of the fit's runs and the parameters' uncertainty
        carried through the Jacobian (``J V J'``).
        """
        j = self.jacobian
        par = np.einsum("tp,pq,tq->t", j, self.covariance, j)
        return np.asarray(np.sqrt(np.maximum(par, 0.0) + self.moments.se**2))

    def __repr__(self) -> str:
        est = ", ".join(
            f"{p.key}={v:.4g}" for p, v in zip(self.params, self.estimate, strict=True)
        )
        return (
            f"Fit(objective={self.objective:.3g}, evaluations={self.evaluations}, "
            f"runs={self.runs}, {est})"
        )


def _residuals(targets: Sequence[Target], value: NDArray[np.float64]) -> NDArray[Any]:
    obs = np.array([t.observed for t in targets])
    tol = np.array([t.tolerance for t in targets])
    r = (value[: len(targets)] - obs) / (tol * obs)
    # A target the runs could not measure (no denominator) counts as a large miss.
    return np.where(np.isfinite(r), r, 10.0)


@dataclass(slots=True)
class _Search:
    """The least-squares search of one combination of choices."""

    scenario: Scenario
    params: tuple[Param, ...]
    targets: tuple[Target, ...]
    measured: tuple[Target, ...]
    runs: int
    seed: int
    progress: Callable[[int, float], None] | None
    counter: list[int]
    cache: dict[tuple[float, ...], Moments] = field(default_factory=dict)

    def moments(self, u: NDArray[np.float64]) -> Moments:
        key = tuple(np.round(np.clip(u, 0.0, 1.0), 12).tolist())
        hit = self.cache.get(key)
        if hit is None:
            lo = np.array([p.low for p in self.params])
            span = np.array([p.span for p in self.params])
            sc = _at(self.scenario, self.params, lo + span * np.asarray(key))
            hit = measure(sc, self.measured, runs=self.runs, seed=self.seed)
            self.cache[key] = hit
            self.counter[0] += 1
            if self.progress is not None:
                obj = float(np.sum(_residuals(self.targets, hit.value) ** 2))
                self.progress(self.counter[0], obj)
        return hit

    def residuals(self, u: NDArray[np.float64]) -> NDArray[Any]:
        return _residuals(self.targets, self.moments(u).value)

    def objective(self, u: NDArray[np.float64]) -> float:
        return float(np.sum(self.residuals(u) ** 2))


def fit(
    scenario: Scenario | str,
    targets: Sequence[Target] = TARGETS,
    params: Sequence[Param] = ANNUAL_PARAMS,
    *,
    held_out: Sequence[Target] = (),
    choices: Mapping[str, Sequence[float]] | None = None,
    runs: int = 100,
    seed: int = 0,
    max_evaluations: int = 200,
    step: float = 0.05,
    progress: Callable[[int, float], None] | None = None,
) -> Fit:
    """Fit ``params`` so that today's process reproduces ``targets``.

    Parameters
    ----------
    scenario : Scenario or str
        The scenario (or preset name) whose parameters to fit; in the annual
        mode. Its current values are the starting point and must lie within
        the bounds.
    targets : sequence of Target
        The targets to fit (annual mode). Default :data:`TARGETS`.
    params : sequence of Param
        The keys to fit and their bounds. Default :data:`ANNUAL_PARAMS`.
    held_out : sequence of Target
        Targets measured at the estimate (with their Jacobian) but not fitted.
    choices : mapping of str to sequence of float, optional
        Keys whose value is chosen among a few (a share of a handful of
        schools, which moves in whole schools): every combination is fitted
        in turn, each starting from the best estimate so far, and the one
        with the least objective kept.
    runs : int
        Rounds simulated per evaluation. The same ``runs`` rounds (``seed``'s
        streams) for every evaluation: common random numbers.
    seed : int
    max_evaluations : int
        Most simulations of ``runs`` rounds the optimiser may make for each
        combination of ``choices`` (the final Jacobian, ``2 P`` more, is not
        counted).
    step : float
        The finite-difference step, as a share of each parameter's bounds.
        Outcomes are counts, so with common random numbers the fit is a step
        function at fine scale: the step must move many children's decisions.
    progress : callable, optional
        Called as ``progress(evaluations, objective)`` after every evaluation.

    Returns
    -------
    Fit

    Raises
    ------
    InvalidScenarioError
        For a fitted key that is not a number of the scenario, a starting value
        outside the bounds, or a scenario not in the annual mode.
    ValueError
        For an in-year target, no targets or parameters, or repeated names.

    Notes
    -----
    Simulated method of moments (McFadden 1989; Pakes & Pollard 1989): the
    parameters, mapped onto the unit cube, minimise ``sum(((simulated -
    observed) / (tolerance * observed))**2)`` over the targets, a weighted
    least-squares problem solved with :func:`scipy.optimize.least_squares`
    (trust region reflective, forward differences of ``step``). Every
    evaluation simulates the same rounds, so differences between evaluations
    are differences of parameters, not of luck (common random numbers). The
    uncertainty is described in :class:`Fit`'s Notes. Cost: about
    ``evaluations * runs`` simulated rounds.

    References
    ----------
    McFadden, D. (1989). A method of simulated moments for estimation of
    discrete response models without numerical integration. *Econometrica*
    57(5), 995-1026.

    Pakes, A. & Pollard, D. (1989). Simulation and the asymptotics of
    optimization estimators. *Econometrica* 57(5), 1027-1057.

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.calibrate import TARGETS, Param, fit
    >>> f = fit("london_borough", TARGETS[5:6],
    ...         [Param("special.fill_mean", 0.85, 1.1)], runs=4, max_evaluations=8)
    >>> f.params[0].key, bool(0.85 <= f.estimate[0] <= 1.1)
    ('special.fill_mean', True)
    """
    t0 = time.perf_counter()
    sc = _scenario(scenario)
    ts = _check_targets(targets, "targets")
    ho = _check_targets(held_out, "held_out")
    _check_targets(ts + ho, "targets and held_out")
    if not ts:
        raise ValueError("targets: expected at least one target to fit")
    for t in ts + ho:
        if t.mode != "annual":
            raise ValueError(
                f"target {t.name!r} needs the {t.mode} mode; calibration measures "
                "the annual mode only for now"
            )
    ps = tuple(params)
    if not ps:
        raise ValueError("params: expected at least one parameter to fit")
    keys = [k for p in ps for k in p.keys]
    if len(set(keys)) != len(keys):
        raise ValueError("params: a key repeats")
    runs = check_runs(runs)
    if not 0 < step < 0.5:
        raise ValueError(
            f"step: expected a share of the bounds in (0, 0.5), got {step!r}"
        )
    opts = {str(k): tuple(float(x) for x in v) for k, v in (choices or {}).items()}
    for k, v in opts.items():
        if k in keys:
            raise ValueError(f"choices: {k} is also a fitted parameter")
        if not v:
            raise ValueError(f"choices: {k}: expected at least one value")
    lo = np.array([p.low for p in ps])
    span = np.array([p.span for p in ps])
    x0 = _start(sc, ps)
    u0 = (x0 - lo) / span
    counter = [0]
    budget = max(1, int(max_evaluations) // (len(ps) + 1))
    best: tuple[float, _Search, NDArray[np.float64], str, dict[str, float]] | None
    best = None
    profile = []
    for combo in itertools.product(*opts.values()):
        choice = dict(zip(opts, combo, strict=True))
        search = _Search(
            sc.with_overrides(choice) if choice else sc,
            ps,
            ts,
            ts + ho,
            runs,
            int(seed),
            progress,
            counter,
        )
        # Each combination starts from the best estimate so far.
        start = u0 if best is None else best[2]
        res = optimize.least_squares(
            search.residuals,
            start,
            bounds=(0.0, 1.0),
            method="trf",
            diff_step=step,
            max_nfev=budget,
            xtol=1e-3,
            ftol=None,
            gtol=1e-6,
        )
        u = np.clip(res.x, 0.0, 1.0)
        obj = search.objective(u)
        profile.append((choice, obj))
        if best is None or obj < best[0]:
            best = (obj, search, u, str(res.message), choice)
    assert best is not None
    obj, search, u, message, choice = best
    at = search.moments(u)
    jac = _jacobian(search.moments, u, step) / span[None, :]
    n_fit = len(ts)
    obs = np.array([t.observed for t in ts])
    tol = np.array([t.tolerance for t in ts])
    s = np.diag((tol * obs / 2.0) ** 2) + at.cov[:n_fit, :n_fit]
    j = jac[:n_fit]
    info = j.T @ np.linalg.solve(s, j) + np.diag(12.0 / span**2)
    cov = np.linalg.inv(info)
    return Fit(
        scenario=_at(search.scenario, ps, lo + span * u),
        params=ps,
        targets=ts,
        held_out=ho,
        start=x0,
        estimate=lo + span * u,
        se=np.sqrt(np.maximum(np.diag(cov), 0.0)),
        covariance=cov,
        moments=at,
        jacobian=jac,
        objective=obj,
        choice=choice,
        profile=tuple(profile),
        evaluations=counter[0],
        runs=runs,
        seed=int(seed),
        seconds=time.perf_counter() - t0,
        message=message,
    )


def _jacobian(
    moments: Callable[[NDArray[np.float64]], Moments],
    u: NDArray[np.float64],
    step: float,
) -> NDArray[np.float64]:
    """d(values)/du by central differences (one-sided at a bound), shape (T, P)."""
    cols = []
    for k in range(u.shape[0]):
        up, down = u.copy(), u.copy()
        up[k] = min(u[k] + step, 1.0)
        down[k] = max(u[k] - step, 0.0)
        d = (moments(up).value - moments(down).value) / (up[k] - down[k])
        cols.append(np.where(np.isfinite(d), d, 0.0))
    return np.column_stack(cols)


# --------------------------------------------------------------------------- record
def load_record(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The recorded fit of the shipped presets (``sendalloc/data/calibration.json``).

    Written by ``tools/calibrate_presets.py`` (``make calibrate``) and rendered
    as docs/validation.md. For each preset under ``"presets"``: ``"fit"`` (runs,
    seed, evaluations, objective, seconds, the choice made and its profile),
    ``"params"`` (each key's ``start``, ``estimate``, ``se``, 95% interval
    ``low``-``high``, ``bounds`` and whether it is ``identified``),
    ``"targets"`` (each target's ``observed`` value, ``sources``,
    ``tolerance``, ``role`` (``"fitted"``, ``"held_out"`` or ``"pending"``),
    ``value`` in the validation run with its interval ``low``-``high``,
    ``run_sd`` (the spread of one run) and whether it is ``within``
    tolerance), ``"validation"`` (runs and seed of the validation run) and
    ``"jacobian"`` (each target's change over each parameter's bounds); and
    at the top the ``sendalloc_version``, ``date`` and ``command``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Another record in the same format; default the shipped one.

    Returns
    -------
    dict

    Examples
    --------
    >>> from sendalloc.calibrate import load_record
    >>> rec = load_record()
    >>> sorted(rec["presets"])
    ['county', 'large_county', 'london_borough']
    >>> t = rec["presets"]["county"]["targets"][0]
    >>> t["name"], t["observed"], t["role"]
    ('stock_state_special', 0.358, 'fitted')
    """
    if path is None:
        text = resources.files("sendalloc").joinpath("data/calibration.json")
        doc = json.loads(text.read_text(encoding="utf-8"))
    else:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("presets"), dict):
        raise ValueError(f"{path or 'calibration.json'}: expected a 'presets' table")
    return doc
