"""One simulated year: :func:`run_year` (tier 1) and a sampled instance's year (tier 2).

:func:`run_year` checks its arguments and runs the event loop of
:mod:`sendalloc._engine.events`. The second tier prepares a sampled
:class:`~sendalloc.scenario.Instance` for it: leavers drawn from the settings'
rolls, capacity plans resolved to settings, the places carried from year to
year, and the scenario's ``[dynamics]`` policies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc import status_quo
from sendalloc._engine.events import (
    WAITING_POLICIES,
    Statutory,
    YearInputs,
    YearOutcome,
    run_events,
)
from sendalloc.errors import InvalidScenarioError
from sendalloc.problem import Allocation, Problem
from sendalloc.scenario import BATCHES, WAIT_ORDERS
from sendalloc.scenario.sections import StatusQuoSpec

if TYPE_CHECKING:
    from sendalloc.scenario import DynamicsSpec, Instance, Scenario

__all__ = [
    "Places",
    "Plans",
    "initial_places",
    "leave_rates",
    "release_fraction",
    "resolve_plans",
    "run_instance_year",
    "run_year",
    "simulate_instance_year",
    "statutory_inputs",
    "transfer_ages",
    "waiting_policy",
]


def _int_col(value: ArrayLike, name: str, n: int) -> NDArray[np.int64]:
    a = np.asarray(value)
    if a.shape != (n,) or (a.size and a.dtype.kind not in "iu"):
        raise ValueError(f"{name}: expected {n} integers, got shape {a.shape}")
    return a.astype(np.int64)


def run_year(
    problem: Problem,
    arrival_day: ArrayLike,
    *,
    transfer: ArrayLike | None = None,
    lists: ArrayLike | None = None,
    severity: ArrayLike | None = None,
    free: ArrayLike | None = None,
    leave_day: ArrayLike = (),
    leave_setting: ArrayLike = (),
    capacity_day: ArrayLike = (),
    capacity_setting: ArrayLike = (),
    capacity_places: ArrayLike = (),
    mechanism: str | Callable[..., Allocation] = "first_available",
    batch: str = "none",
    consultation_days: int = 15,
    waiting: str = "wait",
    wait_order: str = "first_come",
    moving_up: bool = False,
    rng: Any = None,
    trace: bool = False,
    statutory: Statutory | None = None,
) -> YearOutcome:
    """Simulate one year of arrivals, leavers and batches over a problem's places.

    Each child arrives on their ``arrival_day`` (the day their plan is
    finalised). A new plan (``transfer`` False) is, by ``batch``: given at once
    the first setting in the parent's ranking with a free place (``"none"``,
    the proposal taken literally); held until the next ``"monthly"`` or
    ``"termly"`` batch; or put through ``"consultation"``, asking one ranked
    setting at a time, each reply ``consultation_days`` later, taking it if a
    place is free then. Phase transfers are allocated together on their
    arrival day (their statutory date) by ``mechanism``; so are held new
    plans at each batch, and (with ``batch="none"``) new plans arriving on a
    batch day. A child with no ranked place then follows ``waiting``.

    A child with ``arrival_day <= 0`` is carried over from a previous year,
    still without a place on 31 December (day 0 is last year's 31 December,
    -364 its 1 January, and so on back). Carried children are on the waiting
    list from the start of 1 January: before any event of day 1 they are
    served in waiting-list order (first come by ``arrival_day``, or severity;
    ties by processing order), each taking the first setting in their ranking
    with a free place; the rest follow ``waiting`` again, keeping their place
    in the queue. They are never held for a batch or consulted, and
    ``transfer`` is ignored for them. Their ``days_waiting`` counts from their
    ``arrival_day``, so it includes the previous years.

    Parameters
    ----------
    problem : Problem
        ``capacity``: free places at the start of the year; ``preferences``,
        ``priority`` and ``order`` (the LA's processing order, which breaks ties
        between same-day events) as for an annual round.
    arrival_day : array_like of int, shape (N,)
        Day of the year, 1-365; ``<= 0`` for a child carried over from a
        previous year (see above).
    transfer : array_like of bool, shape (N,), optional
        Phase transfers (batched on their day). Default none.
    lists : array_like of int, shape (N, K), optional
        Tailored lists in the LA's order, -1 padded, for ``waiting="fallback"``;
        default the parents' rankings.
    severity : array_like of float, shape (N,), optional
        For ``wait_order="severity"`` (higher served first). Default 0.
    free : array_like of int, shape (M,), optional
        Free places at the start, which may be negative (a setting over capacity
        must lose that many pupils before a place frees). Default
        ``problem.capacity``.
    leave_day, leave_setting : array_like of int, shape (J,)
        A pupil leaves ``leave_setting[j]`` on ``leave_day[j]``: a place frees.
    capacity_day, capacity_setting, capacity_places : array_like of int, shape (P,)
        ``capacity_places[p]`` places open at a setting on a day.
    mechanism : str or callable, default "first_available"
        Allocates each batch (see :func:`sendalloc.allocate`).
    batch : {"none", "monthly", "termly", "consultation"}
    consultation_days : int, default 15
    waiting : {"wait", "fallback", "out_of_list"}
        ``wait``: join a waiting list for a ranked setting; ``fallback``: the
        first free setting on the tailored list, else wait for any setting on
        it; ``out_of_list``: an out-of-list placement at once (assignment -2).
        Waiting children are served as soon as a place they wait for frees,
        before any later arrival.
    wait_order : {"first_come", "severity"}
        Who among the waiting children gets a freed place: the earliest to
        join the list, or the most severe; ties by processing order.
    moving_up : bool, default False
        A placed (or out-of-list) child takes a freed place at a setting they
        ranked higher, after the waiting children; their old place frees in
        turn (a vacancy chain).
    rng : numpy.random.Generator, int or None
        For randomised batch mechanisms.
    trace : bool, default False
        Record every change of state (:attr:`YearOutcome.trace`).
    statutory : Statutory, optional
        Today's statutory process instead of ``batch``: every child not
        carried over arrives alone, the parent requests ``statutory.wish``,
        the LA replies ``consultation_days`` later, naming the request (a
        must-admit setting beyond its free places, up to its tolerance) or
        refusing it and naming its own choice (the first setting on
        ``lists`` with a place), or, with neither, the child follows
        ``waiting``; a refused parent may appeal, and the tribunal decides
        ``statutory.tribunal_days`` later (docs/status-quo.md). Built for a
        sampled instance by :func:`statutory_inputs`. The outcome is then a
        :class:`StatutoryOutcome`, with the per-child process outcomes.

    Returns
    -------
    YearOutcome
        A :class:`StatutoryOutcome` with ``statutory``.

    Notes
    -----
    Events are processed by (day, type, id). Types in order: capacity changes,
    leavers, consultation replies, arrivals held for a batch, batches,
    individual arrivals, tribunal decisions; ids are the child's position in
    ``problem.order`` (arrivals, replies, decisions) or the index of the
    leaver or capacity event. So places freed on a day are available to that
    day's arrivals, and waiting children take a freed place before anyone
    arriving that day. The loop is a numba kernel: O(E log E + P d) for E
    events, P freed places and d the number of children listing the freed
    setting; batches call the mechanism on the batch's children and the free
    places.

    Examples
    --------
    One place at Oak. Amy arrives on day 10 and takes it; Ben arrives on day 20
    and waits; Amy's place does not free, but a pupil leaves Oak on day 30.

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]})
    >>> y = run_year(p, [10, 20], leave_day=[30], leave_setting=[0])
    >>> y.assignment, y.first_day
    (array([0, 0], dtype=int32), array([10, 30], dtype=int32))
    >>> y.days_waiting
    array([ 0, 10], dtype=int32)
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem, got {type(problem).__name__}")
    n, m = problem.n_children, problem.n_settings
    if batch not in BATCHES:
        raise ValueError(f"batch: expected one of {', '.join(BATCHES)}, got {batch!r}")
    if waiting not in WAITING_POLICIES:
        raise ValueError(
            f"waiting: expected one of {', '.join(WAITING_POLICIES)}, got {waiting!r}"
        )
    if wait_order not in WAIT_ORDERS:
        raise ValueError(
            f"wait_order: expected one of {', '.join(WAIT_ORDERS)}, got {wait_order!r}"
        )
    if consultation_days < 1:
        raise ValueError(f"consultation_days: expected >= 1, got {consultation_days}")
    day = _int_col(arrival_day, "arrival_day", n)
    if n and (day > 365).any():
        i = int(np.flatnonzero(day > 365)[0])
        raise ValueError(
            f"arrival_day[{i}] = {int(day[i])}: expected a day in 1..365 "
            "(or <= 0: carried over from a previous year)"
        )
    carried = day <= 0
    tr = (
        np.zeros(n, dtype=bool)
        if transfer is None
        else np.asarray(transfer, dtype=bool).reshape(n)
    ) & ~carried
    prefs = np.ascontiguousarray(problem.preferences, dtype=np.int64)
    lst = prefs if lists is None else np.asarray(lists, dtype=np.int64)
    if lst.ndim != 2 or lst.shape[0] != n or (lst >= m).any():
        raise ValueError(f"lists: expected shape ({n}, K) of setting indices or -1")
    lst = np.ascontiguousarray(lst)
    if statutory is not None:
        _check_statutory(statutory, n, m, lst.shape[1])
    sev = np.zeros(n) if severity is None else np.asarray(severity, dtype=np.float64)
    free0 = problem.capacity.astype(np.int64) if free is None else np.asarray(free)
    free0 = _int_col(free0, "free", m).copy()
    ld = np.asarray(leave_day, dtype=np.int64).reshape(-1)
    ls = np.asarray(leave_setting, dtype=np.int64).reshape(-1)
    cd = np.asarray(capacity_day, dtype=np.int64).reshape(-1)
    cs = np.asarray(capacity_setting, dtype=np.int64).reshape(-1)
    cp = np.asarray(capacity_places, dtype=np.int64).reshape(-1)
    if ld.shape != ls.shape or cd.shape != cs.shape or cd.shape != cp.shape:
        raise ValueError("leave_* and capacity_* arrays must have matching lengths")
    for name, s_arr in (("leave_setting", ls), ("capacity_setting", cs)):
        if s_arr.size and ((s_arr < 0) | (s_arr >= m)).any():
            raise ValueError(f"{name}: expected setting indices in [0, {m})")
    inputs = YearInputs(
        problem=problem,
        arrival_day=day,
        transfer=tr,
        lists=lst,
        severity=sev,
        free=free0,
        leave_day=ld,
        leave_setting=ls,
        capacity_day=cd,
        capacity_setting=cs,
        capacity_places=cp,
        batch=batch,
        consultation_days=consultation_days,
        waiting=waiting,
        wait_order=wait_order,
        moving_up=bool(moving_up),
        statutory=statutory,
    )
    return run_events(inputs, mechanism, rng, trace)


