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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._metrics.breakdowns import (
    Context,
    Outcome,
    outcome_arrays,
)
from sendalloc._metrics.common import (
    AREAS,
    GROUP_METRICS,
    GROUPINGS,
    METRICS,
    PROCESS_COLUMNS,
    PROCESS_METRICS,
    TARGET_GROUPS,
    WALKING_DISTANCE_KM,
    group_labels,
    transport_weight,
)
from sendalloc._metrics.common import InstanceLike as InstanceLike
from sendalloc._metrics.fallback import (
    fallback_assignment,
    la_fallback,
)
from sendalloc._metrics.process import ProcessInstanceLike as ProcessInstanceLike
from sendalloc._metrics.process import (
    process_values,
    rolls_after,
)
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
    "rolls_after",
    "transport_weight",
]


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
