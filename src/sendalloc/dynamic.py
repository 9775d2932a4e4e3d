"""In-year and multi-year dynamics: the first available place at the moment of need.

"The first available place" is a statement about time. Plans are finalised all
year, phase transfers are settled together on their statutory dates, children
leave and places free up during the year, and the caseload grows. This module
runs a year as a sequence of dated events over plain arrays, and a projection as
a sequence of such years, carrying the children still waiting on 31 December
into the next year's waiting list.

Three tiers, as for the mechanisms:

- :func:`run_year` is the documented event simulation of one year of one
  :class:`~sendalloc.Problem` (arrival days, leavers, capacity changes, batches).
  Hand-worked timelines and property tests use it directly.
- :func:`simulate_instance_year` and :func:`simulate_projection` prepare a
  sampled :class:`~sendalloc.scenario.Instance` (leavers drawn from the rolls,
  capacity plans, the scenario's ``[dynamics]`` policies) and compute the time
  metrics.
- ``_year_kernel`` is the event loop, a numba kernel over integer arrays.

:func:`sendalloc.simulate` dispatches here when a scenario's ``mode`` is
``"in_year"`` or ``"multi_year"`` and returns a :class:`DynamicResult` (a
:class:`~sendalloc.SimulationResult` with time metrics). docs/dynamics.md
describes the model and what it changes compared with the annual picture.

Event order is fully specified: events are processed by day, then by type
(capacity changes, leavers, consultation replies, arrivals held for a batch,
batches, individual arrivals), then by id (a child's position in the LA's
processing order, a setting's index, or the event's index), so the same inputs
give the same timeline.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._kernels.jit import kernel
from sendalloc.errors import InvalidScenarioError
from sendalloc.mechanisms import allocate
from sendalloc.problem import Allocation, Problem
from sendalloc.simulate import (
    SimulationResult,
    Summary,
    _Chunk,
    _padded,
    _run_chunks,
    _stats,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sendalloc.population import Children
    from sendalloc.scenario import DynamicsSpec, Instance, Scenario

__all__ = [
    "DYNAMIC_GROUP_METRICS",
    "DYNAMIC_METRICS",
    "MONTHLY_METRICS",
    "MONTHS",
    "PROJECTION_METRICS",
    "PROJECTION_YEARLY_METRICS",
    "TERM_END_DAYS",
    "YEARLY_METRICS",
    "DynamicResult",
    "YearOutcome",
    "run_year",
    "simulate_dynamic",
    "simulate_instance_year",
    "simulate_projection",
]

# --------------------------------------------------------------------------- calendar
#: Month names, in the order of the monthly breakdown.
MONTHS: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH_END = np.array([31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365])
#: Day of the year (1-365) -> month index, for days 0..366 (0 and 366 clipped).
_MONTH_OF = np.clip(np.searchsorted(_MONTH_END, np.arange(367), side="left"), 0, 11)

#: Batch days of ``batch = "termly"``: the approximate last days of the spring
#: (5 April), summer (22 July) and autumn (20 December) terms. An assumption: term
#: dates vary by LA and year.
TERM_END_DAYS: tuple[int, ...] = (95, 203, 354)

YEAR_END = 366  # the day after the last day: waiting is censored here

# Child states (kernel codes).
_NOT_ARRIVED, _HELD, _CONSULTING, _WAITING, _PLACED, _OUT = 0, 1, 2, 3, 4, 5
# Event types, in their order within a day.
_CAP, _LEAVE, _CONSULT, _HOLD, _BATCH, _ARRIVE = 0, 1, 2, 3, 4, 5
# Policies for a child with no ranked place.
_POLICY = {"wait": 0, "fallback": 1, "out_of_list": 2}
_WAIT_ORDER = {"first_come": 0, "severity": 1}
_OUT_OF_LIST = -2  # setting code of an out-of-list placement

# --------------------------------------------------------------------------- metrics
#: Scalar time metrics of a year (or of all years pooled), per mechanism.
DYNAMIC_METRICS: tuple[str, ...] = (
    "children",
    "mean_days_waiting",
    "waited",
    "placed_by_deadline",
    "first_preference_at_arrival",
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
#: Columns of the need, phase and kind breakdowns.
DYNAMIC_GROUP_METRICS: tuple[str, ...] = (
    "children",
    "mean_days_waiting",
    "placed_by_deadline",
    "first_preference_at_arrival",
    "first_preference_year_end",
    "out_of_list_year_end",
    "waiting_year_end",
    "moves_per_child",
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

_GROUPINGS: tuple[str, ...] = ("need", "phase", "kind")


def _year_columns(multi: bool) -> tuple[str, ...]:
    return PROJECTION_YEARLY_METRICS if multi else YEARLY_METRICS


# =========================================================================== kernel
@kernel
def _year_kernel(
    op: int,
    batch_children: NDArray[np.int64],
    batch_assign: NDArray[np.int64],
    ev_keys: NDArray[np.int64],
    ev_setting: NDArray[np.int64],
    ev_places: NDArray[np.int64],
    order: NDArray[np.int64],
    posn: NDArray[np.int64],
    prefs: NDArray[np.int64],
    lists: NDArray[np.int64],
    severity: NDArray[np.float64],
    pref_ptr: NDArray[np.int64],
    pref_child: NDArray[np.int64],
    pref_rank: NDArray[np.int64],
    list_ptr: NDArray[np.int64],
    list_child: NDArray[np.int64],
    params: NDArray[np.int64],
    status: NDArray[np.int64],
    where: NDArray[np.int64],
    cur_rank: NDArray[np.int64],
    wait_mode: NDArray[np.int64],
    key1: NDArray[np.float64],
    first_day: NDArray[np.int64],
    first_setting: NDArray[np.int64],
    moves: NDArray[np.int64],
    consult_k: NDArray[np.int64],
    free: NDArray[np.int64],
    demand: NDArray[np.int64],
    contrib: NDArray[np.int64],
    scal: NDArray[np.int64],
    heap: NDArray[np.int64],
    stack: NDArray[np.int64],
    in_stack: NDArray[np.int64],
    month_of: NDArray[np.int64],
    idle_month: NDArray[np.int64],
    moves_month: NDArray[np.int64],
    trace: NDArray[np.int64],
) -> int:
    """Event loop of one year over plain arrays (mutates the state arrays).

    ``op == 0``: process events in key order until a batch event (return its
    id: the caller allocates the batch and calls back with ``op == 1``) or the
    end of the year (return -1). ``op == 1``: apply the batch assignment
    ``batch_assign`` (setting or -1) to ``batch_children`` (in processing
    order), then serve every setting with a free place; return -1. ``op == 2``
    (before the first event): the children carried over from last year,
    ``batch_children`` in waiting-list order, each take the first free setting
    in their ranking or else follow the no-place policy, keeping ``key1``;
    return -1.

    ``scal`` holds ``[idle, day, static pointer, heap size, trace rows, stack
    size]``; ``params`` ``[policy, wait order, moving up, consultation days,
    unranked rank]``. Event keys are ``day << 36 | type << 32 | id``.
    """
    n_width = prefs.shape[1]
    k_width = lists.shape[1]
    policy = params[0]
    by_severity = params[1] == 1
    moving_up = params[2] == 1
    consult_days = params[3]
    unranked = params[4]
    tracing = trace.shape[0] > 0
    mask32 = (1 << 32) - 1

    def log(day: Any, i: Any, frm: Any, to: Any, st: Any) -> None:
        if tracing:
            r = scal[4]
            trace[r, 0] = day
            trace[r, 1] = i
            trace[r, 2] = frm
            trace[r, 3] = to
            trace[r, 4] = st
            scal[4] = r + 1

    def set_contrib(s: Any) -> None:
        c = min(free[s], demand[s]) if (demand[s] > 0 and free[s] > 0) else 0
        scal[0] += c - contrib[s]
        contrib[s] = c

    def add_demand(i: Any, sign: Any) -> None:
        if status[i] == _WAITING and wait_mode[i] == 1:
            for k in range(k_width):
                s = lists[i, k]
                if s < 0:
                    break
                demand[s] += sign
                set_contrib(s)
        else:
            for k in range(n_width):
                s = prefs[i, k]
                if s < 0:
                    break
                demand[s] += sign
                set_contrib(s)

    def unplaced(i: Any) -> Any:
        st = status[i]
        return st in (_HELD, _CONSULTING, _WAITING)

    def push(s: Any) -> None:
        if in_stack[s] == 0:
            in_stack[s] = 1
            stack[scal[5]] = s
            scal[5] += 1

    def change_free(s: Any, delta: Any) -> None:
        free[s] += delta
        set_contrib(s)
        if delta > 0:
            push(s)

    def heap_push(key: Any) -> None:
        j = scal[3]
        heap[j] = key
        scal[3] = j + 1
        while j > 0:
            p = (j - 1) // 2
            if heap[p] <= heap[j]:
                break
            t = heap[p]
            heap[p] = heap[j]
            heap[j] = t
            j = p

    def heap_pop() -> Any:
        top = heap[0]
        n = scal[3] - 1
        scal[3] = n
        heap[0] = heap[n]
        j = 0
        while True:
            a = 2 * j + 1
            if a >= n:
                break
            b = a + 1
            c = b if (b < n and heap[b] < heap[a]) else a
            if heap[j] <= heap[c]:
                break
            t = heap[c]
            heap[c] = heap[j]
            heap[j] = t
            j = c
        return top

    def advance(day: Any) -> None:
        d = scal[1]
        while d < day:
            idle_month[month_of[d]] += scal[0]
            d += 1
        scal[1] = day

    def rank_of(i: Any, s: Any) -> Any:
        for k in range(n_width):
            if prefs[i, k] == s:
                return k
            if prefs[i, k] < 0:
                break
        return unranked

    def place(i: Any, s: Any, day: Any) -> None:
        prev_status = status[i]
        prev = where[i]
        if unplaced(i):
            add_demand(i, -1)
        change_free(s, -1)
        status[i] = _PLACED
        where[i] = s
        cur_rank[i] = rank_of(i, s)
        if first_day[i] < 0:
            first_day[i] = day
            first_setting[i] = s
        elif prev_status in (_PLACED, _OUT):
            moves[i] += 1
            moves_month[month_of[day]] += 1
        log(day, i, prev, s, _PLACED)
        if prev_status == _PLACED:
            change_free(prev, 1)

    def start_waiting(i: Any, mode: Any, day: Any) -> None:
        status[i] = _WAITING
        wait_mode[i] = mode
        if not by_severity:
            key1[i] = day
        add_demand(i, 1)
        log(day, i, where[i], -1, _WAITING)

    def no_place(i: Any, day: Any) -> None:
        # The child could not be given a ranked place now.
        if unplaced(i):
            add_demand(i, -1)
        status[i] = _NOT_ARRIVED  # transient: no demand counted
        if policy == 2:
            status[i] = _OUT
            where[i] = _OUT_OF_LIST
            cur_rank[i] = unranked
            if first_day[i] < 0:
                first_day[i] = day
                first_setting[i] = _OUT_OF_LIST
            log(day, i, -1, _OUT_OF_LIST, _OUT)
            return
        if policy == 1:
            for k in range(k_width):
                s = lists[i, k]
                if s < 0:
                    break
                if free[s] > 0:
                    place(i, s, day)
                    return
            start_waiting(i, 1, day)
            return
        start_waiting(i, 0, day)

    def better(i: Any, j: Any) -> Any:
        if j < 0:
            return True
        if key1[i] != key1[j]:
            return key1[i] < key1[j]
        return posn[i] < posn[j]

    def candidate(s: Any) -> Any:
        bw = -1
        bm = -1
        for e in range(pref_ptr[s], pref_ptr[s + 1]):
            i = pref_child[e]
            st = status[i]
            if st == _WAITING:
                if better(i, bw):
                    bw = i
            elif (
                moving_up
                and st in (_PLACED, _OUT)
                and pref_rank[e] < cur_rank[i]
                and better(i, bm)
            ):
                bm = i
        for e in range(list_ptr[s], list_ptr[s + 1]):
            i = list_child[e]
            if status[i] == _WAITING and wait_mode[i] == 1 and better(i, bw):
                bw = i
        return bw if bw >= 0 else bm

    def serve(day: Any) -> None:
        while scal[5] > 0:
            scal[5] -= 1
            s = stack[scal[5]]
            in_stack[s] = 0
            while free[s] > 0:
                c = candidate(s)
                if c < 0:
                    break
                place(c, s, day)

    def arrive(i: Any, day: Any) -> None:
        log(day, i, -1, -1, _NOT_ARRIVED)
        if consult_days > 0 and n_width > 0 and prefs[i, 0] >= 0:
            status[i] = _CONSULTING
            consult_k[i] = 0
            add_demand(i, 1)
            log(day, i, -1, -1, _CONSULTING)
            heap_push(((day + consult_days) << 36) | (_CONSULT << 32) | posn[i])
            return
        for k in range(n_width):
            s = prefs[i, k]
            if s < 0:
                break
            if free[s] > 0:
                place(i, s, day)
                return
        no_place(i, day)

    def consult_reply(i: Any, day: Any) -> None:
        k = consult_k[i]
        s = prefs[i, k]
        if free[s] > 0:
            place(i, s, day)
            return
        if k + 1 < n_width and prefs[i, k + 1] >= 0:
            consult_k[i] = k + 1
            heap_push(((day + consult_days) << 36) | (_CONSULT << 32) | posn[i])
            return
        no_place(i, day)

    # ---------------------------------------------------------------- op 2: carry
    if op == 2:
        day = scal[1]
        for t in range(batch_children.shape[0]):
            i = batch_children[t]
            log(day, i, -1, -1, _NOT_ARRIVED)
            done = False
            for k in range(n_width):
                s = prefs[i, k]
                if s < 0:
                    break
                if free[s] > 0:
                    place(i, s, day)
                    done = True
                    break
            if not done:
                k1 = key1[i]
                no_place(i, day)
                key1[i] = k1  # a carried child keeps their place in the queue
        return -1

    # ---------------------------------------------------------------- op 1: batch
    if op == 1:
        day = scal[1]
        nb = batch_children.shape[0]
        for t in range(nb):
            if batch_assign[t] >= 0:
                place(batch_children[t], batch_assign[t], day)
        for t in range(nb):
            if batch_assign[t] < 0:
                no_place(batch_children[t], day)
        for s in range(free.shape[0]):
            if free[s] > 0:
                push(s)
        serve(day)
        return -1

    # ---------------------------------------------------------------- op 0: run
    n_static = ev_keys.shape[0]
    inf = np.int64(1) << 62
    while True:
        sk = ev_keys[scal[2]] if scal[2] < n_static else inf
        hk = heap[0] if scal[3] > 0 else inf
        if sk == inf and hk == inf:
            break
        if hk < sk:
            key = hk
            if (key >> 36) >= YEAR_END:
                break
            heap_pop()
        else:
            key = sk
            scal[2] += 1
        day = key >> 36
        typ = (key >> 32) & 15
        ident = key & mask32
        advance(day)
        if typ in (_CAP, _LEAVE):
            s = ev_setting[ident]
            change_free(s, ev_places[ident])
            serve(day)
        elif typ == _CONSULT:
            consult_reply(order[ident], day)
        elif typ == _HOLD:
            i = order[ident]
            status[i] = _HELD
            add_demand(i, 1)
            log(day, i, -1, -1, _HELD)
        elif typ == _BATCH:
            return int(ident)
        else:
            arrive(order[ident], day)
    advance(YEAR_END)
    return -1


# =========================================================================== tier 1
@dataclass(frozen=True, slots=True, eq=False)
class YearOutcome:
    """What happened to each child during one simulated year.

    Days are days of the year, 1-365; waiting is censored at day 366. A child
    carried over from a previous year has ``arrival_day <= 0`` (day 0 is last
    year's 31 December), so their ``days_waiting`` include the previous years.

    Attributes
    ----------
    assignment : ndarray of int32, shape (N,)
        Setting at the end of the year; -1 still without a place (waiting,
        held for a batch or in consultation), -2 an out-of-list placement.
    first_setting : ndarray of int32, shape (N,)
        The first place the child was given (same codes).
    first_day : ndarray of int32, shape (N,)
        The day the child was first given a place, -1 if never.
    arrival_day : ndarray of int32, shape (N,)
        The day the child's plan was finalised (their need arose); ``<= 0``
        for a child carried over from a previous year.
    moves : ndarray of int32, shape (N,)
        Moves up to a higher-ranked setting after the first place.
    status : ndarray of int8, shape (N,)
        End-of-year state: 1 held for a batch, 2 in consultation, 3 waiting,
        4 placed, 5 out of list.
    idle_place_days : ndarray of int64, shape (12,)
        Per month, the place-days wasted while children wait: each day, each
        setting counts ``min(free places, children without a place who would
        take one there)``, where a child would take a place at a setting they
        ranked (or, waiting for the LA's fallback, any setting on their list)
        and is held for a batch, in consultation or waiting.
    moves_by_month : ndarray of int64, shape (12,)
    trace : ndarray of int64, shape (T, 5) or None
        With ``trace=True``: every change of a child's state, in order, as
        ``(day, child, from_setting, to_setting, new_state)``. An individual
        arrival is a row with state 0 (arrived, not yet placed), followed by the
        outcome; a child held for a batch first appears with state 1.
    free_end : ndarray of int64, shape (M,)
        Free places at the end of the year (negative: over capacity).
    """

    assignment: NDArray[np.int32]
    first_setting: NDArray[np.int32]
    first_day: NDArray[np.int32]
    arrival_day: NDArray[np.int32]
    moves: NDArray[np.int32]
    status: NDArray[np.int8]
    idle_place_days: NDArray[np.int64]
    moves_by_month: NDArray[np.int64]
    free_end: NDArray[np.int64]
    trace: NDArray[np.int64] | None = None

    @property
    def days_waiting(self) -> NDArray[np.int32]:
        """Days from arrival to the first place (censored at day 366), shape (N,).

        For a child carried over from a previous year, including those years.
        """
        end = np.where(self.first_day >= 0, self.first_day, YEAR_END)
        return np.asarray(end - self.arrival_day, dtype=np.int32)


def _csr(
    rows: NDArray[np.int64], m: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Children listing each setting: ``ptr`` (M+1,), ``child``, ``position``."""
    i, k = np.nonzero(rows >= 0)
    s = rows[i, k]
    o = np.lexsort((i, s))
    ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=m), out=ptr[1:])
    return ptr, i[o].astype(np.int64), k[o].astype(np.int64)


