"""Settings' priority lists: tie classes, alignment with the preference slots.

A setting's priority list may be given as a list (from
:meth:`~sendalloc.Problem.from_lists` and :meth:`~sendalloc.Problem.from_dicts`,
where an entry may be a class of tied children) or derived from a dense
``priority`` array (:meth:`~sendalloc.Problem.from_arrays`). These helpers flatten
the classes, sort entries by setting and value, and carry each entry's value
onto the child's (N, L) preference slot, refusing a child missing from a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._problem.convert import BY_INDEX, Names, as_int_array, is_int, lookup
from sendalloc.errors import InvalidProblemError

__all__ = [
    "align_priorities",
    "entry_at",
    "flatten_classes",
    "label_list",
    "positions",
    "sort_by_setting_then_value",
]


def sort_by_setting_then_value(
    settings: NDArray[np.integer[Any]], vals: NDArray[np.integer[Any]]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Sort entries by (setting, value, entry index).

    Returns ``(perm, settings[perm], tie)``: ``perm`` is the same as
    ``np.lexsort((arange, vals, settings))`` and ``tie[t]`` says whether sorted
    entries ``t`` and ``t + 1`` share both setting and value. When the three
    fields pack into one int64 (the usual case: 1e7 entries, 1e4 settings and
    values below 2**24 use 62 bits) a plain ``np.sort`` of the packed keys does
    the work several times faster than ``lexsort``, and the sorted fields are
    unpacked rather than gathered.
    """
    count = settings.shape[0]
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.bool_)
    vmin = int(vals.min())
    bits_s = max(int(settings.max()).bit_length(), 1)
    bits_v = max((int(vals.max()) - vmin).bit_length(), 1)
    bits_i = max((count - 1).bit_length(), 1)
    if bits_s + bits_v + bits_i > 63:
        perm = np.lexsort((np.arange(count), vals, settings))
        s_sorted, v_sorted = settings[perm], vals[perm]
        tie = (s_sorted[1:] == s_sorted[:-1]) & (v_sorted[1:] == v_sorted[:-1])
        return perm, s_sorted.astype(np.int64), tie
    packed = settings.astype(np.int64) << np.int64(bits_v + bits_i)
    packed |= (vals.astype(np.int64) - vmin) << np.int64(bits_i)
    packed |= np.arange(count, dtype=np.int64)
    packed.sort()
    key = packed >> np.int64(bits_i)  # (setting, value) of each sorted entry
    tie = key[1:] == key[:-1]
    key >>= np.int64(bits_v)
    packed &= np.int64((1 << bits_i) - 1)
    return packed, key, tie


def label_list(index: Mapping[Any, int], row: Any, name: str) -> list[Any]:
    """Translate a priority list of child labels (tie classes as lists or sets)."""
    if isinstance(row, str | bytes) or not isinstance(row, Iterable):
        raise InvalidProblemError(
            f"{name} = {row!r}: expected a list of child labels (a nested list for "
            "children who tie)"
        )
    out: list[Any] = []
    for t, c in enumerate(row):
        if isinstance(c, list | set):
            if not c:
                raise InvalidProblemError(
                    f"{name}[{t}] = {c!r}: an empty tie class; a class lists at "
                    "least one child"
                )
            out.append(
                [
                    lookup(index, x, f"{name}[{t}][{u}]", "child", "preferences")
                    for u, x in enumerate(c)
                ]
            )
        else:
            out.append(lookup(index, c, f"{name}[{t}]", "child", "preferences"))
    return out


def entry_at(
    name: str, classes: NDArray[np.int64] | None, names: Names
) -> Callable[[int], str]:
    """Name entry ``t`` of a priority list flattened by :func:`flatten_classes`.

    Index messages count tied children one by one (``name[t]``); labelled ones
    name the caller's own entry, the tie class holding the child.
    """
    if classes is None or not names.labelled:
        return lambda t: f"{name}[{t}]"
    return lambda t: f"{name}[{int(classes[t])}]"