def _check_statutory(sq: Statutory, n: int, m: int, k: int) -> None:
    """A ValueError naming the first field of ``sq`` of the wrong shape or range."""
    if not isinstance(sq, Statutory):
        raise TypeError(f"statutory: expected a Statutory, got {type(sq).__name__}")
    shapes = {
        "wish": (n,),
        "wish_cost": (n,),
        "need": (n,),
        "kind": (m,),
        "capacity": (m,),
        "extra": (m,),
        "tribunal_extra": (m,),
        "params": (8,),
        "u": (n, 3),
    }
    for name, shape in shapes.items():
        got = np.shape(getattr(sq, name))
        if got != shape:
            raise ValueError(f"statutory.{name}: expected shape {shape}, got {got}")
    if np.shape(sq.list_cost) != (n, k):
        raise ValueError(
            f"statutory.list_cost: expected shape {(n, k)} (as lists), "
            f"got {np.shape(sq.list_cost)}"
        )
    wish = np.asarray(sq.wish)
    if n and ((wish < -1) | (wish >= m)).any():
        raise ValueError(f"statutory.wish: expected setting indices in [0, {m}) or -1")
    taste = np.asarray(sq.taste)
    need, kind = np.asarray(sq.need), np.asarray(sq.kind)
    if (n and ((need < 0) | (need >= taste.shape[0])).any()) or (
        m and ((kind < 0) | (kind >= taste.shape[1])).any()
    ):
        raise ValueError(
            "statutory.need, statutory.kind: expected rows and columns of taste"
        )
    if sq.tribunal_days < 1:
        raise ValueError(
            f"statutory.tribunal_days: expected >= 1, got {sq.tribunal_days}"
        )


