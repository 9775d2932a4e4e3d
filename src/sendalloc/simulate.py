"""Monte Carlo engine: many simulated rounds, every mechanism on each.

:func:`simulate` samples ``runs`` instances of a scenario and runs every requested
mechanism (and the scenario's LA fallback) on each one, so that mechanisms are
compared on the same simulated children and places (common random numbers). Run
``r`` draws from its own stream, ``SeedSequence(seed).spawn(runs)[r]``, so a run's
numbers do not depend on which worker computes it: the result is identical for
any executor and any number of workers. Runs are batched into chunks (one task
per chunk) and the results are assembled in run order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc.mechanisms import MECHANISMS, allocate
from sendalloc.metrics import (
    GROUP_METRICS,
    GROUPINGS,
    METRICS,
    Context,
    _fallback,
    _justified_envy,
    _labels,
    outcome_arrays,
)
from sendalloc.problem import Allocation

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sendalloc.scenario import Scenario

__all__ = [
    "DEFAULT_MECHANISMS",
    "SimulationResult",
    "Summary",
    "simulate",
]

#: Mechanisms :func:`simulate` runs when none are named, in report order: the
#: proposal, the main alternatives and the planner's benchmark. Names not
#: registered in :data:`~sendalloc.MECHANISMS` are skipped.
DEFAULT_MECHANISMS: tuple[str, ...] = (
    "first_available",
    "random_serial_dictatorship",
    "boston",
    "deferred_acceptance",
    "top_trading_cycles",
    "max_placement",
)

#: Breakdowns a :class:`Summary` can be taken over (``None`` is the overall one).
SUMMARY_BY: tuple[str, ...] = ("need", "phase", "kind", "rank")

_MAX_CHUNK = 25  # runs per task: large enough to amortise, small enough to balance


def _default_mechanisms() -> tuple[str, ...]:
    return tuple(m for m in DEFAULT_MECHANISMS if m in MECHANISMS)


# --------------------------------------------------------------------------- worker
@dataclass(frozen=True, slots=True)
class _Chunk:
    values: NDArray[np.float64]  # (r, n_mech, n_metrics)
    profile: NDArray[np.float64]  # (r, n_mech, L)
    groups: dict[str, NDArray[np.float64]]  # (r, n_mech, G, n_gm)


def _run_one(
    scenario: Any,
    mechs: Sequence[str | Callable[..., Allocation]],
    ss: np.random.SeedSequence,
) -> list[Any]:
    # Two independent streams per run: one samples the instance, one feeds the
    # randomised mechanisms. Every mechanism gets the same mechanism stream.
    inst_ss = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 0))
    mech_ss = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1))
    inst = scenario.sample(np.random.default_rng(inst_ss))
    problem = inst.problem
    fallback = bool(inst.fallback)
    ctx = Context.of(inst)
    out = []
    for mech in mechs:
        a = allocate(problem, mech, rng=np.random.default_rng(mech_ss))
        final = (
            _fallback(problem.capacity, problem.order, inst.lists, a.assignment)
            if fallback
            else a.assignment
        )
        envy = _justified_envy(problem, a.assignment)
        out.append(outcome_arrays(inst, a.assignment, final, envy, context=ctx))
    return out


def _run_chunk(
    scenario: Any,
    mechs: Sequence[str | Callable[..., Allocation]],
    seeds: Sequence[np.random.SeedSequence],
) -> _Chunk:
    lab = _labels()
    n_groups = tuple(len(lab[g]) for g in GROUPINGS)
    per_run = [_run_one(scenario, mechs, ss) for ss in seeds]
    r, k = len(per_run), len(mechs)
    values = np.array([[o.values for o in run] for run in per_run]).reshape(
        r, k, len(METRICS)
    )
    profile = _padded([[o.rank_profile for o in run] for run in per_run], k)
    groups = {
        g: np.array([[o.groups[g] for o in run] for run in per_run]).reshape(
            r, k, n, len(GROUP_METRICS)
        )
        for g, n in zip(GROUPINGS, n_groups, strict=True)
    }
    return _Chunk(values, profile, groups)


def _padded(
    profiles: Sequence[Sequence[NDArray[np.float64]]], k: int
) -> NDArray[np.float64]:
    """Rank profiles per run and mechanism as one array, zero-padded to the longest.

    Shape (len(profiles), k, L), L the longest profile.
    """
    width = max((p.shape[0] for run in profiles for p in run), default=0)
    out = np.zeros((len(profiles), k, width))
    for i, run in enumerate(profiles):
        for j, p in enumerate(run):
            out[i, j, : p.shape[0]] = p
    return out


# --------------------------------------------------------------------------- summary
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

    def get(
        self, mechanism: str, metric: str, group: str | None = None
    ) -> dict[str, float]:
        """The statistics of one cell as ``{"mean", "ci_low", "ci_high", "se"}``.

        Returns
        -------
        dict of str to float
        """
        i = _index(self.mechanisms, mechanism, "mechanism")
        g = 0 if group is None else _index(self.groups, group, "group")
        k = _index(self.metrics, metric, "metric")
        return {
            "mean": float(self.mean[i, g, k]),
            "ci_low": float(self.ci_low[i, g, k]),
            "ci_high": float(self.ci_high[i, g, k]),
            "se": float(self.se[i, g, k]),
        }

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
                        key: _clean(float(arr[i, g, k]))
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


def _clean(x: float) -> float | None:
    return None if math.isnan(x) else x


def _index(names: tuple[str, ...], name: str, what: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        raise ValueError(
            f"unknown {what} {name!r}; valid: {', '.join(names)}"
        ) from None


def _stats(
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
    lo = _quantile_sorted(srt, n, 0.025)
    hi = _quantile_sorted(srt, n, 0.975)
    return mean, lo, hi, se, n.astype(np.int64)


def _quantile_sorted(
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


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, slots=True, eq=False)
class SimulationResult:
    """Per-run metrics of every mechanism over a Monte Carlo simulation.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    mechanisms : tuple of str
    runs : int
    seed : int
    values : ndarray of float64, shape (runs, n_mech, len(METRICS))
        Scalar metrics per run and mechanism (:data:`sendalloc.metrics.METRICS`).
    rank_profile : ndarray of float64, shape (runs, n_mech, L)
        Share of children placed at their k-th ranked setting; L is the widest
        ranking seen in any run.
    groups : dict of str to ndarray of float64, shape (runs, n_mech, G, n_gm)
        Breakdowns by "need", "phase" and "kind" with the columns of
        :data:`sendalloc.metrics.GROUP_METRICS`.
    group_labels : dict of str to tuple of str
    description : str
        The scenario's one-line description.
    """

    scenario: str
    mechanisms: tuple[str, ...]
    runs: int
    seed: int
    values: NDArray[np.float64]
    rank_profile: NDArray[np.float64]
    groups: dict[str, NDArray[np.float64]]
    group_labels: dict[str, tuple[str, ...]]
    description: str = ""
    metrics: tuple[str, ...] = field(default=METRICS)

    def metric(self, name: str, mechanism: str | None = None) -> NDArray[np.float64]:
        """Per-run values of one metric, shape (runs, n_mech) or (runs,).

        Examples
        --------
        >>> import sendalloc as sa
        >>> r = sa.simulate("london_borough", ["first_available"], runs=4, seed=1)
        >>> r.metric("placed_on_list", "first_available").shape
        (4,)
        """
        k = _index(self.metrics, name, "metric")
        if mechanism is None:
            return self.values[:, :, k]
        return self.values[:, _index(self.mechanisms, mechanism, "mechanism"), k]

    def summary(self, by: str | None = None) -> Summary:
        """Mean, 95% interval over runs and Monte Carlo standard error.

        Parameters
        ----------
        by : {None, "need", "phase", "kind", "rank"}
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
        >>> s.get("first_available", "unplaced")["mean"] <= 1
        True
        """
        if by is None:
            data = self.values[:, :, None, :]
            groups: tuple[str, ...] = ("all",)
            metrics = self.metrics
        elif by == "rank":
            data = self.rank_profile[:, :, :, None]
            groups = tuple(str(k + 1) for k in range(self.rank_profile.shape[2]))
            metrics = ("share",)
        elif by in self.groups:
            data = self.groups[by]
            groups = self.group_labels[by]
            metrics = GROUP_METRICS
        else:
            raise ValueError(
                f"by: expected None or one of {', '.join(SUMMARY_BY)}, got {by!r}"
            )
        mean, lo, hi, se, n = _stats(data)
        return Summary(self.mechanisms, groups, metrics, by, mean, lo, hi, se, n)

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``sendalloc run --json`` as a plain dict.

        See docs/output.md for the schema.

        Returns
        -------
        dict
        """
        from sendalloc.report import result_dict

        return result_dict(self)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """Serialise :meth:`to_dict` as JSON (and write it to ``path`` if given).

        Returns
        -------
        str
        """
        from sendalloc.report import _dump_json

        return _dump_json(self.to_dict(), path)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Every summary statistic as a long CSV table (written to ``path`` if given).

        Columns: ``section, mechanism, group, metric, mean, ci_low, ci_high, se``.

        Returns
        -------
        str
        """
        from sendalloc.report import to_csv

        return to_csv(self, path)

    def to_frame(self, by: str | None = None, *, per_run: bool = False) -> pd.DataFrame:
        """A pandas DataFrame (needs the ``pandas`` extra).

        Parameters
        ----------
        by : {None, "need", "phase", "kind", "rank"}
        per_run : bool, default False
            One row per run, mechanism (group) and metric with its ``value``,
            instead of the summary statistics.

        Returns
        -------
        pandas.DataFrame
            Long format: ``mechanism, [group], metric`` and the statistics.
        """
        from sendalloc.report import to_frame

        return to_frame(self, by, per_run=per_run)

    def table(self) -> str:
        """The readable text table printed by ``sendalloc run``.

        Returns
        -------
        str
        """
        from sendalloc.report import table

        return table(self)

    def headline(self) -> str:
        """A one-paragraph plain-English summary.

        Returns
        -------
        str
        """
        from sendalloc.report import headline

        return headline(self)

    def plot(self, path: str | os.PathLike[str] | None = None) -> Figure:
        """Figures: mechanisms side by side, rank profile, breakdown by need.

        Needs the ``plot`` extra (matplotlib). Saves to ``path`` if given.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from sendalloc.report import plot

        return plot(self, path)

    def __repr__(self) -> str:
        return (
            f"SimulationResult(scenario={self.scenario!r}, runs={self.runs}, "
            f"seed={self.seed}, mechanisms={list(self.mechanisms)})"
        )


