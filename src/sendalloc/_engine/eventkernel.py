"""The compiled event loop of one simulated year: its state record and helpers.

The kernel is a set of small compiled helpers over one record,
:class:`YearState` (a named tuple of arrays, per-child and per-setting tables,
and policy codes), each compiled once and cached inside :func:`year_kernel`
(:func:`~sendalloc._kernels.jit.helper`). :mod:`sendalloc._engine.events`
lays the record out, calls the kernel and allocates its batches; everything
compiled lives here, in one file, because numba invalidates a kernel's cache
only when the kernel's own source file changes.

How it runs. :func:`step` takes the next event (:func:`next_key`: the static
events' sorted keys merged with the heap of scheduled ones) and dispatches on
its type: a capacity change or leaver frees places and :func:`serve` fills
them from the waiting lists (:func:`candidate`), vacancy chains included; a
child's arrival goes to :func:`arrive`, which dispatches on the arrival policy
(``st.arrival``: at once, or :func:`start_consultation`), and each placement to
:func:`place`; a child with no ranked place goes to :func:`no_place`, which
dispatches on the waiting policy (``st.waiting``). A batch event returns to
the caller, which allocates the batch and calls back (``APPLY_BATCH``).

Adding an arrival policy (today's statutory process, say) is: a code beside
``AT_ONCE`` and ``CONSULTATION`` and its branch in :func:`arrive`; a helper per
decision it takes; an event type per delayed decision (scheduled with
:func:`schedule`, placed in the within-day order below, dispatched in
:func:`step`); and the per-child or per-setting fields it needs in
:data:`CHILD`, :data:`SETTING` and :class:`YearState`. The loop does not change.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.calendar import MONTH_OF, YEAR_END
from sendalloc._kernels.jit import helper, kernel

__all__ = [
    "APPLY_BATCH",
    "ARRIVE",
    "AT_ONCE",
    "BATCH",
    "CAP",
    "CARRY",
    "CHANGE",
    "CHILD",
    "CONSULTATION",
    "FOR_RANKED",
    "HELD",
    "HOLD",
    "LEAVE",
    "MONTH",
    "NOT_ARRIVED",
    "OUT",
    "OUT_OF_LIST",
    "RANKED_BY",
    "RUN",
    "SETTING",
    "TRACE_N",
    "WAITING_CODES",
    "YearState",
    "year_kernel",
]

# Child states (kernel codes, YearOutcome.status).
NOT_ARRIVED, HELD, CONSULTING, WAITING, PLACED, OUT = 0, 1, 2, 3, 4, 5
# Event types, in their order within a day (4 bits of the key).
CAP, LEAVE, CONSULT, HOLD, BATCH, ARRIVE = 0, 1, 2, 3, 4, 5
# Arrival policies (st.arrival): how a child not held for a batch is placed.
AT_ONCE, CONSULTATION = 0, 1
# Waiting policies (st.waiting): what a child with no ranked place does.
WAITING_CODES = {"wait": 0, "fallback": 1, "out_of_list": 2}
WAIT, FALLBACK, OUT_OF_LIST_NOW = 0, 1, 2
# How a waiting child waits (st.wait_mode): for a ranked setting, or any listed one.
FOR_RANKED, FOR_LISTED = 0, 1
OUT_OF_LIST = -2  # setting code of an out-of-list placement
# Counters (st.counters): idle place-days so far, the current day, the next static
# event, the heap's size, trace rows written, settings on the serve stack.
IDLE, DAY, NEXT, HEAP_N, TRACE_N, STACK_N = 0, 1, 2, 3, 4, 5
# Kernel operations (year_kernel's op).
RUN, APPLY_BATCH, CARRY = 0, 1, 2
_NO_EVENT = -1
_INF = 1 << 62


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
CHANGE = np.dtype([("setting", np.int64), ("places", np.int64)], align=True)
RANKED_BY = np.dtype([("child", np.int64), ("rank", np.int64)], align=True)
MONTH = np.dtype([("idle", np.int64), ("moves", np.int64)], align=True)
_MONTH_OF = MONTH_OF.astype(np.int64)  # (367,) day -> month


class YearState(NamedTuple):
    """Everything the event kernel reads and writes (laid out by events.year_state).

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
# The helpers allocate nothing: they are compiled without reference counting.
# Each helper is compiled once, as a function of its own (numba's compile time
# grows with every compiled function and with the code each one links in, so
# one-line steps are written where they are used rather than made helpers).


@helper(nrt=False)
def log(st: YearState, day: int, i: int, frm: int, to: int, state: int) -> None:
    """Append a row to the trace (when tracing)."""
    if st.trace.shape[0] > 0:
        r = st.counters[TRACE_N]
        st.trace[r, 0] = day
        st.trace[r, 1] = i
        st.trace[r, 2] = frm
        st.trace[r, 3] = to
        st.trace[r, 4] = state
        st.counters[TRACE_N] = r + 1


