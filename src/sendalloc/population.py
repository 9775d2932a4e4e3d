"""Vocabulary and tables: need codes, phases, setting kinds, settings and children.

The two tables are columnar: one read-only numpy array per column, all of the
same length, validated once by their ``from_columns`` constructors. Rows are
settings (M of them) or children (N); a setting or child is an index, never a
Python object, so everything downstream is vectorised.

Need codes are the 13 primary-need codes of the SEN2 return and the school
census (the ``ees-need-2025-*`` entries of :mod:`sendalloc.sources`); a need
column stores int8 indices into :data:`NEEDS`. Setting kinds follow the EES
placement taxonomy (source ``ees-placement-taxonomy``) grouped into the seven
kinds of :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc.errors import InvalidScenarioError

__all__ = [
    "KINDS",
    "NEEDS",
    "NEED_NAMES",
    "PHASES",
    "SPECIALIST_KINDS",
    "Children",
    "Settings",
    "kind_index",
    "need_index",
    "phase_of_age",
]

NEEDS: tuple[str, ...] = (
    "ASD",  # autistic spectrum disorder
    "SLCN",  # speech, language and communication needs
    "SEMH",  # social, emotional and mental health
    "SPLD",  # specific learning difficulty
    "MLD",  # moderate learning difficulty
    "SLD",  # severe learning difficulty
    "PMLD",  # profound and multiple learning difficulty
    "DS",  # Down syndrome (new in SEN2; national count suppressed)
    "HI",  # hearing impairment
    "VI",  # visual impairment
    "MSI",  # multi-sensory impairment
    "PD",  # physical disability
    "OTH",  # other difficulty or disability
)
"""The 13 SEN2 primary-need codes; need columns hold int8 indices into this."""

NEED_NAMES: dict[str, str] = {
    "ASD": "Autistic spectrum disorder",
    "SLCN": "Speech, language and communication needs",
    "SEMH": "Social, emotional and mental health",
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "DS": "Down syndrome",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "OTH": "Other difficulty or disability",
}
"""The name of each need code in :data:`NEEDS`, as the DfE's SEN2 return spells it."""

PHASES: tuple[str, ...] = ("early_years", "primary", "secondary", "post16")
"""Phases of education, indexed by :func:`phase_of_age`."""

KINDS: tuple[str, ...] = (
    "mainstream",
    "resourced_provision",
    "special",
    "non_maintained_special",
    "independent_special",
    "alternative_provision",
    "post16",
)
"""Setting kinds; kind columns hold int8 indices into this.

``mainstream``: state-funded mainstream schools (community, foundation,
voluntary, academy, free). ``resourced_provision``: SEN units and resourced
provision bases in mainstream schools. ``special``: state-funded special schools
(maintained, academy, free). ``non_maintained_special``, ``independent_special``:
as named. ``alternative_provision``: pupil referral units and AP academies and
free schools. ``post16``: sixth-form and FE colleges, 16-19 academies and
specialist post-16 institutions.
"""

SPECIALIST_KINDS: frozenset[str] = frozenset(
    {"resourced_provision", "special", "non_maintained_special", "independent_special"}
)
"""Kinds that are specialist SEND provision whatever their designation.

``alternative_provision`` is excluded: AP is for pupils out of school (exclusion,
medical needs), not a placement chosen to meet a need, and tailored lists omit
it unless a scenario asks otherwise. ``post16`` is excluded as a kind because it
mixes general FE colleges with specialist post-16 institutions; a ``post16``
setting counts as specialist when it has a need designation (see
:attr:`Settings.specialist`).
"""

_NEED_POS = {c: i for i, c in enumerate(NEEDS)}
_KIND_POS = {k: i for i, k in enumerate(KINDS)}
_SPECIALIST_MASK = np.array([k in SPECIALIST_KINDS for k in KINDS])
_POST16 = _KIND_POS["post16"]


def need_index(code: str) -> int:
    """Index of a need code in :data:`NEEDS` (case-insensitive).

    Examples
    --------
    >>> from sendalloc.population import need_index
    >>> need_index("SEMH"), need_index("SpLD")
    (2, 3)
    """
    try:
        return _NEED_POS[str(code).upper()]
    except KeyError:
        raise InvalidScenarioError(
            f"unknown need code {code!r}; expected one of {', '.join(NEEDS)}"
        ) from None


