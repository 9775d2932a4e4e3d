"""The allocation problem and its solution, as validated, read-only arrays.

A :class:`Problem` holds everything a mechanism may look at: the free places per
setting, each parent's ranking, each setting's priority over children and the
local authority's processing order. It is validated once, at construction, and
frozen; mechanisms are pure functions of it. An :class:`Allocation` is a
mechanism's answer: the setting each child is placed at (or none), with the rank
the parent gave it and, for unplaced children, the reason.
"""

from __future__ import annotations

import enum
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._kernels.priority_lists import MIN_SLOTS, priority_lists
from sendalloc._kernels.ranks import ranks_kernel
from sendalloc.errors import InvalidProblemError

__all__ = ["Allocation", "Problem", "TieBreak", "Unplaced"]

IntArray = NDArray[np.int32]
INDEX = np.int32  # dtype of every index array a Problem holds
_TWO63 = 2.0**63  # exact in every float dtype: the first float past int64


# --------------------------------------------------------------------------- helpers
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
        # Casting 2**63 or more (or below -2**63) to int64 wraps to INT64_MIN:
        # a huge priority would silently become the best one.
        big = (a >= _TWO63) | (a < -_TWO63)
        if big.any():
            pos = tuple(int(i) for i in np.argwhere(big)[0])
            raise InvalidProblemError(
                f"{where(pos)} = {a[pos].item()!r}: outside the int64 range "
                "[-2**63, 2**63)"
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


class Unplaced(enum.IntEnum):
    """Why a child has no place in an :class:`Allocation` (``PLACED`` if they have).

    ``EMPTY_LIST``: the parent ranked no setting. ``ALL_FULL``: every setting the
    parent ranked is full. ``NOT_OFFERED``: a setting the parent ranked still has a
    free place, but the mechanism did not use it (a wasteful rule).
    """

    PLACED = 0
    EMPTY_LIST = 1
    ALL_FULL = 2
    NOT_OFFERED = 3


# --------------------------------------------------------------------------- TieBreak
@dataclass(frozen=True, slots=True, eq=False)
class TieBreak:
    """The lottery that broke a problem's ties (see :func:`~sendalloc.break_ties`).

    A problem returned by ``break_ties`` is strict; its ``lottery`` attribute holds
    one of these so that tie-breaking mechanisms can reuse the same lottery and
    so that the weak priorities it was derived from stay available (for stable
    improvement cycles and weak-stability checks).

    Attributes
    ----------
    rule : {"single", "multiple"}
        One lottery shared by every setting, or one per setting.
    ranks : ndarray of int32, shape (N,) or (M, N)
        Lottery rank of each child, lower is better: ``ranks[i]`` for the single
        rule, ``ranks[s, i]`` at setting ``s`` for the multiple rule.
    priority_class : ndarray of int32, shape (N, L)
        The weak priorities before tie-breaking, aligned with ``preferences``:
        child ``i``'s priority class at ``preferences[i, k]`` (0 is the best
        class; -1 at padded slots).
    """

    rule: str
    ranks: IntArray
    priority_class: IntArray


# --------------------------------------------------------------------------- Problem
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Problem:
    """An allocation problem: places, rankings, priorities and processing order.

    Build one with :meth:`from_arrays`, :meth:`from_lists` or :meth:`from_dicts`;
    the constructor itself does no validation. All arrays are read-only.

    Attributes
    ----------
    capacity : ndarray of int32, shape (M,)
        Free places at each setting.
    preferences : ndarray of int32, shape (N, L)
        Row ``i`` lists the settings child ``i``'s parent ranked, best first,
        padded with -1 at the end.
    priority : ndarray of int32, shape (N, L)
        ``priority[i, k]`` is child ``i``'s priority at setting
        ``preferences[i, k]``: lower wins. In a strict problem it is the child's
        position in the setting's priority list (no ties); in a weak problem
        (:attr:`is_weak`) it is the child's priority *class* there, 0 the best
        class, and children in one class tie. Padded slots hold -1.
    order : ndarray of int32, shape (N,)
        The local authority's processing order: ``order[0]`` is processed first.
    child_ids, setting_ids : tuple
        Labels of children and settings, used by :meth:`Allocation.to_dict`.
    priority_lists : tuple of ndarray
        For each setting, the children it ranks, highest priority first. With
        :meth:`from_arrays` these are exactly the children who list the setting;
        :meth:`from_lists` and :meth:`from_dicts` may also rank children who do not.
        Within a tie class the list holds children in index order.
    plist_class : ndarray of int32
        Aligned with ``plist_children``: each entry's priority class within its
        setting's list (equal to its position there when the problem is strict).
    lottery : TieBreak or None
        Set by :func:`~sendalloc.break_ties` on the strict problem it returns:
        the lottery used and the weak priorities it broke. None otherwise.
    """

    capacity: IntArray
    preferences: IntArray
    priority: IntArray
    order: IntArray
    child_ids: tuple[Any, ...]
    setting_ids: tuple[Any, ...]
    # Setting priority lists, in a form kernels can walk: setting s ranks
    # plist_children[plist_start[s]:plist_end[s]], best first. A common order is
    # one shared slice, so it costs O(N) not O(N * M).
    plist_children: IntArray
    plist_start: NDArray[np.int64]
    plist_end: NDArray[np.int64]
    # Priority class of each plist entry (ties share a class; strict: position).
    plist_class: IntArray
    lottery: TieBreak | None = None

    # ------------------------------------------------------------------ views
    @property
    def n_children(self) -> int:
        """Number of children, N."""
        return int(self.preferences.shape[0])

    @property
    def n_settings(self) -> int:
        """Number of settings, M."""
        return int(self.capacity.shape[0])

    @property
    def list_length(self) -> NDArray[np.intp]:
        """Number of settings each parent ranked, shape (N,)."""
        return np.asarray((self.preferences >= 0).sum(axis=1))

    @property
    def priority_lists(self) -> tuple[IntArray, ...]:
        """Each setting's priority list of children, best first (read-only views)."""
        return tuple(
            self.plist_children[a:b]
            for a, b in zip(
                self.plist_start.tolist(), self.plist_end.tolist(), strict=True
            )
        )

    @property
    def has_common_priority(self) -> bool:
        """Whether every setting ranks all children in one common order."""
        n = self.n_children
        return bool(
            self.plist_children.shape[0] == n
            and (self.plist_start == 0).all()
            and (self.plist_end == n).all()
        )

    @property
    def is_weak(self) -> bool:
        """Whether some setting ranks two children in the same priority class.

        Examples
        --------
        >>> import sendalloc as sa
        >>> caps, prefs = {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]}
        >>> sa.Problem.from_dicts(caps, prefs, priorities=[["amy", "ben"]]).is_weak
        True
        >>> sa.Problem.from_dicts(caps, prefs).is_weak
        False
        """
        cls_ = self.plist_class
        if cls_.shape[0] < 2:
            return False
        same = cls_[1:] == cls_[:-1]
        starts = np.zeros(cls_.shape[0] + 1, dtype=np.bool_)
        starts[self.plist_start] = True
        return bool((same & ~starts[1:-1]).any())

    def _require_strict(self, mechanism: str) -> None:
        """Refuse a weak problem in a mechanism that needs strict priorities.

        Every rule that reads ``priority`` or the priority lists as a strict
        order calls this first, so the message is the same everywhere.

        Raises
        ------
        InvalidProblemError
            If :attr:`is_weak`.
        """
        if self.is_weak:
            raise InvalidProblemError(
                f"{mechanism}: the problem has weak priorities (children tied "
                "within a setting's priority class) and this rule needs strict "
                "ones; break the ties first with sa.break_ties(problem, 'single') "
                "or 'multiple', or use 'deferred_acceptance_stb', "
                "'deferred_acceptance_mtb' or 'stable_improvement_cycles'"
            )

    def __repr__(self) -> str:
        return (
            f"Problem(n_children={self.n_children}, n_settings={self.n_settings}, "
            f"places={int(self.capacity.sum())}, "
            f"max_list={self.preferences.shape[1]})"
        )

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_arrays(
        cls,
        capacity: ArrayLike,
        preferences: ArrayLike,
        *,
        priority: ArrayLike | None = None,
        order: ArrayLike | None = None,
        child_ids: Sequence[Hashable] | None = None,
        setting_ids: Sequence[Hashable] | None = None,
        ties: bool = False,
    ) -> Problem:
        """Build a problem from dense arrays (the fast path).

        Parameters
        ----------
        capacity : array_like of int, shape (M,)
            Free places per setting, each >= 0.
        preferences : array_like of int, shape (N, L)
            Each row the settings in the parent's order, best first, padded with -1
            at the end. No setting twice in a row.
        priority : array_like of int, shape (N, L), optional
            ``priority[i, k]``: child ``i``'s priority at ``preferences[i, k]``,
            lower wins. Values at padded slots are ignored. Two children who list
            the same setting may not share a value there unless ``ties`` is true.
            If omitted, every setting ranks children by ``order``.
        order : array_like of int, shape (N,), optional
            A permutation of ``range(N)``: the LA's processing order, first
            processed first. Defaults to ``0, 1, ..., N - 1``.
        child_ids, setting_ids : sequence of hashable, optional
            Unique labels; default ``range(N)`` and ``range(M)``.
        ties : bool, default False
            Allow equal ``priority`` values within a setting: children with the
            same value form one priority class (a weak problem, see
            :attr:`is_weak`); the stored ``priority`` becomes the class index
            at that setting, 0 the best.

        Returns
        -------
        Problem

        Raises
        ------
        InvalidProblemError
            If any argument is malformed; the message names the argument, the
            position and the value. The caller's arrays are never modified.

        Notes
        -----
        Each setting's priority list holds only the children who list it. The
        canonical top trading cycles rule, in which a setting may point at a child
        who did not list it, therefore sees only those children; pass full
        per-setting lists to :meth:`from_lists` to let settings rank others.
        Validation is vectorised: O(N L log(N L)).

        Examples
        --------
        >>> import sendalloc as sa
        >>> prio = [[5, 1], [2, -1]]
        >>> p = sa.Problem.from_arrays([1, 1], [[0, 1], [0, -1]], priority=prio)
        >>> p.priority_lists
        (array([1, 0], dtype=int32), array([0], dtype=int32))
        >>> sa.allocate(p, "deferred_acceptance").assignment
        array([1, 0], dtype=int32)

        With ``ties=True`` equal values share a priority class:

        >>> w = sa.Problem.from_arrays([1], [[0], [0], [0]], priority=[[7], [7], [2]],
        ...                            ties=True)
        >>> w.is_weak, w.priority.ravel().tolist()
        (True, [1, 1, 0])
        """
        return cls._from_arrays(
            capacity,
            preferences,
            priority=priority,
            order=order,
            child_ids=child_ids,
            setting_ids=setting_ids,
            ties=ties,
            names=_BY_INDEX,
        )

    @classmethod
    def _from_arrays(
        cls,
        capacity: ArrayLike,
        preferences: ArrayLike,
        *,
        priority: ArrayLike | None,
        order: ArrayLike | None,
        child_ids: Sequence[Hashable] | None,
        setting_ids: Sequence[Hashable] | None,
        ties: bool,
        names: _Names,
    ) -> Problem:
        """Body of :meth:`from_arrays`; ``names`` words its error messages."""
        cap = _check_capacity(capacity, names)
        m = cap.shape[0]
        prefs = _as_int_array(preferences, "preferences", 2, want="of shape (N, L)")
        n, width = prefs.shape
        if priority is not None and n * width >= MIN_SLOTS:
            fast = cls._from_arrays_fast(
                cap, prefs, priority, order, child_ids, setting_ids, ties, names
            )
            if fast is not None:
                return fast
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
            return cls._build(
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
        return cls._build(
            cap, prefs, prio, ordr, plist, start, end, child_ids, setting_ids
        )

    @classmethod
    def _from_arrays_fast(
        cls,
        cap: NDArray[np.int64],
        prefs: NDArray[np.int64],
        priority: ArrayLike,
        order: ArrayLike | None,
        child_ids: Sequence[Hashable] | None,
        setting_ids: Sequence[Hashable] | None,
        ties: bool,
        names: _Names,
    ) -> Problem | None:
        """The compiled path of :meth:`_from_arrays` for large problems.

        The same result as the numpy path below it; None (so that the numpy
        path runs and words the error) on any input it does not accept.
        """
        n = prefs.shape[0]
        try:
            score = _as_int_array(priority, "priority", 2, want="of shape (N, L)")
            if score.shape != prefs.shape:
                return None
            lists = priority_lists(prefs, score, cap.shape[0], ties=ties)
            if lists is None:
                return None
            if order is None:
                ordr = np.arange(n, dtype=np.int64)
            else:
                ordr = _as_int_array(order, "order", 1, want="of shape (N,)")
                _check_permutation(ordr, n, "order", names)
        except InvalidProblemError:
            return None
        return cls._build(
            cap,
            prefs,
            lists.priority,
            ordr,
            lists.children,
            lists.start,
            lists.end,
            child_ids,
            setting_ids,
            plist_class=lists.klass,
            derived_copy=False,
        )

    @classmethod
    def from_lists(
        cls,
        capacity: Sequence[int] | ArrayLike,
        preferences: Sequence[Sequence[int]],
        *,
        priorities: Sequence[Any] | None = None,
        order: Sequence[int] | None = None,
        child_ids: Sequence[Hashable] | None = None,
        setting_ids: Sequence[Hashable] | None = None,
    ) -> Problem:
        """Build a problem from ragged lists of indices.

        Parameters
        ----------
        capacity : sequence of int, length M
            Free places per setting.
        preferences : sequence of sequence of int, length N
            ``preferences[i]``: the settings child ``i``'s parent ranked, best
            first (may be empty).
        priorities : sequence of sequence of int, or sequence of int, optional
            Either one list per setting of the children it ranks, highest priority
            first (it may include children who did not list the setting, and must
            include every child who did), or a single list of all children: a
            common priority order for every setting. Defaults to ``order``.
            An entry may be a tie class instead of one child: a nested list (or
            tuple, set, array) of children who tie, best class first. The input is
            read as one common order when any of its top-level entries is a
            single child index; so a common order made only of classes must be
            given per setting (or through :meth:`from_dicts`).
        order : sequence of int, optional
            The LA's processing order, a permutation of ``range(N)``.
        child_ids, setting_ids : sequence of hashable, optional
            Labels; default ``range(N)`` and ``range(M)``.

        Returns
        -------
        Problem

        Examples
        --------
        >>> import sendalloc as sa
        >>> plists = [[1, 0], [0, 1]]
        >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0]], priorities=plists)
        >>> sa.allocate(p, "deferred_acceptance").assignment
        array([1, 0], dtype=int32)

        A common order in which children 0 and 2 tie, both above child 1:

        >>> w = sa.Problem.from_lists([1], [[0], [0], [0]], priorities=[[0, 2], 1])
        >>> w.is_weak, w.priority.ravel().tolist()
        (True, [0, 1, 0])
        """
        cap = _as_int_array(capacity, "capacity", 1, want="of shape (M,)")
        m = cap.shape[0]
        prefs = _pad_rows(preferences, "preferences", m)
        n = prefs.shape[0]
        if priorities is None:
            return cls.from_arrays(
                cap, prefs, order=order, child_ids=child_ids, setting_ids=setting_ids
            )
        plist_rows: list[Any] = list(priorities)
        common = len(plist_rows) > 0 and any(
            isinstance(x, numbers.Integral) for x in plist_rows
        )
        if n == 0 and len(plist_rows) == 0 and m != 0:
            common = True
        return cls._from_index_lists(
            cap, prefs, plist_rows, common, order, child_ids, setting_ids, _BY_INDEX
        )

    @classmethod
    def _from_index_lists(
        cls,
        cap: NDArray[np.int64],
        prefs: NDArray[np.int64],
        plist_rows: list[Any],
        common: bool,
        order: Sequence[int] | None,
        child_ids: Sequence[Hashable] | None,
        setting_ids: Sequence[Hashable] | None,
        names: _Names,
    ) -> Problem:
        """Shared body of from_lists/from_dicts, told whether the lists are common.

        ``names`` words the error messages: by index for from_lists, by label for
        from_dicts.
        """
        m = cap.shape[0]
        n = prefs.shape[0]
        if common:
            common_order, common_class = _flatten_classes(plist_rows, "priorities")
            _check_permutation(
                common_order,
                n,
                "priorities",
                names,
                _entry_at("priorities", common_class, names),
            )
            tmp = cls._from_arrays(
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
                else _as_int_array(order, "order", 1, want="of shape (N,)")
            )
            if order is not None:
                _check_permutation(ordr, n, "order", names)
            prio: NDArray[Any] = tmp.priority
            if common_class is not None:  # tie classes: store the class, not rank
                class_of = np.empty(n, dtype=np.int64)
                class_of[common_order] = common_class
                listed = prefs >= 0
                prio = np.where(listed, class_of[:, None], -1)
            return cls._build(
                cap,
                prefs,
                prio,
                ordr,
                tmp.plist_children,
                tmp.plist_start,
                tmp.plist_end,
                child_ids,
                setting_ids,
                plist_class=common_class,
            )
        # Per-setting lists do not pass through _from_arrays: check here.
        cap = _check_capacity(cap, names)
        _check_preferences(prefs, m, names)
        if len(plist_rows) != m:
            raise InvalidProblemError(
                f"priorities: expected one list per setting ({m}) or one list of all "
                f"{n} children, got {len(plist_rows)} lists"
            )
        flat = [
            _flatten_classes(r, f"priorities[{j}]") for j, r in enumerate(plist_rows)
        ]
        lists = [f[0] for f in flat]
        weak = any(f[1] is not None for f in flat)
        for j, lst in enumerate(lists):
            bad = (lst < 0) | (lst >= n)
            if bad.any():
                t = int(np.flatnonzero(bad)[0])
                raise InvalidProblemError(
                    f"priorities[{j}][{t}] = {int(lst[t])}: "
                    f"not a child index in [0, {n})"
                )
            uniq, cnt = np.unique(lst, return_counts=True)
            if (cnt > 1).any():
                c = int(uniq[cnt > 1][0])
                ks = np.flatnonzero(lst == c)
                at = _entry_at(names.plist(j), flat[j][1], names)
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
        prio = _align(plist, start, counts, klass, prefs, m, names)
        if order is None:
            ordr = np.arange(n, dtype=np.int64)
        else:
            ordr = _as_int_array(order, "order", 1, want="of shape (N,)")
            _check_permutation(ordr, n, "order", names)
        return cls._build(
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

    @classmethod
    def from_dicts(
        cls,
        capacity: Mapping[Hashable, int],
        preferences: Mapping[Hashable, Sequence[Hashable]],
        *,
        priorities: Mapping[Hashable, Sequence[Any]] | Sequence[Any] | None = None,
        order: Sequence[Hashable] | None = None,
    ) -> Problem:
        """Build a problem from labelled dictionaries.

        Parameters
        ----------
        capacity : mapping of setting label to int
            Free places per setting; its key order fixes the setting indices.
        preferences : mapping of child label to sequence of setting labels
            Each parent's ranking, best first; its key order fixes child indices.
        priorities : mapping or sequence of child labels, optional
            Per-setting priority lists (highest first; a setting absent from the
            mapping ranks nobody, so no child may list it), or one common order
            for every setting. Defaults to ``order``. An entry that is a list (or
            set) of child labels is a tie class: its children share one priority
            class, below the entries before it and above those after it.
        order : sequence of child labels, optional
            The LA's processing order; defaults to the order of ``preferences``.

        Returns
        -------
        Problem

        Raises
        ------
        InvalidProblemError
            If any argument is malformed. The message names the argument, the
            position and the value in the caller's labels: the same checks as
            :meth:`from_lists`, worded ``preferences['amy'][1] = 'Oak'`` rather
            than by index.

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_dicts(
        ...     capacity={"Oak": 1, "Elm": 2},
        ...     preferences={
        ...         "amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm", "Oak"]
        ...     },
        ...     priorities={"Oak": ["ben", "amy", "cat"], "Elm": ["amy", "cat", "ben"]},
        ...     order=["cat", "amy", "ben"],
        ... )
        >>> sa.allocate(p, "first_available").to_dict()
        {'amy': 'Oak', 'ben': None, 'cat': 'Elm'}

        Amy and Ben tie at Oak, both above Cat; strict rules then refuse the
        problem until the tie is broken:

        >>> w = sa.Problem.from_dicts(
        ...     {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"], "cat": ["Oak"]},
        ...     priorities={"Oak": [["amy", "ben"], "cat"]},
        ... )
        >>> w.is_weak, w.priority.ravel().tolist()
        (True, [0, 0, 1])
        >>> strict = sa.break_ties(w, "single", lottery=["ben", "cat", "amy"])
        >>> sa.allocate(strict, "deferred_acceptance").to_dict()
        {'amy': None, 'ben': 'Oak', 'cat': None}

        Errors name labels, not indices:

        >>> sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak", "Oak"]})
        Traceback (most recent call last):
        ...
        sendalloc.errors.InvalidProblemError: preferences['ben'][1] = 'Oak': ...
        """
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
        names = _Names(child_ids, setting_ids)
        s_index = {s: j for j, s in enumerate(setting_ids)}
        c_index = {c: i for i, c in enumerate(child_ids)}
        caps = np.empty(len(setting_ids), dtype=object)  # each value checked as is
        for j, s in enumerate(setting_ids):
            caps[j] = capacity[s]
        cap = _check_capacity(caps, names)
        pref_idx: list[list[int]] = []
        for c in child_ids:
            row = preferences[c]
            if isinstance(row, str | bytes) or not isinstance(row, Iterable):
                raise InvalidProblemError(
                    f"preferences[{c!r}] = {row!r}: expected a list of setting labels"
                )
            out = []
            for k, s in enumerate(row):
                j = _lookup(
                    s_index, s, f"preferences[{c!r}][{k}]", "setting", "capacity"
                )
                out.append(j)
            pref_idx.append(out)
        prefs = _pad_rows(pref_idx, "preferences", cap.shape[0])
        ordr = None
        if order is not None:
            if isinstance(order, str | bytes) or not isinstance(order, Iterable):
                raise InvalidProblemError(
                    f"order: expected a sequence of child labels, got {order!r}"
                )
            ordr = [
                _lookup(c_index, c, f"order[{t}]", "child", "preferences")
                for t, c in enumerate(order)
            ]
        plists: list[Any] | None = None
        common_given = False
        if priorities is not None:
            if isinstance(priorities, Mapping):
                for s in priorities:
                    _lookup(s_index, s, f"priorities key {s!r}", "setting", "capacity")
                plists = [
                    _label_list(c_index, priorities.get(s, ()), f"priorities[{s!r}]")
                    for s in setting_ids
                ]
            elif isinstance(priorities, str | bytes):
                raise InvalidProblemError(
                    "priorities: expected a mapping of setting to child labels or one "
                    "list of child labels, got a string"
                )
            else:
                # One common order: expand only by reference, from_lists keeps it O(N).
                plists = _label_list(c_index, priorities, "priorities")
                common_given = True
        # The index-level builders check the rest once, wording errors by label.
        if plists is None:
            return cls._from_arrays(
                cap,
                prefs,
                priority=None,
                order=ordr,
                child_ids=child_ids,
                setting_ids=setting_ids,
                ties=False,
                names=names,
            )
        common_flag = common_given or (
            not plists and not child_ids and bool(setting_ids)
        )
        return cls._from_index_lists(
            cap, prefs, plists, common_flag, ordr, child_ids, setting_ids, names
        )

    @classmethod
    def _build(
        cls,
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
        lottery: TieBreak | None = None,
        derived_copy: bool = True,
    ) -> Problem:
        """Freeze the arrays into a Problem.

        ``cap``, ``prefs`` and ``order`` may be the caller's arrays and are
        always copied; the derived arrays (``prio``, ``plist``, ``start``,
        ``end``, ``plist_class``) are copied too unless ``derived_copy`` is
        False, for a caller that made them and holds no other reference.
        """
        n, m = prefs.shape[0], cap.shape[0]
        if max(n, m, prefs.shape[1]) > np.iinfo(INDEX).max:
            raise InvalidProblemError("problem too large for int32 indices")
        if plist_class is None:
            plist_class = _positions(plist.shape[0], start, end)

        def own(a: NDArray[Any], dtype: type[np.integer[Any]]) -> NDArray[Any]:
            return _frozen(a.astype(dtype, copy=derived_copy))

        return cls(
            capacity=_frozen(cap.astype(INDEX)),
            preferences=_frozen(prefs.astype(INDEX)),
            priority=own(prio, INDEX),
            order=_frozen(order.astype(INDEX)),
            child_ids=_check_labels(child_ids, n, "child_ids"),
            setting_ids=_check_labels(setting_ids, m, "setting_ids"),
            plist_children=own(plist, INDEX),
            plist_start=own(start, np.int64),
            plist_end=own(end, np.int64),
            plist_class=own(plist_class, INDEX),
            lottery=lottery,
        )


def _lookup(
    index: Mapping[Any, int], label: Any, where: str, what: str, src: str
) -> int:
    try:
        return index[label]
    except KeyError:
        raise InvalidProblemError(
            f"{where} = {label!r}: unknown {what} (not a key of {src})"
        ) from None
    except TypeError:
        raise InvalidProblemError(
            f"{where} = {label!r}: labels must be hashable"
        ) from None


def _label_list(index: Mapping[Any, int], row: Any, name: str) -> list[Any]:
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
                    _lookup(index, x, f"{name}[{t}][{u}]", "child", "preferences")
                    for u, x in enumerate(c)
                ]
            )
        else:
            out.append(_lookup(index, c, f"{name}[{t}]", "child", "preferences"))
    return out


def _entry_at(
    name: str, classes: NDArray[np.int64] | None, names: _Names
) -> Callable[[int], str]:
    """Name entry ``t`` of a priority list flattened by :func:`_flatten_classes`.

    Index messages count tied children one by one (``name[t]``); labelled ones
    name the caller's own entry, the tie class holding the child.
    """
    if classes is None or not names.labelled:
        return lambda t: f"{name}[{t}]"
    return lambda t: f"{name}[{int(classes[t])}]"


def _is_class(x: object) -> bool:
    """Whether a priority-list entry is a tie class rather than one child."""
    return isinstance(x, list | tuple | set | frozenset | np.ndarray)


def _flatten_classes(
    row: Any, name: str
) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    """Flatten a priority list whose entries may be tie classes.

    Returns the children in list order (a class's members in index order) and
    their class indices, or None for the classes when no entry is a class (then
    the class of each child is its position).
    """
    want = "of child indices"
    if isinstance(row, np.ndarray | str | bytes):
        return _as_int_array(row, name, 1, want=want), None
    entries = list(row) if isinstance(row, Iterable) else row
    if not isinstance(entries, list) or not any(_is_class(x) for x in entries):
        return _as_int_array(entries, name, 1, want=want), None
    children: list[int] = []
    classes: list[int] = []
    for t, x in enumerate(entries):
        if not _is_class(x):
            if not _is_int(x):
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
            if not _is_int(v):
                raise InvalidProblemError(
                    f"{name}[{t}][{u}] = {v!r}: expected a child index"
                )
        children.extend(sorted(int(v) for v in members))
        classes.extend([t] * len(members))
    return np.array(children, dtype=np.int64), np.array(classes, dtype=np.int64)


def _align(
    plist: NDArray[np.int64],
    start: NDArray[np.int64],
    counts: NDArray[np.int64],
    values: NDArray[np.int64],
    prefs: NDArray[np.int64],
    m: int,
    names: _Names = _BY_INDEX,
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


def _pad_rows(rows: Any, name: str, m: int) -> NDArray[np.int64]:
    """Turn ragged rows of indices into a -1 padded array, checking each entry."""
    if isinstance(rows, np.ndarray) and rows.ndim == 2:
        return _as_int_array(rows, name, 2, want="of shape (N, L)")
    if isinstance(rows, str | bytes) or not isinstance(rows, Iterable):
        raise InvalidProblemError(f"{name}: expected a list of lists, got {rows!r}")
    rows = list(rows)
    width = 0
    for i, r in enumerate(rows):
        if isinstance(r, str | bytes) or not isinstance(r, Iterable):
            raise InvalidProblemError(
                f"{name}[{i}] = {r!r}: expected a list of indices"
            )
        r = list(r)
        rows[i] = r
        for k, v in enumerate(r):
            if not _is_int(v):
                raise InvalidProblemError(
                    f"{name}[{i}][{k}] = {v!r}: expected an integer"
                )
            if not 0 <= int(v) < m:
                raise InvalidProblemError(
                    f"{name}[{i}][{k}] = {v!r}: not a setting index in [0, {m})"
                )
        width = max(width, len(r))
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


# --------------------------------------------------------------------------- Allocation
@dataclass(frozen=True, slots=True, eq=False)
class Allocation:
    """A mechanism's result: where each child is placed.

    Attributes
    ----------
    problem : Problem
        The problem this allocation answers.
    assignment : ndarray of int32, shape (N,)
        Setting index per child, -1 if unplaced.
    rank : ndarray of int32, shape (N,)
        0-based position of the assigned setting in the parent's ranking; -1 if
        the child is unplaced or placed at a setting the parent did not rank.
    mechanism : str
        Name of the rule that produced it.
    """

    problem: Problem
    assignment: IntArray
    rank: IntArray
    mechanism: str

    @classmethod
    def from_assignment(
        cls, problem: Problem, assignment: ArrayLike, *, mechanism: str = "custom"
    ) -> Allocation:
        """Build an allocation from an array of setting indices.

        This is how user-written rules return their answer. The array is checked
        to be well formed (shape, integers, indices in range) and ranks are
        derived; whether it is *feasible* or places children only on settings they
        ranked is a property judged by :mod:`sendalloc.properties`, not assumed.

        Parameters
        ----------
        problem : Problem
        assignment : array_like of int, shape (N,)
            Setting index per child, -1 for none. Copied, never modified.
        mechanism : str, default "custom"

        Returns
        -------
        Allocation

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_lists([1, 1], [[1, 0], [1]])
        >>> a = sa.Allocation.from_assignment(p, [0, 1])
        >>> a.rank
        array([1, 0], dtype=int32)
        """
        if not isinstance(problem, Problem):
            raise InvalidProblemError(
                f"problem: expected a Problem, got {type(problem).__name__}"
            )
        a = _as_int_array(assignment, "assignment", 1, want="of shape (N,)")
        n, m = problem.n_children, problem.n_settings
        if a.shape != (n,):
            raise InvalidProblemError(
                f"assignment: expected shape ({n},), one entry per child, got {a.shape}"
            )
        bad = (a < -1) | (a >= m)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidProblemError(
                f"assignment[{i}] = {int(a[i])}: not a setting index in [0, {m}) or -1"
            )
        return cls._trusted(problem, a.astype(INDEX), mechanism)

    @classmethod
    def _trusted(
        cls, problem: Problem, assignment: NDArray[Any], mechanism: str
    ) -> Allocation:
        """Wrap a kernel's output (already well formed) without re-validating it."""
        assignment = np.ascontiguousarray(assignment, dtype=INDEX)
        rank = ranks_kernel(problem.preferences, assignment)
        return cls(problem, _frozen(assignment), _frozen(rank), mechanism)

    @property
    def placed(self) -> NDArray[np.bool_]:
        """Whether each child has a place, shape (N,)."""
        return np.asarray(self.assignment >= 0)

    @property
    def occupancy(self) -> NDArray[np.int64]:
        """Children placed at each setting, shape (M,)."""
        a = self.assignment
        return np.bincount(a[a >= 0], minlength=self.problem.n_settings)

    @property
    def unplaced_reason(self) -> NDArray[np.int8]:
        """Why each child is unplaced, as :class:`Unplaced` codes, shape (N,).

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_lists([1], [[0], [0], []])
        >>> a = sa.allocate(p, "first_available")
        >>> [sa.Unplaced(r).name for r in a.unplaced_reason]
        ['PLACED', 'ALL_FULL', 'EMPTY_LIST']
        """
        p = self.problem
        free = p.capacity.astype(np.int64) - self.occupancy
        prefs = p.preferences
        listed = prefs >= 0
        has_free = (listed & (free[np.where(listed, prefs, 0)] > 0)).any(axis=1)
        out = np.full(p.n_children, Unplaced.ALL_FULL, dtype=np.int8)
        out[has_free] = Unplaced.NOT_OFFERED
        out[~listed.any(axis=1)] = Unplaced.EMPTY_LIST
        out[self.placed] = Unplaced.PLACED
        return out

    def to_dict(self) -> dict[Any, Any]:
        """Map each child label to its setting label, or None if unplaced.

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]})
        >>> sa.allocate(p, "first_available").to_dict()
        {'amy': 'Oak', 'ben': None}
        """
        sids = self.problem.setting_ids
        return {
            c: (sids[s] if s >= 0 else None)
            for c, s in zip(
                self.problem.child_ids, self.assignment.tolist(), strict=True
            )
        }

    def __repr__(self) -> str:
        n = self.problem.n_children
        k = int(self.placed.sum())
        return f"Allocation(mechanism={self.mechanism!r}, placed={k} of {n})"


# Validation helpers that properties.py and ties.py share, under public names.
# (Renaming the definitions waits for the from_arrays work on this module.)
as_int_array = _as_int_array
align_priorities = _align
