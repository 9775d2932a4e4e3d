"""``SweepResult``: one tidy row per variant, mechanism and metric, and views of them.

Public names are re-exported by :mod:`sendalloc.sweep`.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.modes import (
    ENGINES,
)
from sendalloc._engine.stats import index_of
from sendalloc._engine.store import cell_text
from sendalloc._engine.streams import Root, seed_text
from sendalloc._html import html_table, number
from sendalloc._report.common import METRIC_KINDS, PERCENT_METRICS
from sendalloc._report.figures import (
    PALETTE,
    figure_label,
    figure_metric_label,
    is_percent_key,
    key_label,
)
from sendalloc.metrics import METRICS, PROCESS_METRICS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

from sendalloc._sweep.grid import canon_text

__all__ = ["STATS", "TABLE_METRICS", "SweepResult"]


#: The statistics of each metric in :meth:`SweepResult.rows`, in order.
STATS = ("mean", "ci_low", "ci_high", "se")

#: Default columns of :meth:`SweepResult.table`, those the sweep measures.
TABLE_METRICS: tuple[str, ...] = (
    "first_preference",
    "placed_on_list",
    "unplaced",
    "first_preference_at_arrival",
    "mean_days_waiting",
    "waiting_year_end",
)


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, slots=True, eq=False)
class SweepResult:
    """Summary statistics of every variant of a sweep, mechanism and metric.

    Attributes
    ----------
    scenario : str
        The base scenario's name.
    grid : tuple of (str, tuple)
        The grid: each dotted key with its values, in the order given.
    variants : tuple of tuple, length V
        The values of the grid's keys for each variant, in the order of the
        grid's product (the last key varies fastest).
    mechanisms : tuple of str
    metrics : tuple of str
        The metrics of the variants' modes, each once:
        :data:`sendalloc.metrics.METRICS` for annual variants, then
        :data:`sendalloc.dynamic.DYNAMIC_METRICS` (and ``PROJECTION_METRICS``)
        for in-year (and multi-year) ones.
    runs : int
    seed : int or numpy.random.SeedSequence
        The root of the runs' streams, as :attr:`SimulationResult.seed
        <sendalloc.SimulationResult>`: passed back as ``seed``, the same sweep
        (and the same store).
    mean, ci_low, ci_high, se : ndarray of float64, shape (V, n_mech, n_metrics)
        As in :class:`~sendalloc.simulate.Summary`: the mean over runs, the
        2.5th and 97.5th percentiles over runs (the 95% range from one
        simulated round to the next) and the Monte Carlo standard error of the
        mean. NaN where no run defines the metric.
    n : ndarray of int64, shape (V, n_mech, n_metrics)
        Runs in which the metric is defined.
    modes : tuple of str, length V
        Each variant's scenario ``mode``. A variant has only its mode's
        metrics: the others are NaN with ``n`` 0, and left out of
        :meth:`rows` (empty: every variant has every metric).
    """

    scenario: str
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    variants: tuple[tuple[Any, ...], ...]
    mechanisms: tuple[str, ...]
    metrics: tuple[str, ...]
    runs: int
    seed: Root
    mean: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    se: NDArray[np.float64]
    n: NDArray[np.int64]
    modes: tuple[str, ...] = ()

    def _has(self, v: int) -> frozenset[str]:
        """The metrics variant ``v`` measures."""
        if not self.modes:
            return frozenset(self.metrics)
        mode = self.modes[v]
        if mode == "annual" and set(PROCESS_METRICS) <= set(self.metrics):
            return frozenset(METRICS + PROCESS_METRICS)
        return frozenset(ENGINES[mode].metrics)

    @property
    def keys(self) -> tuple[str, ...]:
        """The grid's dotted keys, in order."""
        return tuple(k for k, _ in self.grid)

    def _variant(self, variant: Mapping[str, Any]) -> int:
        keys = self.keys
        unknown = set(variant) - set(keys)
        if unknown or len(variant) != len(keys):
            raise ValueError(
                f"variant: expected a value for each of {', '.join(keys) or '(none)'},"
                f" got {dict(variant)!r}"
            )
        want = tuple(canon_text(variant[k]) for k in keys)
        for i, vals in enumerate(self.variants):
            if tuple(canon_text(v) for v in vals) == want:
                return i
        raise ValueError(f"variant: {dict(variant)!r} is not in the grid")

    def get(
        self, variant: Mapping[str, Any], mechanism: str, metric: str
    ) -> dict[str, float]:
        """The statistics of one cell as ``{"mean", "ci_low", "ci_high", "se"}``.

        Parameters
        ----------
        variant : mapping of str to value
            A value for each grid key, e.g. ``{"lists.max_length": 3}``.
        mechanism, metric : str

        Returns
        -------
        dict of str to float
        """
        v = self._variant(variant)
        i = index_of(self.mechanisms, mechanism, "mechanism")
        k = index_of(self.metrics, metric, "metric")
        return {s: float(getattr(self, s)[v, i, k]) for s in STATS}

    def rows(self) -> list[dict[str, Any]]:
        """The tidy table as a list of dicts, one per variant, mechanism and metric.

        Keys: the grid's dotted keys, then ``mechanism, metric, mean, ci_low,
        ci_high, se, n``. A variant has rows for its mode's metrics only.

        Returns
        -------
        list of dict
        """
        out = []
        for v, vals in enumerate(self.variants):
            head = dict(zip(self.keys, vals, strict=True))
            has = self._has(v)
            for i, mech in enumerate(self.mechanisms):
                for k, met in enumerate(self.metrics):
                    if met not in has:
                        continue
                    row: dict[str, Any] = {**head, "mechanism": mech, "metric": met}
                    for s in STATS:
                        row[s] = float(getattr(self, s)[v, i, k])
                    row["n"] = int(self.n[v, i, k])
                    out.append(row)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The tidy table as a pandas DataFrame (needs the ``pandas`` extra).

        Returns
        -------
        pandas.DataFrame
            Columns: the grid's dotted keys, ``mechanism, metric, mean, ci_low,
            ci_high, se, n``; one row per variant, mechanism and metric.
        """
        import pandas as pd

        cols = [*self.keys, "mechanism", "metric", *STATS, "n"]
        return pd.DataFrame(self.rows(), columns=cols)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """The tidy table as CSV text (written to ``path`` if given).

        Columns as :meth:`to_frame`; numbers written exactly (``repr``),
        undefined values as empty cells, array values as JSON.

        Returns
        -------
        str
        """
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*self.keys, "mechanism", "metric", *STATS, "n"])
        for row in self.rows():
            w.writerow(
                [
                    *(cell_text(row[k]) for k in self.keys),
                    row["mechanism"],
                    row["metric"],
                    *("" if math.isnan(row[s]) else repr(row[s]) for s in STATS),
                    row["n"],
                ]
            )
        text = buf.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    def table(self, metrics: Sequence[str] | None = None) -> str:
        """A text table: one row per variant and mechanism, ``mean (95% range)``.

        Shares are shown as percentages.

        Parameters
        ----------
        metrics : sequence of str, optional
            The columns. Default: first preference, placed on the list and
            unplaced for annual variants; first preference at arrival, days
            waiting and still waiting at the year's end for in-year ones.

        Returns
        -------
        str
        """
        if metrics is None:
            metrics = tuple(m for m in TABLE_METRICS if m in self.metrics)
        kinds = METRIC_KINDS
        idx = [index_of(self.metrics, m, "metric") for m in metrics]
        head = [*self.keys, "mechanism", *metrics]
        body = []
        for v, vals in enumerate(self.variants):
            for i, mech in enumerate(self.mechanisms):
                cells = []
                for m, k in zip(metrics, idx, strict=True):
                    mean, lo, hi = (
                        float(a[v, i, k])
                        for a in (self.mean, self.ci_low, self.ci_high)
                    )
                    if math.isnan(mean):
                        cells.append("-")
                    elif kinds.get(m) == "pct":
                        cells.append(
                            f"{100 * mean:.1f} ({100 * lo:.0f}-{100 * hi:.0f})"
                        )
                    else:
                        cells.append(f"{mean:.4g} ({lo:.3g}-{hi:.3g})")
                body.append([*(cell_text(x) for x in vals), mech, *cells])
        widths = [max(len(r[c]) for r in [head, *body]) for c in range(len(head))]
        lines = [
            "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))
            for r in [head, *body]
        ]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(
            f"{self.runs} simulated rounds per variant; mean (95% range over rounds)"
            + ("; shares in %." if any(kinds.get(m) == "pct" for m in metrics) else ".")
        )
        return "\n".join(lines)

    def plot(
        self,
        x: str,
        y: str,
        hue: str = "mechanism",
        *,
        band: str = "interval",
        path: str | os.PathLike[str] | None = None,
    ) -> Figure:
        """Line-with-band figure: ``y`` against grid key ``x``, one line per ``hue``.

        Needs the ``plot`` extra (matplotlib). Grid keys other than ``x`` and
        ``hue`` that take several values get a panel per combination.

        Parameters
        ----------
        x : str
            A grid key (numbers are placed to scale, other values in order).
        y : str
            A metric.
        hue : str, default "mechanism"
            ``"mechanism"`` or another grid key.
        band : {"interval", "se"}, default "interval"
            The band: the 95% range over rounds, or mean ± 1.96 standard errors
            (the uncertainty of the mean itself).
        path : str or path, optional
            Save the figure here (format from the suffix).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        keys = self.keys
        if x not in keys:
            raise ValueError(f"x: expected a grid key ({', '.join(keys)}), got {x!r}")
        if hue != "mechanism" and (hue not in keys or hue == x):
            others = [k for k in keys if k != x]
            raise ValueError(
                f"hue: expected 'mechanism' or a grid key other than x "
                f"({', '.join(others) or 'none'}), got {hue!r}"
            )
        if band not in ("interval", "se"):
            raise ValueError(f"band: expected 'interval' or 'se', got {band!r}")
        k = index_of(self.metrics, y, "metric")
        grid = dict(self.grid)
        facet_keys = [c for c in keys if c not in (x, hue) and len(grid[c]) > 1]
        facets = list(itertools.product(*(range(len(grid[c])) for c in facet_keys)))
        hues = list(self.mechanisms) if hue == "mechanism" else list(grid[hue])
        xs_all = grid[x]
        numeric = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in xs_all
        )
        x_pct = is_percent_key(x, xs_all)
        xscale = 100.0 if x_pct else 1.0
        xpos = {
            canon_text(v): (xscale * float(v) if numeric else float(j))
            for j, v in enumerate(xs_all)
        }
        y_pct = y in PERCENT_METRICS
        yscale = 100.0 if y_pct else 1.0
        ncols = min(3, len(facets))
        nrows = math.ceil(len(facets) / ncols)
        fig = Figure(
            figsize=(max(8.5, 5.2 * ncols), 3.6 * nrows + 1.4), layout="constrained"
        )
        axes = np.atleast_1d(
            fig.subplots(nrows, ncols, squeeze=False, sharey=True)
        ).ravel()
        pos = {c: j for j, c in enumerate(keys)}
        colours = {h: PALETTE[j % len(PALETTE)] for j, h in enumerate(map(str, hues))}

        def value_text(key: str, v: Any) -> str:
            if is_percent_key(key, grid[key]):
                return f"{100 * float(v):+.0f}%" if float(v) else "0%"
            return cell_text(v)

        def hue_label(h: Any) -> str:
            if hue == "mechanism":
                return figure_label(str(h))
            return f"{key_label(hue)} = {value_text(hue, h)}"

        for ax, facet in zip(axes, facets, strict=False):
            fixed = {c: grid[c][j] for c, j in zip(facet_keys, facet, strict=True)}
            for h in hues:
                pts = []
                for v, vals in enumerate(self.variants):
                    if any(
                        canon_text(vals[pos[c]]) != canon_text(val)
                        for c, val in fixed.items()
                    ):
                        continue
                    if hue == "mechanism":
                        i = self.mechanisms.index(str(h))
                    else:
                        if canon_text(vals[pos[hue]]) != canon_text(h):
                            continue
                        i = 0
                    pts.append((xpos[canon_text(vals[pos[x]])], v, i))
                if hue != "mechanism" and len(self.mechanisms) > 1:
                    pts = [p for p in pts if p[2] == 0]
                pts.sort()
                px = np.array([p[0] for p in pts])
                mean = np.array([self.mean[v, i, k] for _, v, i in pts])
                if band == "interval":
                    lo = np.array([self.ci_low[v, i, k] for _, v, i in pts])
                    hi = np.array([self.ci_high[v, i, k] for _, v, i in pts])
                else:
                    half = 1.96 * np.array([self.se[v, i, k] for _, v, i in pts])
                    lo, hi = mean - half, mean + half
                colour = colours[str(h)]
                ax.plot(px, yscale * mean, marker="o", color=colour, label=hue_label(h))
                ax.fill_between(
                    px,
                    yscale * lo,
                    yscale * hi,
                    facecolor=colour,
                    edgecolor=colour,
                    alpha=0.15,
                    linewidth=0.8,
                )
            if numeric:
                ax.set_xticks(sorted(set(xpos.values())))
                if x_pct:
                    ax.set_xticklabels([value_text(x, v) for v in sorted(xs_all)])
            else:
                ax.set_xticks(
                    [float(j) for j in range(len(xs_all))],
                    [cell_text(v) for v in xs_all],
                )
            ax.set_xlabel(key_label(x) + (" (change in %)" if x_pct else ""))
            ax.grid(alpha=0.3)
            title = ", ".join(
                f"{key_label(c)} = {value_text(c, v)}" for c, v in fixed.items()
            )
            if hue != "mechanism" and len(self.mechanisms) > 1:
                title = ", ".join(
                    filter(None, [figure_label(self.mechanisms[0]), title])
                )
            if title:
                ax.set_title(title, fontsize="medium")
        for ax in axes[:: max(ncols, 1)]:
            ax.set_ylabel(
                f"{figure_metric_label(y)}" + (", % of children" if y_pct else "")
            )
        for ax in axes[len(facets) :]:
            ax.set_visible(False)
        what = "95% range over rounds" if band == "interval" else "mean ± 1.96 se"
        handles: list[Any] = [
            Line2D([], [], color=colours[str(h)], marker="o", label=hue_label(h))
            for h in hues
        ]
        handles.append(Patch(color="0.6", alpha=0.3, label=f"shaded: {what}"))
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(2 if ncols == 1 else 4, len(handles)),
            frameon=False,
        )
        fig.suptitle(
            f"{figure_metric_label(y)} by {key_label(x)}\n"
            f"{self.scenario}, {self.runs} simulated rounds per variant"
        )
        if path is not None:
            fig.savefig(path, dpi=150)
        return fig

    def __repr__(self) -> str:
        return (
            f"SweepResult(scenario={self.scenario!r}, variants={len(self.variants)}, "
            f"keys={list(self.keys)}, mechanisms={list(self.mechanisms)}, "
            f"runs={self.runs}, seed={seed_text(self.seed)})"
        )

    def _repr_html_(self) -> str:
        """The default :meth:`table` as HTML, for notebooks."""
        metrics = [m for m in TABLE_METRICS if m in self.metrics]
        idx = [self.metrics.index(m) for m in metrics]
        head = [
            *self.keys,
            "mechanism",
            *(m + (" %" if m in PERCENT_METRICS else "") for m in metrics),
        ]
        body = []
        for v, vals in enumerate(self.variants):
            for i, mech in enumerate(self.mechanisms):
                cells = [
                    number(
                        float(self.mean[v, i, k]),
                        float(self.ci_low[v, i, k]),
                        float(self.ci_high[v, i, k]),
                        percent=m in PERCENT_METRICS,
                    )
                    for m, k in zip(metrics, idx, strict=True)
                ]
                body.append([*(cell_text(x) for x in vals), mech, *cells])
        return html_table(
            head,
            body,
            title=(
                f"{self.scenario}: {len(self.variants)} variants, "
                f"{self.runs} simulated rounds each"
            ),
            note=(
                f"mean (95% range over rounds); seed {seed_text(self.seed)}. "
                ".rows(), .to_frame() and .to_csv() hold every metric; .plot(x, y) "
                "draws one."
            ),
        )