def _is_class(x: object) -> bool:
    """Whether a priority-list entry is a tie class rather than one child."""
    return isinstance(x, list | tuple | set | frozenset | np.ndarray)


def flatten_classes(
    row: Any, name: str
) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    """Flatten a priority list whose entries may be tie classes.

    Returns the children in list order (a class's members in index order) and
    their class indices, or None for the classes when no entry is a class (then
    the class of each child is its position).
    """
    want = "of child indices"
    if isinstance(row, np.ndarray | str | bytes):
        return as_int_array(row, name, 1, want=want), None
    entries = list(row) if isinstance(row, Iterable) else row
    if not isinstance(entries, list) or not any(_is_class(x) for x in entries):
        return as_int_array(entries, name, 1, want=want), None
    children: list[int] = []
    classes: list[int] = []
    for t, x in enumerate(entries):
        if not _is_class(x):
            if not is_int(x):
                raise InvalidProblemError(
                    f"{name}[{t}] = {x!r}: expected a child index or a list of "
                    "tied child indices"
                )
            children.append(int(x))
            classes.append(t)
            continue
        members = list(x)
        if not members:
            raise InvalidProblemError(
                f"{name}[{t}] = {x!r}: an empty tie class; a class lists at least "
                "one child"
            )
        for u, v in enumerate(members):
            if not is_int(v):
                raise InvalidProblemError(
                    f"{name}[{t}][{u}] = {v!r}: expected a child index"
                )
        children.extend(sorted(int(v) for v in members))
        classes.extend([t] * len(members))
    return np.array(children, dtype=np.int64), np.array(classes, dtype=np.int64)


def align_priorities(
    plist: NDArray[np.int64],
    start: NDArray[np.int64],
    counts: NDArray[np.int64],
    values: NDArray[np.int64],
    prefs: NDArray[np.int64],
    m: int,
    names: Names = BY_INDEX,
) -> NDArray[np.int64]:
    """Spread per-entry ``values`` of disjoint priority lists onto the (N, L) slots.

    Setting ``s`` ranks ``plist[start[s]:start[s] + counts[s]]``; the result holds,
    at each ranked slot ``(i, k)``, the value of child ``i``'s entry in the list of
    ``prefs[i, k]`` (-1 at padding). A child who lists a setting but is missing
    from its list is refused.
    """
    n, width = prefs.shape
    owner = np.repeat(np.arange(m, dtype=np.int64), counts)
    key = plist * max(m, 1) + owner
    korder = np.argsort(key, kind="stable")
    skey = key[korder]
    rows, cols = np.nonzero(prefs >= 0)
    want = rows * max(m, 1) + prefs[rows, cols]
    hit = np.searchsorted(skey, want)
    found = hit < skey.shape[0]
    found[found] = skey[hit[found]] == want[found]
    if not found.all():
        t = int(np.flatnonzero(~found)[0])
        i, k = int(rows[t]), int(cols[t])
        s = int(prefs[i, k])
        raise InvalidProblemError(
            f"{names.plist(s)}: child {names.child(i)} lists setting "
            f"{names.setting(s)} ({names.slot(i, k, ragged=True)}) but is missing "
            "from its priority list"
        )
    prio = np.full((n, width), -1, dtype=np.int64)
    prio[rows, cols] = values[korder[hit]]
    return prio


def positions(
    n_entries: int, start: NDArray[np.integer[Any]], end: NDArray[np.integer[Any]]
) -> NDArray[np.int64]:
    """Each priority-list entry's position within the slice of its setting."""
    counts = end - start
    if n_entries == 0 or ((start == 0).all() and (end == n_entries).all()):
        return np.arange(n_entries, dtype=np.int64)
    if start[0] == 0 and (start[1:] == end[:-1]).all() and end[-1] == n_entries:
        return np.arange(n_entries, dtype=np.int64) - np.repeat(start, counts)
    out = np.zeros(n_entries, dtype=np.int64)
    for a, b in {(int(x), int(y)) for x, y in zip(start, end, strict=True)}:
        out[a:b] = np.arange(b - a)
    return out