def kind_index(kind: str) -> int:
    """Index of a setting kind in :data:`KINDS`.

    Examples
    --------
    >>> from sendalloc.population import kind_index
    >>> kind_index("special")
    2
    """
    try:
        return _KIND_POS[kind]
    except (KeyError, TypeError):
        raise InvalidScenarioError(
            f"unknown setting kind {kind!r}; expected one of {', '.join(KINDS)}"
        ) from None


def phase_of_age(age: ArrayLike) -> NDArray[np.int8]:
    """Phase of education of each age, as an index into :data:`PHASES`.

    Parameters
    ----------
    age : array_like of int
        Age in completed years on 31 August before the placement year (the
        national-curriculum convention: reception 4, year 6 10, year 7 11,
        year 12 16).

    Returns
    -------
    ndarray of int8, same shape
        0 early years (under 5), 1 primary (5-10), 2 secondary (11-15),
        3 post-16 (16 and over).

    Examples
    --------
    >>> from sendalloc.population import phase_of_age
    >>> phase_of_age([3, 5, 10, 11, 15, 16, 24])
    array([0, 1, 1, 2, 2, 3, 3], dtype=int8)
    """
    a = np.asarray(age)
    return np.searchsorted(np.array([5, 11, 16]), a, side="right").astype(np.int8)


# --------------------------------------------------------------------------- helpers
def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a = np.array(a, copy=True, order="C")
    a.flags.writeable = False
    return a


def _labels(value: Iterable[Any], name: str, n: int | None) -> tuple[str, ...]:
    if isinstance(value, str | bytes):
        raise InvalidScenarioError(
            f"{name}: expected a sequence of strings, got a string"
        )
    out = tuple(str(v) for v in value)
    if n is not None and len(out) != n:
        raise InvalidScenarioError(f"{name}: expected {n} entries, got {len(out)}")
    return out


def _column(
    value: ArrayLike, name: str, n: int, dtype: type[np.generic], *, integer: bool
) -> NDArray[Any]:
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InvalidScenarioError(
            f"{name}: not readable as an array ({exc})"
        ) from None
    if a.shape != (n,):
        raise InvalidScenarioError(f"{name}: expected shape ({n},), got {a.shape}")
    if a.dtype.kind not in "biuf" or (a.dtype.kind == "b" and dtype is not np.bool_):
        raise InvalidScenarioError(f"{name}: expected numbers, got dtype {a.dtype}")
    if dtype is np.bool_:
        if a.dtype.kind != "b" and n and not np.isin(a, (0, 1)).all():
            i = int(np.flatnonzero(~np.isin(a, (0, 1)))[0])
            raise InvalidScenarioError(
                f"{name}[{i}] = {a[i].item()!r}: expected a boolean"
            )
        return a.astype(np.bool_)
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a)
        if integer:
            bad |= np.isfinite(a) & (a != np.round(a))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = "an integer" if integer else "a finite number"
            raise InvalidScenarioError(
                f"{name}[{i}] = {a[i].item()!r}: expected {what}"
            )
    if integer:
        info = np.iinfo(dtype)  # type: ignore[type-var]
        out_of_range = (a < info.min) | (a > info.max)
        if out_of_range.any():
            i = int(np.flatnonzero(out_of_range)[0])
            raise InvalidScenarioError(
                f"{name}[{i}] = {a[i].item()!r}: outside the "
                f"{np.dtype(dtype).name} range"
            )
    return a.astype(dtype)


def _check(mask: NDArray[np.bool_], name: str, a: NDArray[Any], expect: str) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise InvalidScenarioError(f"{name}[{i}] = {a[i].item()!r}: {expect}")


def _unique(ids: tuple[str, ...], name: str) -> None:
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for i, v in enumerate(ids):
            j = seen.setdefault(v, i)
            if j != i:
                raise InvalidScenarioError(
                    f"{name}[{i}] = {v!r}: duplicate id (also at {name}[{j}])"
                )


