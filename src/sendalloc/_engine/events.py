"""The events of one simulated year: their schedule, the kernel's state, the batches.

:func:`sendalloc.dynamic.run_year` validates its arguments into a
:class:`YearInputs` and calls :func:`run_events`, which schedules the year's
static events (keys ``day << 36 | type << 32 | id``), lays out the kernel's
state record (:func:`year_state`), runs the compiled event loop
(:mod:`sendalloc._engine.eventkernel`) and hands each batch to a mechanism and
its assignment back to the kernel.

Event order is fully specified: events are processed by day, then by type
(capacity changes, leavers, consultation replies, arrivals held for a batch,
batches, individual arrivals), then by id (a child's position in the LA's
processing order, a setting's index, or the event's index), so the same inputs
give the same timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.calendar import MONTH_END, TERM_END_DAYS, YEAR_END
from sendalloc._engine.eventkernel import (
    APPLY_BATCH,
    ARRIVE,
    AT_ONCE,
    BATCH,
    CAP,
    CARRY,
    CHANGE,
    CHILD,
    CONSULTATION,
    FOR_RANKED,
    HELD,
    HOLD,
    LEAVE,
    MONTH,
    NOT_ARRIVED,
    OUT,
    OUT_OF_LIST,
    RANKED_BY,
    RUN,
    SETTING,
    TRACE_N,
    WAITING_CODES,
    YearState,
    year_kernel,
)
from sendalloc.mechanisms import allocate
from sendalloc.problem import Allocation, Problem

__all__ = [
    "OUT_OF_LIST",
    "WAITING_POLICIES",
    "YearInputs",
    "YearOutcome",
    "compile_kernel",
    "run_events",
    "year_state",
]

# run_events calls the kernel by this module's name, so that a test can put its
# plain-Python version (year_kernel.py_func) in its place.
_year_kernel = year_kernel

#: What a child with no ranked place does (``run_year(waiting=...)``).
WAITING_POLICIES: tuple[str, ...] = tuple(WAITING_CODES)


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


@dataclass(frozen=True, slots=True, eq=False)
class YearInputs:
    """The validated inputs of one year, as :func:`run_events` takes them.

    Built by :func:`sendalloc.dynamic.run_year`, which documents each field and
    checks it: arrays are int64 (``severity`` float64), ``lists`` is C-ordered,
    ``free`` is a copy the event loop may update, and ``transfer`` is False for
    children carried over from a previous year (``arrival_day <= 0``).
    """

    problem: Problem
    arrival_day: NDArray[np.int64]  # (N,)
    transfer: NDArray[np.bool_]  # (N,)
    lists: NDArray[np.int64]  # (N, K)
    severity: NDArray[np.float64]  # (N,)
    free: NDArray[np.int64]  # (M,)
    leave_day: NDArray[np.int64]  # (J,)
    leave_setting: NDArray[np.int64]  # (J,)
    capacity_day: NDArray[np.int64]  # (P,)
    capacity_setting: NDArray[np.int64]  # (P,)
    capacity_places: NDArray[np.int64]  # (P,)
    batch: str
    consultation_days: int
    waiting: str
    wait_order: str
    moving_up: bool


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
        held = MONTH_END.astype(np.int64)
    elif batch == "termly":
        held = np.asarray(TERM_END_DAYS, dtype=np.int64)
    else:
        held = np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([transfer_days, held]))


def _schedule(
    inputs: YearInputs, posn: NDArray[np.int64]
) -> tuple[NDArray[np.int64], np.recarray, NDArray[np.int64]]:
    """The static events' keys, the capacity changes, and each child's batch.

    Returns ``(ev_keys, change, batch_of)``: ``batch_of[i]`` is the batch
    child ``i`` is allocated in, or -1.
    """
    batch = inputs.batch
    day = inputs.arrival_day
    carried = day <= 0
    tr = inputs.transfer
    ld, ls = inputs.leave_day, inputs.leave_setting
    cd, cs, cp = inputs.capacity_day, inputs.capacity_setting, inputs.capacity_places
    # Batches: statutory transfer days, plus the batch days of held new plans.
    bdays = _batch_days(batch, np.unique(day[tr]))
    batch_of = np.full(day.size, -1, dtype=np.int64)
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
    keys = [  # event ids of children are processing positions
        _key(cd, CAP, np.arange(cd.size)),
        _key(ld, LEAVE, cd.size + np.arange(ld.size)),
        _key(day[held], HOLD, posn[held]),
        _key(bdays, BATCH, np.arange(bdays.size)),
        _key(day[individual], ARRIVE, posn[individual]),
    ]
    change = np.recarray(cs.size + ls.size, dtype=CHANGE)
    change.setting = np.concatenate([cs, ls])
    change.places = np.concatenate([cp, np.ones(ls.size, dtype=np.int64)])
    return np.sort(np.concatenate(keys)), change, batch_of


def year_state(inputs: YearInputs, trace: bool) -> tuple[YearState, NDArray[np.int64]]:
    """The kernel's state at the start of the year, and each child's batch (-1 none)."""
    problem = inputs.problem
    n, m = problem.n_children, problem.n_settings
    # Fresh, writable, C-ordered int64 copies: numba compiles the kernel for
    # the exact array types, so any other kind would compile it a second time.
    prefs = np.array(problem.preferences, dtype=np.int64, order="C")
    lst = np.array(inputs.lists, dtype=np.int64, order="C")
    order = problem.order.astype(np.int64)
    child = np.recarray(n, dtype=CHILD)
    child.posn[order] = np.arange(n)
    ev_keys, change, batch_of = _schedule(inputs, child.posn)
    pref_ptr, pref_child, pref_rank = _csr(prefs, m)
    ranked_by = np.recarray(pref_child.size, dtype=RANKED_BY)
    ranked_by.child, ranked_by.rank = pref_child, pref_rank
    list_ptr, list_child, _ = _csr(lst, m)
    unranked = prefs.shape[1] + lst.shape[1] + 1
    child.status = NOT_ARRIVED
    child.where = -1
    child.rank = unranked
    child.wait_mode = FOR_RANKED
    if inputs.wait_order == "severity":
        child.key1 = -inputs.severity
    else:
        child.key1 = inputs.arrival_day
    child.first_day = -1
    child.first_setting = -1
    child.moves = 0
    child.consult_k = 0
    setting = np.recarray(m, dtype=SETTING)
    setting.free = inputs.free
    setting.demand = setting.contrib = setting.in_stack = 0
    month = np.recarray(12, dtype=MONTH)
    month.idle = month.moves = 0
    rows = n * (prefs.shape[1] + lst.shape[1] + 6) if trace else 0
    st = YearState(
        ev_keys=ev_keys,
        change=change,
        order=order,
        prefs=prefs,
        lists=lst,
        pref_ptr=pref_ptr,
        ranked_by=ranked_by,
        list_ptr=list_ptr,
        list_child=list_child,
        arrival=CONSULTATION if inputs.batch == "consultation" else AT_ONCE,
        waiting=WAITING_CODES[inputs.waiting],
        by_severity=inputs.wait_order == "severity",
        moving_up=bool(inputs.moving_up),
        consult_days=int(inputs.consultation_days),
        unranked=int(unranked),
        child=child,
        setting=setting,
        counters=np.array([0, 1, 0, 0, 0, 0], dtype=np.int64),
        heap=np.zeros(max(n, 1), dtype=np.int64),
        stack=np.zeros(max(m, 1), dtype=np.int64),
        month=month,
        trace=np.zeros((rows, 5), dtype=np.int64),
    )
    return st, batch_of


def run_events(
    inputs: YearInputs,
    mechanism: str | Callable[..., Allocation],
    rng: Any,
    trace: bool,
) -> YearOutcome:
    """Run the year's events; each batch is allocated by ``mechanism``.

    Returns
    -------
    YearOutcome
    """
    problem = inputs.problem
    st, batch_of = year_state(inputs, trace)
    order, status = st.order, st.child.status
    empty = np.zeros(0, dtype=np.int64)
    carried = inputs.arrival_day <= 0
    if carried.any():
        # On 1 January, before any event, in waiting-list order.
        queue = order[carried[order]]
        queue = queue[np.lexsort((st.child.posn[queue], st.child.key1[queue]))]
        _year_kernel(CARRY, queue, empty, st)
    gen = np.random.default_rng(rng)
    prio = problem.priority
    while True:
        bid = int(_year_kernel(RUN, empty, empty, st))
        if bid < 0:
            break
        members = order[batch_of[order] == bid]  # in processing order
        members = members[status[members] == HELD]
        assign = np.full(members.size, -1, dtype=np.int64)
        if members.size:
            sub = Problem.from_arrays(
                np.maximum(st.setting.free, 0),
                problem.preferences[members],
                priority=prio[members],
                order=np.arange(members.size),
            )
            assign = allocate(sub, mechanism, rng=gen).assignment.astype(np.int64)
        _year_kernel(APPLY_BATCH, members, assign, st)
    child = st.child
    return YearOutcome(
        assignment=np.where(status == OUT, OUT_OF_LIST, child.where).astype(np.int32),
        first_setting=child.first_setting.astype(np.int32),
        first_day=child.first_day.astype(np.int32),
        arrival_day=inputs.arrival_day.astype(np.int32),
        moves=child.moves.astype(np.int32),
        status=status.astype(np.int8),
        idle_place_days=np.ascontiguousarray(st.month.idle),
        moves_by_month=np.ascontiguousarray(st.month.moves),
        free_end=np.ascontiguousarray(st.setting.free),
        trace=st.trace[: st.counters[TRACE_N]] if trace else None,
    )


def compile_kernel() -> None:
    """Compile the event kernel, or load it from numba's cache, on a tiny year.

    The first in-year run of a process does this anyway; a program may call it
    earlier, for example in another process while the mechanisms compile (a
    cold numba cache costs a few seconds per kernel). The kernel is compiled
    for the array types every run uses, so later runs reuse it.
    """
    problem = Problem.from_arrays([1], [[0], [0]], priority=[[0], [1]])
    zero = np.zeros(0, dtype=np.int64)
    inputs = YearInputs(
        problem=problem,
        arrival_day=np.array([1, 2], dtype=np.int64),
        transfer=np.zeros(2, dtype=np.bool_),
        lists=np.array(problem.preferences, dtype=np.int64),
        severity=np.zeros(2),
        free=np.ones(1, dtype=np.int64),
        leave_day=zero,
        leave_setting=zero,
        capacity_day=zero,
        capacity_setting=zero,
        capacity_places=zero,
        batch="none",
        consultation_days=15,
        waiting="wait",
        wait_order="first_come",
        moving_up=False,
    )
    run_events(inputs, "first_available", None, False)