def _key(day: NDArray[Any], typ: int, ident: NDArray[Any]) -> NDArray[np.int64]:
    d = np.asarray(day, dtype=np.int64)
    return (d << 36) | (np.int64(typ) << 32) | np.asarray(ident, dtype=np.int64)


def _batch_days(batch: str, transfer_days: NDArray[np.int64]) -> NDArray[np.int64]:
    held: NDArray[np.int64]
    if batch == "monthly":
        held = _MONTH_END.astype(np.int64)
    elif batch == "termly":
        held = np.asarray(TERM_END_DAYS, dtype=np.int64)
    else:
        held = np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([transfer_days, held]))


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

    Returns
    -------
    YearOutcome

    Notes
    -----
    Events are processed by (day, type, id). Types in order: capacity changes,
    leavers, consultation replies, arrivals held for a batch, batches,
    individual arrivals; ids are the child's position in ``problem.order``
    (arrivals, replies) or the index of the leaver or capacity event. So places
    freed on a day are available to that day's arrivals, and waiting children
    take a freed place before anyone arriving that day. The loop is a numba
    kernel: O(E log E + P d) for E events, P freed places and d the number of
    children listing the freed setting; batches call the mechanism on the
    batch's children and the free places.

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
    from sendalloc.scenario import BATCHES, WAIT_ORDERS

    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem, got {type(problem).__name__}")
    n, m = problem.n_children, problem.n_settings
    if batch not in BATCHES:
        raise ValueError(f"batch: expected one of {', '.join(BATCHES)}, got {batch!r}")
    if waiting not in _POLICY:
        raise ValueError(
            f"waiting: expected one of {', '.join(_POLICY)}, got {waiting!r}"
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

    order = problem.order.astype(np.int64)
    posn = np.empty(n, dtype=np.int64)
    posn[order] = np.arange(n)

    # Batches: statutory transfer days, plus the batch days of held new plans.
    bdays = _batch_days(batch, np.unique(day[tr]))
    batch_of = np.full(n, -1, dtype=np.int64)
    batch_of[tr] = np.searchsorted(bdays, day[tr])
    new = ~tr & ~carried
    if batch in ("monthly", "termly"):
        b = np.searchsorted(bdays, day[new])
        b[b >= bdays.size] = -1  # after the last batch day: held to the year end
        batch_of[new] = b
    elif batch == "none" and bdays.size:
        b = np.minimum(np.searchsorted(bdays, day[new]), bdays.size - 1)
        batch_of[new] = np.where(bdays[b] == day[new], b, -1)
    held = np.asarray(batch_of >= 0) | (
        new & (batch in ("monthly", "termly")) & (batch_of < 0)
    )
    individual = ~held & ~carried

    p_ord = posn  # event ids of children are processing positions
    keys = [
        _key(cd, _CAP, np.arange(cd.size)),
        _key(ld, _LEAVE, cd.size + np.arange(ld.size)),
        _key(day[held], _HOLD, p_ord[held]),
        _key(bdays, _BATCH, np.arange(bdays.size)),
        _key(day[individual], _ARRIVE, p_ord[individual]),
    ]
    ev_keys = np.sort(np.concatenate(keys))
    ev_setting = np.concatenate([cs, ls]).astype(np.int64)
    ev_places = np.concatenate([cp, np.ones(ls.size, dtype=np.int64)])

    pref_ptr, pref_child, pref_rank = _csr(prefs, m)
    list_ptr, list_child, _ = _csr(lst, m)
    params = np.array(
        [
            _POLICY[waiting],
            _WAIT_ORDER[wait_order],
            int(bool(moving_up)),
            consultation_days if batch == "consultation" else 0,
            prefs.shape[1] + lst.shape[1] + 1,
        ],
        dtype=np.int64,
    )
    status = np.zeros(n, dtype=np.int64)
    where = np.full(n, -1, dtype=np.int64)
    cur_rank = np.full(n, params[4], dtype=np.int64)
    wait_mode = np.zeros(n, dtype=np.int64)
    key1 = -sev if wait_order == "severity" else day.astype(np.float64)
    key1 = np.ascontiguousarray(key1, dtype=np.float64)
    first_day = np.full(n, -1, dtype=np.int64)
    first_setting = np.full(n, -1, dtype=np.int64)
    moves = np.zeros(n, dtype=np.int64)
    consult_k = np.zeros(n, dtype=np.int64)
    demand = np.zeros(m, dtype=np.int64)
    contrib = np.zeros(m, dtype=np.int64)
    scal = np.array([0, 1, 0, 0, 0, 0], dtype=np.int64)
    heap = np.zeros(max(n, 1), dtype=np.int64)
    stack = np.zeros(max(m, 1), dtype=np.int64)
    in_stack = np.zeros(max(m, 1), dtype=np.int64)
    month_of = _MONTH_OF.astype(np.int64)
    idle_month = np.zeros(12, dtype=np.int64)
    moves_month = np.zeros(12, dtype=np.int64)
    rows = n * (prefs.shape[1] + lst.shape[1] + 6) if trace else 0
    trace_arr = np.zeros((rows, 5), dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    state = (
        ev_keys,
        ev_setting,
        ev_places,
        order,
        posn,
        prefs,
        lst,
        sev,
        pref_ptr,
        pref_child,
        pref_rank,
        list_ptr,
        list_child,
        params,
        status,
        where,
        cur_rank,
        wait_mode,
        key1,
        first_day,
        first_setting,
        moves,
        consult_k,
        free0,
        demand,
        contrib,
        scal,
        heap,
        stack,
        in_stack,
        month_of,
        idle_month,
        moves_month,
        trace_arr,
    )
    if carried.any():
        # On 1 January, before any event, in waiting-list order.
        queue = order[carried[order]]
        queue = queue[np.lexsort((posn[queue], key1[queue]))]
        _year_kernel(2, queue, empty, *state)
    gen = np.random.default_rng(rng)
    prio = problem.priority
    while True:
        bid = int(_year_kernel(0, empty, empty, *state))
        if bid < 0:
            break
        members = order[batch_of[order] == bid]  # in processing order
        members = members[status[members] == _HELD]
        assign = np.full(members.size, -1, dtype=np.int64)
        if members.size:
            sub = Problem.from_arrays(
                np.maximum(free0, 0),
                problem.preferences[members],
                priority=prio[members],
                order=np.arange(members.size),
            )
            assign = allocate(sub, mechanism, rng=gen).assignment.astype(np.int64)
        _year_kernel(1, members, assign, *state)
    return YearOutcome(
        assignment=np.where(status == _OUT, _OUT_OF_LIST, where).astype(np.int32),
        first_setting=first_setting.astype(np.int32),
        first_day=first_day.astype(np.int32),
        arrival_day=day.astype(np.int32),
        moves=moves.astype(np.int32),
        status=status.astype(np.int8),
        idle_place_days=idle_month,
        moves_by_month=moves_month,
        free_end=free0,
        trace=trace_arr[: scal[4]] if trace else None,
    )


# =========================================================================== tier 2
def _release_fraction(settings: Any, transfer_ages: Sequence[int]) -> NDArray[Any]:
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
class _Plans:
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


def _resolve_plans(scenario: Any, settings: Any) -> _Plans:
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
    return _Plans(a[:, 0], a[:, 1], a[:, 2], a[:, 3], closed)


def _waiting_policy(scenario: Any) -> str:
    w = str(scenario.dynamics.waiting)
    if w == "auto":
        return "fallback" if scenario.allocation.fallback else "wait"
    return w


def _leavers(
    roll: NDArray[np.int64], rate: float, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pupils leaving each setting during the year, on uniform random days."""
    count = rng.binomial(np.maximum(roll, 0), rate)
    setting = np.repeat(np.arange(roll.size, dtype=np.int64), count)
    day = rng.integers(1, 366, size=setting.size).astype(np.int64)
    return day, setting


def _transfer_ages(scenario: Any) -> tuple[int, ...]:
    pop = getattr(scenario, "population", None)
    return tuple(pop.transfer_ages) if pop is not None else (11, 16)


@dataclass(slots=True)
class _Places:
    """Per-mechanism state of the places carried from year to year."""

    cap: NDArray[np.int64]
    roll: NDArray[np.int64]


def _initial_places(settings: Any, plans: _Plans) -> _Places:
    cap = settings.capacity.astype(np.int64)
    roll = settings.on_roll.astype(np.int64)
    cap[plans.closed] = 0
    roll[plans.closed] = 0
    return _Places(cap, roll)


def _run_instance_year(
    inst: Instance,
    mech: str | Callable[..., Allocation],
    dyn: DynamicsSpec,
    waiting: str,
    places: _Places,
    frac: NDArray[Any],
    plans: _Plans,
    year: int,
    leave_rng: np.random.Generator,
    mech_rng: np.random.Generator,
    *,
    trace: bool = False,
) -> tuple[YearOutcome, NDArray[np.int64]]:
    """One year of an instance; updates ``places`` to the next September."""
    roll_start = places.roll - np.rint(places.roll * frac).astype(np.int64)
    free = places.cap - roll_start
    ld, ls = _leavers(roll_start, dyn.leave_rate, leave_rng)
    cd, cs, cp = plans.of_year(year)
    c = inst.children
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
        capacity_places=cp,
        mechanism=mech,
        batch=dyn.batch,
        consultation_days=dyn.consultation_days,
        waiting=waiting,
        wait_order=dyn.wait_order,
        moving_up=dyn.moving_up,
        rng=mech_rng,
        trace=trace,
    )
    a = out.assignment
    placed = np.bincount(a[a >= 0], minlength=places.cap.size).astype(np.int64)
    left = np.bincount(ls, minlength=places.cap.size).astype(np.int64)
    places.roll = roll_start - left + placed
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

    Leavers are drawn from the settings' rolls (``dynamics.leave_rate`` a year,
    on uniform random days); places over capacity must empty before one frees;
    ``dynamics.capacity_plans`` of year 1 add places on their days.

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
    plans = _resolve_plans(scenario, instance.settings)
    places = _initial_places(instance.settings, plans)
    frac = _release_fraction(instance.settings, _transfer_ages(scenario))
    out, _ = _run_instance_year(
        instance,
        mechanism,
        scenario.dynamics,
        _waiting_policy(scenario),
        places,
        frac,
        plans,
        0,
        g,
        g,
        trace=trace,
    )
    return out


def _year_samples(
    scenario: Any, years: int, ss: np.random.SeedSequence
) -> tuple[list[Instance], list[int]]:
    """The instances of each year of a run and the caseload at each year's start.

    Year 0 is drawn from the same stream as the annual mode's sample of the run
    (so the modes compare on the same children). The caseload grows by the
    year's new plans and shrinks by ``Binomial(caseload, leave_rate)`` plans
    ending; it does not depend on the mechanism.
    """
    inst_ss = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 0))
    first = scenario.sample(np.random.default_rng(inst_ss))
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
        g = np.random.default_rng(
            np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 3, y))
        )
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
    from sendalloc.population import Children

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
    from sendalloc.population import Children

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
    insts, _ = _year_samples(scenario, n_years, ss)
    return [(yr.inst, yr.out) for yr in _project(scenario, insts, mechanism, ss)]


@dataclass(frozen=True, slots=True, eq=False)
class _ProjectedYear:
    inst: Instance  # the year's sample followed by the children carried into it
    out: YearOutcome
    free: NDArray[np.int64]  # free places at the start
    cap: NDArray[np.int64]  # capacity at the start
    carried_in: int  # children carried into the year (the last rows of inst)
    aged_out: int  # without a place at the year's end but not carried on


def _project(
    scenario: Any,
    insts: Sequence[Instance],
    mech: str | Callable[..., Allocation],
    ss: np.random.SeedSequence,
) -> list[_ProjectedYear]:
    """Each year's outcome, carrying the children still waiting into the next."""
    settings = insts[0].settings
    plans = _resolve_plans(scenario, settings)
    places = _initial_places(settings, plans)
    frac = _release_fraction(settings, _transfer_ages(scenario))
    waiting = _waiting_policy(scenario)
    outs: list[_ProjectedYear] = []
    carry: _Carry | None = None
    for y, sample in enumerate(insts):
        inst = _with_carried(sample, carry)
        cap_start = places.cap.copy()
        leave_rng = np.random.default_rng(
            np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 2, y))
        )
        mech_rng = np.random.default_rng(
            np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1, y))
        )
        out, free = _run_instance_year(
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
        )
        n_in = inst.children.n - sample.children.n
        carry = _carry_over(inst, out, y)
        outs.append(_ProjectedYear(inst, out, free, cap_start, n_in, carry.aged_out))
    return outs


