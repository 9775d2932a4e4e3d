"""The cost of the gap: the extra places (and pounds) that bring a metric to a target.

Public names are re-exported by :mod:`sendalloc.capacity`.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import largest_remainder
from sendalloc._engine.runner import check_runs, check_seed, resolve_scenario
from sendalloc._engine.streams import (
    BOOTSTRAP,
    Root,
    SeedLike,
    child,
)
from sendalloc.mechanisms.first_available import serial_dictatorship_kernel
from sendalloc.metrics import TARGET_GROUPS, fallback_assignment, la_fallback
from sendalloc.population import KINDS, NEEDS

if TYPE_CHECKING:
    from sendalloc.scenario import Scenario
from sendalloc._capacity.summary import first_instances

__all__ = [
    "TARGET_GROUPS_OR_ALL",
    "TARGET_METRICS",
    "Cost",
    "PlacesNeeded",
    "places_needed",
]


#: Metrics :func:`places_needed` can target; all are shares of children, and
#: all but ``unplaced`` are better when higher.
TARGET_METRICS: tuple[str, ...] = (
    "placed_on_list",
    "any_preference",
    "top3_preference",
    "first_preference",
    "unplaced",
)


#: The children a target of :func:`places_needed` may be for: everyone, or a
#: group of the target breakdown (:data:`sendalloc.metrics.TARGET_GROUPS`).
TARGET_GROUPS_OR_ALL: tuple[str, ...] = ("all", *TARGET_GROUPS)


# --------------------------------------------------------------------------- metric


def _met(inst: Any, final: NDArray[Any], metric: str) -> NDArray[np.bool_]:
    """Whether each child meets the metric (is placed on their list, ...), (N,)."""
    if metric == "unplaced":
        return np.asarray(final >= 0)
    if metric == "placed_on_list":
        targets = np.asarray(inst.lists)
    else:
        prefs = np.asarray(inst.problem.preferences)
        width = {"first_preference": 1, "top3_preference": 3}.get(
            metric, prefs.shape[1]
        )
        targets = prefs[:, :width]
    return np.asarray(((targets == final[:, None]) & (final[:, None] >= 0)).any(axis=1))


def _metric(
    inst: Any, final: NDArray[Any], metric: str, members: NDArray[np.bool_]
) -> float:
    """The metric's share among ``members`` (for ``unplaced``, of them unplaced)."""
    n = int(members.sum())
    if n == 0:
        return math.nan
    met = _met(inst, final, metric)[members]
    hits = int((~met).sum()) if metric == "unplaced" else int(met.sum())
    return hits / n


