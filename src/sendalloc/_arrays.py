"""Small array helpers shared across sendalloc (internal; imports nothing of it)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["largest_remainder", "plain", "safe_divide"]


def safe_divide(num: ArrayLike, den: ArrayLike) -> NDArray[np.float64]:
    """``num / den`` elementwise, NaN where ``den`` is not positive.

    Examples
    --------
    >>> safe_divide(np.array([1.0, 2.0]), np.array([4.0, 0.0]))
    array([0.25,  nan])
    """
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def largest_remainder(exact: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """Round non-negative shares ``exact`` (summing to ``total``) to integers.

    Each share is rounded down, then the ``total - sum`` units left over go to
    the largest fractional parts (ties to the first): Hamilton's method. The
    caller computes ``exact``, so its floating-point expression stays its own.

    Examples
    --------
    >>> largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist()
    [2, 1, 1]
    """
    base: NDArray[np.int64] = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        base[np.argsort(-(exact - base), kind="stable")[:short]] += 1
    return base


def plain(v: Any) -> Any:
    """A value as plain Python for TOML and JSON: tuples become lists, numpy scalars.

    Examples
    --------
    >>> plain((1, np.int64(2), {"a": (3.5,)}))
    [1, 2, {'a': [3.5]}]
    """
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    return v
