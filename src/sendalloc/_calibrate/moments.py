"""Targets measured on simulated rounds: :class:`Moments`.

Re-exported by :mod:`sendalloc.calibrate`, where it is documented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Moments"]


@dataclass(frozen=True, slots=True, eq=False)
class Moments:
    """Targets measured on simulated rounds: values and their Monte Carlo error.

    Attributes
    ----------
    names : tuple of str
        The targets' names.
    value : ndarray of float64, shape (T,)
        Each target's value over the runs: the sum of the measure's numerators
        over the sum of its denominators (NaN where they sum to 0); for an
        in-year target, the mean of each run's value.
    cov : ndarray of float64, shape (T, T)
        The Monte Carlo covariance of ``value`` (a ratio's linearisation:
        ``(num - value * den) / mean(den)`` per run, its covariance over the
        runs divided by their number).
    runs : int
    seed : int
    """

    names: tuple[str, ...]
    value: NDArray[np.float64]
    cov: NDArray[np.float64]
    runs: int
    seed: int

    @property
    def se(self) -> NDArray[np.float64]:
        """The Monte Carlo standard error of each value, shape (T,)."""
        return np.asarray(np.sqrt(np.maximum(np.diag(self.cov), 0.0)))

    @property
    def run_sd(self) -> NDArray[np.float64]:
        """The standard deviation of one run's contribution: ``se * sqrt(runs)``."""
        return np.asarray(self.se * math.sqrt(self.runs))

    def get(self, name: str) -> float:
        """The value of target ``name``."""
        return float(self.value[self.names.index(name)])

    def __repr__(self) -> str:
        body = ", ".join(
            f"{n}={v:.4g}" for n, v in zip(self.names, self.value.tolist(), strict=True)
        )
        return f"Moments(runs={self.runs}, {body})"
