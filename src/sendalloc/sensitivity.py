"""Global sensitivity analysis: which uncertain assumptions move a measure most.

:func:`sensitivity` samples a scenario's
:class:`~sendalloc.scenario.AssumptionSpace` (its ``[uncertainty]`` table as a
unit cube) with SALib (the ``sensitivity`` extra), simulates every sampled
scenario through the same runner as :func:`~sendalloc.simulate` and
:func:`~sendalloc.sweep` (any :class:`concurrent.futures.Executor`, progress
reported as ``progress(done_runs, total_runs)``), and returns the first-order
and total Sobol indices, or the Morris elementary-effect statistics, of each
parameter (or group of parameters) on each requested measure, with their
confidence intervals, as a :class:`SensitivityResult`.

A *measure* is a metric of the result, for one mechanism, optionally within one
group of a breakdown: ``"unplaced"``, or ``"unplaced[need=SLD]"`` (the
``unplaced`` share among children whose primary need is SLD). See
:class:`Measure`.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.modes import engine_for
from sendalloc._engine.policies import Policy, resolve_policies
from sendalloc._engine.runner import (
    MAX_CHUNK,
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
from sendalloc._engine.streams import Root, run_streams
from sendalloc._report import sensitivity as render
from sendalloc._report.data import dump_json
from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario import AssumptionSpace

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sendalloc.scenario import Scenario

__all__ = [
    "DEFAULT_MEASURE",
    "INDICES",
    "METHODS",
    "Analysis",
    "Design",
    "Measure",
    "SensitivityResult",
    "analyse",
    "sensitivity",
]

#: The analyses :func:`sensitivity` runs.
METHODS: tuple[str, ...] = ("sobol", "morris")
#: The default measure: the share of children left without a listed place.
DEFAULT_MEASURE = "unplaced"
#: The indices each method reports, in order (``*_conf``: half-width of the
#: confidence interval).
INDICES: dict[str, tuple[str, ...]] = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
}
_NO_SALIB = (
    "sensitivity analysis needs SALib, which is not installed: "
    "pip install 'sendalloc[sensitivity]'"
)
_MEASURE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\[\s*(\w+)\s*=\s*([^\]]+?)\s*\])?\s*$")


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


# --------------------------------------------------------------------------- measures
@dataclass(frozen=True, slots=True)
class Measure:
    """A number to analyse: a metric of a result, optionally within one group.

    Attributes
    ----------
    metric : str
        A metric of the result (``"unplaced"``, ``"first_preference"``; any
        name of ``result.metrics``, or of a breakdown's columns).
    by : str, optional
        A breakdown of the result (``"need"``, ``"phase"``, ``"kind"``, or
        any other the result has).
    group : str, optional
        A group of that breakdown (``"SLD"``); given with ``by``.

    Examples
    --------
    >>> Measure.parse("unplaced[need=SLD]")
    Measure(metric='unplaced', by='need', group='SLD')
    >>> str(Measure("unplaced"))
    'unplaced'
    >>> import sendalloc as sa
    >>> r = sa.simulate("london_borough", ["first_available"], runs=3, seed=1)
    >>> m = Measure.parse("unplaced")
    >>> runs = r.metric("unplaced", "first_available")
    >>> bool(m.value(r, "first_available") == runs.mean())
    True
    """

    metric: str
    by: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        if (self.by is None) != (self.group is None):
            raise ValueError(
                f"measure {self.metric!r}: by and group go together, got "
                f"by={self.by!r}, group={self.group!r}"
            )

    def __str__(self) -> str:
        if self.by is None:
            return self.metric
        return f"{self.metric}[{self.by}={self.group}]"

    @classmethod
    def parse(cls, text: str | Measure) -> Measure:
        """A measure from ``"metric"`` or ``"metric[by=group]"`` (or a Measure).

        Raises
        ------
        ValueError
            For text of another form.
        """
        if isinstance(text, Measure):
            return text
        m = _MEASURE.match(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(
                f"measure: expected 'metric' or 'metric[by=group]' (e.g. "
                f"'unplaced[need=SLD]'), got {text!r}"
            )
        return cls(m.group(1), m.group(2), m.group(3))

    def value(self, result: Any, mechanism: str) -> float:
        """The measure's mean over a result's runs, for one mechanism.

        Raises
        ------
        ValueError
            Naming the unknown metric, breakdown, group or mechanism and the
            valid ones.
        """
        s = result.summary(self.by)
        return float(s.get(mechanism, self.metric, self.group)["mean"])


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


# --------------------------------------------------------------------------- running
def _evaluate(
    engine: Any,
    scenario: Any,
    space: AssumptionSpace,
    policies: tuple[Policy, ...],
    measures: tuple[Measure, ...],
    runs: int,
    seed: Root,
    points: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The measures at each point of the cube (one unit of work).

    Every point is simulated on the same ``runs`` rounds (the same run
    streams): common random numbers, so the measures differ between points by
    the assumptions only.
    """
    seeds = run_streams(seed, 0, runs)
    names = tuple(p.name for p in policies)
    out = np.empty((points.shape[0], len(measures)))
    for i, u in enumerate(points):
        sc = space.scenario_at(u) if not np.isnan(u).all() else scenario
        arrays = engine.run_chunk(sc, policies, seeds)
        res = engine.result(sc, names, runs, seed, arrays)
        for j, m in enumerate(measures):
            out[i, j] = m.value(res, names[0])
    return out


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


def sensitivity(
    scenario: Scenario | str | os.PathLike[str],
    measure: str | Measure | Sequence[str | Measure] | None = None,
    *,
    method: str = "sobol",
    mechanism: str | Callable[..., Any] | Policy = "first_available",
    samples: int | None = None,
    runs: int = 4,
    groups: str | Mapping[str, Sequence[str]] | None = "key",
    parameters: str | Iterable[str] | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    progress: ProgressLike = None,
    chunk_size: int | None = None,
    resamples: int = 100,
    conf_level: float = 0.95,
    levels: int = 4,
    swings: bool = True,
) -> SensitivityResult:
    """Rank a scenario's uncertain assumptions by their effect on measures.

    Parameters
    ----------
    scenario : Scenario, str or path
        Its ``[uncertainty]`` table is what varies (see docs/uncertainty.md).
    measure : str, Measure or sequence of them, optional
        ``"metric"`` or ``"metric[by=group]"`` (:class:`Measure`). Default
        :data:`DEFAULT_MEASURE`, ``"unplaced"``: the share of children left
        without a listed place.
    method : {"sobol", "morris"}
        ``"sobol"``: first-order (S1) and total (ST) Sobol indices from
        Saltelli's sample, with the estimators of Saltelli et al. (2010) as
        SALib implements them, without second order;
        ``"morris"``: Morris elementary effects (mu*, mu, sigma), a cheaper
        screening.
    mechanism : str, callable or policy, default "first_available"
        The mechanism whose outcome is measured (with the scenario's
        fallback), as :func:`~sendalloc.simulate` takes one.
    samples : int, optional
        Sobol: the base sample N, a power of 2 (default 64); Morris: the
        number of trajectories (default 20).
    runs : int, default 4
        Simulated rounds per evaluation, the same rounds (by their seeds) in
        every evaluation (common random numbers); a measure is their mean.
    groups : {"key", "theme", "dimension"}, None or mapping, default "key"
        What the indices are of (:meth:`AssumptionSpace.groups`): each
        ``[uncertainty]`` entry (both bounds of a ``capacity`` together, a
        link as one), each theme (:func:`~sendalloc.scenario.theme`), each
        dimension, or named groups of key patterns.
    parameters : str or iterable of str, optional
        Key patterns (:mod:`fnmatch`) of the assumptions to vary; the others
        stay at the scenario's values. Default: all.
    seed : int, default 0
        Seeds SALib's sample and bootstrap, and the runs' streams.
    executor : concurrent.futures.Executor, optional
        Runs the evaluations, as for :func:`~sendalloc.simulate`.
    progress : bool or callable, optional
        ``True`` draws a progress bar (tqdm, the ``progress`` extra); a callable
        is called as ``progress(done_runs, total_runs)`` after each unit of
        evaluations.
    chunk_size : int, optional
        Evaluations per unit of work (default: at most 25 runs a unit). It
        affects only speed, never the result.
    resamples : int, default 100
        Bootstrap resamples for the confidence intervals.
    conf_level : float, default 0.95
    levels : int, default 4
        Morris grid levels.
    swings : bool, default True
        Also simulate each parameter at the low and the high end of its range
        with the others at the scenario's values (``2 G`` evaluations, the
        tornado's bars); False leaves ``low`` and ``high`` NaN.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    ImportError
        Without SALib, naming the ``sensitivity`` extra.
    ValueError
        For an unknown method, measure, mechanism or grouping, or a sample
        size that is not a positive power of 2 (Sobol).
    InvalidScenarioError
        For a scenario with no uncertain keys, or whose ranges break a rule
        across keys.

    Notes
    -----
    The model is the mean of a measure over ``runs`` simulated rounds, with
    the rounds' random streams fixed: a deterministic function of the
    assumptions, so the indices apportion the variance *due to the
    assumptions*; the rounds' own noise is held fixed rather than counted. The
    layout of settings stays at the scenario's ``layout_seed``. The cost is
    ``N (G + 2)`` evaluations for Sobol (``N (G + 1)`` for Morris) of ``runs``
    rounds each, G the number of parameters after grouping; results are the
    same for any executor and any chunking.

    References
    ----------
    Saltelli A. et al. (2010), Variance based sensitivity analysis of model
    output. Computer Physics Communications 181(2), 259-270.
    Morris M. D. (1991), Factorial sampling plans for preliminary
    computational experiments. Technometrics 33(2), 161-174.
    Herman J., Usher W. (2017), SALib: an open-source Python library for
    sensitivity analysis. Journal of Open Source Software 2(9), 97.

    Examples
    --------
    A tiny run (a real one has 64 or more base samples and several runs):

    >>> import sendalloc as sa
    >>> r = sa.sensitivity("london_borough", "unplaced", samples=4, runs=1,
    ...                    groups="theme", parameters=["lists.*", "special.*"])
    >>> r.parameters[:2]
    ('list rules and travel', 'number of settings')
    >>> r.evaluations == 4 * (len(r.parameters) + 2)
    True
    >>> r.indices["ST"].shape == (1, len(r.parameters))
    True
    """
    design = Design.of(method, samples, resamples, conf_level, levels, seed)
    runs = check_runs(runs)
    progress = check_progress(progress)
    if measure is None:
        measure = DEFAULT_MEASURE
    given = [measure] if isinstance(measure, str | Measure) else list(measure)
    if not given:
        raise ValueError("measure: expected at least one measure")
    measures = tuple(Measure.parse(m) for m in given)
    if len({str(m) for m in measures}) != len(measures):
        raise ValueError(
            f"measure: a measure is repeated in {[str(m) for m in measures]}"
        )
    policies = resolve_policies([mechanism])
    scen = resolve_scenario(scenario)
    space = AssumptionSpace(scen)
    if not len(space):
        raise InvalidScenarioError(
            f"{scen.source}: a sensitivity analysis varies the ranges of the "
            "scenario's [uncertainty] table, but it has none that vary"
        )
    space.check()
    model = partial(
        _evaluate, engine_for(scen), scen, space, policies, measures, runs, design.seed
    )
    # The scenario as written, here and first: it checks the measures and the
    # mechanism before any work is sent out.
    base = model(np.full((1, len(space)), np.nan))[0]
    a = analyse(
        space,
        model,
        design,
        groups=groups,
        parameters=parameters,
        executor=executor,
        progress=progress,
        chunk_size=chunk_size,
        swings=swings,
        weight=runs,
    )
    for j, m in enumerate(measures):
        undefined = int(np.isnan(a.outputs[:, j]).sum())
        if undefined:
            raise ValueError(
                f"measure {str(m)!r} is undefined (NaN) in {undefined} of "
                f"{a.outputs.shape[0]} evaluations (no child it counts in any of "
                f"their {runs} runs); choose a measure defined in every round, or "
                "more runs"
            )
    return SensitivityResult(
        scenario=str(scen.name),
        method=design.method,
        mechanism=policies[0].name,
        measures=tuple(str(m) for m in measures),
        parameters=a.parameters,
        members=a.members,
        grouping=a.grouping,
        samples=design.samples,
        runs=runs,
        evaluations=int(a.points.shape[0]),
        seed=design.seed,
        conf_level=design.conf_level,
        resamples=design.resamples,
        indices=a.indices,
        base=np.asarray(base, dtype=np.float64),
        low=a.low,
        high=a.high,
        points=a.points,
        outputs=a.outputs,
        dimensions=a.dimensions,
    )


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
