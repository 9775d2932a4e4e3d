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

from sendalloc._engine.policies import PROPOSAL
from sendalloc._engine.stats import (
    Summary,
    index_of,
    interval_text,
    summarise,
    unpaired,
)
from sendalloc._engine.streams import Root, seed_text
from sendalloc._report import data, figures, html, text
from sendalloc._report.common import PERCENT_METRICS
from sendalloc.metrics import GROUP_METRICS, GROUPINGS, METRICS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["SUMMARY_BY", "DynamicResult", "SimulationResult"]

#: Breakdowns a :class:`Summary` can be taken over (``None`` is the overall one):
#: those of :data:`sendalloc.metrics.GROUPINGS`, and the rank profile.
SUMMARY_BY: tuple[str, ...] = (*GROUPINGS, "rank")


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
        The breakdowns of :data:`sendalloc.metrics.GROUPINGS` ("need",
        "phase", "kind", "target", "area", and "target_need", "target_phase",
        "target_area" within the target group) with the columns of
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
        by : {None, "rank"} or a name in :data:`sendalloc.metrics.GROUPINGS`
            Overall (default), the rank profile, or a breakdown ("need",
            "phase", "kind", "target", "area", "target_need", "target_phase",
            "target_area").

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
        arrays, groups, metrics = self.per_run_values(by)
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

    def per_run_values(
        self, by: str | None = None
    ) -> tuple[NDArray[np.float64], tuple[str, ...], tuple[str, ...]]:
        """Every run's values of a summary, before it is summarised.

        Parameters
        ----------
        by : str, optional
            As for :meth:`summary`.

        Returns
        -------
        values : ndarray of float64, shape (runs, n_mech, n_groups, n_metrics)
        groups, metrics : tuple of str
            The labels of its last two axes.
        """
        if by is None:
            return self.values[:, :, None, :], ("all",), self.metrics
        if by == "rank":
            groups = tuple(str(k + 1) for k in range(self.rank_profile.shape[2]))
            return self.rank_profile[:, :, :, None], groups, ("share",)
        if by in self.groups:
            return self.groups[by], self.group_labels[by], self.group_metrics_of(by)
        raise ValueError(
            f"by: expected None or one of {', '.join(self.summary_by)}, got {by!r}"
        )

    @property
    def summary_by(self) -> tuple[str, ...]:
        """The breakdowns :meth:`summary` takes, and ``"rank"``."""
        return (*self.groups, "rank")

    def group_metrics_of(self, by: str) -> tuple[str, ...]:
        """The columns of breakdown ``by``."""
        return GROUP_METRICS

    def differences(
        self, by: str | None = None, *, proposal: str = PROPOSAL
    ) -> Summary:
        """The proposal minus every other policy, run by run on the same rounds.

        Every policy of a simulation places the same simulated children in
        each run (common random numbers), so the difference between two of
        them is taken within each run, and then summarised over runs like any
        metric: its mean, the range that holds 95% of the rounds' differences,
        and the Monte Carlo standard error of the mean difference. This is the
        *paired* difference; :meth:`difference` also gives the unpaired one.

        Parameters
        ----------
        by : str, optional
            As for :meth:`summary` (overall by default).
        proposal : str, default "first_available"

        Returns
        -------
        Summary
            Its ``mechanisms`` are the other policies, in run order; each cell
            is ``proposal`` minus that policy. Empty (no mechanisms) when the
            proposal was not run or ran alone.

        Examples
        --------
        >>> import sendalloc as sa
        >>> r = sa.simulate("london_borough", ["status_quo", "first_available"],
        ...                 runs=6, seed=1)
        >>> d = r.differences()
        >>> d.mechanisms
        ('status_quo',)
        >>> per_run = r.metric("unplaced", "first_available") - r.metric(
        ...     "unplaced", "status_quo")
        >>> bool(abs(d.get("status_quo", "unplaced")["mean"] - per_run.mean()) < 1e-12)
        True
        """
        arrays, groups, metrics = self.per_run_values(by)
        if proposal in self.mechanisms:
            p = self.mechanisms.index(proposal)
            others = tuple(m for m in self.mechanisms if m != proposal)
            idx = [self.mechanisms.index(m) for m in others]
            diff = arrays[:, [p]] - arrays[:, idx]
        else:
            others = ()
            diff = arrays[:, :0]
        return Summary(
            others,
            groups,
            metrics,
            by,
            *summarise(diff),
            percent=PERCENT_METRICS,
            uncertainty=self.uncertainty,
        )

    def difference(
        self,
        metric: str,
        a: str,
        b: str,
        *,
        group: str | None = None,
        by: str | None = None,
        paired: bool = True,
    ) -> dict[str, float]:
        """One metric of policy ``a`` minus policy ``b``, with its interval.

        Parameters
        ----------
        metric : str
        a, b : str
            Policies of the run.
        group, by : str, optional
            A group of a breakdown (as for :meth:`Summary.get`).
        paired : bool, default True
            Paired: the difference within each run (both policies placed the
            same simulated children), summarised over runs. Unpaired: what it
            would be had the two run on separate rounds: the same mean, the
            range that holds 95% of the differences between a round of ``a``
            and any round of ``b`` (every pair of runs), and the standard error
            ``sqrt(se_a**2 + se_b**2)``.

        Returns
        -------
        dict
            ``{"mean", "ci_low", "ci_high", "se"}``.

        Notes
        -----
        With common random numbers the paired difference's variance is
        ``var(a) + var(b) - 2 cov(a, b)``: narrower than the unpaired
        ``var(a) + var(b)`` whenever the two policies do well and badly on the
        same rounds, as two rules facing the same shortage of places do.

        Examples
        --------
        >>> import sendalloc as sa
        >>> r = sa.simulate("london_borough", ["first_available",
        ...                 "random_serial_dictatorship"], runs=30, seed=1)
        >>> args = ("unplaced", "first_available", "random_serial_dictatorship")
        >>> p = r.difference(*args)
        >>> u = r.difference(*args, paired=False)
        >>> bool(abs(p["mean"] - u["mean"]) < 1e-12)
        True
        >>> bool(p["ci_high"] - p["ci_low"] < u["ci_high"] - u["ci_low"])
        True
        """
        arrays, groups, metrics = self.per_run_values(by)
        g = 0 if group is None else index_of(groups, group, "group")
        k = index_of(metrics, metric, "metric")
        x = arrays[:, index_of(self.mechanisms, a, "mechanism"), g, k]
        y = arrays[:, index_of(self.mechanisms, b, "mechanism"), g, k]
        if paired:
            mean, lo, hi, se, _ = summarise((x - y)[:, None])
            return {
                "mean": float(mean[0]),
                "ci_low": float(lo[0]),
                "ci_high": float(hi[0]),
                "se": float(se[0]),
            }
        return unpaired(x, y)

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
        by : {None, "rank"} or a name in :data:`sendalloc.metrics.GROUPINGS`
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
        by : {None, "need", "phase", "kind", "target", "rank", "month", "year"}

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
        return SimulationResult.summary(self, by)

    def group_metrics_of(self, by: str) -> tuple[str, ...]:
        """The columns of breakdown ``by``."""
        return self.group_metrics[by]

    def __repr__(self) -> str:
        return (
            f"DynamicResult(scenario={self.scenario!r}, mode={self.mode!r}, "
            f"years={self.years}, runs={self.runs}, seed={seed_text(self.seed)}, "
            f"mechanisms={list(self.mechanisms)})"
        )
