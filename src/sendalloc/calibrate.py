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

Targets are measured in a mode: the annual ones on the annual round; those marked
``mode="in_year"`` (the share of plans issued within 20 weeks) need today's
process in the in-year engine and are listed but not measured yet.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from sendalloc._engine.annual import first_instance
from sendalloc._engine.runner import check_runs
from sendalloc._engine.streams import generator, run_streams
from sendalloc.errors import InvalidScenarioError
from sendalloc.metrics import transport_weight
from sendalloc.population import KINDS
from sendalloc.scenario import Instance, Scenario, load_scenario
from sendalloc.status_quo import StatusQuoOutcome, place

__all__ = [
    "ANNUAL_PARAMS",
    "HELD_OUT",
    "IN_YEAR_TARGETS",
    "MEASURES",
    "MODES",
    "TARGETS",
    "Fit",
    "Moments",
    "Param",
    "Round",
    "Target",
    "fit",
    "load_record",
    "measure",
    "rounds",
]

#: The modes a target may need: ``"annual"`` targets are measured on the annual
#: round; ``"in_year"`` ones need today's process run as dated events.
MODES: tuple[str, ...] = ("annual", "in_year")

#: z of a two-sided 95% interval.
_Z95 = 1.959963984540054


# --------------------------------------------------------------------------- rounds
@dataclass(frozen=True, slots=True, eq=False)
class Round:
    """One simulated round under today's process: what a measure reads.

    Attributes
    ----------
    scenario : Scenario
        The scenario the round was sampled from.
    instance : Instance
        The sampled round (:meth:`Scenario.sample`).
    outcome : StatusQuoOutcome
        What ``status_quo`` did with each child (:func:`sendalloc.status_quo.place`).
    """

    scenario: Scenario
    instance: Instance
    outcome: StatusQuoOutcome

    @property
    def stock(self) -> NDArray[np.bool_]:
        """The children whose placements stand for the stock, shape (N,).

        Phase transfers below age 16 (into year 7) who were placed: children who
        already have a plan, placed again in today's process, counted at the
        school they go to. Only this LA's children are in the round: those other
        authorities place in its settings (cross-border competition) are not.
        """
        c = self.instance.children
        return np.asarray(c.transfer & (c.age < 16) & (self.outcome.final >= 0))

    def kind_of(self, placement: NDArray[Any]) -> NDArray[np.int64]:
        """The kind index of each child's setting (-1 for none), shape (N,)."""
        p = np.asarray(placement, dtype=np.int64)
        kind = np.asarray(self.instance.settings.kind, dtype=np.int64)
        return np.where(p >= 0, kind[np.maximum(p, 0)], -1)

    def after(self) -> NDArray[np.int64]:
        """Pupils on each setting's roll after the round, shape (M,).

        Those staying on roll, those other authorities placed there this round
        (``instance.cross_border_taken``) and this round's placements after
        appeals.
        """
        inst = self.instance
        final = np.asarray(self.outcome.final, dtype=np.int64)
        m = inst.settings.n
        taken = np.bincount(final[final >= 0], minlength=m)
        roll = (
            np.asarray(inst.roll, dtype=np.int64)
            if inst.roll is not None
            else inst.settings.capacity - inst.problem.capacity
        )
        other = (
            np.zeros(m, dtype=np.int64)
            if inst.cross_border_taken is None
            else np.asarray(inst.cross_border_taken, dtype=np.int64)
        )
        return np.asarray(roll + other + taken, dtype=np.int64)


