"""Statistics over Monte Carlo runs: :class:`Summary` and the interval maths.

Every summary sendalloc reports is the mean over runs, the 2.5th and 97.5th
percentiles over runs (the 95% range from one simulated round to the next) and
the Monte Carlo standard error of the mean, computed by :func:`summarise` with
runs in which a metric is undefined (NaN) left out.

What the 95% range covers depends on what each run drew (:data:`UNCERTAINTY`):
only the simulated children and places (the default, ``"none"``), or also the
scenario's uncertain assumptions, or a layout of settings, drawn per run.
:func:`interval_text` names it; every renderer uses that name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._html import html_table, number, short_list

__all__ = [
    "UNCERTAINTY",
    "Summary",
    "clean",
    "drawn_text",
    "index_of",
    "interval_text",
    "quantile_sorted",
    "summarise",
]

#: What a run may draw besides its children, and so what an interval covers:
#: ``"none"`` (the scenario as written), ``"assumptions"`` (every
#: ``[uncertainty]`` range drawn per run), ``"layout"`` (a new layout of the
#: settings per run) or both.
UNCERTAINTY: tuple[str, ...] = ("none", "assumptions", "layout", "assumptions+layout")
_OVER: dict[str, str] = {
    "none": "",
    "assumptions": " and assumptions",
    "layout": " and layouts",
    "assumptions+layout": ", assumptions and layouts",
}
_DRAWN: dict[str, str] = {
    "none": "",
    "assumptions": ", each with its own draw of the assumptions,",
    "layout": ", each with its own layout of settings,",
    "assumptions+layout": ", each with its own draw of the assumptions and "
    "layout of settings,",
}


def interval_text(uncertainty: str, unit: str = "simulated rounds") -> str:
    """What a result's 95% range is over, in words.

    Examples
    --------
    >>> interval_text("none")
    '95% range over simulated rounds'
    >>> interval_text("assumptions", "rounds")
    '95% range over rounds and assumptions'
    """
    return f"95% range over {unit}{_OVER[uncertainty]}"


def drawn_text(uncertainty: str) -> str:
    """What each run drew besides its children, as a clause ("" for none).

    Examples
    --------
    >>> "of rounds" + drawn_text("assumptions") + " in brackets"
    'of rounds, each with its own draw of the assumptions, in brackets'
    """
    return _DRAWN[uncertainty]


@dataclass(frozen=True, slots=True)
class Summary:
    """Means and intervals over runs, for each mechanism, group and metric.

    Attributes
    ----------
    mechanisms : tuple of str
    groups : tuple of str
        Group labels; ``("all",)`` for the overall summary, rank labels
        ``"1", "2", ...`` for the rank profile.
    metrics : tuple of str
    by : str or None
        The breakdown (``None``, "need", "phase", "kind" or "rank").
    mean, ci_low, ci_high, se : ndarray of float64, shape (n_mech, n_groups, n_metrics)
        Mean over runs; 2.5th and 97.5th percentiles over runs (the 95% range
        of the metric from one simulated round to the next); Monte Carlo
        standard error of the mean (sample sd / sqrt(runs)). Runs in which a
        metric is undefined (NaN, e.g. a mean rank with nobody placed) are left
        out; NaN where no run defines it.
    n : ndarray of int64, shape (n_mech, n_groups, n_metrics)
        Runs with a defined value.
    percent : frozenset of str
        The metrics that are shares of children, shown as percentages by the
        reprs (the numbers themselves stay shares in [0, 1]).
    uncertainty : str
        What each run drew besides its children (:data:`UNCERTAINTY`): with
        ``"assumptions"`` the 95% ranges are over rounds *and* assumptions.

    Examples
    --------
    >>> import sendalloc as sa
    >>> r = sa.simulate("london_borough", ["first_available"], runs=4, seed=1)
    >>> r.summary("need")  # doctest: +ELLIPSIS
    Summary(by='need', 1 mechanism x 13 groups x 13 metrics;
    mechanisms: first_available; groups: ASD, ..., OTH (13);
    metrics: children, ..., fill_rate (13))
    """

    mechanisms: tuple[str, ...]
    groups: tuple[str, ...]
    metrics: tuple[str, ...]
    by: str | None
    mean: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    se: NDArray[np.float64]
    n: NDArray[np.int64]
    percent: frozenset[str] = field(default=frozenset())
    uncertainty: str = "none"

    def get(
        self, mechanism: str, metric: str, group: str | None = None
    ) -> dict[str, float]:
        """The statistics of one cell as ``{"mean", "ci_low", "ci_high", "se"}``.

        Returns
        -------
        dict of str to float
        """
        i = index_of(self.mechanisms, mechanism, "mechanism")
        g = 0 if group is None else index_of(self.groups, group, "group")
        k = index_of(self.metrics, metric, "metric")
        return {
            "mean": float(self.mean[i, g, k]),
            "ci_low": float(self.ci_low[i, g, k]),
            "ci_high": float(self.ci_high[i, g, k]),
            "se": float(self.se[i, g, k]),
        }

    def __repr__(self) -> str:
        k, g, m = self.mean.shape

        def n_of(count: int, what: str) -> str:
            return f"{count} {what}{'' if count == 1 else 's'}"

        return (
            f"Summary(by={self.by!r}, {n_of(k, 'mechanism')} x {n_of(g, 'group')} x "
            f"{n_of(m, 'metric')}; mechanisms: {short_list(self.mechanisms)}; "
            f"groups: {short_list(self.groups, 3)}; "
            f"metrics: {short_list(self.metrics, 3)})"
        )

    def _repr_html_(self) -> str:
        """A table for notebooks: ``mean (95% range)`` per metric and mechanism."""
        head = ["" if self.by is None else f"{self.by}: metric", *self.mechanisms]
        body = []
        for g, grp in enumerate(self.groups):
            for k, met in enumerate(self.metrics):
                pct = met in self.percent
                row = [met + (" %" if pct else "")]
                if self.by is not None:
                    row[0] = f"{grp}: {row[0]}"
                for i in range(len(self.mechanisms)):
                    row.append(
                        number(
                            float(self.mean[i, g, k]),
                            float(self.ci_low[i, g, k]),
                            float(self.ci_high[i, g, k]),
                            percent=pct,
                        )
                    )
                body.append(row)
        what = "overall" if self.by is None else f"by {self.by}"
        return html_table(
            head,
            body,
            title=f"Summary {what}",
            note="mean (2.5th-97.5th percentile over runs)"
            + ("; shares in %." if self.percent & set(self.metrics) else "."),
        )

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict; NaN becomes None (JSON null).

        ``{mechanism: {metric: stats}}`` for the overall summary,
        ``{mechanism: {rank: stats}}`` for the rank profile and
        ``{mechanism: {group: {metric: stats}}}`` for a breakdown.

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {}
        arrays = (self.mean, self.ci_low, self.ci_high, self.se)
        keys = ("mean", "ci_low", "ci_high", "se")
        for i, mech in enumerate(self.mechanisms):
            per_group: dict[str, Any] = {}
            for g, grp in enumerate(self.groups):
                cells = {
                    met: {
                        key: clean(float(arr[i, g, k]))
                        for key, arr in zip(keys, arrays, strict=True)
                    }
                    for k, met in enumerate(self.metrics)
                }
                per_group[grp] = cells
            if self.by is None:
                out[mech] = per_group["all"]
            elif self.by == "rank":
                out[mech] = {grp: per_group[grp]["share"] for grp in self.groups}
            else:
                out[mech] = per_group
        return out


def clean(x: float) -> float | None:
    """``x``, or None (JSON null) where it is NaN."""
    return None if math.isnan(x) else x


def index_of(names: tuple[str, ...], name: str, what: str) -> int:
    """Position of ``name`` in ``names``; a ValueError listing them if absent."""
    try:
        return names.index(name)
    except ValueError:
        raise ValueError(
            f"unknown {what} {name!r}; valid: {', '.join(names)}"
        ) from None


def summarise(
    x: NDArray[np.float64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
]:
    """Mean, 2.5/97.5 percentiles and standard error over axis 0, ignoring NaN."""
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    total = np.where(ok, x, 0.0).sum(axis=0)
    mean = np.full(n.shape, np.nan)
    np.divide(total, n, out=mean, where=n > 0)
    dev = np.where(ok, x - mean, 0.0)
    var = np.full(n.shape, np.nan)
    np.divide((dev * dev).sum(axis=0), n - 1, out=var, where=n > 1)
    se = np.full(n.shape, np.nan)
    np.divide(np.sqrt(var), np.sqrt(n), out=se, where=n > 1)
    # Percentiles with NaN sorted last: the q-quantile of the n defined values.
    srt = np.sort(x, axis=0)
    lo = quantile_sorted(srt, n, 0.025)
    hi = quantile_sorted(srt, n, 0.975)
    return mean, lo, hi, se, n.astype(np.int64)


def quantile_sorted(
    srt: NDArray[np.float64], n: NDArray[np.intp], q: float
) -> NDArray[np.float64]:
    """Linear-interpolation quantile (numpy's default) of the first n rows."""
    pos = q * np.maximum(n - 1, 0)
    below = np.floor(pos).astype(np.intp)
    above = np.minimum(below + 1, np.maximum(n - 1, 0))
    frac = pos - below
    a = np.take_along_axis(srt, below[None, ...], axis=0)[0]
    b = np.take_along_axis(srt, above[None, ...], axis=0)[0]
    out = a + (b - a) * frac
    return np.where(n > 0, out, np.nan)
