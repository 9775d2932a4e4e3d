"""Sampling and estimating with SALib (Sobol or Morris) over any model of the unit cube.

Public names are re-exported by :mod:`sendalloc.sensitivity`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.runner import (
    MAX_CHUNK,
    Progress,
    ProgressLike,
    check_chunk_size,
    check_seed,
    chunk_bounds,
    run_units,
)
from sendalloc._engine.streams import Root
from sendalloc.scenario import AssumptionSpace

if TYPE_CHECKING:
    pass
from sendalloc._sensitivity.measures import INDICES, METHODS

__all__ = ["Analysis", "Design", "analyse"]


_NO_SALIB = (
    "sensitivity analysis needs SALib, which is not installed: "
    "pip install 'sendalloc[sensitivity]'"
)


def _salib() -> Any:
    """SALib's Sobol and Morris samplers and analysers (the ``sensitivity`` extra)."""
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise ImportError(_NO_SALIB) from None
    return {
        "sobol": (sobol_sample, sobol_analyze),
        "morris": (morris_sample, morris_analyze),
    }


def _select(space: AssumptionSpace, parameters: Iterable[str] | None) -> list[int]:
    """The dimensions whose keys match ``parameters`` (fnmatch; all if None)."""
    if parameters is None:
        return list(range(len(space)))
    pats = [parameters] if isinstance(parameters, str) else list(parameters)
    keep = [
        i
        for i, d in enumerate(space.dimensions)
        if any(fnmatch.fnmatchcase(k, p) for k, _ in d.members for p in pats)
        or any(fnmatch.fnmatchcase(d.name, p) for p in pats)
    ]
    if not keep:
        raise ValueError(
            f"parameters: no uncertain key matches {pats!r}; uncertain keys: "
            f"{', '.join(space.keys)}"
        )
    return keep