# --------------------------------------------------------------------------- metrics
_N_COLS = 16


def _rank_in(prefs: NDArray[Any], s: NDArray[Any]) -> NDArray[np.int64]:
    if prefs.shape[1] == 0:
        return np.full(s.shape, -1, dtype=np.int64)
    hit = (prefs == s[:, None]) & (s[:, None] >= 0)
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class _YearMetrics:
    cols: NDArray[np.float64]  # (N, _N_COLS)
    keys: tuple[NDArray[np.int64], ...]  # need, phase, kind group per child
    rank_counts: NDArray[np.float64]  # (L,)
    monthly: NDArray[np.float64]  # (12, len(MONTHLY_METRICS))
    idle: float


def _year_metrics(
    inst: Instance, out: YearOutcome, out_of_list_cost: float, n_kinds: int
) -> _YearMetrics:
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
        setting_cost = np.asarray(inst.settings.cost)[np.maximum(end, 0)]
        cost = np.where(end >= 0, setting_cost + inst.transport_cost_per_km * dist, 0.0)
    out_end = end == _OUT_OF_LIST
    cost = np.where(out_end, out_of_list_cost, cost)
    on_day = (f >= 0) & (f == a)
    cols = np.empty((n, _N_COLS))
    cols[:, 0] = 1.0
    cols[:, 1] = waited
    cols[:, 2] = waited > 0
    cols[:, 3] = on_day
    cols[:, 4] = on_day & (rank_first == 0)
    cols[:, 5] = rank_end == 0
    cols[:, 6] = rank_end >= 0
    cols[:, 7] = on_list
    cols[:, 8] = out_end
    cols[:, 9] = end == -1
    cols[:, 10] = out.moves
    cols[:, 11] = out.moves > 0
    cols[:, 12] = cost
    cols[:, 13] = (end >= 0) | out_end
    cols[:, 14] = a <= 0  # carried over from a previous year
    cols[:, 15] = np.where(f >= 0, f, YEAR_END) - np.maximum(a, 1)  # this year only
    kind = np.asarray(inst.settings.kind, dtype=np.int64)
    first = prefs[:, 0] if prefs.shape[1] else np.full(n, -1)
    kind_key = np.where(first >= 0, kind[np.maximum(first, 0)], n_kinds)
    keys = (
        np.asarray(inst.children.need, dtype=np.int64),
        np.asarray(inst.children.phase, dtype=np.int64),
        kind_key.astype(np.int64),
    )
    width = prefs.shape[1]
    ranks = np.bincount(rank_end[rank_end >= 0], minlength=width)[:width]
    new = a >= 1  # carried children did not arrive this year
    m_a = _MONTH_OF[a[new]]
    arrivals = np.bincount(m_a, minlength=12).astype(np.float64)
    monthly = np.empty((12, len(MONTHLY_METRICS)))
    monthly[:, 0] = arrivals
    on_new, waited_new = on_day[new], waited[new]
    monthly[:, 1] = _div(np.bincount(m_a, weights=on_new, minlength=12), arrivals)
    monthly[:, 2] = _div(np.bincount(m_a, weights=waited_new, minlength=12), arrivals)
    ends = _MONTH_END[None, :]
    unplaced = (a[:, None] <= ends) & ((f[:, None] < 0) | (f[:, None] > ends))
    monthly[:, 3] = unplaced.sum(axis=0)
    monthly[:, 4] = out.idle_place_days
    monthly[:, 5] = out.moves_by_month
    return _YearMetrics(
        cols,
        keys,
        ranks.astype(np.float64),
        monthly,
        float(out.idle_place_days.sum()),
    )