@helper(nrt=False)
def set_contrib(st: YearState, s: int) -> None:
    """Recount setting ``s``'s idle places: min(free, demand)."""
    free, demand = st.setting.free[s], st.setting.demand[s]
    c = min(free, demand) if (demand > 0 and free > 0) else 0
    st.counters[IDLE] += c - st.setting.contrib[s]
    st.setting.contrib[s] = c


@helper(nrt=False)
def add_demand(st: YearState, i: int, sign: int) -> None:
    """Count child ``i`` in (sign 1) or out of (-1) the demand of their settings."""
    if st.child.status[i] == WAITING and st.child.wait_mode[i] == FOR_LISTED:
        row = st.lists[i]
    else:
        row = st.prefs[i]
    for s in row:
        if s < 0:
            break
        st.setting.demand[s] += sign
        set_contrib(st, s)


@helper(nrt=False)
def push(st: YearState, s: int) -> None:
    """Put setting ``s`` on the stack of settings to serve (once)."""
    if st.setting.in_stack[s] == 0:
        st.setting.in_stack[s] = 1
        st.stack[st.counters[STACK_N]] = s
        st.counters[STACK_N] += 1


@helper(nrt=False)
def change_free(st: YearState, s: int, delta: int) -> None:
    """Add ``delta`` free places at ``s``; a freed place puts ``s`` up to serve."""
    st.setting.free[s] += delta
    set_contrib(st, s)
    if delta > 0:
        push(st, s)


@helper(nrt=False)
def first_free(st: YearState, row: NDArray[np.int64]) -> int:
    """The first setting of ``row`` (-1 padded) with a free place, or -1."""
    for s in row:
        if s < 0:
            break
        if st.setting.free[s] > 0:
            return s  # type: ignore[no-any-return]
    return -1


# ------------------------------------------------------------------- placing
@helper(nrt=False)
def place(st: YearState, i: int, s: int, day: int) -> None:
    """Child ``i`` takes a place at ``s`` (a move if they held one)."""
    prev_status = st.child.status[i]
    prev = st.child.where[i]
    if prev_status in (HELD, CONSULTING, WAITING):
        add_demand(st, i, -1)
    change_free(st, s, -1)
    st.child.status[i] = PLACED
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
    elif prev_status in (PLACED, OUT):
        st.child.moves[i] += 1
        st.month.moves[_MONTH_OF[day]] += 1
    log(st, day, i, prev, s, PLACED)
    if prev_status == PLACED:
        change_free(st, prev, 1)


@helper(nrt=False)
def start_waiting(st: YearState, i: int, mode: int, day: int) -> None:
    """Child ``i`` joins the waiting lists (``mode``: ranked or listed settings)."""
    st.child.status[i] = WAITING
    st.child.wait_mode[i] = mode
    if not st.by_severity:
        st.child.key1[i] = day
    add_demand(st, i, 1)
    log(st, day, i, st.child.where[i], -1, WAITING)


@helper(nrt=False)
def no_place(st: YearState, i: int, day: int) -> None:
    """Child ``i`` could not be given a ranked place now: the waiting policy."""
    if st.child.status[i] in (HELD, CONSULTING, WAITING):
        add_demand(st, i, -1)
    st.child.status[i] = NOT_ARRIVED  # transient: no demand counted
    if st.waiting == OUT_OF_LIST_NOW:  # placed outside the modelled settings
        st.child.status[i] = OUT
        st.child.where[i] = OUT_OF_LIST
        st.child.rank[i] = st.unranked
        if st.child.first_day[i] < 0:
            st.child.first_day[i] = day
            st.child.first_setting[i] = OUT_OF_LIST
        log(st, day, i, -1, OUT_OF_LIST, OUT)
    elif st.waiting == FALLBACK:
        s = first_free(st, st.lists[i])
        if s >= 0:
            place(st, i, s, day)
        else:
            start_waiting(st, i, FOR_LISTED, day)
    else:
        start_waiting(st, i, FOR_RANKED, day)


# ------------------------------------------------------------------- serving
@helper(nrt=False)
def better(st: YearState, i: int, j: int) -> bool:
    """Child ``i`` is ahead of ``j`` (or ``j`` is none) on a waiting list."""
    if j < 0:
        return True
    if st.child.key1[i] != st.child.key1[j]:
        return st.child.key1[i] < st.child.key1[j]  # type: ignore[no-any-return]
    return st.child.posn[i] < st.child.posn[j]  # type: ignore[no-any-return]


@helper(nrt=False)
def candidate(st: YearState, s: int) -> int:
    """Who takes a free place at ``s``: the first waiting child, else a mover up."""
    bw = -1
    bm = -1
    for e in range(st.pref_ptr[s], st.pref_ptr[s + 1]):
        i = st.ranked_by.child[e]
        state = st.child.status[i]
        if state == WAITING:
            if better(st, i, bw):
                bw = i
        elif (
            st.moving_up
            and state in (PLACED, OUT)
            and st.ranked_by.rank[e] < st.child.rank[i]
            and better(st, i, bm)
        ):
            bm = i
    for e in range(st.list_ptr[s], st.list_ptr[s + 1]):
        i = st.list_child[e]
        if (
            st.child.status[i] == WAITING
            and st.child.wait_mode[i] == FOR_LISTED
            and better(st, i, bw)
        ):
            bw = i
    return bw if bw >= 0 else bm


