"""Annotations on a scenario's numbers: the ``[cite]`` and ``[uncertainty]`` tables.

``[cite]`` maps a dotted key to a source id of :mod:`sendalloc.sources`, a list
of ids, :data:`ASSUMPTION` or :data:`FITTED`; ``[uncertainty]`` maps a dotted key
of a number (or an array of numbers) to its plausible range and how values spread
over it, an :class:`Uncertainty`. :func:`annotate` checks both against the
scenario's keys, values and valid ranges; :func:`carry_notes` keeps those a change
of keys leaves valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._arrays import plain
from sendalloc._keys import KeyRange, key_range, number_text
from sendalloc.population import KeyedError
from sendalloc.scenario.reading import SECTIONS
from sendalloc.scenario.sections import AllocationSpec, SettingGroup

__all__ = [
    "ASSUMPTION",
    "DISTRIBUTIONS",
    "FITTED",
    "NOTES",
    "NOT_SOURCES",
    "Uncertainty",
    "annotate",
    "carry_notes",
    "key_range_of",
]

#: Top-level tables that annotate a scenario's numbers rather than set them.
NOTES: tuple[str, ...] = ("cite", "uncertainty")
#: The citation of a number no source gives.
ASSUMPTION = "assumption"
#: The citation of a number fitted to observed outcomes by calibration
#: (:mod:`sendalloc.calibrate`; the fit is recorded in
#: ``sendalloc/data/calibration.json``, docs/validation.md). Like an assumption,
#: it needs an ``[uncertainty]`` range: the fit's interval.
FITTED = "fitted"
#: Citations that are not source ids.
NOT_SOURCES: tuple[str, ...] = (ASSUMPTION, FITTED)
#: ``dist`` values an ``[uncertainty]`` range may have, with the extra keys each
#: takes (see :class:`Uncertainty`).
DISTRIBUTIONS: tuple[str, ...] = (
    "uniform",
    "triangular",
    "beta",
    "truncnormal",
    "loguniform",
)
#: The keys an ``[uncertainty]`` entry may have beside ``low``, ``high``,
#: ``dist`` and ``link``, by distribution.
_DIST_KEYS: dict[str, tuple[str, ...]] = {
    "uniform": (),
    "triangular": ("mode",),
    "beta": ("alpha", "beta"),
    "truncnormal": ("mean", "sd"),
    "loguniform": (),
}
#: Array keys whose entries must stay in order, whatever is drawn: (section
#: class, field) -> whether equal neighbours are allowed.
_ORDERED: dict[tuple[type, str], bool] = {
    (SettingGroup, "capacity"): True,
    (AllocationSpec, "distance_bands_km"): False,
}
_SOURCE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LINK = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")

Bound = float | tuple[Any, ...]


@dataclass(frozen=True, slots=True, repr=False)
class Uncertainty:
    """The plausible range of one number of a scenario (an ``[uncertainty]`` entry).

    Attributes
    ----------
    low, high : float or nested tuple of float
        Bounds with the shape of the value: a number, or for an array such as
        ``capacity = [110, 170]`` an array of bounds, element by element. Every
        drawn value lies in ``[low, high]``, and so within the key's valid
        values (checked when the scenario is read).
    dist : str
        How values spread over the range (one of :data:`DISTRIBUTIONS`):
        ``"uniform"``; ``"triangular"`` with its peak at ``mode``;
        ``"beta"``, a beta(``alpha``, ``beta``) stretched over ``[low, high]``;
        ``"truncnormal"``, a normal of mean ``mean`` and sd ``sd`` cut to
        ``[low, high]``; ``"loguniform"`` (uniform in the logarithm, for a
        scale known to a factor; ``low > 0``).
    mode, mean : float or nested tuple of float, optional
        Shaped like the value; default (when the TOML gives none) the value
        itself, so a triangular range peaks at the preset's number.
    alpha, beta, sd : float, optional
        Shape parameters (> 0) of ``"beta"``, and the sd of ``"truncnormal"``.
    link : str, optional
        Entries with the same ``link`` move together: one uniform draw ``u`` is
        taken through each entry's own distribution, so all lie at the same
        quantile of their ranges. Without a link every entry, and every element
        of an array, is drawn independently.
    integer : bool
        Whether the key holds whole numbers (``count``, ``capacity``,
        ``max_length``): a draw is then taken from the distribution stretched
        to ``[low - 1/2, high + 1/2]`` and rounded to the nearest whole number,
        so each whole number of a uniform range is equally likely. Set from
        the scenario's value, not written in TOML.

    Examples
    --------
    >>> import sendalloc as sa
    >>> u = sa.load_scenario("county").uncertainty["special.capacity"]
    >>> u.low, u.high
    ((95.0, 155.0), (125.0, 185.0))
    >>> u.at(0.5)               # one quantile for every element
    (110, 170)
    >>> Uncertainty(low=0.0, high=1.0, dist="triangular", mode=0.5).at(0.5)
    0.5
    """

    low: Bound
    high: Bound
    dist: str = "uniform"
    mode: Bound | None = None
    alpha: float | None = None
    beta: float | None = None
    mean: Bound | None = None
    sd: float | None = None
    link: str | None = None
    integer: bool = False

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={getattr(self, name)!r}"
            for name in ("mode", "alpha", "beta", "mean", "sd", "link")
            if getattr(self, name) is not None
        )
        return (
            f"Uncertainty(low={self.low!r}, high={self.high!r}, "
            f"dist={self.dist!r}{extra})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in TOML: ``{"low": ..., "high": ..., "dist": ...}``.

        The distribution's own keys and ``link`` follow where set.
        """
        out = {"low": plain(self.low), "high": plain(self.high), "dist": self.dist}
        for name in ("mode", "alpha", "beta", "mean", "sd", "link"):
            v = getattr(self, name)
            if v is not None:
                out[name] = plain(v)
        return out

    @property
    def size(self) -> int:
        """How many numbers the value has (1 for a number)."""
        return len(_flat(self.low))

    def varying(self) -> tuple[int, ...]:
        """Flat positions of the elements whose range is not a single number."""
        lo, hi = _flat(self.low), _flat(self.high)
        return tuple(i for i, (a, b) in enumerate(zip(lo, hi, strict=True)) if a < b)

    def quantiles(self, u: ArrayLike) -> NDArray[np.float64]:
        """The values at quantiles ``u`` (in ``[0, 1]``), element by element.

        Parameters
        ----------
        u : float or array_like of float, shape (size,)
            One quantile for every element, or one per element (flat order).

        Returns
        -------
        ndarray of float64, shape (size,)
            Whole numbers (as floats) for an integer key; each in
            ``[low, high]``.
        """
        lo = np.asarray(_flat(self.low), dtype=np.float64)
        hi = np.asarray(_flat(self.high), dtype=np.float64)
        q = np.broadcast_to(np.asarray(u, dtype=np.float64), lo.shape)
        if np.isnan(q).any() or (q < 0).any() or (q > 1).any():
            raise ValueError(f"quantiles: expected values in [0, 1], got {u!r}")
        a, b = (lo - 0.5, hi + 0.5) if self.integer else (lo, hi)
        fixed = lo == hi
        x = _ppf(self, q, a, b)
        if self.integer:
            x = np.floor(x + 0.5)
        return np.where(fixed, lo, np.clip(x, lo, hi))

    def at(self, u: ArrayLike) -> Any:
        """The value at quantiles ``u``, shaped like the scenario's value.

        A number, or nested tuples for an array; ints for an integer key.
        """
        return self.shaped(self.quantiles(u))

    def shaped(self, flat: ArrayLike) -> Any:
        """Flat numbers (one per element) shaped like the value; ints if integer."""
        vals = np.asarray(flat, dtype=np.float64).ravel()
        if vals.size != self.size:
            raise ValueError(f"shaped: expected {self.size} numbers, got {vals.size}")
        out = [int(v) if self.integer else float(v) for v in vals]
        return _reshape(self.low, iter(out))