def _div(num: NDArray[Any], den: NDArray[Any]) -> NDArray[np.float64]:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def _scalars(
    tot: NDArray[np.float64], idle: float, years: int, *, projection: bool = False
) -> list[float]:
    n = tot[0]
    nan = math.nan

    def sh(x: float) -> float:
        return float(x / n) if n else nan

    extra = [sh(tot[14]), sh(tot[15])] if projection else []
    return [
        float(n),
        sh(tot[1]),
        sh(tot[2]),
        sh(tot[3]),
        sh(tot[4]),
        sh(tot[5]),
        sh(tot[6]),
        sh(tot[7]),
        sh(tot[8]),
        sh(tot[9]),
        sh(tot[10]),
        sh(tot[11]),
        idle / years,
        float(tot[12]) / years,
        float(tot[12] / tot[13]) if tot[13] else nan,
        *extra,
    ]


def _group_table(
    cols: NDArray[np.float64], key: NDArray[np.int64], n_groups: int
) -> NDArray[np.float64]:
    sums = np.zeros((n_groups, _N_COLS))
    for c in range(_N_COLS):
        sums[:, c] = np.bincount(key, weights=cols[:, c], minlength=n_groups)
    size = sums[:, 0]
    t = np.empty((n_groups, len(DYNAMIC_GROUP_METRICS)))
    t[:, 0] = size
    for j, c in enumerate((1, 3, 4, 5, 8, 9, 10), start=1):
        t[:, j] = _div(sums[:, c], size)
    return t


