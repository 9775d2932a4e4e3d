"""Settings' priority lists from dense arrays: the fast path of ``from_arrays``.

:meth:`Problem.from_arrays <sendalloc.problem.Problem.from_arrays>` with
priorities must check the preference rows and sort every setting's applicants
by priority. Its numpy implementation takes about ten passes over the N L
slots plus a row sort and a sort of packed keys; at a million children with
ten choices that is most of a second. Here:

1. one compiled pass checks the rows, copies them and counts each setting's
   applicants;
2. the settings are cut into at most ``MAX_GROUPS`` groups of consecutive
   settings with about the same number of slots, and one compiled pass packs
   one int64 key per slot of the copy, (setting, score, child, rank), into
   its group's part of the key array;
3. group after group, numpy sorts the keys (its vectorised sort) and a
   compiled kernel walks them twice, while they are in the cache: once to
   scatter each slot's class into ``priority``, once to write the lists. A
   group of 1e5 keys fits in a core's cache: the 64 sorts took 0.6-0.7 of the
   time of one sort of all the keys.

On a problem of at least ``THREAD_SLOTS`` slots, where the process may run on
two cores or more, the steps run in two threads (the kernels and numpy's sort
release the GIL): each checks, copies and counts half of the rows, packs them
into its own part of every group's keys (a key holds its setting, score, child
and rank, so the order the keys are packed in does not change the sorted
result), then sorts and walks every other group (groups write disjoint parts
of the outputs). The results are the same whatever the number of threads.

Each group is written as one sequential stream. Up to 64 streams cost the
packing pass little; one stream per setting (a counting sort by setting: 1e4
streams at the benchmark's size) made the scattering pass about five times
slower on the machine this was measured on, more than it saves on the sort.

The fast path never reports an error itself: on anything it does not accept
(a bad entry, a tie when ties are not allowed, keys that do not pack into 63
bits) it returns None and the caller runs the reference numpy path, which
raises the exact message. Its results are identical to that path's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import full, kernel, zeros

__all__ = [
    "GROUP_SLOTS",
    "MAX_GROUPS",
    "MIN_SLOTS",
    "THREAD_SLOTS",
    "PriorityLists",
    "permutation",
    "priority_lists",
]

#: Below this many slots (N L) the numpy path is about as fast, and a small
#: problem does not pay for compiling these kernels on a first run.
MIN_SLOTS = 1 << 16

#: About this many slots per group of settings sorted together (1 MiB of keys).
GROUP_SLOTS = 1 << 17

#: From this many slots (N L) on, the kernels take two threads where the
#: process may run on two cores or more.
THREAD_SLOTS = 1 << 20

#: At most this many groups (below 255: a group index is a uint8, and trailing
#: settings with no slots may form one more): the packing pass writes one
#: stream per group.
MAX_GROUPS = 64


@dataclass(frozen=True, slots=True)
class PriorityLists:
    """The index arrays ``from_arrays`` derives from preferences and priorities.

    Attributes
    ----------
    preferences : ndarray of int32, shape (N, L)
        A copy of the (checked) preferences.
    priority : ndarray of int32, shape (N, L)
        Each slot's class (strict: position) in its setting's list; -1 padding.
    children : ndarray of int32
        Every setting's list, setting after setting, best first.
    start, end : ndarray of int64, shape (M,)
        Setting ``s``'s list is ``children[start[s]:end[s]]``.
    klass : ndarray of int32
        Aligned with ``children``: each entry's class within its setting.
    any_tie : bool
        Whether two children share a priority value at a setting.
    """

    preferences: NDArray[np.int32]
    priority: NDArray[np.int32]
    children: NDArray[np.int32]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    klass: NDArray[np.int32]
    any_tie: bool


@kernel
def _count_kernel(
    prefs: NDArray[np.integer],
    m: int,
    counts: NDArray[np.int64],
    out: NDArray[np.int32],
) -> int:
    """Check the rows, copy them to ``out`` and count each setting's slots.

    Adds each setting's number of ranked slots to ``counts``. Returns the
    number of ranked slots, or -1 at the first entry outside ``[-1, m)``, a
    setting ranked twice in a row, or an entry after padding. The rows may be
    a part of the problem's (``out`` the same part of the copy).
    """
    n, width = prefs.shape
    stamp = full(m, -1, np.int64)  # the last row that ranked the setting
    count = 0
    for i in range(n):
        k = 0
        while k < width:
            s = prefs[i, k]
            if s < 0:
                break
            if s >= m or stamp[s] == i:
                return -1
            stamp[s] = i
            counts[s] += 1
            out[i, k] = s
            k += 1
        count += k
        while k < width:
            if prefs[i, k] != -1:
                return -1
            out[i, k] = -1
            k += 1
    return count


@kernel
def _pack_kernel(
    prefs: NDArray[np.int32],
    score: NDArray[np.integer],
    group: NDArray[np.uint8],
    high: NDArray[np.int64],
    fill: NDArray[np.int64],
    vmin: np.int64,
    shift_v: int,
    bits_k: int,
    keys: NDArray[np.int64],
    prio: NDArray[np.int32],
    row0: int,
) -> None:
    """Pack one int64 key per ranked slot into its group's part of ``keys``.

    The key is (setting - first setting of its group, score - vmin, child,
    rank), so that sorting a group's keys sorts each of its settings'
    applicants by score, then by child; ``vmin`` is at most every ranked
    slot's score and ``high[s]`` is setting ``s``'s field, shifted into place.
    Setting ``s`` belongs to group ``group[s]``, whose next key goes to
    ``keys[fill[group[s]]]`` (``fill`` is advanced). Also writes -1 to
    ``prio`` at the padded slots (its other slots are left for the
    unpacking). ``prefs`` is the copy :func:`_count_kernel` checked and
    counted: nobody else holds it, so the counts still hold. The rows may be
    a part of the problem's, the first being row ``row0`` (the child's index
    in the key).
    """
    n, width = prefs.shape
    for i in range(n):
        base = np.int64(row0 + i) << bits_k
        k = 0
        while k < width:
            s = prefs[i, k]
            if s < 0:
                break
            g = group[s]
            pos = fill[g]
            fill[g] = pos + 1
            v = np.int64(score[i, k]) - vmin
            keys[pos] = high[s] | (v << shift_v) | base | k
            k += 1
        while k < width:
            prio[i, k] = -1
            k += 1


@kernel
def _unpack_kernel(
    keys: NDArray[np.int64],
    start: NDArray[np.int64],
    end: NDArray[np.int64],
    settings: tuple[int, int],
    shift_v: int,
    bits_k: int,
    ties: bool,
    prio: NDArray[np.int32],
    children: NDArray[np.int32],
    klass: NDArray[np.int32],
) -> tuple[bool, bool]:
    """Walk sorted keys: the lists, their classes and each slot's class.

    Setting ``s``'s keys are ``keys[start[s]:end[s]]``, sorted, for ``s`` in
    ``range(*settings)``. Writes ``children`` and ``klass`` (aligned with
    ``keys``) and each of their ranked slots of ``prio``. Returns ``(ok,
    any_tie)``; ``ok`` is False at the first tie when ``ties`` is False.

    Two walks over the keys (still in the cache): the first scatters the
    classes into ``prio``, the second writes the two sequential arrays. One
    walk doing both took 1.25 times as long as the two: the sequential writes
    evicted the lines of ``prio`` the scattered writes were about to reuse.
    """
    mask_k = (np.int64(1) << bits_k) - 1
    mask_low = (np.int64(1) << shift_v) - 1
    any_tie = False
    for s in range(settings[0], settings[1]):
        a = start[s]
        prev = np.int64(-1)  # the previous key's score (and setting) field
        c = -1
        for t in range(a, end[s]):
            key = keys[t]
            sv = key >> shift_v
            if sv == prev:
                any_tie = True
                if not ties:
                    return False, any_tie
            else:
                c += 1
            prev = sv
            low = key & mask_low
            prio[low >> bits_k, low & mask_k] = c if ties else t - a
    for s in range(settings[0], settings[1]):
        a = start[s]
        if any_tie:  # the classes again, as above (ties is True here)
            prev = np.int64(-1)
            c = -1
            for t in range(a, end[s]):
                key = keys[t]
                sv = key >> shift_v
                if sv != prev:
                    c += 1
                prev = sv
                children[t] = (key & mask_low) >> bits_k
                klass[t] = c
        else:  # no tie in these settings: the class is the position
            for t in range(a, end[s]):
                children[t] = (keys[t] & mask_low) >> bits_k
                klass[t] = t - a
    return True, any_tie


@kernel
def _permutation_kernel(order: NDArray[np.integer], out: NDArray[np.int32]) -> bool:
    """Copy ``order`` to ``out``; whether it holds each index once."""
    n = order.shape[0]
    seen = zeros(n, np.bool_)
    for t in range(n):
        v = order[t]
        if v < 0 or v >= n or seen[v]:
            return False
        seen[v] = True
        out[t] = v
    return True


def setting_groups(
    counts: NDArray[np.int64], n_groups: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Cut the settings into about ``n_groups`` runs of similar slot counts.

    Parameters
    ----------
    counts : ndarray of int64, shape (M,)
        Each setting's number of slots (M >= 1).
    n_groups : int
        The number of groups wanted (>= 1).

    Returns
    -------
    group : ndarray of int64, shape (M,)
        Each setting's group, non-decreasing from 0.
    first : ndarray of int64, shape (G + 1,)
        Group ``g`` holds settings ``first[g]`` to ``first[g + 1] - 1``.
    bounds : ndarray of int64, shape (G + 1,)
        Group ``g``'s slots, in setting order, are ``bounds[g]`` to
        ``bounds[g + 1] - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> group, first, bounds = setting_groups(np.array([3, 1, 0, 4, 2]), 2)
    >>> group.tolist(), first.tolist(), bounds.tolist()
    ([0, 0, 0, 0, 1], [0, 4, 5], [0, 8, 10])
    """
    end = np.cumsum(counts)
    start = end - counts
    # A setting joins the group its first slot falls in (a large setting is
    # never split: its group is larger).
    cut = start * n_groups // max(int(end[-1]), 1)
    new = np.ones(counts.shape[0], dtype=np.bool_)
    new[1:] = cut[1:] != cut[:-1]
    group = np.cumsum(new) - 1
    first = np.append(np.flatnonzero(new), counts.shape[0]).astype(np.int64)
    bounds = np.append(start[first[:-1]], end[-1]).astype(np.int64)
    return group, first, bounds


