"""The planner's benchmark: place as many children as capacity allows.

Not a rule a local authority could announce (it ignores priorities and rewards
no honesty), but the yardstick for every rule: the largest number of children
who could be placed at a setting their parent ranked, and among allocations
that place that many, one with the least total rank.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, full, helper, kernel, zeros
from sendalloc._rng import check_rng
from sendalloc.problem import Allocation, Problem

__all__ = ["max_placement", "max_placement_kernel"]


_INF = 1 << 62  # "unreached" distance
# Counters start as np.int64(0): numba types a literal 0 as a constant first and
# compiles a helper it is passed to twice.
_Int = int | np.int64


def _signature(*args: str) -> str:
    return "(" + ", ".join(args) + ")"


# Signatures of the helpers with arrays of the kernel's own making: each is
# compiled (and cached) alone, so that processes can compile them side by side
# on a cold start (sendalloc.executors).
_A = "int64[::1]"
_A2 = "int64[:, ::1]"
_SIG_SHORTEST_PATHS = _signature(_A2, *[_A] * 13)
_SIG_AUGMENT = _signature(_A2, *[_A] * 15, "int64")
_SIG_EXCHANGE = _signature(_A2, *[_A] * 7, "int64", *[_A] * 2)


@helper
def _canonical(
    capacity: NDArray[np.int32],
    preferences: NDArray[np.int32],
    order: NDArray[np.int32],
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
]:
    """Step 1: the canonical numbering and who ranked each setting (CSR).

    Children by processing position, settings by first appearance reading the
    lists in processing order, best first. Returns ``(prefs, deg, cap, start,
    r_child, r_rank, old_of)``.
    """
    n, width = preferences.shape
    m_all = capacity.shape[0]
    new_of = full(m_all, -1, np.int64)
    old_of = empty(m_all, np.int64)
    prefs = full((n, width), -1, np.int64)
    deg = zeros(n, np.int64)
    m = 0
    for t in range(n):
        i = order[t]
        for k in range(width):
            s = preferences[i, k]
            if s < 0:
                break
            c = new_of[s]
            if c < 0:
                c = m
                new_of[s] = c
                old_of[c] = s
                m += 1
            prefs[t, k] = c
            deg[t] = k + 1
    cap = empty(m, np.int64)
    for c in range(m):
        cap[c] = capacity[old_of[c]]
    # Who ranked each setting (CSR), children in processing order.
    start = zeros(m + 1, np.int64)
    for t in range(n):
        for k in range(deg[t]):
            start[prefs[t, k] + 1] += 1
    for c in range(m):
        start[c + 1] += start[c]
    fill = empty(m, np.int64)
    for c in range(m):
        fill[c] = start[c]
    r_child = empty(start[m], np.int64)
    r_rank = empty(start[m], np.int64)
    for t in range(n):
        for k in range(deg[t]):
            c = prefs[t, k]
            r_child[fill[c]] = t
            r_rank[fill[c]] = k
            fill[c] += 1
    return prefs, deg, cap, start, r_child, r_rank, old_of


@helper(signature=_SIG_SHORTEST_PATHS)
def _shortest_paths(
    prefs: NDArray[np.int64],
    deg: NDArray[np.int64],
    cap: NDArray[np.int64],
    start: NDArray[np.int64],
    r_child: NDArray[np.int64],
    r_rank: NDArray[np.int64],
    assign: NDArray[np.int64],
    load: NDArray[np.int64],
    pot: NDArray[np.int64],
    dist: NDArray[np.int64],
    reached: NDArray[np.int64],
    bnext: NDArray[np.int64],
    bprev: NDArray[np.int64],
    head: NDArray[np.int64],
) -> tuple[_Int, NDArray[np.int64]]:
    """Step 2a: Dijkstra with Dial's buckets from every free child.

    Over reduced costs; then raises the potentials (pi += min(dist, best)) so
    that every residual arc stays >= 0 and every shortest augmenting path
    becomes tight. Returns ``(best, head)``: the distance to the sink (``_INF``
    if no augmenting path is left) and the (possibly grown) bucket heads.
    """
    n = prefs.shape[0]
    nre: _Int = np.int64(0)  # int64, not a literal: one compile
    top = 0  # highest bucket index touched
    for t in range(n):
        if assign[t] < 0 and deg[t] > 0:
            dist[t] = 0
            reached[nre] = t
            nre += 1
            bprev[t] = -1
            bnext[t] = head[0]
            if head[0] >= 0:
                bprev[head[0]] = t
            head[0] = t
    if nre == 0:
        return _INF, head
    best = _INF  # distance to the sink
    cur = 0
    while True:
        while cur <= top and cur < best and head[cur] < 0:
            cur += 1
        if cur > top or cur >= best:
            break
        u = head[cur]
        head[cur] = bnext[u]
        if bnext[u] >= 0:
            bprev[bnext[u]] = -1
        du = dist[u]
        c = u - n  # the setting, or negative for a child
        lo = 0
        hi = 0
        if c < 0:
            hi = deg[u]
        else:
            if load[c] < cap[c] and du + pot[u] < best:
                best = du + pot[u]  # reduced cost of setting -> sink
            if load[c] > 0:
                lo = start[c]
                hi = start[c + 1]
        for p in range(lo, hi):
            if c < 0:  # child -> the settings it ranked (cost: the rank)
                v = n + prefs[u, p]
                if v - n == assign[u]:
                    continue
                nd = du + p + pot[u] - pot[v]
            else:  # setting -> the children placed there (cost: minus the rank)
                v = r_child[p]
                if assign[v] != c:
                    continue
                nd = du - r_rank[p] + pot[u] - pot[v]
            if nd >= dist[v] or nd >= best:
                continue
            if nd >= head.shape[0]:  # more buckets
                grown = full(max(2 * head.shape[0], nd + 1), -1, np.int64)
                for b in range(head.shape[0]):
                    grown[b] = head[b]
                head = grown
            # move v to bucket nd
            if dist[v] == _INF:
                reached[nre] = v
                nre += 1
            else:  # unlink from its bucket
                if bprev[v] >= 0:
                    bnext[bprev[v]] = bnext[v]
                else:
                    head[dist[v]] = bnext[v]
                if bnext[v] >= 0:
                    bprev[bnext[v]] = bprev[v]
            dist[v] = nd
            bprev[v] = -1
            bnext[v] = head[nd]
            if head[nd] >= 0:
                bprev[head[nd]] = v
            head[nd] = v
            top = max(top, nd)
    for b in range(top + 1):
        head[b] = -1
    if best == _INF:
        for q in range(nre):
            dist[reached[q]] = _INF
        return best, head
    for q in range(nre):
        v = reached[q]
        if dist[v] < best:
            pot[v] += dist[v] - best
        dist[v] = _INF
    return best, head


@helper(signature=_SIG_AUGMENT)
def _augment(
    prefs: NDArray[np.int64],
    deg: NDArray[np.int64],
    cap: NDArray[np.int64],
    start: NDArray[np.int64],
    r_child: NDArray[np.int64],
    r_rank: NDArray[np.int64],
    assign: NDArray[np.int64],
    arank: NDArray[np.int64],
    load: NDArray[np.int64],
    pot: NDArray[np.int64],
    lab: NDArray[np.int64],
    done: NDArray[np.int64],
    lay: NDArray[np.int64],
    queue: NDArray[np.int64],
    it: NDArray[np.int64],
    stack: NDArray[np.int64],
    rnd: _Int,
) -> _Int:
    """Step 2b: augment along tight paths, Hopcroft-Karp style; returns ``rnd``.

    Each round labels nodes by their hop distance *to* a terminal (a setting
    with a free place and a tight arc to the sink) with a backward
    breadth-first search that stops at the first layer holding a free child,
    then augments a blocking flow of that layered graph by depth-first search
    from those children in processing order (found by a scan of the
    children: cheaper to compile than a sort, and O(N) per round against
    O(N L) for the search). ``rnd`` stamps the rounds.
    """
    n = prefs.shape[0]
    m = cap.shape[0]
    while True:
        rnd += 1
        qt = 0
        for c in range(m):
            if load[c] < cap[c] and pot[n + c] == 0:
                v = n + c
                lab[v] = rnd
                lay[v] = 0
                queue[qt] = v
                qt += 1
        qh = 0
        limit = _INF  # the layer of the free children reached
        while qh < qt:
            x = queue[qh]
            qh += 1
            if lay[x] + 1 > limit:
                break
            if x >= n:  # a setting: children with a tight arc into it
                c = x - n
                it[x] = start[c]
                for p in range(start[c], start[c + 1]):
                    u = r_child[p]
                    if lab[u] == rnd or assign[u] == c:
                        continue
                    if r_rank[p] + pot[u] - pot[x] != 0:
                        continue
                    lab[u] = rnd
                    lay[u] = lay[x] + 1
                    if assign[u] < 0:  # a root of the depth-first searches
                        limit = lay[u]
                    else:
                        queue[qt] = u
                        qt += 1
            else:  # a placed child: its setting, along the tight reverse arc
                y = n + assign[x]
                if lab[y] != rnd and pot[y] - pot[x] - arank[x] == 0:
                    lab[y] = rnd
                    lay[y] = lay[x] + 1
                    queue[qt] = y
                    qt += 1
        if limit == _INF:
            return rnd
        for r in range(n):  # the roots (free children labelled), in order
            if assign[r] >= 0 or lab[r] != rnd:
                continue
            it[r] = 0
            stack[0] = r
            sp = 1
            found = False
            while sp > 0 and not found:
                u = stack[sp - 1]
                want = lay[u] - 1
                pushed = False
                if u < n:
                    while it[u] < deg[u]:
                        k = it[u]
                        it[u] = k + 1
                        c = prefs[u, k]
                        v = n + c
                        if c == assign[u] or lab[v] != rnd or lay[v] != want:
                            continue
                        if done[v] == rnd or k + pot[u] - pot[v] != 0:
                            continue
                        if want == 0:
                            if load[c] < cap[c]:
                                stack[sp] = v
                                sp += 1
                                found = True
                                pushed = True
                                break
                            done[v] = rnd
                            continue
                        stack[sp] = v
                        sp += 1
                        pushed = True
                        break
                else:
                    c = u - n
                    while it[u] < start[c + 1]:
                        p = it[u]
                        it[u] = p + 1
                        v = r_child[p]
                        if assign[v] != c or lab[v] != rnd or lay[v] != want:
                            continue
                        if done[v] == rnd or pot[u] - pot[v] - r_rank[p] != 0:
                            continue
                        it[v] = 0
                        stack[sp] = v
                        sp += 1
                        pushed = True
                        break
                if not pushed:
                    done[u] = rnd
                    sp -= 1
            if found:  # stack: child, setting, child, ..., setting
                for q in range(0, sp, 2):
                    u = stack[q]
                    c = stack[q + 1] - n
                    if assign[u] >= 0:
                        load[assign[u]] -= 1
                    assign[u] = c
                    arank[u] = it[u] - 1
                    load[c] += 1
                    done[u] = rnd


@helper(signature=_SIG_EXCHANGE)
def _exchange(
    prefs: NDArray[np.int64],
    deg: NDArray[np.int64],
    cap: NDArray[np.int64],
    start: NDArray[np.int64],
    assign: NDArray[np.int64],
    arank: NDArray[np.int64],
    load: NDArray[np.int64],
    pot: NDArray[np.int64],
    g: _Int,
    it: NDArray[np.int64],
    stack: NDArray[np.int64],
) -> None:
    """Step 3: the exchange pass, in place on ``assign``, ``arank`` and ``load``.

    Optimal allocations are the flows whose residual cycles are all tight, so
    child t (unplaced) can replace a later placed child j exactly when a tight
    residual path leads from t to j (j's arc back to the source tight, i.e. its
    true potential 0). Taking t = 0, 1, ... in turn is the matroid greedy. A
    failed search proves its nodes dead for every later search (the target set
    only shrinks and later augmentations avoid them). Each setting's placed
    children are kept in a slot list (swap-remove on change), so a search scans
    only them rather than everyone who ranked it.
    """
    n = prefs.shape[0]
    m = cap.shape[0]
    nv = n + m + 1
    sink = n + m
    sbeg = zeros(m + 1, np.int64)
    for c in range(m):
        sbeg[c + 1] = sbeg[c] + min(cap[c], start[c + 1] - start[c])
    slot = empty(sbeg[m], np.int64)
    spos = empty(n, np.int64)
    nin = zeros(m, np.int64)
    for t in range(n):
        c = assign[t]
        if c >= 0:
            spos[t] = sbeg[c] + nin[c]
            slot[spos[t]] = t
            nin[c] += 1
    dead = zeros(nv, np.int64)  # 1: dead (int64: no bool array to compile)
    seen = zeros(nv, np.int64)
    trail = empty(nv, np.int64)
    sink_next = 0  # the sink's scan over settings
    at_level = empty(m, np.int64)  # settings with pot == pot(sink)
    n_level = 0
    for c in range(m):
        if pot[n + c] == 0:
            at_level[n_level] = c
            n_level += 1
    search = 0
    for t in range(n):
        if assign[t] >= 0 or deg[t] == 0 or dead[t]:
            continue
        search += 1
        seen[t] = search
        ntrail = 1
        trail[0] = t
        it[t] = 0
        stack[0] = t
        sp = 1
        found = False
        while sp > 0 and not found:
            u = stack[sp - 1]
            pushed = False
            if u < n:
                while it[u] < deg[u]:
                    k = it[u]
                    it[u] = k + 1
                    c = prefs[u, k]
                    v = n + c
                    if c == assign[u] or dead[v] or seen[v] == search:
                        continue
                    if k + pot[u] - pot[v] != 0:
                        continue
                    seen[v] = search
                    trail[ntrail] = v
                    ntrail += 1
                    it[v] = -1  # -1: the sink not yet tried
                    stack[sp] = v
                    sp += 1
                    pushed = True
                    break
            elif u < sink:
                c = u - n
                if it[u] == -1:
                    it[u] = sbeg[c]
                    # look ahead: a later child here who can simply leave
                    for p in range(sbeg[c], sbeg[c] + load[c]):
                        v = slot[p]
                        if v <= t or pot[v] != -g or dead[v] or seen[v] == search:
                            continue
                        if pot[u] - pot[v] - arank[v] != 0:
                            continue
                        seen[v] = search
                        trail[ntrail] = v
                        ntrail += 1
                        stack[sp] = v
                        sp += 1
                        pushed = True
                        found = True
                        break
                    if (
                        not pushed
                        and load[c] < cap[c]
                        and pot[u] == 0
                        and not dead[sink]
                        and seen[sink] != search
                    ):
                        seen[sink] = search
                        trail[ntrail] = sink
                        ntrail += 1
                        sink_next = 0
                        stack[sp] = sink
                        sp += 1
                        pushed = True
                while not pushed and it[u] < sbeg[c] + load[c]:
                    p = it[u]
                    it[u] = p + 1
                    v = slot[p]
                    if dead[v] or seen[v] == search:
                        continue
                    if pot[u] - pot[v] - arank[v] != 0:
                        continue
                    seen[v] = search
                    trail[ntrail] = v
                    ntrail += 1
                    it[v] = 0
                    stack[sp] = v
                    sp += 1
                    pushed = True
                    if v > t and pot[v] == -g:
                        found = True
            else:  # the sink: back along a tight, loaded setting -> sink arc
                while sink_next < n_level:
                    c = at_level[sink_next]
                    sink_next += 1
                    v = n + c
                    if load[c] == 0 or dead[v] or seen[v] == search:
                        continue
                    seen[v] = search
                    trail[ntrail] = v
                    ntrail += 1
                    it[v] = -1
                    stack[sp] = v
                    sp += 1
                    pushed = True
                    break
            if not pushed:
                sp -= 1
        if found:  # stack: t, setting, [sink, setting,] child, ..., child j
            for q in range(sp - 1):  # children leave their settings ...
                u = stack[q]
                v = stack[q + 1]
                if n <= u < sink and v < n:
                    c = u - n
                    last = slot[sbeg[c] + load[c] - 1]
                    slot[spos[v]] = last
                    spos[last] = spos[v]
                    load[c] -= 1
            for q in range(0, sp - 1):  # ... then move into their new ones
                u = stack[q]
                if u < n:
                    c = stack[q + 1] - n
                    assign[u] = c
                    arank[u] = it[u] - 1
                    spos[u] = sbeg[c] + load[c]
                    slot[spos[u]] = u
                    load[c] += 1
            assign[stack[sp - 1]] = -1
        else:
            for q in range(ntrail):
                dead[trail[q]] = 1


@kernel
def max_placement_kernel(
    capacity: NDArray[np.int32],
    preferences: NDArray[np.int32],
    order: NDArray[np.int32],
) -> NDArray[np.int32]:
    """Max-cardinality, min-total-rank assignment; returns the (N,) assignment.

    The transportation problem source -> child (1) -> ranked setting (1, cost =
    0-based rank) -> sink (capacity), solved on the canonical numbering by a
    primal-dual method (Dial's buckets, then Hopcroft-Karp rounds of tight
    paths), followed by the exchange pass that makes the placed set the
    earliest in processing order. See :func:`max_placement` for the algorithm.
    The steps are helpers: numba compiles several short functions much faster
    than one long one (but each compiled function costs about 0.1 s however
    short, so a few lines used in one step are written out there).
    """
    n, width = preferences.shape
    prefs, deg, cap, start, r_child, r_rank, old_of = _canonical(
        capacity, preferences, order
    )
    m = cap.shape[0]
    # ---- 2. primal-dual successive shortest paths. Nodes: children 0..n-1,
    # settings n..n+m-1, the sink n+m. Stored potentials `pot` are the true
    # ones minus `g`; the sink's stored potential is then always 0 and every
    # free child's is -g.
    nv = n + m + 1
    assign = full(n, -1, np.int64)
    load = zeros(m, np.int64)
    pot = zeros(nv, np.int64)
    g: _Int = np.int64(0)
    dist = full(nv, _INF, np.int64)
    reached = empty(nv, np.int64)
    bnext = full(nv, -1, np.int64)
    bprev = full(nv, -1, np.int64)
    head = full(max(2 * width + 2, 16), -1, np.int64)
    it = zeros(nv, np.int64)
    stack = empty(2 * nv + 2, np.int64)
    arank = full(n, -1, np.int64)  # rank of the assigned setting
    lab = zeros(nv, np.int64)  # round stamp: labelled this round
    done = zeros(nv, np.int64)  # round stamp: used or failed
    lay = zeros(nv, np.int64)
    queue = empty(nv, np.int64)
    rnd: _Int = np.int64(0)
    while True:
        best, head = _shortest_paths(
            prefs, deg, cap, start, r_child, r_rank, assign, load, pot,
            dist, reached, bnext, bprev, head,
        )  # fmt: skip
        if best == _INF:
            break
        g += best
        rnd = _augment(
            prefs, deg, cap, start, r_child, r_rank, assign, arank, load, pot,
            lab, done, lay, queue, it, stack, rnd,
        )  # fmt: skip
    # ---- 3. exchange pass: the earliest placed set among optimal allocations.
    _exchange(prefs, deg, cap, start, assign, arank, load, pot, g, it, stack)
    out = full(n, -1, np.int32)
    for t in range(n):
        if assign[t] >= 0:
            out[order[t]] = old_of[assign[t]]
    return out


def max_placement(problem: Problem, *, rng: object = None) -> Allocation:
    r"""Place the most children on ranked settings, then minimise total rank.

    Among all allocations that give each child at most one place at a setting
    their parent ranked and respect every setting's places, choose one that
    places the largest number of children and, among those, has the smallest
    sum of ranks obtained (0 for a first choice). Remaining ties are broken by
    the processing order: the children placed are the earliest possible.

    Parameters
    ----------
    problem : Problem
    rng : optional
        Not used (the rule is deterministic), but checked: a value no
        Generator can be built from is an error naming ``rng``.

    Returns
    -------
    Allocation

    Notes
    -----
    A planner's benchmark, not a mechanism: it ignores priorities and is not
    strategy-proof. The problem is the transportation problem source -> child
    (capacity 1) -> ranked setting (capacity 1, cost the 0-based rank) ->
    sink (capacity the setting's places); a minimum-cost maximum flow is an
    optimal allocation [1]_.

    *Algorithm.* One numba kernel in three steps (each a helper: numba
    compiles several short functions much faster than one long one).

    1. *Canonical numbering.* Children are renumbered by their position in
       ``problem.order`` and settings by their first appearance when the lists
       are read in that order, best choice first. Settings nobody ranked are
       dropped. O(N L).
    2. *Primal-dual successive shortest paths* ([1]_, ch. 9; Edmonds & Karp
       [2]_). Node potentials keep every residual arc's reduced cost
       non-negative. Each phase runs Dijkstra from all unplaced children at
       once over reduced costs, which are small non-negative integers, with
       Dial's buckets [3]_; raises the potentials by the distances (capped at
       the distance to the sink) so that every shortest augmenting path
       becomes tight; then augments tight paths in Hopcroft-Karp rounds [4]_
       until none is left. A round labels nodes with their number of hops to
       a *terminal* (a setting with places left whose arc to the sink is
       tight) by a breadth-first search backward from all terminals that
       stops at the first layer holding an unplaced child, then augments a
       blocking flow of the layered graph (arcs one layer down) by iterative
       depth-first search from those children in processing order, with the
       usual current-arc pointers and dead marks (a terminal may end several
       paths while it has places). Searching backward from the few terminals
       to the many unplaced children keeps a round to the ball around the
       terminals instead of the whole graph. Any tight path is a shortest one,
       so every augmentation keeps the flow of least cost for its value; when
       no augmenting path remains the flow is maximum and of least cost among
       maximum flows. A Dijkstra run is O(N L + D), D the distance to the
       sink, and a round is O(N L) at worst; there are at most F of each for
       F placed, in practice a handful of Dijkstra runs and tens of rounds (7
       and 56 for N = 1,000,000).
    3. *Exchange pass.* With the final potentials, the optimal allocations are
       exactly the flows reached by tight residual cycles. Taking the unplaced
       children in processing order, each takes the place of a later placed
       child whenever a tight residual path leads from one to the other (an
       iterative depth-first search over each setting's list of placed
       children, which first looks for such a child directly at every setting
       it enters; nodes of a failed search are dead for every later one).
       O(N L) for the failed searches, plus the successful ones.

    *Tie-breaking.* Among allocations that place the most children with the
    least total rank, (a) the set of placed children is the lexicographically
    earliest in processing order (equivalently, the one with the least sum of
    processing positions). It is unique: the placed sets of the optimal
    allocations are the bases of a matroid (the projection of the integer
    points of the optimal face of a flow polytope on the source arcs is an
    M-convex set of 0/1 vectors [5]_), so the greedy pass of step 3 finds its
    unique lexicographically first base. (b) Which settings those children get
    is what steps 2 and 3 reach on the canonical numbering: deterministic and
    a function of the processing order and the lists only, but not a
    closed-form rule (it does not promise, say, the earliest child its best
    rank when two optimal allocations place the same children).

    *Label invariance.* Because the kernel only ever sees the canonical
    numbering, renumbering children (with ``order`` permuted to match) or
    settings gives the same canonical problem, the same result, and the same
    allocation mapped back: the output never depends on how children or
    settings are numbered, even when several optimal allocations exist.

    After compilation (numba, on first call): about 0.6 ms for a county
    (N = 1,200, M = 200, L = 5), 0.015 s for N = 10,000, 0.4 s for
    N = 100,000 and 7 s for N = 1,000,000 (L = 10, ``make_instance`` in
    ``benchmarks/instances.py``).

    References
    ----------
    .. [1] Ahuja, R. K., Magnanti, T. L. & Orlin, J. B. (1993). Network Flows:
       Theory, Algorithms, and Applications. Prentice Hall. (Successive
       shortest paths with potentials, ch. 9; the primal-dual algorithm, 9.8.)
    .. [2] Edmonds, J. & Karp, R. M. (1972). Theoretical improvements in
       algorithmic efficiency for network flow problems. Journal of the ACM
       19(2), 248-264.
    .. [3] Dial, R. B. (1969). Algorithm 360: shortest-path forest with
       topological ordering. Communications of the ACM 12(11), 632-633.
    .. [4] Hopcroft, J. E. & Karp, R. M. (1973). An n^{5/2} algorithm for
       maximum matchings in bipartite graphs. SIAM Journal on Computing 2(4),
       225-231.
    .. [5] Murota, K. (2003). Discrete Convex Analysis. SIAM. (Network
       induction of M-convex sets; 0/1 M-convex sets are matroid bases.)

    Examples
    --------
    First available in this order places only Amy, at Oak; the planner sends
    her to her second choice so that Ben gets a place too:

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1}, {"amy": ["Oak", "Elm"], "ben": ["Oak"]}
    ... )
    >>> sa.allocate(p, "first_available").to_dict()
    {'amy': 'Oak', 'ben': None}
    >>> sa.allocate(p, "max_placement").to_dict()
    {'amy': 'Elm', 'ben': 'Oak'}

    When only one of two children can be placed, the earlier in the
    processing order is:

    >>> q = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]},
    ...                           order=["ben", "amy"])
    >>> sa.allocate(q, "max_placement").to_dict()
    {'amy': None, 'ben': 'Oak'}
    """
    check_rng(rng)
    a = max_placement_kernel(problem.capacity, problem.preferences, problem.order)
    return Allocation._trusted(problem, a, "max_placement")