def statutory_inputs(
    inst: Instance,
    spec: StatusQuoSpec,
    capacity: NDArray[np.int64],
    rng: np.random.Generator,
) -> Statutory:
    """Today's process for a year of a sampled instance (:class:`Statutory`).

    The request, costs, taste and parameters are the annual process's
    (:func:`sendalloc.status_quo.prepare`); ``capacity`` is the settings'
    capacity at the start of the year, the tolerances apply to it
    (:func:`sendalloc.status_quo.extra_places`); three uniforms per child are
    drawn from ``rng`` at once; the tribunal decides ``spec.appeal_days``
    after the LA's reply.
    """
    a = status_quo.prepare(inst, spec)
    cap = np.asarray(capacity, dtype=np.int64)
    extra, tribunal_extra = status_quo.extra_places(inst.settings, spec, cap)
    return Statutory(
        wish=a.wish,
        wish_cost=a.wish_cost,
        list_cost=a.list_cost,
        need=a.need,
        kind=a.kind,
        capacity=cap.copy(),
        extra=extra,
        tribunal_extra=tribunal_extra,
        taste=a.taste,
        params=a.params,
        u=rng.random((a.wish.shape[0], 3)),
        tribunal_days=max(round(spec.appeal_days), 1),
    )


# =========================================================================== tier 2
def release_fraction(settings: Any, transfer_ages: Sequence[int]) -> NDArray[Any]:
    """Share of each setting's roll released each September.

    The same year-group rule as :func:`sendalloc.scenario.free_places`: the top
    year group and every year group about to make a phase transfer.
    """
    ages = np.arange(26)
    lo, hi = settings.min_age[:, None], settings.max_age[:, None]
    inside = (ages >= lo) & (ages <= hi)
    leaving = (ages == hi) | np.isin(ages + 1, np.asarray(transfer_ages))[None, :]
    return np.asarray(
        (inside & leaving).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    )


