"""Outcome metrics of one allocation of one simulated instance, vectorised.

:func:`evaluate` turns an :class:`~sendalloc.Allocation` of an instance's problem
into an :class:`Outcome`: the headline shares (first preference, top three, any
ranked setting, any setting on the tailored list, unplaced), the mean rank and
rank profile, justified envy, wishes that were off the list, travel, cost and the
fill rate of specialist places, each also broken down by the child's need, phase,
the kind of setting the parent ranked first, and whether the child needs
specialist provision (the ``target`` group of the proposal).

:func:`la_fallback` is the optional second stage a scenario may switch on: children
the mechanism left without a place are offered any free place on their tailored
list, in the local authority's order.

Every share is of *all* children in the round, and every child is counted once:
an unplaced child counts in the denominator of ``first_preference`` as much as a
placed one, and in each breakdown each child belongs to exactly one group.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import safe_divide
from sendalloc.mechanisms.first_available import serial_dictatorship_kernel
from sendalloc.population import KINDS, NEEDS, PHASES, SPECIALIST_KINDS
from sendalloc.problem import Allocation, Problem
from sendalloc.properties import justified_envy

__all__ = [
    "AREAS",
    "GROUPINGS",
    "GROUP_METRICS",
    "METRICS",
    "PROCESS_COLUMNS",
    "PROCESS_METRICS",
    "TARGET_GROUPS",
    "WALKING_DISTANCE_KM",
    "Context",
    "Outcome",
    "class_justified_envy",
    "evaluate",
    "fallback_assignment",
    "group_labels",
    "la_fallback",
    "outcome_arrays",
    "process_values",
    "transport_weight",
]

#: Scalar metrics of one allocation, in the order of :attr:`Outcome.values`.
METRICS: tuple[str, ...] = (
    "first_preference",
    "top3_preference",
    "any_preference",
    "any_preference_on_day",
    "no_ranked_place",
    "placed_on_list",
    "placed_by_fallback",
    "unplaced",
    "favourite",
    "favourite_on_day",
    "over_capacity_namings",
    "mean_rank",
    "justified_envy",
    "off_list_wish",
    "mean_distance_km",
    "annual_cost",
    "cost_per_child",
    "transport_cost_per_child",
    "transported",
    "specialist_fill",
    "children",
)

#: Metrics of a placement process, added after :data:`METRICS` when a policy in
#: the run reports per-child outcomes (today's statutory process,
#: :mod:`sendalloc.status_quo`); every policy of the run is measured on them,
#: NaN where a policy has no such step. See :func:`process_values`.
PROCESS_METRICS: tuple[str, ...] = (
    "request_refused",
    "named_over_capacity",
    "appealed",
    "appeal_won",
    "unplaced_on_day",
    "special_at_or_over_capacity",
    "special_over_capacity",
    "special_places_over",
    *(f"pupils_over_capacity_{k}" for k in KINDS),
)

#: The per-child columns of a process's outcome that :func:`process_values`
#: reads (``Placement.extra``), each of shape (N,): ``day`` the placement on the
#: day the plan is final (-1 none), and the flags ``refused`` (the request was
#: refused), ``over_capacity`` (the final placement was named beyond the
#: setting's free places), ``appealed`` and ``won`` (the tribunal named the
#: requested setting).
PROCESS_COLUMNS: tuple[str, ...] = (
    "day",
    "refused",
    "over_capacity",
    "appealed",
    "won",
)

#: Metrics reported for every group of a breakdown (columns of the group tables).
#: ``fill_rate`` is only meaningful by setting kind; it is NaN in the other
#: breakdowns.
GROUP_METRICS: tuple[str, ...] = (
    "children",
    "first_preference",
    "top3_preference",
    "any_preference",
    "any_preference_on_day",
    "no_ranked_place",
    "placed_on_list",
    "placed_by_fallback",
    "unplaced",
    "favourite",
    "favourite_on_day",
    "over_capacity_namings",
    "mean_rank",
    "justified_envy",
    "off_list_wish",
    "mean_distance_km",
    "annual_cost",
    "cost_per_child",
    "fill_rate",
)

#: The breakdowns, in the order of :attr:`Outcome.groups`: by the child's need,
#: phase, the kind of setting their parent ranked first, whether they need
#: specialist provision (``target``), where they live (``area``: urban or
#: rural), and need, phase and area *within* the target group
#: (``target_need``, ``target_phase``, ``target_area``: children who do not
#: need specialist provision are in no group of these three).
GROUPINGS: tuple[str, ...] = (
    "need",
    "phase",
    "kind",
    "target",
    "area",
    "target_need",
    "target_phase",
    "target_area",
)

#: Groups of the ``target`` breakdown: children who need specialist provision
#: (``Children.specialist``; the group the proposal is about) and the others.
TARGET_GROUPS: tuple[str, ...] = ("specialist", "not_specialist")

#: Groups of the ``area`` breakdown (``Children.rural``).
AREAS: tuple[str, ...] = ("urban", "rural")

#: Label of the kind group of children whose parent ranked no setting.
NO_PREFERENCE = "no_preference"


class _Col(enum.IntEnum):
    """Per-child quantities :func:`outcome_arrays` sums overall and by group."""

    CHILD = 0  # 1 for every child: sums to the number of children
    FIRST = 1  # placed at the parent's first preference
    TOP3 = 2  # ... in the top three
    RANKED = 3  # ... at any ranked setting
    ON_LIST = 4  # placed on the tailored list (by either stage)
    BY_FALLBACK = 5  # placed by the LA's fallback
    UNPLACED = 6  # no place after both stages
    RANK = 7  # 1-based rank of a ranked placement, else 0
    ENVY = 8  # justified envy in the mechanism's allocation
    WISH = 9  # the favourite setting was off the list
    DISTANCE = 10  # km travelled (0 unplaced)
    COST = 11  # annual cost of the placement (0 unplaced)
    PLACED = 12  # placed anywhere
    TRANSPORTED = 13  # transported to the placement (expected share, 0 unplaced)
    TRANSPORT_COST = 14  # annual transport cost (0 unplaced)
    RANKED_ON_DAY = 15  # at a ranked setting on the day the plan is final
    NOT_RANKED = 16  # not at a ranked setting after every stage
    FAVOURITE = 17  # at the parent's favourite setting (on or off the list)
    FAVOURITE_ON_DAY = 18  # ... on the day the plan is final
    OVER_CAPACITY = 19  # named over capacity (a process), or would need to be


#: Metrics that are a column's share of the children (overall and in a group).
_SHARES: Mapping[str, _Col] = {
    "first_preference": _Col.FIRST,
    "top3_preference": _Col.TOP3,
    "any_preference": _Col.RANKED,
    "any_preference_on_day": _Col.RANKED_ON_DAY,
    "no_ranked_place": _Col.NOT_RANKED,
    "favourite": _Col.FAVOURITE,
    "favourite_on_day": _Col.FAVOURITE_ON_DAY,
    "over_capacity_namings": _Col.OVER_CAPACITY,
    "placed_on_list": _Col.ON_LIST,
    "placed_by_fallback": _Col.BY_FALLBACK,
    "unplaced": _Col.UNPLACED,
    "justified_envy": _Col.ENVY,
    "off_list_wish": _Col.WISH,
}
#: Metrics that are the ratio of two column sums: (numerator, denominator).
_RATIOS: Mapping[str, tuple[_Col, _Col]] = {
    "mean_rank": (_Col.RANK, _Col.RANKED),
    "mean_distance_km": (_Col.DISTANCE, _Col.PLACED),
    "cost_per_child": (_Col.COST, _Col.PLACED),
    "transport_cost_per_child": (_Col.TRANSPORT_COST, _Col.PLACED),
    "transported": (_Col.TRANSPORTED, _Col.PLACED),
}

#: Statutory walking distances, km: 2 miles for a child under 8, 3 miles from 8
#: (source ``pq-142506-walking-distance``).
WALKING_DISTANCE_KM: tuple[float, float] = (2 * 1.609344, 3 * 1.609344)


class _Settings(Protocol):
    @property
    def kind(self) -> NDArray[Any]: ...
    @property
    def cost(self) -> NDArray[Any]: ...
    @property
    def x_km(self) -> NDArray[Any]: ...
    @property
    def y_km(self) -> NDArray[Any]: ...


class _Children(Protocol):
    @property
    def need(self) -> NDArray[Any]: ...
    @property
    def phase(self) -> NDArray[Any]: ...
    @property
    def age(self) -> NDArray[Any]: ...  # read only with a transport rule
    @property
    def x_km(self) -> NDArray[Any]: ...
    @property
    def y_km(self) -> NDArray[Any]: ...


class InstanceLike(Protocol):
    """What the metrics read from an instance (a ``scenario.Instance``)."""

    @property
    def problem(self) -> Problem: ...
    @property
    def children(self) -> _Children: ...
    @property
    def settings(self) -> _Settings: ...
    @property
    def lists(self) -> NDArray[Any]: ...
    @property
    def off_list_wish(self) -> NDArray[Any]: ...
    @property
    def distance_km(self) -> NDArray[Any]: ...
    @property
    def fallback(self) -> bool: ...
    @property
    def transport_cost_per_km(self) -> float: ...


def transport_weight(
    distance_km: NDArray[Any],
    age: NDArray[Any],
    specialist: NDArray[Any],
    within_walking: float,
) -> NDArray[np.float64]:
    """Whether each placed child is transported by the LA: an expected share in [0, 1].

    A child at a specialist setting is transported when the one-way distance
    exceeds the statutory walking distance for their age
    (:data:`WALKING_DISTANCE_KM`: 2 miles under 8, 3 miles from 8), and with
    probability ``within_walking`` when it does not (transport for a child with
    SEN does not depend on distance: source ``pq-142506-walking-distance``). A
    child at a general setting (mainstream, a general college) is not on SEND
    transport. See docs/modelling.md, "Transport".

    Parameters
    ----------
    distance_km : ndarray of float, shape (N,)
        One-way distance to the placement.
    age : ndarray of int, shape (N,)
    specialist : ndarray of bool, shape (N,)
        The placement is a specialist setting.
    within_walking : float
        Share transported of the children at a specialist setting within the
        walking distance.

    Returns
    -------
    ndarray of float64, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> transport_weight(np.array([2.0, 4.0, 4.0, 9.0]), np.array([6, 6, 12, 12]),
    ...                  np.array([True, True, True, False]), 0.5)
    array([0.5, 1. , 0.5, 0. ])
    """
    d = np.asarray(distance_km, dtype=np.float64)
    walk = np.where(np.asarray(age) < 8, WALKING_DISTANCE_KM[0], WALKING_DISTANCE_KM[1])
    return np.where(
        np.asarray(specialist, dtype=bool),
        np.where(d > walk, 1.0, float(within_walking)),
        0.0,
    )


def group_labels() -> dict[str, tuple[str, ...]]:
    """The group labels of each breakdown of :data:`GROUPINGS`.

    Examples
    --------
    >>> group_labels()["kind"][-1]
    'no_preference'
    >>> group_labels()["target_area"]
    ('urban', 'rural')
    """
    return {
        "need": tuple(NEEDS),
        "phase": tuple(PHASES),
        "kind": (*KINDS, NO_PREFERENCE),
        "target": TARGET_GROUPS,
        "area": AREAS,
        "target_need": tuple(NEEDS),
        "target_phase": tuple(PHASES),
        "target_area": AREAS,
    }


def _specialist_codes() -> NDArray[np.int64]:
    return np.array([i for i, k in enumerate(KINDS) if k in SPECIALIST_KINDS], np.int64)


# --------------------------------------------------------------------------- fallback
def la_fallback(
    instance: InstanceLike, allocation: Allocation | NDArray[Any]
) -> NDArray[np.int32]:
    """Offer unplaced children any free place on their tailored list.

    The local authority's second stage: after the mechanism, children still
    without a place are taken in the LA's processing order (``problem.order``),
    and each is given the first setting on their tailored list, in the list's
    own (LA) order, that still has a free place.

    Parameters
    ----------
    instance : Instance
        Supplies ``problem`` (capacity, order) and ``lists``, shape (N, K).
    allocation : Allocation or ndarray of int, shape (N,)
        The mechanism's assignment (-1 = unplaced). Not modified.

    Returns
    -------
    ndarray of int32, shape (N,)
        The final assignment: the mechanism's placements unchanged, plus the
        fallback placements.

    Notes
    -----
    Serial dictatorship over the remaining places with the tailored lists as
    preferences, restricted to the unplaced children. It never moves a child the
    mechanism placed. O(N K). The stage runs whatever the scenario's
    ``fallback`` switch says; :func:`evaluate` consults the switch.

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace
    >>> p = sa.Problem.from_lists([1, 1], [[0], [0]])  # both parents rank only 0
    >>> inst = SimpleNamespace(problem=p, lists=np.array([[0, 1], [0, 1]]))
    >>> a = sa.allocate(p, "first_available")
    >>> a.assignment, la_fallback(inst, a)
    (array([ 0, -1], dtype=int32), array([0, 1], dtype=int32))
    """
    problem = instance.problem
    assign = np.asarray(
        allocation.assignment if isinstance(allocation, Allocation) else allocation,
        dtype=np.int32,
    )
    return fallback_assignment(problem.capacity, problem.order, instance.lists, assign)


def fallback_assignment(
    capacity: NDArray[Any],
    order: NDArray[Any],
    lists: NDArray[Any],
    assign: NDArray[Any],
) -> NDArray[np.int32]:
    """The kernel tier of :func:`la_fallback`: plain arrays in, final assignment out.

    Parameters
    ----------
    capacity : ndarray of int, shape (M,)
    order : ndarray of int, shape (N,)
        The LA's processing order.
    lists : ndarray of int, shape (N, K)
        Tailored lists, -1 padded.
    assign : ndarray of int, shape (N,)
        The mechanism's assignment (-1 = unplaced).

    Returns
    -------
    ndarray of int32, shape (N,)
    """
    assign = np.asarray(assign, dtype=np.int32)
    unplaced = assign < 0
    if not unplaced.any():
        return assign.copy()
    cap = np.asarray(capacity)
    used = np.bincount(assign[~unplaced], minlength=cap.shape[0])
    free = np.maximum(cap.astype(np.int64) - used, 0).astype(np.int32)
    lst = np.asarray(lists, dtype=np.int32)
    masked = np.ascontiguousarray(np.where(unplaced[:, None], lst, -1), dtype=np.int32)
    # Read-only, as a Problem's arrays are: numba compiles one version per
    # writeable flag, and each costs compile time on a cold start.
    free.flags.writeable = masked.flags.writeable = False
    extra = serial_dictatorship_kernel(free, masked, np.asarray(order, dtype=np.int32))
    return np.where(unplaced, extra, assign).astype(np.int32)


# --------------------------------------------------------------------------- outcome
@dataclass(frozen=True, slots=True)
class Outcome:
    """The metrics of one allocation of one instance.

    Attributes
    ----------
    values : ndarray of float64, shape (len(METRICS),)
        The scalar metrics in the order of :data:`METRICS` (see Notes of
        :func:`evaluate` for their definitions). NaN where undefined (a mean
        over no children).
    rank_profile : ndarray of float64, shape (L,)
        Share of all children placed at their parent's k-th ranked setting,
        k = 1..L (L the width of the problem's preferences).
    groups : dict of str to ndarray of float64, shape (G, len(GROUP_METRICS))
        For each breakdown in :data:`GROUPINGS`, one row per group (labels from
        :meth:`labels`) and one column per metric of :data:`GROUP_METRICS`.
    """

    values: NDArray[np.float64]
    rank_profile: NDArray[np.float64]
    groups: Mapping[str, NDArray[np.float64]]

    def as_dict(self) -> dict[str, float]:
        """The scalar metrics by name.

        Returns
        -------
        dict of str to float
        """
        return dict(zip(METRICS, self.values.tolist(), strict=True))

    @staticmethod
    def labels(by: str) -> tuple[str, ...]:
        """Labels of the groups of breakdown ``by`` (a name in :data:`GROUPINGS`).

        Returns
        -------
        tuple of str
        """
        try:
            return group_labels()[by]
        except KeyError:
            raise ValueError(
                f"by: expected one of {', '.join(GROUPINGS)}, got {by!r}"
            ) from None

    def group_dict(self, by: str) -> dict[str, dict[str, float]]:
        """One breakdown as ``{group: {metric: value}}``.

        Returns
        -------
        dict
        """
        labels = self.labels(by)
        table = self.groups[by]
        return {
            g: dict(zip(GROUP_METRICS, row, strict=True))
            for g, row in zip(labels, table.tolist(), strict=True)
        }


@dataclass(frozen=True, slots=True, eq=False)
class Context:
    """What the metrics need from one instance, computed once for all mechanisms.

    Build with :meth:`of`. The Monte Carlo engine makes one per simulated round
    and reuses it for every mechanism run on that round.
    """

    instance: Any
    capacity: NDArray[np.float64]  # (M,) free places
    kind: NDArray[np.int64]  # (M,)
    cost: NDArray[np.float64]  # (M,)
    is_specialist: NDArray[np.bool_]  # (M,)
    lists: NDArray[np.int64]  # (N, K)
    distance: NDArray[np.float64]  # (N, K)
    wish: NDArray[np.bool_]  # (N,)
    group_index: NDArray[np.intp]  # (B * N * C,) bin of each (breakdown, child, column)
    n_groups: tuple[int, ...]  # groups per breakdown, in GROUPINGS order

    @classmethod
    def of(cls, instance: InstanceLike) -> Context:
        """Precompute the per-instance arrays.

        Returns
        -------
        Context
        """
        lab = group_labels()
        n_groups = tuple(len(lab[g]) for g in GROUPINGS)
        problem, settings = instance.problem, instance.settings
        n = problem.n_children
        kind = np.asarray(settings.kind, dtype=np.int64)
        spec_attr = getattr(settings, "specialist", None)
        is_spec = (
            np.asarray(spec_attr, dtype=bool)
            if spec_attr is not None
            else np.isin(kind, _specialist_codes())
        )
        prefs = problem.preferences
        no_pref = n_groups[2] - 1
        if prefs.shape[1]:
            first = prefs[:, 0]
            kind_key = np.where(first >= 0, kind[np.maximum(first, 0)], no_pref)
        else:
            kind_key = np.full(n, no_pref, dtype=np.int64)
        # Each breakdown's group of each child, -1 for a child in no group of
        # it: children outside the target group in the breakdowns within it,
        # and every child when a stand-in lacks the column the breakdown reads
        # (its groups are then empty: NaN).
        flag = getattr(instance.children, "specialist", None)
        rural = getattr(instance.children, "rural", None)
        need = np.asarray(instance.children.need, dtype=np.int64)
        phase = np.asarray(instance.children.phase, dtype=np.int64)
        none = np.full(n, -1, dtype=np.int64)
        if flag is None:
            target_key = none
            within = np.zeros(n, dtype=bool)
        else:
            within = np.asarray(flag, dtype=bool)
            target_key = np.where(within, 0, 1)
        area_key = none if rural is None else np.asarray(rural, dtype=np.int64)
        keys = (
            need,
            phase,
            kind_key,
            target_key,
            area_key,
            np.where(within, need, -1),
            np.where(within, phase, -1),
            np.where(within, area_key, -1),
        )
        # Group sums are np.bincount over (group, column) bins: a sequential sum,
        # so bit-for-bit the same on every machine (a BLAS product is not). A
        # child in no group of a breakdown goes to one bin past the last group,
        # which is dropped.
        n_all = sum(n_groups)
        offsets = np.cumsum((0, *n_groups[:-1]))
        stacked = np.concatenate(
            [np.where(k >= 0, k + o, n_all) for k, o in zip(keys, offsets, strict=True)]
        )
        group_index = (stacked[:, None] * len(_Col) + np.arange(len(_Col))).ravel()
        return cls(
            instance=instance,
            capacity=problem.capacity.astype(np.float64),
            kind=kind,
            cost=np.asarray(settings.cost, dtype=np.float64),
            is_specialist=is_spec,
            lists=np.asarray(instance.lists, dtype=np.int64),
            distance=np.asarray(instance.distance_km, dtype=np.float64),
            wish=np.asarray(instance.off_list_wish, dtype=bool),
            group_index=group_index.astype(np.intp),
            n_groups=n_groups,
        )


def outcome_arrays(
    instance: InstanceLike,
    assignment: NDArray[Any],
    final: NDArray[Any],
    envy: NDArray[np.bool_],
    *,
    context: Context | None = None,
    day: NDArray[Any] | None = None,
    over_capacity: NDArray[Any] | None = None,
) -> Outcome:
    """Compute an :class:`Outcome` from the two stages' assignments (fast path).

    :func:`evaluate` is the documented entry point; this lower tier takes the
    mechanism's ``assignment``, the ``final`` assignment after any fallback and
    the per-child justified-envy mask, all shape (N,), so that callers who have
    them (the Monte Carlo engine) do not recompute them, and an optional
    :class:`Context` of the instance shared between mechanisms.

    A process with steps after the day the plan is final (today's process:
    appeals) also passes ``day``, the placements on that day (default
    ``final``), and ``over_capacity``, which children it named beyond the
    setting's free places (default: those who would need such a naming to get
    a listed place; see :func:`evaluate`), both shape (N,).

    Returns
    -------
    Outcome
    """
    ctx = Context.of(instance) if context is None else context
    problem = instance.problem
    n, m = problem.n_children, problem.n_settings
    assign = np.asarray(assignment, dtype=np.int64)
    final = np.asarray(final, dtype=np.int64)
    on_day = final if day is None else np.asarray(day, dtype=np.int64)
    placed = final >= 0
    prefs = problem.preferences
    width = prefs.shape[1]

    # Rank among the parent's ranking (0-based, -1 = not ranked / unplaced).
    if width:
        hit = (prefs == final[:, None]) & placed[:, None]
        ranked = hit.any(axis=1)
        rank = np.where(ranked, hit.argmax(axis=1), -1)
        ranked_day = (
            ranked
            if day is None
            else ((prefs == on_day[:, None]) & (on_day[:, None] >= 0)).any(axis=1)
        )
    else:
        ranked = ranked_day = np.zeros(n, dtype=bool)
        rank = np.full(n, -1, dtype=np.int64)
    # The parent's favourite setting overall (may be off the list; -1 none).
    wish_attr = getattr(instance, "wish", None)
    wish = None if wish_attr is None else np.asarray(wish_attr, dtype=np.int64)
    if wish is None:
        favourite = favourite_day = np.zeros(n, dtype=bool)
    else:
        favourite = (wish >= 0) & (final == wish)
        favourite_day = (wish >= 0) & (on_day == wish)
    # Position on the tailored list (-1 = not on it).
    lists = ctx.lists
    if lists.shape[1]:
        lhit = (lists == final[:, None]) & placed[:, None]
        on_list = lhit.any(axis=1)
        lpos = np.where(on_list, lhit.argmax(axis=1), 0)
    else:
        on_list = np.zeros(n, dtype=bool)
        lpos = np.zeros(n, dtype=np.int64)

    # Distance travelled (km): from the instance's list distances, or straight
    # line for the rare placement off the list (only user-written rules do that).
    dist = np.zeros(n)
    if lists.shape[1]:
        dist[on_list] = ctx.distance[on_list, lpos[on_list]]
    off = placed & ~on_list
    if off.any():
        s = final[off]
        children, settings = instance.children, instance.settings
        dist[off] = np.hypot(
            np.asarray(children.x_km)[off] - np.asarray(settings.x_km)[s],
            np.asarray(children.y_km)[off] - np.asarray(settings.y_km)[s],
        )
    within = getattr(instance, "transport_within_walking", None)
    if within is None:  # an instance with no transport rule: everyone placed
        carried = placed.astype(np.float64)
    else:
        carried = np.where(
            placed,
            transport_weight(
                dist,
                instance.children.age,
                ctx.is_specialist[np.maximum(final, 0)],
                float(within),
            ),
            0.0,
        )
    transport = float(instance.transport_cost_per_km) * dist * carried
    cost = np.where(placed, ctx.cost[np.maximum(final, 0)] + transport, 0.0)

    first = rank == 0
    top3 = ranked & (rank < 3)
    by_fallback = placed & (assign < 0)
    envy = np.asarray(envy, dtype=bool)
    rank1 = np.where(ranked, rank + 1, 0).astype(np.float64)

    # Specialist fill: free specialist places this round that were filled.
    filled = np.bincount(final[placed], minlength=m).astype(np.float64)
    # Over-capacity namings: made (a process says which), else needed: a
    # child without a place on a non-empty list whose every listed setting is
    # full after the round could get a listed place only by being named over
    # capacity.
    if over_capacity is not None:
        over = np.asarray(over_capacity, dtype=bool)
    elif lists.shape[1]:
        full = filled >= ctx.capacity  # (M,): no free place left
        listed = lists >= 0
        all_full = np.where(listed, full[np.maximum(lists, 0)], True).all(axis=1)
        over = ~on_list & listed.any(axis=1) & all_full
    else:
        over = np.zeros(n, dtype=bool)
    spec_cap = float(ctx.capacity[ctx.is_specialist].sum())
    spec_fill = (
        float(filled[ctx.is_specialist].sum()) / spec_cap if spec_cap > 0 else np.nan
    )

    # Per-child quantities, one column each; summed overall and by group.
    per_child: dict[_Col, Any] = {
        _Col.CHILD: 1.0,
        _Col.FIRST: first,
        _Col.TOP3: top3,
        _Col.RANKED: ranked,
        _Col.ON_LIST: on_list,
        _Col.BY_FALLBACK: by_fallback,
        _Col.UNPLACED: ~placed,
        _Col.RANK: rank1,
        _Col.ENVY: envy,
        _Col.WISH: ctx.wish,
        _Col.DISTANCE: dist,
        _Col.COST: cost,
        _Col.PLACED: placed,
        _Col.TRANSPORTED: carried,
        _Col.TRANSPORT_COST: transport,
        _Col.RANKED_ON_DAY: ranked_day,
        _Col.NOT_RANKED: ~ranked,
        _Col.FAVOURITE: favourite,
        _Col.FAVOURITE_ON_DAY: favourite_day,
        _Col.OVER_CAPACITY: over,
    }
    cols = np.empty((n, len(_Col)))
    for col, quantity in per_child.items():
        cols[:, col] = quantity
    tot = cols.sum(axis=0)
    n_f = float(n)
    value: dict[str, Any] = {
        metric: tot[c] / n_f if n else np.nan for metric, c in _SHARES.items()
    }
    for metric, (num, den) in _RATIOS.items():
        value[metric] = tot[num] / tot[den] if tot[den] else np.nan
    if wish is None:  # a stand-in without the parents' favourites
        value["favourite"] = value["favourite_on_day"] = np.nan
    value["annual_cost"] = tot[_Col.COST]
    value["specialist_fill"] = spec_fill
    value["children"] = n_f
    values = np.array([value[metric] for metric in METRICS], dtype=np.float64)
    profile = (
        np.bincount(rank[ranked], minlength=width)[:width] / n_f
        if n
        else np.zeros(width)
    )

    n_all = sum(ctx.n_groups)
    # One bin past the last group holds children whose target flag is unknown
    # (see Context.of); it is dropped.
    sums = np.asarray(
        np.bincount(
            ctx.group_index,
            weights=np.tile(cols, (len(ctx.n_groups), 1)).ravel(),
            minlength=(n_all + 1) * len(_Col),
        ),
        dtype=np.float64,
    )[: n_all * len(_Col)].reshape(n_all, len(_Col))
    size = sums[:, _Col.CHILD]
    column: dict[str, Any] = {
        metric: safe_divide(sums[:, c], size) for metric, c in _SHARES.items()
    }
    for metric, (num, den) in _RATIOS.items():
        column[metric] = safe_divide(sums[:, num], sums[:, den])
    column["children"] = size
    column["annual_cost"] = sums[:, _Col.COST]
    column["fill_rate"] = np.nan
    if wish is None:
        column["favourite"] = column["favourite_on_day"] = np.nan
    table = np.empty((sums.shape[0], len(GROUP_METRICS)))
    for j, metric in enumerate(GROUP_METRICS):
        table[:, j] = column[metric]
    bounds = np.cumsum((0, *ctx.n_groups)).tolist()
    groups = {
        g: table[a:b]
        for g, a, b in zip(GROUPINGS, bounds[:-1], bounds[1:], strict=True)
    }
    # Fill rate of the free places of each kind (the last kind group, children
    # who ranked nothing, has no places of its own).
    nk = ctx.n_groups[2] - 1
    kcap = np.bincount(ctx.kind, weights=ctx.capacity, minlength=nk)[:nk]
    kfill = np.bincount(ctx.kind, weights=filled, minlength=nk)[:nk]
    groups["kind"][:nk, GROUP_METRICS.index("fill_rate")] = safe_divide(
        kfill.astype(float), kcap.astype(float)
    )
    return Outcome(values=values, rank_profile=profile, groups=groups)


class _ProcessSettings(Protocol):
    @property
    def kind(self) -> NDArray[Any]: ...
    @property
    def capacity(self) -> NDArray[Any]: ...


class ProcessInstanceLike(Protocol):
    """What :func:`process_values` reads from an instance (a ``scenario.Instance``)."""

    @property
    def problem(self) -> Problem: ...
    @property
    def settings(self) -> _ProcessSettings: ...


def process_values(
    instance: ProcessInstanceLike,
    final: NDArray[Any],
    extra: Mapping[str, NDArray[Any]] | None = None,
) -> NDArray[np.float64]:
    """The :data:`PROCESS_METRICS` of one placement of one instance.

    Parameters
    ----------
    instance : Instance
        Reads ``problem`` (free places), ``settings`` (``capacity``,
        ``kind``) and ``roll`` (pupils staying on roll; without it,
        ``capacity - free places``).
    final : ndarray of int, shape (N,)
        The placements after every stage (-1 none).
    extra : mapping of str to ndarray, optional
        A process's per-child outcomes (:data:`PROCESS_COLUMNS`). Without it
        (a mechanism), the day's placement is ``final``, and the refusal and
        appeal metrics are NaN.

    Returns
    -------
    ndarray of float64, shape (len(PROCESS_METRICS),)

    Notes
    -----
    Shares are of all N children in the round:

    - ``request_refused``, ``appealed``, ``appeal_won``: the request was refused
      (by the LA, or the setting could not admit); the parent appealed; the
      tribunal named the requested setting.
    - ``named_over_capacity``: the final placement took a place beyond the
      setting's free places (from ``extra``; without it, counted per setting
      as placements beyond the free places, 0 for any mechanism).
    - ``unplaced_on_day``: no place on the day the plan is final.

    After the round each setting holds ``roll``, the pupils other authorities
    placed there this round (``cross_border_taken``, when the instance has it)
    and its placements:
    ``special_at_or_over_capacity`` and ``special_over_capacity`` are the
    shares of state special schools (kind ``special``) with at least, and more
    than, as many pupils as places; ``special_places_over`` their pupils beyond
    capacity per place; ``pupils_over_capacity_<kind>`` the pupils beyond
    capacity at settings of each kind (a count). O(N + M).

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace as NS
    >>> p = sa.Problem.from_lists([1, 0], [[0], [0]])
    >>> places = NS(kind=np.array([2, 2]), capacity=np.array([2, 4]))
    >>> inst = NS(problem=p, settings=places, roll=np.array([1, 5]))
    >>> values = process_values(inst, np.array([0, -1])).tolist()
    >>> v = dict(zip(PROCESS_METRICS, values))
    >>> v["unplaced_on_day"], v["special_at_or_over_capacity"]
    (0.5, 1.0)
    >>> v["special_places_over"]
    0.1666...
    >>> bool(np.isnan(v["appealed"]))
    True
    """
    problem = instance.problem
    n = problem.n_children
    final = np.asarray(final, dtype=np.int64)
    settings = instance.settings
    cap = np.asarray(settings.capacity, dtype=np.int64)
    kind = np.asarray(settings.kind, dtype=np.int64)
    free = problem.capacity.astype(np.int64)
    roll_attr = getattr(instance, "roll", None)
    roll = cap - free if roll_attr is None else np.asarray(roll_attr, dtype=np.int64)
    m = cap.shape[0]
    placed = final >= 0
    taken = np.bincount(final[placed], minlength=m)
    n_f = float(n) if n else np.nan
    v: dict[str, float] = {}
    if extra is None:
        day = final
        nan = float("nan")
        v["request_refused"] = v["appealed"] = v["appeal_won"] = nan
        v["named_over_capacity"] = float(np.maximum(taken - free, 0).sum()) / n_f
    else:
        day = np.asarray(extra["day"], dtype=np.int64)
        v["request_refused"] = float(np.count_nonzero(extra["refused"])) / n_f
        v["appealed"] = float(np.count_nonzero(extra["appealed"])) / n_f
        v["appeal_won"] = float(np.count_nonzero(extra["won"])) / n_f
        v["named_over_capacity"] = float(np.count_nonzero(extra["over_capacity"])) / n_f
    v["unplaced_on_day"] = float(np.count_nonzero(day < 0)) / n_f
    # Other authorities' pupils placed across the border this round are on the
    # roll too (as in sendalloc.calibrate's measures of the same names).
    other = getattr(instance, "cross_border_taken", None)
    after = roll + taken
    if other is not None:
        after = after + np.asarray(other, dtype=np.int64)
    beyond = np.maximum(after - cap, 0)
    special = (kind == KINDS.index("special")) & (cap > 0)
    n_special = int(special.sum())
    places = float(cap[special].sum())
    v["special_at_or_over_capacity"] = (
        float(np.count_nonzero(after[special] >= cap[special])) / n_special
        if n_special
        else np.nan
    )
    v["special_over_capacity"] = (
        float(np.count_nonzero(after[special] > cap[special])) / n_special
        if n_special
        else np.nan
    )
    v["special_places_over"] = (
        float(beyond[special].sum()) / places if places > 0 else np.nan
    )
    by_kind = np.bincount(kind, weights=beyond, minlength=len(KINDS))
    for k, name in enumerate(KINDS):
        v[f"pupils_over_capacity_{name}"] = float(by_kind[k])
    return np.array([v[name] for name in PROCESS_METRICS], dtype=np.float64)


def evaluate(
    instance: InstanceLike,
    allocation: Allocation,
    *,
    fallback: bool | None = None,
) -> Outcome:
    """Compute every metric of one allocation of one instance.

    Parameters
    ----------
    instance : Instance
        A sampled instance (:meth:`sendalloc.scenario.Scenario.sample`), or any
        object with the same attributes: ``problem``, ``children`` (``need``,
        ``phase``, ``x_km``, ``y_km``, optionally ``specialist``), ``settings``
        (``kind``, ``cost``, ``x_km``, ``y_km``), ``lists`` (N, K),
        ``off_list_wish`` (N,), ``distance_km`` (N, K), ``fallback`` and
        ``transport_cost_per_km``, and optionally ``transport_within_walking``
        (then ``children`` needs ``age``): without it every placed child is
        charged transport.
    allocation : Allocation
        A mechanism's allocation of ``instance.problem``.
    fallback : bool, optional
        Whether to run the LA fallback (:func:`la_fallback`) before measuring.
        Defaults to the instance's (scenario's) switch.

    Returns
    -------
    Outcome

    Notes
    -----
    Definitions; N is the number of children in the round, and shares are of N:

    - ``first_preference``, ``top3_preference``, ``any_preference``: placed at the
      setting the parent ranked first, in the top three, anywhere in the ranking.
    - ``any_preference_on_day``: placed at a ranked setting on the day the
      plan is final (for a rule, the same as ``any_preference``; for a
      process with appeals, before them); ``no_ranked_place``: not at a ranked
      setting after every stage (``1 - any_preference``).
    - ``placed_on_list``: placed at any setting on the tailored list, including
      by the LA fallback; ``placed_by_fallback`` is the part the fallback placed.
    - ``unplaced``: no place after both stages.
    - ``favourite``, ``favourite_on_day``: placed at the parent's favourite
      setting overall (``instance.wish``, which may be off the list; for
      today's process the setting requested), after every stage and on the
      day the plan is final. NaN for an instance without ``wish``.
    - ``over_capacity_namings``: for a process that names settings beyond
      their free places (today's, passing ``over_capacity`` to
      :func:`outcome_arrays`), the children it named over capacity; for a
      rule, the children who would need such a naming to get a listed place:
      without a place on their (non-empty) tailored list, every setting of
      which is full after the round.
    - ``mean_rank``: mean 1-based rank among children placed at a ranked setting.
    - ``justified_envy``: children with justified envy in the mechanism's
      allocation (:func:`sendalloc.properties.justified_envy`; a problem whose
      ties a lottery broke is judged by its priority classes). The fallback
      fills only places left free, so after a non-wasteful mechanism it cannot
      create envy; it is not counted.
    - ``off_list_wish``: the child's favourite setting was not on their list (a
      property of the instance, the same for every mechanism).
    - ``mean_distance_km``: mean home-to-setting distance of placed children.
    - ``annual_cost``: total annual cost (GBP) of the round's placements: the
      setting's cost per place plus, for a child the LA transports,
      ``transport_cost_per_km`` times the distance; ``cost_per_child`` divides
      it by the children placed.
    - ``transported``: share of the children placed whom the LA transports
      (:func:`transport_weight`: at a specialist setting beyond the statutory
      walking distance, and the instance's ``transport_within_walking`` share
      of those within it; an expected share); ``transport_cost_per_child``: the
      transport part of ``cost_per_child``.
    - ``specialist_fill``: share of this round's free places at specialist
      settings (``settings.specialist`` when the table has it, else the kinds
      in :data:`~sendalloc.population.SPECIALIST_KINDS`) that were filled.
    - ``children``: N.

    The rank profile and the breakdowns follow the same definitions within each
    group. Children are grouped by need, by phase, by the kind of the
    setting their parent ranked first (those who ranked nothing form the group
    ``no_preference``), by ``target``: whether the child needs specialist
    provision (``children.specialist``; groups :data:`TARGET_GROUPS`), by
    ``area`` (``children.rural``; :data:`AREAS`), and by need, phase and area
    within the target group (``target_need``, ``target_phase``,
    ``target_area``). Each child is in one group of each of the first five
    breakdowns, and a child of the target group in one of each of the last
    three; so each breakdown's groups sum to everyone (the target group for
    the last three). An instance whose ``children`` have no ``specialist``
    (``rural``) column leaves the breakdowns that read it empty (NaN). In the
    kind breakdown, ``fill_rate`` is the share of that kind's free places filled.
    Everything is vectorised: O(N (L + K) + M).

    Examples
    --------
    A stand-in instance: three children, two settings with one place each.

    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace as NS
    >>> p = sa.Problem.from_lists([1, 1], [[0], [0], [1]])
    >>> kids = NS(need=np.array([0, 1, 0]), phase=np.array([1, 1, 2]),
    ...           x_km=np.zeros(3), y_km=np.zeros(3))
    >>> places = NS(kind=np.array([0, 2]), cost=np.array([10.0, 20.0]),
    ...             x_km=np.zeros(2), y_km=np.zeros(2))
    >>> inst = NS(problem=p, children=kids, settings=places,
    ...           lists=np.array([[0, 1], [0, 1], [1, -1]]),
    ...           off_list_wish=np.zeros(3, bool), fallback=False,
    ...           distance_km=np.array([[1.0, 2.0], [1.0, 2.0], [3.0, np.nan]]),
    ...           transport_cost_per_km=0.0)
    >>> out = evaluate(inst, sa.allocate(p, "first_available"))
    >>> out.as_dict()["first_preference"], out.as_dict()["unplaced"]
    (0.666..., 0.333...)
    >>> out.group_dict("target")["specialist"]["children"]  # no specialist column
    0.0
    """
    if fallback is None:
        fallback = bool(instance.fallback)
    problem = instance.problem
    if allocation.assignment.shape != (problem.n_children,):
        raise ValueError(
            "allocation: made for another problem "
            f"({allocation.assignment.shape[0]} children, instance has "
            f"{problem.n_children})"
        )
    assign = allocation.assignment
    final = la_fallback(instance, assign) if fallback else assign
    envy = class_justified_envy(problem, assign)
    return outcome_arrays(instance, assign, final, envy)


def class_justified_envy(
    problem: Problem, assignment: NDArray[Any]
) -> NDArray[np.bool_]:
    """Justified envy judged by the settings' real priorities, shape (N,).

    A problem whose ties were broken by a lottery (:func:`sendalloc.break_ties`)
    is judged by its recorded priority classes: a child who only loses a
    lottery draw to a child of the same class is not wronged. Otherwise the
    same as :func:`sendalloc.properties.justified_envy`.

    Returns
    -------
    ndarray of bool, shape (N,)
    """
    if problem.lottery is not None:
        problem = dataclasses.replace(problem, priority=problem.lottery.priority_class)
    return justified_envy(problem, assignment)