def _labels(years: int) -> dict[str, tuple[str, ...]]:
    from sendalloc.metrics import _labels as base

    lab = dict(base())
    if years == 1:
        lab["month"] = MONTHS
    else:
        lab["month"] = tuple(f"{y + 1}-{m}" for y in range(years) for m in MONTHS)
    lab["year"] = tuple(str(y + 1) for y in range(years))
    return lab


def _run_one(
    scenario: Any,
    mechs: Sequence[str | Callable[..., Allocation]],
    years: int,
    ss: np.random.SeedSequence,
) -> list[dict[str, NDArray[np.float64]]]:
    insts, caseload = _year_samples(scenario, years, ss)
    lab = _labels(years)
    n_kinds = len(lab["kind"]) - 1
    settings = insts[0].settings
    spec = np.asarray(settings.specialist)
    ool = float(scenario.dynamics.out_of_list_cost)
    multi = str(scenario.mode) == "multi_year"
    res = []
    for mech in mechs:
        proj = _project(scenario, insts, mech, ss)
        yms = [_year_metrics(yr.inst, yr.out, ool, n_kinds) for yr in proj]
        yearly = np.empty((years, len(_year_columns(multi))))
        for y, (ym, yr) in enumerate(zip(yms, proj, strict=True)):
            row = _scalars(ym.cols.sum(axis=0), ym.idle, 1, projection=multi)
            spec_cap = float(yr.cap[spec].sum())
            spec_free = float(np.maximum(yr.free[spec], 0).sum())
            counts = [float(yr.carried_in), float(yr.aged_out)] if multi else []
            yearly[y] = [*row, caseload[y], spec_cap, spec_free, *counts]
        cols = np.concatenate([ym.cols for ym in yms])
        keys = [np.concatenate([ym.keys[g] for ym in yms]) for g in range(3)]
        idle = sum(ym.idle for ym in yms)
        values = np.array(_scalars(cols.sum(axis=0), idle, years, projection=multi))
        width = max(ym.rank_counts.size for ym in yms)
        prof = np.zeros(width)
        for ym in yms:
            prof[: ym.rank_counts.size] += ym.rank_counts
        prof = prof / max(cols.shape[0], 1)
        groups = {
            g: _group_table(cols, keys[j], len(lab[g]))
            for j, g in enumerate(_GROUPINGS)
        }
        groups["month"] = np.concatenate([ym.monthly for ym in yms])
        groups["year"] = yearly
        res.append({"values": values, "profile": prof, **groups})
    return res


