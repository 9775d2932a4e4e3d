"""Multi-year projections: years chained, the children still waiting carried over.

Each year of a projection is that year's sample of new plans and transfers,
followed by the children still without a place at the previous year's end, one
year older (see docs/dynamics.md). The places are carried from year to year per
policy (:class:`~sendalloc._engine.year.Places`); the children sampled each year
and the caseload do not depend on the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.events import YearOutcome
from sendalloc._engine.streams import generator
from sendalloc._engine.year import (
    initial_places,
    release_fraction,
    resolve_plans,
    run_instance_year,
    transfer_ages,
    waiting_policy,
)
from sendalloc.errors import InvalidScenarioError
from sendalloc.population import Children
from sendalloc.problem import Allocation, Problem
from sendalloc.scenario.sections import StatusQuoSpec

if TYPE_CHECKING:
    from sendalloc.scenario import Instance, Scenario

__all__ = ["ProjectedYear", "project", "simulate_projection", "year_samples"]


def year_samples(
    scenario: Any, years: int, ss: np.random.SeedSequence
) -> tuple[list[Instance], list[int]]:
    """The instances of each year of a run and the caseload at each year's start.

    Year 0 is drawn from the same stream as the annual mode's sample of the run
    (so the modes compare on the same children). The caseload grows by the
    year's new plans and shrinks by ``Binomial(caseload, leave_rate)`` plans
    ending; it does not depend on the mechanism.
    """
    first = scenario.sample(generator(ss, "instance"))
    insts = [first]
    pop = scenario.population
    if years > 1 and pop is None:
        raise InvalidScenarioError(
            f"{scenario.source}: mode = 'multi_year' needs a [population] section "
            "(the caseload is projected from it)"
        )
    caseload = [int(pop.plans) if pop is not None else first.problem.n_children]
    dyn = scenario.dynamics
    for y in range(1, years):
        g = generator(ss, "caseload", y)
        prev = insts[-1]
        n_new = int((~prev.children.transfer).sum())
        c = caseload[-1] + n_new - int(g.binomial(caseload[-1], dyn.leave_rate))
        c = max(c, 1)
        caseload.append(c)
        rate = pop.new_plan_rate * (1.0 + dyn.new_plan_growth) ** y
        sc = replace(scenario, population=replace(pop, plans=c, new_plan_rate=rate))
        insts.append(sc.sample(g))
    return insts, caseload


@dataclass(frozen=True, slots=True, eq=False)
class _Carry:
    """Children still without a place at a year's end, as they enter the next.

    Columns as :class:`~sendalloc.population.Children` (age already + 1,
    ``plan_day`` already counted back from the new 1 January), with their
    rankings, priorities, lists and list distances, filtered to the settings
    that admit the new age.
    """

    children: Children
    prefs: NDArray[np.int32]
    lists: NDArray[np.int32]
    distance_km: NDArray[np.float64]
    wish: NDArray[np.int32]
    off_list_wish: NDArray[np.bool_]
    aged_out: int


def _compact(
    rows: NDArray[Any], keep: NDArray[np.bool_], *others: NDArray[Any]
) -> list[NDArray[Any]]:
    """Keep the ``keep`` entries of each row, in order, left-aligned; -1 / nan pad."""
    n = rows.shape[0]
    width = int(keep.sum(axis=1).max()) if n else 0
    src = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    ok = np.take_along_axis(keep, src, axis=1)
    out = [np.where(ok, np.take_along_axis(rows, src, axis=1), -1)]
    for o in others:
        out.append(np.where(ok, np.take_along_axis(o, src, axis=1), np.nan))
    return out


def _carry_over(inst: Instance, out: YearOutcome, year: int) -> _Carry:
    """The children of ``inst`` carried into the next year (see docs/dynamics.md).

    Every child still without a place at the year's end (waiting, held or in
    consultation) is carried, one year older, unless they age out: their new
    age is over 25, or no setting they ranked (with no ranking: on their list)
    admits it, which is how a phase transfer ends a wait for the old phase.
    Rankings and lists keep only the settings that admit the new age.
    """
    c, st = inst.children, inst.settings
    prefs = np.asarray(inst.problem.preferences)
    lists = np.asarray(inst.lists)
    age = c.age.astype(np.int64) + 1
    lo = np.asarray(st.min_age, dtype=np.int64)
    hi = np.asarray(st.max_age, dtype=np.int64)

    def admits(rows: NDArray[Any]) -> NDArray[np.bool_]:
        s = np.maximum(rows, 0)
        a = age[:, None]
        return np.asarray((rows >= 0) & (lo[s] <= a) & (hi[s] >= a))

    p_ok, l_ok = admits(prefs), admits(lists)
    had_p, had_l = (prefs >= 0).any(axis=1), (lists >= 0).any(axis=1)
    gone = np.where(had_p, ~p_ok.any(axis=1), had_l & ~l_ok.any(axis=1))
    unplaced = out.assignment == -1
    aged_out = unplaced & ((age > 25) | gone)
    k = np.flatnonzero(unplaced & ~aged_out)
    posn = np.empty(c.n, dtype=np.int64)
    posn[np.asarray(inst.problem.order)] = np.arange(c.n)
    k = k[np.lexsort((posn[k], out.arrival_day[k]))]  # plan day, then order
    (pr,) = _compact(prefs[k], p_ok[k])
    li, dist = _compact(lists[k], l_ok[k], np.asarray(inst.distance_km)[k])
    ids = tuple(str(c.id[j]) if "/" in c.id[j] else f"{c.id[j]}/y{year + 1}" for j in k)
    kids = Children._trusted(
        ids,
        c.need[k],
        age[k],
        c.x_km[k],
        c.y_km[k],
        out.arrival_day[k].astype(np.int64) - 365,
        c.severity[k],
        c.specialist[k],
        np.zeros(k.size, dtype=bool),
        c.looked_after[k],
        c.rural[k],
    )
    return _Carry(
        kids,
        pr.astype(np.int32),
        li.astype(np.int32),
        dist.astype(np.float64),
        np.asarray(inst.wish)[k],
        np.asarray(inst.off_list_wish)[k],
        int(aged_out.sum()),
    )


def _pad(a: NDArray[Any], width: int, fill: Any) -> NDArray[Any]:
    out = np.full((a.shape[0], width), fill, dtype=a.dtype)
    out[:, : a.shape[1]] = a
    return out


def _with_carried(inst: Instance, carry: _Carry | None) -> Instance:
    """The year's sampled children followed by the children carried into it.

    Carried children come first in the processing order (by plan day, then
    last year's order: they are already sorted so) and have the lowest
    priority everywhere; they never enter a batch, so neither changes who the
    batches place.
    """
    if carry is None or carry.children.n == 0:
        return inst
    a, b = inst.children, carry.children
    p = inst.problem
    n, nc = a.n, b.n
    kids = Children._trusted(
        a.id + b.id,
        np.concatenate([a.need, b.need]),
        np.concatenate([a.age, b.age]),
        np.concatenate([a.x_km, b.x_km]),
        np.concatenate([a.y_km, b.y_km]),
        np.concatenate([a.plan_day, b.plan_day]),
        np.concatenate([a.severity, b.severity]),
        np.concatenate([a.specialist, b.specialist]),
        np.concatenate([a.transfer, b.transfer]),
        np.concatenate([a.looked_after, b.looked_after]),
        np.concatenate([a.rural, b.rural]),
    )
    lw = max(p.preferences.shape[1], carry.prefs.shape[1])
    prefs = np.concatenate(
        [_pad(np.asarray(p.preferences), lw, -1), _pad(carry.prefs, lw, -1)]
    )
    base = int(np.max(p.priority, initial=0)) + 1
    prio = np.concatenate(
        [
            _pad(np.asarray(p.priority), lw, 0),
            np.repeat(base + np.arange(nc, dtype=np.int64)[:, None], lw, axis=1),
        ]
    )
    order = np.concatenate([n + np.arange(nc), np.asarray(p.order)])
    problem = Problem.from_arrays(
        p.capacity,
        prefs,
        priority=prio,
        order=order,
        child_ids=kids.id,
        setting_ids=p.setting_ids,
    )
    kw = max(inst.lists.shape[1], carry.lists.shape[1])
    return replace(
        inst,
        problem=problem,
        children=kids,
        lists=np.concatenate([_pad(inst.lists, kw, -1), _pad(carry.lists, kw, -1)]),
        wish=np.concatenate([inst.wish, carry.wish]),
        off_list_wish=np.concatenate([inst.off_list_wish, carry.off_list_wish]),
        distance_km=np.concatenate(
            [_pad(inst.distance_km, kw, np.nan), _pad(carry.distance_km, kw, np.nan)]
        ),
    )


def simulate_projection(
    scenario: Scenario,
    mechanism: str | Callable[..., Allocation] = "first_available",
    *,
    years: int | None = None,
    rng: Any = None,
) -> list[tuple[Instance, YearOutcome]]:
    """Project several years: each year's children against the places carried over.

    Parameters
    ----------
    scenario : Scenario
    mechanism : str or callable, default "first_available"
    years : int, optional
        Default ``scenario.dynamics.years``.
    rng : int, numpy.random.SeedSequence or None
        Root of the run's streams (as one run of :func:`sendalloc.simulate`).

    Returns
    -------
    list of (Instance, YearOutcome)
        One pair per year. Each year's instance is that year's sample followed
        by the children carried into it: those still without a place at the
        previous year's end, one year older, with ``plan_day <= 0`` (counted
        back from the new 1 January), their rankings and lists less the
        settings that no longer admit their age. Children who age out of every
        setting they ranked are not carried (see docs/dynamics.md).

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.dynamic import simulate_projection
    >>> sc = sa.load_scenario("london_borough")
    >>> proj = simulate_projection(sc, years=2, rng=0)
    >>> len(proj), proj[1][0].children.n > 0
    (2, True)
    """
    ss = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)
    n_years = int(scenario.dynamics.years if years is None else years)
    insts, _ = year_samples(scenario, n_years, ss)
    return [(yr.inst, yr.out) for yr in project(scenario, insts, mechanism, ss)]


@dataclass(frozen=True, slots=True, eq=False)
class ProjectedYear:
    inst: Instance  # the year's sample followed by the children carried into it
    out: YearOutcome
    free: NDArray[np.int64]  # free places at the start
    cap: NDArray[np.int64]  # capacity at the start
    carried_in: int  # children carried into the year (the last rows of inst)
    aged_out: int  # without a place at the year's end but not carried on


def project(
    scenario: Any,
    insts: Sequence[Instance],
    mech: str | Callable[..., Allocation],
    ss: np.random.SeedSequence,
    *,
    statutory: StatusQuoSpec | None = None,
) -> list[ProjectedYear]:
    """Each year's outcome, carrying the children still waiting into the next.

    With ``statutory``, today's process places the children instead of
    ``mech`` (year ``y`` draws its uniforms from the run's ``statutory``
    stream ``y``).
    """
    settings = insts[0].settings
    plans = resolve_plans(scenario, settings)
    places = initial_places(settings, plans)
    frac = release_fraction(settings, transfer_ages(scenario))
    waiting = waiting_policy(scenario)
    outs: list[ProjectedYear] = []
    carry: _Carry | None = None
    for y, sample in enumerate(insts):
        inst = _with_carried(sample, carry)
        cap_start = places.cap.copy()
        leave_rng = generator(ss, "leavers", y)
        mech_rng = generator(ss, "mechanism", y)
        out, free = run_instance_year(
            inst,
            mech,
            scenario.dynamics,
            waiting,
            places,
            frac,
            plans,
            y,
            leave_rng,
            mech_rng,
            statutory=statutory,
            statutory_rng=None if statutory is None else generator(ss, "statutory", y),
        )
        n_in = inst.children.n - sample.children.n
        carry = _carry_over(inst, out, y)
        outs.append(ProjectedYear(inst, out, free, cap_start, n_in, carry.aged_out))
    return outs