def _ppf(
    unc: Uncertainty, q: NDArray[np.float64], a: NDArray[Any], b: NDArray[Any]
) -> NDArray[np.float64]:
    """Quantile function of ``unc.dist`` on ``[a, b]`` (elementwise)."""
    width = np.where(b > a, b - a, 1.0)
    if unc.dist == "uniform":
        return np.asarray(a + q * (b - a))
    if unc.dist == "loguniform":
        la, lb = np.log(np.maximum(a, 1e-300)), np.log(np.maximum(b, 1e-300))
        return np.asarray(np.exp(la + q * (lb - la)))
    if unc.dist == "triangular":
        m = np.broadcast_to(np.asarray(_flat(unc.mode), dtype=np.float64), a.shape)
        c = np.clip((m - a) / width, 0.0, 1.0)
        left = a + np.sqrt(q * width * (m - a))
        right = b - np.sqrt((1.0 - q) * width * (b - m))
        return np.asarray(np.where(q < c, left, right))
    if unc.dist == "beta":
        assert unc.alpha is not None
        assert unc.beta is not None
        # scipy is imported here, not at the top: scipy.stats alone takes about
        # a second to import, which `import sendalloc` must not pay.
        from scipy import special

        return np.asarray(a + width * special.betaincinv(unc.alpha, unc.beta, q))
    assert unc.dist == "truncnormal"
    assert unc.sd is not None
    mu = np.broadcast_to(np.asarray(_flat(unc.mean), dtype=np.float64), a.shape)
    from scipy import stats

    z = stats.truncnorm.ppf(q, (a - mu) / unc.sd, (b - mu) / unc.sd)
    return np.asarray(mu + unc.sd * z)


