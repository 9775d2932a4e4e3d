"""The metrics of one allocation, overall and broken down by group, vectorised.

Public names are re-exported by :mod:`sendalloc.metrics`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import safe_divide
from sendalloc._metrics.common import (
    GROUP_METRICS,
    GROUPINGS,
    METRICS,
    InstanceLike,
    group_labels,
    transport_weight,
)
from sendalloc.population import KINDS, SPECIALIST_KINDS

__all__ = ["Context", "Outcome", "outcome_arrays"]


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


def _specialist_codes() -> NDArray[np.int64]:
    return np.array([i for i, k in enumerate(KINDS) if k in SPECIALIST_KINDS], np.int64)


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
