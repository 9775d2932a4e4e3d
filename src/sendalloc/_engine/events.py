"""The event loop of one simulated year: the numba kernel and the code that drives it.

Everything that knows the kernel's calling convention lives in this module: the
child-state and event codes, the event keys (``day << 36 | type << 32 | id``),
the state record :class:`YearState`, and the loop that hands each batch to a
mechanism and its assignment back to the kernel.
:func:`sendalloc.dynamic.run_year` validates its arguments into a
:class:`YearInputs` and calls :func:`run_events`.

Event order is fully specified: events are processed by day, then by type
(capacity changes, leavers, consultation replies, arrivals held for a batch,
batches, individual arrivals), then by id (a child's position in the LA's
processing order, a setting's index, or the event's index), so the same inputs
give the same timeline.

The kernel is a set of small compiled helpers over one record,
:class:`YearState` (a named tuple of arrays and policy codes), each compiled
once (:func:`~sendalloc._kernels.jit.helper`). The loop (:func:`run`) pops the
next event and hands it to :func:`handle`; a child's arrival goes to
:func:`arrive`, which dispatches on the arrival policy (``st.arrival``), and a
child with no ranked place to :func:`no_place`, which dispatches on the
waiting policy (``st.waiting``). A new arrival policy is a code, a helper that
starts it, a helper per event type it schedules (pushed on the heap with
:func:`schedule`), and the fields of :class:`YearState` it needs; the loop does
not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.calendar import MONTH_END, MONTH_OF, TERM_END_DAYS, YEAR_END
from sendalloc._kernels.jit import helper, kernel
from sendalloc.mechanisms import allocate
from sendalloc.problem import Allocation, Problem

__all__ = [
    "CHILD",
    "OUT_OF_LIST",
    "SETTING",
    "WAITING_POLICIES",
    "YearInputs",
    "YearOutcome",
    "YearState",
    "compile_kernel",
    "run_events",
    "year_state",
]

# Child states (kernel codes, YearOutcome.status).
_NOT_ARRIVED, _HELD, _CONSULTING, _WAITING, _PLACED, _OUT = 0, 1, 2, 3, 4, 5
# Event types, in their order within a day (4 bits of the key).
_CAP, _LEAVE, _CONSULT, _HOLD, _BATCH, _ARRIVE = 0, 1, 2, 3, 4, 5
# Arrival policies (st.arrival): how a child not held for a batch is placed.
_AT_ONCE, _CONSULTATION = 0, 1
# Waiting policies (st.waiting): what a child with no ranked place does.
_POLICY = {"wait": 0, "fallback": 1, "out_of_list": 2}
_WAIT, _FALLBACK, _OUT_OF_LIST_NOW = 0, 1, 2
_WAIT_ORDER = {"first_come": 0, "severity": 1}
# How a waiting child waits (st.wait_mode): for a ranked setting, or any listed one.
_FOR_RANKED, _FOR_LISTED = 0, 1
_OUT_OF_LIST = -2  # setting code of an out-of-list placement
# Counters (st.counters): idle place-days so far, the current day, the next static
# event, the heap's size, trace rows written, settings on the serve stack.
_IDLE, _DAY, _NEXT, _HEAP_N, _TRACE_N, _STACK_N = 0, 1, 2, 3, 4, 5
# Kernel operations (_year_kernel's op).
_RUN, _APPLY_BATCH, _CARRY = 0, 1, 2
_NO_EVENT = -1
_INF = 1 << 62

#: Setting code of an out-of-list placement in a :class:`YearOutcome`.
OUT_OF_LIST = _OUT_OF_LIST
#: What a child with no ranked place does (``run_year(waiting=...)``).
WAITING_POLICIES: tuple[str, ...] = tuple(_POLICY)


#: The kernel's per-child table (YearState.child): one record per child.
CHILD = np.dtype(
    [
        ("status", np.int64),  # state code above
        ("where", np.int64),  # setting held (-1 none, -2 out of list)
        ("rank", np.int64),  # rank of the setting held (unranked if none)
        ("wait_mode", np.int64),  # waiting for a ranked setting, or a listed one
        ("key1", np.float64),  # waiting-list key (lower first), ties by posn
        ("first_day", np.int64),  # day of the first place, -1 none yet
        ("first_setting", np.int64),
        ("moves", np.int64),
        ("consult_k", np.int64),  # the ranked setting being consulted
        ("posn", np.int64),  # position in the LA's processing order (event id)
    ],
    align=True,
)
#: The kernel's per-setting table (YearState.setting).
SETTING = np.dtype(
    [
        ("free", np.int64),  # free places; negative: over capacity
        ("demand", np.int64),  # children without a place who would take one
        ("contrib", np.int64),  # min(free, demand): counted as idle each day
        ("in_stack", np.int64),  # on the stack of settings to serve
    ],
    align=True,
)
_CHANGE = np.dtype([("setting", np.int64), ("places", np.int64)], align=True)
_RANKED_BY = np.dtype([("child", np.int64), ("rank", np.int64)], align=True)
_MONTH = np.dtype([("idle", np.int64), ("moves", np.int64)], align=True)
_MONTH_OF = MONTH_OF.astype(np.int64)  # (367,) day -> month


class YearState(NamedTuple):
    """Everything the event kernel reads and writes: one record, built by run_events.

    Per-child and per-setting state are tables (record arrays: ``st.child.status[i]``,
    ``st.setting.free[s]``) whose fields are :data:`CHILD` and :data:`SETTING`;
    a new per-child or per-setting quantity is a new field there. The kernel
    mutates ``child``, ``setting``, the queues and the outputs in place;
    everything else is read-only. Unused fields may be empty (``trace`` is
    (0, 5) without tracing).
    """

    # -- the year's events and the children's rankings (read-only)
    ev_keys: NDArray[np.int64]  # (E,) sorted keys of the static events
    change: np.recarray  # (C,) capacity change or leaver id -> setting, places
    order: NDArray[np.int64]  # (N,) processing position -> child
    prefs: NDArray[np.int64]  # (N, L) rankings, -1 padded
    lists: NDArray[np.int64]  # (N, K) tailored lists in the LA's order
    pref_ptr: NDArray[np.int64]  # (M+1,) children ranking each setting (CSR):
    ranked_by: np.recarray  # child and their rank of the setting
    list_ptr: NDArray[np.int64]  # (M+1,) children listing each setting (CSR)
    list_child: NDArray[np.int64]
    # -- policies (codes above)
    arrival: int
    waiting: int
    by_severity: bool
    moving_up: bool
    consult_days: int
    unranked: int  # the rank of an unranked or out-of-list place
    # -- state
    child: np.recarray  # (N,) CHILD
    setting: np.recarray  # (M,) SETTING
    counters: NDArray[np.int64]  # (6,) the counters above
    heap: NDArray[np.int64]  # (N,) keys of scheduled events (a binary heap)
    stack: NDArray[np.int64]  # (M,) settings with a place freed, to serve
    # -- outputs
    month: np.recarray  # (12,) idle place-days, moves
    trace: NDArray[np.int64]  # (T, 5) or (0, 5)


# ====================================================================== helpers
# Each helper is compiled once, as a function of its own (numba's compile time
# grows with every compiled function and with the code each one links in, so
# one-line steps are written where they are used rather than made helpers).


@helper
def log(st: YearState, day: int, i: int, frm: int, to: int, state: int) -> None:
    """Append a row to the trace (when tracing)."""
    if st.trace.shape[0] > 0:
        r = st.counters[_TRACE_N]
        st.trace[r, 0] = day
        st.trace[r, 1] = i
        st.trace[r, 2] = frm
        st.trace[r, 3] = to
        st.trace[r, 4] = state
        st.counters[_TRACE_N] = r + 1


@helper
def set_contrib(st: YearState, s: int) -> None:
    """Recount setting ``s``'s idle places: min(free, demand)."""
    free, demand = st.setting.free[s], st.setting.demand[s]
    c = min(free, demand) if (demand > 0 and free > 0) else 0
    st.counters[_IDLE] += c - st.setting.contrib[s]
    st.setting.contrib[s] = c


