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

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.modes import engine_for
from sendalloc._engine.policies import Policy, resolve_policies
from sendalloc._engine.runner import (
    ProgressLike,
    check_progress,
    check_runs,
    resolve_scenario,
)
from sendalloc._engine.streams import Root, run_streams
from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario import AssumptionSpace

if TYPE_CHECKING:
    from sendalloc.scenario import Scenario
from sendalloc._sensitivity.analysis import (
    Analysis,
    Design,
    analyse,
)
from sendalloc._sensitivity.measures import (
    DEFAULT_MEASURE,
    INDICES,
    METHODS,
    Measure,
)
from sendalloc._sensitivity.result import (
    SensitivityResult,
)

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
    ('list rules and travel', 'how full settings are')
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
