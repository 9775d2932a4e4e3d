"""``SensitivityResult``: the indices of an analysis, as tables, JSON or a tornado plot.

Public names are re-exported by :mod:`sendalloc.sensitivity`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.streams import Root
from sendalloc._report import sensitivity as render
from sendalloc._report.data import dump_json

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

from sendalloc._sensitivity.measures import Measure

__all__ = ["SensitivityResult"]


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, slots=True, eq=False)
class SensitivityResult:
    """The indices of a global sensitivity analysis, with what it ran.

    Attributes
    ----------
    scenario : str
    method : {"sobol", "morris"}
    mechanism : str
        The mechanism whose outcome is measured.
    measures : tuple of str
        As :class:`Measure` writes them.
    parameters : tuple of str
        The parameters (groups of dimensions) the indices are of, in the
        order of the space.
    members : dict of str to tuple of str
        The dimensions of the assumption space in each parameter.
    grouping : str
        How dimensions were grouped: ``"key"``, ``"theme"``, ``"dimension"``
        or ``"custom"``.
    samples : int
        Sobol base samples N, or Morris trajectories.
    runs : int
        Simulated rounds per evaluation (the same rounds, by their seeds, in
        every evaluation: common random numbers).
    evaluations : int
        Sampled scenarios simulated for the indices (``N (G + 2)`` for Sobol,
        ``N (G + 1)`` for Morris, G parameters); the one-at-a-time swings add
        ``2 G`` more, and the scenario as written one.
    seed : int
    conf_level : float
        Of the confidence intervals (bootstrap, SALib's default method).
    resamples : int
        Bootstrap resamples behind the intervals.
    indices : dict of str to ndarray of float64, shape (n_measures, n_params)
        Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; Morris: ``mu_star``,
        ``mu_star_conf``, ``mu``, ``sigma`` (per unit of the quantile scale:
        every parameter moves from 0 to 1); ``*_conf`` is the half-width of
        the interval.
    base : ndarray of float64, shape (n_measures,)
        The measures with every assumption at the scenario's value.
    low, high : ndarray of float64, shape (n_measures, n_params)
        One at a time: each parameter at the low (high) end of its range, the
        others at the scenario's values (the tornado's bars).
    points : ndarray of float64, shape (evaluations, n_dims)
        The sampled quantiles of every dimension (SALib's sample).
    outputs : ndarray of float64, shape (evaluations, n_measures)
        The measures at each point.
    dimensions : tuple of str
        The names of the columns of ``points``.
    """

    scenario: str
    method: str
    mechanism: str
    measures: tuple[str, ...]
    parameters: tuple[str, ...]
    members: dict[str, tuple[str, ...]]
    grouping: str
    samples: int
    runs: int
    evaluations: int
    seed: Root
    conf_level: float
    resamples: int
    indices: dict[str, NDArray[np.float64]]
    base: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    points: NDArray[np.float64] = field(repr=False)
    outputs: NDArray[np.float64] = field(repr=False)
    dimensions: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"SensitivityResult(scenario={self.scenario!r}, method={self.method!r}, "
            f"measures={list(self.measures)}, parameters={len(self.parameters)}, "
            f"evaluations={self.evaluations}, runs={self.runs})"
        )

    @property
    def key_index(self) -> str:
        """The index the ranking is by: ``"ST"`` (Sobol) or ``"mu_star"`` (Morris)."""
        return "ST" if self.method == "sobol" else "mu_star"

    def ranking(self, measure: str | None = None) -> tuple[str, ...]:
        """Parameters from the most to the least influential on one measure.

        By the total Sobol index (Morris: mu*); ``measure`` defaults to the
        first.
        """
        i = self._measure_index(measure)
        order = np.argsort(-np.nan_to_num(self.indices[self.key_index][i], nan=-1.0))
        return tuple(self.parameters[j] for j in order)

    def _measure_index(self, measure: str | None) -> int:
        if measure is None:
            return 0
        name = str(Measure.parse(measure))
        if name not in self.measures:
            raise ValueError(
                f"measure {name!r} was not analysed; analysed: "
                f"{', '.join(self.measures)}"
            )
        return self.measures.index(name)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready): settings, then per measure and parameter.

        See docs/sensitivity.md for the schema.
        """
        return render.result_dict(self)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """:meth:`to_dict` as JSON (written to ``path`` if given)."""
        return dump_json(self.to_dict(), path)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """One row per measure and parameter (written to ``path`` if given).

        Columns: ``measure, parameter, rank``, the method's indices, ``low,
        high`` (the one-at-a-time swings) and ``base``.
        """
        return render.to_csv(self, path)

    def to_frame(self) -> pd.DataFrame:
        """The rows of :meth:`to_csv` as a pandas DataFrame (the ``pandas`` extra)."""
        return render.to_frame(self)

    def table(self, measure: str | None = None, *, top: int | None = None) -> str:
        """The ranking of one measure (default: each) as a text table."""
        names = self.measures if measure is None else (str(Measure.parse(measure)),)
        return "\n\n".join(
            render.table(self, self._measure_index(m), top=top) for m in names
        )

    def plot(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        measure: str | None = None,
        top: int | None = 20,
    ) -> Figure:
        """A tornado figure of one measure (the ``plot`` extra: matplotlib).

        Left: the indices, largest at the top, with their confidence intervals;
        right: the measure with each parameter at the low and the high end of
        its range, the others at the scenario's values. Saved to ``path`` if
        given.
        """
        return render.plot(self, self._measure_index(measure), path, top=top)
