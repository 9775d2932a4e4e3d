"""The compiled event loop of one simulated year: its state record and helpers.

The kernel is a set of small compiled helpers over one record,
:class:`YearState` (a named tuple of arrays, per-child and per-setting tables,
and policy codes), each compiled once and cached inside :func:`year_kernel`
(:func:`~sendalloc._kernels.jit.helper`). :mod:`sendalloc._engine.events`
lays the record out, calls the kernel and allocates its batches; everything
compiled lives here, in one file, because numba invalidates a kernel's cache
only when the kernel's own source file changes.

How it runs. :func:`step` takes the next event (the static events' sorted
keys merged with the heap of scheduled ones) and dispatches on its type: a
capacity change or leaver frees places and :func:`serve` fills them from the
waiting lists, vacancy chains included; a child's arrival goes to
:func:`arrive`, which dispatches on the arrival policy (``st.arrival``: at
once, a consultation of the ranked settings in turn, whose replies
:func:`step` takes, or today's statutory process, whose reply
:func:`request_reply` may schedule a tribunal decision, :func:`decide_appeal`),
and each placement to :func:`place`; a child with no ranked place goes to
:func:`no_place`, which dispatches on the waiting policy (``st.waiting``). A
batch event returns to the caller, which allocates the batch and calls back
(``APPLY_BATCH``).

Adding an arrival policy (as ``STATUTORY`` was) is: a code beside ``AT_ONCE``,
``CONSULTATION`` and ``STATUTORY`` and its branch in :func:`arrive`; a helper
per decision it takes; an event type per delayed decision (scheduled with
:func:`schedule`, placed in the within-day order below, dispatched in
:func:`step`); and the per-child or per-setting fields it needs in
:data:`CHILD`, :data:`SETTING` and :class:`YearState`. The loop does not
change.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.calendar import MONTH_OF, YEAR_END
from sendalloc._kernels.jit import as_ref, helper, kernel

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
    "PLACED",
    "RANKED_BY",
    "RUN",
    "SETTING",
    "STATUTORY",
    "TRACE_N",
    "TRIBUNAL",
    "WAITING_CODES",
    "YearState",
    "year_kernel",
]

# Child states (kernel codes, YearOutcome.status).
NOT_ARRIVED, HELD, CONSULTING, WAITING, PLACED, OUT = 0, 1, 2, 3, 4, 5
# Event types, in their order within a day (4 bits of the key).
CAP, LEAVE, CONSULT, HOLD, BATCH, ARRIVE, TRIBUNAL = 0, 1, 2, 3, 4, 5, 6
# Arrival policies (st.arrival): how a child not held for a batch is placed.
# STATUTORY: today's process (start_request, request_reply, decide_appeal).
AT_ONCE, CONSULTATION, STATUTORY = 0, 1, 2
# st.params entries of STATUTORY (sendalloc.status_quo.PARAMS, in its order).
_LOGIT0, _W_FULL, _W_COST, _P_SAME, _P_WORSE, _T_PARENT, _T_CONCEDES, _T_LA = range(8)
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
        # -- today's statutory process (STATUTORY; sendalloc.status_quo)
        ("wish", np.int64),  # the setting the parent requests (-1 none)
        ("wish_cost", np.float64),  # its annual cost for the child
        ("need", np.int64),  # row of st.taste
        ("request", np.int64),  # status_quo.Request code (-1 not decided)
        ("over", np.int64),  # 1: the place held was named beyond free places
        ("appealed", np.int64),  # 1: the parent appealed a refusal
        ("tribunal", np.int64),  # status_quo.Tribunal code
        ("decided", np.int64),  # day of the tribunal's decision, -1 none
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
        # -- today's statutory process (STATUTORY)
        ("kind", np.int64),  # column of st.taste
        ("capacity", np.int64),  # capacity now (capacity changes add to it)
        ("extra", np.int64),  # places beyond capacity when the LA names it
        ("tribunal_extra", np.int64),  # ... when the tribunal names it
    ],
    align=True,
)
CHANGE = np.dtype([("setting", np.int64), ("places", np.int64)], align=True)
RANKED_BY = np.dtype([("child", np.int64), ("rank", np.int64)], align=True)
MONTH = np.dtype([("idle", np.int64), ("moves", np.int64)], align=True)
_MONTH_OF = MONTH_OF.astype(np.int64)  # (367,) day -> month


class YearState(NamedTuple):
    """Everything the event kernel reads and writes (laid out by events.year_state).

    Per-child and per-setting state are tables (record arrays: ``st.child[i].status``,
    ``st.setting[s].free``) whose fields are :data:`CHILD` and :data:`SETTING`;
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
    # -- today's statutory process (STATUTORY; empty otherwise)
    tribunal_days: int  # from the LA's reply to the tribunal's decision
    params: NDArray[np.float64]  # (8,) status_quo.kernel_params
    taste: NDArray[np.float64]  # (needs, kinds) the parents' taste for each kind
    list_cost: NDArray[np.float64]  # (N, K) annual cost of each listed setting
    u: NDArray[np.float64]  # (N, 3) uniforms: refusal, appeal, tribunal
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
# Each helper is compiled once, as a function of its own, and takes the state
# as one pointer (jit.as_ref, made by year_kernel). numba's compile time grows
# with every compiled function (about 0.08 s each here) and with the code each
# one links in, so a step with one caller is written where it is used rather
# than made a helper; fields are read per record (st.child[i].status, not
# st.child.status[i], which makes an array view of the field first).