@helper
def add_demand(st: YearState, i: int, sign: int) -> None:
    """Count child ``i`` in (sign 1) or out of (-1) the demand of their settings."""
    if st.child.status[i] == _WAITING and st.child.wait_mode[i] == _FOR_LISTED:
        row = st.lists[i]
    else:
        row = st.prefs[i]
    for s in row:
        if s < 0:
            break
        st.setting.demand[s] += sign
        set_contrib(st, s)


@helper
def push(st: YearState, s: int) -> None:
    """Put setting ``s`` on the stack of settings to serve (once)."""
    if st.setting.in_stack[s] == 0:
        st.setting.in_stack[s] = 1
        st.stack[st.counters[_STACK_N]] = s
        st.counters[_STACK_N] += 1


@helper
def change_free(st: YearState, s: int, delta: int) -> None:
    """Add ``delta`` free places at ``s``; a freed place puts ``s`` up to serve."""
    st.setting.free[s] += delta
    set_contrib(st, s)
    if delta > 0:
        push(st, s)


@helper
def first_free(st: YearState, row: NDArray[np.int64]) -> int:
    """The first setting of ``row`` (-1 padded) with a free place, or -1."""
    for s in row:
        if s < 0:
            break
        if st.setting.free[s] > 0:
            return s  # type: ignore[no-any-return]
    return -1