# --------------------------------------------------------------------------- driver
def _resolve_scenario(scenario: Any) -> Any:
    if isinstance(scenario, str | os.PathLike):
        from sendalloc.scenario import load_scenario

        return load_scenario(scenario)
    if not hasattr(scenario, "sample"):
        raise TypeError(
            "scenario: expected a Scenario, a preset name or a TOML path, got "
            f"{type(scenario).__name__}"
        )
    return scenario


def _resolve_mechanisms(
    mechanisms: Iterable[str | Callable[..., Allocation]] | str | None,
) -> tuple[list[str | Callable[..., Allocation]], tuple[str, ...]]:
    if mechanisms is None:
        mechs: list[str | Callable[..., Allocation]] = list(_default_mechanisms())
    elif isinstance(mechanisms, str):
        mechs = [mechanisms]
    else:
        mechs = list(mechanisms)
    if not mechs:
        raise ValueError("mechanisms: expected at least one mechanism")
    names: list[str] = []
    for m in mechs:
        if isinstance(m, str):
            if m not in MECHANISMS:
                raise ValueError(
                    f"unknown mechanism {m!r}; valid names: "
                    + ", ".join(sorted(MECHANISMS))
                )
            names.append(m)
        elif callable(m):
            names.append(str(getattr(m, "__name__", repr(m))))
        else:
            raise TypeError(
                f"mechanisms: expected names or callables, got {type(m).__name__}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"mechanisms: duplicate names in {names}")
    return mechs, tuple(names)


def _workers(executor: Executor | None) -> int:
    if executor is None:
        return 1
    w = getattr(executor, "_max_workers", None)
    return int(w) if isinstance(w, int) and w > 0 else (os.cpu_count() or 1)


def _run_chunks(
    run_chunk: Callable[[Sequence[np.random.SeedSequence]], _Chunk],
    runs: int,
    seed: int,
    *,
    executor: Executor | None,
    progress: Callable[[int, int], object] | None,
    chunk_size: int | None,
) -> _Chunk:
    """Run ``run_chunk`` over the runs' seeds, chunk by chunk; joined in run order.

    Run ``r`` gets ``SeedSequence(seed).spawn(runs)[r]`` whatever the chunking
    and the executor (arguments as in :func:`simulate`).
    """
    seeds = np.random.SeedSequence(seed).spawn(runs)
    if chunk_size is None:
        chunk_size = max(1, min(_MAX_CHUNK, math.ceil(runs / (4 * _workers(executor)))))
    elif chunk_size < 1:
        raise ValueError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    bounds = [(a, min(a + chunk_size, runs)) for a in range(0, runs, chunk_size)]
    chunks: list[_Chunk | None] = [None] * len(bounds)
    done = 0
    if executor is None:
        for c, (a, b) in enumerate(bounds):
            chunks[c] = run_chunk(seeds[a:b])
            done += b - a
            if progress is not None:
                progress(done, runs)
    else:
        from concurrent.futures import FIRST_COMPLETED, wait

        futures: dict[Future[_Chunk], int] = {
            executor.submit(run_chunk, seeds[a:b]): c for c, (a, b) in enumerate(bounds)
        }
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    c = futures[fut]
                    chunks[c] = fut.result()
                    done += bounds[c][1] - bounds[c][0]
                    if progress is not None:
                        progress(done, runs)
        finally:
            for fut in pending:
                fut.cancel()
    parts = [ch for ch in chunks if ch is not None]
    width = max(p.profile.shape[2] for p in parts)
    profile = np.concatenate(
        [
            np.pad(p.profile, ((0, 0), (0, 0), (0, width - p.profile.shape[2])))
            for p in parts
        ]
    )
    return _Chunk(
        values=np.concatenate([p.values for p in parts]),
        profile=profile,
        groups={
            g: np.concatenate([p.groups[g] for p in parts]) for g in parts[0].groups
        },
    )


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    mechanisms: Iterable[str | Callable[..., Allocation]] | str | None = None,
    *,
    runs: int = 1000,
    seed: int = 0,
    executor: Executor | None = None,
    progress: Callable[[int, int], object] | None = None,
    chunk_size: int | None = None,
) -> SimulationResult:
    """Simulate many allocation rounds and measure every mechanism on each.

    Parameters
    ----------
    scenario : Scenario, str or path
        A :class:`~sendalloc.scenario.Scenario`, a preset name or a TOML path.
    mechanisms : iterable of (str or callable), optional
        Names from :data:`~sendalloc.MECHANISMS` or callables
        ``f(problem, *, rng=None) -> Allocation`` (picklable if an executor runs
        them in other processes). Default: :data:`DEFAULT_MECHANISMS`.
    runs : int, default 1000
        Number of simulated rounds (instances).
    seed : int, default 0
        Root seed; run ``r`` uses ``SeedSequence(seed).spawn(runs)[r]``.
    executor : concurrent.futures.Executor, optional
        Runs the chunks, e.g. a ``ProcessPoolExecutor`` or a dask.distributed
        client's ``get_executor()``. Default: in this process.
    progress : callable, optional
        Called as ``progress(done_runs, runs)`` after each chunk completes.
    chunk_size : int, optional
        Runs per task. Default: about four tasks per worker, at most 25 runs.
        It affects only speed, never the result.

    Returns
    -------
    SimulationResult

    Notes
    -----
    A scenario whose ``mode`` is ``"in_year"`` or ``"multi_year"`` is run by
    :func:`sendalloc.dynamic.simulate_dynamic` instead: the result is then a
    :class:`~sendalloc.dynamic.DynamicResult` (a subclass) of time metrics, and
    each mechanism allocates the year's batches (see docs/dynamics.md).

    Each run samples one instance (its own stream), then runs each mechanism
    on that instance with a generator seeded from a second stream of the run
    (the same for every mechanism), then the scenario's LA fallback, then the
    metrics (:func:`sendalloc.metrics.evaluate`). Per run the cost is the
    sampling plus, per mechanism, the allocation kernel and O(N (L + K))
    vectorised metrics.

    Examples
    --------
    >>> import sendalloc as sa
    >>> mechs = ["first_available", "random_serial_dictatorship"]
    >>> r = sa.simulate("london_borough", mechs, runs=6, seed=3)
    >>> r.values.shape[:2]
    (6, 2)
    >>> r2 = sa.simulate("london_borough", mechs, runs=6, seed=3, chunk_size=1)
    >>> r.to_json() == r2.to_json()
    True
    """
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise ValueError(f"runs: expected a positive integer, got {runs!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    runs, seed = int(runs), int(seed)
    scen = _resolve_scenario(scenario)
    mechs, names = _resolve_mechanisms(mechanisms)
    if getattr(scen, "mode", "annual") != "annual":
        from sendalloc.dynamic import simulate_dynamic

        return simulate_dynamic(
            scen,
            mechs,
            names,
            runs=runs,
            seed=seed,
            executor=executor,
            progress=progress,
            chunk_size=chunk_size,
        )
    out = _run_chunks(
        partial(_run_chunk, scen, mechs),
        runs,
        seed,
        executor=executor,
        progress=progress,
        chunk_size=chunk_size,
    )
    labels = _labels()
    return SimulationResult(
        scenario=str(getattr(scen, "name", "scenario")),
        mechanisms=names,
        runs=runs,
        seed=seed,
        values=out.values,
        rank_profile=out.profile,
        groups=out.groups,
        group_labels={g: labels[g] for g in GROUPINGS},
        description=str(getattr(scen, "description", "")),
    )
