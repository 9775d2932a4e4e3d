"""Metric names, breakdown groupings and what an instance must offer to be measured.

Public names are re-exported by :mod:`sendalloc.metrics`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sendalloc.population import KINDS, NEEDS, PHASES
from sendalloc.problem import Problem

__all__ = [
    "AREAS",
    "GROUPINGS",
    "GROUP_METRICS",
    "METRICS",
    "NO_PREFERENCE",
    "PROCESS_COLUMNS",
    "PROCESS_METRICS",
    "TARGET_GROUPS",
    "WALKING_DISTANCE_KM",
    "InstanceLike",
    "group_labels",
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
