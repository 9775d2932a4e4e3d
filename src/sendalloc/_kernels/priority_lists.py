"""Settings' priority lists from dense arrays: the fast path of ``from_arrays``.

:meth:`Problem.from_arrays <sendalloc.problem.Problem.from_arrays>` with
priorities must check the preference rows and sort every setting's applicants
by priority. Its numpy implementation takes about ten passes over the N L
slots plus a row sort and a sort of packed keys; at a million children with
ten choices that is most of a second. Here one compiled pass checks the rows,
copies them and packs one int64 key per slot, numpy sorts the keys (its
vectorised sort), and one compiled pass writes the results. The order is
checked and copied by one more compiled pass.

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

__all__ = ["MIN_SLOTS", "PriorityLists", "permutation", "priority_lists"]

#: Below this many slots (N L) the numpy path is about as fast, and a small
#: problem does not pay for compiling these kernels on a first run.
MIN_SLOTS = 1 << 16


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
def _pack_kernel(
    prefs: NDArray[np.integer],
    score: NDArray[np.integer],
    m: int,
    vmin: np.int64,
    shift_s: int,
    shift_v: int,
    bits_k: int,
    keys: NDArray[np.int64],
    out: NDArray[np.int32],
    prio: NDArray[np.int32],
) -> tuple[bool, int, NDArray[np.int64]]:
    """Check the rows and pack one int64 key per ranked slot, in one pass.

    The key is (setting, score - vmin, child, rank), so that sorting the keys
    sorts each setting's applicants by score, then by child; ``vmin`` is at
    most every ranked slot's score. Writes the keys to the start of ``keys``
    (N L long), an int32 copy of ``prefs`` to ``out`` and -1 to ``prio`` at
    the padded slots (its other slots are left for the unpacking). Returns
    ``(ok, count, counts)``: the number of keys and of slots per setting;
    ``ok`` is False at the first entry outside ``[-1, m)``, a setting ranked
    twice in a row, or an entry after padding.
    """
    n, width = prefs.shape
    counts = np.zeros(m, dtype=np.int64)
    stamp = np.full(m, -1, dtype=np.int64)  # the last row that ranked the setting
    t = 0
    for i in range(n):
        base = np.int64(i) << bits_k
        k = 0
        while k < width:
            s = prefs[i, k]
            if s < 0:
                break
            if s >= m or stamp[s] == i:
                return False, 0, counts
            stamp[s] = i
            counts[s] += 1
            out[i, k] = s
            v = np.int64(score[i, k]) - vmin
            keys[t] = (np.int64(s) << shift_s) | (v << shift_v) | base | k
            t += 1
            k += 1
        while k < width:
            if prefs[i, k] != -1:
                return False, 0, counts
            out[i, k] = -1
            prio[i, k] = -1
            k += 1
    return True, t, counts


@kernel
def _unpack_kernel(
    keys: NDArray[np.int64],
    start: NDArray[np.int64],
    shift_s: int,
    shift_v: int,
    bits_k: int,
    ties: bool,
    prio: NDArray[np.int32],
    children: NDArray[np.int32],
    klass: NDArray[np.int32],
) -> tuple[bool, bool]:
    """Walk the sorted keys: the lists, their classes and each slot's class.

    Writes ``children`` and ``klass`` (aligned with ``keys``) and each ranked
    slot of ``prio``. Returns ``(ok, any_tie)``; ``ok`` is False at the first
    tie when ``ties`` is False.
    """
    count = keys.shape[0]
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
                return False, any_tie
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
    return True, any_tie


@kernel
def _permutation_kernel(order: NDArray[np.integer], out: NDArray[np.int32]) -> bool:
    """Copy ``order`` to ``out``; whether it holds each index once."""
    n = order.shape[0]
    seen = np.zeros(n, dtype=np.bool_)
    for t in range(n):
        v = order[t]
        if v < 0 or v >= n or seen[v]:
            return False
        seen[v] = True
        out[t] = v
    return True


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
        Preferences as given (not yet checked); left unchanged.
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
    # The packing needs a lower bound of the scores and the width of their
    # range: the whole array's (vectorised, no pass of our own) does unless
    # values at padded slots widen it past 63 bits; then the ranked slots'.
    bits_k = max((width - 1).bit_length(), 1)
    shift_v = max((n - 1).bit_length(), 1) + bits_k
    bits_m = max((m - 1).bit_length(), 1)
    vmin, vmax = int(score.min()), int(score.max())
    if shift_v + max((vmax - vmin).bit_length(), 1) + bits_m > 63:
        ranked = score[prefs >= 0]
        if ranked.size == 0:
            return None
        vmin, vmax = int(ranked.min()), int(ranked.max())
        del ranked
    shift_s = shift_v + max((vmax - vmin).bit_length(), 1)
    if shift_s + bits_m > 63:
        return None
    keys = np.empty(n * width, dtype=np.int64)
    out = np.empty((n, width), dtype=np.int32)
    prio = np.empty((n, width), dtype=np.int32)
    ok, count, counts = _pack_kernel(
        prefs, score, m, np.int64(vmin), shift_s, shift_v, bits_k, keys, out, prio
    )
    if not ok or count == 0:
        return None
    keys = keys[:count]
    keys.sort()
    end = np.cumsum(counts)
    start = end - counts
    children = np.empty(count, dtype=np.int32)
    klass = np.empty(count, dtype=np.int32)
    ok, any_tie = _unpack_kernel(
        keys, start, shift_s, shift_v, bits_k, ties, prio, children, klass
    )
    if not ok:
        return None
    return PriorityLists(out, prio, children, start, end, klass, bool(any_tie))


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