# ------------------------------------------------------------------- placing
@helper
def place(st: YearState, i: int, s: int, day: int) -> None:
    """Child ``i`` takes a place at ``s`` (a move if they held one)."""
    prev_status = st.child.status[i]
    prev = st.child.where[i]
    if prev_status in (_HELD, _CONSULTING, _WAITING):
        add_demand(st, i, -1)
    change_free(st, s, -1)
    st.child.status[i] = _PLACED
    st.child.where[i] = s
    rank = st.unranked
    for k in range(st.prefs.shape[1]):
        if st.prefs[i, k] == s:
            rank = k
            break
        if st.prefs[i, k] < 0:
            break
    st.child.rank[i] = rank
    if st.child.first_day[i] < 0:
        st.child.first_day[i] = day
        st.child.first_setting[i] = s
    elif prev_status in (_PLACED, _OUT):
        st.child.moves[i] += 1
        st.month.moves[_MONTH_OF[day]] += 1
    log(st, day, i, prev, s, _PLACED)
    if prev_status == _PLACED:
        change_free(st, prev, 1)


@helper
def start_waiting(st: YearState, i: int, mode: int, day: int) -> None:
    """Child ``i`` joins the waiting lists (``mode``: ranked or listed settings)."""
    st.child.status[i] = _WAITING
    st.child.wait_mode[i] = mode
    if not st.by_severity:
        st.child.key1[i] = day
    add_demand(st, i, 1)
    log(st, day, i, st.child.where[i], -1, _WAITING)


@helper
def no_place(st: YearState, i: int, day: int) -> None:
    """Child ``i`` could not be given a ranked place now: the waiting policy."""
    if st.child.status[i] in (_HELD, _CONSULTING, _WAITING):
        add_demand(st, i, -1)
    st.child.status[i] = _NOT_ARRIVED  # transient: no demand counted
    if st.waiting == _OUT_OF_LIST_NOW:  # placed outside the modelled settings
        st.child.status[i] = _OUT
        st.child.where[i] = _OUT_OF_LIST
        st.child.rank[i] = st.unranked
        if st.child.first_day[i] < 0:
            st.child.first_day[i] = day
            st.child.first_setting[i] = _OUT_OF_LIST
        log(st, day, i, -1, _OUT_OF_LIST, _OUT)
    elif st.waiting == _FALLBACK:
        s = first_free(st, st.lists[i])
        if s >= 0:
            place(st, i, s, day)
        else:
            start_waiting(st, i, _FOR_LISTED, day)
    else:
        start_waiting(st, i, _FOR_RANKED, day)


# ------------------------------------------------------------------- serving
@helper
def better(st: YearState, i: int, j: int) -> bool:
    """Child ``i`` is ahead of ``j`` (or ``j`` is none) on a waiting list."""
    if j < 0:
        return True
    if st.child.key1[i] != st.child.key1[j]:
        return st.child.key1[i] < st.child.key1[j]  # type: ignore[no-any-return]
    return st.child.posn[i] < st.child.posn[j]  # type: ignore[no-any-return]


@helper
def candidate(st: YearState, s: int) -> int:
    """Who takes a free place at ``s``: the first waiting child, else a mover up."""
    bw = -1
    bm = -1
    for e in range(st.pref_ptr[s], st.pref_ptr[s + 1]):
        i = st.ranked_by.child[e]
        state = st.child.status[i]
        if state == _WAITING:
            if better(st, i, bw):
                bw = i
        elif (
            st.moving_up
            and state in (_PLACED, _OUT)
            and st.ranked_by.rank[e] < st.child.rank[i]
            and better(st, i, bm)
        ):
            bm = i
    for e in range(st.list_ptr[s], st.list_ptr[s + 1]):
        i = st.list_child[e]
        if (
            st.child.status[i] == _WAITING
            and st.child.wait_mode[i] == _FOR_LISTED
            and better(st, i, bw)
        ):
            bw = i
    return bw if bw >= 0 else bm


