"""Ranked slots grouped by setting in priority order: shared preparation.

Several rules walk, for each setting, the children who ranked it from highest
priority down. :func:`slots_by_setting_kernel` builds those lists in linear
time with a two-pass counting (LSD radix) sort, where a comparison sort of the
N L slots would dominate the run time of the rules themselves.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import empty, kernel, zeros

__all__ = ["slots_by_setting_kernel"]


@kernel
def slots_by_setting_kernel(
    preferences: NDArray[np.int32], priority: NDArray[np.int32], m: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Group ranked slots by setting, highest priority first.

    Returns ``(start, child, rank)``: setting ``s``'s slots are positions
    ``start[s]:start[s + 1]``; ``child[t]`` ranked ``s`` at ``rank[t]``, in
    increasing ``priority``. Priorities are positions in the setting's list, so
    they are below N (or the list length): O(N L + N + M) time.
    """
    n, width = preferences.shape
    count = 0
    span = 1
    for i in range(n):
        for k in range(width):
            if preferences[i, k] < 0:
                break
            count += 1
            if priority[i, k] + 1 > span:
                span = priority[i, k] + 1
    # Pass 1: all slots in increasing priority (counting sort), each stored as
    # (child, rank, setting) so that pass 2 reads memory in order.
    bucket = zeros(span + 1, np.int64)
    for i in range(n):
        for k in range(width):
            if preferences[i, k] < 0:
                break
            bucket[priority[i, k] + 1] += 1
    for v in range(span):
        bucket[v + 1] += bucket[v]
    p_child = empty(count, np.int32)
    p_rank = empty(count, np.int32)
    p_setting = empty(count, np.int32)
    for i in range(n):
        for k in range(width):
            s = preferences[i, k]
            if s < 0:
                break
            t = bucket[priority[i, k]]
            bucket[priority[i, k]] = t + 1
            p_child[t] = i
            p_rank[t] = k
            p_setting[t] = s
    # Pass 2: stable counting sort by setting.
    start = zeros(m + 1, np.int64)
    for t in range(count):
        start[p_setting[t] + 1] += 1
    for s in range(m):
        start[s + 1] += start[s]
    fill = start[:m].copy()
    child = empty(count, np.int64)
    rank = empty(count, np.int64)
    for t in range(count):
        s = p_setting[t]
        child[fill[s]] = p_child[t]
        rank[fill[s]] = p_rank[t]
        fill[s] += 1
    return start, child, rank
