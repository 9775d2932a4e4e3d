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

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import plain
from sendalloc._engine.modes import (
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
from sendalloc._engine.stats import summarise
from sendalloc._engine.store import Store, SweepStoreError
from sendalloc._engine.streams import Root, SeedLike, run_streams, seed_json
from sendalloc._version import VERSION
from sendalloc.problem import Allocation

if TYPE_CHECKING:
    from sendalloc.scenario import Scenario

from sendalloc._sweep.grid import key_of_variant, normalise_grid, spawn_key_of
from sendalloc._sweep.result import STATS, SweepResult
from sendalloc._sweep.result import TABLE_METRICS as TABLE_METRICS

__all__ = ["DEFAULT_CHUNK_SIZE", "SweepResult", "SweepStoreError", "sweep"]

#: Runs per work unit when :func:`sweep` is not told otherwise: about a second of
#: work for a county-sized scenario with the default mechanisms, so per-task
#: scheduling overhead (about a millisecond on dask) stays well under 1%. It is
#: fixed, not derived from the executor, so the same sweep has the same units
#: (and can resume the same store) on a laptop and on a cluster.
DEFAULT_CHUNK_SIZE = 50


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
    g = normalise_grid(grid)
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
    spawn = [spawn_key_of(key_of_variant(keys, vals), common) for vals in combos]
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
    stats = {s: np.full(shape, np.nan) for s in STATS}
    count = np.zeros(shape, dtype=np.int64)
    parts: dict[int, list[NDArray[np.float64] | None]] = {}

    def accept(v: int, c: int, values: NDArray[np.float64]) -> None:
        slots = parts.setdefault(v, [None] * nc)
        slots[c] = values
        if all(p is not None for p in slots):
            data = np.concatenate([p for p in slots if p is not None])
            mean, lo, hi, se, n = summarise(data)
            for s, arr in zip(STATS, (mean, lo, hi, se), strict=True):
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
