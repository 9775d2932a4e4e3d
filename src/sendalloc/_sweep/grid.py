"""A sweep's grid: its values checked and made canonical, each variant's key and stream.

Internal to :func:`sendalloc.sweep`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sendalloc._arrays import plain

__all__ = ["canon_text", "key_of_variant", "normalise_grid", "spawn_key_of"]


# --------------------------------------------------------------------------- grid
def _check_value(v: Any, where: str) -> None:
    if isinstance(v, bool | str | int):
        return
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{where}: expected a finite number, got {v!r}")
        return
    if isinstance(v, list | tuple):
        for i, x in enumerate(v):
            _check_value(x, f"{where}[{i}]")
        return
    raise TypeError(
        f"{where}: expected a TOML value (number, string, boolean or array), "
        f"got {type(v).__name__}"
    )


def normalise_grid(
    grid: Mapping[str, Iterable[Any]],
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not isinstance(grid, Mapping):
        raise TypeError(
            "grid: expected a mapping of dotted scenario keys to lists of values, "
            f"got {type(grid).__name__}"
        )
    out: list[tuple[str, tuple[Any, ...]]] = []
    for key, values in grid.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"grid: keys must be dotted scenario keys, got {key!r}")
        if isinstance(values, str | bytes | Mapping) or not isinstance(
            values, Iterable
        ):
            raise TypeError(f"grid[{key!r}]: expected a list of values, got {values!r}")
        vals = tuple(plain(v) for v in values)
        if not vals:
            raise ValueError(f"grid[{key!r}]: expected at least one value")
        for i, v in enumerate(vals):
            _check_value(v, f"grid[{key!r}][{i}]")
        canon = [canon_text(v) for v in vals]
        if len(set(canon)) != len(canon):
            raise ValueError(f"grid[{key!r}]: duplicate values in {list(vals)}")
        out.append((key, vals))
    return tuple(out)


def _canon(v: Any) -> Any:
    """A value as it identifies a variant: whole floats as ints (0.0 is 0)."""
    if isinstance(v, list | tuple):
        return [_canon(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def canon_text(v: Any) -> str:
    return json.dumps(_canon(v), separators=(",", ":"))


def key_of_variant(keys: Sequence[str], values: Sequence[Any]) -> str:
    """Canonical text of a variant: its sorted ``key=value`` pairs as JSON."""
    pairs = {k: _canon(v) for k, v in zip(keys, values, strict=True)}
    return json.dumps(pairs, sort_keys=True, separators=(",", ":"))


def spawn_key_of(variant_key: str, common: bool) -> tuple[int, ...]:
    """The spawn key prefix of a variant's run streams.

    With common random numbers every variant uses the root streams
    ``SeedSequence(seed).spawn(runs)`` (those of :func:`~sendalloc.simulate`);
    otherwise four 32-bit words of the SHA-256 of the variant's canonical key.
    The variant without overrides always uses the root streams.
    """
    if common or variant_key == "{}":
        return ()
    h = hashlib.sha256(variant_key.encode("utf-8")).digest()
    return tuple(int.from_bytes(h[i : i + 4], "little") for i in range(0, 16, 4))