@helper(nrt=False)
def serve(st: YearState, day: int) -> None:
    """Fill the free places of every setting on the stack (vacancy chains too)."""
    while st.counters[STACK_N] > 0:
        st.counters[STACK_N] -= 1
        s = st.stack[st.counters[STACK_N]]
        st.setting.in_stack[s] = 0
        while st.setting.free[s] > 0:
            c = candidate(st, s)
            if c < 0:
                break
            place(st, c, s, day)


# ------------------------------------------------------- events and arrivals
@helper(nrt=False)
def schedule(st: YearState, day: int, typ: int, i: int) -> None:
    """Schedule an event of type ``typ`` for child ``i`` on ``day`` (heap push)."""
    heap = st.heap
    j = st.counters[HEAP_N]
    heap[j] = (day << 36) | (typ << 32) | st.child.posn[i]
    st.counters[HEAP_N] = j + 1
    while j > 0:
        p = (j - 1) // 2
        if heap[p] <= heap[j]:
            break
        t = heap[p]
        heap[p] = heap[j]
        heap[j] = t
        j = p


@helper(nrt=False)
def next_key(st: YearState) -> int:
    """Take the next event's key, static or scheduled; -1 at the year's end."""
    nxt = st.counters[NEXT]
    sk = st.ev_keys[nxt] if nxt < st.ev_keys.shape[0] else _INF
    heap = st.heap
    n = st.counters[HEAP_N]
    hk = heap[0] if n > 0 else _INF
    if sk == _INF and hk == _INF:
        return _NO_EVENT
    if hk >= sk:
        st.counters[NEXT] = nxt + 1
        return sk
    if (hk >> 36) >= YEAR_END:
        return _NO_EVENT
    n -= 1  # pop the heap's top
    st.counters[HEAP_N] = n
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


@helper(nrt=False)
def start_consultation(st: YearState, i: int, day: int) -> None:
    """Consult the first ranked setting; the reply comes ``consult_days`` later."""
    st.child.status[i] = CONSULTING
    st.child.consult_k[i] = 0
    add_demand(st, i, 1)
    log(st, day, i, -1, -1, CONSULTING)
    schedule(st, day + st.consult_days, CONSULT, i)


@helper(nrt=False)
def consultation_reply(st: YearState, i: int, day: int) -> None:
    """A place if the consulted setting has one free now, else consult the next."""
    k = st.child.consult_k[i]
    s = st.prefs[i, k]
    if st.setting.free[s] > 0:
        place(st, i, s, day)
    elif k + 1 < st.prefs.shape[1] and st.prefs[i, k + 1] >= 0:
        st.child.consult_k[i] = k + 1
        schedule(st, day + st.consult_days, CONSULT, i)
    else:
        no_place(st, i, day)


@helper(nrt=False)
def arrive(st: YearState, i: int, day: int) -> None:
    """A plan is final and the child is not held for a batch: the arrival policy."""
    log(st, day, i, -1, -1, NOT_ARRIVED)
    if st.arrival == CONSULTATION and st.prefs.shape[1] > 0 and st.prefs[i, 0] >= 0:
        start_consultation(st, i, day)
        return
    s = first_free(st, st.prefs[i])  # at once: the first ranked free place
    if s >= 0:
        place(st, i, s, day)
    else:
        no_place(st, i, day)


# ---------------------------------------------------------------- the kernel
@helper(nrt=False)
def step(
    op: int,
    batch_children: NDArray[np.int64],
    batch_assign: NDArray[np.int64],
    st: YearState,
) -> int:
    """The body of :func:`year_kernel` (a helper: see there)."""
    day = st.counters[DAY]
    if op == CARRY:
        for i in batch_children:
            log(st, day, i, -1, -1, NOT_ARRIVED)
            s = first_free(st, st.prefs[i])
            if s >= 0:
                place(st, i, s, day)
            else:
                k1 = st.child.key1[i]
                no_place(st, i, day)
                st.child.key1[i] = k1  # a carried child keeps their place in the queue
        return -1
    if op == APPLY_BATCH:
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
        d = st.counters[DAY]  # each day passed counts its idle places
        while d < day:
            st.month.idle[_MONTH_OF[d]] += st.counters[IDLE]
            d += 1
        st.counters[DAY] = day
        if typ == BATCH:
            return ident
        if typ in (CAP, LEAVE):
            change_free(st, st.change.setting[ident], st.change.places[ident])
            serve(st, day)
        elif typ == CONSULT:
            consultation_reply(st, st.order[ident], day)
        elif typ == HOLD:
            i = st.order[ident]
            st.child.status[i] = HELD
            add_demand(st, i, 1)
            log(st, day, i, -1, -1, HELD)
        else:
            arrive(st, st.order[ident], day)
    d = st.counters[DAY]
    while d < YEAR_END:
        st.month.idle[_MONTH_OF[d]] += st.counters[IDLE]
        d += 1
    st.counters[DAY] = YEAR_END
    return -1


@kernel
def year_kernel(
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
