"""Plain-Python reference implementations of every built-in mechanism.

Each function reads a Problem through ``.tolist()`` and the per-setting priority
lists and follows the textbook definition step by step, favouring readability
over speed. The mechanisms' kernels are checked against these.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from sendalloc import Problem

Assignment = list[int]


def prefs_of(p: Problem) -> list[list[int]]:
    """Each child's ranked settings, best first, padding removed."""
    return [[s for s in row if s >= 0] for row in p.preferences.tolist()]


def plists_of(p: Problem) -> list[list[int]]:
    """Each setting's priority list of children, best first."""
    return [lst.tolist() for lst in p.priority_lists]


def prio_rank(p: Problem) -> list[dict[int, int]]:
    """prio_rank(p)[s][c]: position of child c on setting s's list (lower wins)."""
    return [{c: r for r, c in enumerate(lst)} for lst in plists_of(p)]


def serial_dictatorship(p: Problem, order: list[int]) -> Assignment:
    """Children in `order`; each takes their best ranked setting with a place."""
    cap = p.capacity.tolist()
    out = [-1] * p.n_children
    prefs = prefs_of(p)
    for c in order:
        for s in prefs[c]:
            if cap[s] > 0:
                cap[s] -= 1
                out[c] = s
                break
    return out


def first_available(p: Problem) -> Assignment:
    return serial_dictatorship(p, p.order.tolist())


def random_serial_dictatorship(p: Problem, seed: int) -> Assignment:
    order = np.random.default_rng(seed).permutation(p.n_children).tolist()
    return serial_dictatorship(p, order)


def boston(p: Problem) -> Assignment:
    """Round k: every unplaced child applies to their k-th choice, full or not."""
    cap = p.capacity.tolist()
    prefs = prefs_of(p)
    rank = prio_rank(p)
    out = [-1] * p.n_children
    longest = max((len(r) for r in prefs), default=0)
    for k in range(longest):
        applicants: dict[int, list[int]] = {}
        for c, row in enumerate(prefs):
            if out[c] == -1 and k < len(row):
                applicants.setdefault(row[k], []).append(c)
        for s, kids in applicants.items():
            for c in sorted(kids, key=lambda c: rank[s][c]):
                if cap[s] > 0:
                    cap[s] -= 1
                    out[c] = s
    return out


def adaptive_boston(p: Problem) -> Assignment:
    """Each round every unplaced child applies to their best setting that had a
    place at the start of the round; settings accept by priority."""
    cap = p.capacity.tolist()
    prefs = prefs_of(p)
    rank = prio_rank(p)
    out = [-1] * p.n_children
    while True:
        open_now = [c > 0 for c in cap]
        applicants: dict[int, list[int]] = {}
        for c, row in enumerate(prefs):
            if out[c] == -1:
                choice = next((s for s in row if open_now[s]), None)
                if choice is not None:
                    applicants.setdefault(choice, []).append(c)
        if not applicants:
            return out
        for s, kids in applicants.items():
            for c in sorted(kids, key=lambda c: rank[s][c]):
                if cap[s] > 0:
                    cap[s] -= 1
                    out[c] = s


def deferred_acceptance(p: Problem) -> Assignment:
    """Child-proposing DA, in rounds: all free children propose at once."""
    cap = p.capacity.tolist()
    prefs = prefs_of(p)
    rank = prio_rank(p)
    nxt = [0] * p.n_children
    held: list[list[int]] = [[] for _ in cap]
    free = [c for c in range(p.n_children) if prefs[c]]
    while free:
        for c in free:
            s = prefs[c][nxt[c]]
            nxt[c] += 1
            held[s].append(c)
        free = []
        for s in range(len(cap)):
            held[s].sort(key=lambda c: rank[s][c])
            free += held[s][cap[s] :]
            held[s] = held[s][: cap[s]]
        free = [c for c in free if nxt[c] < len(prefs[c])]
    out = [-1] * p.n_children
    for s, kids in enumerate(held):
        for c in kids:
            out[c] = s
    return out


