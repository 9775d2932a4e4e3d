"""The targets of the calibration and how each is measured on a simulated round.

The public face is :mod:`sendalloc.calibrate`, which re-exports these names:
:class:`Round` (one simulated round under today's process) and :func:`rounds`,
:data:`MEASURES` (each a ``(numerator, denominator)`` of a round), the
:class:`Target` statistics (:data:`TARGETS` fitted, :data:`HELD_OUT` for
validation, :data:`IN_YEAR_TARGETS` pending).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.annual import first_instance
from sendalloc._engine.runner import check_runs
from sendalloc._engine.streams import generator, run_streams
from sendalloc.errors import InvalidScenarioError
from sendalloc.metrics import rolls_after, transport_weight
from sendalloc.population import KINDS
from sendalloc.scenario import Instance, Scenario
from sendalloc.status_quo import StatusQuoOutcome, place

__all__ = [
    "HELD_OUT",
    "IN_YEAR_TARGETS",
    "MEASURES",
    "MODES",
    "TARGETS",
    "Ratio",
    "Round",
    "Target",
    "not_measured",
    "rounds",
]

#: The modes a target may need: ``"annual"`` targets are measured on the annual
#: round; ``"in_year"`` ones need today's process run as dated events.
MODES: tuple[str, ...] = ("annual", "in_year")


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
        appeals (:func:`sendalloc.metrics.rolls_after`).
        """
        return rolls_after(self.instance, self.outcome.final)


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
            "today's process in the annual mode only; set mode = 'annual'"
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


def not_measured(r: Round) -> Ratio:
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
    # plans issued within 20 weeks of the request for an assessment: the
    # assessment before the draft plan is not simulated
    "plans_within_20_weeks": not_measured,
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

#: Targets dated by the in-year calendar that the model does not reach (the
#: assessment before the draft plan); listed, not measured.
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
