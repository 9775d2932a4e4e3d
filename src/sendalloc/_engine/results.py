"""The result classes of a Monte Carlo simulation.

A :class:`SimulationResult` holds every run's metrics for every policy; a
:class:`DynamicResult` (a subclass) those of an in-year or multi-year
simulation. They summarise through :mod:`sendalloc._engine.stats` and render
through :mod:`sendalloc._report` (text, JSON, CSV, frames, figures), which
reads them only through a small protocol.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.stats import Summary, index_of, interval_text, summarise
from sendalloc._engine.streams import Root, seed_text
from sendalloc._report import data, figures, html, text
from sendalloc._report.common import PERCENT_METRICS
from sendalloc.metrics import GROUP_METRICS, METRICS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["SUMMARY_BY", "DynamicResult", "SimulationResult"]

#: Breakdowns a :class:`Summary` can be taken over (``None`` is the overall one).
SUMMARY_BY: tuple[str, ...] = ("need", "phase", "kind", "target", "rank")


@dataclass(frozen=True, slots=True, eq=False)
class SimulationResult:
    """Per-run metrics of every mechanism over a Monte Carlo simulation.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    mechanisms : tuple of str
    runs : int
    seed : int or numpy.random.SeedSequence
        The root of the runs' streams: passed back to
        :func:`~sendalloc.simulate` as ``seed`` it gives the same result (for
        ``seed=None``, the fresh entropy drawn; for a Generator, the child
        sequence spawned from it).
    values : ndarray of float64, shape (runs, n_mech, len(METRICS))
        Scalar metrics per run and mechanism (:data:`sendalloc.metrics.METRICS`).
    rank_profile : ndarray of float64, shape (runs, n_mech, L)
        Share of children placed at their k-th ranked setting; L is the widest
        ranking seen in any run.
    groups : dict of str to ndarray of float64, shape (runs, n_mech, G, n_gm)
        Breakdowns by "need", "phase", "kind" and "target" with the columns of
        :data:`sendalloc.metrics.GROUP_METRICS`.
    group_labels : dict of str to tuple of str
    description : str
        The scenario's one-line description.
    metrics : tuple of str
        The columns of ``values``.
    uncertainty : str
        What each run drew besides its children (one of
        ``"none"``, ``"assumptions"``, ``"layout"``, ``"assumptions+layout"``),
        and so what the 95% ranges of :meth:`summary` cover: the simulated
        rounds only, or the rounds and the assumptions (and layouts).
        :attr:`interval` names it; every renderer shows that name.
    """

    scenario: str
    mechanisms: tuple[str, ...]
    runs: int
    seed: Root
    values: NDArray[np.float64]
    rank_profile: NDArray[np.float64]
    groups: dict[str, NDArray[np.float64]]
    group_labels: dict[str, tuple[str, ...]]
    description: str = ""
    metrics: tuple[str, ...] = field(default=METRICS)
    uncertainty: str = "none"

    @property
    def interval(self) -> str:
        """What the 95% ranges are over, e.g. "95% range over simulated rounds".

        Examples
        --------
        >>> import sendalloc as sa
        >>> r = sa.simulate("london_borough", ["first_available"], runs=2, seed=1)
        >>> r.interval
        '95% range over simulated rounds'
        """
        unit = "simulated rounds" if self.mode == "annual" else "simulated runs"
        return interval_text(self.uncertainty, unit)

    @property
    def mode(self) -> str:
        """The scenario's mode: ``"annual"`` here (a :class:`DynamicResult` differs)."""
        return "annual"

    @property
    def years(self) -> int:
        """Simulated years per run: 1 here (a :class:`DynamicResult` may differ)."""
        return 1

    def metric(self, name: str, mechanism: str | None = None) -> NDArray[np.float64]:
        """Per-run values of one metric, shape (runs, n_mech) or (runs,).

        Examples
        --------
        >>> import sendalloc as sa
        >>> r = sa.simulate("london_borough", ["first_available"], runs=4, seed=1)
        >>> r.metric("placed_on_list", "first_available").shape
        (4,)
        """
        k = index_of(self.metrics, name, "metric")
        if mechanism is None:
            return self.values[:, :, k]
        return self.values[:, index_of(self.mechanisms, mechanism, "mechanism"), k]

    def summary(self, by: str | None = None) -> Summary:
        """Mean, 95% interval over runs and Monte Carlo standard error.

        Parameters
        ----------
        by : {None, "need", "phase", "kind", "target", "rank"}
            Overall (default), a breakdown, or the rank profile.

        Returns
        -------
        Summary

        Examples
        --------
        >>> import sendalloc as sa
        >>> r = sa.simulate("london_borough", ["first_available"], runs=8, seed=1)
        >>> s = r.summary()
        >>> sorted(s.get("first_available", "first_preference"))
        ['ci_high', 'ci_low', 'mean', 'se']
        >>> cell = s.get("first_available", "placed_on_list")
        >>> cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
        True
        >>> runs = r.metric("placed_on_list", "first_available")
        >>> bool(abs(cell["mean"] - runs.mean()) < 1e-12)
        True
        """
        if by is None:
            arrays = self.values[:, :, None, :]
            groups: tuple[str, ...] = ("all",)
            metrics = self.metrics
        elif by == "rank":
            arrays = self.rank_profile[:, :, :, None]
            groups = tuple(str(k + 1) for k in range(self.rank_profile.shape[2]))
            metrics = ("share",)
        elif by in self.groups:
            arrays = self.groups[by]
            groups = self.group_labels[by]
            metrics = GROUP_METRICS
        else:
            raise ValueError(
                f"by: expected None or one of {', '.join(SUMMARY_BY)}, got {by!r}"
            )
        mean, lo, hi, se, n = summarise(arrays)
        return Summary(
            self.mechanisms,
            groups,
            metrics,
            by,
            mean,
            lo,
            hi,
            se,
            n,
            percent=PERCENT_METRICS,
            uncertainty=self.uncertainty,
        )

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``sendalloc run --json`` as a plain dict.

        See docs/output.md for the schema.

        Returns
        -------
        dict
        """
        return data.result_dict(self)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """Serialise :meth:`to_dict` as JSON (and write it to ``path`` if given).

        Returns
        -------
        str
        """
        return data.dump_json(self.to_dict(), path)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Every summary statistic as a long CSV table (written to ``path`` if given).

        Columns: ``section, mechanism, group, metric, mean, ci_low, ci_high, se``.

        Returns
        -------
        str
        """
        return data.to_csv(self, path)

    def to_frame(self, by: str | None = None, *, per_run: bool = False) -> pd.DataFrame:
        """A pandas DataFrame (needs the ``pandas`` extra).

        Parameters
        ----------
        by : {None, "need", "phase", "kind", "target", "rank"}
        per_run : bool, default False
            One row per run, mechanism (group) and metric with its ``value``,
            instead of the summary statistics.

        Returns
        -------
        pandas.DataFrame
            Long format: ``mechanism, [group], metric`` and the statistics.
        """
        return data.to_frame(self, by, per_run=per_run)

    def table(self) -> str:
        """The readable text table printed by ``sendalloc run``.

        Returns
        -------
        str
        """
        return text.table(self)

    def headline(self) -> str:
        """A one-paragraph plain-English summary.

        Returns
        -------
        str
        """
        return text.headline(self)

    def plot(self, path: str | os.PathLike[str] | None = None) -> Figure:
        """Figures: mechanisms side by side, rank profile, breakdown by need.

        Needs the ``plot`` extra (matplotlib). Saves to ``path`` if given.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return figures.plot(self, path)

    def __repr__(self) -> str:
        return (
            f"SimulationResult(scenario={self.scenario!r}, runs={self.runs}, "
            f"seed={seed_text(self.seed)}, mechanisms={list(self.mechanisms)})"
        )

    def _repr_html_(self) -> str:
        """The headline table for notebooks (what :meth:`table` prints, as HTML)."""
        return html.result_html(self)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class DynamicResult(SimulationResult):
    """Per-run time metrics of an in-year or multi-year simulation.

    A :class:`~sendalloc.SimulationResult` (so code written for annual results
    keeps working) whose ``metrics`` are
    :data:`~sendalloc.dynamic.DYNAMIC_METRICS`, pooled over every child of
    every simulated year (idle place-days and annual cost are per year), whose
    ``rank_profile`` is of the places held at the year's end, and whose
    ``groups`` add the breakdowns ``"month"`` (12 per year,
    :data:`~sendalloc.dynamic.MONTHLY_METRICS`) and ``"year"``
    (:data:`~sendalloc.dynamic.YEARLY_METRICS`). A projection's metrics are
    :data:`~sendalloc.dynamic.PROJECTION_METRICS` and its year columns
    :data:`~sendalloc.dynamic.PROJECTION_YEARLY_METRICS`; a child carried over
    is counted once in each year they are in the round.

    Attributes
    ----------
    mode : {"in_year", "multi_year"}
    years : int
    group_metrics : dict of str to tuple of str
        The columns of each breakdown in ``groups``.
    """

    mode: str
    years: int
    group_metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def summary(self, by: str | None = None) -> Summary:
        """Mean, 95% interval over runs and Monte Carlo standard error.

        Parameters
        ----------
        by : {None, "need", "phase", "kind", "rank", "month", "year"}

        Returns
        -------
        Summary

        Examples
        --------
        >>> import sendalloc as sa
        >>> sc = sa.load_scenario("london_borough").with_overrides(
        ...     {"mode": "in_year"})
        >>> r = sa.simulate(sc, ["first_available"], runs=3, seed=1)
        >>> r.summary("month").groups[:3]
        ('Jan', 'Feb', 'Mar')
        >>> mon = r.summary("month")  # every child arrives in some month
        >>> arrivals = mon.mean[0, :, mon.metrics.index("arrivals")].sum()
        >>> children = r.summary().get("first_available", "children")["mean"]
        >>> bool(abs(arrivals - children) < 1e-9)
        True
        """
        if by is None or by == "rank":
            return SimulationResult.summary(self, by)
        if by not in self.groups:
            raise ValueError(
                "by: expected None or one of need, phase, kind, rank, month, year, "
                f"got {by!r}"
            )
        labels, metrics = self.group_labels[by], self.group_metrics[by]
        return Summary(
            self.mechanisms,
            labels,
            metrics,
            by,
            *summarise(self.groups[by]),
            percent=PERCENT_METRICS,
            uncertainty=self.uncertainty,
        )

    def __repr__(self) -> str:
        return (
            f"DynamicResult(scenario={self.scenario!r}, mode={self.mode!r}, "
            f"years={self.years}, runs={self.runs}, seed={seed_text(self.seed)}, "
            f"mechanisms={list(self.mechanisms)})"
        )