def rounds(scenario: Scenario, *, runs: int, seed: int) -> Iterator[Round]:
    """Simulate ``runs`` rounds of ``scenario`` under today's process.

    Run ``r`` uses the streams of ``sendalloc.simulate(scenario, ["status_quo"],
    seed=seed)``'s run ``r`` (its ``instance`` stream samples the round, its
    ``mechanism`` stream draws the process's uniforms), so the same seed gives
    the same rounds for every parameter value: common random numbers.

    Parameters
    ----------
    scenario : Scenario
    runs : int
    seed : int

    Yields
    ------
    Round

    Raises
    ------
    InvalidScenarioError
        For a scenario whose mode is not ``"annual"`` (today's process runs in
        the annual mode only, for now).

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.calibrate import rounds
    >>> r = next(rounds(sa.load_scenario("london_borough"), runs=1, seed=0))
    >>> r.outcome.final.shape == (r.instance.children.n,)
    True
    """
    runs = check_runs(runs)
    if scenario.mode != "annual":
        raise InvalidScenarioError(
            f"{scenario.source}: mode = {scenario.mode!r}: calibration measures "
            "today's process in the annual mode only (the in-year status_quo is "
            "to come); set mode = 'annual'"
        )
    for run in run_streams(seed, 0, runs):
        inst = first_instance(scenario, run)
        out = place(inst, rng=generator(run, "mechanism"))
        yield Round(scenario, inst, out)


# --------------------------------------------------------------------------- measures
#: What a measure returns for one round: a numerator and a denominator. Over runs
#: a target's value is the sum of the numerators over the sum of the denominators.
Ratio: TypeAlias = tuple[float, float]


def _kind_share(kinds: tuple[str, ...]) -> Callable[[Round], Ratio]:
    codes = np.asarray([KINDS.index(k) for k in kinds], dtype=np.int64)

    def share(r: Round) -> Ratio:
        s = r.stock
        k = r.kind_of(r.outcome.final)[s]
        return float(np.isin(k, codes).sum()), float(s.sum())

    return share


def _new_plans_naming(kinds: tuple[str, ...]) -> Callable[[Round], Ratio]:
    codes = np.asarray([KINDS.index(k) for k in kinds], dtype=np.int64)

    def share(r: Round) -> Ratio:
        new = ~np.asarray(r.instance.children.transfer)
        k = r.kind_of(r.outcome.day)[new]
        return float(np.isin(k, codes).sum()), float(new.sum())

    return share


def _special(r: Round) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    st = r.instance.settings
    cap = np.asarray(st.capacity, dtype=np.int64)
    mask = (np.asarray(st.kind) == KINDS.index("special")) & (cap > 0)
    return r.after()[mask], cap[mask]


def _special_at_or_over(r: Round) -> Ratio:
    after, cap = _special(r)
    return float((after >= cap).sum()), float(cap.size)


def _special_over(r: Round) -> Ratio:
    after, cap = _special(r)
    return float((after > cap).sum()), float(cap.size)


def _special_places_over(r: Round) -> Ratio:
    after, cap = _special(r)
    return float(np.maximum(after - cap, 0).sum()), float(cap.sum())


def _appeals_per_plan(r: Round) -> Ratio:
    pop = r.scenario.population
    plans = 0.0 if pop is None else float(pop.plans)
    return float(np.count_nonzero(r.outcome.appealed)), plans


def _appeals_won(r: Round) -> Ratio:
    o = r.outcome
    return float(np.count_nonzero(o.won)), float(np.count_nonzero(o.appealed))


def _stock_distance(r: Round) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """The stock children and the straight-line distance to their placement."""
    s = r.stock
    inst = r.instance
    c, st = inst.children, inst.settings
    f = np.maximum(np.asarray(r.outcome.final, dtype=np.int64), 0)
    d = np.hypot(
        np.asarray(c.x_km) - np.asarray(st.x_km)[f],
        np.asarray(c.y_km) - np.asarray(st.y_km)[f],
    )
    return s, d


def _transport(r: Round) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[Any]]:
    """The stock, whether each child is transported (a weight) and the distance."""
    s, d = _stock_distance(r)
    inst = r.instance
    f = np.maximum(np.asarray(r.outcome.final, dtype=np.int64), 0)
    w = transport_weight(
        d,
        inst.children.age,
        np.asarray(inst.settings.specialist)[f],
        float(inst.transport_within_walking),
    )
    return s, np.asarray(w, dtype=np.float64), d


