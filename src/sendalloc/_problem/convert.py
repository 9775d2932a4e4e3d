"""Converting and checking the inputs of a :class:`~sendalloc.Problem`.

Every constructor runs its arguments through these: integer arrays (refusing
fractions, NaN, booleans, strings and values past int64, with their position),
capacities, permutations, labels and -1 padded preference rows. A check raises
:class:`~sendalloc.errors.InvalidProblemError` naming the argument, the
position and the value; :class:`Names` words the positions by index or, for
:meth:`~sendalloc.Problem.from_dicts`, by the caller's labels.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc.errors import InvalidProblemError

__all__ = [
    "BY_INDEX",
    "INDEX",
    "IntArray",
    "Names",
    "as_int_array",
    "check_capacity",
    "check_labels",
    "check_permutation",
    "check_preferences",
    "frozen",
    "is_int",
    "lookup",
    "pad_rows",
]

IntArray = NDArray[np.int32]
INDEX = np.int32  # dtype of every index array a Problem holds
_TWO63 = 2.0**63  # exact in every float dtype: the first float past int64


def frozen(a: NDArray[Any]) -> NDArray[Any]:
    """A read-only, C-contiguous version of ``a`` (a copy only if needed)."""
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def as_int_array(
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
                if not (is_int(v) or _is_integral_float(v)):
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


def is_int(v: object) -> bool:
    """Whether ``v`` is an integer (a Python or numpy one), not a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_integral_float(v: object) -> bool:
    return isinstance(v, float | np.floating) and bool(np.isfinite(v)) and v == int(v)


def _pos(pos: tuple[int, ...]) -> str:
    return ", ".join(str(int(p)) for p in pos)


@dataclass(frozen=True, slots=True)
class Names:
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
        """Whether messages name children and settings by label."""
        return self.child_ids is not None

    def child(self, i: int) -> str:
        """Child ``i``, by index or by its label's repr."""
        return str(i) if self.child_ids is None else repr(self.child_ids[i])

    def setting(self, j: int) -> str:
        """Setting ``j``, by index or by its label's repr."""
        return str(j) if self.setting_ids is None else repr(self.setting_ids[j])

    def capacity(self, pos: tuple[int, ...]) -> str:
        """Position ``pos`` of the capacity argument."""
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


BY_INDEX = Names()


def check_capacity(capacity: ArrayLike, names: Names) -> NDArray[np.int64]:
    """Convert and check capacities: integers, each >= 0, within int32."""
    cap = as_int_array(capacity, "capacity", 1, want="of shape (M,)", at=names.capacity)
    neg = cap < 0
    if neg.any():
        j = int(np.flatnonzero(neg)[0])
        raise InvalidProblemError(
            f"{names.capacity((j,))} = {int(cap[j])}: capacities must be >= 0"
        )
    if cap.size and int(cap.max()) > np.iinfo(INDEX).max:
        raise InvalidProblemError("capacity: values exceed the int32 range")
    return cap


def check_permutation(
    order: NDArray[np.int64],
    n: int,
    name: str,
    names: Names = BY_INDEX,
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


def check_labels(ids: Sequence[Hashable] | None, n: int, name: str) -> tuple[Any, ...]:
    """Check ``n`` unique, hashable labels (default ``range(n)``); return a tuple."""
    if ids is None:
        return tuple(range(n))
    if isinstance(ids, str | bytes):
        raise InvalidProblemError(
            f"{name}: expected a sequence of labels, got a string"
        )
    labels = tuple(ids)
    if len(labels) != n:
        raise InvalidProblemError(f"{name}: expected {n} labels, got {len(labels)}")
    # Unique labels in one C-level pass (3 times faster than the loop at 1e6);
    # the loop finds and words an unhashable or repeated label.
    with contextlib.suppress(Exception):
        if len(set(labels)) == n:
            return labels
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


def check_preferences(
    prefs: NDArray[np.int64], m: int, names: Names = BY_INDEX
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


def lookup(
    index: Mapping[Any, int], label: Any, where: str, what: str, src: str
) -> int:
    """The index of ``label`` in ``index``; unknown ones are refused by name."""
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


def pad_rows(rows: Any, name: str, m: int) -> NDArray[np.int64]:
    """Turn ragged rows of indices into a -1 padded array, checking each entry."""
    if isinstance(rows, np.ndarray) and rows.ndim == 2:
        return as_int_array(rows, name, 2, want="of shape (N, L)")
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
            if not is_int(v):
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