def setting_proposing_deferred_acceptance(p: Problem) -> Assignment:
    """Settings offer down their lists in rounds; children keep the best offer.

    An offer to a child who did not rank the setting is refused at once.
    """
    cap = p.capacity.tolist()
    prefs = prefs_of(p)
    plists = plists_of(p)
    nxt = [0] * len(cap)
    holds = [-1] * p.n_children  # the offer each child holds
    while True:
        offers: dict[int, list[int]] = {}
        for s in range(len(cap)):
            holding = sum(1 for h in holds if h == s)
            while holding < cap[s] and nxt[s] < len(plists[s]):
                c = plists[s][nxt[s]]
                nxt[s] += 1
                offers.setdefault(c, []).append(s)
                holding += 1
        if not offers:
            break
        for c, ss in offers.items():
            options = [s for s in [*ss, holds[c]] if s in prefs[c]]
            holds[c] = min(options, key=prefs[c].index, default=-1)
    return holds


def top_trading_cycles(p: Problem) -> Assignment:
    """Canonical TTC: settings point to their top remaining child, children to
    their best setting with a place; all cycles of a step trade at once."""
    cap = p.capacity.tolist()
    prefs = prefs_of(p)
    plists = plists_of(p)
    out = [-1] * p.n_children
    left = set(range(p.n_children))
    # Cursors only skip what can never come back: children who left, settings
    # with no place left (places only ever decrease).
    child_cur = [0] * p.n_children
    setting_cur = [0] * len(cap)
    while left:
        child_ptr = {}
        for c in sorted(left):
            row = prefs[c]
            while child_cur[c] < len(row) and cap[row[child_cur[c]]] == 0:
                child_cur[c] += 1
            if child_cur[c] == len(row):
                left.discard(c)  # no ranked setting with a place: leaves unplaced
            else:
                child_ptr[c] = row[child_cur[c]]
        if not left:
            break
        setting_ptr = {}
        for s in range(len(cap)):
            lst = plists[s]
            while setting_cur[s] < len(lst) and lst[setting_cur[s]] not in left:
                setting_cur[s] += 1
            if cap[s] > 0 and setting_cur[s] < len(lst):
                setting_ptr[s] = lst[setting_cur[s]]
        # Children point via settings to children: find every cycle of that map.
        on_cycle: set[int] = set()
        seen: set[int] = set()
        for c in sorted(left):
            path: list[int] = []
            x = c
            while x not in seen:
                seen.add(x)
                path.append(x)
                x = setting_ptr[child_ptr[x]]
            if x in path:
                on_cycle.update(path[path.index(x) :])
        assert on_cycle, "every step of TTC has a cycle"
        for c in on_cycle:
            out[c] = child_ptr[c]
            cap[child_ptr[c]] -= 1
            left.discard(c)
    return out


def max_placement_value(p: Problem) -> tuple[int, int]:
    """(children placed, total rank) of an optimal planner's allocation.

    The definition as a min-cost maximum flow, solved by networkx: source to
    each child (1 place), child to each ranked setting (cost = rank), setting
    to sink (its places).
    """
    g = nx.DiGraph()
    g.add_node("src")
    g.add_node("sink")
    for c, row in enumerate(prefs_of(p)):
        g.add_edge("src", ("c", c), capacity=1, weight=0)
        for k, s in enumerate(row):
            g.add_edge(("c", c), ("s", s), capacity=1, weight=k)
    for s, q in enumerate(p.capacity.tolist()):
        g.add_edge(("s", s), "sink", capacity=q, weight=0)
    flow = nx.max_flow_min_cost(g, "src", "sink")
    placed = sum(flow["src"].values())
    return placed, nx.cost_of_flow(g, flow)


REFERENCES = {
    "first_available": first_available,
    "boston": boston,
    "adaptive_boston": adaptive_boston,
    "deferred_acceptance": deferred_acceptance,
    "setting_proposing_deferred_acceptance": setting_proposing_deferred_acceptance,
    "top_trading_cycles": top_trading_cycles,
}


