"""Settings' priority lists from dense arrays: the fast path of ``from_arrays``.

:meth:`Problem.from_arrays <sendalloc.problem.Problem.from_arrays>` with
priorities must check the preference rows and sort every setting's applicants
by priority. Its numpy implementation takes about ten passes over the N L
slots plus a row sort and a sort of packed keys; at a million children with
ten choices that is most of a second. Here the checks and the packing are one
compiled pass each, the sort is numpy's (vectorised) sort of one int64 key per
slot, and one compiled pass writes the results.

The fast path never reports an error itself: on anything it does not accept
(a bad entry, a tie when ties are not allowed, keys that do not pack into 63
bits) it returns None and the caller runs the reference numpy path, which
raises the exact message. Its results are identical to that path's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import kernel

__all__ = ["MIN_SLOTS", "PriorityLists", "priority_lists"]

#: Below this many slots (N L) the numpy path is about as fast, and a small
#: problem does not pay for compiling these kernels on a first run.
MIN_SLOTS = 1 << 16


@dataclass(frozen=True, slots=True)
class PriorityLists:
    """The index arrays ``from_arrays`` derives from preferences and priorities.

    Attributes
    ----------
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

    priority: NDArray[np.int32]
    children: NDArray[np.int32]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    klass: NDArray[np.int32]
    any_tie: bool


@kernel
def _scan_kernel(
    prefs: NDArray[np.integer],
    score: NDArray[np.integer],
    m: int,
    prio: NDArray[np.int32],
) -> tuple[bool, int, np.int64, np.int64, NDArray[np.int64]]:
    """Check the rows; count slots per setting; the range of the scores.

    Returns ``(ok, count, vmin, vmax, counts)``; ``ok`` is False at the first
    entry outside ``[-1, m)``, a setting ranked twice in a row, or an entry
    after padding. Writes -1 into ``prio`` at padded slots.
    """
    n, width = prefs.shape
    counts = np.zeros(m, dtype=np.int64)
    stamp = np.full(m, -1, dtype=np.int64)  # the last row that ranked the setting
    vmin = np.int64(0)
    vmax = np.int64(0)
    count = 0
    for i in range(n):
        k = 0
        while k < width:
            s = prefs[i, k]
            if s < 0:
                break
            if s >= m or stamp[s] == i:
                return False, 0, vmin, vmax, counts
            stamp[s] = i
            counts[s] += 1
            v = np.int64(score[i, k])
            if count == 0:
                vmin = v
                vmax = v
            elif v < vmin:
                vmin = v
            elif v > vmax:
                vmax = v
            count += 1
            k += 1
        while k < width:
            if prefs[i, k] != -1:
                return False, 0, vmin, vmax, counts
            prio[i, k] = -1
            k += 1
    return True, count, vmin, vmax, counts


@kernel
def _pack_kernel(
    prefs: NDArray[np.integer],
    score: NDArray[np.integer],
    count: int,
    vmin: np.int64,
    shift_s: int,
    shift_v: int,
    bits_k: int,
) -> NDArray[np.int64]:
    """One int64 key per ranked slot: (setting, score - vmin, child, rank)."""
    n, width = prefs.shape
    keys = np.empty(count, dtype=np.int64)
    t = 0
    for i in range(n):
        base = np.int64(i) << bits_k
        for k in range(width):
            s = prefs[i, k]
            if s < 0:
                break
            v = np.int64(score[i, k]) - vmin
            keys[t] = (np.int64(s) << shift_s) | (v << shift_v) | base | k
            t += 1
    return keys


@kernel
def _unpack_kernel(
    keys: NDArray[np.int64],
    start: NDArray[np.int64],
    prio: NDArray[np.int32],
    shift_s: int,
    shift_v: int,
    bits_k: int,
    ties: bool,
) -> tuple[bool, bool, NDArray[np.int32], NDArray[np.int32]]:
    """Walk the sorted keys: lists, classes and each slot's class.

    Returns ``(ok, any_tie, children, klass)``; ``ok`` is False at the first
    tie when ``ties`` is False.
    """
    count = keys.shape[0]
    children = np.empty(count, dtype=np.int32)
    klass = np.empty(count, dtype=np.int32)
    mask_k = (np.int64(1) << bits_k) - 1
    mask_low = (np.int64(1) << shift_v) - 1
    any_tie = False
    prev = np.int64(-1)  # (setting, score) of the previous key
    c = 0
    for t in range(count):
        key = keys[t]
        sv = key >> shift_v
        s = key >> shift_s
        if sv == prev:
            any_tie = True
            if not ties:
                return False, any_tie, children, klass
        elif t > 0 and s == (prev >> (shift_s - shift_v)):
            c += 1
        else:
            c = 0
        prev = sv
        low = key & mask_low
        i = low >> bits_k
        cls = c if ties else t - start[s]
        prio[i, low & mask_k] = cls
        children[t] = i
        klass[t] = cls
    return True, any_tie, children, klass


def priority_lists(
    prefs: NDArray[np.integer],
    score: NDArray[np.integer],
    m: int,
    *,
    ties: bool,
) -> PriorityLists | None:
    """The priority lists of a checked-shape problem, or None for the slow path.

    Parameters
    ----------
    prefs : ndarray of int32 or int64, shape (N, L)
        Preferences as given (not yet checked).
    score : ndarray of int32 or int64, shape (N, L)
        Priority values aligned with ``prefs``.
    m : int
        Number of settings.
    ties : bool
        Whether equal scores at a setting form a class (else they are an error).

    Returns
    -------
    PriorityLists or None
        None when the caller must take the reference path: bad input (which
        that path reports) or keys too wide to pack.
    """
    n, width = prefs.shape
    if n == 0 or width == 0 or m == 0:
        return None
    prefs = np.ascontiguousarray(prefs)
    score = np.ascontiguousarray(score)
    prio = np.empty((n, width), dtype=np.int32)
    ok, count, vmin, vmax, counts = _scan_kernel(prefs, score, m, prio)
    if not ok or count == 0:
        return None
    bits_k = max((width - 1).bit_length(), 1)
    shift_v = max((n - 1).bit_length(), 1) + bits_k
    shift_s = shift_v + max((int(vmax) - int(vmin)).bit_length(), 1)
    if shift_s + max((m - 1).bit_length(), 1) > 63:
        return None
    keys = _pack_kernel(prefs, score, count, vmin, shift_s, shift_v, bits_k)
    keys.sort()
    end = np.cumsum(counts)
    start = end - counts
    ok, any_tie, children, klass = _unpack_kernel(
        keys, start, prio, shift_s, shift_v, bits_k, ties
    )
    if not ok:
        return None
    return PriorityLists(prio, children, start, end, klass, bool(any_tie))