def _reshape(like: Any, it: Any) -> Any:
    if isinstance(like, tuple):
        return tuple(_reshape(x, it) for x in like)
    return next(it)


def key_range_of(key: str) -> KeyRange | None:
    """The valid values of the number at a dotted scenario key, if it has any.

    The key's first part names a section (``lists``, ``preferences``, ...) or a
    setting group; its second a field; anything after it an entry of the
    field's array or table, which shares the field's range.

    Examples
    --------
    >>> key_range_of("lists.speed_kmh").interval()
    '(0, 200]'
    >>> key_range_of("special.capacity").interval()
    '[0, 100_000]'
    """
    parts = key.split(".")
    if len(parts) < 2:
        return None
    cls = SECTIONS.get(parts[0], SettingGroup)
    for f in fields(cls):
        if f.name == parts[1]:
            return key_range(f)
    return None


def _lookup(tree: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _numeric(v: Any) -> Any:
    """``v`` as a float or nested tuple of floats, or None if it is not numeric."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, list | tuple) and v:
        out = tuple(_numeric(x) for x in v)
        return None if any(x is None for x in out) else out
    return None


def _same_shape(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(map(_same_shape, a, b))
    return not isinstance(a, tuple) and not isinstance(b, tuple)


def _flat(a: Any) -> list[float]:
    return [y for x in a for y in _flat(x)] if isinstance(a, tuple) else [a]


def _citation(key: str, v: Any) -> str | tuple[str, ...]:
    where = f'cite."{key}"'
    ids = [v] if isinstance(v, str) else v
    if not isinstance(ids, list) or not ids:
        raise KeyedError(
            f"cite.{key}",
            f"{where} = {v!r}: expected a source id, a list of source ids, "
            f"{ASSUMPTION!r} or {FITTED!r}",
        )
    for x in ids:
        if not isinstance(x, str) or not _SOURCE_ID.match(x):
            raise KeyedError(
                f"cite.{key}",
                f"{where} = {v!r}: {x!r} is not a source id (kebab-case, as in "
                f"docs/sources.md), {ASSUMPTION!r} or {FITTED!r}",
            )
    if len(set(ids)) != len(ids):
        raise KeyedError(f"cite.{key}", f"{where} = {v!r}: an id is repeated")
    return v if isinstance(v, str) else tuple(ids)


def _integral(value: Any) -> bool:
    """Whether a scenario value holds whole numbers (ints, not floats or bools)."""
    if isinstance(value, list | tuple):
        return bool(value) and all(_integral(x) for x in value)
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(v: Any) -> bool:
    return (
        isinstance(v, int | float)
        and not isinstance(v, bool)
        and math.isfinite(v)
        and v > 0
    )


def _range(key: str, v: Any, value: Any) -> Uncertainty:
    where = f'uncertainty."{key}"'

    def bad(msg: str) -> KeyedError:
        return KeyedError(f"uncertainty.{key}", f"{where}: {msg}")

    if not isinstance(v, Mapping):
        raise bad(f"expected {{ low = ..., high = ..., dist = ... }}, got {v!r}")
    dist = v.get("dist", "uniform")
    if dist not in DISTRIBUTIONS:
        raise bad(f"dist = {dist!r}: expected one of {', '.join(DISTRIBUTIONS)}")
    allowed = ("low", "high", "dist", *_DIST_KEYS[dist], "link")
    unknown = [k for k in v if k not in allowed]
    if unknown:
        raise bad(
            f"unknown key {unknown[0]!r} for dist = {dist!r}; expected "
            f"{', '.join(allowed)}"
        )
    for k in ("low", "high"):
        if k not in v:
            raise bad(f"missing {k!r}")
    val = _numeric(value)
    if val is None:
        raise bad(f"the value {value!r} is not a number or an array of numbers")
    low, high = _numeric(v["low"]), _numeric(v["high"])
    for name, b, raw in (("low", low, v["low"]), ("high", high, v["high"])):
        if b is None or not _same_shape(b, val):
            raise bad(
                f"{name} = {raw!r}: expected a number or array shaped like the "
                f"value {value!r}"
            )
    lo, hi, x = _flat(low), _flat(high), _flat(val)
    if any(a > b for a, b in zip(lo, hi, strict=True)):
        raise bad(f"low = {v['low']!r} > high = {v['high']!r}")
    if any(not a <= c <= b for a, b, c in zip(lo, hi, x, strict=True)):
        raise bad(
            f"[low, high] = [{v['low']!r}, {v['high']!r}] does not contain the "
            f"value {value!r}"
        )
    integer = _integral(value)
    if integer and any(b != int(b) for b in (*lo, *hi)):
        raise bad(
            f"[low, high] = [{v['low']!r}, {v['high']!r}]: {key} holds whole "
            "numbers, so its bounds must be whole numbers"
        )
    _check_valid(key, lo, hi, bad)
    kw: dict[str, Any] = {}
    if dist == "triangular":
        mode = _numeric(v.get("mode", value))
        if mode is None or not _same_shape(mode, val):
            raise bad(
                f"mode = {v.get('mode')!r}: expected a number or array shaped like "
                f"the value {value!r}"
            )
        if any(not a <= m <= b for a, b, m in zip(lo, hi, _flat(mode), strict=True)):
            raise bad(f"mode = {plain(mode)!r} is not inside [low, high]")
        kw["mode"] = mode
    elif dist == "beta":
        for k in ("alpha", "beta"):
            if not _positive(v.get(k)):
                raise bad(f"{k} = {v.get(k)!r}: expected a number > 0 (dist = 'beta')")
            kw[k] = float(v[k])
    elif dist == "truncnormal":
        mean = _numeric(v.get("mean", value))
        if mean is None or not _same_shape(mean, val):
            raise bad(
                f"mean = {v.get('mean')!r}: expected a number or array shaped like "
                f"the value {value!r}"
            )
        if not _positive(v.get("sd")):
            raise bad(
                f"sd = {v.get('sd')!r}: expected a number > 0 (dist = 'truncnormal')"
            )
        kw["mean"], kw["sd"] = mean, float(v["sd"])
    elif dist == "loguniform":
        floor = 0.5 if integer else 0.0
        if any(a - floor <= 0 for a in lo):
            need = "at least 1 for whole numbers" if integer else "> 0"
            raise bad(f"low = {v['low']!r}: dist = 'loguniform' needs low {need}")
    if "link" in v:
        link = v["link"]
        if not isinstance(link, str) or not _LINK.match(link):
            raise bad(
                f"link = {link!r}: expected a name of letters, digits, _ or - (no "
                "dots, so that it is never a key)"
            )
        kw["link"] = link
    return Uncertainty(low=low, high=high, dist=str(dist), integer=integer, **kw)


def _check_valid(key: str, lo: Sequence[float], hi: Sequence[float], bad: Any) -> None:
    """Every value in ``[lo, hi]`` must be a valid value of ``key``."""
    r = key_range_of(key)
    if r is None:
        return
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        for name, x in (("low", a), ("high", b)):
            if not r.contains(x):
                at = "" if len(lo) == 1 else f" (entry {i})"
                raise bad(
                    f"{name} = {number_text(x)}{at} is outside the valid values of "
                    f"{key}, {r.interval()}: a draw could be invalid"
                )
    parts = key.split(".")
    cls = SECTIONS.get(parts[0], SettingGroup)
    equal_ok = _ORDERED.get((cls, parts[-1])) if len(parts) == 2 else None
    if equal_ok is None:
        return
    for i in range(len(lo) - 1):
        if hi[i] > lo[i + 1] or (not equal_ok and hi[i] == lo[i + 1]):
            raise bad(
                f"entry {i} may be drawn above entry {i + 1} (high {number_text(hi[i])}"
                f" > low {number_text(lo[i + 1])}), but {key} must stay in order"
            )


def annotate(
    tree: Mapping[str, Any], notes: Mapping[str, Any]
) -> tuple[dict[str, str | tuple[str, ...]], dict[str, Uncertainty]]:
    """The ``[cite]`` and ``[uncertainty]`` tables of ``notes``, checked.

    Parameters
    ----------
    tree : mapping
        Every key of the scenario with its value, defaults included (as
        :meth:`~sendalloc.scenario.Scenario.to_dict` gives, with ``dynamics``).
    notes : mapping
        The ``cite`` and ``uncertainty`` tables as read from TOML.

    Returns
    -------
    citations, uncertainty : dict
        Keyed by dotted key, as kept on the scenario.

    Raises
    ------
    KeyedError
        Naming the note and the key of an entry that is not valid.
    """
    out: dict[str, dict[str, Any]] = {"cite": {}, "uncertainty": {}}
    for note in NOTES:
        table = notes.get(note, {})
        if not isinstance(table, Mapping):
            raise KeyedError(note, f"{note}: expected a table, got {table!r}")
        for key, v in table.items():
            found, value = _lookup(tree, str(key))
            if not found:
                raise KeyedError(
                    f"{note}.{key}",
                    f'{note}."{key}": unknown key ({key} is not a key of the scenario)',
                )
            out[note][str(key)] = (
                _citation(str(key), v) if note == "cite" else _range(str(key), v, value)
            )
    return out["cite"], out["uncertainty"]


def carry_notes(
    citations: Mapping[str, str | tuple[str, ...]],
    uncertainty: Mapping[str, Uncertainty],
    tree: Mapping[str, Any],
    changed: list[str],
) -> tuple[dict[str, str | tuple[str, ...]], dict[str, Uncertainty]]:
    """The notes of a scenario carried to a changed one (see ``with_overrides``).

    Those of the keys in ``changed``, of the keys under them and of the tables
    above them are dropped, and so are those of keys not in ``tree`` (every key
    of the changed scenario with its value).
    """

    def kept(key: str) -> bool:
        return (
            not any(
                key == c or key.startswith(c + ".") or c.startswith(key + ".")
                for c in changed
            )
            and _lookup(tree, key)[0]
        )

    return (
        {k: v for k, v in citations.items() if kept(k)},
        {k: u for k, u in uncertainty.items() if kept(k)},
    )