@dataclass(frozen=True, slots=True)
class Design:
    """How an analysis samples and estimates: method, sample size, intervals, seed.

    Build it with :meth:`of`, which checks every argument.
    """

    method: str
    samples: int
    resamples: int
    conf_level: float
    levels: int
    seed: Root

    @classmethod
    def of(
        cls,
        method: object,
        samples: object,
        resamples: object,
        conf_level: object,
        levels: object,
        seed: object,
    ) -> Design:
        """A checked design; a ValueError naming the argument otherwise."""
        if not isinstance(method, str) or method not in METHODS:
            raise ValueError(
                f"method: expected one of {', '.join(METHODS)}, got {method!r}"
            )
        n = _check_samples(method, samples)
        for name, v, lo in (("resamples", resamples, 1), ("levels", levels, 2)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
                raise ValueError(f"{name}: expected an integer >= {lo}, got {v!r}")
        if (
            isinstance(conf_level, bool)
            or not isinstance(conf_level, float | int)
            or not 0 < conf_level < 1
        ):
            raise ValueError(
                f"conf_level: expected a number in (0, 1), got {conf_level!r}"
            )
        assert isinstance(resamples, int | np.integer)
        assert isinstance(levels, int | np.integer)
        return cls(
            method, n, int(resamples), float(conf_level), int(levels), check_seed(seed)
        )

    def rng(self) -> np.random.Generator:
        """A fresh generator on ``seed``, for one of SALib's sample or bootstrap.

        SALib is handed a generator, never the int: its Sobol analysis treats
        ``seed=0`` as no seed, which would make the intervals irreproducible.
        """
        return np.random.default_rng(self.seed)


@dataclass(frozen=True, slots=True, eq=False)
class Analysis:
    """What :func:`analyse` found: the sample, the outputs and the indices."""

    parameters: tuple[str, ...]
    members: dict[str, tuple[str, ...]]
    grouping: str
    dimensions: tuple[str, ...]
    points: NDArray[np.float64]
    outputs: NDArray[np.float64]
    indices: dict[str, NDArray[np.float64]]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


def analyse(
    space: AssumptionSpace,
    model: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    design: Design,
    *,
    groups: str | Mapping[str, Sequence[str]] | None = "key",
    parameters: str | Iterable[str] | None = None,
    executor: Executor | None = None,
    progress: ProgressLike = None,
    chunk_size: int | None = None,
    swings: bool = True,
    weight: int = 1,
) -> Analysis:
    """Sample ``space`` with SALib, evaluate ``model`` on the runner, analyse.

    The model-agnostic core of :func:`sensitivity`, for any model of the
    assumptions.

    Parameters
    ----------
    space : AssumptionSpace
    model : callable
        ``model(points) -> outputs``: points of shape (n, len(space)), one
        quantile per dimension (NaN: the scenario's value), to outputs of
        shape (n, K). Picklable if ``executor`` runs it in other processes;
        it must depend on the points only (the result is then the same on
        any executor and in any chunking).
    design : Design
    groups, parameters, executor, chunk_size, swings
        As for :func:`sensitivity`.
    progress : bool or callable, optional
        ``True`` draws a progress bar; a callable is called as
        ``progress(done, total)`` in units of ``weight`` per evaluation.
    weight : int, default 1
        Runs per evaluation, for progress and the default chunking.

    Returns
    -------
    Analysis
    """
    salib = _salib()
    size = check_chunk_size(chunk_size)
    keep = _select(space, parameters)
    labels = space.groups(groups)
    grouping = "dimension" if groups is None else groups
    if not isinstance(grouping, str):
        grouping = "custom"
    dims = [space.dimensions[i] for i in keep]
    dim_groups = [labels[i] for i in keep]
    names = tuple(dict.fromkeys(dim_groups))
    if len(names) < 2:
        raise ValueError(
            f"a sensitivity analysis needs at least two parameters; got {list(names)}"
        )
    problem: dict[str, Any] = {
        "num_vars": len(dims),
        "names": [d.name for d in dims],
        "bounds": [[0.0, 1.0]] * len(dims),
    }
    if len(names) < len(dims):
        problem["groups"] = dim_groups
    sampler, analyser = salib[design.method]
    if design.method == "sobol":
        x = sampler.sample(
            problem, design.samples, calc_second_order=False, seed=design.rng()
        )
    else:
        x = sampler.sample(
            problem, design.samples, num_levels=design.levels, seed=design.rng()
        )
    x = np.asarray(x, dtype=np.float64)
    full = np.full((x.shape[0], len(space)), np.nan)
    full[:, keep] = x
    if swings:
        full = np.vstack([full, _swing_points(len(space), keep, dim_groups, names)])
    values = _run_model(model, full, executor, progress, size, weight)
    y = values[: x.shape[0]]
    if np.isnan(y).any():
        indices = {
            k: np.full((y.shape[1], len(names)), np.nan) for k in INDICES[design.method]
        }
    else:
        indices = _analyse(design, analyser, problem, x, y, names)
    g = len(names)
    if swings:
        sw = values[x.shape[0] :]
        low, high = sw[:g].T.copy(), sw[g:].T.copy()
    else:
        low = np.full((y.shape[1], g), np.nan)
        high = low.copy()
    members = {
        name: tuple(
            d.name for d, lab in zip(dims, dim_groups, strict=True) if lab == name
        )
        for name in names
    }
    return Analysis(
        parameters=names,
        members=members,
        grouping=str(grouping),
        dimensions=tuple(d.name for d in dims),
        points=x,
        outputs=y,
        indices=indices,
        low=low,
        high=high,
    )


def _run_model(
    model: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    points: NDArray[np.float64],
    executor: Executor | None,
    progress: ProgressLike,
    size: int | None,
    weight: int,
) -> NDArray[np.float64]:
    """``model`` on every point, unit by unit through the runner, in order."""
    per_unit = size or max(1, MAX_CHUNK // weight)
    bounds = chunk_bounds(points.shape[0], per_unit)
    parts: list[NDArray[np.float64] | None] = [None] * len(bounds)
    with Progress(progress, points.shape[0] * weight) as tracker:

        def finish(c: int, part: NDArray[np.float64]) -> None:
            a, b = bounds[c]
            out = np.asarray(part, dtype=np.float64)
            if out.ndim != 2 or out.shape[0] != b - a:
                raise ValueError(
                    f"model: expected outputs of shape ({b - a}, K) for {b - a} "
                    f"points, got {out.shape}"
                )
            parts[c] = out
            tracker.advance((b - a) * weight)

        units = [(points[a:b],) for a, b in bounds]
        run_units(model, units, finish, executor=executor)
    return np.vstack([p for p in parts if p is not None])


def _check_samples(method: str, samples: object) -> int:
    """Sobol's base sample (a power of 2, default 64) or Morris trajectories (20)."""
    if samples is None:
        return 64 if method == "sobol" else 20
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise ValueError(f"samples: expected a positive integer, got {samples!r}")
    n = int(samples)
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise ValueError(
            f"samples: Sobol's base sample must be a power of 2 (2, 4, ..., 64, "
            f"128, ...) for the balance of its sequence, got {samples!r}"
        )
    if n < 2:
        raise ValueError(f"samples: expected at least 2 trajectories, got {samples!r}")
    return n


def _swing_points(
    n_dims: int, keep: Sequence[int], dim_groups: Sequence[str], names: Sequence[str]
) -> NDArray[np.float64]:
    """Each parameter at its low end, then each at its high end; the rest NaN."""
    out = np.full((2 * len(names), n_dims), np.nan)
    for end, offset in ((0.0, 0), (1.0, len(names))):
        for j, name in enumerate(names):
            cols = [i for i, lab in zip(keep, dim_groups, strict=True) if lab == name]
            out[offset + j, cols] = end
    return out


def _analyse(
    design: Design,
    analyser: Any,
    problem: dict[str, Any],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    names: tuple[str, ...],
) -> dict[str, NDArray[np.float64]]:
    """SALib's indices of every output column, as (n_outputs, n_params) arrays."""
    rows: dict[str, list[NDArray[np.float64]]] = {k: [] for k in INDICES[design.method]}
    for j in range(y.shape[1]):
        if design.method == "sobol":
            res = analyser.analyze(
                problem,
                y[:, j],
                calc_second_order=False,
                num_resamples=design.resamples,
                conf_level=design.conf_level,
                seed=design.rng(),
            )
        else:
            res = analyser.analyze(
                problem,
                x,
                y[:, j],
                num_resamples=design.resamples,
                conf_level=design.conf_level,
                num_levels=design.levels,
                seed=design.rng(),
            )
            got = tuple(str(v) for v in res["names"])
            if got != names:  # SALib orders groups as they first appear, as here
                raise AssertionError(f"SALib's parameters {got} are not {names}")
        for k in rows:
            rows[k].append(
                np.asarray(np.ma.filled(np.ma.asarray(res[k], dtype=float), np.nan))
            )
    return {k: np.vstack(v) for k, v in rows.items()}