def _unmet(
    inst: Any, final: NDArray[Any], metric: str, members: NDArray[np.bool_]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Children of ``members`` failing the metric, and the settings that would do.

    Returns the (U, W) array of those settings (-1 padded) and the children.
    """
    if metric in ("placed_on_list", "unplaced"):
        targets = np.asarray(inst.lists)
    else:
        prefs = np.asarray(inst.problem.preferences)
        width = {"first_preference": 1, "top3_preference": 3}.get(
            metric, prefs.shape[1]
        )
        targets = prefs[:, :width]
    ok = ((targets == final[:, None]) & (final[:, None] >= 0)).any(axis=1)
    kids = np.flatnonzero(~ok & members)
    return targets[kids], kids


def _members(inst: Any, group: str) -> NDArray[np.bool_]:
    """The children a target is for: everyone, or one group of the target breakdown."""
    n = int(inst.problem.n_children)
    if group == "all":
        return np.ones(n, dtype=bool)
    flag = np.asarray(inst.children.specialist, dtype=bool)
    return flag if group == TARGET_GROUPS[0] else ~flag


@dataclass(frozen=True, slots=True)
class Cost:
    """What a number of places costs: a point estimate and its 95% interval (GBP).

    Attributes
    ----------
    mean, ci_low, ci_high : float
        NaN when not estimated (a kind of setting with places needed has no
        cost in the scenario).
    """

    mean: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float | None]:
        """``{"mean", "ci_low", "ci_high"}``, NaN as None (JSON null)."""

        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "mean": num(self.mean),
            "ci_low": num(self.ci_low),
            "ci_high": num(self.ci_high),
        }

    @property
    def defined(self) -> bool:
        """Whether it was estimated."""
        return math.isfinite(self.mean)


@dataclass(frozen=True, slots=True)
class PlacesNeeded:
    """Extra places needed for a metric to reach a target, and what they cost.

    Attributes
    ----------
    metric : str
    target : float
    by : str
        How the places were spread: by setting kind, or by the children's need.
    extra : float
        Total extra places (point estimate, on the mean over runs).
    ci_low, ci_high : float
        95% bootstrap interval of ``extra`` (resampling runs); ``inf`` when
        the target is out of reach in a resample.
    groups : tuple of str
        Group labels (kinds or needs, as ``by``).
    by_group : ndarray of float64, shape (G,)
        How the ``extra`` places are split between groups.
    baseline : float
        The metric's mean over runs with no extra places.
    achieved : float
        The metric's mean over runs with ``ceil(extra)`` extra places.
    runs : int
    curve : tuple of (ndarray, ndarray)
        Total extra places evaluated, and the metric's mean at each.
    seed : int or numpy.random.SeedSequence
        The root of the rounds' streams and of the bootstrap: passed back as
        ``seed``, the same answer.
    group : str
        The children the target is for: ``"all"``, or a group of the target
        breakdown (``"specialist"``: the children who need specialist
        provision).
    by_kind : ndarray of float64, shape (len(KINDS),)
        The places by the kind of setting they are added at (mean over runs;
        sums to ``extra``).
    by_need : ndarray of float64, shape (len(NEEDS),)
        The places by the primary need of the children they serve: ``extra``
        split in proportion to the children of each need who meet the metric
        with the places and not without them.
    annual_cost : Cost
        What the places cost a year: each added place at its setting's cost
        per place (place funding and top-up; no transport).
    capital_cost : Cost
        What they cost to build: each place at its kind's capital cost per new
        place (the scenario's ``costs.capital_per_place``); not estimated when
        a kind with places has none.
    cost_sources : tuple of str
        The source ids the scenario cites for those costs.
    """

    metric: str
    target: float
    by: str
    extra: float
    ci_low: float
    ci_high: float
    groups: tuple[str, ...]
    by_group: NDArray[np.float64]
    baseline: float
    achieved: float
    runs: int
    curve: tuple[NDArray[np.float64], NDArray[np.float64]]
    seed: Root = 0
    group: str = "all"
    by_kind: NDArray[np.float64] = field(default_factory=lambda: np.zeros(len(KINDS)))
    by_need: NDArray[np.float64] = field(default_factory=lambda: np.zeros(len(NEEDS)))
    annual_cost: Cost = field(
        default_factory=lambda: Cost(math.nan, math.nan, math.nan)
    )
    capital_cost: Cost = field(
        default_factory=lambda: Cost(math.nan, math.nan, math.nan)
    )
    cost_sources: tuple[str, ...] = ()

    def text(self) -> str:
        """A short readable report.

        Returns
        -------
        str
        """
        who = {
            "all": "all children",
            "specialist": "the children who need specialist provision",
            "not_specialist": "the children who do not need specialist provision",
        }.get(self.group, self.group)
        lines = textwrap.wrap(
            f"Extra places for {self.metric} to reach {100 * self.target:.0f}% of "
            f"{who} under first-available allocation: {self.extra:.0f} "
            f"(95% interval {self.ci_low:.0f}-{self.ci_high:.0f}); "
            f"now {100 * self.baseline:.1f}%, with them {100 * self.achieved:.1f}%.",
            width=88,
        )
        lines += [
            f"  a year (place funding and top-up): {_money(self.annual_cost)}",
            f"  to build (capital): {_money(self.capital_cost)}",
            "  where, by kind of setting:",
        ]
        for i in np.argsort(-self.by_kind, kind="stable").tolist():
            if self.by_kind[i] >= 0.5:
                lines.append(f"    {KINDS[i]:<24} {self.by_kind[i]:8.0f}")
        lines.append("  for whom, by primary need:")
        for i in np.argsort(-self.by_need, kind="stable").tolist():
            if self.by_need[i] >= 0.5:
                lines.append(f"    {NEEDS[i]:<24} {self.by_need[i]:8.0f}")
        if self.cost_sources:
            lines += textwrap.wrap(
                "costs cite: " + ", ".join(self.cost_sources),
                width=88,
                initial_indent="  ",
                subsequent_indent="    ",
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The answer as plain JSON data (``sendalloc gap --json``).

        Returns
        -------
        dict
            ``metric, target, group, mechanism, extra {mean, ci_low, ci_high},
            baseline, achieved, by, by_group, by_kind, by_need,
            annual_cost_gbp, capital_cost_gbp {mean, ci_low, ci_high},
            cost_sources, runs``: the shape of an entry of the achievability
            report's ``gap`` list (docs/report.md). Undefined values are None.
        """

        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        def named(labels: Sequence[str], v: NDArray[np.float64]) -> dict[str, float]:
            return {g: float(x) for g, x in zip(labels, np.asarray(v), strict=True)}

        return {
            "metric": self.metric,
            "target": float(self.target),
            "group": self.group,
            "mechanism": "first_available",
            "extra": {
                "mean": num(self.extra),
                "ci_low": num(self.ci_low),
                "ci_high": num(self.ci_high),
            },
            "baseline": num(self.baseline),
            "achieved": num(self.achieved),
            "by": self.by,
            "by_group": named(self.groups, self.by_group),
            "by_kind": named(KINDS, self.by_kind),
            "by_need": named(NEEDS, self.by_need),
            "annual_cost_gbp": self.annual_cost.to_dict(),
            "capital_cost_gbp": self.capital_cost.to_dict(),
            "cost_sources": list(self.cost_sources),
            "runs": int(self.runs),
        }


def _money(c: Cost) -> str:
    if not c.defined:
        return "not estimated (the scenario gives no cost for a kind of setting)"

    def m(x: float) -> str:
        return f"£{x / 1e6:,.1f}m" if abs(x) >= 1e6 else f"£{x:,.0f}"

    if not (math.isfinite(c.ci_low) and math.isfinite(c.ci_high)):
        return m(c.mean)
    return f"{m(c.mean)} (95% interval {m(c.ci_low)}-{m(c.ci_high)})"


def _split(total: int, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """Split an integer ``total`` in proportion to ``weights`` (sum > 0)."""
    return largest_remainder(total * weights / weights.sum(), total)


def _cost_sources(scenario: Any, kinds: set[int]) -> tuple[str, ...]:
    """The source ids a scenario cites for the costs of places of ``kinds``."""
    cites = dict(getattr(scenario, "citations", {}) or {})
    names = {KINDS[k] for k in kinds}
    keys = [
        f"{key}.cost" for key, g in getattr(scenario, "groups", ()) if g.kind in names
    ]
    keys += [f"costs.capital_per_place.{k}" for k in sorted(names)]
    out: dict[str, None] = {}
    for key in keys:
        c = cites.get(key)
        for sid in [c] if isinstance(c, str) else list(c or ()):
            if sid != "assumption":
                out[sid] = None
    return tuple(out)


def places_needed(
    scenario: Scenario | str | os.PathLike[str],
    target: float = 0.9,
    *,
    metric: str = "placed_on_list",
    by: str = "kind",
    group: str = "all",
    runs: int = 100,
    seed: SeedLike = 0,
    n_boot: int = 400,
) -> PlacesNeeded:
    """Extra places that bring a metric of first-available allocation to a target.

    Parameters
    ----------
    scenario : Scenario, str or path
    target : float, default 0.9
        The share to reach (for ``unplaced``, the share not to exceed).
    metric : str, default "placed_on_list"
        One of :data:`TARGET_METRICS`.
    by : {"kind", "need"}
        Spread the places by setting kind or by children's need (the answer
        gives both splits either way: ``by_kind``, ``by_need``).
    group : {"all", "specialist", "not_specialist"}
        The children the target is for: every child (default), or a group of
        the target breakdown (``"specialist"``, the children who need
        specialist provision: 90% of *them* placed on their lists). Every
        child is still placed, in the LA's order; only the metric and the
        unmet demand that guides the places are the group's.
    runs : int, default 100
        Simulated rounds (the first ``runs`` of :func:`sendalloc.simulate` with
        this seed: common random numbers).
    seed : int, SeedSequence, Generator or None, default 0
        As for :func:`sendalloc.simulate`; it also seeds the bootstrap. The
        answer's ``seed`` records the root used.
    n_boot : int, default 400
        Bootstrap resamples of the runs for the interval.

    Returns
    -------
    PlacesNeeded

    Raises
    ------
    ValueError
        For an unknown metric, grouping or group, a target outside (0, 1), or a
        target out of reach even with unlimited places (children with empty
        lists can never be placed on them).

    Notes
    -----
    Method. (1) Sample the rounds and run first-available allocation and the
    scenario's LA fallback. (2) In each round, every child of ``group`` who
    fails the metric (not placed on their list, not at a ranked setting, ...)
    spreads a unit of demand equally over the settings that would satisfy
    them; summing gives the unmet demand per setting, and per setting kind (or
    need of the child). (3) ``X`` extra places are split between kinds (or
    needs) in proportion to their unmet demand over all rounds, and within
    one, in each round, between its settings in proportion to that round's
    unmet demand there (largest-remainder rounding). (4) The metric's mean over
    rounds is a (nearly) increasing function of ``X``; bisection on integers
    finds the smallest ``X`` reaching the target. (5) The interval resamples the
    rounds (bootstrap) and finds where each resample's mean curve,
    interpolated linearly between the evaluated ``X``, crosses the target. The
    same rounds are used at every ``X`` (common random numbers), so the curve
    is smooth. Placing capacity where the baseline demand went unmet is a
    heuristic, not an optimum: the answer is an upper bound on the places truly
    needed.

    Costs. In each round, the ``X`` places cost, a year, the sum of their
    settings' costs per place, and, to build, the sum of their kinds' capital
    costs per place (``costs.capital_per_place``). The estimate is ``X`` times
    the mean cost per place over rounds; its interval takes, in each bootstrap
    resample, that resample's crossing times its mean cost per place: it
    carries the uncertainty of the number of places and of where they go.

    Examples
    --------
    >>> from sendalloc.capacity import places_needed
    >>> r = places_needed("london_borough", 0.95, runs=5, n_boot=50)
    >>> r.extra >= 0 and r.achieved >= 0.95
    True
    >>> bool(abs(r.by_kind.sum() - r.extra) < 1e-9)
    True
    >>> t = places_needed("london_borough", 0.9, group="specialist", runs=5,
    ...                   n_boot=50)
    >>> t.group, t.annual_cost.mean > 0, t.capital_cost.defined
    ('specialist', True, True)
    """
    if metric not in TARGET_METRICS:
        raise ValueError(
            f"metric: expected one of {', '.join(TARGET_METRICS)}, got {metric!r}"
        )
    if by not in ("kind", "need"):
        raise ValueError(f"by: expected 'kind' or 'need', got {by!r}")
    if group not in TARGET_GROUPS_OR_ALL:
        raise ValueError(
            f"group: expected one of {', '.join(TARGET_GROUPS_OR_ALL)}, got {group!r}"
        )
    if not 0 < target < 1:
        raise ValueError(f"target: expected a share in (0, 1), got {target!r}")

    sign = -1.0 if metric == "unplaced" else 1.0
    goal = sign * target
    runs, root = check_runs(runs), check_seed(seed)
    scen = resolve_scenario(scenario)
    insts = first_instances(scen, runs, root)
    members = [_members(inst, group) for inst in insts]
    labels = KINDS if by == "kind" else NEEDS
    n_groups = len(labels)

    # Baseline and unmet demand per (round, group, setting).
    demand: list[NDArray[np.float64]] = []  # per run, (G, M)
    base_final: list[NDArray[Any]] = []
    for inst, mem in zip(insts, members, strict=True):
        p = inst.problem
        a = serial_dictatorship_kernel(p.capacity, p.preferences, p.order)
        final = la_fallback(inst, a) if inst.fallback else a
        base_final.append(np.asarray(final))
        targets, kids = _unmet(inst, final, metric, mem)
        m = p.n_settings
        w = np.zeros((n_groups, m))
        valid = targets >= 0
        cnt = valid.sum(axis=1)
        rows, cols = np.nonzero(valid)
        wt = 1.0 / cnt[rows]
        s = targets[rows, cols]
        if by == "kind":
            g = np.asarray(inst.settings.kind, dtype=np.int64)[s]
        else:
            g = np.asarray(inst.children.need, dtype=np.int64)[kids[rows]]
        np.add.at(w, (g, s), wt)
        demand.append(w)
    group_demand = np.sum([w.sum(axis=1) for w in demand], axis=0)
    if group_demand.sum() == 0:
        group_share = np.full(n_groups, 1.0 / n_groups)
    else:
        group_share = group_demand / group_demand.sum()

    def extra_for(x: int, r: int) -> NDArray[np.int64]:
        w = demand[r]
        m = w.shape[1]
        out = np.zeros(m, dtype=np.int64)
        if x == 0:
            return out
        per_group = _split(x, group_share) if group_share.sum() else None
        if per_group is None:
            return out
        for g in np.flatnonzero(per_group).tolist():
            wg = w[g]
            if wg.sum() <= 0:  # no unmet demand for this group in this round
                if by == "kind":
                    wg = (np.asarray(insts[r].settings.kind) == g).astype(np.float64)
                else:
                    wg = w.sum(axis=0)
                if wg.sum() <= 0:
                    wg = np.ones(m)
            out += _split(int(per_group[g]), wg)
        return out

    def final_with(x: int, r: int) -> NDArray[Any]:
        inst = insts[r]
        p = inst.problem
        cap = (p.capacity + extra_for(x, r)).astype(np.int32)
        a = serial_dictatorship_kernel(cap, p.preferences, p.order)
        return np.asarray(
            fallback_assignment(cap, p.order, inst.lists, a) if inst.fallback else a
        )

    cache: dict[int, NDArray[np.float64]] = {}

    def per_run(x: int) -> NDArray[np.float64]:
        if x not in cache:
            vals = np.empty(runs)
            for r, inst in enumerate(insts):
                vals[r] = sign * _metric(inst, final_with(x, r), metric, members[r])
            cache[x] = vals
        return cache[x]

    def mean(x: int) -> float:
        return float(np.nanmean(per_run(x)))

    baseline = mean(0)
    hi = 0
    if baseline < goal:
        n_total = sum(i.problem.n_children for i in insts) / runs
        lo, hi = 0, max(1, int(group_demand.sum() / runs))
        limit = max(16 * n_total, 64)
        while mean(hi) < goal:  # invariant: mean(lo) < goal
            if hi > limit:
                best = sign * mean(hi)
                raise ValueError(
                    f"target {target} for {metric} is out of reach: with {hi} extra "
                    f"places the mean is {best:.3f} (children with empty lists or "
                    "rankings can never be placed on them)"
                )
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if mean(mid) >= goal:
                hi = mid
            else:
                lo = mid
        # A few evenly spaced points so the bootstrap curve is well resolved.
        # and a point beyond, so resamples that need more still cross in range.
        for x in np.unique(np.linspace(0, hi, 9).round().astype(int)).tolist():
            per_run(x)
        per_run(2 * hi)
    xs = np.array(sorted(cache), dtype=np.float64)
    mat = np.array([cache[int(x)] for x in xs])  # (X, runs)

    rng = np.random.default_rng(child(root, BOOTSTRAP))
    idx = rng.integers(0, runs, size=(n_boot, runs))
    curves = np.nanmean(mat[:, idx], axis=2).T  # (n_boot, X)
    boot = np.array([_crossing(xs, c, goal) for c in curves])
    if np.isfinite(boot).all():
        lo_ci, hi_ci = np.percentile(boot, [2.5, 97.5])
    else:
        finite = boot[np.isfinite(boot)]
        lo_ci = float(np.percentile(finite, 2.5)) if finite.size else math.inf
        hi_ci = math.inf
    shares = _split(hi, group_share).astype(np.float64) if hi else np.zeros(n_groups)

    # Where the hi places go, what they cost, and whom they serve, round by round.
    capital = (
        scen.costs.capital() if hasattr(scen, "costs") else np.full(len(KINDS), np.nan)
    )
    by_kind = np.zeros(len(KINDS))
    gain = np.zeros(len(NEEDS))
    year_each = np.zeros(runs)  # cost a year per added place, in each round
    build_each = np.zeros(runs)
    used: set[int] = set()
    for r, inst in enumerate(insts):
        add = extra_for(hi, r)
        kind = np.asarray(inst.settings.kind, dtype=np.int64)
        per_kind = np.bincount(kind, weights=add, minlength=len(KINDS))
        by_kind += per_kind
        used |= set(np.flatnonzero(per_kind).tolist())
        if hi:
            year_each[r] = float(np.dot(add, np.asarray(inst.settings.cost))) / hi
            build_each[r] = float(np.dot(per_kind, capital)) / hi
            need = np.asarray(inst.children.need, dtype=np.int64)
            now = _met(inst, final_with(hi, r), metric) & members[r]
            before = _met(inst, base_final[r], metric) & members[r]
            gain += np.bincount(
                need, weights=now.astype(float) - before, minlength=len(NEEDS)
            )
    by_kind /= runs
    by_need = gain * hi / gain.sum() if hi and gain.sum() > 0 else np.zeros(len(NEEDS))
    annual = _cost(hi, boot, year_each, idx)
    build = _cost(hi, boot, build_each, idx)
    return PlacesNeeded(
        metric=metric,
        target=target,
        by=by,
        extra=float(hi),
        ci_low=float(lo_ci),
        ci_high=float(hi_ci),
        groups=tuple(labels),
        by_group=shares,
        baseline=sign * baseline,
        achieved=sign * mean(hi),
        runs=runs,
        curve=(xs, sign * mat.mean(axis=1)),
        seed=root,
        group=group,
        by_kind=by_kind,
        by_need=by_need,
        annual_cost=annual,
        capital_cost=build,
        cost_sources=_cost_sources(scen, used),
    )


def _cost(
    places: int,
    boot: NDArray[np.float64],
    each: NDArray[np.float64],
    idx: NDArray[np.int64],
) -> Cost:
    """What ``places`` cost at ``each`` round's cost per place, with an interval.

    ``boot`` holds each bootstrap resample's places (``inf`` where the target
    was out of reach) and ``idx`` its rounds: the interval is that of the
    resample's places times its mean cost per place.
    """
    if places == 0:
        return Cost(0.0, 0.0, 0.0)
    if not np.isfinite(each).all():
        return Cost(math.nan, math.nan, math.nan)
    spend = boot * each[idx].mean(axis=1)
    finite = spend[np.isfinite(spend)]
    low = float(np.percentile(finite, 2.5)) if finite.size else math.inf
    high = float(np.percentile(spend, 97.5)) if np.isfinite(spend).all() else math.inf
    return Cost(places * float(each.mean()), low, high)


def _crossing(xs: NDArray[np.float64], ys: NDArray[np.float64], goal: float) -> float:
    """Smallest x where the piecewise-linear curve (xs, ys) reaches goal."""
    ok = np.flatnonzero(ys >= goal)
    if ok.size == 0:
        return math.inf
    j = int(ok[0])
    if j == 0:
        return float(xs[0])
    x0, x1, y0, y1 = xs[j - 1], xs[j], ys[j - 1], ys[j]
    return float(x0 + (goal - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x1)
