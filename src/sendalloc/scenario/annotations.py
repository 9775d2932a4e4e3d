"""Annotations on a scenario's numbers: the ``[cite]`` and ``[uncertainty]`` tables.

``[cite]`` maps a dotted key to a source id of :mod:`sendalloc.sources`, a list
of ids, :data:`ASSUMPTION` or :data:`FITTED`; ``[uncertainty]`` maps a dotted key of a number
(or an array of numbers) to its plausible range, an :class:`Uncertainty`.
:func:`annotate` checks both against the scenario's keys and values;
:func:`carry_notes` keeps those a change of keys leaves valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sendalloc._arrays import plain
from sendalloc.population import KeyedError

__all__ = [
    "ASSUMPTION",
    "DISTRIBUTIONS",
    "FITTED",
    "NOTES",
    "NOT_SOURCES",
    "Uncertainty",
    "annotate",
    "carry_notes",
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
#: ``dist`` values an ``[uncertainty]`` range may have.
DISTRIBUTIONS: tuple[str, ...] = ("uniform",)
_SOURCE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """The plausible range of one number of a scenario (an ``[uncertainty]`` entry).

    Attributes
    ----------
    low, high : float or nested tuple of float
        Bounds with the shape of the value: a number, or for an array such as
        ``capacity = [110, 170]`` an array of bounds, element by element.
    dist : str
        How values are spread over the range: ``"uniform"`` (each element
        independently uniform on ``[low, high]``).

    Examples
    --------
    >>> import sendalloc as sa
    >>> u = sa.load_scenario("county").uncertainty["special.capacity"]
    >>> u.low, u.high
    ((95.0, 155.0), (125.0, 185.0))
    """

    low: float | tuple[Any, ...]
    high: float | tuple[Any, ...]
    dist: str = "uniform"

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in TOML: ``{"low": ..., "high": ..., "dist": ...}``."""
        return {"low": plain(self.low), "high": plain(self.high), "dist": self.dist}


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


def _range(key: str, v: Any, value: Any) -> Uncertainty:
    where = f'uncertainty."{key}"'

    def bad(msg: str) -> KeyedError:
        return KeyedError(f"uncertainty.{key}", f"{where}: {msg}")

    if not isinstance(v, Mapping):
        raise bad(f"expected {{ low = ..., high = ..., dist = ... }}, got {v!r}")
    unknown = sorted(set(v) - {"low", "high", "dist"})
    if unknown:
        raise bad(f"unknown key {unknown[0]!r}; expected low, high, dist")
    for k in ("low", "high"):
        if k not in v:
            raise bad(f"missing {k!r}")
    dist = v.get("dist", "uniform")
    if dist not in DISTRIBUTIONS:
        raise bad(f"dist = {dist!r}: expected one of {', '.join(DISTRIBUTIONS)}")
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
    return Uncertainty(low=low, high=high, dist=str(dist))


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
