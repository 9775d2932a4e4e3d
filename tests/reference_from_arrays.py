"""A frozen copy of ``Problem.from_arrays`` as it was before it was made fast.

Snapshot of ``src/sendalloc/problem.py`` at commit 07787a5 (the validation
helpers, the body of ``_from_arrays`` and ``_build``), returning the fields of
the Problem as a dict. tests/test_from_arrays.py checks the fast builder
against it on many random inputs: the same arrays, the same labels, the same
error messages. Do not edit it to make a test pass.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc.errors import InvalidProblemError

IntArray = NDArray[np.int32]
INDEX = np.int32


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _as_int_array(
    value: ArrayLike,
    name: str,
    ndim: int,
    *,
    want: str,
    at: Callable[[tuple[int, ...]], str] | None = None,
) -> NDArray[np.int64]:
    """Convert to an integer array of ``ndim`` dimensions, refusing non-integers.

    int32 and int64 input is returned as it is (not copied: callers copy before
    freezing); anything else integral becomes int64.

    Integer-valued floats are accepted (``2.0`` is the integer 2), also inside an
    object array; NaN, infinities, fractions, booleans, strings and other objects
    are refused with their position. ``want`` describes the expected array in
    the message for a wrong number of dimensions (``"of shape (N,)"``); ``at``
    names an entry's position (default ``name[i, j]``).
    """
    where = at or (lambda pos: f"{name}[{_pos(pos)}]")
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise InvalidProblemError(
            f"{name}: expected a {ndim}-D array of integers, got "
            f"{type(value).__name__} that numpy cannot read as one ({exc})"
        ) from None
    if a.ndim != ndim:
        raise InvalidProblemError(
            f"{name}: expected a {ndim}-D array {want}, got shape {a.shape}"
        )
    if a.dtype == np.bool_ or a.dtype.kind not in "iuf":
        if a.size and a.dtype.kind == "O":
            for pos, v in np.ndenumerate(a):
                if not (_is_int(v) or _is_integral_float(v)):
                    raise InvalidProblemError(
                        f"{where(pos)} = {v!r}: expected an integer"
                    )
            try:
                return a.astype(np.int64)
            except OverflowError:
                raise InvalidProblemError(
                    f"{name}: values exceed the int64 range"
                ) from None
        if a.size == 0 and a.dtype.kind in "O":
            return a.astype(np.int64)
        raise InvalidProblemError(
            f"{name}: expected integers, got an array of dtype {a.dtype}"
        )
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidProblemError(
                f"{where(pos)} = {a[pos].item()!r}: expected an integer"
            )
    if a.dtype.kind == "u" and a.size and int(a.max()) > np.iinfo(np.int64).max:
        raise InvalidProblemError(f"{name}: values exceed the int64 range")
    if a.dtype in (np.int32, np.int64):
        return a  # int32 stays int32: half the memory
    return a.astype(np.int64)


def _is_int(v: object) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_integral_float(v: object) -> bool:
    return isinstance(v, float | np.floating) and bool(np.isfinite(v)) and v == int(v)


def _pos(pos: tuple[int, ...]) -> str:
    return ", ".join(str(int(p)) for p in pos)


@dataclass(frozen=True, slots=True)
class _Names:
    """How validation messages name positions and values.

    The index-level checks run once, whatever the builder; :meth:`Problem.from_dicts`
    passes its labels so that the same checks speak in the caller's terms
    (``preferences['amy'][1] = 'Oak'``) where :meth:`Problem.from_arrays` says
    ``preferences[0, 1] = 3``. Without labels every message is index-based.
    """

    child_ids: tuple[Any, ...] | None = None
    setting_ids: tuple[Any, ...] | None = None

    @property
    def labelled(self) -> bool:
        return self.child_ids is not None

    def child(self, i: int) -> str:
        return str(i) if self.child_ids is None else repr(self.child_ids[i])

    def setting(self, j: int) -> str:
        return str(j) if self.setting_ids is None else repr(self.setting_ids[j])

    def capacity(self, pos: tuple[int, ...]) -> str:
        if self.setting_ids is None:
            return f"capacity[{_pos(pos)}]"
        return f"capacity[{self.setting(pos[0])}]"

    def slot(self, i: int, k: int, *, ragged: bool = False) -> str:
        """Position of child ``i``'s ``k``-th ranked setting."""
        if self.child_ids is not None:
            return f"preferences[{self.child(i)}][{k}]"
        return f"preferences[{i}][{k}]" if ragged else f"preferences[{i}, {k}]"

    def plist(self, j: int) -> str:
        """Setting ``j``'s priority list."""
        return f"priorities[{self.setting(j)}]"