def _run_chunk(
    scenario: Any,
    mechs: Sequence[str | Callable[..., Allocation]],
    years: int,
    seeds: Sequence[np.random.SeedSequence],
) -> _Chunk:
    per_run = [_run_one(scenario, mechs, years, ss) for ss in seeds]
    prof = _padded([[o["profile"] for o in run] for run in per_run], len(mechs))
    values = np.array([[o["values"] for o in run] for run in per_run])
    keys = (*_GROUPINGS, "month", "year")
    groups = {g: np.array([[o[g] for o in run] for run in per_run]) for g in keys}
    return _Chunk(values, prof, groups)


# =========================================================================== result
@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class DynamicResult(SimulationResult):
    """Per-run time metrics of an in-year or multi-year simulation.

    A :class:`~sendalloc.SimulationResult` (so code written for annual results
    keeps working) whose ``metrics`` are :data:`DYNAMIC_METRICS`, pooled over
    every child of every simulated year (idle place-days and annual cost are
    per year), whose ``rank_profile`` is of the places held at the year's end,
    and whose ``groups`` add the breakdowns ``"month"`` (12 per year,
    :data:`MONTHLY_METRICS`) and ``"year"`` (:data:`YEARLY_METRICS`). A
    projection's metrics are :data:`PROJECTION_METRICS` and its year columns
    :data:`PROJECTION_YEARLY_METRICS`; a child carried over is counted once in
    each year they are in the round.

    Attributes
    ----------
    mode : {"in_year", "multi_year"}
    years : int
    group_metrics : dict of str to tuple of str
        The columns of each breakdown in ``groups``.
    """

    mode: str
    years: int
    group_metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def summary(self, by: str | None = None) -> Summary:
        """Mean, 95% interval over runs and Monte Carlo standard error.

        Parameters
        ----------
        by : {None, "need", "phase", "kind", "rank", "month", "year"}

        Returns
        -------
        Summary

        Examples
        --------
        >>> import sendalloc as sa
        >>> sc = sa.load_scenario("london_borough").with_overrides(
        ...     {"mode": "in_year"})
        >>> r = sa.simulate(sc, ["first_available"], runs=3, seed=1)
        >>> r.summary("month").groups[:3]
        ('Jan', 'Feb', 'Mar')
        >>> 0 <= r.summary().get("first_available", "waited")["mean"] <= 1
        True
        """
        if by is None or by == "rank":
            return SimulationResult.summary(self, by)
        if by not in self.groups:
            raise ValueError(
                "by: expected None or one of need, phase, kind, rank, month, year, "
                f"got {by!r}"
            )
        labels, metrics = self.group_labels[by], self.group_metrics[by]
        return Summary(self.mechanisms, labels, metrics, by, *_stats(self.groups[by]))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``sendalloc run --json``); see docs/dynamics.md.

        Returns
        -------
        dict
        """
        from sendalloc.dynamic_report import result_dict

        return result_dict(self)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Every summary statistic as a long CSV table (see docs/dynamics.md).

        Returns
        -------
        str
        """
        from sendalloc.dynamic_report import to_csv

        return to_csv(self, path)

    def table(self) -> str:
        """Text tables: time metrics by mechanism, month by month, year by year.

        Returns
        -------
        str
        """
        from sendalloc.dynamic_report import table

        return table(self)

    def headline(self) -> str:
        """A one-paragraph plain-English summary.

        Returns
        -------
        str
        """
        from sendalloc.dynamic_report import headline

        return headline(self)

    def plot(self, path: str | os.PathLike[str] | None = None) -> Figure:
        """Figures: children waiting and idle places by month; outcomes by year.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from sendalloc.dynamic_report import plot

        return plot(self, path)

    def __repr__(self) -> str:
        return (
            f"DynamicResult(scenario={self.scenario!r}, mode={self.mode!r}, "
            f"years={self.years}, runs={self.runs}, seed={self.seed}, "
            f"mechanisms={list(self.mechanisms)})"
        )


# =========================================================================== driver
def simulate_dynamic(
    scenario: Scenario,
    mechs: Sequence[str | Callable[..., Allocation]],
    names: tuple[str, ...],
    *,
    runs: int,
    seed: int,
    executor: Executor | None = None,
    progress: Callable[[int, int], object] | None = None,
    chunk_size: int | None = None,
) -> DynamicResult:
    """The Monte Carlo engine of the ``in_year`` and ``multi_year`` modes.

    Called by :func:`sendalloc.simulate` (use that): arguments already
    validated, mechanisms resolved to ``mechs`` with display ``names``. Run
    ``r`` uses ``SeedSequence(seed).spawn(runs)[r]``, so results do not depend
    on the executor or the chunking. Within a run every mechanism sees the same
    children in every year (and, in the first year, the same leavers).

    Returns
    -------
    DynamicResult
    """
    mode = str(scenario.mode)
    years = int(scenario.dynamics.years) if mode == "multi_year" else 1
    out = _run_chunks(
        partial(_run_chunk, scenario, mechs, years),
        runs,
        seed,
        executor=executor,
        progress=progress,
        chunk_size=chunk_size,
    )
    labels = _labels(years)
    multi = mode == "multi_year"
    gm = dict.fromkeys(_GROUPINGS, DYNAMIC_GROUP_METRICS)
    gm["month"] = MONTHLY_METRICS
    gm["year"] = _year_columns(multi)
    return DynamicResult(
        scenario=str(scenario.name),
        mechanisms=names,
        runs=runs,
        seed=seed,
        values=out.values,
        rank_profile=out.profile,
        groups=out.groups,
        group_labels={g: labels[g] for g in out.groups},
        description=str(scenario.description),
        metrics=PROJECTION_METRICS if multi else DYNAMIC_METRICS,
        mode=mode,
        years=years,
        group_metrics=gm,
    )
