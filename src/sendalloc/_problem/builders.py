"""The bodies of :class:`~sendalloc.Problem`'s constructors.

:meth:`~sendalloc.Problem.from_arrays`, :meth:`~sendalloc.Problem.from_lists`
and :meth:`~sendalloc.Problem.from_dicts` check their arguments here and return
the validated, read-only arrays as :class:`ProblemFields`, which the class
turns into a Problem (``Problem(**fields)``). The index-level checks run once,
whatever the constructor: ``from_dicts`` translates labels to indices and
passes :class:`~sendalloc._problem.convert.Names` so that the same checks word
their messages in the caller's labels.

``from_arrays`` with priorities has two paths with identical results: the
compiled one (:mod:`sendalloc._kernels.priority_lists`) for problems of at
least ``MIN_SLOTS`` slots, and the numpy one, which also words every error.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._kernels.priority_lists import MIN_SLOTS, permutation, priority_lists
from sendalloc._problem.convert import (
    BY_INDEX,
    INDEX,
    IntArray,
    Names,
    as_int_array,
    check_capacity,
    check_labels,
    check_permutation,
    check_preferences,
    frozen,
    lookup,
    pad_rows,
)
from sendalloc._problem.plists import (
    align_priorities,
    entry_at,
    flatten_classes,
    label_list,
    positions,
    sort_by_setting_then_value,
)
from sendalloc.errors import InvalidProblemError

__all__ = [
    "MIN_SLOTS",
    "ProblemFields",
    "freeze",
    "from_arrays",
    "from_dicts",
    "from_index_lists",
    "from_lists",
    "permutation",
    "priority_lists",
]


class ProblemFields(TypedDict):
    """The validated, read-only arrays and labels of a Problem (its fields)."""

    capacity: IntArray
    preferences: IntArray
    priority: IntArray
    order: IntArray
    child_ids: tuple[Any, ...]
    setting_ids: tuple[Any, ...]
    plist_children: IntArray
    plist_start: NDArray[np.int64]
    plist_end: NDArray[np.int64]
    plist_class: IntArray


def from_arrays(
    capacity: ArrayLike,
    preferences: ArrayLike,
    *,
    priority: ArrayLike | None,
    order: ArrayLike | None,
    child_ids: Sequence[Hashable] | None,
    setting_ids: Sequence[Hashable] | None,
    ties: bool,
    names: Names,
) -> ProblemFields:
    """Body of :meth:`Problem.from_arrays`; ``names`` words its error messages."""
    cap = check_capacity(capacity, names)
    m = cap.shape[0]
    prefs = as_int_array(preferences, "preferences", 2, want="of shape (N, L)")
    n, width = prefs.shape
    if priority is not None and n * width >= MIN_SLOTS:
        fast = _from_arrays_fast(
            cap, prefs, priority, order, child_ids, setting_ids, ties, names
        )
        if fast is not None:
            return fast
    valid = check_preferences(prefs, m, names)
    if order is None:
        ordr = np.arange(n, dtype=np.int64)
    else:
        ordr = as_int_array(order, "order", 1, want="of shape (N,)")
        check_permutation(ordr, n, "order", names)
    # Work on the flat (row-major) positions of the ranked slots.
    flat = None if valid.all() else np.flatnonzero(valid)
    settings = prefs.ravel() if flat is None else prefs.ravel()[flat]
    if priority is None:
        # Common order: one shared list, every setting ranks children by order.
        rank_of = np.empty(n, dtype=np.int64)
        rank_of[ordr] = np.arange(n)
        prio = np.where(valid, rank_of[:, None], -1)
        plist = ordr
        start = np.zeros(m, dtype=np.int64)
        end = np.full(m, n, dtype=np.int64)
    else:
        score = as_int_array(priority, "priority", 2, want="of shape (N, L)")
        if score.shape != prefs.shape:
            raise InvalidProblemError(
                f"priority: expected shape {prefs.shape} to match preferences, "
                f"got {score.shape}"
            )
        vals = score.ravel() if flat is None else score.ravel()[flat]
        srt, s_sorted, tie = sort_by_setting_then_value(settings, vals)
        any_tie = bool(tie.any())
        if any_tie and not ties:
            t = int(np.flatnonzero(tie)[0])
            a, b = srt[t], srt[t + 1]
            (ib, kb), (ia, ka) = (
                divmod(int(x if flat is None else flat[x]), width) for x in (b, a)
            )
            raise InvalidProblemError(
                f"priority[{ib}, {kb}] = {int(vals[b])}: ties "
                f"with priority[{ia}, {ka}] at setting "
                f"{int(settings[a])}; priorities must be strict within a setting; "
                "pass ties=True for priority classes"
            )
        del vals
        counts = np.bincount(settings, minlength=m)
        del settings
        end = np.cumsum(counts)
        start = end - counts
        # Temporaries are int32 where values allow and freed early: at
        # N L = 1e7 each int64 array is 80 MB.
        slot = srt if flat is None else flat[srt]
        del srt, flat
        plist = (slot // max(width, 1)).astype(INDEX)
        # Store the position within the setting's list (small, dense, lower
        # wins); with ties, the class: the count of distinct better values.
        if any_tie:
            step = np.ones(slot.shape[0], dtype=INDEX)
            step[1:] = ~tie
            rank = np.cumsum(step, dtype=np.int64)
            del step
        else:  # no ties: the class is the position
            rank = np.arange(slot.shape[0], dtype=np.int64)
        del tie
        rank -= rank[start[s_sorted]]
        del s_sorted
        klass = rank.astype(INDEX)
        del rank
        prio = np.full(n * width, -1, dtype=INDEX)
        prio[slot] = klass
        del slot
        prio = prio.reshape(n, width)
        return freeze(
            cap,
            prefs,
            prio,
            ordr,
            plist,
            start,
            end,
            child_ids,
            setting_ids,
            plist_class=klass,
        )
    return freeze(cap, prefs, prio, ordr, plist, start, end, child_ids, setting_ids)


def _from_arrays_fast(
    cap: NDArray[np.int64],
    prefs: NDArray[np.int64],
    priority: ArrayLike,
    order: ArrayLike | None,
    child_ids: Sequence[Hashable] | None,
    setting_ids: Sequence[Hashable] | None,
    ties: bool,
    names: Names,
) -> ProblemFields | None:
    """The compiled path of :func:`from_arrays` for large problems.

    The same result as the numpy path of :func:`from_arrays`; None (so that the numpy
    path runs and words the error) on any input it does not accept.
    """
    n = prefs.shape[0]
    try:
        score = as_int_array(priority, "priority", 2, want="of shape (N, L)")
        if score.shape != prefs.shape:
            return None
        lists = priority_lists(prefs, score, cap.shape[0], ties=ties)
        if lists is None:
            return None
        if order is None:
            ordr: NDArray[Any] | None = np.arange(n, dtype=INDEX)
        else:
            given = as_int_array(order, "order", 1, want="of shape (N,)")
            ordr = permutation(given) if given.shape == (n,) else None
        if ordr is None:
            return None
    except InvalidProblemError:
        return None
    return freeze(
        cap,
        lists.preferences,
        lists.priority,
        ordr,
        lists.children,
        lists.start,
        lists.end,
        child_ids,
        setting_ids,
        plist_class=lists.klass,
        fresh=True,
    )


def from_lists(
    capacity: Sequence[int] | ArrayLike,
    preferences: Sequence[Sequence[int]],
    *,
    priorities: Sequence[Any] | None = None,
    order: Sequence[int] | None = None,
    child_ids: Sequence[Hashable] | None = None,
    setting_ids: Sequence[Hashable] | None = None,
) -> ProblemFields:
    """Body of :meth:`Problem.from_lists`."""
    cap = as_int_array(capacity, "capacity", 1, want="of shape (M,)")
    m = cap.shape[0]
    prefs = pad_rows(preferences, "preferences", m)
    n = prefs.shape[0]
    if priorities is None:
        return from_arrays(
            cap,
            prefs,
            priority=None,
            order=order,
            child_ids=child_ids,
            setting_ids=setting_ids,
            ties=False,
            names=BY_INDEX,
        )
    plist_rows: list[Any] = list(priorities)
    common = len(plist_rows) > 0 and any(
        isinstance(x, numbers.Integral) for x in plist_rows
    )
    if n == 0 and len(plist_rows) == 0 and m != 0:
        common = True
    return from_index_lists(
        cap, prefs, plist_rows, common, order, child_ids, setting_ids, BY_INDEX
    )


def from_index_lists(
    cap: NDArray[np.int64],
    prefs: NDArray[np.int64],
    plist_rows: list[Any],
    common: bool,
    order: Sequence[int] | None,
    child_ids: Sequence[Hashable] | None,
    setting_ids: Sequence[Hashable] | None,
    names: Names,
) -> ProblemFields:
    """Shared body of from_lists/from_dicts, told whether the lists are common.

    ``names`` words the error messages: by index for from_lists, by label for
    from_dicts.
    """
    m = cap.shape[0]
    n = prefs.shape[0]
    if common:
        common_order, common_class = flatten_classes(plist_rows, "priorities")
        check_permutation(
            common_order,
            n,
            "priorities",
            names,
            entry_at("priorities", common_class, names),
        )
        tmp = from_arrays(
            cap,
            prefs,
            priority=None,
            order=common_order,
            child_ids=child_ids,
            setting_ids=setting_ids,
            ties=False,
            names=names,
        )
        ordr: NDArray[Any] = (
            np.arange(n, dtype=np.int64)
            if order is None
            else as_int_array(order, "order", 1, want="of shape (N,)")
        )
        if order is not None:
            check_permutation(ordr, n, "order", names)
        prio: NDArray[Any] = tmp["priority"]
        if common_class is not None:  # tie classes: store the class, not rank
            class_of = np.empty(n, dtype=np.int64)
            class_of[common_order] = common_class
            listed = prefs >= 0
            prio = np.where(listed, class_of[:, None], -1)
        return freeze(
            cap,
            prefs,
            prio,
            ordr,
            tmp["plist_children"],
            tmp["plist_start"],
            tmp["plist_end"],
            child_ids,
            setting_ids,
            plist_class=common_class,
        )
    # Per-setting lists do not pass through from_arrays: check here.
    cap = check_capacity(cap, names)
    check_preferences(prefs, m, names)
    if len(plist_rows) != m:
        raise InvalidProblemError(
            f"priorities: expected one list per setting ({m}) or one list of all "
            f"{n} children, got {len(plist_rows)} lists"
        )
    flat = [flatten_classes(r, f"priorities[{j}]") for j, r in enumerate(plist_rows)]
    lists = [f[0] for f in flat]
    weak = any(f[1] is not None for f in flat)
    for j, lst in enumerate(lists):
        bad = (lst < 0) | (lst >= n)
        if bad.any():
            t = int(np.flatnonzero(bad)[0])
            raise InvalidProblemError(
                f"priorities[{j}][{t}] = {int(lst[t])}: not a child index in [0, {n})"
            )
        uniq, cnt = np.unique(lst, return_counts=True)
        if (cnt > 1).any():
            c = int(uniq[cnt > 1][0])
            ks = np.flatnonzero(lst == c)
            at = entry_at(names.plist(j), flat[j][1], names)
            note = ""
            if weak and not names.labelled:
                note = " (positions count tied children one by one)"
            raise InvalidProblemError(
                f"{at(int(ks[1]))} = {names.child(c)}: child {names.child(c)} "
                f"is ranked twice by setting {names.setting(j)} "
                f"(also at {at(int(ks[0]))}){note}"
            )
    counts = np.array([len(x) for x in lists], dtype=np.int64)
    end = np.cumsum(counts)
    start = end - counts
    plist = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
    pos = np.arange(plist.shape[0], dtype=np.int64) - np.repeat(start, counts)
    klass = pos
    if weak:
        klass = np.concatenate(
            [
                f[1] if f[1] is not None else np.arange(len(f[0]), dtype=np.int64)
                for f in flat
            ]
        )
    prio = align_priorities(plist, start, counts, klass, prefs, m, names)
    if order is None:
        ordr = np.arange(n, dtype=np.int64)
    else:
        ordr = as_int_array(order, "order", 1, want="of shape (N,)")
        check_permutation(ordr, n, "order", names)
    return freeze(
        cap,
        prefs,
        prio,
        ordr,
        plist,
        start,
        end,
        child_ids,
        setting_ids,
        plist_class=klass if weak else None,
    )


def from_dicts(
    capacity: Mapping[Hashable, int],
    preferences: Mapping[Hashable, Sequence[Hashable]],
    *,
    priorities: Mapping[Hashable, Sequence[Any]] | Sequence[Any] | None = None,
    order: Sequence[Hashable] | None = None,
) -> ProblemFields:
    """Body of :meth:`Problem.from_dicts`."""
    if not isinstance(capacity, Mapping):
        raise InvalidProblemError(
            f"capacity: expected a mapping of setting label to places, got "
            f"{type(capacity).__name__}"
        )
    if not isinstance(preferences, Mapping):
        raise InvalidProblemError(
            f"preferences: expected a mapping of child label to a list of "
            f"settings, got {type(preferences).__name__}"
        )
    setting_ids = tuple(capacity)
    child_ids = tuple(preferences)
    names = Names(child_ids, setting_ids)
    s_index = {s: j for j, s in enumerate(setting_ids)}
    c_index = {c: i for i, c in enumerate(child_ids)}
    caps = np.empty(len(setting_ids), dtype=object)  # each value checked as is
    for j, s in enumerate(setting_ids):
        caps[j] = capacity[s]
    cap = check_capacity(caps, names)
    pref_idx: list[list[int]] = []
    for c in child_ids:
        row = preferences[c]
        if isinstance(row, str | bytes) or not isinstance(row, Iterable):
            raise InvalidProblemError(
                f"preferences[{c!r}] = {row!r}: expected a list of setting labels"
            )
        out = []
        for k, s in enumerate(row):
            j = lookup(s_index, s, f"preferences[{c!r}][{k}]", "setting", "capacity")
            out.append(j)
        pref_idx.append(out)
    prefs = pad_rows(pref_idx, "preferences", cap.shape[0])
    ordr = None
    if order is not None:
        if isinstance(order, str | bytes) or not isinstance(order, Iterable):
            raise InvalidProblemError(
                f"order: expected a sequence of child labels, got {order!r}"
            )
        ordr = [
            lookup(c_index, c, f"order[{t}]", "child", "preferences")
            for t, c in enumerate(order)
        ]
    plists: list[Any] | None = None
    common_given = False
    if priorities is not None:
        if isinstance(priorities, Mapping):
            for s in priorities:
                lookup(s_index, s, f"priorities key {s!r}", "setting", "capacity")
            plists = [
                label_list(c_index, priorities.get(s, ()), f"priorities[{s!r}]")
                for s in setting_ids
            ]
        elif isinstance(priorities, str | bytes):
            raise InvalidProblemError(
                "priorities: expected a mapping of setting to child labels or one "
                "list of child labels, got a string"
            )
        else:
            # One common order: expand only by reference, from_lists keeps it O(N).
            plists = label_list(c_index, priorities, "priorities")
            common_given = True
    # The index-level builders check the rest once, wording errors by label.
    if plists is None:
        return from_arrays(
            cap,
            prefs,
            priority=None,
            order=ordr,
            child_ids=child_ids,
            setting_ids=setting_ids,
            ties=False,
            names=names,
        )
    common_flag = common_given or (not plists and not child_ids and bool(setting_ids))
    return from_index_lists(
        cap, prefs, plists, common_flag, ordr, child_ids, setting_ids, names
    )


def freeze(
    cap: NDArray[np.integer[Any]],
    prefs: NDArray[np.integer[Any]],
    prio: NDArray[np.integer[Any]],
    order: NDArray[np.integer[Any]],
    plist: NDArray[np.integer[Any]],
    start: NDArray[np.integer[Any]],
    end: NDArray[np.integer[Any]],
    child_ids: Sequence[Hashable] | None,
    setting_ids: Sequence[Hashable] | None,
    *,
    plist_class: NDArray[np.integer[Any]] | None = None,
    fresh: bool = False,
) -> ProblemFields:
    """Freeze the arrays into the fields of a Problem: ``Problem(**fields)``.

    ``cap`` may be the caller's array and is always copied; the others are
    copied too unless ``fresh``: the builder made them, as int32 (int64 for
    ``start`` and ``end``), for this problem alone.
    """
    n, m = prefs.shape[0], cap.shape[0]
    if max(n, m, prefs.shape[1]) > np.iinfo(INDEX).max:
        raise InvalidProblemError("problem too large for int32 indices")
    if plist_class is None:
        plist_class = positions(plist.shape[0], start, end)

    def own(a: NDArray[Any], dtype: type[np.integer[Any]]) -> NDArray[Any]:
        return frozen(a.astype(dtype, copy=not fresh))

    return ProblemFields(
        capacity=frozen(cap.astype(INDEX)),
        preferences=own(prefs, INDEX),
        priority=own(prio, INDEX),
        order=own(order, INDEX),
        child_ids=check_labels(child_ids, n, "child_ids"),
        setting_ids=check_labels(setting_ids, m, "setting_ids"),
        plist_children=own(plist, INDEX),
        plist_start=own(start, np.int64),
        plist_end=own(end, np.int64),
        plist_class=own(plist_class, INDEX),
    )