def _plan_targets(settings: Any, groups: Sequence[str], name: str) -> NDArray[Any]:
    ids = settings.id
    if name in ids:
        return np.array([ids.index(name)], dtype=np.int64)
    if name in groups:
        pre = f"{name}-"
        hit = [i for i, x in enumerate(ids) if x.startswith(pre)]
        if hit:
            return np.array(hit, dtype=np.int64)
    raise InvalidScenarioError(
        f"dynamics.capacity_plans: setting {name!r} is neither a setting id nor a "
        "setting group of the scenario"
    )


@dataclass(frozen=True, slots=True, eq=False)
class Plans:
    """Capacity plans resolved to settings: one row per (plan, setting)."""

    year: NDArray[np.int64]
    day: NDArray[np.int64]
    setting: NDArray[np.int64]
    places: NDArray[np.int64]
    closed: NDArray[np.bool_]  # (M,) settings that open later: no places before

    def of_year(
        self, y: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        k = self.year == y
        return self.day[k], self.setting[k], self.places[k]


def resolve_plans(scenario: Any, settings: Any) -> Plans:
    dyn = scenario.dynamics
    groups = [k for k, _ in scenario.groups]
    rows: list[tuple[int, int, int, int]] = []
    closed = np.zeros(settings.n, dtype=np.bool_)
    for plan in dyn.capacity_plans:
        tgt = _plan_targets(settings, groups, plan.setting)
        share = np.full(tgt.size, plan.places // tgt.size, dtype=np.int64)
        share[: plan.places - int(share.sum())] += 1
        for s, k in zip(tgt.tolist(), share.tolist(), strict=True):
            rows.append((plan.year - 1, plan.day, s, k))
        if plan.opens:
            closed[tgt] = True
    a = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return Plans(a[:, 0], a[:, 1], a[:, 2], a[:, 3], closed)


def waiting_policy(scenario: Any) -> str:
    w = str(scenario.dynamics.waiting)
    if w == "auto":
        return "fallback" if scenario.allocation.fallback else "wait"
    return w


def leave_rates(settings: Any, dyn: DynamicsSpec) -> NDArray[np.float64]:
    """Share of each setting's roll that leaves during a year, shape (M,).

    Every pupil at a specialist setting (``settings.specialist``) has a plan:
    they leave as plans cease, ``dyn.leave_rate`` (source ``ceased-plan-rate``).
    A general setting's roll is mostly pupils without a plan, who leave at the
    general pupil mobility ``dyn.mobility_rate`` (an assumption).
    """
    specialist = np.asarray(settings.specialist, dtype=bool)
    return np.where(specialist, float(dyn.leave_rate), float(dyn.mobility_rate))


def _leavers(
    roll: NDArray[np.int64], rate: NDArray[np.float64], rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pupils leaving each setting during the year, on uniform random days."""
    count = rng.binomial(np.maximum(roll, 0), rate)
    setting = np.repeat(np.arange(roll.size, dtype=np.int64), count)
    day = rng.integers(1, 366, size=setting.size).astype(np.int64)
    return day, setting


def transfer_ages(scenario: Any) -> tuple[int, ...]:
    pop = getattr(scenario, "population", None)
    return tuple(pop.transfer_ages) if pop is not None else (11, 16)


@dataclass(slots=True)
class Places:
    """Per-mechanism state of the places carried from year to year."""

    cap: NDArray[np.int64]
    roll: NDArray[np.int64]


def initial_places(settings: Any, plans: Plans) -> Places:
    cap = settings.capacity.astype(np.int64)
    roll = settings.on_roll.astype(np.int64)
    cap[plans.closed] = 0
    roll[plans.closed] = 0
    return Places(cap, roll)


def run_instance_year(
    inst: Instance,
    mech: str | Callable[..., Allocation],
    dyn: DynamicsSpec,
    waiting: str,
    places: Places,
    frac: NDArray[Any],
    plans: Plans,
    year: int,
    leave_rng: np.random.Generator,
    mech_rng: np.random.Generator,
    *,
    trace: bool = False,
    statutory: StatusQuoSpec | None = None,
    statutory_rng: np.random.Generator | None = None,
) -> tuple[YearOutcome, NDArray[np.int64]]:
    """One year of an instance; updates ``places`` to the next September.

    With ``statutory`` (a ``[status_quo]`` section), today's statutory
    process places the children (:func:`statutory_inputs`, its uniforms
    drawn from ``statutory_rng``) instead of ``mech`` and the scenario's
    ``batch``.

    Other authorities' children (cross-border competition) take a share of the
    places free at the start, ``inst.cross_border_share``: in year 0 the
    instance's own draw (so the year starts with the annual round's places),
    later ``Binomial(free, share)``; and the same share of the places leavers
    free during the year (those leavers are replaced, not drawn) and of the
    places capacity plans open.
    """
    roll_start = places.roll - np.rint(places.roll * frac).astype(np.int64)
    m = roll_start.size
    share = (
        np.zeros(m)
        if inst.cross_border_share is None
        else np.asarray(inst.cross_border_share, dtype=np.float64)
    )
    open_places = np.maximum(places.cap - roll_start, 0)
    if year == 0 and inst.cross_border_taken is not None:
        taken = np.minimum(np.asarray(inst.cross_border_taken, np.int64), open_places)
    elif share.any():
        taken = leave_rng.binomial(open_places, share).astype(np.int64)
    else:
        taken = np.zeros(m, dtype=np.int64)
    roll_start = roll_start + taken
    free = places.cap - roll_start
    rates = leave_rates(inst.settings, dyn) * (1.0 - share)
    ld, ls = _leavers(roll_start, rates, leave_rng)
    cd, cs, cp = plans.of_year(year)
    # Places a capacity plan opens are shared with other LAs' children alike.
    cp_taken = (
        leave_rng.binomial(cp, share[cs]).astype(np.int64)
        if cp.size and share.any()
        else np.zeros(cp.size, dtype=np.int64)
    )
    c = inst.children
    sq = None
    if statutory is not None:
        g = statutory_rng if statutory_rng is not None else np.random.default_rng()
        sq = statutory_inputs(inst, statutory, places.cap, g)
    out = run_year(
        inst.problem,
        c.plan_day,
        transfer=c.transfer,
        lists=inst.lists,
        severity=c.severity,
        free=free,
        leave_day=ld,
        leave_setting=ls,
        capacity_day=cd,
        capacity_setting=cs,
        capacity_places=cp - cp_taken,
        mechanism=mech,
        batch=dyn.batch,
        consultation_days=dyn.consultation_days,
        waiting=waiting,
        wait_order=dyn.wait_order,
        moving_up=dyn.moving_up,
        rng=mech_rng,
        trace=trace,
        statutory=sq,
    )
    a = out.assignment
    placed = np.bincount(a[a >= 0], minlength=places.cap.size).astype(np.int64)
    left = np.bincount(ls, minlength=places.cap.size).astype(np.int64)
    places.roll = roll_start - left + placed
    np.add.at(places.roll, cs, cp_taken)
    np.add.at(places.cap, cs, cp)
    return out, free


def simulate_instance_year(
    instance: Instance,
    scenario: Scenario,
    mechanism: str | Callable[..., Allocation] = "first_available",
    *,
    rng: Any = None,
    trace: bool = False,
) -> YearOutcome:
    """Simulate the year of a sampled instance under the scenario's ``[dynamics]``.

    Leavers are drawn from the settings' rolls (``dynamics.leave_rate`` a year
    at specialist settings, ``dynamics.mobility_rate`` at general ones: see
    :func:`leave_rates`), on uniform random days; places over capacity must
    empty before one frees; ``dynamics.capacity_plans`` of year 1 add places on
    their days.

    Parameters
    ----------
    instance : Instance
        From ``scenario.sample``.
    scenario : Scenario
        Supplies ``[dynamics]``, the waiting policy and the transfer ages.
    mechanism : str or callable, default "first_available"
        Allocates the phase-transfer batches (and held batches).
    rng : numpy.random.Generator, int or None
        Draws the leavers, then feeds randomised mechanisms.
    trace : bool, default False

    Returns
    -------
    YearOutcome

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.dynamic import simulate_instance_year
    >>> sc = sa.load_scenario("london_borough")
    >>> inst = sc.sample(1)
    >>> y = simulate_instance_year(inst, sc, rng=2)
    >>> y.assignment.shape == (inst.problem.n_children,)
    True
    """
    g = np.random.default_rng(rng)
    plans = resolve_plans(scenario, instance.settings)
    places = initial_places(instance.settings, plans)
    frac = release_fraction(instance.settings, transfer_ages(scenario))
    out, _ = run_instance_year(
        instance,
        mechanism,
        scenario.dynamics,
        waiting_policy(scenario),
        places,
        frac,
        plans,
        0,
        g,
        g,
        trace=trace,
    )
    return out