def _transported(r: Round) -> Ratio:
    s, w, _ = _transport(r)
    return float(w[s].sum()), float(s.sum())


def _transport_cost(r: Round) -> Ratio:
    s, w, d = _transport(r)
    per_km = float(r.instance.transport_cost_per_km)
    return float(per_km * (w * d)[s].sum()), float(s.sum())


def _out_of_area(r: Round) -> Ratio:
    s = r.stock
    st = r.instance.settings
    f = np.maximum(np.asarray(r.outcome.final, dtype=np.int64), 0)
    return float((~np.asarray(st.in_area)[f])[s].sum()), float(s.sum())


def _not_measured(r: Round) -> Ratio:
    return math.nan, math.nan


#: The measures a :class:`Target` may name, each a function of a :class:`Round`
#: returning ``(numerator, denominator)``; over runs a target's value is the sum
#: of the numerators over the sum of the denominators. The *stock* is the
#: round's placed phase transfers into year 7 (:attr:`Round.stock`); *new plans*
#: are the round's children who are not phase transfers, all of them, named
#: (``day``) or not.
MEASURES: Mapping[str, Callable[[Round], Ratio]] = {
    # shares of the stock at each kind of setting, after appeals
    "stock_mainstream": _kind_share(("mainstream", "resourced_provision")),
    "stock_special": _kind_share(("special",)),
    "stock_non_maintained_special": _kind_share(("non_maintained_special",)),
    "stock_independent_special": _kind_share(("independent_special",)),
    "stock_alternative_provision": _kind_share(("alternative_provision",)),
    # shares of new plans naming each kind on the day the plan is final
    "new_plans_mainstream": _new_plans_naming(("mainstream", "resourced_provision")),
    "new_plans_special": _new_plans_naming(
        ("special", "non_maintained_special", "independent_special")
    ),
    # state special schools after the round (every one, in area or across the
    # border; other authorities' pupils included)
    "special_at_or_over_capacity": _special_at_or_over,
    "special_over_capacity": _special_over,
    "special_places_over": _special_places_over,
    # placement appeals of the round per plan of the caseload; appeals won
    "appeals_per_plan": _appeals_per_plan,
    "appeals_won": _appeals_won,
    # the stock's transport and out-of-area placements
    "transported": _transported,
    "transport_cost_per_child": _transport_cost,
    "out_of_area": _out_of_area,
    # needs the in-year process: plans issued within 20 weeks of the request
    "plans_within_20_weeks": _not_measured,
}


# --------------------------------------------------------------------------- targets
@dataclass(frozen=True, slots=True)
class Target:
    """One observed statistic that today's process should reproduce.

    Attributes
    ----------
    name : str
        A short name (unique within a fit).
    observed : float
        The observed value.
    sources : tuple of str
        The source ids of :mod:`sendalloc.sources` the value comes from.
    measure : str
        How it is measured on a simulated round: a key of :data:`MEASURES`.
    tolerance : float
        The half-width of the band, relative to ``observed``, within which a
        simulated value reproduces it (0.1: within ±10% of the value): how
        closely the national figure pins down a typical authority's, including
        its own error. A fit weighs each target by ``1 / (tolerance *
        observed)**2``, and reads the band as ±2 standard deviations of the
        observation.
    mode : str
        The mode the target needs (:data:`MODES`).
    description : str
        What is counted, in words.

    Examples
    --------
    >>> t = Target("stock_special", 0.358, ("lords-2024-stock-state-special",),
    ...            "stock_special", 0.1)
    >>> t.band
    (0.3222, 0.3938)
    """

    name: str
    observed: float
    sources: tuple[str, ...]
    measure: str
    tolerance: float
    mode: str = "annual"
    description: str = ""

    def __post_init__(self) -> None:
        where = f"Target {self.name!r}"
        if self.measure not in MEASURES:
            raise ValueError(
                f"{where}: measure = {self.measure!r}: expected one of "
                f"{', '.join(MEASURES)}"
            )
        if not (math.isfinite(self.observed) and self.observed > 0):
            raise ValueError(
                f"{where}: observed = {self.observed!r}: expected a positive number"
            )
        if not (math.isfinite(self.tolerance) and self.tolerance > 0):
            raise ValueError(
                f"{where}: tolerance = {self.tolerance!r}: expected a positive "
                "share of the observed value"
            )
        if self.mode not in MODES:
            raise ValueError(
                f"{where}: mode = {self.mode!r}: expected one of {', '.join(MODES)}"
            )
        ids: Any = self.sources
        ids = (ids,) if isinstance(ids, str) else tuple(ids)
        if not ids or not all(isinstance(x, str) and x for x in ids):
            raise ValueError(
                f"{where}: sources = {self.sources!r}: expected source ids"
            )
        object.__setattr__(self, "sources", ids)

    @property
    def band(self) -> tuple[float, float]:
        """``observed * (1 - tolerance)`` to ``observed * (1 + tolerance)``."""
        d = self.observed * self.tolerance
        return round(self.observed - d, 12), round(self.observed + d, 12)

    def within(self, value: float) -> bool:
        """Whether ``value`` lies within the tolerance of the observed value."""
        lo, hi = self.band
        return bool(lo <= value <= hi)