@helper(nrt=False)
def log(st: YearState, day: int, i: int, frm: int, to: int, state: int) -> None:
    """Append a row to the trace (when tracing)."""
    counters = st.counters
    if st.trace.shape[0] > 0:
        r = counters[TRACE_N]
        st.trace[r, 0] = day
        st.trace[r, 1] = i
        st.trace[r, 2] = frm
        st.trace[r, 3] = to
        st.trace[r, 4] = state
        counters[TRACE_N] = r + 1


@helper(nrt=False)
def set_contrib(st: YearState, s: int) -> None:
    """Recount setting ``s``'s idle places: min(free, demand)."""
    setting = st.setting
    free, demand = setting[s].free, setting[s].demand
    c = min(free, demand) if (demand > 0 and free > 0) else 0
    st.counters[IDLE] += c - setting[s].contrib
    setting[s].contrib = c


@helper(nrt=False)
def add_demand(st: YearState, i: int, sign: int) -> None:
    """Count child ``i`` in (sign 1) or out of (-1) the demand of their settings."""
    child = st.child
    if child[i].status == WAITING and child[i].wait_mode == FOR_LISTED:
        row = st.lists[i]
    else:
        row = st.prefs[i]
    for s in row:
        if s < 0:
            break
        st.setting[s].demand += sign
        set_contrib(st, s)


@helper(nrt=False)
def change_free(st: YearState, s: int, delta: int) -> None:
    """Add ``delta`` free places at ``s``; a freed place puts ``s`` up to serve.

    Setting ``s`` goes on the stack of settings to serve once (``in_stack``).
    """
    setting, counters = st.setting, st.counters
    setting[s].free += delta
    set_contrib(st, s)
    if delta > 0 and setting[s].in_stack == 0:
        setting[s].in_stack = 1
        st.stack[counters[STACK_N]] = s
        counters[STACK_N] += 1


@helper(nrt=False)
def first_free(st: YearState, row: NDArray[np.int64]) -> int:
    """The first setting of ``row`` (-1 padded) with a free place, or -1."""
    for s in row:
        if s < 0:
            break
        if st.setting[s].free > 0:
            return s  # type: ignore[no-any-return]
    return -1


# ------------------------------------------------------------------- placing
@helper(nrt=False)
def place(st: YearState, i: int, s: int, day: int) -> None:
    """Child ``i`` takes a place at ``s`` (a move if they held one)."""
    child, prefs = st.child, st.prefs
    prev_status = child[i].status
    prev = child[i].where
    if prev_status in (HELD, CONSULTING, WAITING):
        add_demand(st, i, -1)
    change_free(st, s, -1)
    child[i].status = PLACED
    child[i].where = s
    child[i].over = 0
    rank = st.unranked
    for k in range(prefs.shape[1]):
        if prefs[i, k] == s:
            rank = k
            break
        if prefs[i, k] < 0:
            break
    child[i].rank = rank
    if child[i].first_day < 0:
        child[i].first_day = day
        child[i].first_setting = s
    elif prev_status in (PLACED, OUT):
        child[i].moves += 1
        st.month.moves[_MONTH_OF[day]] += 1
    log(st, day, i, prev, s, PLACED)
    if prev_status == PLACED:
        change_free(st, prev, 1)