@helper
def serve(st: YearState, day: int) -> None:
    """Fill the free places of every setting on the stack (vacancy chains too)."""
    while st.counters[_STACK_N] > 0:
        st.counters[_STACK_N] -= 1
        s = st.stack[st.counters[_STACK_N]]
        st.setting.in_stack[s] = 0
        while st.setting.free[s] > 0:
            c = candidate(st, s)
            if c < 0:
                break
            place(st, c, s, day)


# ------------------------------------------------------- events and arrivals
@helper
def schedule(st: YearState, day: int, typ: int, i: int) -> None:
    """Schedule an event of type ``typ`` for child ``i`` on ``day`` (heap push)."""
    heap = st.heap
    j = st.counters[_HEAP_N]
    heap[j] = (day << 36) | (typ << 32) | st.child.posn[i]
    st.counters[_HEAP_N] = j + 1
    while j > 0:
        p = (j - 1) // 2
        if heap[p] <= heap[j]:
            break
        t = heap[p]
        heap[p] = heap[j]
        heap[j] = t
        j = p


@helper
def next_key(st: YearState) -> int:
    """Take the next event's key, static or scheduled; -1 at the year's end."""
    nxt = st.counters[_NEXT]
    sk = st.ev_keys[nxt] if nxt < st.ev_keys.shape[0] else _INF
    heap = st.heap
    n = st.counters[_HEAP_N]
    hk = heap[0] if n > 0 else _INF
    if sk == _INF and hk == _INF:
        return _NO_EVENT
    if hk >= sk:
        st.counters[_NEXT] = nxt + 1
        return sk
    if (hk >> 36) >= YEAR_END:
        return _NO_EVENT
    n -= 1  # pop the heap's top
    st.counters[_HEAP_N] = n
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
    return hk


@helper
def start_consultation(st: YearState, i: int, day: int) -> None:
    """Consult the first ranked setting; the reply comes ``consult_days`` later."""
    st.child.status[i] = _CONSULTING
    st.child.consult_k[i] = 0
    add_demand(st, i, 1)
    log(st, day, i, -1, -1, _CONSULTING)
    schedule(st, day + st.consult_days, _CONSULT, i)


@helper
def consultation_reply(st: YearState, i: int, day: int) -> None:
    """A place if the consulted setting has one free now, else consult the next."""
    k = st.child.consult_k[i]
    s = st.prefs[i, k]
    if st.setting.free[s] > 0:
        place(st, i, s, day)
    elif k + 1 < st.prefs.shape[1] and st.prefs[i, k + 1] >= 0:
        st.child.consult_k[i] = k + 1
        schedule(st, day + st.consult_days, _CONSULT, i)
    else:
        no_place(st, i, day)


@helper
def arrive(st: YearState, i: int, day: int) -> None:
    """A plan is final and the child is not held for a batch: the arrival policy."""
    log(st, day, i, -1, -1, _NOT_ARRIVED)
    if st.arrival == _CONSULTATION and st.prefs.shape[1] > 0 and st.prefs[i, 0] >= 0:
        start_consultation(st, i, day)
        return
    s = first_free(st, st.prefs[i])  # at once: the first ranked free place
    if s >= 0:
        place(st, i, s, day)
    else:
        no_place(st, i, day)


# ---------------------------------------------------------------- the kernel
@helper
def step(
    op: int,
    batch_children: NDArray[np.int64],
    batch_assign: NDArray[np.int64],
    st: YearState,
) -> int:
    """The body of :func:`_year_kernel` (a helper: see there)."""
    day = st.counters[_DAY]
    if op == _CARRY:
        for i in batch_children:
            log(st, day, i, -1, -1, _NOT_ARRIVED)
            s = first_free(st, st.prefs[i])
            if s >= 0:
                place(st, i, s, day)
            else:
                k1 = st.child.key1[i]
                no_place(st, i, day)
                st.child.key1[i] = k1  # a carried child keeps their place in the queue
        return -1
    if op == _APPLY_BATCH:
        nb = batch_children.shape[0]
        for t in range(nb):
            if batch_assign[t] >= 0:
                place(st, batch_children[t], batch_assign[t], day)
        for t in range(nb):
            if batch_assign[t] < 0:
                no_place(st, batch_children[t], day)
        for s in range(st.setting.shape[0]):
            if st.setting.free[s] > 0:
                push(st, s)
        serve(st, day)
        return -1
    mask32 = (1 << 32) - 1
    while True:
        key = next_key(st)
        if key == _NO_EVENT:
            break
        day = key >> 36
        typ = (key >> 32) & 15
        ident = key & mask32
        d = st.counters[_DAY]  # each day passed counts its idle places
        while d < day:
            st.month.idle[_MONTH_OF[d]] += st.counters[_IDLE]
            d += 1
        st.counters[_DAY] = day
        if typ == _BATCH:
            return ident
        if typ in (_CAP, _LEAVE):
            change_free(st, st.change.setting[ident], st.change.places[ident])
            serve(st, day)
        elif typ == _CONSULT:
            consultation_reply(st, st.order[ident], day)
        elif typ == _HOLD:
            i = st.order[ident]
            st.child.status[i] = _HELD
            add_demand(st, i, 1)
            log(st, day, i, -1, -1, _HELD)
        else:
            arrive(st, st.order[ident], day)
    d = st.counters[_DAY]
    while d < YEAR_END:
        st.month.idle[_MONTH_OF[d]] += st.counters[_IDLE]
        d += 1
    st.counters[_DAY] = YEAR_END
    return -1


