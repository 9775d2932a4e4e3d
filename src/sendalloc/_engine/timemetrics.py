"""Time metrics of a simulated year: per-child columns, named once, summed by name.

:func:`year_metrics` turns a year's :class:`~sendalloc._engine.events.YearOutcome`
into one row per child of the quantities in :class:`Col`; :func:`scalars` and
:func:`group_table` sum them into the metrics of :data:`DYNAMIC_METRICS` (and
:data:`PROJECTION_METRICS`) and :data:`DYNAMIC_GROUP_METRICS`. Every metric is
defined once, by the column it sums, in :data:`SHARES`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import safe_divide
from sendalloc._engine.calendar import MONTH_END, MONTH_OF, MONTHS, YEAR_END
from sendalloc._engine.events import OUT_OF_LIST, YearOutcome
from sendalloc.metrics import group_labels, transport_weight

if TYPE_CHECKING:
    from sendalloc.scenario import Instance

__all__ = [
    "DYNAMIC_GROUP_METRICS",
    "DYNAMIC_METRICS",
    "IN_YEAR_PROCESS_METRICS",
    "MONTHLY_METRICS",
    "PROJECTION_METRICS",
    "PROJECTION_YEARLY_METRICS",
    "SHARES",
    "STATUTORY_DAYS",
    "TIME_GROUPINGS",
    "YEARLY_METRICS",
    "Col",
    "YearMetrics",
    "group_table",
    "named_within_limit",
    "process_scalars",
    "scalars",
    "time_labels",
    "year_columns",
    "year_metrics",
]

#: Scalar time metrics of a year (or of all years pooled), per mechanism.
DYNAMIC_METRICS: tuple[str, ...] = (
    "children",
    "mean_days_waiting",
    "waited",
    "placed_by_deadline",
    "first_preference_at_arrival",
    "any_preference_at_arrival",
    "first_preference_year_end",
    "any_preference_year_end",
    "placed_on_list_year_end",
    "out_of_list_year_end",
    "waiting_year_end",
    "moves_per_child",
    "moved",
    "idle_place_days",
    "annual_cost",
    "cost_per_child",
)
#: Metrics of today's process in a year, measured on every policy of an in-year
#: run with ``status_quo`` in it, after :data:`DYNAMIC_METRICS`
#: (:func:`process_scalars`): ``placed_within_consultation``, the share holding
#: a place by the day the statutory consultation of their request would end
#: (``dynamics.consultation_days`` after the plan is final; every policy), and
#: for today's process (NaN for a mechanism) the shares of children whose
#: request was refused, who hold at the year's end a place named beyond the
#: setting's free places, who appealed, who won at the tribunal, and whose
#: appeal was still undecided at the year's end; last, for every policy,
#: ``plans_within_20_weeks``: the share of new plans whose setting is named
#: within 20 weeks of the request for an assessment
#: (:func:`named_within_limit`).
IN_YEAR_PROCESS_METRICS: tuple[str, ...] = (
    "placed_within_consultation",
    "request_refused",
    "named_over_capacity",
    "appealed",
    "appeal_won",
    "appeal_pending_year_end",
    "plans_within_20_weeks",
)
#: The statutory limit from a request for an assessment to the final plan, in
#: days: 20 weeks (source ``ehcp-20-week-limit``).
STATUTORY_DAYS = 140

#: Columns of the need, phase and kind breakdowns.
DYNAMIC_GROUP_METRICS: tuple[str, ...] = (
    "children",
    "mean_days_waiting",
    "placed_by_deadline",
    "first_preference_at_arrival",
    "any_preference_at_arrival",
    "first_preference_year_end",
    "out_of_list_year_end",
    "waiting_year_end",
    "moves_per_child",
    "cost_per_child",
)
#: Columns of the month-by-month breakdown.
MONTHLY_METRICS: tuple[str, ...] = (
    "arrivals",
    "placed_on_arrival",
    "mean_days_waiting",
    "waiting_month_end",
    "idle_place_days",
    "moves",
)
#: Columns of the year-by-year breakdown (multi-year projections).
YEARLY_METRICS: tuple[str, ...] = (
    *DYNAMIC_METRICS,
    "caseload",
    "specialist_places",
    "specialist_free_start",
)

#: Metrics of a multi-year projection: :data:`DYNAMIC_METRICS` plus
#: ``carried_over`` (share of the year's children carried over from a previous
#: year, still without a place on 1 January) and ``mean_days_waiting_in_year``
#: (days without a place within the year only, so that summed over years each
#: day is counted once).
PROJECTION_METRICS: tuple[str, ...] = (
    *DYNAMIC_METRICS,
    "carried_over",
    "mean_days_waiting_in_year",
)
#: Columns of the year-by-year breakdown of a multi-year projection:
#: :data:`PROJECTION_METRICS`, the :data:`YEARLY_METRICS` counts, then
#: ``carried_in`` (children carried into the year) and ``aged_out`` (children
#: without a place at the year's end who age out of every setting they ranked
#: and are not carried on).
PROJECTION_YEARLY_METRICS: tuple[str, ...] = (
    *PROJECTION_METRICS,
    "caseload",
    "specialist_places",
    "specialist_free_start",
    "carried_in",
    "aged_out",
)

#: The child breakdowns of a time result, before ``month`` and ``year``:
#: need, phase, the kind of setting ranked first, and whether the child needs
#: specialist provision (``target``, as in the annual mode).
TIME_GROUPINGS: tuple[str, ...] = ("need", "phase", "kind", "target")


class Col(enum.IntEnum):
    """The per-child quantities of a year: one column each of ``YearMetrics.cols``."""

    CHILD = 0  # 1 for every child: sums to the number of children
    DAYS_WAITING = 1  # days from arrival to the first place (censored at day 366)
    WAITED = 2  # waited a day or more
    PLACED_ON_ARRIVAL = 3  # placed on the day the plan was final
    FIRST_ON_ARRIVAL = 4  # ... and at the parent's first preference
    FIRST_YEAR_END = 5  # at the first preference at the year's end
    RANKED_YEAR_END = 6  # at a ranked setting at the year's end
    ON_LIST_YEAR_END = 7  # on the tailored list at the year's end
    OUT_OF_LIST_YEAR_END = 8  # in an out-of-list placement at the year's end
    WAITING_YEAR_END = 9  # without a place at the year's end
    MOVES = 10  # moves up to a higher-ranked setting
    MOVED = 11  # moved up at least once
    COST = 12  # annual cost of the place held at the year's end
    PLACED_YEAR_END = 13  # holding any place at the year's end (cost's denominator)
    CARRIED_OVER = 14  # carried over from a previous year
    DAYS_WAITING_IN_YEAR = 15  # days without a place within this year only
    RANKED_ON_ARRIVAL = 16  # placed the day the plan was final, at a ranked setting


#: Metrics that are a column's mean over children, by metric name.
SHARES: Mapping[str, Col] = MappingProxyType(
    {
        "mean_days_waiting": Col.DAYS_WAITING,
        "waited": Col.WAITED,
        "placed_by_deadline": Col.PLACED_ON_ARRIVAL,
        "first_preference_at_arrival": Col.FIRST_ON_ARRIVAL,
        "any_preference_at_arrival": Col.RANKED_ON_ARRIVAL,
        "first_preference_year_end": Col.FIRST_YEAR_END,
        "any_preference_year_end": Col.RANKED_YEAR_END,
        "placed_on_list_year_end": Col.ON_LIST_YEAR_END,
        "out_of_list_year_end": Col.OUT_OF_LIST_YEAR_END,
        "waiting_year_end": Col.WAITING_YEAR_END,
        "moves_per_child": Col.MOVES,
        "moved": Col.MOVED,
        "carried_over": Col.CARRIED_OVER,
        "mean_days_waiting_in_year": Col.DAYS_WAITING_IN_YEAR,
    }
)


def year_columns(multi: bool) -> tuple[str, ...]:
    """The columns of the year-by-year breakdown of a projection (or one year)."""
    return PROJECTION_YEARLY_METRICS if multi else YEARLY_METRICS


def _rank_in(prefs: NDArray[Any], s: NDArray[Any]) -> NDArray[np.int64]:
    if prefs.shape[1] == 0:
        return np.full(s.shape, -1, dtype=np.int64)
    hit = (prefs == s[:, None]) & (s[:, None] >= 0)
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class YearMetrics:
    """The per-child columns of one year and what its breakdowns need."""

    cols: NDArray[np.float64]  # (N, len(Col))
    keys: tuple[NDArray[np.int64], ...]  # group per child, in TIME_GROUPINGS order
    rank_counts: NDArray[np.float64]  # (L,)
    monthly: NDArray[np.float64]  # (12, len(MONTHLY_METRICS))
    idle: float


def year_metrics(
    inst: Instance, out: YearOutcome, out_of_list_cost: float, n_kinds: int
) -> YearMetrics:
    """The per-child quantities (:class:`Col`) and the monthly table of a year."""
    p = inst.problem
    n = p.n_children
    prefs = p.preferences
    a = out.arrival_day.astype(np.int64)
    f = out.first_day.astype(np.int64)
    end = out.assignment.astype(np.int64)
    waited = out.days_waiting.astype(np.float64)
    rank_end = _rank_in(prefs, end)
    rank_first = _rank_in(prefs, out.first_setting.astype(np.int64))
    lists = np.asarray(inst.lists)
    on_list = (
        ((lists == end[:, None]) & (end[:, None] >= 0)).any(axis=1)
        if lists.shape[1]
        else np.zeros(n, dtype=bool)
    )
    cost = np.zeros(n)
    if lists.shape[1]:
        lpos = np.argmax(lists == end[:, None], axis=1)
        dist = np.where(on_list, inst.distance_km[np.arange(n), lpos], 0.0)
        at = np.maximum(end, 0)
        setting_cost = np.asarray(inst.settings.cost)[at]
        carried = transport_weight(
            dist,
            inst.children.age,
            np.asarray(inst.settings.specialist)[at],
            inst.transport_within_walking,
        )
        transport = inst.transport_cost_per_km * dist * carried
        cost = np.where(end >= 0, setting_cost + transport, 0.0)
    out_end = end == OUT_OF_LIST
    cost = np.where(out_end, out_of_list_cost, cost)
    on_day = (f >= 0) & (f == a)
    per_child: dict[Col, Any] = {
        Col.CHILD: 1.0,
        Col.DAYS_WAITING: waited,
        Col.WAITED: waited > 0,
        Col.PLACED_ON_ARRIVAL: on_day,
        Col.FIRST_ON_ARRIVAL: on_day & (rank_first == 0),
        Col.FIRST_YEAR_END: rank_end == 0,
        Col.RANKED_YEAR_END: rank_end >= 0,
        Col.ON_LIST_YEAR_END: on_list,
        Col.OUT_OF_LIST_YEAR_END: out_end,
        Col.WAITING_YEAR_END: end == -1,
        Col.MOVES: out.moves,
        Col.MOVED: out.moves > 0,
        Col.COST: cost,
        Col.PLACED_YEAR_END: (end >= 0) | out_end,
        Col.CARRIED_OVER: a <= 0,
        Col.DAYS_WAITING_IN_YEAR: np.where(f >= 0, f, YEAR_END) - np.maximum(a, 1),
        Col.RANKED_ON_ARRIVAL: on_day & (rank_first >= 0),
    }
    cols = np.empty((n, len(Col)))
    for col, value in per_child.items():
        cols[:, col] = value
    kind = np.asarray(inst.settings.kind, dtype=np.int64)
    first = prefs[:, 0] if prefs.shape[1] else np.full(n, -1)
    kind_key = np.where(first >= 0, kind[np.maximum(first, 0)], n_kinds)
    keys = (
        np.asarray(inst.children.need, dtype=np.int64),
        np.asarray(inst.children.phase, dtype=np.int64),
        kind_key.astype(np.int64),
        np.where(np.asarray(inst.children.specialist, dtype=bool), 0, 1),
    )
    width = prefs.shape[1]
    ranks = np.bincount(rank_end[rank_end >= 0], minlength=width)[:width]
    new = a >= 1  # carried children did not arrive this year
    m_a = MONTH_OF[a[new]]
    arrivals = np.bincount(m_a, minlength=12).astype(np.float64)
    on_new, waited_new = on_day[new], waited[new]
    ends = MONTH_END[None, :]
    unplaced = (a[:, None] <= ends) & ((f[:, None] < 0) | (f[:, None] > ends))
    by_month = {
        "arrivals": arrivals,
        "placed_on_arrival": safe_divide(
            np.bincount(m_a, weights=on_new, minlength=12), arrivals
        ),
        "mean_days_waiting": safe_divide(
            np.bincount(m_a, weights=waited_new, minlength=12), arrivals
        ),
        "waiting_month_end": unplaced.sum(axis=0),
        "idle_place_days": out.idle_place_days,
        "moves": out.moves_by_month,
    }
    monthly = np.empty((12, len(MONTHLY_METRICS)))
    for j, name in enumerate(MONTHLY_METRICS):
        monthly[:, j] = by_month[name]
    return YearMetrics(
        cols,
        keys,
        ranks.astype(np.float64),
        monthly,
        float(out.idle_place_days.sum()),
    )


def scalars(
    tot: NDArray[np.float64], idle: float, years: int, *, projection: bool = False
) -> list[float]:
    """The metrics of :data:`DYNAMIC_METRICS` (or ``PROJECTION_METRICS``), in order.

    ``tot`` is the column sums over children (:class:`Col`), ``idle`` the idle
    place-days over ``years`` years.
    """
    n = tot[Col.CHILD]
    value: dict[str, float] = {
        name: float(tot[col] / n) if n else math.nan for name, col in SHARES.items()
    }
    value["children"] = float(n)
    value["idle_place_days"] = idle / years
    value["annual_cost"] = float(tot[Col.COST]) / years
    placed = tot[Col.PLACED_YEAR_END]
    value["cost_per_child"] = float(tot[Col.COST] / placed) if placed else math.nan
    return [value[m] for m in (PROJECTION_METRICS if projection else DYNAMIC_METRICS)]


def group_table(
    cols: NDArray[np.float64], key: NDArray[np.int64], n_groups: int
) -> NDArray[np.float64]:
    """The :data:`DYNAMIC_GROUP_METRICS` of each group of ``key``, shape (G, 10)."""

    def total(col: Col) -> NDArray[np.float64]:
        return np.bincount(key, weights=cols[:, col], minlength=n_groups).astype(
            np.float64
        )

    size = total(Col.CHILD)
    t = np.empty((n_groups, len(DYNAMIC_GROUP_METRICS)))
    for j, metric in enumerate(DYNAMIC_GROUP_METRICS):
        if metric == "children":
            t[:, j] = size
        elif metric == "cost_per_child":
            t[:, j] = safe_divide(total(Col.COST), total(Col.PLACED_YEAR_END))
        else:
            t[:, j] = safe_divide(total(SHARES[metric]), size)
    return t


def time_labels(years: int) -> dict[str, tuple[str, ...]]:
    """Group labels of a time result: its child breakdowns, month and year."""
    lab = {g: group_labels()[g] for g in TIME_GROUPINGS}
    if years == 1:
        lab["month"] = MONTHS
    else:
        lab["month"] = tuple(f"{y + 1}-{m}" for y in range(years) for m in MONTHS)
    lab["year"] = tuple(str(y + 1) for y in range(years))
    return lab


def named_within_limit(
    out: YearOutcome,
    new: NDArray[np.bool_],
    assessment_days: float,
    assessment_cv: float,
    limit: int = STATUTORY_DAYS,
) -> tuple[float, float]:
    """New plans named within ``limit`` days of the request: expected count and base.

    The request for an assessment precedes a new plan's plan day by ``A``
    days, log-normal with mean ``assessment_days`` and coefficient of
    variation ``assessment_cv``, independent of everything else (it changes
    no allocation); the plan is issued, naming a setting, on the child's
    first place (``first_day``). A new plan arriving on day ``a`` and first
    placed ``d`` days later counts ``P(A <= limit - d)`` (0 if it has no place
    by the year's end): the expectation over ``A``, so no random draw. Only new
    plans (``new``, not phase transfers) arriving by day ``365 - limit`` count,
    so that every one of them is followed for ``limit`` days.

    Parameters
    ----------
    out : YearOutcome
    new : ndarray of bool, shape (N,)
        The children who are new plans.
    assessment_days, assessment_cv : float
        Mean and coefficient of variation of ``A``.
    limit : int, default :data:`STATUTORY_DAYS`

    Returns
    -------
    named : float
        The expected number named within ``limit`` days of the request.
    base : float
        The number of new plans counted.

    Examples
    --------
    A child placed on their plan day and one placed 100 days after it, with
    about 100 days of assessment (nearly all of it, ``cv`` small):

    >>> import numpy as np
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]})
    >>> y = sa.dynamic.run_year(p, [10, 20], leave_day=[120], leave_setting=[0])
    >>> y.first_day.tolist()
    [10, 120]
    >>> named_within_limit(y, np.array([True, True]), 100.0, 0.01)
    (1.0, 2.0)
    """
    from scipy import special  # scipy.special: only when the metric is computed

    a = out.arrival_day.astype(np.int64)
    f = out.first_day.astype(np.int64)
    counted = np.asarray(new, dtype=bool) & (a >= 1) & (a <= YEAR_END - 1 - limit)
    slack = np.where(f >= 0, limit - (f - a), -1)[counted].astype(np.float64)
    sigma = math.sqrt(math.log1p(assessment_cv**2))
    mu = math.log(assessment_days) - sigma**2 / 2 if assessment_days > 0 else -math.inf
    with np.errstate(divide="ignore"):
        z = (np.log(np.maximum(slack, 0.0)) - mu) / sigma
    p = np.where(slack > 0, special.ndtr(z), 0.0)
    return float(p.sum()), float(counted.sum())


def process_scalars(
    out: YearOutcome,
    consultation_days: int,
    timely: tuple[float, float] = (0.0, 0.0),
) -> list[float]:
    """The metrics of :data:`IN_YEAR_PROCESS_METRICS` of one year, in order.

    ``timely`` is :func:`named_within_limit`'s ``(named, base)`` for
    ``plans_within_20_weeks`` (NaN when ``base`` is 0).

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]})
    >>> y = sa.dynamic.run_year(p, [10, 200])
    >>> timely = named_within_limit(y, np.ones(2, dtype=bool), 130.0, 0.01)
    >>> [round(v, 3) for v in process_scalars(y, 15, timely)]
    [0.5, nan, nan, nan, nan, nan, 0.5]

    Amy is named the day her plan starts, 130 days after her request; Ben, whose
    plan starts on day 200, has no place by the year's end.
    """
    a = out.arrival_day.astype(np.int64)
    f = out.first_day.astype(np.int64)
    n = a.size
    within = (f >= 0) & (f - np.maximum(a, 1) <= consultation_days)
    value = [float(within.mean()) if n else math.nan]
    named, base = timely
    share = named / base if base else math.nan
    pr = getattr(out, "process", None)
    if pr is None or not n:
        return value + [math.nan] * (len(IN_YEAR_PROCESS_METRICS) - 2) + [share]
    pending = pr["appealed"] & (pr["decision_day"] < 0)
    for col in (pr["refused"], pr["over_capacity"], pr["appealed"], pr["won"], pending):
        value.append(float(np.asarray(col, dtype=np.float64).mean()))
    return [*value, share]