@helper(nrt=False)
def no_place(st: YearState, i: int, day: int) -> None:
    """Child ``i`` could not be given a ranked place now: the waiting policy.

    Out of the list at once (``OUT_OF_LIST_NOW``); else the first listed
    setting with a free place (``FALLBACK``); else the waiting lists, for any
    listed setting (``FALLBACK``) or a ranked one (``WAIT``), queued by the
    day (or by severity: ``key1`` as the year was laid out).
    """
    child = st.child
    if child[i].status in (HELD, CONSULTING, WAITING):
        add_demand(st, i, -1)
    child[i].status = NOT_ARRIVED  # transient: no demand counted
    if st.waiting == OUT_OF_LIST_NOW:  # placed outside the modelled settings
        child[i].status = OUT
        child[i].where = OUT_OF_LIST
        child[i].rank = st.unranked
        if child[i].first_day < 0:
            child[i].first_day = day
            child[i].first_setting = OUT_OF_LIST
        log(st, day, i, -1, OUT_OF_LIST, OUT)
        return
    if st.waiting == FALLBACK:
        s = first_free(st, st.lists[i])
        if s >= 0:
            place(st, i, s, day)
            return
    child[i].status = WAITING
    child[i].wait_mode = FOR_LISTED if st.waiting == FALLBACK else FOR_RANKED
    if not st.by_severity:
        child[i].key1 = day
    add_demand(st, i, 1)
    log(st, day, i, child[i].where, -1, WAITING)


# ------------------------------------------------------------------- serving
@helper(nrt=False)
def serve(st: YearState, day: int) -> None:
    """Fill the free places of every setting on the stack (vacancy chains too).

    A free place at ``s`` goes to the first waiting child (lowest ``key1``,
    then ``posn``) who ranks ``s``, or who waits for any listed setting and
    lists it; else, when children move up, to the first child ranking ``s``
    above the place they hold.
    """
    setting, counters, ranked_by = st.setting, st.counters, st.ranked_by
    child, pref_ptr, moving_up = st.child, st.pref_ptr, st.moving_up
    while counters[STACK_N] > 0:
        counters[STACK_N] -= 1
        s = st.stack[counters[STACK_N]]
        setting[s].in_stack = 0
        while setting[s].free > 0:
            bw = -1  # the first waiting child
            bm = -1  # the first child moving up
            for e in range(pref_ptr[s], pref_ptr[s + 1]):
                i = ranked_by[e].child
                state = child[i].status
                if state == WAITING:
                    if bw < 0 or (child[i].key1, child[i].posn) < (
                        child[bw].key1,
                        child[bw].posn,
                    ):
                        bw = i
                elif (
                    moving_up
                    and state in (PLACED, OUT)
                    and ranked_by[e].rank < child[i].rank
                    and (
                        bm < 0
                        or (child[i].key1, child[i].posn)
                        < (child[bm].key1, child[bm].posn)
                    )
                ):
                    bm = i
            for e in range(st.list_ptr[s], st.list_ptr[s + 1]):
                i = st.list_child[e]
                if (
                    child[i].status == WAITING
                    and child[i].wait_mode == FOR_LISTED
                    and (
                        bw < 0
                        or (child[i].key1, child[i].posn)
                        < (child[bw].key1, child[bw].posn)
                    )
                ):
                    bw = i
            c = bw if bw >= 0 else bm
            if c < 0:
                break
            place(st, c, s, day)