#: The targets fitted for the presets (annual mode). Tolerances: ±10% of a share
#: read from a complete count (the census, SCAP); ±15-25% of one that is rough,
#: a national figure from a secondary write-up, or a small share; ±50% where
#: the reading itself is a choice (docs/validation.md says why for each).
TARGETS: tuple[Target, ...] = (
    Target(
        "stock_state_special",
        0.358,
        ("lords-2024-stock-state-special",),
        "stock_special",
        0.10,
        description="share of school pupils with a plan in state special schools",
    ),
    Target(
        "stock_independent_special",
        0.06,
        (
            "cairneagle-2024-independent-special-share",
            "nao-2024-independent-share-of-plans",
        ),
        "stock_independent_special",
        0.25,
        description="share in independent special schools",
    ),
    Target(
        "stock_mainstream",
        0.546,
        ("lords-2024-stock-mainstream",),
        "stock_mainstream",
        0.10,
        description="share in state mainstream schools, units and resourced "
        "provision included",
    ),
    Target(
        "new_plans_mainstream",
        0.749,
        ("pq-53854-new-plans-mainstream",),
        "new_plans_mainstream",
        0.10,
        description="share of new plans naming a mainstream school (units and "
        "resourced provision included)",
    ),
    Target(
        "new_plans_special",
        0.105,
        ("pq-53854-new-plans-special",),
        "new_plans_special",
        0.20,
        description="share of new plans naming a special school (state, "
        "non-maintained or independent)",
    ),
    Target(
        "special_at_or_over_capacity",
        0.67,
        ("scap-2023-special-at-or-over-capacity",),
        "special_at_or_over_capacity",
        0.10,
        description="share of state special schools at or over capacity after "
        "the round",
    ),
    Target(
        "special_places_over",
        0.027,
        ("scap-2023-special-over-share",),
        "special_places_over",
        0.25,
        description="pupils beyond capacity per state special-school place",
    ),
    Target(
        "placement_appeals",
        0.0238,
        ("placement-appeals-per-caseload",),
        "appeals_per_plan",
        0.50,
        description="placement appeals a year per plan of the caseload",
    ),
    Target(
        "appeals_won",
        0.55,
        (
            "sendist-2025-section-i-parent-preference",
            "sendist-2025-section-i-la-concedes",
        ),
        "appeals_won",
        0.15,
        description="share of placement appeals that name the parent's setting",
    ),
)