def status_quo(
    *,
    order: list[int],
    wish: list[int],
    lists: list[list[int]],
    list_cost: list[list[float]],
    wish_cost: list[float],
    need: list[int],
    kind: list[int],
    capacity: list[int],
    roll: list[int],
    must_admit: list[bool],
    tolerance: float,
    tribunal_tolerance: float,
    taste: list[list[float]],
    refusal_at_full: float,
    fullness_slope: float,
    cost_slope: float,
    appeal_same: float,
    appeal_worse: float,
    shares: list[float],
    u: list[list[float]],
) -> dict[str, list[int]]:
    """Today's process read straight from its rules, with each setting's roll.

    A setting has a free place while its roll is below its capacity; a
    must-admit one takes a child beyond that while its roll is below
    ``capacity + floor(tolerance * capacity)`` (the tribunal's tolerance when
    the tribunal names it). Returns the day's and final placements, request
    codes (0 none, 1 granted, 2 refused, 3 no place), over-capacity flags (day
    and final), appeals and tribunal codes (0 none, 1 parent, 2 concedes, 3 LA,
    4 other).
    """
    n = len(wish)
    roll = list(roll)

    def limit(s: int, tol: float) -> int:
        extra = math.floor(tol * capacity[s]) if must_admit[s] else 0
        return capacity[s] + extra

    def has_free(s: int) -> bool:
        return roll[s] < capacity[s]

    def can_take(s: int, tol: float) -> bool:
        return roll[s] < limit(s, tol)

    day, request, over_day = [-1] * n, [0] * n, [False] * n
    appealed, tribunal = [False] * n, [0] * n
    la_choice = [-1] * n
    for i in order:
        listed = [s for s in lists[i] if s >= 0]
        free_ones = [s for s in listed if has_free(s)]
        over_ones = [s for s in listed if can_take(s, tolerance)]
        c = free_ones[0] if free_ones else (over_ones[0] if over_ones else -1)
        la_choice[i] = c
        r = wish[i]
        if r < 0:
            code = 0
        elif r == c:
            code = 1
        elif not can_take(r, tolerance):
            code = 3
        else:
            if refusal_at_full <= 0.0:
                x = -math.inf
            elif refusal_at_full >= 1.0:
                x = math.inf
            else:
                x = math.log(refusal_at_full / (1.0 - refusal_at_full))
            if capacity[r] > 0:
                x += fullness_slope * ((roll[r] + 1) / capacity[r] - 1.0)
            if c >= 0:
                cc = max(list_cost[i][lists[i].index(c)], 1.0)
                x += cost_slope * (math.log(max(wish_cost[i], 1.0)) - math.log(cc))
            p = 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0
            code = 2 if u[i][0] < p else 1
        named = r if code == 1 else c
        request[i] = code
        if named >= 0:
            over_day[i] = not has_free(named)
            roll[named] += 1
        day[i] = named
        if code >= 2:
            worse = c < 0 or taste[need[i]][kind[c]] < taste[need[i]][kind[r]]
            appealed[i] = u[i][1] < (appeal_worse if worse else appeal_same)
    final, over = list(day), list(over_day)
    total = sum(shares)
    cum = [sum(shares[: k + 1]) / total for k in range(3)]
    big = max(tolerance, tribunal_tolerance)
    for i in order:
        if not appealed[i]:
            continue
        v = u[i][2]
        res = 1 if v < cum[0] else 2 if v < cum[1] else 3 if v < cum[2] else 4
        r = wish[i]
        if res <= 2:
            if not can_take(r, big):
                res = 3
            else:
                if final[i] >= 0:
                    roll[final[i]] -= 1
                over[i] = not has_free(r)
                roll[r] += 1
                final[i] = r
        tribunal[i] = res
    return {
        "day": day,
        "final": final,
        "request": request,
        "over_day": over_day,
        "over": over,
        "appealed": appealed,
        "tribunal": tribunal,
        "roll": roll,
    }
