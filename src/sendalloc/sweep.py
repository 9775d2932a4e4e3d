"""Parameter sweeps: a grid of scenario variants, simulated and stored as they finish.

:func:`sweep` takes a scenario and a grid of dotted scenario keys (as in the
TOML) with lists of values, simulates every variant of the grid's product with
every mechanism, and returns a :class:`SweepResult`: one tidy row per variant,
mechanism and metric. A variant runs in its own ``mode`` (a sweepable key)
through the same engine table as :func:`~sendalloc.simulate`, so an in-year
variant gets the time metrics. Work is cut into *units* (a variant's runs
``a..b``) and run through any :class:`concurrent.futures.Executor`: in this
process, a process pool, or a dask.distributed client's ``get_executor()``.
With ``store=PATH`` every finished unit's per-run metrics are written to the
store at once; re-running the same sweep skips them, and a store written by
another sweep is refused. ``docs/sweeps.md`` shows a local run and a dask
cluster.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import plain
from sendalloc._engine.modes import (
    ENGINES,
    check_modes,
    engine_for,
    metrics_for,
    metrics_of,
)
from sendalloc._engine.policies import Policy, resolve_policies
from sendalloc._engine.runner import (
    Progress,
    ProgressLike,
    check_chunk_size,
    check_progress,
    check_runs,
    check_seed,
    chunk_bounds,
    resolve_scenario,
    run_units,
)
from sendalloc._engine.stats import index_of, summarise
from sendalloc._engine.store import Store, SweepStoreError, cell_text
from sendalloc._engine.streams import Root, SeedLike, run_streams, seed_json, seed_text
from sendalloc._html import html_table, number
from sendalloc._report.common import METRIC_KINDS, PERCENT_METRICS
from sendalloc._report.figures import (
    PALETTE,
    figure_label,
    figure_metric_label,
    is_percent_key,
    key_label,
)
from sendalloc._version import VERSION
from sendalloc.metrics import METRICS, PROCESS_METRICS
from sendalloc.problem import Allocation

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sendalloc.scenario import Scenario

__all__ = ["DEFAULT_CHUNK_SIZE", "SweepResult", "SweepStoreError", "sweep"]

#: Runs per work unit when :func:`sweep` is not told otherwise: about a second of
#: work for a county-sized scenario with the default mechanisms, so per-task
#: scheduling overhead (about a millisecond on dask) stays well under 1%. It is
#: fixed, not derived from the executor, so the same sweep has the same units
#: (and can resume the same store) on a laptop and on a cluster.
DEFAULT_CHUNK_SIZE = 50

_STATS = ("mean", "ci_low", "ci_high", "se")

#: Default columns of :meth:`SweepResult.table`, those the sweep measures.
TABLE_METRICS: tuple[str, ...] = (
    "first_preference",
    "placed_on_list",
    "unplaced",
    "first_preference_at_arrival",
    "mean_days_waiting",
    "waiting_year_end",
)


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


def _normalise_grid(
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
        canon = [_canon_text(v) for v in vals]
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


def _canon_text(v: Any) -> str:
    return json.dumps(_canon(v), separators=(",", ":"))


def _variant_key(keys: Sequence[str], values: Sequence[Any]) -> str:
    """Canonical text of a variant: its sorted ``key=value`` pairs as JSON."""
    pairs = {k: _canon(v) for k, v in zip(keys, values, strict=True)}
    return json.dumps(pairs, sort_keys=True, separators=(",", ":"))


def _spawn_key(variant_key: str, common: bool) -> tuple[int, ...]:
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


# --------------------------------------------------------------------------- worker
def _run_unit(
    scenario: Any,
    policies: Sequence[Policy],
    root: Root,
    spawn_key: tuple[int, ...],
    start: int,
    stop: int,
) -> tuple[str, NDArray[np.float64]]:
    """Runs ``start..stop`` of one variant: (worker's version, values (r, k, m)).

    The values are the metrics of the variant's mode, by its engine.
    """
    seeds = run_streams(root, start, stop, spawn_key)
    return VERSION, engine_for(scenario).run_chunk(scenario, policies, seeds).values


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
        want = tuple(_canon_text(variant[k]) for k in keys)
        for i, vals in enumerate(self.variants):
            if tuple(_canon_text(v) for v in vals) == want:
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
        return {s: float(getattr(self, s)[v, i, k]) for s in _STATS}

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
                    for s in _STATS:
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

        cols = [*self.keys, "mechanism", "metric", *_STATS, "n"]
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
        w.writerow([*self.keys, "mechanism", "metric", *_STATS, "n"])
        for row in self.rows():
            w.writerow(
                [
                    *(cell_text(row[k]) for k in self.keys),
                    row["mechanism"],
                    row["metric"],
                    *("" if math.isnan(row[s]) else repr(row[s]) for s in _STATS),
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
            _canon_text(v): (xscale * float(v) if numeric else float(j))
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
                        _canon_text(vals[pos[c]]) != _canon_text(val)
                        for c, val in fixed.items()
                    ):
                        continue
                    if hue == "mechanism":
                        i = self.mechanisms.index(str(h))
                    else:
                        if _canon_text(vals[pos[hue]]) != _canon_text(h):
                            continue
                        i = 0
                    pts.append((xpos[_canon_text(vals[pos[x]])], v, i))
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


# --------------------------------------------------------------------------- driver
def sweep(
    scenario: Scenario | str | os.PathLike[str],
    grid: Mapping[str, Iterable[Any]],
    *,
    mechanisms: Iterable[str | Callable[..., Allocation]] | str | None = None,
    runs: int = 1000,
    seed: SeedLike = 0,
    executor: Executor | None = None,
    store: str | os.PathLike[str] | None = None,
    progress: ProgressLike = None,
    chunk_size: int | None = None,
    common_random_numbers: bool = True,
) -> SweepResult:
    """Simulate every variant of a grid of scenario settings, resumably.

    Parameters
    ----------
    scenario : Scenario, str or path
        The base scenario, a preset name or a TOML path.
    grid : mapping of str to list
        Dotted scenario keys, as in the TOML (``"lists.max_length"``,
        ``"special.capacity_growth"``), each with the values to try. The sweep
        is the product of the lists, the last key varying fastest; ``{}`` is
        the scenario alone. Every variant is validated before any work starts.
        ``"mode"`` is a key like any other: each variant runs in its own mode
        (``"annual"``, ``"in_year"`` or ``"multi_year"``) and gets that mode's
        metrics.
    mechanisms : iterable of (str or callable), optional
        As for :func:`~sendalloc.simulate`. Default: its default mechanisms
        (those that run in every mode of the grid).
    runs : int, default 1000
        Simulated rounds per variant.
    seed : int, SeedSequence, Generator or None, default 0
        The root of the runs' streams, as for :func:`~sendalloc.simulate` (a
        Generator is spawned from, not drawn from; None draws fresh entropy).
        The result's ``seed`` records the root; to resume a store, pass the
        same root again (an int, or the recorded SeedSequence).
    executor : concurrent.futures.Executor, optional
        Runs the work units: a ``ProcessPoolExecutor``, or a dask.distributed
        ``Client(address).get_executor()``. Default: in this process.
    store : str or path, optional
        A directory that receives each finished unit's per-run metrics at once
        (Parquet parts with pyarrow, else CSV; a ``.csv`` suffix asks for CSV).
        Units already in it are read, not recomputed. It must be new, empty or
        a store of this very sweep: one from another spec raises
        :class:`SweepStoreError`.
    progress : bool or callable, optional
        True draws a progress bar with ``tqdm.auto`` (a widget in Jupyter;
        needs the ``progress`` extra). A callable is called as
        ``progress(done_runs, total_runs)`` as units finish (and once at the
        start when a store already holds some). None or False: silent.
    chunk_size : int, optional
        Runs per work unit (default :data:`DEFAULT_CHUNK_SIZE`). It affects
        speed and the store's layout, never the numbers.
    common_random_numbers : bool, default True
        Every variant draws its runs from the same streams, those of
        ``simulate(variant, runs=runs, seed=seed)``, so differences between
        variants are not blurred by different simulated children. False: each
        variant's streams are keyed by a SHA-256 hash of its sorted
        ``key=value`` pairs, independent across variants.

    Returns
    -------
    SweepResult
        One row per variant, mechanism and metric of the variant's mode.

    Raises
    ------
    InvalidScenarioError
        For a grid key or value the scenario does not accept.
    SweepStoreError
        For a store written by another sweep (other scenario, grid,
        mechanisms, runs, seed, chunk size, stream mode or sendalloc version).

    Notes
    -----
    Run ``r`` of a variant draws from ``SeedSequence(seed, spawn_key=(*K, r))``
    where ``K`` is ``()`` with common random numbers (the streams of
    :func:`~sendalloc.simulate`) or the variant's hash words; each unit is run
    by the engine of the variant's mode, from the table
    :func:`~sendalloc.simulate` uses. So a variant's numbers do not depend
    on the rest of the grid, the order, the executor, the chunk size, or on
    whether its runs came from the store: with common random numbers, a
    variant's row equals ``simulate(scenario.with_overrides(variant), ...)``'s
    summary exactly, whatever its mode. Cost: variants x runs simulated rounds, in
    ``ceil(runs / chunk_size)`` units per variant.

    Examples
    --------
    >>> import sendalloc as sa
    >>> res = sa.sweep(
    ...     "london_borough",
    ...     {"lists.max_length": [2, 5]},
    ...     mechanisms=["first_available"],
    ...     runs=4,
    ...     seed=1,
    ... )
    >>> res.variants
    ((2,), (5,))
    >>> row = res.rows()[0]
    >>> row["lists.max_length"], row["mechanism"], row["metric"]
    (2, 'first_available', 'first_preference')
    >>> one = sa.simulate(
    ...     sa.load_scenario("london_borough").with_overrides({"lists.max_length": 5}),
    ...     ["first_available"],
    ...     runs=4,
    ...     seed=1,
    ... )
    >>> cell = res.get({"lists.max_length": 5}, "first_available", "placed_on_list")
    >>> cell == one.summary().get("first_available", "placed_on_list")
    True
    """
    runs, root = check_runs(runs), check_seed(seed)
    size = check_chunk_size(chunk_size)
    progress = check_progress(progress)
    chunk = DEFAULT_CHUNK_SIZE if size is None else size
    base = resolve_scenario(scenario)
    if not hasattr(base, "with_overrides") or not hasattr(base, "to_dict"):
        raise TypeError(
            "scenario: expected a Scenario, a preset name or a TOML path, got "
            f"{type(base).__name__}"
        )
    name = str(getattr(base, "name", "scenario"))
    g = _normalise_grid(grid)
    keys = [k for k, _ in g]
    combos = list(itertools.product(*(vals for _, vals in g)))
    scenarios = [
        base.with_overrides(dict(zip(keys, vals, strict=True))) if keys else base
        for vals in combos
    ]
    modes = tuple(engine_for(s).mode for s in scenarios)
    policies = resolve_policies(mechanisms, modes=dict.fromkeys(modes))
    names = tuple(p.name for p in policies)
    for mode in dict.fromkeys(modes):
        check_modes(mode, policies)
    metrics = metrics_of(modes, policies)
    # Where each variant's metrics go among the sweep's.
    columns = [
        np.array([metrics.index(m) for m in metrics_for(mode, policies)])
        for mode in modes
    ]
    common = bool(common_random_numbers)
    spawn = [_spawn_key(_variant_key(keys, vals), common) for vals in combos]
    bounds = chunk_bounds(runs, chunk)
    nv, nc = len(combos), len(bounds)

    st: Store | None = None
    done: set[tuple[int, int]] = set()
    if store is not None:
        spec = {
            "sendalloc_version": VERSION,
            "scenario": base.to_dict(),
            "grid": [[k, [plain(v) for v in vals]] for k, vals in g],
            "mechanisms": list(names),
            "runs": runs,
            "seed": seed_json(root),
            "chunk_size": chunk,
            "common_random_numbers": common,
        }
        st = Store.open(store, spec, g, names, metrics)
        done = {u for u in st.done() if u[0] < nv and u[1] < nc}

    shape = (nv, len(names), len(metrics))
    stats = {s: np.full(shape, np.nan) for s in _STATS}
    count = np.zeros(shape, dtype=np.int64)
    parts: dict[int, list[NDArray[np.float64] | None]] = {}

    def accept(v: int, c: int, values: NDArray[np.float64]) -> None:
        slots = parts.setdefault(v, [None] * nc)
        slots[c] = values
        if all(p is not None for p in slots):
            data = np.concatenate([p for p in slots if p is not None])
            mean, lo, hi, se, n = summarise(data)
            for s, arr in zip(_STATS, (mean, lo, hi, se), strict=True):
                stats[s][v] = arr
            count[v] = n
            del parts[v]

    todo = [(v, c) for v in range(nv) for c in range(nc) if (v, c) not in done]

    def finish(i: int, out: tuple[str, NDArray[np.float64]]) -> None:
        v, c = todo[i]
        worker_version, own = out
        if worker_version != VERSION:
            raise RuntimeError(
                f"a worker runs sendalloc {worker_version}, this process {VERSION}: "
                "install the same version on every worker"
            )
        values = np.full((*own.shape[:2], len(metrics)), np.nan)
        values[:, :, columns[v]] = own
        if st is not None:
            st.write(v, c, bounds[c][0], values)
        accept(v, c, values)
        tracker.advance(bounds[c][1] - bounds[c][0])

    units = [(scenarios[v], policies, root, spawn[v], *bounds[c]) for v, c in todo]
    tracker = Progress(progress, nv * runs, desc=f"{name}: {nv} variants")
    try:
        for v, c in sorted(done):
            assert st is not None
            accept(v, c, st.read(v, c, *bounds[c]))
            tracker.advance(bounds[c][1] - bounds[c][0], report=False)
        if done:
            tracker.report()
        run_units(_run_unit, units, finish, executor=executor, drain=True)
    except BaseException as exc:
        if st is not None:
            again = ""
            if isinstance(root, int) and not isinstance(seed, int | np.integer):
                again = f" with seed={root}"
            elif isinstance(root, np.random.SeedSequence):
                again = (
                    f" with seed=numpy.random.SeedSequence({root.entropy!r}, "
                    f"spawn_key={root.spawn_key!r})"
                )
            exc.add_note(
                f"finished units are kept in {st.path}; "
                f"run the same sweep again{again} to resume"
            )
        raise
    finally:
        tracker.close()

    return SweepResult(
        scenario=name,
        grid=g,
        variants=tuple(tuple(c) for c in combos),
        mechanisms=names,
        metrics=metrics,
        runs=runs,
        seed=root,
        mean=stats["mean"],
        ci_low=stats["ci_low"],
        ci_high=stats["ci_high"],
        se=stats["se"],
        n=count,
        modes=modes,
    )
