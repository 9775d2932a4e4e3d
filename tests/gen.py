"""Problem generators for the mechanism tests.

`small_problems` is a hypothesis strategy for tiny problems built through every
constructor and priority style; `random_problem` makes seeded larger ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from sendalloc import Problem

PRIORITY_KINDS = ("none", "common", "lists", "arrays")


@st.composite
def small_problems(
    draw: Any, max_children: int = 8, max_settings: int = 5, max_capacity: int = 3
) -> Problem:
    """Valid Problems with N 0..8, M 1..5, capacities 0..3.

    Priorities are absent (settings rank by `order`), a common list, per-setting
    lists that may rank children who did not list the setting (from_lists), or
    an aligned priority array (from_arrays).
    """
    m = draw(st.integers(1, max_settings))
    n = draw(st.integers(0, max_children))
    cap = draw(st.lists(st.integers(0, max_capacity), min_size=m, max_size=m))
    prefs = []
    for _ in range(n):
        perm = draw(st.permutations(range(m)))
        prefs.append(list(perm[: draw(st.integers(0, m))]))
    order = draw(st.none() | st.permutations(range(n)))
    kind = draw(st.sampled_from(PRIORITY_KINDS))
    if kind == "none" or n == 0:
        return Problem.from_lists(cap, prefs, order=order)
    if kind == "common":
        common = list(draw(st.permutations(range(n))))
        return Problem.from_lists(cap, prefs, priorities=common, order=order)
    if kind == "lists":
        lists = []
        for s in range(m):
            extra = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            members = [c for c in range(n) if s in prefs[c] or extra[c]]
            lists.append(list(draw(st.permutations(members))))
        return Problem.from_lists(cap, prefs, priorities=lists, order=order)
    width = max(1, max(len(r) for r in prefs))
    arr = np.full((n, width), -1)
    for i, r in enumerate(prefs):
        arr[i, : len(r)] = r
    scores = draw(st.permutations(range(n * width)))
    prio = np.array(scores).reshape(n, width)
    return Problem.from_arrays(cap, arr, priority=prio, order=order)


def random_problem(
    seed: int, *, n: int | None = None, kind: str | None = None
) -> Problem:
    """A seeded random problem of a few hundred to two thousand children.

    Capacities are drawn to total about 0.8 N (some settings have none); lists
    have up to L settings chosen without replacement. `kind` picks the
    priority style as in `small_problems`, by default from the seed.
    """
    rng = np.random.default_rng(seed)
    if n is None:
        n = int(rng.integers(200, 2001))
    if kind is None:
        kind = PRIORITY_KINDS[seed % len(PRIORITY_KINDS)]
    m = int(rng.integers(5, max(6, n // 20)))
    width = int(rng.integers(1, min(m, 8) + 1))
    weight = rng.random(m) ** 2
    cap = np.floor(weight / weight.sum() * n * 0.8).astype(np.int64)
    cap[rng.random(m) < 0.05] = 0
    # Popular settings are ranked more often: sample without replacement by weight.
    pop = rng.random(m) + 0.2
    keys = -np.log(rng.random((n, m))) / pop  # exponential race: order ~ popularity
    prefs = np.argsort(keys, axis=1)[:, :width].astype(np.int64)
    length = rng.integers(0, width + 1, size=n)
    prefs[np.arange(width)[None, :] >= length[:, None]] = -1
    order = rng.permutation(n)
    if kind == "none":
        return Problem.from_arrays(cap, prefs, order=order)
    if kind == "arrays":
        prio = rng.permutation(n * width).reshape(n, width)
        return Problem.from_arrays(cap, prefs, priority=prio, order=order)
    if kind == "common":
        rows = [[int(s) for s in r if s >= 0] for r in prefs]
        return Problem.from_lists(
            cap, rows, priorities=rng.permutation(n).tolist(), order=order.tolist()
        )
    rows = [[int(s) for s in r if s >= 0] for r in prefs]
    listed = np.zeros((m, n), dtype=bool)
    for c, r in enumerate(rows):
        listed[r, c] = True
    extra = rng.random((m, n)) < 0.1
    lists = [
        rng.permutation(np.flatnonzero(listed[s] | extra[s])).tolist() for s in range(m)
    ]
    return Problem.from_lists(cap, rows, priorities=lists, order=order.tolist())