# ------------------------------------------------------- events and arrivals
@helper(nrt=False)
def schedule(st: YearState, day: int, typ: int, i: int) -> None:
    """Schedule an event of type ``typ`` for child ``i`` on ``day`` (heap push)."""
    counters = st.counters
    heap = st.heap
    j = counters[HEAP_N]
    heap[j] = (day << 36) | (typ << 32) | st.child[i].posn
    counters[HEAP_N] = j + 1
    while j > 0:
        p = (j - 1) // 2
        if heap[p] <= heap[j]:
            break
        t = heap[p]
        heap[p] = heap[j]
        heap[j] = t
        j = p


# ------------------------------------------------- today's statutory process
@helper(nrt=False)
def request_reply(st: YearState, i: int, day: int) -> None:
    """The LA names the request or refuses it and names its own choice.

    As :func:`sendalloc.status_quo.request_kernel` for one child, on the
    places of the day: the LA's choice is the first listed setting with a free
    place, else the first that must admit within its tolerance (``free >
    -extra``); the request is named unless it cannot admit or the LA refuses
    (log-odds in fullness and cost, uniform ``u[i, 0]``). A refused parent
    appeals (``u[i, 1]``) and the tribunal decides ``tribunal_days`` later.
    """
    child, setting = st.child, st.setting
    row = st.lists[i]
    c = -1
    c_cost = 0.0
    for k in range(row.shape[0]):
        s = row[k]
        if s < 0:
            break
        if setting[s].free > 0:
            c = s
            c_cost = st.list_cost[i, k]
            break
    if c < 0:
        for k in range(row.shape[0]):
            s = row[k]
            if s < 0:
                break
            if setting[s].free > -setting[s].extra:
                c = s
                c_cost = st.list_cost[i, k]
                break
    r = child[i].wish
    named = c
    code = 0
    if r >= 0:
        if r == c:
            code = 1
        elif setting[r].free <= -setting[r].extra:
            code = 3
        else:
            x = st.params[_LOGIT0]
            cap = setting[r].capacity
            if cap > 0:
                roll = cap - setting[r].free + 1
                x += st.params[_W_FULL] * (roll / cap - 1.0)
            if c >= 0:
                x += st.params[_W_COST] * (
                    np.log(max(child[i].wish_cost, 1.0)) - np.log(max(c_cost, 1.0))
                )
            p = 1.0 / (1.0 + np.exp(-x))
            code = 2 if st.u[i, 0] < p else 1
        if code == 1:
            named = r
    child[i].request = code
    if named >= 0:
        over = 1 if setting[named].free <= 0 else 0
        place(st, i, named, day)
        child[i].over = over
    else:
        no_place(st, i, day)
    if code >= 2:
        n = child[i].need
        t_r = st.taste[n, setting[r].kind]
        worse = c < 0 or st.taste[n, setting[c].kind] < t_r
        if st.u[i, 1] < (st.params[_P_WORSE] if worse else st.params[_P_SAME]):
            child[i].appealed = 1
            schedule(st, day + st.tribunal_days, TRIBUNAL, i)


@helper(nrt=False)
def decide_appeal(st: YearState, i: int, day: int) -> None:
    """The tribunal decides child ``i``'s appeal (section I outcome shares).

    One uniform ``u[i, 2]`` against the cumulative shares: for the parent or
    the LA concedes (the requested setting is named, a must-admit setting up
    to its tribunal tolerance; one that cannot admit leaves the LA's choice:
    outcome 3), the LA's preference (3), or withdrawn (4). The place the child
    leaves is served at once.
    """
    child, setting = st.child, st.setting
    r = child[i].wish
    v = st.u[i, 2]
    if v < st.params[_T_PARENT]:
        res = 1
    elif v < st.params[_T_CONCEDES]:
        res = 2
    elif v < st.params[_T_LA]:
        res = 3
    else:
        res = 4
    if res <= 2 and not (child[i].status == PLACED and child[i].where == r):
        if setting[r].free > -setting[r].tribunal_extra:
            over = 1 if setting[r].free <= 0 else 0
            place(st, i, r, day)
            child[i].over = over
            serve(st, day)
        else:
            res = 3
    child[i].tribunal = res
    child[i].decided = day