def _codes(
    value: ArrayLike | Sequence[Any], name: str, n: int, lookup: dict[str, int]
) -> NDArray[np.int8]:
    """Read a column of codes given either as strings or as indices."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        a = value
    else:
        vals = list(value)  # type: ignore[arg-type]
        if len(vals) != n:
            raise InvalidScenarioError(f"{name}: expected {n} entries, got {len(vals)}")
        if vals and all(isinstance(v, str) for v in vals):
            out = np.empty(n, dtype=np.int8)
            for i, v in enumerate(vals):
                j = lookup.get(v, lookup.get(v.upper(), -1))
                if j < 0:
                    raise InvalidScenarioError(
                        f"{name}[{i}] = {v!r}: expected one of {', '.join(lookup)}"
                    )
                out[i] = j
            return out
        a = np.asarray(vals) if vals else np.zeros(0, dtype=np.int8)
    a = _column(a, name, n, np.int8, integer=True)
    _check((a < 0) | (a >= len(lookup)), name, a, f"not an index in [0, {len(lookup)})")
    return a


# --------------------------------------------------------------------------- Settings
@dataclass(frozen=True, slots=True, eq=False)
class Settings:
    """The settings table: one row per setting, columns as read-only arrays.

    Build with :meth:`from_columns`, which validates; the constructor itself
    trusts its input.

    Attributes
    ----------
    id, name : tuple of str, length M
        Unique identifier and display name.
    kind : ndarray of int8, shape (M,)
        Index into :data:`KINDS`.
    needs : ndarray of bool, shape (M, 13)
        Designated needs (columns in :data:`NEEDS` order); a row of all False
        means the setting takes any need.
    min_age, max_age : ndarray of int32, shape (M,)
        Age range, inclusive, in the convention of :func:`phase_of_age`.
    capacity, on_roll : ndarray of int32, shape (M,)
        Total places and pupils on roll (all pupils, not only this LA's).
    x_km, y_km : ndarray of float64, shape (M,)
        British National Grid easting and northing, km.
    cost : ndarray of float64, shape (M,)
        Annual cost to the LA of a place, GBP.
    in_area : ndarray of bool, shape (M,)
        Whether the setting is in the LA's own area.
    quality : ndarray of float64, shape (M,)
        A quality index parents value (standardised; 0 when unknown).
    """

    id: tuple[str, ...]
    name: tuple[str, ...]
    kind: NDArray[np.int8]
    needs: NDArray[np.bool_]
    min_age: NDArray[np.int32]
    max_age: NDArray[np.int32]
    capacity: NDArray[np.int32]
    on_roll: NDArray[np.int32]
    x_km: NDArray[np.float64]
    y_km: NDArray[np.float64]
    cost: NDArray[np.float64]
    in_area: NDArray[np.bool_]
    quality: NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of settings, M."""
        return len(self.id)

    @property
    def specialist(self) -> NDArray[np.bool_]:
        """Whether each setting is specialist provision, shape (M,).

        True for :data:`SPECIALIST_KINDS` and for designated ``post16`` settings
        (specialist post-16 institutions).
        """
        return np.asarray(
            _SPECIALIST_MASK[self.kind]
            | ((self.kind == _POST16) & self.needs.any(axis=1))
        )

    @property
    def kind_names(self) -> tuple[str, ...]:
        """The kind of each setting as a string."""
        return tuple(KINDS[k] for k in self.kind.tolist())

    def __repr__(self) -> str:
        counts = np.bincount(self.kind, minlength=len(KINDS))
        body = ", ".join(
            f"{k}={int(c)}" for k, c in zip(KINDS, counts, strict=True) if c
        )
        return f"Settings(n={self.n}: {body})"

    def __len__(self) -> int:
        return self.n

    @classmethod
    def from_columns(
        cls,
        *,
        id: Sequence[Any],
        kind: ArrayLike | Sequence[str],
        min_age: ArrayLike,
        max_age: ArrayLike,
        capacity: ArrayLike,
        x_km: ArrayLike,
        y_km: ArrayLike,
        name: Sequence[Any] | None = None,
        needs: ArrayLike | Sequence[Iterable[str]] | None = None,
        on_roll: ArrayLike | None = None,
        cost: ArrayLike | None = None,
        in_area: ArrayLike | None = None,
        quality: ArrayLike | None = None,
    ) -> Settings:
        """Build a validated settings table from columns.

        Parameters
        ----------
        id : sequence of str, length M
            Unique identifiers.
        kind : sequence of str or array_like of int, length M
            Kind names from :data:`KINDS` or their indices.
        min_age, max_age : array_like of int, shape (M,)
            Inclusive age range, ``0 <= min_age <= max_age <= 25``.
        capacity : array_like of int, shape (M,)
            Total places, >= 0.
        x_km, y_km : array_like of float, shape (M,)
            British National Grid coordinates in km.
        name : sequence of str, optional
            Display names; default the ids.
        needs : array_like of bool, shape (M, 13), or sequence of sequences of str
            Designated needs per setting, as a mask or as lists of codes; an
            empty designation means any need. Default: all empty.
        on_roll : array_like of int, shape (M,), optional
            Pupils on roll, >= 0; default equal to capacity (full).
        cost : array_like of float, shape (M,), optional
            Annual cost per place, GBP, >= 0; default 0.
        in_area : array_like of bool, shape (M,), optional
            Default all True.
        quality : array_like of float, shape (M,), optional
            Default all 0.

        Returns
        -------
        Settings

        Raises
        ------
        InvalidScenarioError
            If a column is malformed; the message names the column, the row and
            the value.

        Examples
        --------
        >>> from sendalloc import Settings
        >>> s = Settings.from_columns(
        ...     id=["oak", "elm"], kind=["special", "mainstream"], needs=[["ASD"], []],
        ...     min_age=[4, 4], max_age=[18, 10], capacity=[140, 420],
        ...     x_km=[450.0, 452.5], y_km=[250.0, 251.0],
        ... )
        >>> s
        Settings(n=2: mainstream=1, special=1)
        >>> s.needs[:, :3]
        array([[ True, False, False],
               [False, False, False]])
        """
        ids = _labels(id, "Settings.id", None)
        m = len(ids)
        _unique(ids, "Settings.id")
        names = ids if name is None else _labels(name, "Settings.name", m)
        kinds = _codes(kind, "Settings.kind", m, _KIND_POS)
        if needs is None:
            mask = np.zeros((m, len(NEEDS)), dtype=np.bool_)
        else:
            mask = _needs_mask(needs, m)
        lo = _column(min_age, "Settings.min_age", m, np.int32, integer=True)
        hi = _column(max_age, "Settings.max_age", m, np.int32, integer=True)
        _check((lo < 0) | (lo > 25), "Settings.min_age", lo, "expected an age in 0..25")
        _check(
            (hi < lo) | (hi > 25),
            "Settings.max_age",
            hi,
            "expected min_age <= age <= 25",
        )
        cap = _column(capacity, "Settings.capacity", m, np.int32, integer=True)
        _check(cap < 0, "Settings.capacity", cap, "expected >= 0")
        roll = (
            cap
            if on_roll is None
            else _column(on_roll, "Settings.on_roll", m, np.int32, integer=True)
        )
        _check(roll < 0, "Settings.on_roll", roll, "expected >= 0")
        x = _column(x_km, "Settings.x_km", m, np.float64, integer=False)
        y = _column(y_km, "Settings.y_km", m, np.float64, integer=False)
        c = (
            np.zeros(m)
            if cost is None
            else _column(cost, "Settings.cost", m, np.float64, integer=False)
        )
        _check(c < 0, "Settings.cost", c, "expected >= 0")
        area = (
            np.ones(m, dtype=np.bool_)
            if in_area is None
            else _column(in_area, "Settings.in_area", m, np.bool_, integer=False)
        )
        q = (
            np.zeros(m)
            if quality is None
            else _column(quality, "Settings.quality", m, np.float64, integer=False)
        )
        return cls(
            id=ids,
            name=names,
            kind=_frozen(kinds),
            needs=_frozen(mask),
            min_age=_frozen(lo),
            max_age=_frozen(hi),
            capacity=_frozen(cap),
            on_roll=_frozen(roll),
            x_km=_frozen(x),
            y_km=_frozen(y),
            cost=_frozen(c),
            in_area=_frozen(area),
            quality=_frozen(q),
        )


def _needs_mask(needs: Any, m: int) -> NDArray[np.bool_]:
    if isinstance(needs, np.ndarray) and needs.ndim == 2:
        if needs.shape != (m, len(NEEDS)):
            raise InvalidScenarioError(
                f"Settings.needs: expected shape ({m}, {len(NEEDS)}), got {needs.shape}"
            )
        if needs.dtype.kind != "b":
            raise InvalidScenarioError(
                f"Settings.needs: expected a boolean mask, got dtype {needs.dtype}"
            )
        return needs.astype(np.bool_)
    rows = list(needs)
    if len(rows) != m:
        raise InvalidScenarioError(
            f"Settings.needs: expected {m} rows, got {len(rows)}"
        )
    mask = np.zeros((m, len(NEEDS)), dtype=np.bool_)
    for i, row in enumerate(rows):
        if isinstance(row, str):
            raise InvalidScenarioError(
                f"Settings.needs[{i}] = {row!r}: expected a list of need codes"
            )
        for code in row:
            j = _NEED_POS.get(str(code).upper(), -1)
            if j < 0:
                raise InvalidScenarioError(
                    f"Settings.needs[{i}]: unknown need code {code!r}; expected one of "
                    f"{', '.join(NEEDS)}"
                )
            mask[i, j] = True
    return mask


# --------------------------------------------------------------------------- Children
@dataclass(frozen=True, slots=True, eq=False)
class Children:
    """The children needing a placement decision this round, as columns.

    Attributes
    ----------
    id : tuple of str, length N
    need : ndarray of int8, shape (N,)
        Primary need, an index into :data:`NEEDS`.
    age : ndarray of int16, shape (N,)
        Age in completed years on 31 August before the placement year (so the
        phase of the place sought is ``phase_of_age(age)``).
    x_km, y_km : ndarray of float64, shape (N,)
        Home location, British National Grid km.
    plan_day : ndarray of int16, shape (N,)
        Day of the year (1-365) the plan naming the setting is finalised.
    severity : ndarray of float64, shape (N,)
        Severity of need, a percentile in [0, 1] (higher is more severe).
    specialist : ndarray of bool, shape (N,)
        Whether the child needs specialist provision (so mainstream settings
        are not listed, unless the list rules say otherwise).
    transfer : ndarray of bool, shape (N,)
        Phase transfer (True) or new plan (False).
    looked_after : ndarray of bool, shape (N,)
        Whether the child is looked after by a local authority (or previously
        looked after); such children form the first priority class of
        :func:`sendalloc.preferences.priority_classes`. All False in sampled
        populations: no sourced rate is used (see docs/modelling.md).
    rural : ndarray of bool, shape (N,)
        Whether the child lives away from the towns: the sampler placed the
        child uniformly anywhere in the LA (probability
        ``geography.rural_share``) rather than around a town. All False when
        not given (a children CSV without a ``rural`` column, or a table built
        without it).
    """

    id: tuple[str, ...]
    need: NDArray[np.int8]
    age: NDArray[np.int16]
    x_km: NDArray[np.float64]
    y_km: NDArray[np.float64]
    plan_day: NDArray[np.int16]
    severity: NDArray[np.float64]
    specialist: NDArray[np.bool_]
    transfer: NDArray[np.bool_]
    looked_after: NDArray[np.bool_]
    # Absent (None) means all False: filled in by __post_init__, so tables
    # built before the column existed still build.
    rural: NDArray[np.bool_] = field(default=cast("NDArray[np.bool_]", None))

    def __post_init__(self) -> None:
        if cast("NDArray[np.bool_] | None", self.rural) is None:
            object.__setattr__(self, "rural", _frozen(np.zeros(len(self.id), np.bool_)))

    @property
    def n(self) -> int:
        """Number of children, N."""
        return len(self.id)

    @property
    def phase(self) -> NDArray[np.int8]:
        """Phase of the place sought, index into :data:`PHASES`, shape (N,)."""
        return phase_of_age(self.age)

    def __repr__(self) -> str:
        return f"Children(n={self.n}, specialist={int(self.specialist.sum())})"

    def __len__(self) -> int:
        return self.n

    @classmethod
    def from_columns(
        cls,
        *,
        id: Sequence[Any],
        need: ArrayLike | Sequence[str],
        age: ArrayLike,
        x_km: ArrayLike,
        y_km: ArrayLike,
        plan_day: ArrayLike,
        severity: ArrayLike,
        specialist: ArrayLike | None = None,
        transfer: ArrayLike | None = None,
        looked_after: ArrayLike | None = None,
        rural: ArrayLike | None = None,
    ) -> Children:
        """Build a validated children table from columns.

        Parameters
        ----------
        id : sequence of str, length N
            Unique identifiers.
        need : sequence of str or array_like of int, length N
            Need codes from :data:`NEEDS` or their indices.
        age : array_like of int, shape (N,)
            0-25.
        x_km, y_km : array_like of float, shape (N,)
        plan_day : array_like of int, shape (N,)
            1-365.
        severity : array_like of float, shape (N,)
            In [0, 1].
        specialist : array_like of bool, shape (N,), optional
            Default all False.
        transfer : array_like of bool, shape (N,), optional
            Default all False.
        looked_after : array_like of bool, shape (N,), optional
            Looked-after (or previously looked-after) children. Default all
            False.
        rural : array_like of bool, shape (N,), optional
            Children living away from the towns. Default all False.

        Returns
        -------
        Children

        Raises
        ------
        InvalidScenarioError
            Naming the column, the row and the value.

        Examples
        --------
        >>> from sendalloc import Children
        >>> c = Children.from_columns(
        ...     id=["amy", "ben"], need=["ASD", "PMLD"], age=[4, 11],
        ...     x_km=[450.0, 455.0], y_km=[250.0, 249.0], plan_day=[46, 200],
        ...     severity=[0.3, 0.95], specialist=[False, True],
        ...     looked_after=[0, 1],
        ... )
        >>> c.phase, c.need
        (array([0, 2], dtype=int8), array([0, 6], dtype=int8))
        >>> c.looked_after, c.looked_after.flags.writeable
        (array([False,  True]), False)
        """
        ids = _labels(id, "Children.id", None)
        n = len(ids)
        _unique(ids, "Children.id")
        needs = _codes(need, "Children.need", n, _NEED_POS)
        a = _column(age, "Children.age", n, np.int16, integer=True)
        _check((a < 0) | (a > 25), "Children.age", a, "expected an age in 0..25")
        x = _column(x_km, "Children.x_km", n, np.float64, integer=False)
        y = _column(y_km, "Children.y_km", n, np.float64, integer=False)
        d = _column(plan_day, "Children.plan_day", n, np.int16, integer=True)
        _check((d < 1) | (d > 365), "Children.plan_day", d, "expected a day in 1..365")
        s = _column(severity, "Children.severity", n, np.float64, integer=False)
        _check((s < 0) | (s > 1), "Children.severity", s, "expected a value in [0, 1]")
        spec = (
            np.zeros(n, dtype=np.bool_)
            if specialist is None
            else _column(specialist, "Children.specialist", n, np.bool_, integer=False)
        )
        tr = (
            np.zeros(n, dtype=np.bool_)
            if transfer is None
            else _column(transfer, "Children.transfer", n, np.bool_, integer=False)
        )
        la = (
            np.zeros(n, dtype=np.bool_)
            if looked_after is None
            else _column(
                looked_after, "Children.looked_after", n, np.bool_, integer=False
            )
        )
        ru = (
            np.zeros(n, dtype=np.bool_)
            if rural is None
            else _column(rural, "Children.rural", n, np.bool_, integer=False)
        )
        return cls._trusted(ids, needs, a, x, y, d, s, spec, tr, la, ru)

    @classmethod
    def _trusted(
        cls,
        ids: tuple[str, ...],
        need: NDArray[Any],
        age: NDArray[Any],
        x: NDArray[Any],
        y: NDArray[Any],
        plan_day: NDArray[Any],
        severity: NDArray[Any],
        specialist: NDArray[Any],
        transfer: NDArray[Any],
        looked_after: NDArray[Any] | None = None,
        rural: NDArray[Any] | None = None,
    ) -> Children:
        """Wrap columns already known to be valid (the sampler's fast path).

        ``looked_after`` defaults to all False (the sampler draws none), and so
        does ``rural``.
        """
        la = (
            np.zeros(len(ids), dtype=np.bool_) if looked_after is None else looked_after
        )
        ru = np.zeros(len(ids), dtype=np.bool_) if rural is None else rural
        return cls(
            id=ids,
            need=_frozen(need.astype(np.int8, copy=False)),
            age=_frozen(age.astype(np.int16, copy=False)),
            x_km=_frozen(x.astype(np.float64, copy=False)),
            y_km=_frozen(y.astype(np.float64, copy=False)),
            plan_day=_frozen(plan_day.astype(np.int16, copy=False)),
            severity=_frozen(severity.astype(np.float64, copy=False)),
            specialist=_frozen(specialist.astype(np.bool_, copy=False)),
            transfer=_frozen(transfer.astype(np.bool_, copy=False)),
            looked_after=_frozen(la.astype(np.bool_, copy=False)),
            rural=_frozen(ru.astype(np.bool_, copy=False)),
        )


# ------------------------------------------------------------------------ spec errors
class KeyedError(InvalidScenarioError):
    """A spec error that knows the (relative) key it is about.

    A scenario reader uses the key to point at its line and column in the file.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def bad(key: str, value: object, expect: str) -> KeyedError:
    return KeyedError(key, f"{key} = {value!r}: {expect}")
