"""Converters from TOML values to the fields of a scenario's sections.

Each converter takes a value as parsed from TOML and the key it was read from,
and returns the field's value or raises :class:`~sendalloc.population.KeyedError`
naming the key (the scenario reader adds the file, line and column).
:func:`spec_field` declares a section field: its converter, its encoder back to
TOML and its valid values (a :class:`~sendalloc._keys.KeyRange`, which both the
checks and :func:`~sendalloc.scenario.describe_keys` read).
:func:`build_section` reads a whole section (a dataclass of such fields) from a
table and :func:`encode_section` writes it back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import plain
from sendalloc._keys import KeyRange
from sendalloc.population import KINDS, NEEDS, KeyedError, bad

__all__ = [
    "age_bands",
    "array",
    "boolean",
    "build_section",
    "encode_need_map",
    "encode_section",
    "int_pairs",
    "integer",
    "integers",
    "need_map",
    "need_profiles",
    "need_taste_table",
    "normalised_weights",
    "number",
    "numbers",
    "spec_field",
    "string",
    "strings",
    "taste_table",
]

_N = len(NEEDS)


def number(v: Any, key: str) -> float:
    """A finite number (``int`` or ``float``, not ``bool``), as a float."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        raise bad(key, v, "expected a finite number")
    return float(v)