@helper(nrt=False)
def arrive(st: YearState, i: int, day: int) -> None:
    """A plan is final and the child is not held for a batch: the arrival policy."""
    child, prefs = st.child, st.prefs
    log(st, day, i, -1, -1, NOT_ARRIVED)
    consult = st.arrival == CONSULTATION and prefs.shape[1] > 0 and prefs[i, 0] >= 0
    if st.arrival == STATUTORY or consult:
        # Today's process: the parent requests a setting, the LA replies
        # consult_days later. Consultation: consult the first ranked setting,
        # which replies consult_days later.
        child[i].status = CONSULTING
        child[i].consult_k = 0
        add_demand(st, i, 1)
        log(st, day, i, -1, -1, CONSULTING)
        schedule(st, day + st.consult_days, CONSULT, i)
        return
    s = first_free(st, prefs[i])  # at once: the first ranked free place
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
    child, setting, counters, prefs, month = (
        st.child,
        st.setting,
        st.counters,
        st.prefs,
        st.month,
    )
    day = counters[DAY]
    if op == CARRY:
        for i in batch_children:
            log(st, day, i, -1, -1, NOT_ARRIVED)
            s = first_free(st, prefs[i])
            if s >= 0:
                place(st, i, s, day)
            else:
                k1 = child[i].key1
                no_place(st, i, day)
                child[i].key1 = k1  # a carried child keeps their place in the queue
        return -1
    if op == APPLY_BATCH:
        nb = batch_children.shape[0]
        for t in range(nb):
            if batch_assign[t] >= 0:
                place(st, batch_children[t], batch_assign[t], day)
        for t in range(nb):
            if batch_assign[t] < 0:
                no_place(st, batch_children[t], day)
        for s in range(setting.shape[0]):  # every free place up to serve
            if setting[s].free > 0 and setting[s].in_stack == 0:
                setting[s].in_stack = 1
                st.stack[counters[STACK_N]] = s
                counters[STACK_N] += 1
        serve(st, day)
        return -1
    mask32 = (1 << 32) - 1
    heap = st.heap
    while True:
        # The next event's key, static or scheduled (a pop of the heap).
        nxt = counters[NEXT]
        sk = st.ev_keys[nxt] if nxt < st.ev_keys.shape[0] else _INF
        n = counters[HEAP_N]
        hk = heap[0] if n > 0 else _INF
        if sk == _INF and hk == _INF:
            break
        if hk >= sk:
            counters[NEXT] = nxt + 1
            key = sk
        else:
            if (hk >> 36) >= YEAR_END:
                break
            n -= 1
            counters[HEAP_N] = n
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
            key = hk
        day = key >> 36
        typ = (key >> 32) & 15
        ident = key & mask32
        d = counters[DAY]  # each day passed counts its idle places
        while d < day:
            month.idle[_MONTH_OF[d]] += counters[IDLE]
            d += 1
        counters[DAY] = day
        if typ == BATCH:
            return ident
        if typ in (CAP, LEAVE):
            s = st.change[ident].setting
            if typ == CAP:
                setting[s].capacity += st.change[ident].places
            change_free(st, s, st.change[ident].places)
            serve(st, day)
        elif typ == CONSULT:
            i = st.order[ident]
            if st.arrival == STATUTORY:
                request_reply(st, i, day)
            else:  # a place if the setting consulted has one free, else the next
                k = child[i].consult_k
                s = prefs[i, k]
                if setting[s].free > 0:
                    place(st, i, s, day)
                elif k + 1 < prefs.shape[1] and prefs[i, k + 1] >= 0:
                    child[i].consult_k = k + 1
                    schedule(st, day + st.consult_days, CONSULT, i)
                else:
                    no_place(st, i, day)
        elif typ == TRIBUNAL:
            decide_appeal(st, st.order[ident], day)
        elif typ == HOLD:
            i = st.order[ident]
            child[i].status = HELD
            add_demand(st, i, 1)
            log(st, day, i, -1, -1, HELD)
        else:
            arrive(st, st.order[ident], day)
    d = counters[DAY]
    while d < YEAR_END:
        month.idle[_MONTH_OF[d]] += counters[IDLE]
        d += 1
    counters[DAY] = YEAR_END
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
    It passes the state as one pointer (:func:`~sendalloc._kernels.jit.as_ref`),
    valid while the kernel runs.
    """
    return step(op, batch_children, batch_assign, as_ref(st))