@kernel
def _year_kernel(
    op: int,
    batch_children: NDArray[np.int64],
    batch_assign: NDArray[np.int64],
    st: YearState,
) -> int:
    """The event loop of one year over ``st`` (mutated in place).

    ``op == 0``: process events in key order until a batch event (return its
    id: the caller allocates the batch and calls back with ``op == 1``) or the
    end of the year (return -1). ``op == 1``: apply the batch assignment
    ``batch_assign`` (setting or -1) to ``batch_children`` (in processing
    order), then serve every setting with a free place; return -1. ``op == 2``
    (before the first event): the children carried over from last year,
    ``batch_children`` in waiting-list order, each take the first free setting
    in their ranking or else follow the waiting policy, keeping ``key1``;
    return -1.

    The body is the helper :func:`step`: a helper called both from a kernel
    and from other helpers would be compiled twice (numba keys a compiled
    overload on its caller's compile flags), so the kernel calls one helper.
    """
    return step(op, batch_children, batch_assign, st)


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
        _key(cd, _CAP, np.arange(cd.size)),
        _key(ld, _LEAVE, cd.size + np.arange(ld.size)),
        _key(day[held], _HOLD, posn[held]),
        _key(bdays, _BATCH, np.arange(bdays.size)),
        _key(day[individual], _ARRIVE, posn[individual]),
    ]
    change = np.recarray(cs.size + ls.size, dtype=_CHANGE)
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
    ranked_by = np.recarray(pref_child.size, dtype=_RANKED_BY)
    ranked_by.child, ranked_by.rank = pref_child, pref_rank
    list_ptr, list_child, _ = _csr(lst, m)
    unranked = prefs.shape[1] + lst.shape[1] + 1
    child.status = _NOT_ARRIVED
    child.where = -1
    child.rank = unranked
    child.wait_mode = _FOR_RANKED
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
    month = np.recarray(12, dtype=_MONTH)
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
        arrival=_CONSULTATION if inputs.batch == "consultation" else _AT_ONCE,
        waiting=_POLICY[inputs.waiting],
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
        _year_kernel(_CARRY, queue, empty, st)
    gen = np.random.default_rng(rng)
    prio = problem.priority
    while True:
        bid = int(_year_kernel(_RUN, empty, empty, st))
        if bid < 0:
            break
        members = order[batch_of[order] == bid]  # in processing order
        members = members[status[members] == _HELD]
        assign = np.full(members.size, -1, dtype=np.int64)
        if members.size:
            sub = Problem.from_arrays(
                np.maximum(st.setting.free, 0),
                problem.preferences[members],
                priority=prio[members],
                order=np.arange(members.size),
            )
            assign = allocate(sub, mechanism, rng=gen).assignment.astype(np.int64)
        _year_kernel(_APPLY_BATCH, members, assign, st)
    child = st.child
    return YearOutcome(
        assignment=np.where(status == _OUT, _OUT_OF_LIST, child.where).astype(np.int32),
        first_setting=child.first_setting.astype(np.int32),
        first_day=child.first_day.astype(np.int32),
        arrival_day=inputs.arrival_day.astype(np.int32),
        moves=child.moves.astype(np.int32),
        status=status.astype(np.int8),
        idle_place_days=np.ascontiguousarray(st.month.idle),
        moves_by_month=np.ascontiguousarray(st.month.moves),
        free_end=np.ascontiguousarray(st.setting.free),
        trace=st.trace[: st.counters[_TRACE_N]] if trace else None,
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
