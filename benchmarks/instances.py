"""Seeded benchmark instances: spatial preferences, skewed capacities.

The recipe (the same one the C yardstick used to calibrate these kernels uses):
N children live on a ring of M = N / 100 settings; each family ranks up to L
settings drawn from a window around their nearest one (the nearest is usually
ranked high); a fifth of families list fewer; capacities are lognormal and sum to
about 0.9 N; about 2% of settings have no places; a random processing order; and
per-setting random priorities aligned with the preference slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Instance", "make_instance"]


@dataclass(frozen=True)
class Instance:
    capacity: NDArray[np.int32]
    preferences: NDArray[np.int32]
    priority: NDArray[np.int32]
    order: NDArray[np.int32]


def make_instance(
    n: int,
    *,
    choices: int = 10,
    seed: int = 0,
    tightness: float = 0.9,
    window: int = 40,
) -> Instance:
    """Make one instance with ``n`` children and ``max(n // 100, 1)`` settings."""
    rng = np.random.default_rng(seed)
    m = max(n // 100, 1)
    width = min(choices, m)
    window = max(min(window, m), width)
    home = rng.integers(0, m, size=n)
    prefs = np.empty((n, width), dtype=np.int32)
    chunk = 200_000  # bounded temporary memory at n = 1e6
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        noise = rng.random((hi - lo, window))
        noise[:, window // 2] -= 0.5  # the home setting tends to come first
        picks = np.argsort(noise, axis=1)[:, :width]
        prefs[lo:hi] = (home[lo:hi, None] + picks - window // 2) % m
    shorter = rng.random(n) < 0.2
    keep = rng.integers(1, width + 1, size=n)
    prefs[shorter[:, None] & (np.arange(width)[None, :] >= keep[:, None])] = -1
    weight = rng.lognormal(0.0, 0.5, size=m)
    capacity = np.floor(weight / weight.sum() * n * tightness).astype(np.int32)
    capacity[rng.random(m) < 0.02] = 0
    order = rng.permutation(n).astype(np.int32)
    priority = rng.permutation(n * width).reshape(n, width).astype(np.int32)
    return Instance(capacity, prefs, priority, order)