#: Targets held out of the fit, to validate on: outcomes that no fitted
#: parameter was chosen to match.
HELD_OUT: tuple[Target, ...] = (
    Target(
        "stock_non_maintained_special",
        0.009,
        ("lords-2024-stock-nmss",),
        "stock_non_maintained_special",
        0.50,
        description="share in non-maintained special schools",
    ),
    Target(
        "special_over_commissioned",
        0.54,
        ("schoolsweek-2022-over-commissioned",),
        "special_over_capacity",
        0.15,
        description="share of special schools with more pupils than places",
    ),
    Target(
        "stock_alternative_provision",
        0.026,
        ("ap-other-stock-share",),
        "stock_alternative_provision",
        0.25,
        description="share in alternative provision and other settings",
    ),
    Target(
        "transported",
        0.32,
        ("send-transported-share",),
        "transported",
        0.15,
        description="share of children with a plan on SEND home-to-school transport",
    ),
    Target(
        "transport_cost_per_plan",
        2710.0,
        ("send-transport-spend-per-plan",),
        "transport_cost_per_child",
        0.25,
        description="SEND transport spending per plan, GBP a year",
    ),
    Target(
        "out_of_area",
        0.091,
        ("out-of-area-share",),
        "out_of_area",
        0.25,
        description="share of children with a plan educated outside their home LA",
    ),
)

#: Targets that need today's process in the in-year mode; listed, not yet measured.
IN_YEAR_TARGETS: tuple[Target, ...] = (
    Target(
        "plans_within_20_weeks",
        0.464,
        ("dfe-2024-within-20-weeks",),
        "plans_within_20_weeks",
        0.10,
        mode="in_year",
        description="share of new plans issued within 20 weeks",
    ),
)


# --------------------------------------------------------------------------- moments
@dataclass(frozen=True, slots=True, eq=False)
class Moments:
    """Targets measured on simulated rounds: values and their Monte Carlo error.

    Attributes
    ----------
    names : tuple of str
        The targets' names.
    value : ndarray of float64, shape (T,)
        Each target's value over the runs: the sum of the measure's numerators
        over the sum of its denominators (NaN where the denominators sum to 0,
        or for a target of another mode).
    cov : ndarray of float64, shape (T, T)
        The Monte Carlo covariance of ``value`` (a ratio's linearisation:
        ``(num - value * den) / mean(den)`` per run, its covariance over the
        runs divided by their number).
    runs : int
    seed : int
    """

    names: tuple[str, ...]
    value: NDArray[np.float64]
    cov: NDArray[np.float64]
    runs: int
    seed: int

    @property
    def se(self) -> NDArray[np.float64]:
        """The Monte Carlo standard error of each value, shape (T,)."""
        return np.asarray(np.sqrt(np.maximum(np.diag(self.cov), 0.0)))

    @property
    def run_sd(self) -> NDArray[np.float64]:
        """The standard deviation of one run's contribution: ``se * sqrt(runs)``."""
        return np.asarray(self.se * math.sqrt(self.runs))

    def get(self, name: str) -> float:
        """The value of target ``name``."""
        return float(self.value[self.names.index(name)])

    def __repr__(self) -> str:
        body = ", ".join(
            f"{n}={v:.4g}" for n, v in zip(self.names, self.value.tolist(), strict=True)
        )
        return f"Moments(runs={self.runs}, {body})"


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
    Targets of another mode than the scenario's (``"in_year"`` in an annual
    run) are NaN. O(runs (N K + M)).

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
    fns = [MEASURES[x.measure] if x.mode == "annual" else _not_measured for x in ts]
    for i, r in enumerate(rounds(sc, runs=runs, seed=seed)):
        for j, f in enumerate(fns):
            num[i, j], den[i, j] = f(r)
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

    Examples
    --------
    >>> Param("status_quo.refusal_at_full", 0.02, 0.9).span
    0.88
    """

    key: str
    low: float
    high: float
    why: str = ""

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
        "how full state special schools are before the round: how many are at "
        "or over capacity after it",
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


def _lookup(tree: Mapping[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _start(scenario: Scenario, params: Sequence[Param]) -> NDArray[np.float64]:
    tree = scenario.to_dict()
    tree["status_quo"] = dataclasses.asdict(scenario.status_quo)
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
        {p.key: float(v) for p, v in zip(params, values, strict=True)}
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
    keys = [p.key for p in ps]
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