def priority_lists(
    prefs: NDArray[np.integer],
    score: NDArray[np.integer],
    m: int,
    *,
    ties: bool,
    group_slots: int = GROUP_SLOTS,
    threads: int | None = None,
) -> PriorityLists | None:
    """The priority lists of a checked-shape problem, or None for the slow path.

    Parameters
    ----------
    prefs : ndarray of int32 or int64, shape (N, L)
        Preferences as given (not yet checked); left unchanged.
    score : ndarray of int32 or int64, shape (N, L)
        Priority values aligned with ``prefs``.
    m : int
        Number of settings.
    ties : bool
        Whether equal scores at a setting form a class (else they are an error).
    group_slots : int, optional
        About how many slots each group of settings sorted together holds (at
        most ``MAX_GROUPS`` groups); the results do not depend on it.
    threads : {1, 2}, optional
        Threads to run the kernels and sorts in; by default two from
        ``THREAD_SLOTS`` slots (N L) on where the process may run on two cores
        or more, else one. The results do not depend on it.

    Returns
    -------
    PriorityLists or None
        None when the caller must take the reference path: bad input (which
        that path reports) or keys too wide to pack.

    Notes
    -----
    The large arrays are allocated here, by numpy, not in the kernels: numpy
    asks Linux for huge pages, which makes touching new memory for the first
    time (the kernels' first writes) two to three times cheaper than in
    memory a kernel allocates.
    """
    n, width = prefs.shape
    if n == 0 or width == 0 or m == 0:
        return None
    prefs = np.ascontiguousarray(prefs)
    score = np.ascontiguousarray(score)
    if threads is None:
        threads = 2 if n * width >= THREAD_SLOTS and _cores() >= 2 else 1
    # With two threads, each takes half of the rows: [0, h) and [h, n).
    h = n // 2 if threads > 1 and n > 1 else n
    rows = [(0, h), (h, n)] if h < n else [(0, n)]
    parts = len(rows)
    part_counts = [np.zeros(m, dtype=np.int64) for _ in rows]
    found = [0] * parts
    out = np.empty((n, width), dtype=np.int32)

    def count_rows(part: int) -> None:
        lo, hi = rows[part]
        found[part] = _count_kernel(prefs[lo:hi], m, part_counts[part], out[lo:hi])

    _in_threads(count_rows, parts)
    count = sum(found)
    if min(found) < 0 or count == 0:
        return None
    counts = part_counts[0] if parts == 1 else part_counts[0] + part_counts[1]
    n_groups = min(MAX_GROUPS, -(-count // max(group_slots, 1)))
    group, first, bounds = setting_groups(counts, n_groups)
    # The packing needs a lower bound of the scores and the width of their
    # range: the whole array's (vectorised, no pass of our own) does unless
    # values at padded slots widen it past 63 bits; then the ranked slots'.
    bits_k = max((width - 1).bit_length(), 1)
    shift_v = max((n - 1).bit_length(), 1) + bits_k
    bits_g = max(int(np.diff(first).max() - 1).bit_length(), 1)
    vmin, vmax = int(score.min()), int(score.max())
    if shift_v + max((vmax - vmin).bit_length(), 1) + bits_g > 63:
        ranked = score[out >= 0]
        vmin, vmax = int(ranked.min()), int(ranked.max())
        del ranked
    shift_s = shift_v + max((vmax - vmin).bit_length(), 1)
    if shift_s + bits_g > 63:
        return None
    keys = np.empty(count, dtype=np.int64)
    prio = np.empty((n, width), dtype=np.int32)
    high = (np.arange(m, dtype=np.int64) - first[group]) << np.int64(shift_s)
    group8 = group.astype(np.uint8)
    # Rows [0, h) pack from each group's start, rows [h, n) after them.
    fills = [bounds[:-1].copy()]
    if parts > 1:
        fills.append(bounds[:-1] + np.add.reduceat(part_counts[0], first[:-1]))

    def pack(part: int) -> None:
        lo, hi = rows[part]
        _pack_kernel(
            out[lo:hi],
            score[lo:hi],
            group8,
            high,
            fills[part],
            np.int64(vmin),
            shift_v,
            bits_k,
            keys,
            prio[lo:hi],
            lo,
        )

    _in_threads(pack, parts)
    end = np.cumsum(counts)
    start = end - counts
    children = np.empty(count, dtype=np.int32)
    klass = np.empty(count, dtype=np.int32)
    # Each group is walked as soon as it is sorted, while it is in the cache;
    # with two threads, each takes every other group.
    cuts, at = first.tolist(), bounds.tolist()
    walked: list[tuple[bool, bool]] = []

    def sort_and_walk(part: int) -> None:
        for g in range(part, len(cuts) - 1, parts):
            keys[at[g] : at[g + 1]].sort()
            ok, tie = _unpack_kernel(
                keys,
                start,
                end,
                (cuts[g], cuts[g + 1]),
                shift_v,
                bits_k,
                ties,
                prio,
                children,
                klass,
            )
            walked.append((bool(ok), bool(tie)))
            if not ok:
                return

    _in_threads(sort_and_walk, parts)
    if not all(ok for ok, _ in walked):
        return None
    any_tie = any(tie for _, tie in walked)
    return PriorityLists(out, prio, children, start, end, klass, any_tie)


def _cores() -> int:
    """The cores this process may run on (its CPU affinity where known)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _in_threads(work: Callable[[int], None], parts: int) -> None:
    """``work(0)``, ..., ``work(parts - 1)``: the first here, the rest in threads."""
    if parts == 1:
        work(0)
        return
    with ThreadPoolExecutor(parts - 1) as pool:
        rest = [pool.submit(work, p) for p in range(1, parts)]
        work(0)
        for future in rest:
            future.result()


def permutation(order: NDArray[np.integer]) -> NDArray[np.int32] | None:
    """``order`` as a new int32 array if it is a permutation, else None.

    Parameters
    ----------
    order : ndarray of int32 or int64, shape (N,)

    Returns
    -------
    ndarray of int32 or None
        None when some entry is out of range or repeated (the reference check
        words the error).
    """
    out = np.empty(order.shape[0], dtype=np.int32)
    return out if _permutation_kernel(np.ascontiguousarray(order), out) else None