_BY_INDEX = _Names()


def _check_capacity(capacity: ArrayLike, names: _Names) -> NDArray[np.int64]:
    """Convert and check capacities: integers, each >= 0, within int32."""
    cap = _as_int_array(
        capacity, "capacity", 1, want="of shape (M,)", at=names.capacity
    )
    neg = cap < 0
    if neg.any():
        j = int(np.flatnonzero(neg)[0])
        raise InvalidProblemError(
            f"{names.capacity((j,))} = {int(cap[j])}: capacities must be >= 0"
        )
    if cap.size and int(cap.max()) > np.iinfo(INDEX).max:
        raise InvalidProblemError("capacity: values exceed the int32 range")
    return cap


def _check_permutation(
    order: NDArray[np.int64],
    n: int,
    name: str,
    names: _Names = _BY_INDEX,
    at: Callable[[int], str] | None = None,
) -> None:
    """Check that ``order`` holds each of the ``n`` children exactly once.

    With labels (from :meth:`Problem.from_dicts`, whose lookups already refused
    unknown children) a wrong length is reported as the duplicated or missing
    child rather than as a shape; ``at(t)`` names entry ``t`` (default
    ``name[t]``).
    """
    where = at or (lambda t: f"{name}[{t}]")
    if not names.labelled and order.shape != (n,):
        raise InvalidProblemError(
            f"{name}: expected shape ({n},), a permutation of the {n} children, "
            f"got shape {order.shape}"
        )
    if order.shape == (n,) and n == 0:
        return
    bad = (order < 0) | (order >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidProblemError(
            f"{where(i)} = {int(order[i])}: not a child index in [0, {n})"
        )
    seen = np.bincount(order, minlength=n)
    if (seen > 1).any():
        c = int(np.flatnonzero(seen > 1)[0])
        first = np.flatnonzero(order == c)
        expect = "each child once" if names.labelled else "a permutation"
        raise InvalidProblemError(
            f"{where(int(first[1]))} = {names.child(c)}: child {names.child(c)} "
            f"appears twice (first at {where(int(first[0]))}); expected {expect}"
        )
    if (seen == 0).any():  # only reachable with labels: else the shape differs
        c = int(np.flatnonzero(seen == 0)[0])
        raise InvalidProblemError(
            f"{name}: child {names.child(c)} is missing; expected each of the "
            f"{n} children once"
        )


def _check_labels(ids: Sequence[Hashable] | None, n: int, name: str) -> tuple[Any, ...]:
    if ids is None:
        return tuple(range(n))
    if isinstance(ids, str | bytes):
        raise InvalidProblemError(
            f"{name}: expected a sequence of labels, got a string"
        )
    labels = tuple(ids)
    if len(labels) != n:
        raise InvalidProblemError(f"{name}: expected {n} labels, got {len(labels)}")
    seen: dict[Any, int] = {}
    for i, lab in enumerate(labels):
        try:
            j = seen.setdefault(lab, i)
        except TypeError:
            raise InvalidProblemError(
                f"{name}[{i}] = {lab!r}: labels must be hashable"
            ) from None
        if j != i:
            raise InvalidProblemError(
                f"{name}[{i}] = {lab!r}: duplicate label (also at {name}[{j}])"
            )
    return labels


def _check_preferences(
    prefs: NDArray[np.int64], m: int, names: _Names = _BY_INDEX
) -> NDArray[np.bool_]:
    """Validate a -1 padded preference array; return the mask of real entries."""
    valid = prefs >= 0
    bad = (prefs < -1) | (prefs >= m)
    if bad.any():
        i, k = (int(x) for x in np.argwhere(bad)[0])
        raise InvalidProblemError(
            f"preferences[{i}, {k}] = {int(prefs[i, k])}: not a setting index in "
            f"[0, {m}) or -1 for padding"
        )
    if prefs.shape[1] > 1:
        gap = ~valid[:, :-1] & valid[:, 1:]
        if gap.any():
            i, k = (int(x) for x in np.argwhere(gap)[0])
            raise InvalidProblemError(
                f"preferences[{i}, {k + 1}] = {int(prefs[i, k + 1])}: follows padding "
                f"(-1 at preferences[{i}, {k}]); padding must come at the end of a row"
            )
        srt = np.sort(prefs, axis=1)
        dup = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0)
        if dup.any():
            i = int(np.argwhere(dup)[0][0])
            s = int(srt[i, 1:][dup[i]][0])
            ks = np.flatnonzero(prefs[i] == s)
            raise InvalidProblemError(
                f"{names.slot(i, int(ks[1]))} = {names.setting(s)}: setting "
                f"{names.setting(s)} is ranked twice by child {names.child(i)} "
                f"(also at {names.slot(i, int(ks[0]))})"
            )
    return valid


