"""The in-year event kernel as it was before it was split into helpers (issue 12).

A verbatim copy of ``_year_kernel`` and its driver from
``sendalloc/_engine/events.py`` at commit e1ac0a6: 37 positional arguments and
18 nested closures. It lives only in the tests, as the reference the new kernel
is cross-checked against (tests/test_events.py) and as the baseline of the
compile-time benchmark (benchmarks/cold_start_in_year.py). Do not edit it.

``run_events`` has the signature of :func:`sendalloc._engine.events.run_events`,
so a test can put it in place of the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.calendar import MONTH_END, MONTH_OF, TERM_END_DAYS, YEAR_END
from sendalloc._engine.events import YearInputs, YearOutcome
from sendalloc._kernels.jit import kernel
from sendalloc.mechanisms import allocate
from sendalloc.problem import Allocation, Problem

__all__ = ["run_events"]

# Child states (kernel codes).
_NOT_ARRIVED, _HELD, _CONSULTING, _WAITING, _PLACED, _OUT = 0, 1, 2, 3, 4, 5
# Event types, in their order within a day.
_CAP, _LEAVE, _CONSULT, _HOLD, _BATCH, _ARRIVE = 0, 1, 2, 3, 4, 5
# Policies for a child with no ranked place.
_POLICY = {"wait": 0, "fallback": 1, "out_of_list": 2}
_WAIT_ORDER = {"first_come": 0, "severity": 1}
_OUT_OF_LIST = -2  # setting code of an out-of-list placement


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
    n, m = problem.n_children, problem.n_settings
    day = inputs.arrival_day
    carried = day <= 0
    tr = inputs.transfer
    prefs = np.ascontiguousarray(problem.preferences, dtype=np.int64)
    lst = inputs.lists
    sev = inputs.severity
    free0 = inputs.free
    ld, ls = inputs.leave_day, inputs.leave_setting
    cd, cs, cp = inputs.capacity_day, inputs.capacity_setting, inputs.capacity_places
    batch, waiting, wait_order = inputs.batch, inputs.waiting, inputs.wait_order
    moving_up, consultation_days = inputs.moving_up, inputs.consultation_days

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
    month_of = MONTH_OF.astype(np.int64)
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