def integer(v: Any, key: str) -> int:
    """An integer (not ``bool``)."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise bad(key, v, "expected an integer")
    return int(v)


def boolean(v: Any, key: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(v, bool):
        raise bad(key, v, "expected true or false")
    return v


def string(v: Any, key: str) -> str:
    """A string."""
    if not isinstance(v, str):
        raise bad(key, v, "expected a string")
    return v


def strings(v: Any, key: str) -> tuple[str, ...]:
    """An array of strings, as a tuple."""
    return tuple(string(x, f"{key}.{i}") for i, x in enumerate(array(v, key)))


def array(v: Any, key: str) -> list[Any]:
    """A TOML array (a list or tuple, not a string or a table), as a list."""
    if isinstance(v, str | bytes | Mapping) or not isinstance(v, list | tuple):
        raise bad(key, v, "expected an array")
    return list(v)


def numbers(v: Any, key: str) -> tuple[float, ...]:
    """An array of finite numbers, as a tuple of floats."""
    return tuple(number(x, f"{key}.{i}") for i, x in enumerate(array(v, key)))


def integers(v: Any, key: str) -> tuple[int, ...]:
    """An array of integers, as a tuple."""
    return tuple(integer(x, f"{key}.{i}") for i, x in enumerate(array(v, key)))


def int_pairs(v: Any, key: str) -> tuple[tuple[int, ...], ...]:
    """An array of ``[low, high]`` integer pairs."""
    out = tuple(integers(x, f"{key}.{i}") for i, x in enumerate(array(v, key)))
    for i, p in enumerate(out):
        if len(p) != 2:
            raise bad(f"{key}.{i}", list(p), "expected [low, high]")
    return out


def age_bands(v: Any, key: str) -> tuple[tuple[float, ...], ...]:
    """An array of ``[first age, last age, weight]`` bands."""
    out = tuple(numbers(x, f"{key}.{i}") for i, x in enumerate(array(v, key)))
    for i, b in enumerate(out):
        if len(b) != 3 or b[0] != int(b[0]) or b[1] != int(b[1]) or b[1] < b[0]:
            raise bad(f"{key}.{i}", list(b), "expected [first age, last age, weight]")
    return out


def need_map(v: Any, key: str) -> tuple[float, ...]:
    """A table of need code = number, as one number per code of ``NEEDS``."""
    if not isinstance(v, Mapping):
        raise bad(key, v, "expected a table of need code = number")
    out = [0.0] * _N
    for code, x in v.items():
        if code not in NEEDS:
            raise bad(
                f"{key}.{code}", x, f"unknown need code; expected {', '.join(NEEDS)}"
            )
        out[NEEDS.index(code)] = number(x, f"{key}.{code}")
    return tuple(out)


def encode_need_map(t: tuple[float, ...]) -> dict[str, float]:
    """The table :func:`need_map` reads back: the codes with a non-zero number."""
    return {c: v for c, v in zip(NEEDS, t, strict=True) if v != 0}


def need_profiles(v: Any, key: str) -> tuple[tuple[str, ...], ...]:
    """An array of designation profiles, each an array of need codes."""
    out = []
    for i, row in enumerate(array(v, key)):
        codes = tuple(
            string(c, f"{key}.{i}.{j}") for j, c in enumerate(array(row, f"{key}.{i}"))
        )
        for j, c in enumerate(codes):
            if c not in NEEDS:
                raise bad(f"{key}.{i}.{j}", c, f"unknown need code; expected {NEEDS}")
        out.append(codes)
    return tuple(out)


def taste_table(v: Any, key: str) -> tuple[tuple[str, float], ...]:
    """A table of setting kind = number, as ``(kind, number)`` pairs."""
    if not isinstance(v, Mapping):
        raise bad(key, v, "expected a table of kind = number")
    for k in v:
        if k not in KINDS:
            raise bad(f"{key}.{k}", v[k], f"unknown kind; expected one of {KINDS}")
    return tuple((str(k), number(x, f"{key}.{k}")) for k, x in v.items())


def need_taste_table(
    v: Any, key: str
) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    """A table of need code = {kind = number}, as nested pairs."""
    if not isinstance(v, Mapping):
        raise bad(key, v, "expected a table of need code = {kind = number}")
    for c in v:
        if c not in NEEDS:
            raise bad(f"{key}.{c}", v[c], f"unknown need code; expected {NEEDS}")
    return tuple((str(c), taste_table(x, f"{key}.{c}")) for c, x in v.items())


def _spec(
    conv: Callable[[Any, str], Any], enc: Callable[[Any], Any] | None = None
) -> Any:
    return {"conv": conv, "enc": enc}


def spec_field(
    default: Any = MISSING,
    conv: Callable[[Any, str], Any] | None = None,
    enc: Callable[[Any], Any] | None = None,
    *,
    doc: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] = (),
    length: tuple[int, int | None] | None = None,
    labels: tuple[str, ...] = (),
    rule: str = "",
) -> Any:
    """A spec field: converter, encoder and its valid values (see sendalloc._keys)."""
    md = {} if conv is None else _spec(conv, enc)
    md["range"] = KeyRange(
        low, high, low_open, high_open, choices, length, labels, doc, rule
    )
    if default is MISSING:
        return field(metadata=md)
    return field(default=default, metadata=md)


def normalised_weights(w: tuple[float, ...], n: int, key: str) -> NDArray[np.float64]:
    """Weights summing to 1: ``w`` normalised, or equal weights if ``w`` is empty."""
    if not w:
        return np.full(n, 1.0 / n)
    a = np.asarray(w, dtype=np.float64)
    if a.shape != (n,) or (a < 0).any() or a.sum() <= 0:
        raise bad(key, list(w), f"expected {n} non-negative weights, not all 0")
    return np.asarray(a / a.sum())


def build_section(cls: type, d: Any, path: str) -> Any:
    """Section ``cls`` from the table ``d`` read at dotted key ``path``.

    Unknown and missing keys, and invalid values, raise
    :class:`~sendalloc.population.KeyedError` naming the dotted key.
    """
    if not isinstance(d, Mapping):
        raise KeyedError(path, f"{path}: expected a table, got {d!r}")
    fs = {f.name: f for f in fields(cls)}
    for k in d:
        if k not in fs:
            raise KeyedError(
                f"{path}.{k}",
                f"{path}.{k}: unknown key; expected one of {', '.join(fs)}",
            )
    kw: dict[str, Any] = {}
    for name, f in fs.items():
        if name not in d:
            if f.default is MISSING:
                raise KeyedError(path, f"{path}: missing required key {name!r}")
            continue
        v = d[name]
        conv = f.metadata.get("conv")
        if conv is None:  # plain field of a class from another module
            default = f.default
            if isinstance(default, bool):
                conv = boolean
            elif isinstance(default, int):
                conv = integer
            elif isinstance(default, float):
                conv = number
            else:
                conv = string
        try:
            kw[name] = conv(v, name)
        except KeyedError as e:
            raise KeyedError(f"{path}.{e.key}", f"{path}.{e.message}") from None
    try:
        return cls(**kw)
    except KeyedError as e:
        raise KeyedError(f"{path}.{e.key}", f"{path}.{e.message}") from None


def encode_section(obj: Any) -> dict[str, Any]:
    """A section as the plain table :func:`build_section` reads back."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if v is None:
            continue
        enc = f.metadata.get("enc")
        if enc is not None:
            v = enc(v)
        out[f.name] = plain(v)
    return out