def _sort_by_setting_then_value(
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


def _positions(
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


def reference_from_arrays(
    capacity: ArrayLike,
    preferences: ArrayLike,
    *,
    priority: ArrayLike | None = None,
    order: ArrayLike | None = None,
    child_ids: Sequence[Hashable] | None = None,
    setting_ids: Sequence[Hashable] | None = None,
    ties: bool = False,
    names: _Names = _BY_INDEX,
) -> dict[str, Any]:
    cap = _check_capacity(capacity, names)
    m = cap.shape[0]
    prefs = _as_int_array(preferences, "preferences", 2, want="of shape (N, L)")
    n, width = prefs.shape
    valid = _check_preferences(prefs, m, names)
    if order is None:
        ordr = np.arange(n, dtype=np.int64)
    else:
        ordr = _as_int_array(order, "order", 1, want="of shape (N,)")
        _check_permutation(ordr, n, "order", names)
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
        score = _as_int_array(priority, "priority", 2, want="of shape (N, L)")
        if score.shape != prefs.shape:
            raise InvalidProblemError(
                f"priority: expected shape {prefs.shape} to match preferences, "
                f"got {score.shape}"
            )
        vals = score.ravel() if flat is None else score.ravel()[flat]
        srt, s_sorted, tie = _sort_by_setting_then_value(settings, vals)
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
        return _build(
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
    return _build(cap, prefs, prio, ordr, plist, start, end, child_ids, setting_ids)


def _build(
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
) -> dict[str, Any]:
    n, m = prefs.shape[0], cap.shape[0]
    if max(n, m, prefs.shape[1]) > np.iinfo(INDEX).max:
        raise InvalidProblemError("problem too large for int32 indices")
    if plist_class is None:
        plist_class = _positions(plist.shape[0], start, end)
    return dict(
        capacity=_frozen(cap.astype(INDEX)),
        preferences=_frozen(prefs.astype(INDEX)),
        priority=_frozen(prio.astype(INDEX)),
        order=_frozen(order.astype(INDEX)),
        child_ids=_check_labels(child_ids, n, "child_ids"),
        setting_ids=_check_labels(setting_ids, m, "setting_ids"),
        plist_children=_frozen(plist.astype(INDEX)),
        plist_start=_frozen(start.astype(np.int64)),
        plist_end=_frozen(end.astype(np.int64)),
        plist_class=_frozen(plist_class.astype(INDEX)),
    )
